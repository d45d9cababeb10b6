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
	cat, diags := compileIn(t, manifest, src)
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

// TestLookupOptions: lookup_options of the environment's levels and of a
// module's data decide the merge of lookup() without a merge argument and
// of automatic parameter lookup, and convert_to wraps values in
// Sensitive. The expected values are what Puppet 7 prints with the same
// environment (hiera.yaml and data) and module.
func TestLookupOptions(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"env/hiera.yaml": "version: 5\nhierarchy:\n  - name: os\n    path: 'os/%{facts.os.family}.yaml'\n  - name: common\n    path: common.yaml\n",
		"env/data/common.yaml": `lookup_options:
  k:
    merge: unique
  h:
    merge: {strategy: deep, knockout_prefix: '--'}
  ha:
    merge: {strategy: deep, merge_hash_arrays: true}
  hs:
    merge: {strategy: deep, sort_merged_arrays: true}
  '^m::pw.*':
    convert_to: Sensitive
  '^m::.*':
    merge: unique
  m::list:
    merge: unique
k: [a, b]
h: {x: ['1', '3'], y: {a: 1, b: 2}, z: 1, w: [5]}
ha: {l: [{a: 1}, {b: 1}]}
hs: {s: [3, 1]}
m::list: [env]
m::arr1: [y]
`,
		// The higher level's options for k replace the lower's whole: k
		// is converted, no longer merged.
		"env/data/os/Debian.yaml": `lookup_options:
  k:
    convert_to: [Sensitive]
k: [b, c]
h: {x: ['--1', '2'], y: {b: '--', c: 3}, z: '--x', w: ['--']}
ha: {l: [{c: 1}]}
hs: {s: [2]}
`,
		"mods/m/hiera.yaml": "version: 5\nhierarchy:\n  - name: common\n    path: common.yaml\n",
		"mods/m/data/common.yaml": `lookup_options:
  m::list:
    merge: first
  m::h:
    merge: hash
  '^m::arr':
    merge: unique
m::list: [mod]
m::pw1: secret
m::h: {a: 1}
m::arr1: [x]
`,
		"mods/m/manifests/init.pp": `class m(Sensitive $pw1, Array $list, Hash $h) {
  notify { 'class': message => "pw1=${pw1} ${pw1.unwrap} list=${list} h=${h}" }
}
`,
	})
	src := `include m
notify { 'k': message => "${lookup('k')} ${lookup('k').unwrap} ${lookup('k', Any, 'unique').unwrap}" }
notify { 'h': message => "${lookup('h')}" }
notify { 'ha': message => "${lookup('ha')} ${lookup('hs')}" }
notify { 'm': message => "${lookup('m::list')} ${lookup('m::arr1')} ${lookup('m::arr1', Array, 'first')} ${lookup('m::pw1')}" }
`
	manifest := filepath.Join(dir, "env", "manifests", "site.pp")
	f, diags := parser.ParseFile(manifest, []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	opts := Options{Facts: testFacts, Version: "1", ModulePath: []string{filepath.Join(dir, "mods")}}
	cat, diags := Compile([]*parser.File{f}, opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{
		"pw1=Sensitive [value redacted] secret list=[env, mod] h={a => 1}",
		"Sensitive [value redacted] [b, c] [b, c, a]",
		"{x => [3, 2], y => {a => 1, b => , c => 3}, z => , w => []}",
		"{l => [{a => 1, c => 1}, {b => 1}]} {s => [1, 2, 3]}",
		"[env, mod] [y, x] [y] Sensitive [value redacted]",
	}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// A module gives options only for its own keys.
	writeTree(t, dir, map[string]string{"mods/m/data/common.yaml": "lookup_options:\n  other::x:\n    merge: unique\nm::pw1: s\n"})
	f, _ = parser.ParseFile(manifest, []byte("$x = lookup('m::pw1')\n"))
	_, diags = Compile([]*parser.File{f}, opts)
	if diff := cmp.Diff([]string{"1:6: lookup(): all lookup_options keys must start with module name 'm'"}, diagLines(diags, hcl.DiagError)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
