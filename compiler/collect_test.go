package compiler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// resourceLines describes each resource as "Type[title] message tags".
func resourceLines(cat *catalog.Catalog) []string {
	var out []string
	for _, r := range cat.Resources {
		line := r.Ref().String()
		if m, ok := r.Parameters["message"]; ok {
			line += " " + ToString(FromData(m))
		}
		out = append(out, line)
	}
	return out
}

// TestVirtualAndCollectors follows what Puppet 7 applies for the same
// manifest: realized and collected virtual resources only, collector
// overrides, subclass overrides with +>, chains with collectors.
func TestVirtualAndCollectors(t *testing.T) {
	cat := mustCompile(t, `class a { notify { 'x': message => 'a', tag => ['t1'] } }
class b inherits a { Notify['x'] { message => 'b', tag +> 't2' } }
include b
@notify { 'v1': message => 'v1' }
@notify { 'v2': tag => 'vt' }
@notify { 'v3': }
@notify { 'v4': require => Notify['nope'] }
Notify <| tag == 'vt' |> { message => 'collected' }
realize(Notify['v1'])
notify { 'plain': }
Notify <| title == 'plain' or title == 'v3' |> -> Notify['x']
@notify { 'late': message => 'declared after its collector' }
`)
	want := []string{"Notify[x] b", "Notify[v1] v1", "Notify[v2] collected", "Notify[v3]", "Notify[plain]"}
	if diff := cmp.Diff(want, resourceLines(cat)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Notify[v3] -> Notify[x]", "Notify[plain] -> Notify[x]"}, edges(cat)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"notify", "t1", "a", "class", "t2"}, cat.Resources[0].Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	cat = mustCompile(t, `Package <| |> -> Service <| |>
@notify { 'late': message => 'm' }
Notify <| message == 'm' |>
file { '/tmp/a': ensure => present, mode => '0600' }
File <| mode == '0600' |> { owner => 'root' }
`)
	if diff := cmp.Diff([]string{"File[/tmp/a]", "Notify[late] m"}, sortedLines(resourceLines(cat))); diff != "" {
		t.Errorf("late collection (-want +got):\n%s", diff)
	}
}

func sortedLines(l []string) []string {
	out := append([]string{}, l...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestOverrideRules(t *testing.T) {
	// Same scope, attribute not yet set: allowed.
	cat := mustCompile(t, "notify { 'x': }\nNotify['x'] { message => 'b' }\n")
	if diff := cmp.Diff([]string{"Notify[x] b"}, resourceLines(cat)); diff != "" {
		t.Error(diff)
	}
	// A subclass may remove an attribute with undef.
	cat = mustCompile(t, "class a { notify { 'x': message => 'm' } }\nclass b inherits a { Notify['x'] { message => undef } }\ninclude b\n")
	if diff := cmp.Diff([]string{"Notify[x]"}, resourceLines(cat)); diff != "" {
		t.Error(diff)
	}
	errs := []struct{ src, want string }{
		{"class a { notify { 'x': } }\ninclude a\nNotify['x'] { message => 'b' }\n", "3:1: Only subclasses can override parameters"},
		{"notify { 'x': message => 'a' }\nNotify['x'] { message => 'b' }\n", "2:15: Parameter 'message' is already set on Notify[x] at site.pp:1; cannot redefine"},
		{"Notify['y'] { message => 'b' }\n", "1:1: Could not find resource(s) Notify[y] for overriding"},
		{"realize(Notify['nope'])\n", "1:1: Failed to realize virtual resources Notify[nope]"},
		{"notify { 'x': message +> 'a' }\n", "1:15: Illegal +> operation on attribute message. This operator can not be used in a resource declaration"},
	}
	for _, tt := range errs {
		_, diags, _ := compileSrc(t, tt.src)
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s(-want +got):\n%s", tt.src, diff)
		}
	}
}

// TestDynamicDefaults: a class's resource defaults reach the classes it
// includes, as in Puppet 7.
func TestDynamicDefaults(t *testing.T) {
	cat := mustCompile(t, `class inner { notify { 'i': } }
class outer { Notify { message => 'from outer' } include inner notify { 'o': } }
include outer
notify { 'top': }
`)
	if diff := cmp.Diff([]string{"Notify[i] from outer", "Notify[o] from outer", "Notify[top]"}, resourceLines(cat)); diff != "" {
		t.Error(diff)
	}
}

func TestTagsAndFilter(t *testing.T) {
	cat := mustCompile(t, `class web { tag 'frontend' notify { 'w': } }
class db { notify { 'd': } }
include web, db
notify { 'a': } -> notify { 'b': } -> notify { 'c': tag => 'web' }
Notify['d'] ~> Notify['w']
`)
	if diff := cmp.Diff([]string{"notify", "web", "class", "frontend"}, cat.Resources[0].Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	f := FilterTags(cat, []string{"WEB,nothing"})
	if diff := cmp.Diff([]string{"Notify[w]", "Notify[c]"}, resourceLines(f)); diff != "" {
		t.Errorf("filtered (-want +got):\n%s", diff)
	}
	f = FilterTags(cat, []string{"notify"})
	want := []string{"Notify[d] ~> Notify[w]", "Notify[a] -> Notify[b]", "Notify[b] -> Notify[c]"}
	if diff := cmp.Diff(want, edges(f)); diff != "" {
		t.Errorf("edges kept (-want +got):\n%s", diff)
	}
	// A ~> B ~> C with B removed keeps A before C, without refresh.
	cat = mustCompile(t, "notify { 'a': tag => 'k' } ~> notify { 'b': } ~> notify { 'c': tag => 'k' }\n")
	if diff := cmp.Diff([]string{"Notify[a] -> Notify[c]"}, edges(FilterTags(cat, []string{"k"}))); diff != "" {
		t.Errorf("bridged (-want +got):\n%s", diff)
	}
}
