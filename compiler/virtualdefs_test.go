package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// TestVirtualDefines: virtual and exported instances of defined types,
// realized by collectors (queries on tags, titles and declared
// parameters; a define's own defaults are not matched), by realize(), by
// a collector inside a realized define, and a chain with a collector over
// declared instances. Puppet 7 applies the same manifest with the same
// notify messages (x=v, x=r, x=coll, x=dd, x=inner) and orders Notify[c]
// before Notify[n-decl].
func TestVirtualDefines(t *testing.T) {
	cat, diags, _ := compileSrc(t, `define foo($x = 'd') { notify { "n-${title}": message => "x=${x}" } }
define bar { @foo { "in-${title}": x => 'inner' } Foo <| title == "in-${title}" |> }
class c { notify { 'c': message => 'c' } }
include c
@foo { 'virt': x => 'v', tag => ['t1'] }
@foo { 'other': x => 'o' }
@foo { 'def': }
@foo { 'byrealize': x => 'r' }
@@foo { 'exp': x => 'e' }
@foo { 'never': }
@bar { 'b': }
foo { 'decl': x => 'dd' }
Foo <| tag == 't1' |>
Foo <| x == 'd' |>
Foo <| title == 'exp' |> { x => 'coll' }
Bar <| |>
realize(Foo['byrealize'])
Class['c'] -> Foo <| title == 'decl' |>
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The resources, not their order: Puppet evaluates realized virtual
	// instances in declaration order with the declared ones of the same
	// round (c x=v x=r x=coll x=dd x=inner); gapply evaluates them when
	// realized (README, Differences from Puppet).
	want := []string{"c", "x=coll", "x=dd", "x=inner", "x=r", "x=v"}
	got := messages(cat)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	wantEdges := []catalog.Edge{{Source: catalog.Ref{Type: "Notify", Title: "c"}, Target: catalog.Ref{Type: "Notify", Title: "n-decl"}}}
	if diff := cmp.Diff(wantEdges, cat.Edges); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
	warns := diagLines(diags, hcl.DiagWarning)
	if len(warns) != 1 || !strings.Contains(warns[0], "9:1: You cannot collect exported resources without storeconfigs being set; the export is ignored") {
		t.Errorf("warnings: %q", warns)
	}
}

// TestVirtualDefinesErrors: what gapply refuses, located.
func TestVirtualDefinesErrors(t *testing.T) {
	for src, want := range map[string]string{
		// Puppet's message for a virtual class.
		"@class { 'x': }\n": "1:1: Classes are not virtualizable",
		"Nope <| |>\n":      "1:1: Resource type Nope doesn't exist",
	} {
		_, diags, _ := compileSrc(t, src)
		if errs := diagLines(diags, hcl.DiagError); len(errs) != 1 || !strings.HasSuffix(errs[0], want) {
			t.Errorf("%s: got %q, want %q", src, errs, want)
		}
	}
	// An exported collector collects nothing, not even this node's own
	// exported resources, as puppet apply without storeconfigs.
	cat, diags, _ := compileSrc(t, "@@notify { 'e': }\nNotify <<| |>>\n")
	if len(cat.Resources) != 0 || len(diagLines(diags, hcl.DiagWarning)) != 2 {
		t.Errorf("exported collector: %d resources, %q", len(cat.Resources), diagLines(diags, hcl.DiagWarning))
	}
}
