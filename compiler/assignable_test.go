package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestTypeComparison: comparison operators between types, case options
// and selectors with types, Type[T] matching. Every expected answer is
// what Puppet 7 prints for notice(EXPR).
func TestTypeComparison(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"Integer < Numeric", true},
		{"Integer[1,2] <= Integer", true},
		{"String > String[1]", true},
		{"Numeric == Numeric", true},
		{"Integer != String", true},
		{"Integer <= Integer", true},
		{"Integer < Integer", false},
		{"Integer >= Integer", true},
		{"Integer > Integer", false},
		{"Integer[1] == Integer[1, default]", true},
		{"Integer == integer", false},
		{"Integer == 1", false},
		{"Integer < 1", false},
		{"Integer <= undef", false},
		{"Optional[String] > String", true},
		{"Optional[String] == Variant[Undef, String]", true},
		{"Variant[Integer,String] > String", true},
		{"Variant[Integer,String] == Variant[String,Integer]", true},
		{"Variant[Integer, Float] <= Numeric", true},
		{"Array[Integer] < Array", true},
		{"Array[Integer] < Array[Numeric]", true},
		{"Array == Array[Any]", true},
		{"Array[Integer, 2] < Array[Integer, 1, 3]", false},
		{"Hash[String,Integer] < Hash", true},
		{"Struct[{a=>Integer}] < Hash", true},
		{"Struct[{a=>Integer}] < Hash[String, Integer]", true},
		{"Struct[{a=>Integer}] < Hash[String, String]", false},
		{"Hash[String, Integer] < Struct[{a=>Integer}]", false},
		{"Struct[{a=>Integer, Optional[b]=>String}] > Struct[{a=>Integer}]", true},
		{"Struct[{a=>Integer,b=>String}] == Struct[{b=>String,a=>Integer}]", true},
		{"Tuple[Integer] < Array[Integer]", true},
		{"Tuple[Integer, String] < Array[Scalar]", true},
		{"Tuple[Integer, String] < Array[Integer]", false},
		{"Any > Undef", true},
		{"Any > Any", false},
		{"Any >= Any", true},
		{"Optional < Any", false},
		{"Data > Integer", true},
		{"Data == Data", true},
		{"Data > Hash[String, Integer]", true},
		{"Data > Hash[Integer, Integer]", false},
		{"Data > Array[Regexp]", false},
		{"Data >= Optional[String]", true},
		{"RichData > Data", true},
		{"Scalar > String", true},
		{"Scalar > Enum[a]", true},
		{"ScalarData > Integer", true},
		{"Enum[a,b] < String", true},
		{"Enum[a,b] == Enum[b,a]", true},
		{"Enum[a] < Enum[a,b]", true},
		{"String > Enum[abc]", true},
		{"String[1,2] > Enum[abc]", false},
		{"Pattern[/a/] < String", true},
		{"Pattern[/^a/] > Enum[abc, ab]", true},
		{"Pattern[/^a/] > Enum[abc, b]", false},
		{"String[1,3] < String[0,5]", true},
		{"String[1] == String[1, default]", true},
		{"Float < Numeric", true},
		{"Float[1.0] < Float", true},
		{"Integer > Float", false},
		{"Numeric > Integer[1,2]", true},
		{"Integer[0,10] < Integer[1,10]", false},
		{"Integer[default, 3] < Integer", true},
		{"NotUndef[String] < String", false},
		{"NotUndef[String] == String", true},
		{"String < NotUndef", true},
		{"NotUndef > Undef", false},
		{"NotUndef > Optional[String]", false},
		{"Undef < Optional[String]", true},
		{"Integer < Optional[Numeric]", true},
		{"Integer > Undef", false},
		{"Boolean < Scalar", true},
		{"Boolean == Boolean[true]", false},
		{"Regexp < Scalar", true},
		{"Regexp[/a/] < Regexp", true},
		{"Default < Any", true},
		{"Default < Scalar", false},
		{"Resource < Any", true},
		{"File < Resource", true},
		{"File['/x'] < File", true},
		{"File['/x'] == File['/x']", true},
		{"File['/x'] < File['/x']", false},
		{"Integer > File['/x']", false},
		{"Class < Catalogentry", true},
		{"Class['a'] < Class", true},
		{"Class['a'] == Class['A']", true},
		{"Sensitive[String] < Sensitive", true},
		{"Sensitive[String] < Sensitive[Any]", true},
		{"Sensitive[Integer] < Sensitive[String]", false},
		{"Type[Integer] < Type", true},
		{"Type[Integer] < Type[Numeric]", true},
		{"Type[Integer] > Type[Integer[1]]", true},
		{"Type > Integer", false},
		{"Collection > Array", true},
		{"Collection > Struct[{a=>Integer}]", true},
		{"Iterable > Array", true},
		{"Iterable > Hash", true},
		{"Integer < Data", true},
		{"Callable < Any", true},
		{"Callable < Callable", false},
		{"Integer =~ Type[Numeric]", true},
		{"File['/x'] =~ Type[File]", true},
		{"File['/x'] =~ Type[Class]", false},
		{"Integer in [Numeric, Integer]", false},
	}
	var src strings.Builder
	for i, tt := range tests {
		fmt.Fprintf(&src, "notify { '%d': message => \"${%s}\" }\n", i, tt.expr)
	}
	got := messages(mustCompile(t, src.String()))
	for i, tt := range tests {
		if got[i] != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %s, want %v", tt.expr, got[i], tt.want)
		}
	}

	// A type option matches the types assignable to it (Type[Numeric]),
	// not the type itself: a type is not an instance of itself.
	cat := mustCompile(t, `notify { 'case1': message => case Integer { Numeric: { 'numeric' } Integer: { 'int' } default: { 'd' } } }
notify { 'case2': message => case Integer { Type[Numeric]: { 'tn' } default: { 'd' } } }
notify { 'sel1': message => Integer ? { Integer => 'eq', default => 'd' } }
notify { 'sel2': message => Integer ? { Type[Numeric] => 'tn', default => 'd' } }
notify { 'sel3': message => String[1] ? { Type[String[1, default]] => 'eq', default => 'd' } }
`)
	if diff := cmp.Diff([]string{"d", "tn", "d", "tn", "eq"}, messages(cat)); diff != "" {
		t.Errorf("case and selectors (-want +got):\n%s", diff)
	}

	// Ordering a non-type against a type is an error, in Puppet's words.
	errs := []struct{ src, want string }{
		{"$x = 1 < Integer\n", "1:6: Comparison of: Integer < Integer-Type, is not possible. Caused by 'A Numeric is not comparable to non Numeric'."},
		{"$x = 'a' >= Integer[1]\n", "1:6: Comparison of: String >= Integer[1]-Type, is not possible. Caused by 'A String is not comparable to a non String'."},
		{"$x = undef < Integer\n", "1:6: Comparison of: Undef Value < Integer-Type, is not possible. Caused by 'Only Strings, Numbers, Timespans, Timestamps, and Versions are comparable'."},
		{"$x = 1 < File['/x']\n", "1:6: Comparison of: Integer < File['/x'] Resource-Reference, is not possible. Caused by 'A Numeric is not comparable to non Numeric'."},
	}
	for _, tt := range errs {
		_, diags, _ := compileSrc(t, tt.src)
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}
