package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// compileWithModules writes files (paths relative to a module directory)
// and compiles src with that directory as the module path.
func compileWithModules(t *testing.T, files map[string]string, src string) (hcl.Diagnostics, []string) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, files)
	cat, diags := compileStdlibModules(t, dir, src)
	return diags, messages(cat)
}

// The expected texts are what Puppet 7 renders for the same templates.
func TestEPP(t *testing.T) {
	files := map[string]string{
		"m/templates/t.epp": `<%- | String $name, Integer $n = 2, Optional[String] $o = undef | -%>
<%# a comment -%>
Hi <%= $name %>, n=<%= $n %> o=<%= $o %>
  <%- [1,2].each |$i| { -%>
  item <%= $i %>
  <%- } -%>
literal <%% and %%> done
<% if $n > 1 { %>big<% } else { %>small<% } %>
top: <%= $facts['kernel'] %> <%= $x %>
`,
		"m/templates/free.epp": "<%= $a %>-<%= $b %>",
		"m/files/x":            "hello\n",
	}
	diags, got := compileWithModules(t, files, `$x = 'topx'
class c { $y = 'local' notify { 'i': message => inline_epp('y=<%= $y %> x=<%= $x %>') } }
include c
notify { 'e': message => epp('m/t.epp', {name => 'bob'}) }
notify { 'f': message => file('m/nope', 'm/x') }
notify { 'g': message => inline_epp("a\n  <%- \$z = 1 -%>\n  b <%= \$z %>\n") }
notify { 'h': message => epp('m/free.epp', {'a' => 1, 'b' => [2]}) }
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{
		"y=local x=topx",
		"Hi bob, n=2 o=\n  item 1\n  item 2\nliteral <% and %> done\nbig\ntop: Linux topx\n",
		"hello\n",
		"a\n  b 1\n",
		"1-[2]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	errs := []struct{ src, want string }{
		{"epp('m/t.epp', {n => 1})", "epp(): expects a value for parameter 'name'"},
		{"epp('m/t.epp', {name => 'a', zz => 1})", "epp(): has no parameter named 'zz'"},
		{"epp('m/t.epp', {name => 1})", "epp(): parameter 'name' expects a String value, got Integer"},
		{"epp('m/nope.epp')", "epp(): Could not find template 'm/nope.epp'"},
		{"file('m/nope')", "file(): Could not find any files from m/nope"},
		{"template('m/t.erb')", "template(): Could not find template 'm/t.erb'"}, // ERB runs now: stdlib_template.go
	}
	for _, tt := range errs {
		diags, _ := compileWithModules(t, files, tt.src+"\n")
		if diff := cmp.Diff([]string{"1:1: " + tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}

func TestEPPSyntaxErrorsAreLocated(t *testing.T) {
	_, diags := ParseEPP("bad.epp", []byte("line1\n<% if ) { %>\n"))
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != "bad.epp" || diags[0].Subject.Start.Line != 2 {
		t.Errorf("want an error on bad.epp line 2, got %v", diags)
	}
	_, diags = ParseEPP("open.epp", []byte("x <%= 1"))
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "missing %>") {
		t.Errorf("got %v", diags)
	}
}

// FuzzEPP: no template makes the EPP parser panic.
func FuzzEPP(f *testing.F) {
	for _, s := range []string{"", "a<%= 1 %>b", "<%- | $x = 1 | -%>\n<%# c %><%% %%>", "<% [1].each |$i| { %><%= $i %><% } -%>\n", "<%", "%>", "<%-|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, diags := ParseEPP("f.epp", []byte(src))
		if !diags.HasErrors() && tpl == nil {
			t.Fatal("no template and no error")
		}
		_ = slices.Clone(diags)
	})
}
