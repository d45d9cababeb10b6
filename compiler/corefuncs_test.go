package compiler

import "testing"

// TestCoreFunctions: each expected text is what Puppet 7 prints for the
// same expression (merge, range and reverse as puppetlabs-stdlib's; merge is stdlib.go's).
func TestCoreFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`"${strip('  a b  ')} ${strip(['  a ', ' b'])}"`, "a b [a, b]"},
		{`"${merge({a => 1, b => 2}, {b => 3, c => 4}, undef)}"`, "{a => 1, b => 3, c => 4}"},
		{`"${flatten([1, [2, [3]]])} ${unique([1, 2, 1, 'a', 'A'])} ${unique('aabbc')}"`, "[1, 2, 3] [1, 2, a, A] abc"},
		{`"${sort([3, 1, 2])} ${sort(['b', 'A', 'a'])} ${sort([1, 3, 2]) |$a, $b| { $b - $a }}"`, "[1, 2, 3] [A, a, b] [3, 2, 1]"},
		{`"${reverse([1, 2, 3])} ${reverse('abc')}"`, "[3, 2, 1] cba"},
		{`"${range(1, 5)} ${range(1, 10, 3)} ${range('a', 'e')} ${range('web08', 'web10')}"`, "[1, 2, 3, 4, 5] [1, 4, 7, 10] [a, b, c, d, e] [web08, web09, web10]"},
		{`"${versioncmp('1.10', '1.9')} ${versioncmp('1.0', '1.0')} ${versioncmp('1.0a', '1.0')} ${versioncmp('1.0-2', '1.0.1')}"`, "1 0 1 -1"},
		{`"${regsubst('hello world', 'o', '0')} ${regsubst('hello world', 'o', '0', 'G')} ${regsubst('Hello', 'h', 'j', 'I')}"`, "hell0 world hell0 w0rld jello"},
		{`"${regsubst('abc', '(b)', '[\1]')} ${regsubst(['ab', 'cb'], 'b', 'x')} ${regsubst('a.b', /\./, '-')}"`, "a[b]c [ax, cx] a-b"},
		{`"${match('abc123', /([a-z]+)(\d+)/)} ${match('abc', /x/)} ${match(['a1', 'b'], /\d/)}"`, "[abc123, abc, 123]  [[1], ]"},
		{`"${empty('')} ${empty([])} ${empty({})} ${empty('a')} ${empty(undef)}"`, "true true true false true"},
		{`with(1, 2) |$a, $b| { $a + $b }`, "3"},
		{`"${{a => 1, b => 2}.map |$k, $v| { "${k}${v}" }} ${{a => 1, b => 2}.filter |$k, $v| { $v > 1 }}"`, "[a1, b2] {b => 2}"},
		{`{a => 1, b => 2}.reduce(0) |$m, $kv| { $m + $kv[1] }`, "3"},
	}
	expectMessages(t, tests)
	errs := []struct{ src, want string }{
		{"versioncmp(1, '2')", "'versioncmp' parameter 'a' expects a String value, got Integer"},
		{"regsubst(1, 'a', 'b')", "'regsubst' parameter 'target' expects a value of type Array or String, got Integer"},
		{"match(1, /a/)", "'match' parameter 'string' expects a value of type String or Array, got Integer"},
		{"sort(1)", "'sort' parameter 'array_value' expects an Array value, got Integer"},
	}
	expectErrors(t, errs)
}
