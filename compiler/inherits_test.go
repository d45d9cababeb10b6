package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestInheritedScope: a class that inherits another sees its variables
// also through its own name ($app::user, getvar('app::user'), a
// template's scope['app::user']) and gets its resource defaults,
// and a class's $title, $name and $module_name are set, as in Puppet.
func TestInheritedScope(t *testing.T) {
	cat := mustCompile(t, `class app::params {
  $user = 'appuser'
  Notify { message => 'from params' }
}
class app inherits app::params {
  notify { 'defaulted': }
  notify { 'vars': message => "${app::user} ${title} ${name} [${module_name}]" }
  notify { 'lookups': message => [getvar('app::user'), inline_template('<%= scope["app::user"] %>')].join(' ') }
}
include app
`)
	if got, want := messages(cat), []string{"from params", "appuser app app []", "appuser appuser"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, src := range []string{"class x { $title = 'y' }\ninclude x\n", "$name = 'y'\n"} {
		_, diags, _ := compileSrc(t, src)
		lines := diagLines(diags, hcl.DiagError)
		if len(lines) != 1 || !strings.Contains(lines[0], "Cannot reassign built in (or already assigned) variable") {
			t.Errorf("%q: errors %q, want Puppet's built-in variable message", src, lines)
		}
	}
	top := mustCompile(t, "notify { 'top': message => \"${title} ${name} [${module_name}]\" }\n")
	if got, want := messages(top), []string{"main main []"}; !slices.Equal(got, want) {
		t.Errorf("top scope: got %q, want %q", got, want)
	}
}
