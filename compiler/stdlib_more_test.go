package compiler

import (
	"slices"
	"testing"
	"time"
)

// TestRubyStrftime: the expected texts are Ruby's Time#strftime for the
// same time and formats (ruby -e 'puts Time.utc(2024, 3, 5, 7, 8, 9,
// 123456).strftime(...)').
func TestRubyStrftime(t *testing.T) {
	tm := time.Date(2024, 3, 5, 7, 8, 9, 123456000, time.UTC)
	for format, want := range map[string]string{
		"%Y-%m-%d %H:%M:%S|%y %C %B %b %h %e %j %k %I %l %p %P %A %a %u %w %L %N %z %:z %Z %s %G %V %U %W": "2024-03-05 07:08:09|24 20 March Mar Mar  5 065  7 07  7 AM am Tuesday Tue 2 2 123 123456000 +0000 +00:00 UTC 1709622489 2024 10 09 10",
		"%c|%D|%F|%T|%R|%r":        "Tue Mar  5 07:08:09 2024|03/05/24|2024-03-05|07:08:09|07:08|07:08:09 AM",
		"%-d %-m %_H %^a %%|%Q|%":  "5 3  7 TUE %|%Q|%",
		"plain text, no directive": "plain text, no directive",
	} {
		if got := rubyStrftime(tm, format); got != want {
			t.Errorf("%q: got %q, want %q", format, got, want)
		}
	}
	for day, want := range map[time.Time]string{
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC):   "00 01 01 2024 1 1",
		time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC): "53 52 52 2023 7 0",
	} {
		if got := rubyStrftime(day, "%U %W %V %G %u %w"); got != want {
			t.Errorf("%s: got %q, want %q", day, got, want)
		}
	}
}

// TestMoreStdlibFunctions: stdlib's results (shell_escape's are Ruby's
// Shellwords.escape's).
func TestMoreStdlibFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`"${count([1, undef, '', 2, 'x'])} ${count(['a', 'b', 'a'], 'a')} ${count(['A'], 'a')}"`, "3 2 0"},
		{`"${delete_at([1, 2, 3], 1)} ${delete_at(['a', 'b'], '0')} ${delete_at([1, 2, 3], -1)}"`, "[1, 3] [b] [1, 2]"},
		{`"${num2bool(1)} ${num2bool(0)} ${num2bool('2')} ${num2bool(-1)} ${num2bool(0.9)} ${num2bool('1.5')} ${num2bool(true)}"`, "true false true false false true false"},
		{`"${shell_escape('a b')}|${shell_escape("it's")}|${shell_escape('x$y')}|${shell_escape('')}|${shell_escape('ü')}|${shell_escape('safe-_.,:+/@')}"`, `a\ b|it\'s|x\$y|''|\ü|safe-_.,:+/@`},
		{`"${stdlib::chomp("a\n")}|${stdlib::chop('ab')}|${strftime('%Y') =~ /^\d{4}$/}|${strftime('%H', 'UTC') =~ /^\d\d$/}"`, "a|a|true|true"},
	}
	expectMessages(t, tests)
	errs := []struct{ src, want string }{
		{"delete_at([1], 3)", "delete_at(): Given index exceeds size of array given"},
		{"delete_at('x', 0)", "delete_at(): Requires array to work with"},
		{"num2bool('abc')", "num2bool(): 'abc' does not look like a number"},
		{"count()", "count(): Wrong number of arguments given (0 for 1 or 2)"},
		{"strftime('%Y', 'Nowhere/City')", "strftime(): Unknown time zone 'Nowhere/City'"},
	}
	expectErrors(t, errs)
}

// TestGetparam reads the parameters of declared resources, ” for what is
// not set or not declared, and refuses to guess for a defined type.
func TestGetparam(t *testing.T) {
	cat := mustCompile(t, `file { '/tmp/x': ensure => directory, mode => '0750' }
notify { 'm': message => "${getparam(File['/tmp/x'], 'mode')} [${getparam(File['/tmp/x'], 'owner')}] [${getparam(File['/tmp/none'], 'mode')}] ${getparam('File[/tmp/x]', 'ensure')}" }
`)
	if got, want := messages(cat), []string{"0750 [] [] directory"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	_, diags, _ := compileSrc(t, "define d($p = 1) {}\nd { 'a': }\nnotice(getparam(D['a'], 'p'))\n")
	if !diags.HasErrors() {
		t.Error("getparam of a defined type instance: no error")
	}
}
