package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText prints the report for a person (`gapply report --last`): where
// and what ran, why an older commit ran if it did, the errors, the summary,
// then every resource that changed, failed or was skipped.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Run of %s at %s: %s\n", r.Host, r.Time.UTC().Format(time.RFC3339), r.Status)
	fmt.Fprintf(w, "  environment %s, configuration version %s", r.Environment, r.ConfigurationVersion)
	if r.Commit != "" && r.Commit != r.ConfigurationVersion {
		fmt.Fprintf(w, ", commit %s", r.Commit)
	}
	fmt.Fprintln(w)
	if f := r.Fallback; f != nil {
		failed := "the branch head could not be fetched"
		if f.FailedCommit != "" {
			failed = "commit " + shortCommit(f.FailedCommit) + " was refused"
		}
		fmt.Fprintf(w, "  STALE: running the last good commit %s because %s (failing since %s)\n",
			orNone(shortCommit(r.Commit)), failed, f.Since.UTC().Format(time.RFC3339))
	}
	for _, e := range r.Errors {
		lines := strings.Split(strings.TrimRight(e, "\n"), "\n")
		fmt.Fprintf(w, "  error: %s\n", lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	fmt.Fprintf(w, "  %s\n", r.Summary())
	for _, rs := range r.Resources {
		switch {
		case rs.Failed:
			fmt.Fprintf(w, "  failed  %s\n", rs.Ref)
		case rs.Skipped:
			fmt.Fprintf(w, "  skipped %s\n", rs.Ref)
		case rs.Changed || rs.Restarted || (rs.OutOfSync && r.Noop):
			fmt.Fprintf(w, "  changed %s\n", rs.Ref)
		default:
			continue
		}
		for _, e := range rs.Events {
			fmt.Fprintf(w, "          %s: %s\n", e.Property, e.Message)
		}
	}
}

// Line is the report in one line, for a list of past runs:
// "2024-11-25T15:49:09Z failed production 0123456789ab 5 resources, 1 changed, 1 failed, 1 skipped".
func (r *Report) Line() string {
	m := r.Metrics
	line := fmt.Sprintf("%s %-9s %s %s %d resources, %d changed, %d failed, %d skipped",
		r.Time.UTC().Format(time.RFC3339), r.Status, r.Environment, orNone(shortCommit(r.Commit)),
		m.Total, m.Changed, m.Failed, m.Skipped)
	if r.Fallback != nil {
		line += " (stale)"
	}
	if len(r.Errors) > 0 {
		line += ": " + strings.SplitN(r.Errors[0], "\n", 2)[0]
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
