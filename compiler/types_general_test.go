package compiler

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestMismatchGeneralized: Puppet 7's messages for the same declaration
// (puppet apply): ranges are named only when the value is of the type
// but out of range.
func TestMismatchGeneralized(t *testing.T) {
	_, diags, _ := compileSrc(t, `class web (Integer[1, 65535] $port = 80, String[2] $s = 'ab', Optional[Integer[1,5]] $o = undef, Array[Integer[1,3]] $a = [], Variant[Integer[1,2], String[3]] $v = 1) { }
class { 'web': port => 70000, s => 5, o => 'x', a => [5], v => 'x' }
`)
	want := []string{
		"2:9: Class[Web]: parameter 'port' expects an Integer[1, 65535] value, got Integer[70000, 70000]",
		"2:9: Class[Web]: parameter 's' expects a String value, got Integer",
		"2:9: Class[Web]: parameter 'o' expects a value of type Undef or Integer, got String",
		"2:9: Class[Web]: parameter 'a' index 0 expects an Integer[1, 3] value, got Integer[5, 5]",
		"2:9: Class[Web]: parameter 'v' expects a value of type Integer[1, 2] or String[3], got String",
	}
	if diff := cmp.Diff(want, diagLines(diags, hcl.DiagError)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestHashSizeOnly: Hash[min, max] constrains the size only, in a value
// check as in a type comparison (hashSize).
func TestHashSizeOnly(t *testing.T) {
	_, diags, logs := compileSrc(t, "notice({a => 1} =~ Hash[1, 2], {} =~ Hash[1, 2], {a => 1} =~ Hash[String, Integer, 2], Hash[1, 2] > Hash[String, Integer, 1, 1])\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got, want := logs.String(), "true false false true"; !strings.Contains(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
