package hclmanifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

var testFacts = map[string]any{
	"os":         map[string]any{"family": "Debian", "release": map[string]any{"major": "12"}},
	"networking": map[string]any{"hostname": "web1"},
	"processors": map[string]any{"count": 4},
	"role":       "db", // an external fact is just another top-level fact
}

// decode parses and decodes one manifest named site.hcl.
func decode(t *testing.T, src string, cfg Config) ([]*Resource, hcl.Diagnostics) {
	t.Helper()
	return decodeFile(t, "site.hcl", src, cfg)
}

func decodeFile(t *testing.T, name, src string, cfg Config) ([]*Resource, hcl.Diagnostics) {
	t.Helper()
	f, diags := Parse(name, []byte(src))
	if diags.HasErrors() {
		return nil, diags
	}
	if cfg.Facts == nil {
		cfg.Facts = testFacts
	}
	m, diags := Load([]*File{f}, cfg)
	res, d := m.Resources(f)
	return res, append(diags, d...)
}

// summary is "Type[title] attr=value ..." for each resource, values in
// Go syntax, so tests compare the whole decoded result in one string.
func summary(res []*Resource) []string {
	var out []string
	for _, r := range res {
		s := r.Type + "[" + r.Title + "]"
		for _, a := range r.Attrs {
			s += fmt.Sprintf(" %s=%#v", a.Name, a.Value)
		}
		out = append(out, s)
	}
	return out
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "attributes in source order, whole numbers as int64",
			src:  "file \"/etc/motd\" {\n  mode = \"0644\"\n  content = \"hi\"\n  backup = false\n}\nexec \"x\" {\n  timeout = 1.5\n  tries = 3\n}\n",
			want: []string{
				`file[/etc/motd] mode="0644" content="hi" backup=false`,
				`exec[x] timeout=1.5 tries=3`,
			},
		},
		{
			name: "facts, nested and external",
			src:  `notify "n" { message = "${fact.os.family} ${fact.os.release.major} ${fact.processors.count} ${fact.role}" }`,
			want: []string{`notify[n] message="Debian 12 4 db"`},
		},
		{
			name: "settings",
			src:  `exec "x" { cwd = setting.manifestdir }`,
			want: []string{`exec[x] cwd="/srv/site"`},
		},
		{
			name: "references alone, in lists, computed, in conditionals and for expressions",
			src: `
locals { names = ["a", "b"] }
notify "n" {
  require   = file["/x"]
  before    = [exec["e"], notify["m"]]
  notify    = fact.os.family == "Debian" ? [service["apt-${fact.role}"]] : []
  subscribe = [for n in local.names : file["/etc/${n}"]]
}`,
			want: []string{`notify[n] require=catalog.Ref{Type:"File", Title:"/x"} before=[]interface {}{catalog.Ref{Type:"Exec", Title:"e"}, catalog.Ref{Type:"Notify", Title:"m"}} notify=[]interface {}{catalog.Ref{Type:"Service", Title:"apt-db"}} subscribe=[]interface {}{catalog.Ref{Type:"File", Title:"/etc/a"}, catalog.Ref{Type:"File", Title:"/etc/b"}}`},
		},
		{
			name: "a reference may be written as a string",
			src:  `notify "n" { require = ["File[/x]"] }`,
			want: []string{`notify[n] require=[]interface {}{"File[/x]"}`},
		},
		{
			name: "variables and locals, in any order",
			src: `
locals {
  b = "${local.a}-b"
  a = upper(var.x)
}
variable "x" { default = "v" }
notify "n" { message = local.b }`,
			want: []string{`notify[n] message="V-b"`},
		},
		{
			name: "for_each over a map, a set and a list",
			src: `
notify "m" {
  for_each = { web = 80, db = 5432 }
  message  = "${each.key}:${each.value}"
}
notify "s" {
  for_each = toset(["b", "a", "b"])
  message  = each.value
}
notify "l" {
  for_each = ["x"]
  message  = each.key
}`,
			want: []string{
				`notify[m[db]] message="db:5432"`, `notify[m[web]] message="web:80"`,
				`notify[s[a]] message="a"`, `notify[s[b]] message="b"`,
				`notify[l[x]] message="x"`,
			},
		},
		{
			name: "stdlib functions",
			src: `notify "n" {
  message = format("%s|%s|%s|%d|%s|%s|%s", join(",", split(":", "a:b")), lower("X"), replace("aXa", "X", "-"),
    length(keys(merge({a = 1}, {b = 2}))), jsonencode(concat(["x"], values({k = "y"}))), tostring(contains(["a"], "a")),
    try(fact.nope, "fallback"))
}`,
			want: []string{`notify[n] message="a,b|x|a-a|2|[\"x\",\"y\"]|true|fallback"`},
		},
		{
			name: "null means not set",
			src:  `file "/x" { content = fact.os.family == "RedHat" ? "x" : null }`,
			want: []string{`file[/x] content=<nil>`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := decode(t, tt.src, Config{Settings: map[string]any{"manifestdir": "/srv/site"}})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tt.want, summary(res)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileAndEPP(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "motd.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `
file "/etc/motd" { content = file("motd.txt") }
file "/etc/app" { content = epp("app.epp", { port = 80 }) }`
	var gotPath string
	var gotParams map[string]any
	cfg := Config{EPP: func(path string, params map[string]any) (string, error) {
		gotPath, gotParams = path, params
		return "rendered", nil
	}}
	res, diags := decodeFile(t, filepath.Join(dir, "site.hcl"), src, cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{`file[/etc/motd] content="hello\n"`, `file[/etc/app] content="rendered"`}
	if diff := cmp.Diff(want, summary(res)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// No app.epp beside the manifest: the path goes to the compiler as
	// written, for a module lookup.
	if gotPath != "app.epp" || gotParams["port"] != int64(80) {
		t.Errorf("epp called with %q %v", gotPath, gotParams)
	}

	_, diags = decodeFile(t, filepath.Join(dir, "site.hcl"), `file "/x" { content = epp("t.epp") }`, Config{})
	wantError(t, diags, "site.hcl:1:23", "EPP templates are not available")
	_, diags = decodeFile(t, filepath.Join(dir, "site.hcl"), `file "/x" { content = file("missing") }`, Config{})
	wantError(t, diags, "site.hcl:1:23", "missing")
}

// wantError checks that diags hold exactly one error, at the position
// (the file's base name:line:column), saying every fragment.
func wantError(t *testing.T, diags hcl.Diagnostics, at string, fragments ...string) {
	t.Helper()
	if len(diags.Errs()) != 1 {
		t.Fatalf("want one error, got %v", diags)
	}
	d := diags[0]
	for _, x := range diags {
		if x.Severity == hcl.DiagError {
			d = x
		}
	}
	if d.Subject == nil {
		t.Fatalf("error without a location: %v", d)
	}
	got := fmt.Sprintf("%s:%d:%d", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
	if got != at {
		t.Errorf("error at %s, want %s: %v", got, at, d)
	}
	for _, f := range fragments {
		if !strings.Contains(d.Summary+": "+d.Detail, f) {
			t.Errorf("error %q does not say %q", d.Summary+": "+d.Detail, f)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, at string
		fragments     []string
	}{
		{"syntax", "file \"/x\" {\n  content = \"x\"\n", "site.hcl:1:11", []string{"Unclosed configuration block"}},
		{"top-level attribute", "content = \"x\"\n", "site.hcl:1:1", []string{"Unsupported argument", "top level"}},
		{"no title", "file {\n}\n", "site.hcl:1:1", []string{"Wrong number of labels", "exactly one label"}},
		{"two titles", "file \"a\" \"b\" {\n}\n", "site.hcl:1:10", []string{"Wrong number of labels"}},
		{"empty title", "file \"\" {\n}\n", "site.hcl:1:6", []string{"Empty title"}},
		{"labels on locals", "locals \"x\" {\n}\n", "site.hcl:1:8", []string{"takes no labels"}},
		{"unknown block type", "\nfiel \"/x\" {\n}\n", "site.hcl:2:1", []string{"Unsupported block type", `"fiel"`, `Did you mean "file"?`}},
		{"unknown attribute", "file \"/x\" {\n  mdoe = \"0644\"\n}\n", "site.hcl:2:3", []string{"Unsupported argument", `"mdoe"`, `Did you mean "mode"?`}},
		{"unknown attribute, nothing close", "file \"/x\" {\n  xyzzy = 1\n}\n", "site.hcl:2:3", []string{"Unsupported argument"}},
		{"nested block", "file \"/x\" {\n  meta {\n  }\n}\n", "site.hcl:2:3", []string{"Unsupported block type"}},
		{"reference of a wrong type", "notify \"n\" {\n  require = \"motd\"\n}\n", "site.hcl:2:13", []string{"Incorrect attribute value type", "resource reference"}},
		{"noop of a wrong type", "notify \"n\" {\n  noop = \"yes\"\n}\n", "site.hcl:2:10", []string{"a bool is required"}},
		{"undeclared variable", "notify \"n\" {\n  message = var.nope\n}\n", "site.hcl:2:16", []string{"Unsupported attribute"}},
		{"unknown fact", "notify \"n\" {\n  message = fact.os.nope\n}\n", "site.hcl:2:20", []string{"Unsupported attribute", "nope"}},
		{"unknown function", "notify \"n\" {\n  message = joinn(\",\", [])\n}\n", "site.hcl:2:13", []string{"Call to unknown function", `"join"`}},
		{"bare type name", "notify \"n\" {\n  require = file\n}\n", "site.hcl:2:13", []string{"Unknown variable"}},
		{"each outside for_each", "notify \"n\" {\n  message = each.key\n}\n", "site.hcl:2:13", []string{"Unknown variable"}},
		{"for_each of a wrong type", "notify \"n\" {\n  for_each = 3\n}\n", "site.hcl:2:14", []string{"Invalid for_each argument", "number"}},
		{"for_each of non-strings", "notify \"n\" {\n  for_each = [[1]]\n}\n", "site.hcl:2:14", []string{"Invalid for_each argument"}},
		{"variable of a wrong type", "variable \"port\" {\n  type = number\n  default = \"eighty\"\n}\n", "site.hcl:3:13", []string{"Invalid value for variable", "number"}},
		{"variable without value", "variable \"port\" {\n}\n", "site.hcl:1:10", []string{"No value for required variable"}},
		{"variable attribute", "variable \"port\" {\n  default = 1\n  descripton = \"x\"\n}\n", "site.hcl:3:3", []string{`Did you mean "description"?`}},
		{"duplicate variable", "variable \"a\" {\n  default = 1\n}\nvariable \"a\" {\n  default = 2\n}\n", "site.hcl:4:10", []string{"Duplicate variable", "site.hcl:1"}},
		{"duplicate local", "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n", "site.hcl:5:3", []string{"Duplicate local value"}},
		{"cycle in locals", "locals {\n  a = local.a\n}\n", "site.hcl:2:3", []string{"Cycle in local values", "local.a"}},
		{"object in a list attribute", "file \"/x\" {\n  content = { a = file[\"/y\"] }\n}\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := decode(t, tt.src, Config{})
			if tt.at == "" {
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				return
			}
			wantError(t, diags, tt.at, tt.fragments...)
		})
	}
}

func TestVariablesGiven(t *testing.T) {
	src := "variable \"port\" {\n  type = number\n  default = 80\n}\nnotify \"n\" { message = \"${var.port + 1}\" }\n"
	res, diags := decode(t, src, Config{Variables: map[string]any{"port": "8080"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff([]string{`notify[n] message=8081`}, summary(res)); diff != "" {
		t.Errorf("a given value, converted to the variable's type, wins over the default (-want +got):\n%s", diff)
	}
}

func TestDefinedTypes(t *testing.T) {
	cfg := Config{IsType: func(name string) bool { return name == "vhost" }}
	res, diags := decode(t, "vhost \"www\" {\n  anything = 1\n}\nnotify \"n\" {\n  require = vhost[\"www\"]\n}\n", cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{`vhost[www] anything=1`, `notify[n] require=catalog.Ref{Type:"Vhost", Title:"www"}`}
	if diff := cmp.Diff(want, summary(res)); diff != "" {
		t.Errorf("the compiler's types are blocks and references; it checks their attributes (-want +got):\n%s", diff)
	}
}

func TestRanges(t *testing.T) {
	res, diags := decode(t, "\nfile \"/x\" {\n  content = \"x\"\n}\n", Config{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := res[0]
	got := fmt.Sprintf("%d:%d %d:%d %d:%d-%d:%d %d:%d", r.TitleRange.Start.Line, r.TitleRange.Start.Column,
		r.Attrs[0].NameRange.Start.Line, r.Attrs[0].NameRange.Start.Column,
		r.Range.Start.Line, r.Range.Start.Column, r.Range.End.Line, r.Range.End.Column,
		r.Attrs[0].ValueRange.Start.Line, r.Attrs[0].ValueRange.Start.Column)
	if got != "2:6 3:3 2:1-4:2 3:13" {
		t.Errorf("ranges %s", got)
	}
}

// refType values compare by the reference they hold.
func TestRefValues(t *testing.T) {
	a, b := refVal(catalog.Ref{Type: "File", Title: "/x"}), refVal(catalog.Ref{Type: "File", Title: "/x"})
	if !a.Equals(b).True() || !a.RawEquals(b) || a.Equals(refVal(catalog.Ref{Type: "File", Title: "/y"})).True() {
		t.Error("references do not compare by value")
	}
}
