package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// TestModuleFunctionsApachePostgres: apache::bool2httpd and
// postgresql::postgresql_acls_to_resources_hash give what Puppet 7 prints
// with the modules installed (--modulepath /usr/share/puppet/modules).
func TestModuleFunctionsApachePostgres(t *testing.T) {
	cat := mustCompile(t, `notify { 'bool2httpd': message => "${[true, false, undef, 'TRUE', 'isFalse', 'mail', 5, 1.5, '', 'untrue'].map |$x| { apache::bool2httpd($x) }}" }
notify { 'acls': message => "${postgresql::postgresql_acls_to_resources_hash(['local all postgres ident map=x y', 'host all all 127.0.0.1/32 md5', 'host all all 10.0.0.0 255.0.0.0 md5 opt1 opt2', 'hostssl db u ::1/128 cert clientcert=1', 'host all all 127.0.0.1/32 md5', 'host a b c'], 'myid', 3)}" }
`)
	want := []string{
		"[On, Off, Off, On, Off, mail, 5, 1.5, , On]",
		"{postgresql class generated rule myid 0 => {type => local, database => all, user => postgres, order => 003, auth_method => ident, auth_option => map=x y}, " +
			"postgresql class generated rule myid 1 => {type => host, database => all, user => all, order => 004, address => 127.0.0.1/32, auth_method => md5}, " +
			"postgresql class generated rule myid 2 => {type => host, database => all, user => all, order => 005, address => 10.0.0.0 255.0.0.0, auth_method => md5, auth_option => opt1 opt2}, " +
			"postgresql class generated rule myid 3 => {type => hostssl, database => db, user => u, order => 006, address => ::1/128, auth_method => cert, auth_option => clientcert=1}, " +
			"postgresql class generated rule myid 5 => {type => host, database => a, user => b, order => 008, address => c, auth_method => }}",
	}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for src, msg := range map[string]string{
		"$x = postgresql::postgresql_acls_to_resources_hash(['local all', 'x'], 'i', 0)\n": "1:6: postgresql::postgresql_acls_to_resources_hash(): acl line 0 does not have enough parts",
		"$x = postgresql::postgresql_acls_to_resources_hash([1], 'i', 0)\n":                "parameter 'acls' expects an Array[String] value, got ",
		"$x = apache::bool2httpd([1])\n":                                                   "apache::bool2httpd(): gapply converts only booleans, undef, strings and numbers, got Array",
	} {
		_, diags, _ := compileSrc(t, src)
		if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.Contains(errs[0], msg) {
			t.Errorf("%s: got %q, want %q", src, errs, msg)
		}
	}
}
