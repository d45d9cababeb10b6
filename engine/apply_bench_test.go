package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapply/gapply/bench/manifest"
	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/parser"
)

// benchCatalog compiles the bench/gen manifest of n resources managing a
// tree under a temporary directory.
func benchCatalog(b *testing.B, n int) *catalog.Catalog {
	cat, _ := benchCatalogRoot(b, n)
	return cat
}

// benchCatalogRoot is benchCatalog that also returns the managed tree.
func benchCatalogRoot(b *testing.B, n int) (*catalog.Catalog, string) {
	b.Helper()
	root := filepath.Join(b.TempDir(), "root")
	src, _ := manifest.Files(n, root)
	f, diags := parser.ParseFile("site.pp", []byte(src))
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	cat, diags := compiler.Compile([]*parser.File{f}, compiler.Options{Node: "bench", Facts: map[string]any{}})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	return cat, root
}

// BenchmarkNoopRun is the check phase of a run that changes nothing: the
// bench/gen manifest of 10,000 resources (files, directories, execs with
// creates) applied to a tree that is already in sync. Profile it with
// go test -run '^$' -bench NoopRun -cpuprofile cpu.out ./engine.
func BenchmarkNoopRun(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			cat := benchCatalog(b, n)
			rep, err := Apply(context.Background(), cat, Options{})
			if err != nil || rep.Metrics.Failed > 0 {
				b.Fatalf("first run: %v %+v", err, rep.Metrics)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rep, err := Apply(context.Background(), cat, Options{})
				if err != nil || rep.Metrics.Changed > 0 || rep.Metrics.Total != n {
					b.Fatalf("no-op run: %v %+v", err, rep.Metrics)
				}
			}
		})
	}
}

// BenchmarkFirstRun is a first run of the bench/gen manifest: every file
// and directory created, the execs run. Its time is mostly the kernel's
// (writes, renames, process starts, the end-of-run sync), which a CPU
// profile does not show: compare wall times.
func BenchmarkFirstRun(b *testing.B) {
	cat, root := benchCatalogRoot(b, 1000)
	for b.Loop() {
		b.StopTimer()
		if err := os.RemoveAll(root); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := Apply(context.Background(), cat, Options{})
		if err != nil || rep.Metrics.Failed > 0 || rep.Metrics.Changed == 0 {
			b.Fatalf("first run: %v %+v", err, rep.Metrics)
		}
	}
}
