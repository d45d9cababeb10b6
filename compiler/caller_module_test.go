package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestCallerModuleName: a class or defined resource sees in
// $caller_module_name the module of the code that declared it (a lambda
// inside a class counts as the class), and nothing when declared from
// outside any module, as Puppet 7 prints for the same tree.
func TestCallerModuleName(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"alpha/manifests/init.pp":  "class alpha {\n  include beta::inner\n  beta::thing { 'from-alpha': }\n  [1].each |$x| { beta::thing { 'lambda': } }\n}\n",
		"beta/manifests/inner.pp":  "class beta::inner { notify { \"inner caller=[${caller_module_name}] module=[${module_name}]\": } }\n",
		"beta/manifests/thing.pp":  "define beta::thing { notify { \"thing ${title} caller=[${caller_module_name}]\": } }\n",
		"beta/manifests/guard.pp":  "class beta::guard { if $caller_module_name != $module_name { fail(\"Use of private class ${name} by ${caller_module_name}\") } }\n",
		"beta/manifests/init.pp":   "class beta { include beta::guard }\n",
		"beta/manifests/secret.pp": "class beta::secret { assert_private() }\n",
	})
	cat, diags := compileStdlibModules(t, dir, "include alpha\nbeta::thing { 'top': }\ninclude beta\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := messages(cat)
	slices.Sort(got)
	want := []string{
		"inner caller=[alpha] module=[beta]",
		"thing from-alpha caller=[alpha]",
		"thing lambda caller=[alpha]",
		"thing top caller=[]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for src, msg := range map[string]string{
		"include beta::guard\n":  "Use of private class beta::guard by ",
		"include beta::secret\n": "Class beta::secret is private",
	} {
		_, diags := compileStdlibModules(t, dir, src)
		if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], msg) {
			t.Errorf("%s: got %q, want %q", src, errs, msg)
		}
	}
}
