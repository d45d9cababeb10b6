// Package erb runs ERB templates without Ruby: it interprets the small
// part of Ruby that Puppet modules' templates really use (see README's
// "Modules" section for the list), over the compiler's plain values.
// Anything outside that subset is an error naming the template, the line
// and the construct, never a guess: a template that renders, renders as
// Ruby would render it.
//
// A template is lexed into one token stream in which text and the
// boundaries of <%= %> tags are tokens too, so that Ruby blocks may span
// tags (<% @a.each do |x| -%>...<% end -%>) and the parser is an ordinary
// recursive descent over statements.
package erb

import (
	"fmt"
	"strings"
	"unicode"
)

type kind int

const (
	tEOF    kind = iota
	tText        // literal template text
	tOut         // start of <%= ... %>
	tOutEnd      // end of <%= ... %>
	tSep         // end of a statement: newline, ';' or the end of a code tag
	tIdent       // name, keyword or method name (may end in ? or !)
	tIVar        // @name
	tConst       // Capitalised name
	tStr         // string literal; dq marks a double-quoted one
	tNum         // number
	tSym         // :name
	tOp          // punctuation and operators
	tRegex       // /regexp/ literal; flags holds its options (imx)
	tWords       // %w(a b c): s holds the words separated by spaces
	tGlobal      // $1..$9 or $~ (s is "1".."9" or "~")
)

type token struct {
	kind  kind
	s     string
	line  int
	dq    bool
	flags string
}

// Error is a problem with a template, located at a line.
type Error struct {
	Template string
	Line     int
	Msg      string
	// Class is the Ruby exception class when Ruby raises this error too
	// (ArgumentError, TypeError...): a rescue of the template may catch
	// it. It is empty for what is outside the interpreter's subset.
	Class string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.Template, e.Line, e.Msg) }

// lexTemplate splits a template into tokens, applying the trim rules of
// Puppet's ERB (trim mode '-'): <%- removes the indentation before the
// tag, -%> the line break after it; <%# %> is a comment and <%% a
// literal <%.
func lexTemplate(name, src string) ([]token, error) {
	var toks []token
	line := 1
	text := func(s string) {
		if s != "" {
			toks = append(toks, token{kind: tText, s: s, line: line})
			line += strings.Count(s, "\n")
		}
	}
	for {
		i := strings.Index(src, "<%")
		if i < 0 {
			text(src)
			break
		}
		if strings.HasPrefix(src[i:], "<%%") {
			text(src[:i] + "<%")
			src = src[i+3:]
			continue
		}
		before := src[:i]
		src = src[i+2:]
		mode := byte(0)
		if src != "" && strings.IndexByte("=#-", src[0]) >= 0 {
			mode = src[0]
			src = src[1:]
		}
		if mode == '-' {
			if j := strings.LastIndexByte(before, '\n'); strings.TrimLeft(before[j+1:], " \t") == "" {
				before = before[:j+1]
			}
		}
		text(before)
		end := strings.Index(src, "%>")
		if end < 0 {
			return nil, &Error{name, line, "unterminated tag: <% without %>", ""}
		}
		code := src[:end]
		src = src[end+2:]
		trimNL := strings.HasSuffix(code, "-")
		if trimNL {
			code = code[:len(code)-1]
		}
		start := line
		line += strings.Count(code, "\n")
		if trimNL {
			if strings.HasPrefix(src, "\r\n") {
				src = src[2:]
			} else if strings.HasPrefix(src, "\n") {
				src = src[1:]
			}
		}
		switch mode {
		case '#':
			continue
		case '=':
			toks = append(toks, token{kind: tOut, s: "<%=", line: start})
			ct, err := lexCode(name, code, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, ct...)
			toks = append(toks, token{kind: tOutEnd, s: "%>", line: line})
		default:
			ct, err := lexCode(name, code, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, ct...)
			toks = append(toks, token{kind: tSep, line: line})
		}
	}
	return append(toks, token{kind: tEOF, line: line}), nil
}

// ops are the operators of the subset, longest first.
var ops = []string{"||=", "<=>", "||", "&&", "==", "!=", "<=", ">=", "=>", "=~", "!~", "::", "**", "<<", "+=", "..",
	"(", ")", "[", "]", "{", "}", ",", ".", "?", ":", "|", "!", "<", ">", "+", "-", "*", "/", "%", "="}

// lexCode splits Ruby code into tokens.
func lexCode(name, code string, line int) ([]token, error) {
	var toks []token
	prevDot := false
	for i := 0; i < len(code); {
		c := code[i]
		switch {
		case c == '\n' || c == ';':
			toks = append(toks, token{kind: tSep, line: line})
			if c == '\n' {
				line++
			}
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '#':
			for i < len(code) && code[i] != '\n' {
				i++
			}
			continue
		case c == '\'' || c == '"':
			s, n, err := lexString(code[i:])
			if err != nil {
				return nil, &Error{name, line, err.Error(), ""}
			}
			toks = append(toks, token{kind: tStr, s: s, line: line, dq: c == '"'})
			line += strings.Count(code[i:i+n], "\n")
			i += n
		case c >= '0' && c <= '9':
			j := i
			for j < len(code) && (isDigit(code[j]) || code[j] == '_' || (code[j] == '.' && j+1 < len(code) && isDigit(code[j+1]))) {
				j++
			}
			toks = append(toks, token{kind: tNum, s: strings.ReplaceAll(code[i:j], "_", ""), line: line})
			i = j
		case c == '$' && i+1 < len(code) && (isDigit(code[i+1]) || code[i+1] == '~'):
			// the last match's groups ($1) and MatchData ($~)
			toks = append(toks, token{kind: tGlobal, s: code[i+1 : i+2], line: line})
			i += 2
		case c == '@' || c == '$' || isIdentStart(c):
			j := i + 1
			if c == '@' && j < len(code) && code[j] == '@' {
				j++
			}
			for j < len(code) && isIdentChar(code[j]) {
				j++
			}
			word := code[i:j]
			k := tIdent
			switch {
			case c == '$':
				return nil, &Error{name, line, fmt.Sprintf("unsupported Ruby: global variable %s", word), ""}
			case word == "defined" && j < len(code) && code[j] == '?':
				word += "?"
				j++
			case strings.HasPrefix(word, "@@"):
				return nil, &Error{name, line, fmt.Sprintf("unsupported Ruby: class variable %s", word), ""}
			case c == '@':
				k = tIVar
				word = word[1:]
			case unicode.IsUpper(rune(c)):
				k = tConst
			case j < len(code) && (code[j] == '?' || code[j] == '!') && (j+1 >= len(code) || code[j+1] != '=') && (prevDot || j+1 >= len(code) || code[j+1] == '(' || code[j+1] == ' '):
				if prevDot {
					word += string(code[j])
					j++
				}
			}
			toks = append(toks, token{kind: k, s: word, line: line})
			i = j
		case c == '/' && operandPosition(toks):
			src, flags, n, err := lexRegexp(code[i:])
			if err != nil {
				return nil, &Error{name, line, err.Error(), ""}
			}
			toks = append(toks, token{kind: tRegex, s: src, flags: flags, line: line})
			i += n
		case c == '%' && operandPosition(toks) && i+1 < len(code):
			t, n, err := lexPercent(code[i:])
			if err != nil {
				return nil, &Error{name, line, err.Error(), ""}
			}
			t.line = line
			toks = append(toks, t)
			line += strings.Count(code[i:i+n], "\n")
			i += n
		case c == ':' && i+1 < len(code) && isIdentStart(code[i+1]) && (i == 0 || code[i-1] != ':'):
			j := i + 1
			for j < len(code) && isIdentChar(code[j]) {
				j++
			}
			toks = append(toks, token{kind: tSym, s: code[i+1 : j], line: line})
			i = j
		default:
			op := ""
			for _, o := range ops {
				if strings.HasPrefix(code[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, &Error{name, line, fmt.Sprintf("unsupported Ruby: unexpected character %q", c), ""}
			}
			toks = append(toks, token{kind: tOp, s: op, line: line})
			i += len(op)
		}
		prevDot = len(toks) > 0 && toks[len(toks)-1].kind == tOp && toks[len(toks)-1].s == "."
	}
	return toks, nil
}

// lexString reads a quoted string at the start of s and returns its raw
// body (escapes and interpolations are handled by the parser) and its
// length with the quotes.
func lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	depth := 0
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		case q == '"' && c == '#' && i+1 < len(s) && s[i+1] == '{':
			depth++
		case depth > 0 && c == '}':
			depth--
		case c == q && depth == 0:
			return b.String(), i + 1, nil
		}
		b.WriteByte(c)
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// operandKeywords are the keywords after which an operand follows.
var operandKeywords = map[string]bool{"if": true, "unless": true, "elsif": true, "and": true, "or": true,
	"not": true, "when": true, "then": true, "return": true, "next": true}

// operandPosition reports whether the next token starts an operand, where
// '/' opens a regexp and '%' a percent literal rather than dividing.
func operandPosition(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	t := toks[len(toks)-1]
	switch t.kind {
	case tSep:
		return true
	case tOp:
		return t.s != ")" && t.s != "]" && t.s != "}"
	case tIdent:
		return operandKeywords[t.s]
	}
	return false
}

// lexRegexp reads a /regexp/flags literal at the start of s: its source
// (escapes kept for the regexp engine), its flags and its length.
func lexRegexp(s string) (src, flags string, n int, err error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\n':
			return "", "", 0, fmt.Errorf("unterminated regexp")
		case '/':
			j := i + 1
			for j < len(s) && strings.IndexByte("imxo", s[j]) >= 0 {
				j++
			}
			return s[1:i], s[i+1 : j], j, nil
		}
	}
	return "", "", 0, fmt.Errorf("unterminated regexp")
}

// closers pairs the opening delimiters of percent literals.
var closers = map[byte]byte{'(': ')', '[': ']', '{': '}', '<': '>'}

// lexPercent reads a percent literal at the start of s: %w(a b) (words),
// %(text), %Q(text) (double-quoted) and %q(text) (single-quoted), with
// nested delimiters balanced, as Ruby reads them.
func lexPercent(s string) (token, int, error) {
	i := 1
	kind := byte('Q')
	if strings.IndexByte("wWqQ", s[i]) >= 0 {
		kind = s[i]
		i++
	}
	if i >= len(s) {
		return token{}, 0, fmt.Errorf("unsupported Ruby: '%%' literal")
	}
	open := s[i]
	closing, ok := closers[open]
	if !ok {
		return token{}, 0, fmt.Errorf("unsupported Ruby: %%%c literal with delimiter %q", kind, open)
	}
	depth := 1
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case open:
			depth++
		case closing:
			if depth--; depth == 0 {
				body := s[i+1 : j]
				switch kind {
				case 'w', 'W':
					return token{kind: tWords, s: body}, j + 1, nil
				case 'q':
					return token{kind: tStr, s: body}, j + 1, nil
				}
				return token{kind: tStr, s: body, dq: true}, j + 1, nil
			}
		}
	}
	return token{}, 0, fmt.Errorf("unterminated %%%c literal", kind)
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || unicode.IsLetter(rune(c)) }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
