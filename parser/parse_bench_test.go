package parser

import (
	"testing"

	"github.com/gapply/gapply/bench/manifest"
)

// BenchmarkParse parses the bench/gen manifest of 1,000 resources.
func BenchmarkParse(b *testing.B) {
	src, _ := manifest.Files(1000, "/srv/bench")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := ParseFile("site.pp", []byte(src)); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
