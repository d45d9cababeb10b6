package parser

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// formatDiags renders diagnostics one per line as file positions and summaries,
// the form the golden files and error tests compare.
func formatDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%d:%d-%d:%d: %s\n", d.Subject.Start.Line, d.Subject.Start.Column,
			d.Subject.End.Line, d.Subject.End.Column, d.Summary)
	}
	return b.String()
}

// TestGolden parses the `in.pp` section of every testdata/*.txtar file and
// compares the tree dump with its `ast` section, or the diagnostics with its
// `errors` section when the input has syntax errors. Run with -update to
// rewrite the expected sections, then review the diff: the goldens are the spec.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			for _, f := range ar.Files {
				if f.Name == "in.pp" {
					src = f.Data
				}
			}
			if src == nil {
				t.Fatal("no in.pp section")
			}
			file, diags := ParseFile("in.pp", src)
			name, got := "ast", Dump(file)
			if diags.HasErrors() {
				name, got = "errors", formatDiags(diags)
			}
			if *update {
				ar.Files = []txtar.File{{Name: "in.pp", Data: src}, {Name: name, Data: []byte(got)}}
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			var want []byte
			found := false
			for _, f := range ar.Files {
				if f.Name == name {
					want, found = f.Data, true
				}
			}
			if !found {
				t.Fatalf("no %q section; parse gave:\n%s", name, got)
			}
			if !bytes.Equal(want, []byte(got)) {
				diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
					A: difflib.SplitLines(string(want)), B: difflib.SplitLines(got),
					FromFile: "want", ToFile: "got", Context: 3,
				})
				t.Errorf("%s differs (run with -update to accept):\n%s", name, diff)
			}
		})
	}
}
