package compiler

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestNextBreakReturn: what Puppet 7 gives for the same manifests.
func TestNextBreakReturn(t *testing.T) {
	src := `function t::size(Integer $x) >> String {
  if $x > 1 { return('big') }
  'small'
}
function t::first(Array $a) {
  $a.each |$x| { if $x > 1 { return($x) } }
  'none'
}
class c {
  notify { 'c1': }
  if true { return() }
  notify { 'c2': }
}
define d {
  notify { "${title}1": }
  next()
  notify { "${title}2": }
}
include c
d { 'd': }
$m = [1, 2, 3, 4].map |$x| { if $x == 2 { next(0) } $x }
$e = [1, 2, 3, 4].each |$x| { if $x == 3 { break() } notify { "each${x}": } }
$f = [1, 2, 3].filter |$x| { if $x == 1 { next(false) } true }
$r = [1, 2, 3].reduce |$memo, $x| { if $x == 3 { break() } $memo + $x }
$tpl = inline_epp('a<% return() %>b')
notify { 'm': message => "${m} ${f} ${r} ${t::size(1)} ${t::size(5)} ${t::first([1, 5, 7])} ${t::first([0])} [${tpl}] [${inline_epp('a<% return("x") %>b')}]" }
`
	cat := mustCompile(t, src)
	var titles []string
	for _, r := range cat.Resources {
		if r.Type == "Notify" {
			titles = append(titles, r.Title)
		}
	}
	// d1 comes from a define's body, evaluated after the main body.
	if want := []string{"c1", "each1", "each2", "m", "d1"}; !slices.Equal(titles, want) {
		t.Errorf("notify resources %q, want %q", titles, want)
	}
	if got, want := messages(cat)[3:4], []string{"[1, 0, 3, 4] [2, 3] 3 small big 5 none [] [x]"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, tt := range []struct{ src, want string }{
		{"next(1)\n", "1:1: next() from context where this is illegal"},
		{"notice('a') break()\n", "1:13: break() from context where this is illegal"},
		{"[1].each |$x| { return(5) }\n", "1:17: return() from context where this is illegal"},
	} {
		_, diags, _ := compileSrc(t, tt.src)
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.src, diff)
		}
	}
}
