package compiler

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestMoreCoreFunctions: each expected text is what Puppet 7 prints for
// the same expression (checked with puppet apply; the messages of
// errors are gapply's where Puppet only lists signatures).
func TestMoreCoreFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`"${min(3, 1, 2)} ${max([4, 9, 2])} ${min('b', 'a', 'C')} ${max('b', 'B')} ${min(1, 2.5)} ${max('10', 9)}"`, "1 9 C b 1 10"},
		{`"${compare(1, 2)} ${compare('a', 'A')} ${compare('a', 'A', false)} ${compare('b', 'a')}"`, "-1 0 1 1"},
		{`"${[1, 2, 3].index(2)} ${[1, 2, 3].index |$x| { $x > 1 }} ${'hello'.index('l')} ${{a => 1, b => 2}.index |$v| { $v == 2 }} ${[1].index(5)}|"`, "1 1 2 b |"},
		{`"${[1, 2, 3, 4].group_by |$x| { $x % 2 }} ${{a => 1, b => 2}.group_by |$k, $v| { $v }}"`, "{1 => [1, 3], 0 => [2, 4]} {1 => [[a, 1]], 2 => [[b, 2]]}"},
		{`"${[1, 2, 3, 4].partition |$x| { $x > 2 }} ${{a => 1, b => 2}.partition |$k, $v| { $v > 1 }}"`, "[[3, 4], [1, 2]] [[[b, 2]], [[a, 1]]]"},
		{`"${md5('abc')} ${sha1('abc')}"`, "900150983cd24fb0d6963f7d28e17f72 a9993e364706816aba3e25717850c26c9cd0d89d"},
		{`shellquote('a b', "it's", 'plain', ['x$y', ''], "both'\$")`, `"a b" "it's" plain 'x$y' "" "both'\$"`},
		{`"${camelcase('hello_world')} ${camelcase(['a_b'])} ${chomp("a\r\n")}|${chop('abc')}|${chop("a\r\n")}|${chomp(["x\n"])}"`, "HelloWorld [AB] a|ab|a|[x]"},
		{`"${round(2.5)} ${round(-2.5)} ${floor(2.7)} ${ceiling(2.1)} ${abs(-3)} ${abs(-2.5)} ${floor(3)}"`, "3 -3 2 3 3 2.5 3"},
		{`"${[1, 2, 3, 4, 5, 6].step(2)} ${[1, 2, 3].reverse_each} ${{a => 1, b => 2, c => 3}.slice(2)}"`, "[1, 3, 5] [3, 2, 1] [[[a, 1], [b, 2]], [[c, 3]]]"},
		{`"${[1, 2].any |$i, $x| { $i == 1 }} ${{a => 1}.all |$k, $v| { $v == 1 }} ${[3, 4].any |$x| { $x > 5 }} ${[3, 4].all |$x| { $x > 3 }}"`, "true true false false"},
		{`"${Integer[1, 3].reduce |$m, $x| { $m + $x }} ${'abc'.reduce |$m, $c| { "${c}${m}" }} ${'ab'.map |$i, $c| { "${i}${c}" }}"`, "6 cba [0a, 1b]"},
		{`"${[1, 2, 3].slice(2).map |$s| { $s.length }}"`, "[2, 1]"},
		{`sprintf('%3$s %1$s %2$s|%2$05.1f', 'a', 2.25, 'c')`, "c a 2.25|002.2"},
		{`String(["it's", 'back\slash', "tab\there", 'end\\', "q\"d", '$x'])`, `['it\'s', 'back\slash', "tab\there", 'end\', 'q"d', '$x']`},
		{`"${type(true)} ${type(/a+/)} ${type(true, generalized)}"`, "Boolean[true] Regexp[/a+/] Boolean"},
	}
	expectMessages(t, tests)
	errs := []struct{ src, want string }{
		{"round('3.7')", "'round' parameter 'val' expects a Numeric value, got String"},
		{"[1].slice(0)", "'slice' parameter 'slice_size' expects an Integer[1] value, got Integer"},
		{"compare(1, 'a')", "compare(): Can only compare values of the same type (or for Timestamp/Timespan also against Numeric). Got Integer and String"},
		{"[1].any", "any(): expects a lambda (a block |$x| { ... })"},
		{"Integer('1_000')", "Integer(): The string '1_000' cannot be converted to Integer"},
		{"Integer('0o17')", "Integer(): The string '0o17' cannot be converted to Integer"},
	}
	expectErrors(t, errs)
}

// TestSliceSpreadsChunks: a lambda with as many parameters as the slice
// size gets each chunk spread, undef past a short last one.
func TestSliceSpreadsChunks(t *testing.T) {
	cat := mustCompile(t, "[1, 2, 3].slice(2) |$a, $b| { notify { \"${a}-${b}\": } }\n")
	var got []string
	for _, r := range cat.Resources {
		if r.Type == "Notify" {
			got = append(got, r.Title)
		}
	}
	if want := []string{"1-2", "3-"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// expectMessages compiles each expression as the message of a notify and
// checks the text it gives.
func expectMessages(t *testing.T, tests []struct{ expr, want string }) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			cat := mustCompile(t, "notify { 'm': message => "+tt.expr+" }\n")
			if got := messages(cat); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// expectErrors compiles each one-line source and checks that its only
// error is want, located at 1:1.
func expectErrors(t *testing.T, errs []struct{ src, want string }) {
	t.Helper()
	for _, tt := range errs {
		_, diags, _ := compileSrc(t, tt.src+"\n")
		if diff := cmp.Diff([]string{"1:1: " + tt.want}, diagLines(diags, hcl.DiagError)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}
