package parser

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/txtar"
)

// sexpr prints an expression as a compact S-expression, so precedence tests
// can state the expected grouping in one line.
func sexpr(e Expr) string {
	switch e := e.(type) {
	case *Binary:
		return fmt.Sprintf("(%s %s %s)", e.Op, sexpr(e.Left), sexpr(e.Right))
	case *Chain:
		return fmt.Sprintf("(%s %s %s)", e.Op, sexpr(e.Left), sexpr(e.Right))
	case *Unary:
		return fmt.Sprintf("(%s %s)", e.Op, sexpr(e.Operand))
	case *Assignment:
		return fmt.Sprintf("(= %s %s)", sexpr(e.Target), sexpr(e.Value))
	case *Selector:
		return fmt.Sprintf("(? %s)", sexpr(e.Subject))
	case *Variable:
		return "$" + e.Name
	case *Number:
		return e.Text
	case *QualifiedName:
		return e.Name
	case *Boolean:
		return fmt.Sprint(e.Value)
	case *String:
		return "'" + e.Value + "'"
	case *Paren:
		return sexpr(e.Inner)
	case *Access:
		parts := []string{sexpr(e.Target)}
		for _, k := range e.Keys {
			parts = append(parts, sexpr(k))
		}
		return "([] " + strings.Join(parts, " ") + ")"
	case *Call:
		parts := []string{e.Name}
		if e.Receiver != nil {
			parts = append(parts, sexpr(e.Receiver))
		}
		for _, a := range e.Args {
			parts = append(parts, sexpr(a))
		}
		return "(call " + strings.Join(parts, " ") + ")"
	case *TypeReference:
		return e.Name
	}
	return fmt.Sprintf("<%T>", e)
}

func TestPrecedence(t *testing.T) {
	tests := []struct{ src, want string }{
		{"1 + 2 * 3", "(+ 1 (* 2 3))"},
		{"1 * 2 + 3", "(+ (* 1 2) 3)"},
		{"3 - 2 - 1", "(- (- 3 2) 1)"},
		{"1 << 2 + 1", "(<< 1 (+ 2 1))"},
		{"1 < 2 == true", "(< 1 (== 2 true))"}, // == binds tighter than <, as in Puppet
		{"$a == 1 and $b != 2 or $c", "(or (and (== $a 1) (!= $b 2)) $c)"},
		{"$a or $b and $c", "(or $a (and $b $c))"},
		{"!$a and $b", "(and (! $a) $b)"},
		{"-$a in $b", "(in (- $a) $b)"},
		{"!$a in $b", "(in (! $a) $b)"},
		{"$a in $b =~ $c", "(=~ (in $a $b) $c)"},
		{"$a =~ /x/ * 2", "(* (=~ $a <*parser.Regex>) 2)"},
		{"$x * 2 in $y", "(* $x (in 2 $y))"},
		{"*$a", "(* $a)"},
		{"1 + 2 ? { 3 => a }", "(? (+ 1 2))"},
		{"1 < 2 ? { true => a }", "(? (< 1 2))"},
		{"true and false ? { false => a }", "(and true (? false))"},
		{"false or true ? { true => a }", "(or false (? true))"},
		{"$x = $y = 1", "(= $x (= $y 1))"},
		{"$x = 1 + 2", "(= $x (+ 1 2))"},
		{"$x = File['a'] -> File['b']", "(-> (= $x ([] File 'a')) ([] File 'b'))"},
		{"$a -> $b ~> $c <- $d", "(<- (~> (-> $a $b) $c) $d)"},
		{"(1 + 2) * 3", "(* (+ 1 2) 3)"},
		{"$h['a'][0]", "([] ([] $h 'a') 0)"},
		{"$x.foo.bar(1)", "(call bar (call foo $x) 1)"},
		{"-$x[0]", "(- ([] $x 0))"},
		{"$a / 2 / $b", "(/ (/ $a 2) $b)"},
		{"$a % 2 + 1", "(+ (% $a 2) 1)"},
		{"$a >= 1 and $b <= 2", "(and (>= $a 1) (<= $b 2))"},
		{"$a !~ /x/ or $a >> 1 > 0", "(or (!~ $a <*parser.Regex>) (> (>> $a 1) 0))"},
		{"type($a) == String", "(== (call type $a) String)"},
		{"$a = type(1, 'generalized')", "(= $a (call type 1 'generalized'))"},
	}
	for _, tt := range tests {
		e, diags := ParseExpression("t.pp", []byte(tt.src))
		if diags.HasErrors() {
			t.Errorf("%s: unexpected errors:\n%s", tt.src, formatDiags(diags))
			continue
		}
		if got := sexpr(e); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

// TestErrors checks that each error is reported at the offending token with a
// message saying what was expected and what was found, and that parsing goes on
// after an error.
func TestErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"class foo {", "1:12: syntax error: expected '}' but found end of file"},
		{"$a = [1]\n$a += [2]", "2:4: syntax error: The operator '+=' is no longer supported"},
		{"$a = 1 - = 2", "1:10: syntax error: expected an expression but found '='"},
		{"node 'a' inherits base { }", "1:10: syntax error: Node inheritance is not supported in Puppet >= 4.0.0"},
		{"file { 'x': mode => }", "1:21: syntax error: expected an expression but found '}'"},
		{"file { 'x' ensure => file }", "1:12: syntax error: expected ':' but found 'ensure'"},
		{"$x = [1, 2", "1:11: syntax error: expected ']' but found end of file"},
		{"notice(1 2)", "1:10: syntax error: expected ')' but found '2'"},
		{"$x = 'abc", "1:6: syntax error: unterminated string"},
		{"$x = \"a ${b\n", "1:6: syntax error: unterminated string\n1:9: syntax error: unterminated interpolation, expected '}'"},
		{"$x = 08", "1:6: syntax error: illegal number '08'"},
		{"$x = 12abc", "1:6: syntax error: illegal number '12abc'"},
		{"$x = 99999999999999999999", "1:6: syntax error: integer '99999999999999999999' is out of range"},
		{"$x = 1 ^ 2", "1:8: syntax error: illegal character \"^\""},
		{"/* open", "1:1: syntax error: unterminated comment"},
		{"$x = @(END)\nbody\n", "1:6: syntax error: unterminated heredoc: no end tag 'END' found"},
		{"1 = 2", "1:1: syntax error: cannot assign to this expression, expected a variable or an array of variables"},
		{"case $x { 'a' { } }", "1:15: syntax error: expected ':' but found '{'"},
		{"if $x { } elsif { }", "1:20: syntax error: expected '{' but found end of file"},
		{"unless $x { } elsif $y { }", "1:15: syntax error: 'unless' does not support 'elsif'"},
		{"node { }", "1:6: syntax error: expected a node name (string, regular expression or default) but found '{'"},
		{"class { 'x': 'y' => 1 }", "1:14: syntax error: expected an attribute name but found string"},
		{"$x = $", "1:6: syntax error: '$' must be followed by a variable name"},
		{"notice(\"${}\")", "1:9: syntax error: expected an expression in '${}' but found '}'"},
		{"function f(Integer) { }", "1:19: syntax error: expected a parameter variable but found ')'"},
		// recovery: one error per broken statement, later statements still parsed
		{"file { 'a': ensure => }\nfile { 'b': ensure => }\n$x = )\n",
			"1:23: syntax error: expected an expression but found '}'\n" +
				"2:23: syntax error: expected an expression but found '}'\n" +
				"3:6: syntax error: expected an expression but found ')'"},
		{"class a {\n  $x = \n}\nclass b { $y = ] }\n",
			"3:1: syntax error: expected an expression but found '}'\n" +
				"4:16: syntax error: expected an expression but found ']'"},
	}
	for _, tt := range tests {
		_, diags := ParseFile("t.pp", []byte(tt.src))
		var got []string
		for _, d := range diags {
			if d.Severity != hcl.DiagError {
				t.Errorf("%q: severity %v", tt.src, d.Severity)
			}
			got = append(got, fmt.Sprintf("%d:%d: %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
		}
		if g := strings.Join(got, "\n"); g != tt.want {
			t.Errorf("%q\n got: %s\nwant: %s", tt.src, g, tt.want)
		}
	}
}

func TestErrorLimit(t *testing.T) {
	src := strings.Repeat("$x = )\n", 30)
	_, diags := ParseFile("t.pp", []byte(src))
	if len(diags) != maxErrors {
		t.Fatalf("got %d diagnostics, want the limit %d", len(diags), maxErrors)
	}
	if last := diags[len(diags)-1].Subject.Start.Line; last != maxErrors {
		t.Errorf("last error on line %d, want %d (one per line)", last, maxErrors)
	}
}

func TestDeepNesting(t *testing.T) {
	src := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	_, diags := ParseExpression("t.pp", []byte(src))
	if !diags.HasErrors() || !strings.Contains(diags[0].Summary, "nested too deeply") {
		t.Fatalf("want a nesting error, got %v", diags)
	}
}

func TestParseFileRanges(t *testing.T) {
	f, diags := ParseFile("site.pp", []byte("notify { 'é':\n  message => 'x',\n}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r := f.Body[0].(*ResourceDecl).Bodies[0].Ops[0].NameRange
	want := hcl.Range{Filename: "site.pp", Start: hcl.Pos{Line: 2, Column: 3, Byte: 17}, End: hcl.Pos{Line: 2, Column: 10, Byte: 24}}
	if r != want {
		t.Errorf("attribute name range %#v, want %#v", r, want)
	}
	// columns count characters, not bytes
	title := f.Body[0].(*ResourceDecl).Bodies[0].Title.Range()
	if title.End.Column != 13 || title.End.Byte != 13 {
		t.Errorf("title end %#v, want column 13 byte 13", title.End)
	}
}

// checkRange fails unless r is a well-formed range inside src.
func checkRange(t *testing.T, what string, r hcl.Range, src []byte) {
	t.Helper()
	if r.Start.Line < 1 || r.Start.Column < 1 || r.End.Line < r.Start.Line ||
		r.Start.Byte < 0 || r.End.Byte < r.Start.Byte || r.End.Byte > len(src) {
		t.Fatalf("%s: bad range %#v (source %d bytes)", what, r, len(src))
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, path := range files {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "in.pp" {
				f.Add(file.Data)
			}
		}
	}
	f.Add([]byte("$x = \"${a['b'].c(1) |$d| { @(E)\n}\"\nE\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, diags := ParseFile("f.pp", src)
		if file == nil {
			t.Fatal("nil file")
		}
		if len(diags) > maxErrors {
			t.Fatalf("%d diagnostics, limit is %d", len(diags), maxErrors)
		}
		for _, d := range diags {
			if d.Subject == nil {
				t.Fatalf("diagnostic without subject: %s", d.Summary)
			}
			checkRange(t, d.Summary, *d.Subject, src)
		}
		if !diags.HasErrors() {
			checkRange(t, "file", file.Range(), src)
			_ = Dump(file)
		}
	})
}
