package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/report"
)

// randomCatalog declares n resources with random delays, failures, noop
// flags, file changes and forward edges (so no cycles), seeded for
// reproducibility. Later resources depend on earlier ones, but not only on
// their immediate predecessors, so a parallel run has real choices.
func randomCatalog(t *testing.T, n int, seed uint64) *testCatalog {
	rng := rand.New(rand.NewPCG(seed, seed))
	c := newCatalog(t)
	for i := range n {
		title := fmt.Sprintf("r%02d", i)
		kv := []any{"delay", rng.IntN(4), "say", "checking " + title}
		switch rng.IntN(12) {
		case 0:
			kv = append(kv, "fail", "apply")
		case 1:
			kv = append(kv, "fail", "refresh")
		case 2:
			kv = append(kv, "fail", "check")
		case 3:
			kv = append(kv, "noop", true)
		}
		if rng.IntN(2) == 0 {
			c.file(title, "content of "+title, kv...)
		} else {
			c.add(title, kv...)
		}
		for range 1 + rng.IntN(2) {
			if i > 0 {
				c.edge(fmt.Sprintf("r%02d", rng.IntN(i)), title, rng.IntN(2) == 0)
			}
		}
	}
	// Declaration order differs from dependency order.
	rng.Shuffle(len(c.Resources), func(i, j int) { c.Resources[i], c.Resources[j] = c.Resources[j], c.Resources[i] })
	return c
}

func TestParallelMatchesSequential(t *testing.T) {
	const n = 40
	for _, noop := range []bool{false, true} {
		t.Run(fmt.Sprintf("noop=%v", noop), func(t *testing.T) {
			runOnce := func(parallel int) (*report.Report, string) {
				c := randomCatalog(t, n, 7) // a fresh directory each time
				var buf bytes.Buffer
				l := log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})
				rep, err := Apply(context.Background(), c.Catalog, Options{Parallel: parallel, Noop: noop, Log: l})
				if err != nil {
					t.Fatal(err)
				}
				// The directories differ between runs; paths appear
				// only in journals, never in logs or reports.
				return rep, buf.String()
			}
			seqRep, seqLogs := runOnce(1)
			m := seqRep.Metrics
			t.Logf("sequential run: %+v", m)
			if m.Failed == 0 || m.Skipped == 0 || m.OutOfSync == 0 || m.Restarted == 0 && !noop {
				t.Fatalf("the random catalog does not exercise failures, skips and refreshes: %+v", seqRep.Metrics)
			}
			ignore := cmpopts.IgnoreFields(report.Report{}, "Time", "Metrics.Duration")
			for _, par := range []int{4, n} {
				rep, logs := runOnce(par)
				if diff := cmp.Diff(seqLogs, logs); diff != "" {
					t.Errorf("Parallel=%d: logs differ from sequential (-seq +par):\n%s", par, diff)
				}
				if diff := cmp.Diff(seqRep, rep, ignore); diff != "" {
					t.Errorf("Parallel=%d: report differs from sequential (-seq +par):\n%s", par, diff)
				}
			}
		})
	}
}

// TestParallelRunsConcurrently proves Parallel is not ignored: two slow
// independent resources take about one delay, not two.
func TestParallelRunsConcurrently(t *testing.T) {
	c := newCatalog(t).add("a", "delay", 150).add("b", "delay", 150)
	rep, _ := run(t, c, Options{Parallel: 2})
	if d := rep.Metrics.Duration.Milliseconds(); d >= 290 {
		t.Errorf("two 150ms resources with Parallel=2 took %dms", d)
	}
}

// BenchmarkWalk applies a catalog of 10,000 trivial, always in-sync
// resources, each depending on one declared before it.
func BenchmarkWalk(b *testing.B) {
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			const n = 10000
			cat := &catalog.Catalog{Name: "bench"}
			for i := range n {
				cat.Resources = append(cat.Resources, &catalog.Resource{Type: testType, Title: fmt.Sprint(i)})
				if i > 0 {
					cat.Edges = append(cat.Edges, catalog.Edge{Source: ref(fmt.Sprint(i / 2)), Target: ref(fmt.Sprint(i))})
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				rep, err := Apply(context.Background(), cat, Options{Parallel: par})
				if err != nil || rep.Metrics.Total != n {
					b.Fatal(err)
				}
			}
		})
	}
}
