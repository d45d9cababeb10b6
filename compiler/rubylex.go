package compiler

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// rubyLexer splits the Ruby of a module's resource type file into the
// few kinds of tokens the schema scan (rubytype.go) looks at. It never
// runs or fully parses Ruby: it only has to know what is code and what is
// a string, a comment, a regexp or a heredoc, so that a newparam inside a
// description is not taken for one. Where Ruby is ambiguous without a
// parser (is "/" a division or a regexp, "%" a modulo or a literal, "<<"
// an append or a heredoc) it decides by the previous token, as Ruby's own
// lexer mostly does; a literal it cannot find the end of is an error.
type rubyLexer struct {
	file string
	src  string
	i    int
	line int
	col  int // of src[i], from 1
	// lineStart is the offset of the current line's first byte.
	lineStart int
	// heredocs wait for the end of the line their opener is on.
	heredocs []rubyHeredoc
	prev     rubyToken
	// spaceBefore says whitespace preceded the token being read.
	spaceBefore bool
}

type rubyHeredoc struct {
	id       string
	indented bool // <<- and <<~: the terminator may be indented
	at       hcl.Pos
}

type rubyKind int

const (
	rubyEOF     rubyKind = iota
	rubyNewline          // a newline or ';': the end of a statement
	rubyIdent            // foo, foo?, foo!, and keywords
	rubyConst            // Puppet
	rubyVar              // @x, @@x, $x
	rubyLabel            // name: (a keyword argument or hash key)
	rubySymbol           // :name, :"name"
	rubyString           // '...', "...", %q(...), heredocs
	rubyRegexp           // /.../, %r{...}
	rubyNumber
	rubyOther // %w[...] and other literals the scan does not need
	rubyPunct // ( ) , . => :: { } [ ] and the other operators
)

type rubyToken struct {
	kind rubyKind
	text string // the name, the symbol, the string's value, the operator
	// interpolated strings and symbols have no fixed value.
	interpolated bool
	rng          hcl.Range
}

func newRubyLexer(file, src string) *rubyLexer {
	return &rubyLexer{file: file, src: src, line: 1, col: 1, prev: rubyToken{kind: rubyNewline}}
}

func (l *rubyLexer) pos() hcl.Pos { return hcl.Pos{Line: l.line, Column: l.col, Byte: l.i} }

// advance moves over n bytes of the current line (no newlines).
func (l *rubyLexer) advance(n int) { l.i += n; l.col += n }

// newline moves over the newline at l.i.
func (l *rubyLexer) newline() {
	l.i++
	l.line++
	l.col = 1
	l.lineStart = l.i
}

func (l *rubyLexer) errorf(at hcl.Pos, format string, args ...any) error {
	return errorf(hcl.Range{Filename: l.file, Start: at, End: at}, format, args...)
}

// all returns every token of the file.
func (l *rubyLexer) all() ([]rubyToken, error) {
	var toks []rubyToken
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		if t.kind == rubyEOF {
			return toks, nil
		}
		toks = append(toks, t)
	}
}

// valueEnded says the previous token ends a value, so that "/", "%" and
// "<<" after it are operators, unless it is a method name followed by a
// space and an argument (desc <<-EOS, newvalues %r{...}).
func (l *rubyLexer) valueEnded() bool {
	p := l.prev
	switch p.kind {
	case rubyIdent:
		if rubyKeywords[p.text] {
			return false
		}
		next := byte(' ')
		if l.i+1 < len(l.src) {
			next = l.src[l.i+1]
		}
		return !(l.spaceBefore && next != ' ' && next != '=')
	case rubyConst, rubyVar, rubySymbol, rubyString, rubyRegexp, rubyNumber, rubyOther:
		return true
	case rubyPunct:
		return p.text == ")" || p.text == "]" || p.text == "}"
	}
	return false
}

// rubyKeywords after which an expression starts.
var rubyKeywords = map[string]bool{
	"if": true, "unless": true, "while": true, "until": true, "and": true, "or": true,
	"not": true, "when": true, "case": true, "return": true, "then": true, "else": true,
	"elsif": true, "do": true, "begin": true, "in": true, "yield": true,
}

func (l *rubyLexer) next() (rubyToken, error) {
	t, err := l.scan()
	if err == nil {
		l.prev = t
	}
	return t, err
}

func (l *rubyLexer) scan() (rubyToken, error) {
	l.spaceBefore = false
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			l.advance(1)
			l.spaceBefore = true
		case c == '\\' && strings.HasPrefix(l.src[l.i+1:], "\n"):
			l.advance(1)
			l.newline()
			l.spaceBefore = true
		case c == '#':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
		case c == '\n':
			start := l.pos()
			l.newline()
			if err := l.heredocBodies(); err != nil {
				return rubyToken{}, err
			}
			return l.tok(rubyNewline, "\n", start), nil
		case c == ';':
			start := l.pos()
			l.advance(1)
			return l.tok(rubyNewline, ";", start), nil
		case l.col == 1 && strings.HasPrefix(l.src[l.i:], "=begin"):
			if err := l.blockComment(); err != nil {
				return rubyToken{}, err
			}
		case l.col == 1 && strings.HasPrefix(l.src[l.i:], "__END__") && l.lineRest(7):
			l.i = len(l.src)
		default:
			return l.token()
		}
	}
	if len(l.heredocs) > 0 {
		h := l.heredocs[0]
		return rubyToken{}, l.errorf(h.at, "heredoc %s has no terminator", h.id)
	}
	return rubyToken{kind: rubyEOF, rng: hcl.Range{Filename: l.file, Start: l.pos(), End: l.pos()}}, nil
}

// lineRest says only whitespace follows n bytes into the line.
func (l *rubyLexer) lineRest(n int) bool {
	rest, _, _ := strings.Cut(l.src[l.i+n:], "\n")
	return strings.TrimSpace(rest) == ""
}

func (l *rubyLexer) blockComment() error {
	start := l.pos()
	for l.i < len(l.src) {
		if l.col == 1 && strings.HasPrefix(l.src[l.i:], "=end") {
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.advance(1)
			}
			return nil
		}
		if l.src[l.i] == '\n' {
			l.newline()
		} else {
			l.advance(1)
		}
	}
	return l.errorf(start, "=begin comment has no =end")
}

func (l *rubyLexer) tok(kind rubyKind, text string, start hcl.Pos) rubyToken {
	return rubyToken{kind: kind, text: text, rng: hcl.Range{Filename: l.file, Start: start, End: l.pos()}}
}

func isRubyIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// identEnd returns the end of the identifier starting at i.
func (l *rubyLexer) identEnd(i int) int {
	for i < len(l.src) && isRubyIdentByte(l.src[i]) {
		i++
	}
	return i
}

func (l *rubyLexer) token() (rubyToken, error) {
	start := l.pos()
	c := l.src[l.i]
	rest := l.src[l.i:]
	switch {
	case c >= '0' && c <= '9':
		end := l.i
		for end < len(l.src) && (isRubyIdentByte(l.src[end]) || l.src[end] == '.' && end+1 < len(l.src) && l.src[end+1] >= '0' && l.src[end+1] <= '9') {
			end++
		}
		text := l.src[l.i:end]
		l.advance(end - l.i)
		return l.tok(rubyNumber, text, start), nil
	case isRubyIdentByte(c):
		end := l.identEnd(l.i)
		if end < len(l.src) && (l.src[end] == '?' || l.src[end] == '!') && !strings.HasPrefix(l.src[end:], "!=") && !strings.HasPrefix(l.src[end:], "?:") {
			end++
		}
		text := l.src[l.i:end]
		l.advance(end - l.i)
		if strings.HasPrefix(l.src[l.i:], ":") && !strings.HasPrefix(l.src[l.i:], "::") && l.prev.text != "?" {
			l.advance(1)
			return l.tok(rubyLabel, text, start), nil
		}
		if c >= 'A' && c <= 'Z' {
			return l.tok(rubyConst, text, start), nil
		}
		return l.tok(rubyIdent, text, start), nil
	case c == '@' || c == '$':
		end := l.i + 1
		if c == '@' && strings.HasPrefix(rest, "@@") {
			end++
		}
		end = max(l.identEnd(end), end+1)
		text := l.src[l.i:end]
		l.advance(end - l.i)
		return l.tok(rubyVar, text, start), nil
	case c == '\'' || c == '"' || c == '`':
		return l.quoted(rubyString, c, c, c != '\'', start, 1)
	case c == ':' && len(rest) > 1 && (rest[1] == '"' || rest[1] == '\''):
		l.advance(1)
		t, err := l.quoted(rubySymbol, rest[1], rest[1], rest[1] == '"', start, 1)
		return t, err
	case c == ':' && len(rest) > 1 && isRubyIdentByte(rest[1]) && !(rest[1] >= '0' && rest[1] <= '9'):
		end := l.identEnd(l.i + 1)
		if end < len(l.src) && (l.src[end] == '?' || l.src[end] == '!' || l.src[end] == '=') && !strings.HasPrefix(l.src[end:], "=>") && !strings.HasPrefix(l.src[end:], "==") {
			end++
		}
		text := l.src[l.i+1 : end]
		l.advance(end - l.i)
		return l.tok(rubySymbol, text, start), nil
	case c == '%' && !l.valueEnded():
		return l.percent(start)
	case c == '/' && !l.valueEnded():
		return l.quoted(rubyRegexp, '/', '/', true, start, 1)
	case strings.HasPrefix(rest, "<<") && !l.valueEnded():
		if t, ok := l.heredoc(start); ok {
			return t, nil
		}
	}
	for _, op := range rubyOperators {
		if strings.HasPrefix(rest, op) {
			l.advance(len(op))
			return l.tok(rubyPunct, op, start), nil
		}
	}
	l.advance(1)
	return l.tok(rubyPunct, string(c), start), nil
}

// rubyOperators are the operators of more than one byte, longest first.
var rubyOperators = []string{"<=>", "===", "**=", "||=", "&&=", "=>", "::", "==", "!=", "=~", "!~", "&&", "||", "<=", ">=", "<<", ">>", "**", "+=", "-=", "->", ".."}

// percent reads a %-literal: %q(..) %Q(..) %(..) are strings, %r{..} a
// regexp, %w %W %i %I %s %x other literals.
func (l *rubyLexer) percent(start hcl.Pos) (rubyToken, error) {
	kind, interp, n := rubyString, true, 1
	if l.i+1 < len(l.src) {
		switch l.src[l.i+1] {
		case 'q':
			interp, n = false, 2
		case 'Q':
			n = 2
		case 'r':
			kind, n = rubyRegexp, 2
		case 'w', 'i', 's':
			kind, interp, n = rubyOther, false, 2
		case 'W', 'I', 'x':
			kind, n = rubyOther, 2
		}
	}
	if l.i+n >= len(l.src) {
		return rubyToken{}, l.errorf(start, "%% literal has no delimiter")
	}
	open := l.src[l.i+n]
	if isRubyIdentByte(open) || open == ' ' || open == '\n' || open == '=' {
		// a modulo or %= after all
		l.advance(1)
		return l.tok(rubyPunct, "%", start), nil
	}
	closing := map[byte]byte{'(': ')', '[': ']', '{': '}', '<': '>'}[open]
	if closing == 0 {
		closing = open
	}
	return l.quoted(kind, open, closing, interp, start, n+1)
}

// quoted reads a literal that starts skip bytes from l.i and ends at
// closing, which nests when it differs from open ("%r{a{2}}"). Escapes
// are skipped and #{...} interpolations are read as code. The token's text
// is the literal's value for strings without escapes or interpolation.
func (l *rubyLexer) quoted(kind rubyKind, open, closing byte, interp bool, start hcl.Pos, skip int) (rubyToken, error) {
	l.advance(skip)
	var b strings.Builder
	depth := 0
	t := rubyToken{kind: kind}
	for {
		if l.i >= len(l.src) {
			return rubyToken{}, l.errorf(start, "%s has no closing %q", rubyKindName(kind), closing)
		}
		c := l.src[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.src):
			t.interpolated = t.interpolated || interp
			if l.src[l.i+1] == '\n' {
				l.advance(1)
				l.newline()
				continue
			}
			if !interp && (l.src[l.i+1] == closing || l.src[l.i+1] == '\\') {
				b.WriteByte(l.src[l.i+1])
			} else {
				b.WriteString(l.src[l.i : l.i+2])
			}
			l.advance(2)
			continue
		case interp && c == '#' && strings.HasPrefix(l.src[l.i:], "#{"):
			t.interpolated = true
			if err := l.interpolation(); err != nil {
				return rubyToken{}, err
			}
			continue
		case c == closing && depth == 0:
			l.advance(1)
			if kind == rubyRegexp {
				for l.i < len(l.src) && strings.IndexByte("imxounse", l.src[l.i]) >= 0 {
					l.advance(1)
				}
			}
			t.text = b.String()
			t.rng = hcl.Range{Filename: l.file, Start: start, End: l.pos()}
			return t, nil
		case c == closing:
			depth--
		case c == open && open != closing:
			depth++
		}
		b.WriteByte(c)
		if c == '\n' {
			l.newline()
		} else {
			l.advance(1)
		}
	}
}

// interpolation reads #{...} as code up to its closing brace.
func (l *rubyLexer) interpolation() error {
	start := l.pos()
	l.advance(2)
	saved := l.prev
	l.prev = rubyToken{kind: rubyPunct, text: "{"}
	depth := 0
	for {
		t, err := l.next()
		if err != nil {
			return err
		}
		switch {
		case t.kind == rubyEOF:
			return l.errorf(start, "interpolation #{ has no closing }")
		case t.kind == rubyPunct && t.text == "{":
			depth++
		case t.kind == rubyPunct && t.text == "}":
			if depth == 0 {
				l.prev = saved
				return nil
			}
			depth--
		}
	}
}

// heredoc reads a heredoc opener (<<ID, <<-ID, <<~ID, quoted or not); its
// body is skipped at the end of the line. ok is false for "<<" that is
// not one.
func (l *rubyLexer) heredoc(start hcl.Pos) (rubyToken, bool) {
	i := l.i + 2
	indented := i < len(l.src) && (l.src[i] == '-' || l.src[i] == '~')
	if indented {
		i++
	}
	quote := byte(0)
	if i < len(l.src) && (l.src[i] == '\'' || l.src[i] == '"' || l.src[i] == '`') {
		quote = l.src[i]
		i++
	}
	end := l.identEnd(i)
	if end == i || quote == 0 && !indented && !(l.src[i] >= 'A' && l.src[i] <= 'Z') {
		return rubyToken{}, false
	}
	id := l.src[i:end]
	if quote != 0 {
		if end >= len(l.src) || l.src[end] != quote {
			return rubyToken{}, false
		}
		end++
	}
	l.advance(end - l.i)
	l.heredocs = append(l.heredocs, rubyHeredoc{id: id, indented: indented, at: start})
	t := l.tok(rubyString, "", start)
	t.interpolated = true // its value is not read
	return t, true
}

// heredocBodies skips the bodies of the heredocs opened on the line that
// just ended.
func (l *rubyLexer) heredocBodies() error {
	for _, h := range l.heredocs {
		for {
			if l.i >= len(l.src) {
				return l.errorf(h.at, "heredoc %s has no terminator", h.id)
			}
			line, _, _ := strings.Cut(l.src[l.i:], "\n")
			term := strings.TrimRight(line, "\r")
			if h.indented {
				term = strings.TrimLeft(term, " \t")
			}
			l.advance(len(line))
			if l.i < len(l.src) {
				l.newline()
			}
			if term == h.id {
				break
			}
		}
	}
	l.heredocs = l.heredocs[:0]
	return nil
}

func rubyKindName(k rubyKind) string {
	switch k {
	case rubyRegexp:
		return "regexp"
	case rubySymbol:
		return "symbol"
	case rubyOther:
		return "% literal"
	}
	return "string"
}

// String describes a token for error messages.
func (t rubyToken) String() string {
	switch t.kind {
	case rubyEOF:
		return "the end of the file"
	case rubyNewline:
		return "the end of the line"
	case rubySymbol:
		return ":" + t.text
	case rubyString, rubyRegexp, rubyOther:
		return rubyKindName(t.kind)
	case rubyLabel:
		return t.text + ":"
	}
	return fmt.Sprintf("'%s'", t.text)
}
