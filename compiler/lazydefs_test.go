package compiler

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestLazyDefines: a define's body runs after the class that declares it,
// so defined() sees a file the class declares after the instance, and
// notice() prints in Puppet 7's order (checked with puppet apply: the
// class, then the top scope, then the instances round by round in
// declaration order). The body's resources, nested instances' too, stand
// in the catalog where each instance was declared.
func TestLazyDefines(t *testing.T) {
	cat, diags, buf := compileSrc(t, `define d($n) {
  notice("${title} sees b: ${defined(File['/b'])}")
  notify { "${title}-1": }
  if $n > 0 { d { "${title}.x": n => $n - 1 } }
  notify { "${title}-2": }
}
class c {
  notice('c start')
  notify { 'a': }
  d { 'one': n => 1 }
  notify { 'b': }
  d { 'two': n => 0 }
  file { '/b': ensure => absent }
  notice('c end')
}
include c
notice('top end')
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var notices []string
	for _, m := range regexp.MustCompile(`INFO (.*)`).FindAllStringSubmatch(buf.String(), -1) {
		notices = append(notices, m[1])
	}
	wantNotices := []string{"c start", "c end", "top end", "one sees b: true", "two sees b: true", "one.x sees b: true"}
	if diff := cmp.Diff(wantNotices, notices); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	// Puppet 7 applies (and gapply lists) the resources in evaluation
	// order: the class's, then each round of bodies.
	want := []string{"a", "b", "one-1", "one-2", "two-1", "two-2", "one.x-1", "one.x-2"}
	if diff := cmp.Diff(want, messages(cat)); diff != "" {
		t.Errorf("catalog order (-want +got):\n%s", diff)
	}
	// A collector runs before the round, so its block sets the parameter
	// of a declared instance, as in Puppet.
	_, diags, buf = compileSrc(t, "define foo($x = 1) { notice(\"x=${x}\") }\nfoo { 'a': }\nFoo <| |> { x => 2 }\n")
	if diags.HasErrors() || !regexp.MustCompile(`INFO x=2\n`).MatchString(buf.String()) {
		t.Errorf("collector over a declared instance: %v %q", diags, buf)
	}
	// foo[a]'s body ran in the first round, before bar[b]'s declared the
	// collector: too late for x, with Puppet 7's warning.
	_, diags, buf = compileSrc(t, "define foo($x = 1) { notice(\"x=${x}\") }\ndefine bar { Foo <| |> { x => 2 } }\nfoo { 'a': }\nbar { 'b': }\n")
	warns := diagLines(diags, hcl.DiagWarning)
	if diags.HasErrors() || !strings.Contains(buf.String(), "INFO x=1\n") || len(warns) != 1 ||
		!strings.HasSuffix(warns[0], "2:14: Attempt to override an already evaluated resource, defined at site.pp:3, with new values") {
		t.Errorf("collector after the round: %q %q", warns, buf)
	}
}
