package compiler

import (
	"testing"

	"github.com/gapply/gapply/catalog"
)

// TestResourceTypeDeclaration: Resource['type'] { 'title': } declares a
// resource of a type given by name, as in Puppet; with the type's defaults.
func TestResourceTypeDeclaration(t *testing.T) {
	cat := mustCompile(t, `
File { mode => '0600' }
Resource['file'] { '/tmp/r1': ensure => file; '/tmp/r2': ensure => directory }
Resource[Notify] { 'hi': }
`)
	for _, ref := range []catalog.Ref{{Type: "File", Title: "/tmp/r1"}, {Type: "File", Title: "/tmp/r2"}, {Type: "Notify", Title: "hi"}} {
		if cat.Lookup(ref) == nil {
			t.Errorf("no %s", ref)
		}
	}
	if m := cat.Lookup(catalog.Ref{Type: "File", Title: "/tmp/r1"}).Parameters["mode"]; m != "0600" {
		t.Errorf("default mode not applied: %v", m)
	}
}
