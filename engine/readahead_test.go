package engine

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gapply/gapply/report"
)

// withProcs runs f with GOMAXPROCS set to n: one processor means no
// read-ahead helpers.
func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// TestReadAheadMatchesPlainWalk: checks read ahead change nothing in what
// a sequential run does, logs and reports, with failures, skips, refreshes
// and changes, and in a no-op run each resource is checked exactly once.
func TestReadAheadMatchesPlainWalk(t *testing.T) {
	const n = 40
	for _, noop := range []bool{false, true} {
		t.Run(fmt.Sprintf("noop=%v", noop), func(t *testing.T) {
			runOnce := func(procs int) (string, []string, *report.Report) {
				c := randomCatalog(t, n, 11)
				for _, r := range c.Resources {
					r.Parameters["ahead"] = true
				}
				var buf bytes.Buffer
				l := log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})
				var rep *report.Report
				withProcs(procs, func() {
					var err error
					if rep, err = Apply(context.Background(), c.Catalog, Options{Noop: noop, Log: l}); err != nil {
						t.Fatal(err)
					}
				})
				return buf.String(), readJournal(t, c.journal), rep
			}
			plainLogs, _, plainRep := runOnce(1)
			logs, journal, rep := runOnce(max(runtime.NumCPU(), 2))
			if diff := cmp.Diff(plainLogs, logs); diff != "" {
				t.Errorf("logs differ (-plain +ahead):\n%s", diff)
			}
			ignore := cmpopts.IgnoreFields(report.Report{}, "Time", "Metrics.Duration")
			if plainRep.Metrics.Changed+plainRep.Metrics.Failed+plainRep.Metrics.Skipped == 0 {
				t.Fatalf("the random catalog does not exercise changes, failures and skips: %+v", plainRep.Metrics)
			}
			if diff := cmp.Diff(plainRep, rep, ignore); diff != "" {
				t.Errorf("reports differ (-plain +ahead):\n%s", diff)
			}
			if noop {
				checks := map[string]int{}
				for _, line := range journal {
					if title, ok := strings.CutPrefix(line, "check "); ok {
						checks[title]++
					}
				}
				for title, k := range checks {
					if k != 1 {
						t.Errorf("%s checked %d times in a no-op run", title, k)
					}
				}
			}
		})
	}
}

// TestReadAheadVoidedByChange: a check made ahead of its turn is not used
// once the run has changed something. B's file is written by A, whose slow
// check gives a helper the time to check B first and find it absent; B
// must be checked again after A's change, and found in sync.
func TestReadAheadVoidedByChange(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("read-ahead needs two processors")
	}
	c := newCatalog(t)
	c.add("A", "path", c.path("shared"), "content", "x", "delay", 300)
	c.add("B", "path", c.path("shared"), "content", "x", "ahead", true)
	c.before("A", "B")
	rep, _ := run(t, c, Options{})
	got := statuses(rep)
	if want := []string{"Enginetest[A]:changed", "Enginetest[B]:unchanged"}; !slices.Equal(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
	// A helper checks B while A is being checked; which of the two
	// starts first is up to the scheduler.
	journal := readJournal(t, c.journal)
	if len(journal) == 4 {
		slices.Sort(journal[:2])
	}
	want := []string{"check A", "check B", "apply A", "check B"}
	if !slices.Equal(journal, want) {
		t.Errorf("journal = %q, want %q (B read ahead, then checked again after A's change)", journal, want)
	}
}
