package compiler

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// testType is a resource type that exists only in these tests, so that the
// tests of required parameters and value validation do not depend on the
// details of a real type.
const testType = "gapply_ctest"

func init() {
	resources.Register(&resources.Type{
		Name: testType,
		Params: []resources.Param{
			{Name: "name", Namevar: true},
			{Name: "size", Required: true},
			{Name: "color"},
		},
		New: func(r *catalog.Resource) (resources.Resource, error) {
			if c, ok := r.Parameters["color"]; ok && c != "red" && c != "blue" {
				return nil, fmt.Errorf("invalid color %q: want red or blue", c)
			}
			return nil, nil
		},
	})
}

var testFacts = map[string]any{
	"kernel": "Linux",
	"os":     map[string]any{"family": "Debian", "release": map[string]any{"major": "12"}},
	"networking": map[string]any{
		"fqdn":     "web1.example.com",
		"hostname": "web1",
	},
	"processors": map[string]any{"count": 4},
}

// compileSrc parses src as site.pp and compiles it with testFacts; the log
// output goes to the returned buffer.
func compileSrc(t *testing.T, src string) (*catalog.Catalog, hcl.Diagnostics, *bytes.Buffer) {
	t.Helper()
	f, diags := parser.ParseFile("site.pp", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("parse: %v", diags)
	}
	var buf bytes.Buffer
	lg := log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})
	cat, cdiags := Compile([]*parser.File{f}, Options{Facts: testFacts, Version: "1", Log: lg})
	return cat, cdiags, &buf
}

// mustCompile compiles src and fails the test on any error.
func mustCompile(t *testing.T, src string) *catalog.Catalog {
	t.Helper()
	cat, diags, _ := compileSrc(t, src)
	if diags.HasErrors() {
		t.Fatalf("compile: %v", diags)
	}
	return cat
}

// messages returns each notify's message (or title) in catalog order.
func messages(cat *catalog.Catalog) []string {
	var out []string
	for _, r := range cat.Resources {
		if r.Type == "Notify" {
			m, ok := r.Parameters["message"]
			if !ok {
				m = r.Title
			}
			out = append(out, fmt.Sprint(m))
		}
	}
	return out
}

// edges formats the catalog's edges as "A -> B" or "A ~> B".
func edges(cat *catalog.Catalog) []string {
	var out []string
	for _, e := range cat.Edges {
		arrow := "->"
		if e.Refresh {
			arrow = "~>"
		}
		out = append(out, e.Source.String()+" "+arrow+" "+e.Target.String())
	}
	return out
}

// diagLines formats diagnostics as "line:col: summary".
func diagLines(diags hcl.Diagnostics, sev hcl.DiagnosticSeverity) []string {
	var out []string
	for _, d := range diags {
		if d.Severity != sev {
			continue
		}
		pos := "?:?"
		if d.Subject != nil {
			pos = fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		out = append(out, pos+": "+d.Summary)
	}
	return out
}

// TestValues evaluates expressions into notify messages: each case is the
// body of one message and its expected text.
func TestValues(t *testing.T) {
	tests := []struct{ expr, want string }{
		// interpolation and Puppet's to-string
		{`"${['a', 'b', 1, undef, {'k' => 'v'}]}"`, "[a, b, 1, , {k => v}]"},
		{`"x${undef}y"`, "xy"},
		{`[1.0, 2.5, 1e3].join(" ")`, "1.0 2.5 1000.0"}, // "${1.0}" is an error in Puppet: no variable can be named so
		{`"${facts['os']['family']} ${os['release']['major']} $kernel ${::kernel}"`, "Debian 12 Linux Linux"},
		{`"${File['/x']} ${[File['/y']]}"`, "File['/x'] [File['/y']]"},
		// arithmetic, with Ruby's rounding of integer division
		{`"${7 / 2} ${-7 / 2} ${-7 % 3} ${7 % -3} ${1 + 1.5} ${'3' + 4} ${2 * 3 - 1}"`, "3 -4 2 -2 2.5 7 5"},
		{`"${[1] + [2, 3]} ${[1, 2, 3] - [2]} ${[1] << 2}"`, "[1, 2, 3] [1, 3] [1, 2]"},
		{`"${{'a' => 1} + {'b' => 2, 'a' => 3}} ${{'a' => 1, 'b' => 2} - 'a'}"`, "{a => 3, b => 2} {b => 2}"},
		// comparison: strings compare case-insensitively
		{`"${'abc' == 'ABC'} ${'a' != 'A'} ${'b' < 'A'} ${1 == 1.0} ${'1' == 1} ${undef == ''}"`, "true false false true false false"},
		{`"${['A'] == ['a']} ${{'A' => 1} == {'a' => 1}} ${{'a' => 'X'} == {'a' => 'x'}}"`, "true false true"},
		{`"${'B' in ['a', 'b']} ${'bc' in 'ABCD'} ${'a' in {'a' => 1}} ${/^b/ in ['abc', 'bcd']} ${'z' in ['a']}"`, "true true true true false"},
		// truthiness: only false and undef are false
		{`"${!''} ${!0} ${!undef} ${!false} ${!true} ${true and 'x'} ${false or undef}"`, "false false true true false true false"},
		// access
		{`"${[1, 2, 3][-1]} ${[1, 2, 3, 4][1, 2]} ${'abcdef'[1, 3]} ${'abc'[-2]} ${{'a' => [1, 2]}['a'][0]} ${[1][5]}"`, "3 [2, 3] bcd b 1 "},
		// matching
		{`"${'foo' =~ /^f(o+)$/} ${'bar' !~ /^f/} ${'x' =~ 'x|y'} ${1 =~ Integer} ${'1' =~ Integer}"`, "true true true true false"},
		// selectors match case-insensitively, by regexp, by type, default
		{`'X' ? { 'x' => 'yes', default => 'no' }`, "yes"},
		{`'web12' ? { /^web(\d+)$/ => "n${1}", default => 'no' }`, "n12"},
		{`5 ? { String => 's', Integer => 'i' }`, "i"},
		{`'q' ? { 'a' => 1, default => 'dflt' }`, "dflt"},
		{`'A' ? { ['a'] => 1, default => 2 }`, "2"},
		// functions
		{`join([1, [2, 3], 'x'], '-')`, "1-2-3-x"},
		{`"${split('a,b,,c,,', ',')} ${split('a1b22c', /\d+/)}"`, "[a, b, , c] [a, b, c]"},
		{`"${upcase(['a', {'b' => 'c'}])} ${downcase('MiX')} ${capitalize('hELLO world')}"`, "[A, {B => C}] mix Hello world"},
		{`"${size('héllo')} ${length([1, 2])} ${size({'a' => 1})}"`, "5 2 1"},
		{`"${keys({'b' => 1, 'a' => 2})} ${values({'b' => 1, 'a' => 2})}"`, "[b, a] [1, 2]"},
		{`sprintf('%s|%5d|%-3s|%.2f|%p|%x|%s|%%', [1, 'a'], 42, 'x', 3.14159, 'q', 255, undef)`, `[1, "a"]|   42|x  |3.14|"q"|ff||%`},
		{`"${defined('$facts')} ${defined('$nope')} ${defined('notify')} ${defined(Notify)} ${defined('nope')}"`, "true false true true false"},
		{`"${'foo'.upcase} ${[1, 2].size}"`, "FOO 2"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			cat := mustCompile(t, "notify { 'm': message => "+tt.expr+" }\n")
			if got := messages(cat); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestControlFlow(t *testing.T) {
	src := `
$x = 'Debian'
if $x == 'debian' { notify { 'if': } } else { notify { 'not-if': } }
if $x == 'redhat' { notify { 'a': } } elsif $x =~ /^(De)(b)/ { notify { "elsif $1$2 $0": } } else { notify { 'b': } }
unless $x == 'redhat' { notify { 'unless': } }
unless $x == 'debian' { notify { 'x': } } else { notify { 'unless-else': } }
case $facts['os']['family'] {
  'redhat', 'centos': { notify { 'c-redhat': } }
  /^(deb|Deb)ian$/: { notify { "c-regex $1": } }
  default: { notify { 'c-default': } }
}
case 'zzz' { 'a': { notify { 'no': } } default: { notify { 'c-dflt': } } }
case 'B' { 'a', 'b': { notify { 'c-list': } } }
case 'Abc' { /^a(b)/: { notify { 'regexps are case-sensitive': } } }
case 'a' { ['a', 'b']: { notify { 'an array matches only an equal array': } } }
case ['a', 'B'] { ['A', 'b']: { notify { 'c-array': } } }
$l = ['x', 'y']
case 'Y' { *$l: { notify { 'c-splat': } } }
if true { $inner = 'set in if' }
notify { "after-if ${inner} [$1]": }
`
	cat, diags, _ := compileSrc(t, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{"if", "elsif Deb Deb", "unless", "unless-else", "c-regex Deb", "c-dflt", "c-list", "c-array", "c-splat", "after-if set in if []"}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	// The match variables do not outlive the if; using $1 after it is
	// not an unknown-variable warning.
	if w := diagLines(diags, hcl.DiagWarning); len(w) != 0 {
		t.Errorf("unexpected warnings: %q", w)
	}
}

func TestScoping(t *testing.T) {
	cat, diags, _ := compileSrc(t, `$a = 1
$b = "${a}${nope}"
notify { 'n': message => "${b}|${::a}|${::kernel}|${trusted['certname']}|${environment}" }
[$c, $d] = ['c', 'd']
notify { "${c}${d}": }
$a = 2
`)
	if got := messages(cat); !slices.Equal(got, []string{"1|1|Linux|web1.example.com|production", "cd"}) {
		t.Errorf("messages: %q", got)
	}
	if diff := cmp.Diff([]string{"6:1: Cannot reassign variable '$a'"}, diagLines(diags, hcl.DiagError)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2:13: Unknown variable: 'nope'."}, diagLines(diags, hcl.DiagWarning)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if cat.Name != "web1.example.com" || cat.Environment != "production" || cat.Version != "1" {
		t.Errorf("catalog header: %q %q %q", cat.Name, cat.Environment, cat.Version)
	}
}

// TestResources checks the catalog's JSON form for several bodies, title
// arrays, defaults, tags, relationships and evaluation order.
func TestResources(t *testing.T) {
	cat := mustCompile(t, `Notify { withpath => true }
notify { 'b': message => 'first'; ['c', 'a']: }
notify { 'd':
  withpath => false,
  tag      => ['Extra', 'more'],
  require  => Notify['b'],
  notify   => [Notify['c'], Notify['a']],
}
`)
	got, err := cat.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "name": "web1.example.com",
  "version": "1",
  "environment": "production",
  "resources": [
    {
      "type": "Notify",
      "title": "b",
      "parameters": {
        "message": "first",
        "name": "b",
        "withpath": true
      },
      "tags": [
        "notify",
        "class"
      ],
      "file": "site.pp",
      "line": 2
    },
    {
      "type": "Notify",
      "title": "c",
      "parameters": {
        "name": "c",
        "withpath": true
      },
      "tags": [
        "notify",
        "class"
      ],
      "file": "site.pp",
      "line": 2
    },
    {
      "type": "Notify",
      "title": "a",
      "parameters": {
        "name": "a",
        "withpath": true
      },
      "tags": [
        "notify",
        "class"
      ],
      "file": "site.pp",
      "line": 2
    },
    {
      "type": "Notify",
      "title": "d",
      "parameters": {
        "name": "d",
        "withpath": false
      },
      "tags": [
        "notify",
        "extra",
        "more",
        "class"
      ],
      "file": "site.pp",
      "line": 3
    }
  ],
  "edges": [
    {
      "source": "Notify[b]",
      "target": "Notify[d]"
    },
    {
      "source": "Notify[d]",
      "target": "Notify[c]",
      "refresh": true
    },
    {
      "source": "Notify[d]",
      "target": "Notify[a]",
      "refresh": true
    }
  ]
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
}

func TestDefaultsApplyAfterDeclaration(t *testing.T) {
	cat := mustCompile(t, `notify { 'before': }
Notify { message => 'from default' }
notify { 'after': }
notify { 'own': message => 'own' }
`)
	if diff := cmp.Diff([]string{"before", "from default", "own"}, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

// TestDefinedTypeDefaults: `Type { }` defaults also reach instances of a
// defined type, inner scopes first, and a body's own value wins.
func TestDefinedTypeDefaults(t *testing.T) {
	cat := mustCompile(t, `define web::site($port = 80, $docroot = '/srv') {
  notify { "${title} ${port} ${docroot}": }
}
Web::Site { port => 8080 }
class inner { Web::Site { docroot => '/var/www' } web::site { 'b': } }
include inner
web::site { 'a': }
web::site { 'c': port => 443 }
`)
	want := []string{"b 8080 /var/www", "a 8080 /srv", "c 443 /srv"}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestChains(t *testing.T) {
	cat := mustCompile(t, `notify { 'a': } -> notify { 'b': } ~> Notify['c']
notify { 'c': }
Notify['d'] <- Notify['c']
Notify['d'] <~ [Notify['a'], Notify['b']]
notify { 'd': subscribe => 'Notify[a]' }
Notify['a'] -> Notify['b']
`)
	want := []string{
		"Notify[a] -> Notify[b]",
		"Notify[b] ~> Notify[c]",
		"Notify[c] -> Notify[d]",
		"Notify[a] ~> Notify[d]",
		"Notify[b] ~> Notify[d]",
	}
	if diff := cmp.Diff(want, edges(cat)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

// TestErrors checks each compile error's position and message; one
// manifest can report several.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"duplicate", "notify { 'x': }\n\nnotify { 'x': }\n",
			[]string{"3:10: Duplicate declaration: Notify[x] is already declared at site.pp:1; cannot redeclare"}},
		{"duplicate in title array", "notify { ['x', 'x']: }\n",
			[]string{"1:10: Duplicate declaration: Notify[x] is already declared at site.pp:1; cannot redeclare"}},
		{"missing reference in metaparam", "notify { 'x':\n  require => Notify['nope'],\n}\n",
			[]string{"2:3: Could not find resource 'Notify[nope]' in parameter 'require' of Notify[x]"}},
		{"missing chain target", "notify { 'a': } -> Notify['nope']\n",
			[]string{"1:17: Could not find resource 'Notify[nope]' for relationship from 'Notify[a]'"}},
		{"missing chain source", "Notify['nope'] -> notify { 'a': }\n",
			[]string{"1:16: Could not find resource 'Notify[nope]' for relationship on 'Notify[a]'"}},
		{"unknown type", "notify { 'a': }\nfoo { 'a': }\n",
			[]string{"2:1: Unknown resource type: 'foo'"}},
		{"unknown parameter", "notify { 'a':\n  mesage => 'x',\n  bogus_thing => 1,\n}\n",
			[]string{
				"2:3: unknown parameter 'mesage' for Notify (did you mean 'message'?)",
				"3:3: unknown parameter 'bogus_thing' for Notify",
			}},
		{"unknown parameter in defaults", "Notify { mesage => 'x' }\n",
			[]string{"1:10: unknown parameter 'mesage' for Notify (did you mean 'message'?)"}},
		{"unknown parameter in defaults of a defined type", "define d($port = 1) { }\nD { prot => 2 }\nd { 'x': }\n",
			[]string{"2:5: unknown parameter 'prot' for D[x] (did you mean 'port'?)"}},
		{"defaults of an unknown type", "Nosuch { a => 1 }\n",
			[]string{"1:1: Unknown resource type: 'nosuch'"}},
		{"missing required", testType + " { 'a': color => 'red' }\n",
			[]string{"1:16: Gapply_ctest[a]: expects a value for parameter 'size'"}},
		{"validation by the type", testType + " { 'a': size => 1, color => 'green' }\n",
			[]string{`1:16: Gapply_ctest[a]: invalid color "green": want red or blue`}},
		{"fail", "if true {\n  fail(\"boom ${kernel}\")\n}\n",
			[]string{"2:3: Evaluation Error: boom Linux"}},
		{"unknown function", "$x = nosuchfn(1)\n",
			[]string{"1:6: Unknown function: 'nosuchfn'."}},
		{"access on undef", "$x = $facts['nope']['deeper']\n",
			[]string{"1:6: Operator '[]' is not applicable to an Undef Value."}},
		{"comparison", "$x = 'a' < 1\n",
			[]string{"1:6: Comparison of: String < Integer, is not possible. Caused by 'A String is not comparable to a non String'."}},
		{"division by zero", "$x = 1 / 0\n",
			[]string{"1:6: Division by 0"}},
		{"no selector match", "$x = 'a' ? { 'b' => 1 }\n",
			[]string{"1:6: No matching entry for selector parameter with value 'a'"}},
		{"several errors in one run", "foo { 'a': }\nnotify { 'b': mesage => 1 }\n$y = nosuch()\nnotify { 'b': }\n",
			[]string{
				"1:1: Unknown resource type: 'foo'",
				"2:15: unknown parameter 'mesage' for Notify (did you mean 'message'?)",
				"3:6: Unknown function: 'nosuch'.",
				"4:10: Duplicate declaration: Notify[b] is already declared at site.pp:2; cannot redeclare",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := compileSrc(t, tt.src)
			if diff := cmp.Diff(tt.want, diagLines(diags, hcl.DiagError)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "site.pp" {
					t.Errorf("diagnostic %q has no location in site.pp", d.Summary)
				}
			}
		})
	}
}

func TestLogFunctions(t *testing.T) {
	_, diags, buf := compileSrc(t, `notice('hello', 1, [2])
warning("careful ${kernel}")
debug('details')
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out := buf.String()
	for _, want := range []string{"INFO hello 1 [2]", "WARN careful Linux", "DEBU details"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output %q lacks %q", out, want)
		}
	}
}

func TestEvalErrorIsDiagnostic(t *testing.T) {
	err := errorf(hcl.Range{Filename: "a.pp", Start: hcl.Pos{Line: 2, Column: 3}}, "bad %s", "thing")
	var ee *evalError
	if !errors.As(err, &ee) || ee.diag.Summary != "bad thing" || ee.diag.Subject.Start.Line != 2 {
		t.Fatalf("errorf returned %#v", err)
	}
}

// TestAliases checks that a resource can be referenced by its namevar or
// alias, and that no two resources share one (except execs).
func TestAliases(t *testing.T) {
	cat := mustCompile(t, `notify { 'm': name => 'other', alias => 'mm' }
notify { 'n': require => [Notify['other'], Notify['mm']] }
exec { 'a': command => '/bin/true' }
exec { 'b': command => '/bin/true' }
`)
	if diff := cmp.Diff([]string{"Notify[m] -> Notify[n]"}, edges(cat)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	_, diags, _ := compileSrc(t, "notify { 'm': name => 'x' }\nnotify { 'x': }\nnotify { 'y': alias => 'm' }\n")
	want := []string{
		"2:10: Duplicate declaration: Notify[x] is already declared at site.pp:1; cannot redeclare",
		"3:10: Duplicate declaration: Notify[m] is already declared at site.pp:1; cannot redeclare",
	}
	if diff := cmp.Diff(want, diagLines(diags, hcl.DiagError)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestInterpolation(t *testing.T) {
	cat := mustCompile(t, `$s = 'x'
$h = {'a' => ['first', 'second']}
$n = 3
notify { 'a': message => "${s}a $s[0] ${h['a'][-1]} ${h[a][0]} ${$n + 1} ${n == 3} ${s.upcase} \${s} ${upcase($s)}" }
$t = @("END")
    Hi ${s}
    $h
    | END
notify { 'b': message => $t }
notify { 'c': message => @(RAW) }
  no $interpolation
  | RAW
`)
	want := []string{"xa x[0] second first 4 false X ${s} X", "Hi x\n{a => [first, second]}\n", "no $interpolation\n"}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestIteration(t *testing.T) {
	cat := mustCompile(t, `$x = 'outer'
['a', 'b'].each |$v| { notify { "each ${v} ${x}": } }
each({'k' => 1}) |$k, $v| { notify { "hash ${k}=${v}": } }
[10, 20].each |$i, $v| { $local = $i * 2 notify { "index ${i} ${v} ${local}": } }
$m = [1, 2, 3].map |$v| { $v * 10 }
$f = {'a' => 1, 'b' => 2}.filter |$k, $v| { $v > 1 }
$r = [1, 2, 3].reduce |$memo, $v| { $memo + $v }
$r2 = reduce([1, 2], 100) |$memo, $v| { $memo + $v }
notify { "m ${m} f ${f} r ${r} ${r2} ${[1, 2, 3, 4].filter |$v| { $v % 2 == 0 }}": }
`)
	want := []string{"each a outer", "each b outer", "hash k=1", "index 0 10 0", "index 1 20 2",
		"m [10, 20, 30] f {b => 2} r 6 103 [2, 4]"}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}
