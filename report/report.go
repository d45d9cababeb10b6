// Package report holds what one run did: a report per run with a status per
// resource, the run's metrics, the exit code `puppet apply` would give, the
// one-line summary printed at the end of a run, and the files a run leaves
// behind for monitoring (last_run_report.json and a Puppet-shaped
// last_run_summary.yaml).
//
// The engine fills a Report's resources and calls Finish to derive its
// metrics and status; everything else here only reads it, so a report
// decoded from JSON (say, one posted to a master) answers the same questions
// as the one the engine built.
package report

import (
	"fmt"
	"time"
)

// Run statuses, as Puppet names them.
const (
	StatusChanged   = "changed"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
)

// Event statuses, as Puppet names them.
const (
	EventSuccess = "success"
	EventFailure = "failure"
	EventNoop    = "noop"
)

// Report is the record of one run.
type Report struct {
	Host                 string           `json:"host"`
	ConfigurationVersion string           `json:"configuration_version"`
	Environment          string           `json:"environment"`
	Time                 time.Time        `json:"time"`
	Status               string           `json:"status"`
	Noop                 bool             `json:"noop"`
	Resources            []ResourceStatus `json:"resources"`
	Metrics              Metrics          `json:"metrics"`

	// Commit is the git commit the catalog was compiled from (agent runs).
	Commit string `json:"commit,omitempty"`
	// FactsDigest identifies the facts the catalog was compiled with, so
	// that a run can tell whether anything it depends on changed.
	FactsDigest string `json:"facts_digest,omitempty"`
	// Errors are failures outside any resource: a fetch, a signature
	// check, a compile, an interrupted run. Any error makes the run failed.
	Errors []string `json:"errors,omitempty"`
	// Fallback is set when the node ran its last good commit because a
	// newer one could not be fetched, verified or compiled: running a
	// stale commit is never silent.
	Fallback *Fallback `json:"fallback,omitempty"`
}

// Fallback says why a run applied an older commit than the branch head.
type Fallback struct {
	// FailedCommit is the commit that was refused ("" when the fetch
	// itself failed, so the head is unknown).
	FailedCommit string `json:"failed_commit,omitempty"`
	// Since is when the first run of the current failure streak failed.
	Since time.Time `json:"since"`
	// Error is the latest failure, in full.
	Error string `json:"error"`
}

// ResourceStatus is what happened to one resource. At most one of Changed,
// Failed and Skipped is true. OutOfSync says the resource differed from the
// catalog: in a normal run it is then also Changed or Failed; in a noop run
// (or for a resource with noop => true) it stays only OutOfSync.
type ResourceStatus struct {
	Ref       string `json:"ref"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Changed   bool   `json:"changed"`
	Failed    bool   `json:"failed"`
	Skipped   bool   `json:"skipped"`
	OutOfSync bool   `json:"out_of_sync"`
	// Restarted says the resource was refreshed (an exec run by an
	// event, a service restarted).
	Restarted bool    `json:"restarted,omitempty"`
	Events    []Event `json:"events,omitempty"`
}

// Event is one property change, made, attempted or (in noop) only found.
type Event struct {
	Property      string `json:"property"`
	PreviousValue string `json:"previous_value"`
	DesiredValue  string `json:"desired_value"`
	Message       string `json:"message"`
	Status        string `json:"status"`
}

// Metrics counts resources by outcome. Duration is the time the walk took,
// in JSON as whole nanoseconds.
type Metrics struct {
	Total     int           `json:"total"`
	Changed   int           `json:"changed"`
	Failed    int           `json:"failed"`
	Skipped   int           `json:"skipped"`
	OutOfSync int           `json:"out_of_sync"`
	Restarted int           `json:"restarted"`
	Duration  time.Duration `json:"duration"`
}

// Finish computes Metrics (except Duration, which the caller measures) and
// Status from Resources. Call it once every resource has its status.
func (r *Report) Finish() {
	m := Metrics{Total: len(r.Resources), Duration: r.Metrics.Duration}
	for _, rs := range r.Resources {
		switch {
		case rs.Failed:
			m.Failed++
		case rs.Skipped:
			m.Skipped++
		case rs.Changed:
			m.Changed++
		}
		if rs.OutOfSync {
			m.OutOfSync++
		}
		if rs.Restarted {
			m.Restarted++
		}
	}
	r.Metrics = m
	switch {
	case m.Failed > 0 || len(r.Errors) > 0:
		r.Status = StatusFailed
	case m.Changed > 0 || m.Restarted > 0:
		r.Status = StatusChanged
	default:
		r.Status = StatusUnchanged
	}
}

// ExitCode is the status `puppet apply` exits with after this run (a run
// with Errors counts as failed). Without
// detailed exit codes: 0 success, 1 failures. With them: 0 nothing changed,
// 2 changes, 4 failures, 6 changes and failures. Would-be changes of a noop
// run are not changes, so `--noop --detailed-exitcodes` exits 0 on a machine
// that differs from its catalog, as Puppet does.
func (r *Report) ExitCode(detailed bool) int {
	failed := r.Metrics.Failed > 0 || len(r.Errors) > 0
	if !detailed {
		if failed {
			return 1
		}
		return 0
	}
	code := 0
	if r.Metrics.Changed > 0 || r.Metrics.Restarted > 0 {
		code |= 2
	}
	if failed {
		code |= 4
	}
	return code
}

// Summary is the line printed at the end of a run, e.g.
// "Applied catalog in 0.05 seconds: 3 resources, 1 changed, 0 failed, 0 skipped".
func (r *Report) Summary() string {
	resources := "resources"
	if r.Metrics.Total == 1 {
		resources = "resource"
	}
	return fmt.Sprintf("Applied catalog in %.2f seconds: %d %s, %d changed, %d failed, %d skipped",
		r.Metrics.Duration.Seconds(), r.Metrics.Total, resources, r.Metrics.Changed, r.Metrics.Failed, r.Metrics.Skipped)
}
