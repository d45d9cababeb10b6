package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// TestStdlibFunctions: the expected texts are what puppetlabs-stdlib gives
// for the same calls; the random ones and the JSON and YAML ones were
// computed with the Ruby code Puppet runs (Random, JSON, Psych) for the
// test fqdn web1.example.com.
func TestStdlibFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`"${pick(undef, '', 'a', 'b')} ${stdlib::pick('', 0)}"`, "a 0"},
		{`"${pick_default(undef, '')}|${pick_default(undef, 'x')}"`, "|x"},
		{`"${deep_merge({a => {b => 1, c => 2}, x => 1}, {a => {c => 3}}, undef, '')}"`, "{a => {b => 1, c => 3}, x => 1}"},
		{`"${stdlib::merge({a => 1}, {a => 2, b => 3})}"`, "{a => 2, b => 3}"},
		{`"${['a', 'b', 'a'].stdlib::merge |$h, $v| { { $v => pick($h[$v], 0) + 1 } }}"`, "{a => 2, b => 1}"},
		{`"${{x => 1, y => 2}.stdlib::merge |$h, $k, $v| { { "${k}${v}" => $v } }}"`, "{x1 => 1, y2 => 2}"},
		{`"${delete(['a', 'b', 'a', 'A'], 'a')} ${delete({a => 1, b => 2}, ['a'])} ${delete('abcabc', 'b')}"`, "[b, A] {b => 2} acac"},
		{`"${delete_undef_values([1, undef, 2])} ${delete_undef_values({a => undef, b => 1})}"`, "[1, 2] {b => 1}"},
		{`"${concat([1], [2, 3], 4)} ${stdlib::flatten([1, [2]])} ${stdlib::unique([1, 1])} ${stdlib::sort([2, 1])}"`, "[1, 2, 3, 4] [1, 2] [1] [1, 2]"},
		{`"${member(['a', 'b'], 'b')} ${member(['a', 'b'], ['a', 'c'])} ${member(['a'], 'A')}"`, "true false false"},
		{`"${has_key({a => 1}, 'a')} ${has_key({a => 1}, 'b')} ${stdlib::empty('')}"`, "true false true"},
		{`"${any2array()} ${any2array('a')} ${any2array([1])} ${any2array({a => 1})} ${any2array(1, 2)}"`, "[] [a] [1] [a, 1] [1, 2]"},
		{`"${bool2str(true)} ${bool2str(false, 'yes', 'no')} ${str2bool('Yes')} ${str2bool('undef')} ${str2bool(true)}"`, "true no true false true"},
		{`"${join_keys_to_values({a => 1, b => [2, 3]}, '=')}"`, "[a=1, b=2, b=3]"},
		{`"${prefix(['a', 'b'], 'p_')} ${suffix(['a'], '.conf')} ${prefix({a => 1}, 'x')}"`, "[p_a, p_b] [a.conf] {xa => 1}"},
		{`"${dirname('/etc/apache2/ports.conf')} ${dirname('/etc/')} ${dirname('/')} ${dirname('x')}"`, "/etc/apache2 / / ."},
		{`"${basename('/a/b.conf')} ${basename('/a/b.conf', '.conf')} ${basename('/a/b.tar.gz', '.*')}"`, "b.conf b b.tar"},
		{`"${getvar('facts.os.family')} ${getvar('nosuch', 'dflt')} ${getvar('facts.nosuch.x')}"`, "Debian dflt "},
		{`"${stdlib::ensure(true)} ${stdlib::ensure(false, 'service')} ${stdlib::ensure('present', 'package')} ${stdlib::ensure(true, 'directory')}"`, "present stopped installed directory"},
		{`"${stdlib::end_with('foo.conf', '.conf')} ${stdlib::start_with('foo', ['x', 'f'])} ${stdlib::end_with('a', 'b')}"`, "true true false"},
		{`"${fqdn_rand(60)} ${fqdn_rand(60, 'cron')} ${seeded_rand(1000, 'myseed')}"`, "18 56 213"},
		{`"${fqdn_rotate(['a', 'b', 'c', 'd', 'e'])} ${stdlib::fqdn_rotate('abcd', 'x')}"`, "[c, d, e, a, b] abcd"},
		{`to_json({b => [1, 2.5, {x => undef}], a => {c => "é/\"q\""}, e => [], f => {}})`, `{"b":[1,2.5,{"x":null}],"a":{"c":"é/\"q\""},"e":[],"f":{}}`},
		{`to_json_pretty({b => [1, {x => undef}], e => [], f => {}})`, "{\n  \"b\": [\n    1,\n    {\n      \"x\": null\n    }\n  ],\n  \"e\": [\n\n  ],\n  \"f\": {\n  }\n}\n"},
		{`stdlib::to_json_pretty({a => undef, b => 1}, true)`, "{\n  \"b\": 1\n}\n"},
		{`to_yaml({b => [1, 2.5, {x => undef}], a => {c => 'x y'}, e => [], f => {}, g => 'yes', h => "l1\nl2\n", i => '-x'})`,
			"---\nb:\n- 1\n- 2.5\n- x:\na:\n  c: x y\ne: []\nf: {}\ng: 'yes'\nh: |\n  l1\n  l2\ni: \"-x\"\n"},
		{`"${parsejson('{"b": [1, 2.5], "a": null}')} ${parsejson('nope', 'dflt')}"`, "{b => [1, 2.5], a => } dflt"},
		{`"${parseyaml("b: [1, x]\na: {c: true}\n")} ${parseyaml(': :', 'bad')}"`, "{b => [1, x], a => {c => true}} bad"},
		{`"${validate_legacy(Integer, 'validate_integer', 5)}"`, ""},
	}
	expectMessages(t, tests)
	errs := []struct{ src, want string }{
		{"pick(undef, '')", "pick(): must receive at least one non empty value"},
		{"bool2str('x')", "bool2str(): Requires a boolean to work with"},
		{"str2bool('maybe')", "str2bool(): Unknown type of boolean given"},
		{"validate_legacy(Integer, 'validate_integer', 'x')", "validate_legacy(validate_integer): expects an Integer value, got String"},
		{"deep_merge({}, 1)", "deep_merge(): unexpected argument type Integer, only expects hashes"},
	}
	expectErrors(t, errs)
}

func TestEnsureResource(t *testing.T) {
	cat := mustCompile(t, `
package { 'curl': ensure => present }
ensure_packages(['curl', 'git'])
ensure_packages({'vim' => {ensure => 'latest'}})
ensure_resource('file', ['/tmp/a', '/tmp/b'], {ensure => directory})
ensure_resource('file', '/tmp/a', {ensure => directory})
ensure_resources('user', {'alice' => {uid => 1001}}, {ensure => present})
notify { 'dwp': message => "${defined_with_params(File['/tmp/a'], {ensure => directory})} ${defined_with_params('File[/tmp/a]', {ensure => file})}" }
`)
	var got []string
	for _, r := range cat.Resources {
		if r.Type == "Class" {
			continue
		}
		got = append(got, r.Ref().String()+" "+ToString(FromData(r.Parameters["ensure"])))
	}
	want := []string{"Package[curl] present", "Package[git] installed", "Package[vim] latest",
		"File[/tmp/a] directory", "File[/tmp/b] directory", "User[alice] present", "Notify[dwp] "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if m := messages(cat); !slices.Contains(m, "true false") {
		t.Errorf("defined_with_params: %q", m)
	}
	_, diags, _ := compileSrc(t, "file { '/tmp/a': ensure => file }\nensure_resource('file', '/tmp/a', {ensure => directory})\n")
	if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], "Duplicate declaration: File[/tmp/a] is already declared") {
		t.Errorf("a different resource with the title must be a duplicate: %q", errs)
	}
}

// TestAssertPrivate: a private class may be declared from its own module
// only.
func TestAssertPrivate(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"mymod/manifests/init.pp":   "class mymod { include mymod::params }\n",
		"mymod/manifests/params.pp": "class mymod::params { assert_private() }\n",
	})
	if _, diags := compileStdlibModules(t, dir, "include mymod\n"); diags.HasErrors() {
		t.Fatalf("from its module: %v", diags)
	}
	_, diags := compileStdlibModules(t, dir, "include mymod::params\n")
	if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], "Class mymod::params is private") {
		t.Errorf("from outside: %q", errs)
	}
}

// TestRubyFunctionError: a function a module defines in Ruby is an
// error naming it and its module, not an unknown-function guess.
func TestRubyFunctionError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"rubymod/lib/puppet/functions/rubymod/frob.rb": "Puppet::Functions.create_function(:'rubymod::frob') do\nend\n",
		"oldmod/lib/puppet/parser/functions/oldfn.rb":  "module Puppet::Parser::Functions\nend\n",
	})
	for src, want := range map[string]string{
		"$x = rubymod::frob(1)\n": "Unknown function: 'rubymod::frob' (a Ruby function of module rubymod",
		"$x = oldfn(1)\n":         "Unknown function: 'oldfn' (a Ruby function of module oldmod",
		"$x = nosuchfn(1)\n":      "Unknown function: 'nosuchfn'.",
	} {
		_, diags := compileStdlibModules(t, dir, src)
		if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], want) {
			t.Errorf("%s: got %q, want %q", src, errs, want)
		}
	}
}

// compileStdlibModules compiles src as site.pp with the module path
// modulePath.
func compileStdlibModules(t *testing.T, modulePath, src string) (*catalog.Catalog, hcl.Diagnostics) {
	t.Helper()
	return compileIn(t, "site.pp", src, modulePath)
}
