package parser

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestPositions checks the lexer's positions, computed incrementally from
// the last one, against a count from the start of the source: lines and
// columns in characters, over multi-byte text, heredocs and long lines.
func TestPositions(t *testing.T) {
	src := "# héllo wörld\n$x = 'ünïcode' ; $y = \"a ${x} ü\"\n" +
		"file { '/tmp/é':\n  content => @(END),\n    héré\n    | END\n  mode => '0644',\n}\n" +
		"notice(\"\xe2\x82\xac ${y}\")\n\n\n$z = [1, 2, 3].map |$v| { $v * 2 }\n"
	naive := func(off int) hcl.Pos {
		line, col := 1, 1
		for _, r := range src[:off] {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return hcl.Pos{Line: line, Column: col, Byte: off}
	}
	toks, diags := lex("p.pp", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tok := range toks {
		for _, p := range []hcl.Pos{tok.rng.Start, tok.rng.End} {
			if want := naive(p.Byte); p != want {
				t.Errorf("token %s: position %+v, want %+v", tok.describe(), p, want)
			}
		}
	}
	if len(toks) < 30 {
		t.Fatalf("only %d tokens", len(toks))
	}
}
