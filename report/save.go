package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"
)

// File names Save writes, as Puppet names its own.
const (
	ReportFile  = "last_run_report.json"
	SummaryFile = "last_run_summary.yaml"
)

// Save writes the report as JSON to dir/last_run_report.json and the
// Puppet-shaped summary to dir/last_run_summary.yaml. Each file is replaced
// atomically, so a monitoring check never reads half a file, and is made
// 0600, since a report names paths and commands of the machine.
func (r *Report) Save(dir string) error {
	js, err := r.MarshalFile()
	if err != nil {
		return err
	}
	return r.save(dir, js)
}

// save writes js, the encoded report, and the summary into dir.
func (r *Report) save(dir string, js []byte) error {
	files := []struct {
		name string
		data []byte
	}{
		{ReportFile, js},
		{SummaryFile, r.SummaryYAML()},
	}
	// The state directory holds reports of what the machine runs: private.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving report: %w", err)
	}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := writeFile(path, f.data); err != nil {
			return fmt.Errorf("saving report: %w", err)
		}
	}
	return nil
}

// MarshalFile returns the report as Save and Archive write it: the JSON
// of the Report type, the run's fields indented and each resource on a
// line of its own. json.MarshalIndent of a 10,000-resource report spends
// most of its time re-scanning its own output to indent it, and makes the
// file three times the size; a line per resource is as easy to read and
// to grep, and any JSON reader sees the same document.
func (r *Report) MarshalFile() ([]byte, error) {
	// The report without its resources is small and indented as usual;
	// its "resources": null member is where the resources go. No JSON
	// string holds a raw newline, so the member is found only there.
	head := *r
	head.Resources = nil
	js, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	before, after, ok := bytes.Cut(js, []byte("\n  \"resources\": null"))
	if !ok {
		return nil, fmt.Errorf("encoding report: no resources member in %.40q", js)
	}
	if r.Resources == nil {
		return append(js, '\n'), nil
	}
	var out, line bytes.Buffer
	out.Grow(len(js) + len(r.Resources)*200)
	out.Write(before)
	out.WriteString("\n  \"resources\": [")
	enc := json.NewEncoder(&line)
	for i := range r.Resources {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString("\n    ")
		rs := &r.Resources[i]
		if len(rs.Events) == 0 {
			appendStatus(&out, rs)
			continue
		}
		line.Reset()
		if err := enc.Encode(rs); err != nil {
			return nil, fmt.Errorf("encoding report: %s: %w", rs.Ref, err)
		}
		out.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if len(r.Resources) > 0 {
		out.WriteString("\n  ")
	}
	out.WriteByte(']')
	out.Write(after)
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// appendStatus writes rs, which has no events, exactly as encoding/json
// does, without its reflection: the report of a no-op run is thousands of
// such lines, and encoding/json took most of the time of saving it.
// TestAppendStatusSameBytes holds the two to the same bytes.
func appendStatus(b *bytes.Buffer, rs *ResourceStatus) {
	b.WriteString(`{"ref":`)
	appendString(b, rs.Ref)
	b.WriteString(`,"type":`)
	appendString(b, rs.Type)
	b.WriteString(`,"title":`)
	appendString(b, rs.Title)
	if rs.File != "" {
		b.WriteString(`,"file":`)
		appendString(b, rs.File)
	}
	if rs.Line != 0 {
		b.WriteString(`,"line":`)
		b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(rs.Line), 10))
	}
	b.WriteString(`,"changed":`)
	b.WriteString(strconv.FormatBool(rs.Changed))
	b.WriteString(`,"failed":`)
	b.WriteString(strconv.FormatBool(rs.Failed))
	b.WriteString(`,"skipped":`)
	b.WriteString(strconv.FormatBool(rs.Skipped))
	b.WriteString(`,"out_of_sync":`)
	b.WriteString(strconv.FormatBool(rs.OutOfSync))
	if rs.Restarted {
		b.WriteString(`,"restarted":true`)
	}
	b.WriteByte('}')
}

// appendString writes s as a JSON string. Printable ASCII that needs no
// escape, the usual path or title, is copied; anything else goes through
// encoding/json, so escapes (HTML-safe ones included) stay its own.
func appendString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			js, _ := json.Marshal(s) // a string always encodes
			b.Write(js)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// writeFile replaces path atomically with a 0600 file holding data.
// renameio.WriteFile would keep the mode of an existing file instead.
func writeFile(path string, data []byte) error { return writeFileMode(path, data, 0o600) }

func writeFileMode(path string, data []byte, mode os.FileMode) error {
	// The temporary file goes beside path: without WithTempDir renameio
	// first probes $TMPDIR with a file and a link of its own.
	t, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(mode),
		renameio.WithTempDir(filepath.Dir(path)))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}

// SummaryYAML returns the last-run summary in the layout of Puppet's
// last_run_summary.yaml (version, resources, time, changes, events), so
// monitoring checks written for Puppet can read it. The document is small
// and flat, so it is written directly rather than through a YAML library.
func (r *Report) SummaryYAML() []byte {
	var changes, success, failure, noop int
	for _, rs := range r.Resources {
		for _, e := range rs.Events {
			switch e.Status {
			case EventSuccess:
				success++
				changes++
			case EventFailure:
				failure++
			case EventNoop:
				noop++
			}
		}
	}
	m := r.Metrics
	var b bytes.Buffer
	b.WriteString("---\n")
	b.WriteString("version:\n")
	fmt.Fprintf(&b, "  config: %s\n", yamlString(r.ConfigurationVersion))
	if r.Commit != "" {
		fmt.Fprintf(&b, "  commit: %s\n", yamlString(r.Commit))
	}
	b.WriteString("resources:\n")
	for _, kv := range []struct {
		k string
		v int
	}{
		{"changed", m.Changed}, {"failed", m.Failed}, {"out_of_sync", m.OutOfSync},
		{"restarted", m.Restarted}, {"skipped", m.Skipped}, {"total", m.Total},
	} {
		fmt.Fprintf(&b, "  %s: %d\n", kv.k, kv.v)
	}
	b.WriteString("time:\n")
	fmt.Fprintf(&b, "  total: %s\n", strconv.FormatFloat(m.Duration.Seconds(), 'f', -1, 64))
	fmt.Fprintf(&b, "  last_run: %d\n", r.Time.Unix())
	b.WriteString("changes:\n")
	fmt.Fprintf(&b, "  total: %d\n", changes)
	b.WriteString("events:\n")
	fmt.Fprintf(&b, "  failure: %d\n", failure)
	if noop > 0 {
		fmt.Fprintf(&b, "  noop: %d\n", noop)
	}
	fmt.Fprintf(&b, "  success: %d\n", success)
	fmt.Fprintf(&b, "  total: %d\n", success+failure+noop)
	if len(r.Errors) > 0 || r.Fallback != nil {
		// Not in Puppet's summary: what kept this run from the branch
		// head, for checks that alert on a node stuck on an old commit.
		b.WriteString("errors:\n")
		fmt.Fprintf(&b, "  total: %d\n", len(r.Errors))
		if f := r.Fallback; f != nil {
			fmt.Fprintf(&b, "  failed_commit: %s\n", yamlString(f.FailedCommit))
			fmt.Fprintf(&b, "  failing_since: %d\n", f.Since.Unix())
			fmt.Fprintf(&b, "  last_error: %s\n", yamlString(strings.Join(strings.Fields(f.Error), " ")))
		}
	}
	return b.Bytes()
}

// yamlString quotes s as a YAML single-quoted scalar, which needs no escape
// but a doubled quote, so any version string reads back as a string.
func yamlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Load reads a report written by Save from dir.
func Load(dir string) (*Report, error) {
	return LoadFile(filepath.Join(dir, ReportFile))
}
