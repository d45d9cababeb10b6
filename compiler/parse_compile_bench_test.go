package compiler

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/gapply/gapply/bench/manifest"
	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// BenchmarkParseCompile is issue 3's limit: parse and compile a manifest
// of 10,000 resources written to exercise the language (classes, a define
// declared 1,000 times, conditionals, iteration) in under 100 ms and
// 100 MB. Besides time and allocations per operation it reports
// peak-heap-MB, the largest heap (live and not yet collected objects)
// seen while the operations ran, sampled every millisecond: what a
// process that parses and compiles needs, garbage included; and
// cpu-ms/op, the process's CPU time (user and system, garbage collector
// included) per operation, which other work on a shared machine
// inflates much less than ns/op, the wall-clock time.
func BenchmarkParseCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src := []byte(manifest.Language(n, "/srv/lang"))
			b.ReportAllocs()
			peak := watchHeap()
			cpu0 := cpuTime(b)
			for b.Loop() {
				f, diags := parser.ParseFile("site.pp", src)
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				cat, diags := Compile([]*parser.File{f}, Options{Node: "bench", Facts: map[string]any{"os": map[string]any{"family": "Debian"}}})
				if diags.HasErrors() || len(cat.Resources) != n {
					b.Fatalf("%v: %d resources", diags, len(cat.Resources))
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
		})
	}
}

// TestLanguageManifest: the manifest BenchmarkParseCompile measures
// compiles without a diagnostic to exactly the resources asked for, and
// its conditionals choose as Puppet would (site N has tier N % 3 of gold,
// silver, bronze, TLS when N % 4 == 0, its own port when N % 5 == 0).
func TestLanguageManifest(t *testing.T) {
	for _, n := range []int{manifest.MinLanguageResources, 237} {
		src := manifest.Language(n, "/srv/lang")
		f, diags := parser.ParseFile("site.pp", []byte(src))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		cat, diags := Compile([]*parser.File{f}, Options{Node: "bench", Facts: map[string]any{"os": map[string]any{"family": "Debian"}}})
		if len(diags) > 0 || len(cat.Resources) != n {
			t.Fatalf("n=%d: %d resources, diagnostics %v", n, len(cat.Resources), diags)
		}
		check := func(title, param string, want any) {
			t.Helper()
			r := cat.Lookup(catalog.Ref{Type: "File", Title: title})
			if r == nil || r.Parameters[param] != want {
				t.Errorf("n=%d: File[%s] %s: got %v, want %v", n, title, param, r, want)
			}
		}
		check("/srv/lang/sites/site0003/priority", "content", "high\n")
		check("/srv/lang/sites/site0002/priority", "content", "normal\n")
		check("/srv/lang/sites/site0004/tls.conf", "content", "ssl on\nport 8004\n")
		check("/srv/lang/sites/site0003/tls.conf", "ensure", "absent")
		check("/srv/lang/sites/site0005/id", "content", "0005\n")
		check("/srv/lang/sites/site0003/site.conf", "owner", "www-data")
		check("/srv/lang/sites/site0003/site.conf", "mode", "0640")
		check("/srv/lang/sites/site0003/logs", "mode", "0750")
	}
}

// watchHeap samples the heap's size until the returned function is
// called, which returns the largest size seen. The heap is collected
// first, so what came before the benchmark does not count.
func watchHeap() func() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	read := func() {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		read() // the goroutine has stopped: no race on peak
		return peak
	}
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
