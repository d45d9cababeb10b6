package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestModuleFunctions: the Ruby functions of public modules built in Go
// give what Puppet 7 with the modules installed prints for the same calls.
func TestModuleFunctions(t *testing.T) {
	cat := mustCompile(t, `notify { 'a': message => mysql::password('secret') }
notify { 'b': message => "[${mysql::password('')}]" }
notify { 'c': message => mysql::password('*14E65567ABDB5135D0CFD9A70B3032C179A49EE7') }
notify { 'd': message => postgresql::postgresql_password('alice', 's3cret') }
notify { 'e': message => postgresql::postgresql_password(7, 42) }
`)
	want := []string{
		"*14E65567ABDB5135D0CFD9A70B3032C179A49EE7",
		"[]",
		"*14E65567ABDB5135D0CFD9A70B3032C179A49EE7",
		"md58213e4d0d5792b064442db7988e9f4c4",
		"md518997733ec258a9fcaf239cc55d53363",
	}
	if got := messages(cat); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for src, msg := range map[string]string{
		"$x = mysql::password(1)\n":                        "'mysql::password' parameter 'password' expects a String value, got Integer",
		"$x = postgresql::postgresql_password('', 'pw')\n": "'postgresql::postgresql_password' parameter 'username' expects a value of type String[1] or Integer",
	} {
		_, diags, _ := compileSrc(t, src)
		if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], msg) {
			t.Errorf("%s: got %q, want %q", src, errs, msg)
		}
	}
}
