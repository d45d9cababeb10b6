package erb

import (
	"fmt"
	"strconv"
	"strings"
)

// Statements and expressions of the subset.
type (
	node interface{ at() int }

	textNode struct {
		line int
		s    string
	}
	outNode struct {
		line int
		x    node
	}
	ifNode struct {
		line  int
		conds []node // one per if/elsif; unless is an if of a not
		thens [][]node
		els   []node
	}
	assignNode struct {
		line int
		name string
		x    node
	}
	litNode struct {
		line int
		v    any
	}
	ivarNode struct {
		line int
		name string
	}
	localNode struct {
		line int
		name string
	}
	constNode struct {
		line int
		name string
	}
	interpNode struct {
		line  int
		parts []node
	}
	arrayNode struct {
		line  int
		elems []node
	}
	hashNode struct {
		line       int
		keys, vals []node
	}
	callNode struct {
		line  int
		recv  node // nil for scope
		name  string
		args  []node
		block *block
	}
	indexNode struct {
		line int
		recv node
		args []node
	}
	binNode struct {
		line int
		op   string
		l, r node
	}
	notNode struct {
		line int
		x    node
	}
	negNode struct {
		line int
		x    node
	}
	condNode struct {
		line          int
		cond, yes, no node
	}
	scopeNode struct{ line int }
)

// block is a Ruby block: {|a, b| ...} or do |a, b| ... end.
type block struct {
	params []string
	body   []node
}

func (n *textNode) at() int   { return n.line }
func (n *outNode) at() int    { return n.line }
func (n *ifNode) at() int     { return n.line }
func (n *assignNode) at() int { return n.line }
func (n *litNode) at() int    { return n.line }
func (n *ivarNode) at() int   { return n.line }
func (n *localNode) at() int  { return n.line }
func (n *constNode) at() int  { return n.line }
func (n *interpNode) at() int { return n.line }
func (n *arrayNode) at() int  { return n.line }
func (n *hashNode) at() int   { return n.line }
func (n *callNode) at() int   { return n.line }
func (n *indexNode) at() int  { return n.line }
func (n *binNode) at() int    { return n.line }
func (n *notNode) at() int    { return n.line }
func (n *negNode) at() int    { return n.line }
func (n *condNode) at() int   { return n.line }
func (n *scopeNode) at() int  { return n.line }

type parser struct {
	name   string
	toks   []token
	pos    int
	locals map[string]bool
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) is(k kind, s string) bool {
	t := p.peek()
	return t.kind == k && t.s == s
}

func (p *parser) accept(k kind, s string) bool {
	if p.is(k, s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &Error{p.name, t.line, fmt.Sprintf(format, args...)}
}

func (p *parser) expect(k kind, s string) error {
	if !p.accept(k, s) {
		return p.errorf(p.peek(), "expected '%s', found %s", s, describe(p.peek()))
	}
	return nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the template"
	case tText:
		return "template text"
	case tOut:
		return "<%="
	case tOutEnd:
		return "%>"
	case tSep:
		return "the end of a statement"
	case tStr:
		return "a string"
	case tIVar:
		return "'@" + t.s + "'"
	}
	return "'" + t.s + "'"
}

// keywords that end a statement list.
var enders = map[string]bool{"end": true, "else": true, "elsif": true, "}": true}

// unsupported keywords get a precise error.
var unsupported = map[string]bool{"while": true, "until": true, "for": true, "def": true, "class": true,
	"module": true, "begin": true, "rescue": true, "case": true, "when": true, "yield": true, "return": true,
	"break": true, "next": true, "redo": true, "retry": true, "lambda": true, "proc": true, "require": true,
	"puts": true, "print": true, "p": true, "defined?": true, "self": true, "super": true, "loop": true}

// statements parses until one of the enders (not consumed) or the end.
func (p *parser) statements() ([]node, error) {
	var out []node
	for {
		t := p.peek()
		switch {
		case t.kind == tEOF:
			return out, nil
		case t.kind == tSep:
			p.next()
			continue
		case (t.kind == tIdent || t.kind == tOp) && enders[t.s]:
			return out, nil
		}
		n, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
}

func (p *parser) statement() (node, error) {
	t := p.peek()
	switch {
	case t.kind == tText:
		p.next()
		return &textNode{t.line, t.s}, nil
	case t.kind == tOut:
		p.next()
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		x, err = p.modifier(x)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tOutEnd, "%>"); err != nil {
			return nil, err
		}
		return &outNode{t.line, x}, nil
	case t.kind == tIdent && (t.s == "if" || t.s == "unless"):
		return p.ifStatement()
	case t.kind == tIdent && p.toks[p.pos+1].kind == tOp && p.toks[p.pos+1].s == "=":
		p.next()
		p.next()
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.locals[t.s] = true
		return p.modifier(&assignNode{t.line, t.s, x})
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	return p.modifier(x)
}

// modifier handles a trailing `if cond` or `unless cond`.
func (p *parser) modifier(x node) (node, error) {
	t := p.peek()
	if t.kind != tIdent || (t.s != "if" && t.s != "unless") {
		return x, nil
	}
	p.next()
	cond, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t.s == "unless" {
		cond = &notNode{t.line, cond}
	}
	var then node = x
	if _, isOut := x.(*outNode); !isOut && p.peek().kind == tOutEnd {
		return &condNode{t.line, cond, x, &litNode{t.line, nil}}, nil
	}
	return &ifNode{line: t.line, conds: []node{cond}, thens: [][]node{{then}}}, nil
}

func (p *parser) ifStatement() (node, error) {
	first := p.next()
	n := &ifNode{line: first.line}
	neg := first.s == "unless"
	for {
		cond, err := p.expr()
		if err != nil {
			return nil, err
		}
		if neg {
			cond, neg = &notNode{first.line, cond}, false
		}
		p.accept(tIdent, "then")
		body, err := p.statements()
		if err != nil {
			return nil, err
		}
		n.conds, n.thens = append(n.conds, cond), append(n.thens, body)
		if p.accept(tIdent, "elsif") {
			continue
		}
		if p.accept(tIdent, "else") {
			if n.els, err = p.statements(); err != nil {
				return nil, err
			}
		}
		if err := p.expect(tIdent, "end"); err != nil {
			return nil, p.errorf(first, "'%s' without a matching 'end' (found %s)", first.s, describe(p.peek()))
		}
		return n, nil
	}
}

// Expressions, by increasing precedence.

func (p *parser) expr() (node, error) { return p.ternary() }

func (p *parser) ternary() (node, error) {
	c, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if !p.is(tOp, "?") {
		return c, nil
	}
	t := p.next()
	yes, err := p.ternary()
	if err != nil {
		return nil, err
	}
	if err := p.expect(tOp, ":"); err != nil {
		return nil, err
	}
	no, err := p.ternary()
	if err != nil {
		return nil, err
	}
	return &condNode{t.line, c, yes, no}, nil
}

// levels are the binary operators from the loosest.
var levels = [][]string{
	{"or"}, {"and"}, {"||"}, {"&&"}, {"==", "!=", "=~"}, {"<", ">", "<=", ">="}, {"+", "-"}, {"*", "/", "%"},
}

func (p *parser) binary(level int) (node, error) {
	if level == len(levels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if (t.kind != tOp && t.kind != tIdent) || !contains(levels[level], t.s) {
			return l, nil
		}
		if t.s == "=~" {
			return nil, p.errorf(t, "unsupported Ruby: regular expression match (=~)")
		}
		p.next()
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		op := t.s
		switch op {
		case "or":
			op = "||"
		case "and":
			op = "&&"
		}
		l = &binNode{t.line, op, l, r}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) unary() (node, error) {
	t := p.peek()
	switch {
	case p.is(tOp, "!") || p.is(tIdent, "not"):
		p.next()
		x, err := p.unary()
		return &notNode{t.line, x}, err
	case p.is(tOp, "-"):
		p.next()
		x, err := p.unary()
		return &negNode{t.line, x}, err
	}
	return p.postfix()
}

func (p *parser) postfix() (node, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case p.is(tOp, "."):
			p.next()
			m := p.next()
			if m.kind != tIdent && m.kind != tConst {
				return nil, p.errorf(m, "expected a method name after '.', found %s", describe(m))
			}
			c := &callNode{line: m.line, recv: x, name: m.s}
			if err := p.callRest(c); err != nil {
				return nil, err
			}
			x = c
		case p.is(tOp, "["):
			p.next()
			args, err := p.list("]")
			if err != nil {
				return nil, err
			}
			x = &indexNode{t.line, x, args}
		case p.is(tOp, "::"):
			return nil, p.errorf(t, "unsupported Ruby: constant or method path with '::'")
		default:
			return x, nil
		}
	}
}

// callRest parses a call's arguments and block.
func (p *parser) callRest(c *callNode) error {
	if p.accept(tOp, "(") {
		args, err := p.list(")")
		if err != nil {
			return err
		}
		c.args = args
	}
	var end string
	switch {
	case p.accept(tOp, "{"):
		end = "}"
	case p.accept(tIdent, "do"):
		end = "end"
	default:
		return nil
	}
	b := &block{}
	if p.accept(tOp, "|") {
		for !p.accept(tOp, "|") {
			t := p.next()
			switch {
			case t.kind == tIdent:
				b.params = append(b.params, t.s)
			case t.kind == tOp && t.s == ",":
			default:
				return p.errorf(t, "unsupported Ruby: block parameter %s", describe(t))
			}
		}
	}
	saved := p.locals
	p.locals = map[string]bool{}
	for k := range saved {
		p.locals[k] = true
	}
	for _, n := range b.params {
		p.locals[n] = true
	}
	body, err := p.statements()
	p.locals = saved
	if err != nil {
		return err
	}
	b.body = body
	if end == "}" {
		err = p.expect(tOp, "}")
	} else {
		err = p.expect(tIdent, "end")
	}
	if err != nil {
		return p.errorf(p.peek(), "block of '%s' without its closing '%s'", c.name, end)
	}
	c.block = b
	return nil
}

// list parses comma-separated expressions up to the closing token.
func (p *parser) list(closing string) ([]node, error) {
	var out []node
	for {
		for p.peek().kind == tSep {
			p.next()
		}
		if p.accept(tOp, closing) {
			return out, nil
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		for p.peek().kind == tSep {
			p.next()
		}
		if !p.accept(tOp, ",") {
			if err := p.expect(tOp, closing); err != nil {
				return nil, err
			}
			return out, nil
		}
	}
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tIVar:
		return &ivarNode{t.line, t.s}, nil
	case tNum:
		if strings.Contains(t.s, ".") {
			f, err := strconv.ParseFloat(t.s, 64)
			return &litNode{t.line, f}, err
		}
		n, err := strconv.ParseInt(t.s, 10, 64)
		if err != nil {
			return nil, p.errorf(t, "number %s out of range", t.s)
		}
		return &litNode{t.line, n}, nil
	case tStr:
		return p.stringNode(t)
	case tSym:
		return &litNode{t.line, symbol(t.s)}, nil
	case tConst:
		return &constNode{t.line, t.s}, nil
	case tOp:
		switch t.s {
		case "(":
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expect(tOp, ")")
		case "[":
			elems, err := p.list("]")
			return &arrayNode{t.line, elems}, err
		case "{":
			return p.hashLiteral(t)
		}
	case tIdent:
		switch t.s {
		case "true":
			return &litNode{t.line, true}, nil
		case "false":
			return &litNode{t.line, false}, nil
		case "nil":
			return &litNode{t.line, nil}, nil
		case "scope":
			return &scopeNode{t.line}, nil
		}
		if unsupported[t.s] {
			return nil, p.errorf(t, "unsupported Ruby: '%s'", t.s)
		}
		if p.locals[t.s] {
			return &localNode{t.line, t.s}, nil
		}
		return nil, p.errorf(t, "unsupported Ruby: '%s' is not a variable of the template (Puppet variables are @%s or scope['%s'])", t.s, t.s, t.s)
	}
	return nil, p.errorf(t, "unexpected %s", describe(t))
}

func (p *parser) hashLiteral(open token) (node, error) {
	h := &hashNode{line: open.line}
	for {
		for p.peek().kind == tSep {
			p.next()
		}
		if p.accept(tOp, "}") {
			return h, nil
		}
		var k node
		if t := p.peek(); t.kind == tIdent && p.toks[p.pos+1].kind == tOp && p.toks[p.pos+1].s == ":" {
			p.next()
			p.next()
			k = &litNode{t.line, symbol(t.s)}
		} else {
			var err error
			if k, err = p.expr(); err != nil {
				return nil, err
			}
			if err := p.expect(tOp, "=>"); err != nil {
				return nil, err
			}
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		h.keys, h.vals = append(h.keys, k), append(h.vals, v)
		if !p.accept(tOp, ",") {
			for p.peek().kind == tSep {
				p.next()
			}
			return h, p.expect(tOp, "}")
		}
	}
}

// stringNode unescapes a string literal; a double-quoted one may
// interpolate #{expr}.
func (p *parser) stringNode(t token) (node, error) {
	if !t.dq {
		s := strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(t.s)
		return &litNode{t.line, s}, nil
	}
	n := &interpNode{line: t.line}
	var lit strings.Builder
	s := t.s
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case 'r':
				lit.WriteByte('\r')
			case 's':
				lit.WriteByte(' ')
			case '0':
				lit.WriteByte(0)
			case 'e':
				lit.WriteByte(27)
			default:
				lit.WriteByte(s[i])
			}
			continue
		}
		if c == '#' && i+1 < len(s) && s[i+1] == '{' {
			depth, j := 1, i+2
			for ; j < len(s) && depth > 0; j++ {
				switch s[j] {
				case '{':
					depth++
				case '}':
					depth--
				}
			}
			if depth > 0 {
				return nil, p.errorf(t, "unterminated #{ in a string")
			}
			if lit.Len() > 0 {
				n.parts = append(n.parts, &litNode{t.line, lit.String()})
				lit.Reset()
			}
			toks, err := lexCode(p.name, s[i+2:j-1], t.line)
			if err != nil {
				return nil, err
			}
			sub := &parser{name: p.name, toks: append(toks, token{kind: tEOF, line: t.line}), locals: p.locals}
			x, err := sub.expr()
			if err != nil {
				return nil, err
			}
			if sub.peek().kind != tEOF {
				return nil, sub.errorf(sub.peek(), "unexpected %s in #{}", describe(sub.peek()))
			}
			n.parts = append(n.parts, x)
			i = j - 1
			continue
		}
		lit.WriteByte(c)
	}
	if lit.Len() > 0 || len(n.parts) == 0 {
		n.parts = append(n.parts, &litNode{t.line, lit.String()})
	}
	return n, nil
}
