package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestERBTemplates: template() renders a module's ERB with the caller's
// variables, inline_template() its argument; a construct outside the
// subset is an error at the call naming the template's line.
func TestERBTemplates(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"ntp/templates/ntp.conf.erb": `# <%= @fqdn_label %>
<% @servers.each do |s| -%>
server <%= s %><% if @iburst %> iburst<% end %>
<% end -%>
<% unless scope['ntp::restrict'].empty? -%>
restrict <%= scope['ntp::restrict'].join(' ') %>
<% end -%>
`,
		"ntp/templates/bad.erb": "ok\n<%= @servers.pack('x') %>\n",
		"ntp/manifests/init.pp": `class ntp (Array $servers = ['a', 'b'], Boolean $iburst = true, Array $restrict = ['127.0.0.1']) {
  $fqdn_label = "host ${facts['networking']['fqdn']}"
  notify { 'conf': message => template('ntp/ntp.conf.erb') }
  notify { 'inline': message => inline_template('<%= @servers.size %>', '-<%= @iburst ? "y" : "n" %>') }
}
`,
	})
	cat, diags := compileStdlibModules(t, dir, "include ntp\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []string{"# host web1.example.com\nserver a iburst\nserver b iburst\nrestrict 127.0.0.1\n", "2-y"}
	if got := messages(cat); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	_, diags = compileStdlibModules(t, dir, "notify { 'x': message => template('ntp/bad.erb') }\n")
	errs := diagLines(diags, hcl.DiagError)
	if len(errs) != 1 || !strings.Contains(errs[0], "bad.erb:2: unsupported Ruby: method 'pack' for NilClass") {
		t.Errorf("errors: %q", errs)
	}
}

// TestERBCallsPuppet: a template calls Puppet functions with the caller's
// scope (scope.call_function, scope.function_NAME), sets variables the
// templates rendered after it see (scope.setvar), and matches regexps
// with Puppet's Ruby-regexp translation (^ is a line anchor).
func TestERBCallsPuppet(t *testing.T) {
	cat := mustCompile(t, `$v = '2.4.1'
$a = inline_template("<%= scope.function_versioncmp([@v, '2.4']) %>/<%= scope.call_function('upcase', ['x']) %>")
$b = inline_template("<% scope.setvar('_shared', {}) -%><% scope.lookupvar('_shared')[:k] = 'y' -%>")
$c = inline_template("<%= scope['_shared'][:k] %>")
$d = inline_template("<%= \"a\nbc\" =~ /^b/ %><%= $~[0] %>")
notify { "${a} ${c} ${d}": }
`)
	if got := messages(cat); len(got) != 1 || got[0] != "1/X y 2b" {
		t.Errorf("got %q, want [\"1/X y 2b\"]", got)
	}
}
