package compiler

import (
	"slices"
	"testing"

	"github.com/gapply/gapply/parser"
)

// $trusted is 'local' and the node's name for a local compile; a master
// passes 'remote' and the certificate's name, which wins over the node name
// and over a fact that claims to be $trusted.
func TestTrustedOptions(t *testing.T) {
	f, diags := parser.ParseFile("site.pp", []byte(
		`notify { 't': message => "${trusted['authenticated']} ${trusted['certname']} ${trusted['hostname']} ${trusted['domain']}" }`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	facts := map[string]any{"trusted": map[string]any{"certname": "forged.example.com"}}
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Node: "web1.example.com"}, "local web1.example.com web1 example.com"},
		{Options{Node: "web1.example.com", Authenticated: "remote", TrustedCertname: "db2.example.org"}, "remote db2.example.org db2 example.org"},
	} {
		tc.opts.Facts = facts
		cat, diags := Compile([]*parser.File{f}, tc.opts)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if got := messages(cat); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%+v: messages %q, want %q", tc.opts, got, tc.want)
		}
	}
}
