package compiler

import (
	"maps"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

// TestHieraLegacy: hiera, hiera_array, hiera_hash and hiera_include over
// TestHiera's data (plus a classes key). The expected values are what
// Puppet 7 computes with the same hiera.yaml and data.
func TestHieraLegacy(t *testing.T) {
	dir := t.TempDir()
	files := maps.Clone(hieraFiles)
	files["data/common.yaml"] += "classes: [one]\n"
	files["data/os/Debian.yaml"] += "classes: two\n"
	writeTree(t, dir, files)
	src := `class one { notify { 'one': } }
class two { notify { 'two': } }
notify { 'hiera': message => "${hiera('list')}" }
notify { 'hiera_array': message => "${hiera_array('list')}" }
notify { 'hiera_hash': message => "${hiera_hash('h')}" }
notify { 'hiera_array_scalar': message => "${hiera_array('only_common')}" }
notify { 'default_undef': message => "[${hiera_hash('nokey', undef)}]" }
notify { 'default': message => hiera('nokey', 'dflt') }
notify { 'lambda': message => hiera('nokey') |$k| { "no ${k}" } }
hiera_include('classes')
`
	manifest := filepath.Join(dir, "manifests", "site.pp")
	cat, diags := compileIn(t, manifest, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{
		"[b, c]", "[b, c, a]",
		"{x => 1, deep => {b => 2, l => [2]}, y => 2}",
		"[c]", "[]", "dflt", "no nokey",
		"two", "one",
	}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	errs := []struct{ src, want string }{
		{"hiera_hash('nokey')\n", "1:1: Function lookup() did not find a value for the name 'nokey'"},
		{"hiera_include('nokey')\n", "1:1: Function lookup() did not find a value for the name 'nokey'"},
		{"hiera_hash('only_common')\n", "1:1: hiera_hash(): a hash merge needs Hash values, got String"},
		{"hiera('list', [], 'other')\n", "1:1: hiera(): the override argument (a data source searched first) is not supported by gapply"},
		{"hiera(1)\n", "1:1: 'hiera' parameter 'key' expects a String value, got Integer"},
	}
	for _, tt := range errs {
		f, _ := parser.ParseFile(manifest, []byte(tt.src))
		_, diags := Compile([]*parser.File{f}, Options{Facts: testFacts})
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}
