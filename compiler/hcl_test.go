package compiler

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// compileFiles compiles in-memory manifests, named by their file names
// (the extension says the syntax), in the order given, through the same
// pipeline as the CLI.
func compileFiles(t *testing.T, nameAndSrc ...string) (*catalog.Catalog, hcl.Diagnostics) {
	t.Helper()
	srcs := &Sources{Files: map[string][]byte{}}
	for i := 0; i+1 < len(nameAndSrc); i += 2 {
		srcs.add(nameAndSrc[i], []byte(nameAndSrc[i+1]))
	}
	return CompileSources(srcs, Options{Facts: testFacts, Version: "1", Settings: map[string]any{"manifestdir": "/srv"}})
}

// withoutLocations is a catalog's JSON without the version and the source
// locations, which differ between two syntaxes saying the same thing.
func withoutLocations(t *testing.T, cat *catalog.Catalog) any {
	t.Helper()
	data, err := json.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	delete(v, "version")
	for _, r := range v["resources"].([]any) {
		delete(r.(map[string]any), "file")
		delete(r.(map[string]any), "line")
	}
	return v
}

// TestHCLExamplesCompileLikePP proves that every HCL example says exactly
// what its .pp twin says: the same resources, parameters, tags, order and
// edges.
func TestHCLExamplesCompileLikePP(t *testing.T) {
	pps, _ := filepath.Glob("../examples/manifests/*.pp")
	if len(pps) == 0 {
		t.Fatal("no examples found")
	}
	for _, pp := range pps {
		hclPath := strings.TrimSuffix(pp, ".pp") + ".hcl"
		t.Run(filepath.Base(pp), func(t *testing.T) {
			compile := func(path string) any {
				srcs, err := ReadSources([]string{path}, "")
				if err != nil {
					t.Fatal(err)
				}
				cat, diags := CompileSources(srcs, Options{Facts: testFacts, Settings: ManifestSettings(path), Node: "n", ModulePath: []string{"../examples/modules"}})
				if diags.HasErrors() {
					t.Fatalf("%s: %v", path, diags)
				}
				return withoutLocations(t, cat)
			}
			if diff := cmp.Diff(compile(pp), compile(hclPath)); diff != "" {
				t.Errorf("%s and %s compile differently (-pp +hcl):\n%s", pp, hclPath, diff)
			}
		})
	}
}

func TestHCLAndPPInOneCatalog(t *testing.T) {
	cat, diags := compileFiles(t,
		"a.pp", `
define site::vhost($port) {
  file { "/etc/vhost/${title}": content => "port ${port}\n" }
}
notify { 'from-pp': message => 'pp', require => Notify['from-hcl'] }`,
		"b.hcl", `
notify "from-hcl" {
  message = "hcl on ${fact.os.family}"
}
notify "after" {
  require = [notify["from-pp"], file["/etc/vhost/www"]]
}`,
		"c.pp", `
site::vhost { 'www': port => 80 }`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, r := range cat.Resources {
		got = append(got, r.Ref().String()+"@"+r.File)
	}
	want := []string{"Notify[from-pp]@a.pp", "Notify[from-hcl]@b.hcl", "Notify[after]@b.hcl", "File[/etc/vhost/www]@a.pp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources in path order, then file order (-want +got):\n%s", diff)
	}
	if cat.Resources[1].Parameters["message"] != "hcl on Debian" {
		t.Errorf("message = %v", cat.Resources[1].Parameters["message"])
	}
	var edges []string
	for _, e := range cat.Edges {
		edges = append(edges, e.Source.String()+" -> "+e.Target.String())
	}
	wantEdges := []string{
		"Notify[from-hcl] -> Notify[from-pp]",
		"Notify[from-pp] -> Notify[after]",
		"File[/etc/vhost/www] -> Notify[after]",
	}
	if diff := cmp.Diff(wantEdges, edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

// wantDiag checks that diags hold exactly one error, at file:line:column,
// whose summary and detail contain every fragment.
func wantDiag(t *testing.T, diags hcl.Diagnostics, at string, fragments ...string) {
	t.Helper()
	errs := diags.Errs()
	if len(errs) != 1 {
		t.Fatalf("want one error, got %d: %v", len(errs), diags)
	}
	var d *hcl.Diagnostic
	for _, x := range diags {
		if x.Severity == hcl.DiagError {
			d = x
		}
	}
	if d.Subject == nil {
		t.Fatalf("error without a location: %v", d)
	}
	got := d.Subject.Filename + ":" + itoa(d.Subject.Start.Line) + ":" + itoa(d.Subject.Start.Column)
	if got != at {
		t.Errorf("error at %s, want %s: %v", got, at, d)
	}
	for _, f := range fragments {
		if !strings.Contains(d.Summary+" "+d.Detail, f) {
			t.Errorf("error %q does not say %q", d.Summary+" "+d.Detail, f)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestHCLErrors(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		at        string
		fragments []string
	}{
		{
			name: "duplicate across syntaxes names both places",
			files: []string{"a.pp", "file { '/etc/motd': content => 'a' }\n",
				"b.hcl", "\nfile \"/etc/motd\" {\n  content = \"b\"\n}\n"},
			at:        "b.hcl:2:6",
			fragments: []string{"Duplicate declaration: File[/etc/motd] is already declared at a.pp:1"},
		},
		{
			name: "duplicate by namevar across syntaxes",
			files: []string{"a.hcl", "file \"motd\" {\n  path = \"/etc/motd\"\n}\n",
				"b.pp", "\nfile { '/etc/motd': content => 'b' }\n"},
			at:        "b.pp:2:8",
			fragments: []string{"File[/etc/motd] is already declared at a.hcl:1"},
		},
		{
			name:      "reference to an undeclared resource",
			files:     []string{"a.hcl", "notify \"x\" {\n  require = [file[\"/nope\"]]\n}\n"},
			at:        "a.hcl:2:13",
			fragments: []string{"Could not find resource 'File[/nope]' in parameter 'require' of Notify[x]"},
		},
		{
			name:      "a type's validation points at the attribute",
			files:     []string{"a.hcl", "file \"/x\" {\n  content = \"x\"\n  mode    = \"rwxrwxrwx\"\n}\n"},
			at:        "a.hcl:3:13",
			fragments: []string{"Parameter mode failed on File[/x]"},
		},
		{
			name:      "unknown parameter of a defined type",
			files:     []string{"a.pp", "define thing($size) { }\n", "b.hcl", "thing \"t\" {\n  size = 1\n  colour = 2\n}\n"},
			at:        "b.hcl:3:3",
			fragments: []string{"colour"},
		},
		{
			name:      "unknown block type",
			files:     []string{"a.hcl", "fiel \"/x\" {\n}\n"},
			at:        "a.hcl:1:1",
			fragments: []string{"Unsupported block type", `Did you mean "file"?`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := compileFiles(t, tt.files...)
			wantDiag(t, diags, tt.at, tt.fragments...)
		})
	}
}

func TestHCLClassAndDefaults(t *testing.T) {
	cat, diags := compileFiles(t,
		"a.pp", "File { mode => '0600' }\nclass web($port = 80) { notify { \"port ${port}\": } }\n",
		"b.hcl", "class \"web\" {\n  port = 8080\n}\nfile \"/x\" {\n  content = \"x\"\n  require = class[\"web\"]\n}\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var titles []string
	for _, r := range cat.Resources {
		titles = append(titles, r.Ref().String())
		if r.Title == "/x" && r.Parameters["mode"] != "0600" {
			t.Errorf("a top-scope resource default of a .pp file applies to HCL resources too; mode = %v", r.Parameters["mode"])
		}
	}
	want := []string{"Notify[port 8080]", "File[/x]"}
	if diff := cmp.Diff(want, titles); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantEdges := []catalog.Edge{{Source: catalog.Ref{Type: "Notify", Title: "port 8080"}, Target: catalog.Ref{Type: "File", Title: "/x"}}}
	if diff := cmp.Diff(wantEdges, cat.Edges); diff != "" {
		t.Errorf("requiring a class requires what it contains (-want +got):\n%s", diff)
	}
}
