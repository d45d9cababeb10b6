package compiler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// rubyModules holds the gadget module, whose widget type is Ruby.
var rubyModules = filepath.Join("testdata", "rubytypes", "modules")

// compileIn compiles src as the manifest file with the module path mp.
func compileIn(t *testing.T, file, src string, mp ...string) (*catalog.Catalog, hcl.Diagnostics) {
	t.Helper()
	f, diags := parser.ParseFile(file, []byte(src))
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	return Compile([]*parser.File{f}, Options{Facts: testFacts, Version: "1", ModulePath: mp})
}

func TestRubyTypeDeclarations(t *testing.T) {
	cat, diags := compileIn(t, "site.pp", `include gadget
Widget { owner => 'ops' }
widget { 'w2':
  ensure   => stopped,
  serial   => '12',
  force    => yes,
  provider => fake,
  require  => Widget['main'],
}
@widget { 'virtual': size => small }
Widget <| title == 'virtual' |>
if defined('widget') and defined(Widget['main']) { notify { 'known': } }
`, rubyModules)
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	got := map[string]map[string]any{}
	for _, r := range cat.Resources {
		got[r.Ref().String()] = r.Parameters
	}
	want := map[string]map[string]any{
		"Widget[main]":    {"label": "main", "ensure": "present", "colors": []any{"red", "green"}, "size": "big"},
		"Widget[w2]":      {"label": "w2", "ensure": "stopped", "serial": "12", "force": "yes", "provider": "fake", "owner": "ops"},
		"Widget[virtual]": {"label": "virtual", "size": "small", "owner": "ops"},
		"Notify[known]":   {"name": "known"},
	}
	for ref, params := range want {
		if diff := cmp.Diff(params, got[ref]); diff != "" {
			t.Errorf("%s parameters (-want +got):\n%s", ref, diff)
		}
	}
	if !slices.ContainsFunc(cat.Edges, func(e catalog.Edge) bool {
		return e.Source.String() == "Widget[main]" && e.Target.String() == "Widget[w2]"
	}) {
		t.Errorf("no edge Widget[main] -> Widget[w2] in %v", cat.Edges)
	}
}

func TestRubyTypeErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"widget { 'w':\n  colours => ['red'],\n}",
			"2:3: unknown parameter 'colours' for Widget (did you mean 'colors'?)"},
		{"widget { 'w': size => medium }",
			`1:10: Widget[w]: Parameter size failed on Widget[w]: Invalid value "medium". Valid values are small, large.`},
		{"widget { 'w': colors => [red], size => [small, 'huge'] }",
			`Parameter size failed on Widget[w]: Invalid value "huge". Valid values are small, large.`},
		{"widget { 'w': ensure => 'Present' }",
			`Parameter ensure failed on Widget[w]: Invalid value "Present". Valid values are present, absent, stopped.`},
		{"Widget { nosuch => 1 }", "1:10: unknown parameter 'nosuch' for Widget"},
		{"widget { 'a': label => 'x' }\nwidget { 'b': label => 'x' }",
			"2:10: Duplicate declaration: Widget[x] is already declared at site.pp:1; cannot redeclare"},
		{"gizmo { 'g': }", "1:1: Unknown resource type: 'gizmo'"},
	} {
		_, diags := compileIn(t, "site.pp", tt.src, rubyModules)
		if got := strings.Join(diagLines(diags, hcl.DiagError), "\n"); !strings.Contains(got, tt.want) {
			t.Errorf("%s:\ngot  %v\nwant %s", tt.src, diags, tt.want)
		}
	}
}

// A module's Ruby type without a provider has no provider parameter, as in
// Puppet, which adds it with the first provider.
func TestRubyTypeProviderParameter(t *testing.T) {
	mp := t.TempDir()
	writeTree(t, mp, map[string]string{
		"README.md":                     "a file beside the modules is no module\n",
		"m/lib/puppet/type/sprocket.rb": "Puppet::Type.newtype(:sprocket) do\n  newparam(:name, namevar: true)\n  newproperty(:teeth)\nend\n",
	})
	_, diags := compileIn(t, "site.pp", "sprocket { 's': teeth => 3, provider => x }", mp)
	if want := "unknown parameter 'provider' for Sprocket"; !strings.Contains(diags.Error(), want) {
		t.Errorf("got %v, want %s", diags, want)
	}
}

// The environment's generated Pcore form (puppet generate types) is used
// rather than the module's Ruby, as Puppet does.
func TestRubyTypeGeneratedPcore(t *testing.T) {
	env := t.TempDir()
	writeTree(t, env, map[string]string{".resource_types/widget.pp": `# generated
Puppet::Resource::ResourceType3.new(
  'widget',
  [
    Puppet::Resource::Param(Enum['present', 'absent'], 'ensure'),
    Puppet::Resource::Param(Any, 'tint')
  ],
  [
    Puppet::Resource::Param(Any, 'label', true),
    Puppet::Resource::Param(Any, 'provider')
  ],
  {
    /(?m-ix:(.*))/ => ['label']
  },
  true,
  false)
`})
	site := filepath.Join(env, "manifests", "site.pp")
	cat, diags := compileIn(t, site, "widget { 'w': tint => blue }", rubyModules)
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	if got := cat.Resources[0].Parameters; got["label"] != "w" || got["tint"] != "blue" {
		t.Errorf("parameters %v, want label w and tint blue", got)
	}
	_, diags = compileIn(t, site, "widget { 'w': colors => [] }", rubyModules)
	if want := "unknown parameter 'colors' for Widget"; !strings.Contains(diags.Error(), want) {
		t.Errorf("got %v, want %s (the generated form wins)", diags, want)
	}
	writeTree(t, env, map[string]string{".resource_types/widget.pp": "Puppet::Resource::ResourceType3.new('gizmo', [], [])\n"})
	_, diags = compileIn(t, site, "widget { 'w': }", rubyModules)
	pcore := filepath.Join(env, ".resource_types", "widget.pp")
	if want := pcore + ":1:37: expected the type name 'widget'"; !slices.ContainsFunc(diags, func(d *hcl.Diagnostic) bool {
		return strings.HasPrefix(located(&evalError{d}), want) && strings.Contains(d.Detail, "used at "+site+":1")
	}) {
		t.Errorf("got %v, want %s", diags, want)
	}
}

// located formats an error as file:line:column: message.
func located(err error) string {
	var ee *evalError
	if !errors.As(err, &ee) {
		return fmt.Sprint(err)
	}
	r := ee.diag.Subject
	return fmt.Sprintf("%s:%d:%d: %s", r.Filename, r.Start.Line, r.Start.Column, ee.diag.Summary)
}

func TestScanRubyType(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(rubyModules, "gadget", "lib", "puppet", "type", "widget.rb"))
	if err != nil {
		t.Fatal(err)
	}
	params, err := scanRubyType("widget.rb", string(src), "widget")
	if err != nil {
		t.Fatal(err)
	}
	want := []rubyParam{
		{name: "ensure", property: true, values: []string{"present", "absent", "stopped"}},
		{name: "label", namevar: true, anyValue: true}, // its own validate block
		{name: "colors", property: true},
		{name: "size", property: true, values: []string{"small", "large"}, aliases: []string{"big"}},
		{name: "serial", property: true, anyValue: true},
		{name: "force", anyValue: true},
		{name: "owner"},
	}
	if diff := cmp.Diff(want, params, cmp.AllowUnexported(rubyParam{})); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
}

func TestScanRubyTypeRefuses(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"Puppet::Type.newtype(:t) do\n  [:a, :b].each do |n|\n    newparam(n)\n  end\nend\n",
			"t.rb:3:14: the parameter is named by 'n', not by a symbol or a string (t.rb cannot be read without running Ruby)"},
		{"Puppet::Type.newtype(:t) do\n  newparam(\"x#{1}\")\nend\n",
			"t.rb:2:12: the parameter is named by string, not by a symbol or a string"},
		{"Puppet::Type.newtype(:t, :parent => Puppet::Type::File) do\nend\n",
			"t.rb:1:22: type t inherits the parameters of a parent type"},
		{"Puppet::Type.newtype(:other) do\nend\n", "t.rb:1:22: the file for type t defines type other"},
		{"Puppet::Type.newtype(:t) do\n  @doc = <<-EOS\n  never ends\nend\n", "t.rb:2:10: heredoc EOS has no terminator"},
		{"Puppet::Type.newtype(:t) do\n  desc 'open\nend\n", "t.rb:2:8: string has no closing '\\''"},
		{"Puppet::Type.newtype(:t) do\n  isnamevar\nend\n", "t.rb:2:3: isnamevar is outside of a parameter"},
		{"# Puppet::Type.newtype(:t)\nmodule X; end\n", "t.rb:1:1: t.rb does not define the type with Puppet::Type.newtype(:t)"},
		{"Puppet::ResourceApi.register_type(name: 't', attributes: {})\n", "written for the Resource API"},
	} {
		_, err := scanRubyType("t.rb", tt.src, "t")
		if got := located(err); !strings.Contains(got, tt.want) {
			t.Errorf("%q:\ngot  %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

// The lexer tells code from strings, regexps, heredocs and comments where
// Ruby's syntax is ambiguous.
func TestRubyLexer(t *testing.T) {
	src := `a = b / c # newparam(:x)
x = y % 3; s = %w[newparam] ; r = %r{a{2}#{ "}" }}
desc <<~EOS
  newparam(:in_heredoc)
EOS
list << :sym
ok = v =~ /new#{"param"}(:y)/i ? "a\"b" : 'c\'d'
=begin
newparam(:in_comment)
=end
opts = { namevar: true, :parent => X::Y }
__END__
newparam(:after_end)
`
	toks, err := newRubyLexer("t.rb", src).all()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		if tk.kind != rubyNewline {
			got = append(got, tk.String())
		}
	}
	want := []string{
		"'a'", "'='", "'b'", "'/'", "'c'",
		"'x'", "'='", "'y'", "'%'", "'3'", "'s'", "'='", "% literal", "'r'", "'='", "regexp",
		"'desc'", "string",
		"'list'", "'<<'", ":sym",
		"'ok'", "'='", "'v'", "'=~'", "regexp", "'?'", "string", "':'", "string",
		"'opts'", "'='", "'{'", "namevar:", "'true'", "','", ":parent", "'=>'", "'X'", "'::'", "'Y'", "'}'",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}
