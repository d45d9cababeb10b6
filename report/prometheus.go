package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Prometheus returns the report as metrics in the Prometheus text format,
// for node_exporter's textfile collector (write it with WritePrometheus into
// the collector's directory). Besides the counts, it exports which commit
// runs and, when the node fell back to it, which commit failed and since
// when, so that an alert can fire on a node stuck on an old commit.
func (r *Report) Prometheus() []byte {
	var b bytes.Buffer
	metric := func(name, help, typ string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	m := r.Metrics
	metric("gapply_last_run_timestamp_seconds", "When the last run started, in seconds since the epoch.", "gauge")
	fmt.Fprintf(&b, "gapply_last_run_timestamp_seconds %d\n", r.Time.Unix())
	metric("gapply_last_run_duration_seconds", "How long the last run's apply took.", "gauge")
	fmt.Fprintf(&b, "gapply_last_run_duration_seconds %s\n", strconv.FormatFloat(m.Duration.Seconds(), 'f', -1, 64))
	metric("gapply_last_run_resources", "Resources of the last run by state.", "gauge")
	for _, kv := range []struct {
		k string
		v int
	}{
		{"changed", m.Changed}, {"failed", m.Failed}, {"out_of_sync", m.OutOfSync},
		{"restarted", m.Restarted}, {"skipped", m.Skipped}, {"total", m.Total},
	} {
		fmt.Fprintf(&b, "gapply_last_run_resources{state=%q} %d\n", kv.k, kv.v)
	}
	metric("gapply_last_run_errors", "Failures outside resources (fetch, verify, compile) in the last run.", "gauge")
	fmt.Fprintf(&b, "gapply_last_run_errors %d\n", len(r.Errors))
	metric("gapply_last_run_status", "1 for the status of the last run.", "gauge")
	for _, st := range []string{StatusChanged, StatusFailed, StatusUnchanged} {
		v := 0
		if r.Status == st {
			v = 1
		}
		fmt.Fprintf(&b, "gapply_last_run_status{status=%q} %d\n", st, v)
	}
	metric("gapply_commit_info", "The commit and environment the node runs.", "gauge")
	fmt.Fprintf(&b, "gapply_commit_info{commit=%s,environment=%s} 1\n", label(r.Commit), label(r.Environment))
	metric("gapply_fallback", "1 when the node runs its last good commit because a newer one failed.", "gauge")
	if f := r.Fallback; f != nil {
		fmt.Fprintf(&b, "gapply_fallback{failed_commit=%s} 1\n", label(f.FailedCommit))
		metric("gapply_fallback_since_timestamp_seconds", "When the current streak of failed syncs began.", "gauge")
		fmt.Fprintf(&b, "gapply_fallback_since_timestamp_seconds %d\n", f.Since.Unix())
	} else {
		b.WriteString("gapply_fallback{failed_commit=\"\"} 0\n")
	}
	return b.Bytes()
}

// label quotes a label value as the text format wants: backslash, double
// quote and newline escaped.
func label(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// WritePrometheus replaces path atomically with Prometheus(), so the
// textfile collector never reads half a file. The file is 0644 on purpose:
// node_exporter usually runs as another user, and metrics hold no secrets.
func (r *Report) WritePrometheus(path string) error {
	if err := writeFileMode(path, r.Prometheus(), 0o644); err != nil {
		return fmt.Errorf("writing metrics: %w", err)
	}
	return nil
}
