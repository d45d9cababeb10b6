package compiler

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestRubyRegexpSemantics: patterns written for Ruby match what Puppet
// matches (each case checked with puppet apply), not what Go's syntax
// would make of the same text.
func TestRubyRegexpSemantics(t *testing.T) {
	tests := []struct {
		re, s string
		want  bool
	}{
		{`^foo$`, "bar\nfoo", true}, // ^ and $ are line anchors in Ruby
		{`\Afoo\z`, "foo\nbar", false},
		{`(?m)x.y`, "x\ny", true}, // Ruby's m is dot-all
		{`(?m:x.y)`, "x\ny", true},
		{`(?i)ABC`, "abc", true},
		{`^a{,1}b$`, "ab", true}, // {,n} is {0,n}
		{`^a{,1}b$`, "b", true},
		{`^a{,1}b$`, "aab", false},
		{`^a{,1}b$`, "a{,1}b", false},
		{`\A\h+\z`, "00ff", true},
		{`\A\h+\z`, "0g", false},
		{`\A[\h:]+\z`, "fe80::1", true},
		{`\A\H\z`, "g", true},
		{`\A[]a]+\z`, "]a", true},
		{`\A[[:xdigit:]]+\z`, "beef", true},
		// A named group called as a subroutine, as in stdlib's cron types.
		{`^(?<item>(\*|(?<n>[0-9]|1[0-9]))(-\g<n>)?)(,\g<item>)*$`, "1,3-5,*", true},
		{`^(?<item>(\*|(?<n>[0-9]|1[0-9]))(-\g<n>)?)(,\g<item>)*$`, "1,25", false},
		{`^(?'d'[0-9])\g'd'$`, "42", true},
	}
	for _, tt := range tests {
		re, err := compileRegexp(tt.re, hcl.Range{})
		if err != nil {
			t.Errorf("/%s/: %v", tt.re, err)
			continue
		}
		if got := re.Re.MatchString(tt.s); got != tt.want {
			t.Errorf("%q =~ /%s/ = %v, want %v", tt.s, tt.re, got, tt.want)
		}
		if re.Source != tt.re {
			t.Errorf("source %q, want the Ruby text %q", re.Source, tt.re)
		}
	}
}

// TestRubyRegexpRefused: what RE2 cannot match stays an error that says
// why, instead of matching something else.
func TestRubyRegexpRefused(t *testing.T) {
	tests := []struct{ re, want string }{
		{`^(?<a>x\g<a>?)$`, `recursive subroutine call \g<a> is not supported`},
		{`^\g<nope>$`, `undefined name <nope> reference`},
		{`^x(?=y)`, `(?=...) groups (look-around, atomic) are not supported`},
		{`^(?<=a)b`, `(?<=...) groups (look-around, atomic) are not supported`},
		{`\1`, `invalid escape sequence`}, // back-references
	}
	for _, tt := range tests {
		_, err := compileRegexp(tt.re, hcl.Range{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("/%s/: got %v, want an error containing %q", tt.re, err, tt.want)
		}
	}
}
