package compiler

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestClasses(t *testing.T) {
	cat, diags, _ := compileSrc(t, `include web
class base($motd = 'hi') { notify { 'base': message => $motd } }
class web(String $port = '80', $greeting = "port ${port}") inherits base {
  notify { 'web': message => "${greeting} ${motd} ${kernel}" }
}
class { 'db': size => 3 }
class db(Integer $size) { notify { 'db': message => "size ${size}" } }
include web
notify { 'top': message => "${web::port} ${db::size}", require => Class['web'] }
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff([]string{"hi", "port 80 hi Linux", "size 3", "80 3"}, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	web := cat.Resources[1]
	if !slices.Equal(web.Tags, []string{"notify", "web", "base", "class"}) {
		t.Errorf("tags of %s: %q", web.Ref(), web.Tags)
	}
	if diff := cmp.Diff([]string{"Notify[web] -> Notify[top]"}, edges(cat)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}

func TestDefines(t *testing.T) {
	cat, diags, _ := compileSrc(t, `define site::vhost($port, $docroot = "/srv/${title}") {
  notify { "vhost ${title} ${name} ${port} ${docroot}": }
  notify { "after ${title}": }
}
site::vhost { ['a', 'b']: port => 80 }
site::vhost { 'c': port => 81, name => 'named' }
notify { 'last': subscribe => Site::Vhost['a'] }
Site::Vhost['b'] -> Notify['last']
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Catalog order is evaluation order: the main body first, then the
	// defines' bodies (lazydefs.go); the edges then order the run as
	// Puppet does (a, b, last, c).
	want := []string{
		"last",
		"vhost a a 80 /srv/a", "after a",
		"vhost b b 80 /srv/b", "after b",
		"vhost c named 81 /srv/c", "after c",
	}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	wantEdges := []string{
		"Notify[vhost a a 80 /srv/a] ~> Notify[last]",
		"Notify[after a] ~> Notify[last]",
		"Notify[vhost b b 80 /srv/b] -> Notify[last]",
		"Notify[after b] -> Notify[last]",
	}
	if diff := cmp.Diff(wantEdges, edges(cat)); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	if tags := cat.Resources[1].Tags; !slices.Equal(tags, []string{"notify", "site::vhost", "site", "vhost", "class"}) {
		t.Errorf("tags: %q", tags)
	}
}

func TestNodes(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"node 'web1.example.com' { notify { 'exact': } }\nnode default { notify { 'default': } }", "exact"},
		{"node 'web1' { notify { 'short': } }\nnode /^web\\d/ { notify { 'regex': } }", "short"},
		{"node /^web\\d/ { notify { 'regex': } }\nnode default { notify { 'default': } }", "regex"},
		{"node 'db1', default { notify { 'default': } }", "default"},
	} {
		cat := mustCompile(t, tt.src)
		if got := messages(cat); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%s\ngot %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestClassErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown class", "include nope\n", []string{"1:1: Could not find class ::nope"}},
		{"missing parameter", "class a($x) {}\ninclude a\n", []string{"2:1: Class[A]: expects a value for parameter 'x'"}},
		{"wrong type", "class a(Integer $x) {}\nclass { 'a': x => 'one' }\n",
			[]string{"2:9: Class[A]: parameter 'x' expects an Integer value, got String"}},
		{"unknown parameter", "class a($port = 1) {}\nclass { 'a': prot => 2 }\n",
			[]string{"2:14: unknown parameter 'prot' for Class[A] (did you mean 'port'?)"}},
		{"duplicate resource-like", "class a {}\ninclude a\nclass { 'a': }\n",
			[]string{"3:9: Duplicate declaration: Class[A] is already declared at site.pp:2; cannot redeclare"}},
		{"define missing parameter", "define d($x) {}\nd { 'i': }\n", []string{"2:5: D[i]: expects a value for parameter 'x'"}},
		{"define duplicate", "define d {}\nd { 'i': }\nd { 'i': }\n",
			[]string{"3:5: Duplicate declaration: D[i] is already declared at site.pp:2; cannot redeclare"}},
		{"no matching node", "node 'other' {}\n",
			[]string{"1:1: Could not find node statement with name 'default' or 'web1.example.com, web1.example, web1'"}},
		{"definition inside if", "if true { class a {} }\n",
			[]string{"1:11: Classes, definitions, and nodes may only appear at toplevel or inside other classes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := compileSrc(t, tt.src)
			if diff := cmp.Diff(tt.want, diagLines(diags, hcl.DiagError)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
