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

// append moves the entries of from to the end of r.
func (r *record) append(from *record) {
	from.mu.Lock()
	entries := from.entries
	from.entries = nil
	from.mu.Unlock()
	r.mu.Lock()
	r.entries = append(r.entries, entries...)
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

// recordKey is the field by which resource loggers' lines find their slot.
const recordKey = "gapply-engine-slot"

// resourceLogs routes the lines of every resource logger to its record.
// All resource loggers derive (With, which copies) from one base logger
// writing JSON to one writer: charmbracelet/log keeps a renderer per
// distinct writer forever, so a writer per run or per resource would leak.
var resourceLogs struct {
	once  sync.Once
	base  *log.Logger
	next  atomic.Uint64
	slots sync.Map // uint64 -> *logSlot
}

// logSlot is the logger of one worker of a walk. Deriving a logger per
// resource dominated the cost of a walk, so each worker has one, pointed
// at the record of the resource it runs. A line a resource logs after it
// returned (from a goroutine it left behind) is dropped if the worker is
// idle, and may land in the next resource's record otherwise.
type logSlot struct {
	id     uint64
	logger *log.Logger
	mu     sync.Mutex
	rec    *record
}

func newLogSlot(level log.Level) *logSlot {
	resourceLogs.once.Do(func() {
		resourceLogs.base = log.NewWithOptions(routeWriter{}, log.Options{
			Level:     log.DebugLevel,
			Formatter: log.JSONFormatter,
		})
	})
	s := &logSlot{id: resourceLogs.next.Add(1)}
	s.logger = resourceLogs.base.With(recordKey, s.id)
	s.logger.SetLevel(level)
	resourceLogs.slots.Store(s.id, s)
	return s
}

// attach points the slot's logger at rec; nil detaches it.
func (s *logSlot) attach(rec *record) {
	s.mu.Lock()
	s.rec = rec
	s.mu.Unlock()
}

// close unregisters the slot at the end of a walk.
func (s *logSlot) close() { resourceLogs.slots.Delete(s.id) }

// routeWriter decodes the JSON lines of resource loggers back into entries
// and adds each to the record of the slot its recordKey names.
type routeWriter struct{}

func (routeWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimSpace(p), []byte("\n")) {
		e, id, err := decodeLine(line)
		if err != nil {
			return 0, err
		}
		if v, ok := resourceLogs.slots.Load(id); ok {
			s := v.(*logSlot)
			s.mu.Lock()
			if s.rec != nil {
				s.rec.add(e)
			}
			s.mu.Unlock()
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
