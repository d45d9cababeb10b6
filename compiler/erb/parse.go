package erb

import (
	"fmt"
	"slices"
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
		ivar bool // @name = x: the template's own instance variable
		or   bool // name ||= x
	}
	// definedNode is defined?(x): "expression", "local-variable" or
	// "instance-variable" when x is, else nil.
	definedNode struct {
		line int
		x    node
	}
	// indexAssignNode is recv[key] = x (or ||=).
	indexAssignNode struct {
		line   int
		target *indexNode
		x      node
		or     bool
	}
	// globalNode is $1..$9 or $~ of the last match.
	globalNode struct {
		line int
		name string
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
	// nextNode is `next [value]`: the block's iteration ends with value.
	nextNode struct {
		line int
		x    node // nil for a bare next
	}
	regexNode struct {
		line         int
		source, opts string
	}
	// rangeNode is a..b, as an index (md[2..5], a[0..-2]).
	rangeNode struct {
		line   int
		lo, hi node
	}
	// caseNode is case/when/else/end: each when lists its values, matched
	// with Ruby's === (a class matches its instances, a regexp the strings
	// it matches, any other value by ==).
	caseNode struct {
		line    int
		subject node
		whens   [][]node
		thens   [][]node
		els     []node
	}
)

// method is a `def name(params) ... end` of the template, called as a
// function; its body sees only its parameters and the template's @vars.
type method struct {
	params []string
	body   []node
}

// block is a Ruby block: {|a, b| ...} or do |a, b| ... end.
type block struct {
	params []string
	body   []node
}

func (n *textNode) at() int        { return n.line }
func (n *outNode) at() int         { return n.line }
func (n *ifNode) at() int          { return n.line }
func (n *assignNode) at() int      { return n.line }
func (n *litNode) at() int         { return n.line }
func (n *ivarNode) at() int        { return n.line }
func (n *localNode) at() int       { return n.line }
func (n *constNode) at() int       { return n.line }
func (n *interpNode) at() int      { return n.line }
func (n *arrayNode) at() int       { return n.line }
func (n *hashNode) at() int        { return n.line }
func (n *callNode) at() int        { return n.line }
func (n *indexNode) at() int       { return n.line }
func (n *binNode) at() int         { return n.line }
func (n *notNode) at() int         { return n.line }
func (n *negNode) at() int         { return n.line }
func (n *condNode) at() int        { return n.line }
func (n *scopeNode) at() int       { return n.line }
func (n *nextNode) at() int        { return n.line }
func (n *definedNode) at() int     { return n.line }
func (n *globalNode) at() int      { return n.line }
func (n *indexAssignNode) at() int { return n.line }
func (n *regexNode) at() int       { return n.line }
func (n *rangeNode) at() int       { return n.line }
func (n *caseNode) at() int        { return n.line }

type parser struct {
	name   string
	toks   []token
	pos    int
	locals map[string]bool
	defs   map[string]*method
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
	return &Error{p.name, t.line, fmt.Sprintf(format, args...), ""}
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
var enders = map[string]bool{"end": true, "else": true, "elsif": true, "when": true, "}": true, "rescue": true, "ensure": true}

// unsupported keywords get a precise error.
var unsupported = map[string]bool{"while": true, "until": true, "for": true, "def": true, "class": true,
	"module": true, "case": true, "when": true, "yield": true, "return": true,
	"break": true, "redo": true, "retry": true, "lambda": true, "proc": true,
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
	case t.kind == tIdent && t.s == "case":
		return p.caseStatement()
	case t.kind == tIdent && t.s == "def":
		return p.def()
	case t.kind == tIdent && t.s == "next":
		p.next()
		n := &nextNode{line: t.line}
		if u := p.peek(); u.kind != tSep && u.kind != tOutEnd && u.kind != tEOF && !(u.kind == tIdent && (u.s == "if" || u.s == "unless")) {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			n.x = x
		}
		return p.modifier(n)
	}
	x, err := p.assignOrExpr()
	if err != nil {
		return nil, err
	}
	return p.modifier(x)
}

// assignOrExpr parses `name = expr` (also as an if's condition, as in
// `if port = options.delete('Port')`) or an expression.
func (p *parser) assignOrExpr() (node, error) {
	t := p.peek()
	op := p.toks[p.pos+1]
	if (t.kind == tIdent || t.kind == tIVar) && op.kind == tOp && (op.s == "=" || op.s == "||=") {
		p.next()
		p.next()
		if t.kind == tIdent {
			p.locals[t.s] = true
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &assignNode{line: t.line, name: t.s, x: x, ivar: t.kind == tIVar, or: op.s == "||="}, nil
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if ix, ok := x.(*indexNode); ok && (p.is(tOp, "=") || p.is(tOp, "||=")) {
		op := p.next()
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &indexAssignNode{line: op.line, target: ix, x: v, or: op.s == "||="}, nil
	}
	return x, nil
}

// caseStatement parses case SUBJECT (when V, ... [then] BODY)... [else BODY] end.
func (p *parser) caseStatement() (node, error) {
	first := p.next()
	subject, err := p.expr()
	if err != nil {
		return nil, err
	}
	n := &caseNode{line: first.line, subject: subject}
	for p.peek().kind == tSep {
		p.next()
	}
	for p.accept(tIdent, "when") {
		vals, err := p.whenValues()
		if err != nil {
			return nil, err
		}
		p.accept(tIdent, "then")
		body, err := p.statements()
		if err != nil {
			return nil, err
		}
		n.whens, n.thens = append(n.whens, vals), append(n.thens, body)
	}
	if len(n.whens) == 0 {
		return nil, p.errorf(p.peek(), "expected 'when' after case, found %s", describe(p.peek()))
	}
	if p.accept(tIdent, "else") {
		if n.els, err = p.statements(); err != nil {
			return nil, err
		}
	}
	if err := p.expect(tIdent, "end"); err != nil {
		return nil, p.errorf(first, "'case' without a matching 'end' (found %s)", describe(p.peek()))
	}
	return n, nil
}

func (p *parser) whenValues() ([]node, error) {
	var vals []node
	for {
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		if !p.accept(tOp, ",") {
			return vals, nil
		}
	}
}

// def parses `def name(a, b) BODY end` (parentheses optional) into the
// template's methods; the definition itself outputs nothing.
func (p *parser) def() (node, error) {
	first := p.next()
	name := p.next()
	if name.kind != tIdent {
		return nil, p.errorf(name, "expected a method name after def, found %s", describe(name))
	}
	m := &method{}
	paren := p.accept(tOp, "(")
	for p.peek().kind == tIdent {
		m.params = append(m.params, p.next().s)
		if !p.accept(tOp, ",") {
			break
		}
	}
	if paren {
		if err := p.expect(tOp, ")"); err != nil {
			return nil, err
		}
	}
	if p.defs == nil {
		p.defs = map[string]*method{}
	}
	p.defs[name.s] = m // known inside its own body: it may recurse
	saved := p.locals
	p.locals = map[string]bool{}
	for _, a := range m.params {
		p.locals[a] = true
	}
	body, err := p.statements()
	p.locals = saved
	if err != nil {
		return nil, err
	}
	if err := p.expect(tIdent, "end"); err != nil {
		return nil, p.errorf(first, "'def %s' without a matching 'end' (found %s)", name.s, describe(p.peek()))
	}
	m.body = body
	return &litNode{first.line, symbol(name.s)}, nil
}

// modifier handles a trailing `if cond` or `unless cond`.
func (p *parser) modifier(x node) (node, error) {
	t := p.peek()
	if t.kind == tIdent && t.s == "rescue" {
		return nil, p.errorf(t, "unsupported Ruby: 'rescue' modifier (use begin/rescue/end)")
	}
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
		cond, err := p.assignOrExpr()
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
	{"or"}, {"and"}, {"||"}, {"&&"}, {"<=>", "==", "!=", "=~", "!~"}, {"<", ">", "<=", ">="}, {"<<"}, {"+", "-"}, {"*", "/", "%"},
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
		if (t.kind != tOp && t.kind != tIdent) || !slices.Contains(levels[level], t.s) {
			return l, nil
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
		case p.is(tOp, ".."):
			p.next()
			hi, err := p.binary(len(levels) - 2)
			if err != nil {
				return nil, err
			}
			x = &rangeNode{t.line, x, hi}
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
	} else if strings.HasSuffix(c.name, "?") && p.startsOperand() {
		// a predicate called without parentheses: x.is_a? String,
		// s.include? "match"
		arg, err := p.expr()
		if err != nil {
			return err
		}
		c.args = []node{arg}
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

// startsOperand reports whether the next token begins an argument of a
// call written without parentheses.
func (p *parser) startsOperand() bool {
	switch t := p.peek(); t.kind {
	case tStr, tConst, tIVar, tNum, tSym, tRegex, tWords:
		return true
	case tIdent:
		return p.locals[t.s]
	}
	return false
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
		if p.is(tOp, "(") && conversions[t.s] {
			c := &callNode{line: t.line, name: t.s}
			return c, p.callRest(c)
		}
		return &constNode{t.line, t.s}, nil
	case tRegex:
		return &regexNode{t.line, t.s, t.flags}, nil
	case tGlobal:
		return &globalNode{t.line, t.s}, nil
	case tWords:
		a := &arrayNode{line: t.line}
		for _, w := range strings.Fields(t.s) {
			a.elems = append(a.elems, &litNode{t.line, w})
		}
		return a, nil
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
		case "if", "unless", "case":
			p.pos-- // as an expression: <%= if @x then 'a' end %>
			if t.s == "case" {
				return p.caseStatement()
			}
			return p.ifStatement()
		case "begin":
			p.pos--
			return p.beginStatement()
		case "require":
			return p.require(t)
		case "defined?":
			x, err := p.unary()
			return &definedNode{t.line, x}, err
		}
		if p.locals[t.s] {
			return &localNode{t.line, t.s}, nil
		}
		if unsupported[t.s] {
			return nil, p.errorf(t, "unsupported Ruby: '%s'", t.s)
		}
		if _, ok := p.defs[t.s]; ok {
			c := &callNode{line: t.line, name: t.s}
			return c, p.callRest(c)
		}
		return nil, p.errorf(t, "unsupported Ruby: '%s' is not a variable of the template (Puppet variables are @%s or scope['%s'])", t.s, t.s, t.s)
	}
	return nil, p.errorf(t, "unexpected %s", describe(t))
}

// conversions are Kernel's conversion functions: Array(x), String(x), ...
var conversions = map[string]bool{"Array": true, "String": true, "Integer": true, "Float": true}

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
			sub := &parser{name: p.name, toks: append(toks, token{kind: tEOF, line: t.line}), locals: p.locals, defs: p.defs}
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
