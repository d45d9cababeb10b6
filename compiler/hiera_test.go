package compiler

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

var hieraFiles = map[string]string{
	"hiera.yaml": `version: 5
defaults:
  datadir: data
  data_hash: yaml_data
hierarchy:
  - name: node
    path: "nodes/%{::trusted.certname}.yaml"
  - name: os
    paths:
      - "os/%{facts.os.family}.yaml"
  - name: common
    path: common.yaml
`,
	"data/common.yaml": `app::port: 80
app::label: "common-%{facts.os.family}"
list: [a, b]
h:
  x: 1
  deep: {a: 1, l: [1]}
only_common: c
`,
	"data/os/Debian.yaml": `app::port: 8080
list: [b, c]
h:
  y: 2
  deep: {b: 2, l: [2]}
`,
	"data/nodes/web1.example.com.yaml": "node_only: '%{trusted.hostname} in %{trusted.domain}'\n",
}

// TestHiera: the expected values are what Puppet 7 looks up with the same
// hiera.yaml and data (as --hiera_config).
func TestHiera(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, hieraFiles)
	src := `class app(Integer $port = 1, String $label = 'dflt', String $other = 'o') {
  notify { 'app': message => "port=${port} label=${label} other=${other}" }
}
include app
notify { 'first': message => "${lookup('list')}" }
notify { 'unique': message => "${lookup('list', Array, 'unique')}" }
notify { 'hash': message => "${lookup('h', Hash, 'hash')}" }
notify { 'deep': message => "${lookup('h', Hash, 'deep')}" }
notify { 'default': message => lookup('nokey', String, 'first', 'dd') }
notify { 'options': message => lookup('nokey', {default_value => 'd2'}) }
notify { 'names': message => lookup(['nokey', 'only_common']) }
notify { 'node': message => lookup('node_only') }
`
	manifest := filepath.Join(dir, "manifests", "site.pp")
	f, diags := parser.ParseFile(manifest, []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cat, diags := Compile([]*parser.File{f}, Options{Facts: testFacts, Version: "1"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{
		"port=8080 label=common-Debian other=o",
		"[b, c]",
		"[b, c, a]",
		"{x => 1, deep => {b => 2, l => [2]}, y => 2}",
		"{x => 1, deep => {a => 1, l => [1, 2], b => 2}, y => 2}",
		"dd", "d2", "c", "web1 in example.com",
	}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	errs := []struct {
		src  string
		opts Options
		want string
	}{
		{"lookup('nokey')\n", Options{}, "1:1: Function lookup() did not find a value for the name 'nokey'"},
		{"lookup('only_common', Integer)\n", Options{}, "1:1: Found value has wrong type, expects an Integer value, got String"},
		{"lookup('list', Array, 'nope')\n", Options{}, "1:1: lookup(): unknown merge strategy 'nope': use first, unique, hash or deep"},
		{"lookup('x')\n", Options{HieraConfig: filepath.Join(dir, "missing.yaml")}, "1:1: lookup(): open " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
	}
	for _, tt := range errs {
		f, _ := parser.ParseFile(manifest, []byte(tt.src))
		tt.opts.Facts = testFacts
		_, diags := Compile([]*parser.File{f}, tt.opts)
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}
