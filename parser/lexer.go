package parser

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// lexer turns source into tokens. Puppet's lexing depends on context in two
// ways that this lexer handles itself: a '/' starts a regular expression only
// where an operand is expected (decided from the previous token), and a heredoc's
// body starts on the line after its `@(TAG)` header, so the lexer skips that body
// when it reaches it.
type lexer struct {
	filename string
	src      []byte
	// str is src as a string, made once: token texts are slices of it
	// rather than an allocation each.
	str        string
	off        int
	lineStarts []int
	prev       tokKind
	diags      hcl.Diagnostics

	// pending heredoc body to jump over: when the lexer reaches jumpFrom (the
	// start of the line after a heredoc header) it continues at jumpTo.
	jumpFrom, jumpTo int

	posCache hcl.Pos
}

func newLexer(filename string, src []byte) *lexer {
	l := &lexer{filename: filename, src: src, str: string(src), lineStarts: []int{0}, jumpFrom: -1, prev: tSemi}
	for i, c := range src {
		if c == '\n' {
			l.lineStarts = append(l.lineStarts, i+1)
		}
	}
	return l
}

// lex returns all tokens of the source, ending with tEOF.
func lex(filename string, src []byte) ([]token, hcl.Diagnostics) {
	l := newLexer(filename, src)
	var toks []token
	for {
		t := l.next()
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, l.diags
		}
	}
}

// pos converts a byte offset into a position; columns count characters. The
// last answer is cached so that scanning a very long line stays linear.
func (l *lexer) pos(off int) hcl.Pos {
	if off > len(l.src) {
		off = len(l.src)
	}
	if c := l.posCache; c.Line > 0 && c.Byte <= off && (c.Line == len(l.lineStarts) || off < l.lineStarts[c.Line]) {
		// On the line of the last answer, as most tokens are: no search.
		p := hcl.Pos{Line: c.Line, Column: c.Column + utf8.RuneCount(l.src[c.Byte:off]), Byte: off}
		l.posCache = p
		return p
	}
	// Elsewhere (another line, or back on this one): count from the
	// line's start.
	line := sort.Search(len(l.lineStarts), func(i int) bool { return l.lineStarts[i] > off }) - 1
	p := hcl.Pos{Line: line + 1, Column: 1 + utf8.RuneCount(l.src[l.lineStarts[line]:off]), Byte: off}
	l.posCache = p
	return p
}

func (l *lexer) rng(from, to int) hcl.Range {
	return hcl.Range{Filename: l.filename, Start: l.pos(from), End: l.pos(to)}
}

func (l *lexer) errorf(from, to int, format string, args ...any) {
	if to <= from {
		to = from + 1
		if to > len(l.src) {
			to = len(l.src)
		}
	}
	r := l.rng(from, to)
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "syntax error: " + fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func (l *lexer) peekByte(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

// skipSpace skips whitespace and comments (jumping over heredoc bodies) and
// reports whether anything was skipped.
func (l *lexer) skipSpace() bool {
	start := l.off
	for {
		if l.jumpFrom >= 0 && l.off >= l.jumpFrom {
			l.off = max(l.off, l.jumpTo)
			l.jumpFrom = -1
		}
		if l.off >= len(l.src) {
			return l.off != start
		}
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.off++
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.off++
			}
		case c == '/' && l.peekByte(1) == '*':
			end := bytes.Index(l.src[l.off+2:], []byte("*/"))
			if end < 0 {
				l.errorf(l.off, l.off+2, "unterminated comment")
				l.off = len(l.src)
			} else {
				l.off += 2 + end + 2
			}
		default:
			return l.off != start
		}
	}
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' || c == '_' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isWordCh(c byte) bool { return isDigit(c) || isLower(c) || isUpper(c) }

// regexAllowed reports whether a '/' after a token of kind k starts a regex:
// only where an operand is expected, as in Puppet's lexer.
func regexAllowed(k tokKind) bool {
	switch k {
	case tRParen, tRBrack, tName, tTypeRef, tNumber, tString, tDQString, tHeredoc,
		tVariable, tRegex, tTrue, tFalse, tUndef, tDefault, tRCollect, tRRColl:
		return false
	}
	return true
}

// next scans the next token.
func (l *lexer) next() token {
	sp := l.skipSpace()
	t := l.scan()
	t.spaceBefore = sp
	l.prev = t.kind
	return t
}

func (l *lexer) scan() token {
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, rng: l.rng(start, start)}
	}
	c := l.src[l.off]
	mk := func(k tokKind) token {
		return token{kind: k, text: l.str[start:l.off], rng: l.rng(start, l.off)}
	}
	switch {
	case c == '$':
		return l.scanVariable()
	case isDigit(c):
		return l.scanNumber()
	case isLower(c) || isUpper(c) || (c == ':' && l.peekByte(1) == ':' && isWordCh(l.peekByte(2))):
		return l.scanName()
	case c == '\'':
		return l.scanSingle()
	case c == '"':
		return l.scanDouble()
	case c == '@' && l.peekByte(1) == '(':
		return l.scanHeredoc()
	case c == '/' && regexAllowed(l.prev):
		if t, ok := l.scanRegex(); ok {
			return t
		}
	}
	rest := l.str[l.off:]
	for _, p := range puncts {
		if strings.HasPrefix(rest, p.s) {
			l.off += len(p.s)
			return mk(p.k)
		}
	}
	_, size := utf8.DecodeRune(l.src[l.off:])
	l.off += size
	t := mk(tIllegal)
	l.errorf(start, l.off, "illegal character %q", t.text)
	return t
}

// scanWordName scans `(::)?word(::word)*` where words may also contain '-'
// between word characters (Puppet bare words such as `foo-bar`) when hyphens is
// set. It returns the end offset.
func (l *lexer) scanQualified(off int, hyphens bool) int {
	i := off
	if strings.HasPrefix(l.str[i:], "::") {
		i += 2
	}
	for {
		j := i
		for j < len(l.src) && (isWordCh(l.src[j]) || hyphens && l.src[j] == '-' && j+1 < len(l.src) && isWordCh(l.src[j+1]) && j > i) {
			j++
		}
		if j == i {
			return i
		}
		i = j
		if i+2 < len(l.src) && l.src[i] == ':' && l.src[i+1] == ':' && isWordCh(l.src[i+2]) {
			i += 2
			continue
		}
		return i
	}
}

func (l *lexer) scanName() token {
	start := l.off
	l.off = l.scanQualified(start, true)
	text := l.str[start:l.off]
	kind := tName
	if isUpper(strings.TrimPrefix(text, "::")[0]) {
		kind = tTypeRef
	} else if k, ok := keywords[text]; ok {
		kind = k
	}
	return token{kind: kind, text: text, rng: l.rng(start, l.off)}
}

func (l *lexer) scanVariable() token {
	start := l.off
	end := l.scanQualified(start+1, false)
	if end == start+1 || l.src[end-1] == ':' {
		l.off++
		l.errorf(start, l.off, "'$' must be followed by a variable name")
		return token{kind: tIllegal, text: "$", rng: l.rng(start, l.off)}
	}
	l.off = end
	return token{kind: tVariable, text: l.str[start+1 : end], rng: l.rng(start, end)}
}

func (l *lexer) scanNumber() token {
	start := l.off
	i := l.off
	hexDigit := func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	if l.src[i] == '0' && i+1 < len(l.src) && (l.src[i+1] == 'x' || l.src[i+1] == 'X') {
		i += 2
		for i < len(l.src) && hexDigit(l.src[i]) {
			i++
		}
	} else {
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
		if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
			i++
			for i < len(l.src) && isDigit(l.src[i]) {
				i++
			}
		}
		if i < len(l.src) && (l.src[i] == 'e' || l.src[i] == 'E') {
			j := i + 1
			if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
				j++
			}
			if j < len(l.src) && isDigit(l.src[j]) {
				for j < len(l.src) && isDigit(l.src[j]) {
					j++
				}
				i = j
			}
		}
	}
	// A number running into letters ("3abc", "0x") is one bad token, as in Puppet.
	bad := false
	for i < len(l.src) && (isWordCh(l.src[i])) {
		i++
		bad = true
	}
	l.off = i
	text := l.str[start:i]
	t := token{kind: tNumber, text: text, rng: l.rng(start, i)}
	if bad || text == "0x" || text == "0X" {
		l.errorf(start, i, "illegal number '%s'", text)
	} else if _, err := l.numberValue(text); err != nil {
		l.errorf(start, i, "%s", err)
	}
	return t
}

// numberValue converts number text; it is also used by the parser.
func (l *lexer) numberValue(text string) (*Number, error) {
	n := &Number{Text: text}
	if strings.ContainsAny(text, ".eE") && !strings.HasPrefix(text, "0x") && !strings.HasPrefix(text, "0X") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return n, fmt.Errorf("number '%s' is out of range", text)
		}
		n.IsFloat, n.Float = true, f
		return n, nil
	}
	v, err := strconv.ParseInt(text, 0, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return n, fmt.Errorf("integer '%s' is out of range", text)
		}
		return n, fmt.Errorf("illegal number '%s'", text)
	}
	n.Int = v
	return n, nil
}

func (l *lexer) scanSingle() token {
	start := l.off
	l.off++
	// The value is a slice of the source unless an escape makes it
	// differ; then b holds it from the first escape on.
	var b strings.Builder
	escaped := false
	from, end := l.off, len(l.src)
	for {
		if l.off >= len(l.src) {
			l.errorf(start, start+1, "unterminated string")
			break
		}
		c := l.src[l.off]
		if c == '\'' {
			end = l.off
			l.off++
			break
		}
		if c == '\\' && (l.peekByte(1) == '\\' || l.peekByte(1) == '\'') {
			if !escaped {
				b.WriteString(l.str[from:l.off])
				escaped = true
			}
			b.WriteByte(l.peekByte(1))
			l.off += 2
			continue
		}
		if escaped {
			b.WriteByte(c)
		}
		l.off++
	}
	value := l.str[from:end]
	if escaped {
		value = b.String()
	}
	return token{kind: tString, text: l.str[start:l.off], value: value, rng: l.rng(start, l.off)}
}

func (l *lexer) scanRegex() (token, bool) {
	start := l.off
	var b strings.Builder
	for i := start + 1; i < len(l.src); i++ {
		switch c := l.src[i]; c {
		case '\n':
			return token{}, false
		case '\\':
			if i+1 < len(l.src) && l.src[i+1] == '/' {
				b.WriteByte('/')
				i++
				continue
			}
			if i+1 < len(l.src) && l.src[i+1] != '\n' {
				b.WriteByte(c)
				b.WriteByte(l.src[i+1])
				i++
				continue
			}
			b.WriteByte(c)
		case '/':
			l.off = i + 1
			return token{kind: tRegex, text: l.str[start:l.off], value: b.String(), rng: l.rng(start, l.off)}, true
		default:
			b.WriteByte(c)
		}
	}
	return token{}, false
}

// escapes says which backslash escapes a string form processes.
type escapes struct {
	all                bool // double-quoted strings: every escape, and \" \'
	t, r, n, s, u, dol bool
	lineCont           bool // \<newline> joins lines (heredoc L flag)
	any                bool // any enabled: then \\ is too
}

var dqEscapes = escapes{all: true, t: true, r: true, n: true, s: true, u: true, dol: true, any: true}

// interpScanner accumulates the parts of an interpolated string.
type interpScanner struct {
	l       *lexer
	parts   []strPart
	text    strings.Builder
	textBeg int
	interp  bool // at least one $ part
}

func (s *interpScanner) flush(end int) {
	if s.text.Len() > 0 || len(s.parts) == 0 && end > s.textBeg {
		s.parts = append(s.parts, strPart{rng: s.l.rng(s.textBeg, end), text: s.text.String()})
	}
	s.text.Reset()
}

// scanEscape handles a backslash at l.off according to esc.
func (s *interpScanner) scanEscape(esc escapes, quote byte) {
	l := s.l
	c := l.peekByte(1)
	simple := func(out string) {
		s.text.WriteString(out)
		l.off += 2
	}
	switch {
	case c == '\\' && esc.any:
		simple("\\")
	case esc.all && (c == quote && quote != 0 || c == '\''):
		simple(string(c))
	case c == 'n' && esc.n:
		simple("\n")
	case c == 't' && esc.t:
		simple("\t")
	case c == 'r' && esc.r:
		simple("\r")
	case c == 's' && esc.s:
		simple(" ")
	case c == '$' && esc.dol:
		simple("$")
	case c == '\n' && esc.lineCont:
		l.off += 2
	case c == '\r' && l.peekByte(2) == '\n' && esc.lineCont:
		l.off += 3
	case c == 'u' && esc.u:
		s.scanUnicode()
	default:
		// Unknown escapes stay as written, as Puppet does (it only warns).
		s.text.WriteByte('\\')
		l.off++
	}
}

func (s *interpScanner) scanUnicode() {
	l := s.l
	start := l.off
	l.off += 2
	var hex string
	if l.peekByte(0) == '{' {
		end := bytes.IndexByte(l.src[l.off:min(l.off+10, len(l.src))], '}')
		if end < 0 {
			l.errorf(start, l.off+1, "malformed unicode escape, expected \\u{hex digits}")
			return
		}
		hex = string(l.src[l.off+1 : l.off+end])
		l.off += end + 1
	} else {
		if l.off+4 > len(l.src) {
			l.errorf(start, l.off, "malformed unicode escape, expected \\uXXXX")
			return
		}
		hex = string(l.src[l.off : l.off+4])
		l.off += 4
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || hex == "" || v > utf8.MaxRune {
		l.errorf(start, l.off, "malformed unicode escape '%s'", string(l.src[start:l.off]))
		return
	}
	s.text.WriteRune(rune(v))
}

// scanDollar handles '$' at l.off: `$name` or `${expr}`; otherwise a literal '$'.
func (s *interpScanner) scanDollar() {
	l := s.l
	start := l.off
	if l.peekByte(1) == '{' {
		s.flush(start)
		l.off += 2
		saved := l.prev
		l.prev = tLBrace
		var toks []token
		depth := 0
		for {
			t := l.next()
			if t.kind == tEOF {
				l.errorf(start, start+2, "unterminated interpolation, expected '}'")
				toks = append(toks, t)
				break
			}
			if t.kind == tLBrace {
				depth++
			} else if t.kind == tRBrace {
				if depth == 0 {
					toks = append(toks, token{kind: tEOF, rng: t.rng})
					break
				}
				depth--
			}
			toks = append(toks, t)
		}
		l.prev = saved
		s.parts = append(s.parts, strPart{rng: l.rng(start, l.off), toks: toks, isExpr: true})
		s.interp = true
		s.textBeg = l.off
		return
	}
	end := l.scanQualified(start+1, false)
	if end == start+1 || l.src[end-1] == ':' {
		s.text.WriteByte('$')
		l.off++
		return
	}
	s.flush(start)
	s.parts = append(s.parts, strPart{rng: l.rng(start, end), varName: l.str[start+1 : end], isVar: true})
	s.interp = true
	l.off = end
	s.textBeg = end
}

func (l *lexer) scanDouble() token {
	start := l.off
	l.off++
	s := &interpScanner{l: l, textBeg: l.off}
	for {
		if l.off >= len(l.src) {
			l.errorf(start, start+1, "unterminated string")
			break
		}
		c := l.src[l.off]
		if c == '"' {
			s.flush(l.off)
			l.off++
			break
		}
		switch c {
		case '\\':
			s.scanEscape(dqEscapes, '"')
		case '$':
			s.scanDollar()
		default:
			s.text.WriteByte(c)
			l.off++
		}
	}
	t := token{kind: tDQString, text: l.str[start:l.off], rng: l.rng(start, l.off), parts: s.parts}
	if !s.interp {
		t.kind = tString
		if len(s.parts) > 0 {
			t.value = s.parts[0].text
		}
		t.parts = nil
	}
	return t
}

var heredocHeader = regexp.MustCompile(`^@\(\s*("?)([^"\s:/)]+)("?)\s*(?::\s*([a-z][a-zA-Z0-9_+]*)\s*)?(?:/([\w$]*)\s*)?\)`)

func (l *lexer) scanHeredoc() token {
	start := l.off
	lineEnd := len(l.src)
	if i := bytes.IndexByte(l.src[l.off:], '\n'); i >= 0 {
		lineEnd = l.off + i
	}
	m := heredocHeader.FindSubmatch(l.src[l.off:lineEnd])
	if m == nil || string(m[1]) != string(m[3]) {
		l.off += 2
		l.errorf(start, l.off, "malformed heredoc header, expected @(TAG), @(\"TAG\"), with optional :syntax and /escapes")
		return token{kind: tIllegal, text: "@(", rng: l.rng(start, l.off)}
	}
	l.off += len(m[0])
	t := token{kind: tHeredoc, text: string(m[0]), syntax: string(m[4]), rng: l.rng(start, l.off)}
	tag, quoted := string(m[2]), len(m[1]) > 0
	var esc escapes
	if m[5] != nil {
		flags := string(m[5])
		if flags == "" {
			flags = "trnsuL$"
		}
		for _, f := range flags {
			switch f {
			case 't':
				esc.t = true
			case 'r':
				esc.r = true
			case 'n':
				esc.n = true
			case 's':
				esc.s = true
			case 'u':
				esc.u = true
			case 'L':
				esc.lineCont = true
			case '$':
				esc.dol = true
			default:
				l.errorf(start, l.off, "invalid heredoc escape '%c', expected some of t r n s u L $", f)
			}
		}
		esc.any = true
	}

	bodyStart := lineEnd + 1
	if l.jumpFrom >= 0 {
		bodyStart = l.jumpTo // a second heredoc on the same line follows the first body
	}
	if bodyStart > len(l.src) {
		l.errorf(start, l.off, "heredoc has no body: expected text on the next line and an end tag '%s'", tag)
		return t
	}
	// Find the end tag line.
	bodyEnd, after, margin, chomp := -1, -1, 0, false
	for ls := bodyStart; ls <= len(l.src); {
		le := len(l.src)
		if i := bytes.IndexByte(l.src[ls:], '\n'); i >= 0 {
			le = ls + i
		}
		if ok, m, c := matchEndTag(l.src[ls:le], tag); ok {
			bodyEnd, after, margin, chomp = ls, min(le+1, len(l.src)), m, c
			break
		}
		if le == len(l.src) {
			break
		}
		ls = le + 1
	}
	if bodyEnd < 0 {
		l.errorf(start, l.off, "unterminated heredoc: no end tag '%s' found", tag)
		if l.jumpFrom < 0 {
			l.jumpFrom = bodyStart
		}
		l.jumpTo = len(l.src)
		return t
	}

	// Scan the body in place, removing the margin from each line.
	savedOff, savedJF, savedPrev := l.off, l.jumpFrom, l.prev
	l.jumpFrom = -1
	l.off = bodyStart
	s := &interpScanner{l: l, textBeg: l.off}
	atLineStart := true
	for l.off < bodyEnd {
		if atLineStart {
			for n := 0; n < margin && l.off < bodyEnd && (l.src[l.off] == ' ' || l.src[l.off] == '\t'); n++ {
				l.off++
			}
			atLineStart = false
			if s.text.Len() == 0 {
				s.textBeg = l.off
			}
			continue
		}
		c := l.src[l.off]
		switch {
		case c == '\\' && esc.any:
			s.scanEscape(esc, 0)
			// an escaped newline (L flag) still starts a line whose margin goes
			atLineStart = l.src[l.off-1] == '\n'
		case c == '$' && quoted:
			s.scanDollar()
		default:
			s.text.WriteByte(c)
			l.off++
			if c == '\n' {
				atLineStart = true
			}
		}
	}
	if l.off > bodyEnd {
		// an interpolation ran past the end tag
		l.errorf(bodyStart, bodyEnd, "interpolation in heredoc is not terminated before the end tag")
	}
	s.flush(min(l.off, bodyEnd))
	if chomp && len(s.parts) > 0 {
		last := &s.parts[len(s.parts)-1]
		if !last.isVar && !last.isExpr {
			last.text = strings.TrimSuffix(last.text, "\n")
			last.text = strings.TrimSuffix(last.text, "\r")
		}
	}
	l.off, l.prev = savedOff, savedPrev
	l.jumpFrom, l.jumpTo = savedJF, after
	if l.jumpFrom < 0 {
		l.jumpFrom = bodyStart
	}
	t.rng = l.rng(start, savedOff)
	if s.interp {
		t.interp = true
		t.parts = s.parts
	} else if len(s.parts) > 0 {
		t.value = s.parts[0].text
		t.parts = s.parts[:1]
	}
	return t
}

// matchEndTag reports whether line is a heredoc end tag line,
// `[indent][|][ ][-][ ]TAG[ ]`, and returns the margin (the indent, when a `|`
// marks it) and whether `-` asks to chomp the last newline.
func matchEndTag(line []byte, tag string) (ok bool, margin int, chomp bool) {
	i := 0
	blanks := func() {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	blanks()
	indent := i
	if i < len(line) && line[i] == '|' {
		margin = indent
		i++
		blanks()
	}
	if i < len(line) && line[i] == '-' {
		chomp = true
		i++
		blanks()
	}
	if !bytes.HasPrefix(line[i:], []byte(tag)) {
		return false, 0, false
	}
	i += len(tag)
	blanks()
	if i < len(line) && line[i] == '\r' {
		i++
	}
	return i == len(line), margin, chomp
}
