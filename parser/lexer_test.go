package parser

import (
	"strings"
	"testing"
)

// toksString renders tokens as "kind:text" (or "kind=value" for strings and
// regexes), space separated, without the final EOF.
func toksString(toks []token) string {
	var out []string
	for _, t := range toks {
		switch t.kind {
		case tEOF:
			continue
		case tString, tRegex:
			out = append(out, t.kind.String()+"="+t.value)
		case tHeredoc:
			s := "heredoc=" + t.value
			for _, p := range t.parts {
				if p.isVar {
					s += "|$" + p.varName
				} else if p.isExpr {
					s += "|${...}"
				} else if t.interp {
					s += "|" + p.text
				}
			}
			out = append(out, s)
		case tDQString:
			var parts []string
			for _, p := range t.parts {
				switch {
				case p.isVar:
					parts = append(parts, "$"+p.varName)
				case p.isExpr:
					parts = append(parts, "${"+toksString(p.toks)+"}")
				default:
					parts = append(parts, p.text)
				}
			}
			out = append(out, "dq["+strings.Join(parts, "|")+"]")
		default:
			out = append(out, t.kind.String()+":"+t.text)
		}
	}
	return strings.Join(out, " ")
}

func TestLexer(t *testing.T) {
	tests := []struct{ src, want string }{
		{"foo foo::bar ::top foo-bar", "name:foo name:foo::bar name:::top name:foo-bar"},
		{"File Foo::Bar ::Top", "type name:File type name:Foo::Bar type name:::Top"},
		{"$x $::x $foo::bar $0 $_y", "variable:x variable:::x variable:foo::bar variable:0 variable:_y"},
		{"if elsif else unless case default and or in", "'if':if 'elsif':elsif 'else':else 'unless':unless 'case':case 'default':default 'and':and 'or':or 'in':in"},
		{"0 42 0x1F 017 3.14 1e3 2.5E-2", "number:0 number:42 number:0x1F number:017 number:3.14 number:1e3 number:2.5E-2"},
		{"1.foo", "number:1 '.':. name:foo"},
		{"=> +> -> ~> <- <~ <| |> <<| |>> == != =~ !~ >= <= << >> @ @@",
			"'=>':=> '+>':+> '->':-> '~>':~> '<-':<- '<~':<~ '<|':<| '|>':|> '<<|':<<| '|>>':|>> " +
				"'==':== '!=':!= '=~':=~ '!~':!~ '>=':>= '<=':<= '<<':<< '>>':>> '@':@ '@@':@@"},
		{"# comment\n$a /* block\ncomment */ $b", "variable:a variable:b"},
		{`'it\'s \\ \n'`, `string=it's \ \n`},
		{`"a\tb\n\s\$\"\\\u0041\u{42}\q"`, "string=a\tb\n $\"\\AB\\q"},
		{`"x $y ${z} $foo::bar $ 5"`, "dq[x |$y| |${name:z}| |$foo::bar| $ 5]"},
		{`"${h['k']} ${f(1)}"`, "dq[${name:h '[':[ string=k ']':]}| |${name:f '(':( number:1 ')':)}]"},
		{`"${ {a=>1}['a'] }"`, "dq[${'{':{ name:a '=>':=> number:1 '}':} '[':[ string=a ']':]}]"},
		{`"a ${"b ${c}"} d"`, "dq[a |${dq[b |${name:c}]}| d]"},
		// '/' is a regex only where an operand is expected
		{"$x =~ /a\\/b/", "variable:x '=~':=~ regular expression=a/b"},
		{"$a / $b / 2", "variable:a '/':/ variable:b '/':/ number:2"},
		{"[/x/, /y/]", "'[':[ regular expression=x ',':, regular expression=y ']':]"},
		{"f(1) / 2", "name:f '(':( number:1 ')':) '/':/ number:2"},
		{"{ } /r/", "'{':{ '}':} regular expression=r"},
		{"@(END)\n  text $x\n  END\n$y", "heredoc=  text $x\n variable:y"},
		{"@(\"END\")\n  a ${b} $c\n  | END\n", "heredoc=|a |${...}| |$c|\n"},
		{"@(END/t)\n\\t\\n\n-END", `heredoc=	\n`},
		{"[@(A), @(B)]\na\n|A\nb\n|-B\n$z", "'[':[ heredoc=a\n ',':, heredoc=b ']':] variable:z"},
		{"foo(@(X)) $after\n  x\n  |-X\n$next", "name:foo '(':( heredoc=x ')':) variable:after variable:next"},
	}
	for _, tt := range tests {
		toks, diags := lex("t.pp", []byte(tt.src))
		if diags.HasErrors() {
			t.Errorf("%q: %s", tt.src, formatDiags(diags))
		}
		if got := toksString(toks); got != tt.want {
			t.Errorf("%q\n got %q\nwant %q", tt.src, got, tt.want)
		}
	}
}

func TestLexerSpaceBefore(t *testing.T) {
	toks, _ := lex("t.pp", []byte("$a[0] $b [1]"))
	if toks[1].spaceBefore || !toks[5].spaceBefore {
		t.Errorf("spaceBefore: '[' after $a = %v, after $b = %v", toks[1].spaceBefore, toks[5].spaceBefore)
	}
}
