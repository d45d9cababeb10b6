package compiler

import (
	"slices"
	"testing"
)

// TestInheritedScope: a class that inherits another sees its variables
// also through its own name ($app::user) and gets its resource defaults,
// and a class's $title, $name and $module_name are set, as in Puppet.
func TestInheritedScope(t *testing.T) {
	cat := mustCompile(t, `class app::params {
  $user = 'appuser'
  Notify { message => 'from params' }
}
class app inherits app::params {
  notify { 'defaulted': }
  notify { 'vars': message => "${app::user} ${title} ${name} [${module_name}]" }
}
include app
`)
	if got, want := messages(cat), []string{"from params", "appuser app app []"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	_, diags, _ := compileSrc(t, "class x { $title = 'y' }\ninclude x\n")
	if !diags.HasErrors() {
		t.Error("assigning $title in a class: no error")
	}
}
