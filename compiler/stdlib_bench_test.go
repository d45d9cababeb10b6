package compiler

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkValidateModules is `gapply validate` of every manifest of the
// module corpus testdata/modules (each module's manifests and examples,
// and site.pp), with the corpus as the module path: parse, autoload,
// compile, ERB and stdlib functions included. One iteration validates
// every file once.
func BenchmarkValidateModules(b *testing.B) {
	root := filepath.Join("..", "testdata", "modules")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".pp") && !strings.Contains(p, string(filepath.Separator)+"types"+string(filepath.Separator)) {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		b.Fatalf("corpus: %v (%d files)", err, len(files))
	}
	opts := Options{Facts: testFacts, Version: "1", ModulePath: []string{root}}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			srcs, err := ReadSources([]string{f}, "")
			if err != nil {
				b.Fatal(err)
			}
			if _, diags := CompileSources(srcs, opts); diags.HasErrors() {
				b.Fatalf("%s: %v", f, diags)
			}
		}
	}
	b.ReportMetric(float64(len(files)), "files/op")
}
