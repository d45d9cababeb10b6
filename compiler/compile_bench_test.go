package compiler

import (
	"fmt"
	"testing"

	"github.com/gapply/gapply/bench/manifest"
	"github.com/gapply/gapply/parser"
)

// BenchmarkCompile evaluates the parsed bench/gen manifests (a class, two
// defines used once per application and per file) into catalogs.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src, _ := manifest.Files(n, "/srv/bench")
			f, diags := parser.ParseFile("site.pp", []byte(src))
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			b.ReportAllocs()
			for b.Loop() {
				cat, diags := Compile([]*parser.File{f}, Options{Node: "bench", Facts: map[string]any{}})
				if diags.HasErrors() || len(cat.Resources) != n {
					b.Fatalf("%v: %d resources", diags, len(cat.Resources))
				}
			}
		})
	}
}
