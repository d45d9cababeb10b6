package compiler

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestParameterTypes checks typed class parameters against values, with
// the messages Puppet 7 gives for each (taken from `puppet apply`).
func TestParameterTypes(t *testing.T) {
	tests := []struct{ param, want string }{
		{`Array[String] $p = [1]`, "parameter 'p' index 0 expects a String value, got Integer"},
		{`Hash[String, Integer] $p = {a => 'x'}`, "parameter 'p' entry 'a' expects an Integer value, got String"},
		{`Optional[Integer] $p = 'x'`, "parameter 'p' expects a value of type Undef or Integer, got String"},
		{`Optional[Enum['a']] $p = 'b'`, "parameter 'p' expects an undef value or a match for Enum['a'], got 'b'"},
		{`Optional[Array[String]] $p = [1]`, "parameter 'p' index 0 expects a String value, got Integer"},
		{`Enum['a', 'b'] $p = 'c'`, "parameter 'p' expects a match for Enum['a', 'b'], got 'c'"},
		{`Enum[a, b] $p = 3`, "parameter 'p' expects a match for Enum['a', 'b'], got Integer"},
		{`Pattern[/^a/] $p = 'b'`, "parameter 'p' expects a match for Pattern[/^a/], got 'b'"},
		{`Variant[Integer, Boolean] $p = 'x'`, "parameter 'p' expects a value of type Integer or Boolean, got String"},
		{`Variant[Array[String], Integer] $p = [1]`, "\n  parameter 'p' variant 0 index 0 expects a String value, got Integer\n  parameter 'p' variant 1 expects an Integer value, got Tuple"},
		{`String[3] $p = 'ab'`, "parameter 'p' expects a String[3] value, got String"},
		{`Integer[1, 5] $p = 7`, "parameter 'p' expects an Integer[1, 5] value, got Integer[7, 7]"},
		{`Float[1.0, 2.0] $p = 3.0`, "parameter 'p' expects a Float[1.0, 2.0] value, got Float[3.0, 3.0]"},
		{`Struct[{a => Integer, Optional[b] => String}] $p = {a => 'x'}`, "parameter 'p' entry 'a' expects an Integer value, got String"},
		{`Struct[{a => Integer, Optional[b] => String}] $p = {a => 1, b => 2}`, "parameter 'p' entry 'b' expects a String value, got Integer"},
		{`Struct[{a => Integer}] $p = {c => 1}`, "\n  parameter 'p' expects a value for key 'a'\n  parameter 'p' unrecognized key 'c'"},
		{`Tuple[String, Integer] $p = ['a', 'b']`, "parameter 'p' index 1 expects an Integer value, got String"},
		{`Tuple[String, Integer] $p = ['a']`, "parameter 'p' expects size to be 2, got 1"},
		{`Array[Integer, 2] $p = [1]`, "parameter 'p' expects size to be at least 2, got 1"},
		{`Array[String, 1, 2] $p = ['a', 'b', 'c']`, "parameter 'p' expects size to be between 1 and 2, got 3"},
		{`Array[Integer] $p = [1, 'a', 'b']`, "\n  parameter 'p' index 1 expects an Integer value, got String\n  parameter 'p' index 2 expects an Integer value, got String"},
		{`Array[Integer] $p = {}`, "parameter 'p' expects an Array value, got Hash"},
		{`Array[String] $p = 'x'`, "parameter 'p' expects an Array value, got String"},
		{`Undef $p = 1`, "parameter 'p' expects an Undef value, got Integer"},
		{`Float $p = 1`, "parameter 'p' expects a Float value, got Integer"},
		{`Numeric $p = 'x'`, "parameter 'p' expects a Numeric value, got String"},
		{`Boolean $p = 'true'`, "parameter 'p' expects a Boolean value, got String"},
		{`String $p = undef`, "parameter 'p' expects a String value, got Undef"},
		{`Integer $p = [1]`, "parameter 'p' expects an Integer value, got Tuple"},
		{`String $p = {a => 1}`, "parameter 'p' expects a String value, got Struct"},
		{`Integer $p = 1.5`, "parameter 'p' expects an Integer value, got Float"},
		{`String $p = Integer`, "parameter 'p' expects a String value, got Type[Integer]"},
		{`Hash[String, Integer, 2] $p = {}`, "parameter 'p' expects size to be at least 2, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.param, func(t *testing.T) {
			_, diags, _ := compileSrc(t, "class foo("+tt.param+") {}\ninclude foo\n")
			want := "Class[Foo]:" + tt.want
			if tt.want[0] != '\n' {
				want = "Class[Foo]: " + tt.want
			}
			if diff := cmp.Diff([]string{"2:1: " + want}, diagLines(diags, hcl.DiagError)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	accepted := []string{
		`Array $p = []`, `Optional[String] $p = undef`, `Variant[String, Integer] $p = 3`,
		`Struct[{a => Integer, Optional[b] => String}] $p = {a => 1}`, `Any $p = undef`,
		`Tuple[String, Integer, 1, 3] $p = ['a', 1, 2]`, `Hash[String, Array[Integer]] $p = {a => [1]}`,
		`Pattern['^a', /b$/] $p = 'xb'`, `Integer[default, 5] $p = -3`, `Numeric $p = 1.5`,
	}
	for _, p := range accepted {
		mustCompile(t, "class foo("+p+") {}\ninclude foo\n")
	}
}

func TestTypeFunctions(t *testing.T) {
	// The parser does not take type(...) as a call (the keyword of type
	// aliases), hence the method form.
	cat := mustCompile(t, `$a = 1.type
$b = 'ab'.type
$c = [1, 'a'].type
$d = {a => 1}.type
$e = undef.type
$f = 1.type('generalized')
$g = [1, 'a'].type('generalized')
notify { 'm': message => "$a $b $c $d $e $f $g" }
`)
	want := "Integer[1, 1] String Tuple[Integer[1, 1], String] Struct[{'a' => Integer[1, 1]}] Undef Integer Array[ScalarData]"
	if got := messages(cat); !slices.Equal(got, []string{want}) {
		t.Errorf("got %q, want %q", got, want)
	}
	tests := []struct{ expr, want string }{
		{`"${Integer('3') + 1} ${Integer('0x10')} ${String(5)} ${Boolean('true')} ${Float(2)}"`, "4 16 5 true 2.0"},
		{`"${Array('ab')} ${Array({a => 1})} ${Hash([a, 1, b, 2])} ${Hash([[a, 1]])} ${String(1.5)}"`,
			"[a, b] [[a, 1]] {a => 1, b => 2} {a => 1} 1.500000"},
		{`assert_type(String, 1) |$e, $a| { "fallback ${e} ${a}" }`, "fallback String Integer[1, 1]"},
		{`"${assert_type(Integer, 4)}"`, "4"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			cat := mustCompile(t, "notify { 'm': message => "+tt.expr+" }\n")
			if got := messages(cat); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTypeAliasesAndFunctions(t *testing.T) {
	cat := mustCompile(t, `type Port = Integer[1, 65535]
function mymod::greet(String $who, String $how = 'Hello') >> String { "${how}, ${who}" }
function twice(Integer $x) { $x * 2 }
notify { 'a': message => "${3 =~ Port} ${70000 =~ Port} ${mymod::greet('you')} ${twice(4)}" }
`)
	if got := messages(cat); !slices.Equal(got, []string{"true false Hello, you 8"}) {
		t.Errorf("got %q", got)
	}
	errs := []struct{ src, want string }{
		{"type Port = Integer[1, 2]\nclass foo(Port $p = 5) {}\ninclude foo\n", "3:1: Class[Foo]: parameter 'p' expects an Integer[1, 2] value, got Integer[5, 5]"},
		{"function f(Integer $x) {}\nf('x')\n", "2:1: 'f' parameter 'x' expects an Integer value, got String"},
		{"function f(Integer $x) >> Integer { 's' }\nf(1)\n", "2:1: value returned from f has wrong type, expects an Integer value, got String"},
		{"function f(Integer $x) { $x }\nf()\n", "2:1: 'f' expects 1 argument, got none"},
		{"assert_type(String, 1)\n", "1:1: assert_type(): expects a String value, got Integer"},
		{"Integer('x')\n", "1:1: Integer(): The string 'x' cannot be converted to Integer"},
	}
	for _, tt := range errs {
		_, diags, _ := compileSrc(t, tt.src)
		if diff := cmp.Diff([]string{tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}
