package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/charmbracelet/log"
)

// Lines are printed in the order of a sequential run whatever the
// scheduling: everything a resource logs, the engine's lines about it and
// the resource's own (an exec's output), is kept in its record and replayed
// through the run's logger once every resource before it in the sequential
// order has been printed.

// entry is one log call, replayed later.
type entry struct {
	level   log.Level
	leveled bool // false for Print, which has no level
	msg     string
	kv      []any
}

// record holds one resource's log entries until their turn comes.
type record struct {
	mu      sync.Mutex
	entries []entry
}

func (r *record) log(level log.Level, format string, args ...any) {
	r.add(entry{level: level, leveled: true, msg: fmt.Sprintf(format, args...)})
}

func (r *record) add(e entry) {
	r.mu.Lock()
	r.entries = append(r.entries, e)
	r.mu.Unlock()
}

// replay logs the entries through l.
func (r *record) replay(l *log.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.entries {
		if e.leveled {
			l.Log(e.level, e.msg, e.kv...)
		} else {
			l.Print(e.msg, e.kv...)
		}
	}
	r.entries = nil
}

// recordKey is the field by which resourceLoggers' lines find their record.
const recordKey = "gapply-engine-record"

// resourceLogs routes the lines of every resource logger to its record.
// All resource loggers derive (With, which copies) from one base logger
// writing JSON to one writer: charmbracelet/log keeps a renderer per
// distinct writer forever, so a writer per resource would leak.
var resourceLogs struct {
	once    sync.Once
	base    *log.Logger
	next    atomic.Uint64
	records sync.Map // uint64 -> *record
}

// resourceLogger returns a logger for a resource's Env whose lines land in
// rec, and a function that detaches it once the resource is done.
func resourceLogger(rec *record, level log.Level) (*log.Logger, func()) {
	resourceLogs.once.Do(func() {
		resourceLogs.base = log.NewWithOptions(routeWriter{}, log.Options{
			Level:     log.DebugLevel,
			Formatter: log.JSONFormatter,
		})
	})
	id := resourceLogs.next.Add(1)
	resourceLogs.records.Store(id, rec)
	l := resourceLogs.base.With(recordKey, id)
	l.SetLevel(level)
	return l, func() { resourceLogs.records.Delete(id) }
}

// routeWriter decodes the JSON lines of resource loggers back into entries
// and adds each to the record its recordKey names. Lines of a detached
// logger (a resource that logs after it returned) are dropped.
type routeWriter struct{}

func (routeWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimSpace(p), []byte("\n")) {
		e, id, err := decodeLine(line)
		if err != nil {
			return 0, err
		}
		if rec, ok := resourceLogs.records.Load(id); ok {
			rec.(*record).add(e)
		}
	}
	return len(p), nil
}

// decodeLine reads one JSON line of charmbracelet/log, keeping the order
// of its fields.
func decodeLine(line []byte) (entry, uint64, error) {
	var e entry
	var id uint64
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // {
		return e, 0, err
	}
	var prefix string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return e, 0, err
		}
		key, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return e, 0, err
		}
		s, _ := v.(string)
		switch key {
		case log.LevelKey:
			lvl, err := log.ParseLevel(s)
			if err != nil {
				return e, 0, err
			}
			e.level, e.leveled = lvl, true
		case log.MessageKey:
			e.msg = s
		case log.PrefixKey:
			prefix = s
		case recordKey:
			n, _ := v.(json.Number)
			id, _ = strconv.ParseUint(n.String(), 10, 64)
		default:
			e.kv = append(e.kv, key, v)
		}
	}
	if prefix != "" {
		e.msg = prefix + ": " + e.msg
	}
	return e, id, nil
}

// discard is the logger of a run without one.
func discard() *log.Logger { return log.New(io.Discard) }
