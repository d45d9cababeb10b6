package parser

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxErrors is how many syntax errors are reported before the parser gives up,
// as go/parser does: beyond that, later errors are mostly consequences.
const maxErrors = 10

// maxDepth bounds expression nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// ParseFile parses a whole manifest. It always returns a File (partial, with *Bad
// nodes, when there are errors) together with every syntax error found, sorted by
// position, at most ten.
func ParseFile(filename string, src []byte) (*File, hcl.Diagnostics) {
	p := newParser(filename, src)
	f := &File{}
	p.run(func() {
		p.parseStatements(tEOF, &f.Body)
	})
	f.Loc = hcl.Range{Filename: filename, Start: p.lx.pos(0), End: p.lx.pos(len(src))}
	return f, p.diagnostics()
}

// ParseExpression parses src as a single expression (handy in tests and for
// snippets); anything after the expression is an error.
func ParseExpression(filename string, src []byte) (Expr, hcl.Diagnostics) {
	p := newParser(filename, src)
	var e Expr = &Bad{Span{p.tok.rng}}
	p.run(func() {
		e = p.parseExpr()
		if p.tok.kind != tEOF {
			p.errorExpected("end of expression")
		}
	})
	return e, p.diagnostics()
}

type bailout struct{}

type parser struct {
	lx    *lexer
	toks  []token
	pos   int
	tok   token // toks[pos]
	prevE hcl.Pos

	diags   hcl.Diagnostics
	lastErr int // byte offset of the last error, to report one error per token
	errs    int // errors seen, including those not reported twice at one token
	noBrace int // >0 while parsing a condition: `x {` ends the expression
	depth   int
}

func newParser(filename string, src []byte) *parser {
	// Manifests have a token every six to eight bytes: one allocation of
	// about the right size instead of growing the slice a dozen times.
	p := &parser{lx: newLexer(filename, src), lastErr: -1, toks: make([]token, 0, len(src)/5+16)}
	for {
		t := p.lx.next()
		p.toks = append(p.toks, t)
		if t.kind == tEOF {
			break
		}
	}
	p.tok = p.toks[0]
	p.prevE = p.tok.rng.Start
	return p
}

// run calls f, stopping quietly when the error limit is reached.
func (p *parser) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(bailout); !ok {
				panic(r)
			}
		}
	}()
	f()
}

// diagnostics merges lexer and parser errors, sorted by position, at most ten.
func (p *parser) diagnostics() hcl.Diagnostics {
	all := append(append(hcl.Diagnostics{}, p.lx.diags...), p.diags...)
	sort.SliceStable(all, func(i, j int) bool {
		return all[i].Subject.Start.Byte < all[j].Subject.Start.Byte
	})
	var out hcl.Diagnostics
	for _, d := range all {
		if n := len(out); n > 0 && out[n-1].Subject.Start.Byte == d.Subject.Start.Byte {
			continue // one error per position: the first is the cause
		}
		out = append(out, d)
	}
	if len(out) > maxErrors {
		out = out[:maxErrors]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (p *parser) next() {
	p.prevE = p.tok.rng.End
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	p.tok = p.toks[p.pos]
}

func (p *parser) peek(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) rangeFrom(start hcl.Pos) hcl.Range {
	end := p.prevE
	if end.Byte < start.Byte {
		end = start
	}
	return hcl.Range{Filename: p.lx.filename, Start: start, End: end}
}

func (p *parser) errorAt(r hcl.Range, format string, args ...any) {
	p.errs++
	if p.errs > 100*maxErrors {
		panic(bailout{}) // a safety net: repeated errors at one token
	}
	if r.Start.Byte == p.lastErr {
		return
	}
	p.lastErr = r.Start.Byte
	p.diags = append(p.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "syntax error: " + fmt.Sprintf(format, args...),
		Subject:  &r,
	})
	if len(p.diags)+len(p.lx.diags) >= maxErrors {
		panic(bailout{})
	}
}

func (p *parser) errorExpected(what string) {
	p.errorAt(p.tok.rng, "expected %s but found %s", what, p.tok.describe())
}

// expect consumes a token of kind k, or reports what was found instead. It does
// not consume a wrong token, so that callers resynchronise at a closing delimiter.
func (p *parser) expect(k tokKind) bool {
	if p.tok.kind == k {
		p.next()
		return true
	}
	p.errorExpected(k.String())
	return false
}

func (p *parser) got(k tokKind) bool {
	if p.tok.kind == k {
		p.next()
		return true
	}
	return false
}

// ---- statements ----------------------------------------------------------------

// statementCalls are the functions Puppet lets a statement call without
// parentheses (`include foo`, `notice 'x'`).
var statementCalls = map[string]bool{
	"require": true, "realize": true, "include": true, "contain": true, "tag": true,
	"debug": true, "info": true, "notice": true, "warning": true, "err": true,
	"alert": true, "crit": true, "emerg": true, "fail": true, "import": true,
	"break": true, "next": true, "return": true,
}

// parseStatements parses expressions until the end token (not consumed),
// appending to *out as it goes so that a bailout keeps what was parsed.
func (p *parser) parseStatements(end tokKind, out *[]Expr) {
	for p.tok.kind != end && p.tok.kind != tEOF {
		if p.got(tSemi) {
			continue
		}
		startPos, errs := p.pos, p.errs
		e := p.parseStatement()
		*out = append(*out, e)
		if p.errs > errs {
			p.sync(end)
		}
		if p.pos == startPos {
			p.next() // always make progress
		}
	}
}

// sync skips to a likely statement start after an error: a `;`, the enclosing
// block's closing brace, a definition or control keyword, or the first token of
// a line (a statement rarely starts mid-line), at the current brace depth.
func (p *parser) sync(end tokKind) {
	depth := 0
	for p.tok.kind != tEOF {
		switch p.tok.kind {
		case tLBrace, tLBrack, tLParen:
			depth++
		case tRBrace, tRBrack, tRParen:
			if depth == 0 {
				if p.tok.kind == end {
					return
				}
				break
			}
			depth--
		case tSemi:
			if depth == 0 {
				p.next()
				return
			}
		case tClass, tDefine, tNode, tFunction, tIf, tUnless, tCase:
			if depth == 0 {
				return
			}
		case tVariable, tName, tTypeRef, tAt, tAtAt:
			if depth == 0 && p.pos > 0 && p.toks[p.pos-1].rng.End.Line < p.tok.rng.Start.Line {
				return
			}
		}
		p.next()
	}
}

func (p *parser) parseStatement() Expr {
	if p.tok.kind == tName && statementCalls[p.tok.text] && canStartArg(p.peek(1).kind) {
		name := p.tok
		p.next()
		var args []Expr
		for {
			args = append(args, p.parseAssignment())
			if !p.got(tComma) {
				break
			}
		}
		call := &Call{Name: name.text, NameRange: name.rng, Args: args}
		call.Loc = p.rangeFrom(name.rng.Start)
		return p.parseChainRest(call)
	}
	return p.parseExpr()
}

// canStartArg reports whether a token after a statement-call name begins its
// argument. `(` is left to the ordinary call syntax and `{` to resources.
func canStartArg(k tokKind) bool {
	switch k {
	case tVariable, tNumber, tString, tDQString, tHeredoc, tRegex, tName, tTypeRef,
		tLBrack, tNot, tMinus, tTrue, tFalse, tUndef, tDefault, tTimes:
		return true
	}
	return false
}

// ---- expressions ---------------------------------------------------------------

// Binary operator precedence, lowest first. Selectors (`?`) bind between `and`
// and the comparisons; Puppet 7 was checked for this: `true and false ? {...}`
// selects on `false`, `1 < 2 ? {...}` selects on the comparison.
const (
	precOr = 1 + iota
	precAnd
	precSelector
	precCompare // < > <= >=
	precEquality
	precShift
	precAdditive
	precMultiplicative
	precMatch
	precIn
)

var binaryOps = map[tokKind]struct {
	prec int
	op   Op
}{
	tOr: {precOr, OpOr}, tAnd: {precAnd, OpAnd},
	tLt: {precCompare, OpLt}, tGt: {precCompare, OpGt}, tLe: {precCompare, OpLe}, tGe: {precCompare, OpGe},
	tEq: {precEquality, OpEq}, tNe: {precEquality, OpNe},
	tShl: {precShift, OpShl}, tShr: {precShift, OpShr},
	tPlus: {precAdditive, OpAdd}, tMinus: {precAdditive, OpSub},
	tTimes: {precMultiplicative, OpMul}, tDiv: {precMultiplicative, OpDiv}, tMod: {precMultiplicative, OpMod},
	tMatch: {precMatch, OpMatch}, tNoMatch: {precMatch, OpNoMatch},
	tIn: {precIn, OpIn},
}

var chainOps = map[tokKind]Op{tOutEdge: OpBefore, tOutEdgeS: OpNotify, tInEdge: OpRequire, tInEdgeS: OpSubscribe}

// parseExpr parses a full expression: relationship chains are the loosest.
func (p *parser) parseExpr() Expr {
	return p.parseChainRest(p.parseAssignment())
}

func (p *parser) parseChainRest(left Expr) Expr {
	for {
		op, ok := chainOps[p.tok.kind]
		if !ok {
			return left
		}
		opRange := p.tok.rng
		p.next()
		right := p.parseAssignment()
		c := &Chain{Op: op, Left: left, Right: right, OpRange: opRange}
		c.Loc = p.rangeFrom(left.Range().Start)
		left = c
	}
}

// parseAssignment parses `target = value` (right-associative) or a lesser expression.
func (p *parser) parseAssignment() Expr {
	left := p.parseBinary(precOr)
	if p.tok.kind != tAssign {
		return left
	}
	if !isAssignable(left) {
		p.errorAt(left.Range(), "cannot assign to this expression, expected a variable or an array of variables")
	}
	p.next()
	a := &Assignment{Target: left, Value: p.parseAssignment()}
	a.Loc = p.rangeFrom(left.Range().Start)
	return a
}

func isAssignable(e Expr) bool {
	switch e := e.(type) {
	case *Variable, *Bad:
		return true
	case *Array:
		for _, el := range e.Elems {
			if !isAssignable(el) {
				return false
			}
		}
		return true
	}
	return false
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.errorAt(p.tok.rng, "expression nested too deeply")
		panic(bailout{})
	}
}

func (p *parser) leave() { p.depth-- }

// parseBinary is precedence climbing over binaryOps, with selectors as a
// postfix operator at precSelector.
func (p *parser) parseBinary(minPrec int) Expr {
	p.enter()
	defer p.leave()
	left := p.parseUnary()
	for {
		if p.tok.kind == tQMark && precSelector >= minPrec {
			left = p.parseSelector(left)
			continue
		}
		bo, ok := binaryOps[p.tok.kind]
		if !ok || bo.prec < minPrec {
			return left
		}
		opRange := p.tok.rng
		p.next()
		right := p.parseBinary(bo.prec + 1)
		b := &Binary{Op: bo.op, Left: left, Right: right, OpRange: opRange}
		b.Loc = p.rangeFrom(left.Range().Start)
		left = b
	}
}

func (p *parser) parseUnary() Expr {
	var op Op
	switch p.tok.kind {
	case tNot:
		op = OpNot
	case tMinus:
		op = OpNeg
	case tTimes:
		op = OpSplat
	default:
		return p.parsePostfix()
	}
	p.enter()
	defer p.leave()
	start := p.tok.rng.Start
	p.next()
	u := &Unary{Op: op, Operand: p.parseUnary()}
	u.Loc = p.rangeFrom(start)
	return u
}

func (p *parser) parseSelector(subject Expr) Expr {
	p.next() // ?
	s := &Selector{Subject: subject}
	p.braced(func() {
		start := p.tok.rng.Start
		c := &SelectorCase{Match: p.parseExpr()}
		if p.expect(tFArrow) {
			c.Value = p.parseExpr()
		} else {
			c.Value = &Bad{Span{p.tok.rng}}
		}
		c.Loc = p.rangeFrom(start)
		s.Cases = append(s.Cases, c)
	})
	s.Loc = p.rangeFrom(subject.Range().Start)
	return s
}

// braced parses `{ item, item, ... }` with an optional trailing comma, calling
// item for each; on an error inside an item it skips to the closing brace.
func (p *parser) braced(item func()) {
	p.list(tLBrace, tRBrace, item)
}

// list parses open item (, item)* [,] close.
func (p *parser) list(open, close tokKind, item func()) {
	if !p.expect(open) {
		return
	}
	saved := p.noBrace
	p.noBrace = 0
	defer func() { p.noBrace = saved }()
	for p.tok.kind != close && p.tok.kind != tEOF {
		startPos, errs := p.pos, p.errs
		item()
		if p.errs > errs {
			p.skipTo(close)
			break
		}
		if !p.got(tComma) {
			break
		}
		if p.pos == startPos {
			break
		}
	}
	p.expect(close)
}

// skipTo skips tokens up to (not including) the first closer at depth zero:
// close itself, or a mismatched closer the caller's expect(close) reports.
func (p *parser) skipTo(close tokKind) {
	depth := 0
	for p.tok.kind != tEOF {
		switch p.tok.kind {
		case tLBrace, tLBrack, tLParen:
			depth++
		case tRBrace, tRBrack, tRParen:
			if depth == 0 {
				return
			}
			depth--
		}
		p.next()
	}
}

// parsePostfix parses a primary followed by accesses `[...]`, method calls
// `.name(...)`, and the resource forms that follow a type reference.
func (p *parser) parsePostfix() Expr {
	e := p.parsePrimary()
	for {
		switch {
		case p.tok.kind == tLBrack && !p.tok.spaceBefore:
			a := &Access{Target: e}
			p.list(tLBrack, tRBrack, func() { a.Keys = append(a.Keys, p.parseExpr()) })
			a.Loc = p.rangeFrom(e.Range().Start)
			e = a
		case p.tok.kind == tDot:
			p.next()
			name := p.tok
			if name.kind != tName && !isKeywordWord(name.kind) && name.kind != tTypeRef {
				p.errorExpected("a function name after '.'")
				return e
			}
			p.next()
			c := &Call{Receiver: e, Name: name.text, NameRange: name.rng}
			p.parseCallRest(c)
			c.Loc = p.rangeFrom(e.Range().Start)
			e = c
		default:
			return p.parseTypeForms(e)
		}
	}
}

// isKeywordWord reports whether k is a keyword, which may serve as an attribute
// name, hash key or method name.
func isKeywordWord(k tokKind) bool { return k >= tAnd && k <= tUnless }

// parseCallRest parses optional `(args)` and an optional lambda after a call name.
func (p *parser) parseCallRest(c *Call) {
	if p.tok.kind == tLParen {
		c.Parens = true
		p.list(tLParen, tRParen, func() { c.Args = append(c.Args, p.parseExpr()) })
	}
	if p.tok.kind == tPipe {
		c.Lambda = p.parseLambda()
	}
}

func (p *parser) parseLambda() *Lambda {
	start := p.tok.rng.Start
	l := &Lambda{}
	l.Params = p.parseParams(tPipe, tPipe)
	l.Body = p.parseBlock()
	l.Loc = p.rangeFrom(start)
	return l
}

// parseTypeForms handles what may follow a type reference: `File { }`
// defaults, `File['x'] { }` overrides and `File <| |>` collectors.
func (p *parser) parseTypeForms(e Expr) Expr {
	tr, isType := e.(*TypeReference)
	switch p.tok.kind {
	case tLBrace:
		if p.noBrace > 0 {
			return e
		}
		if isType {
			d := &ResourceDefaults{Type: tr, Ops: p.parseOpsBlock()}
			d.Loc = p.rangeFrom(e.Range().Start)
			return d
		}
		if typ, ok := p.resourceTypeDecl(e); ok {
			return p.parseResource(e.Range().Start, Regular, typ)
		}
		if a, ok := e.(*Access); ok && isTypeRef(a.Target) {
			o := &ResourceOverride{Target: e, Ops: p.parseOpsBlock()}
			o.Loc = p.rangeFrom(e.Range().Start)
			return o
		}
	case tLCollect, tLLColl:
		if !isType {
			return e
		}
		c := &Collector{Type: tr, Exported: p.tok.kind == tLLColl}
		closer := tRCollect
		if c.Exported {
			closer = tRRColl
		}
		p.next()
		if p.tok.kind != closer {
			c.Query = p.parseExpr()
		}
		p.expect(closer)
		if p.tok.kind == tLBrace && p.noBrace == 0 {
			c.Ops = p.parseOpsBlock()
		}
		c.Loc = p.rangeFrom(e.Range().Start)
		return c
	}
	return e
}

// resourceTypeDecl recognises `Resource['file'] { 'title': ... }` and
// `Resource[File] { ... }`: a declaration whose type is given as a
// Resource type (apache and other modules use it to declare a type named
// by a string). It answers the type as a name token when e is such a
// reference with one literal key and the brace opens resource bodies,
// not attributes (which would be defaults for the type).
func (p *parser) resourceTypeDecl(e Expr) (token, bool) {
	a, ok := e.(*Access)
	if !ok || len(a.Keys) != 1 {
		return token{}, false
	}
	if tr, ok := a.Target.(*TypeReference); !ok || tr.Name != "Resource" {
		return token{}, false
	}
	var name string
	switch k := a.Keys[0].(type) {
	case *String:
		name = k.Value
	case *TypeReference:
		name = k.Name
	default:
		return token{}, false
	}
	// After the brace: `}` or `attr =>` or `* =>` is an attribute block.
	next, after := p.peek(1), p.peek(2)
	if next.kind == tRBrace || after.kind == tFArrow || after.kind == tPArrow {
		return token{}, false
	}
	return token{kind: tName, text: strings.ToLower(strings.TrimPrefix(name, "::")), rng: a.Keys[0].Range()}, true
}

func isTypeRef(e Expr) bool {
	_, ok := e.(*TypeReference)
	return ok
}

// parseOpsBlock parses `{ name => value, ... }` attribute operations.
func (p *parser) parseOpsBlock() []*AttributeOp {
	var ops []*AttributeOp
	p.braced(func() { ops = append(ops, p.parseAttrOp()) })
	return ops
}

func (p *parser) parseAttrOp() *AttributeOp {
	start := p.tok
	op := &AttributeOp{NameRange: start.rng}
	switch {
	case start.kind == tTimes:
		op.Splat = true
	case start.kind == tName || isKeywordWord(start.kind):
		op.Name = start.text
	default:
		p.errorExpected("an attribute name")
		op.Value = &Bad{Span{p.tok.rng}}
		op.Loc = p.tok.rng
		return op
	}
	p.next()
	switch p.tok.kind {
	case tFArrow:
		op.Op = OpArrow
	case tPArrow:
		op.Op = OpAppend
	default:
		p.errorExpected("'=>' or '+>'")
		op.Value = &Bad{Span{p.tok.rng}}
		op.Loc = p.rangeFrom(start.rng.Start)
		return op
	}
	p.next()
	op.Value = p.parseExpr()
	op.Loc = p.rangeFrom(start.rng.Start)
	return op
}

// parseBlock parses `{ statements }`.
func (p *parser) parseBlock() *Block {
	b := &Block{}
	start := p.tok.rng.Start
	if p.expect(tLBrace) {
		saved := p.noBrace
		p.noBrace = 0
		p.parseStatements(tRBrace, &b.Body)
		p.noBrace = saved
		p.expect(tRBrace)
	}
	b.Loc = p.rangeFrom(start)
	return b
}

// parseCondition parses the condition of if/unless/case, where a `{` starts the
// body rather than a resource or hash.
func (p *parser) parseCondition() Expr {
	p.noBrace++
	defer func() { p.noBrace-- }()
	return p.parseExpr()
}

func (p *parser) parsePrimary() Expr {
	p.enter()
	defer p.leave()
	t := p.tok
	start := t.rng.Start
	switch t.kind {
	case tVariable:
		p.next()
		return &Variable{Span{t.rng}, t.text}
	case tNumber:
		p.next()
		n, _ := p.lx.numberValue(t.text) // errors were reported by the lexer
		n.Loc = t.rng
		return n
	case tString:
		p.next()
		return &String{Span{t.rng}, t.value}
	case tDQString:
		p.next()
		return p.interpString(t.rng, t.parts)
	case tHeredoc:
		p.next()
		h := &Heredoc{Span: Span{t.rng}, Syntax: t.syntax}
		switch {
		case t.interp:
			h.Value = p.interpString(partsRange(t), t.parts)
		case len(t.parts) > 0:
			h.Value = &String{Span{t.parts[0].rng}, t.value}
		default:
			h.Value = &String{Span{hcl.Range{Filename: t.rng.Filename, Start: t.rng.End, End: t.rng.End}}, ""}
		}
		return h
	case tRegex:
		p.next()
		return &Regex{Span{t.rng}, t.value}
	case tTrue, tFalse:
		p.next()
		return &Boolean{Span{t.rng}, t.kind == tTrue}
	case tUndef:
		p.next()
		return &Undef{Span{t.rng}}
	case tDefault:
		p.next()
		return &Default{Span{t.rng}}
	case tLBrack:
		a := &Array{}
		p.list(tLBrack, tRBrack, func() { a.Elems = append(a.Elems, p.parseExpr()) })
		a.Loc = p.rangeFrom(start)
		return a
	case tLBrace:
		// Where an operand is expected a brace can only open a hash, even
		// in a condition (`if $h == {} {`): noBrace only stops a brace
		// that follows a complete operand from continuing it.
		return p.parseHash()
	case tLParen:
		p.next()
		saved := p.noBrace
		p.noBrace = 0
		inner := p.parseExpr()
		p.noBrace = saved
		p.expect(tRParen)
		return &Paren{Span{p.rangeFrom(start)}, inner}
	case tName:
		p.next()
		switch {
		case p.tok.kind == tLParen:
			c := &Call{Name: t.text, NameRange: t.rng}
			p.parseCallRest(c)
			c.Loc = p.rangeFrom(start)
			return c
		case p.tok.kind == tLBrace && p.noBrace == 0:
			return p.parseResource(start, Regular, t)
		}
		return &QualifiedName{Span{t.rng}, t.text}
	case tTypeRef:
		p.next()
		if p.tok.kind == tLParen && !p.tok.spaceBefore {
			c := &Call{Name: t.text, NameRange: t.rng}
			p.parseCallRest(c)
			c.Loc = p.rangeFrom(start)
			return c
		}
		return &TypeReference{Span{t.rng}, t.text}
	case tAt, tAtAt:
		form := Virtual
		if t.kind == tAtAt {
			form = Exported
		}
		p.next()
		typ := p.tok
		if typ.kind != tName && typ.kind != tClass {
			p.errorExpected("a resource type name after '" + t.text + "'")
			return &Bad{Span{p.rangeFrom(start)}}
		}
		p.next()
		return p.parseResource(start, form, typ)
	case tClass:
		if p.peek(1).kind == tLBrace {
			p.next()
			return p.parseResource(start, Regular, t)
		}
		return p.parseClass()
	case tDefine:
		return p.parseDefine()
	case tNode:
		return p.parseNode()
	case tFunction:
		return p.parseFunction()
	case tType:
		if p.peek(1).kind == tTypeRef && p.peek(2).kind == tAssign {
			return p.parseTypeAlias()
		}
		p.next()
		// `type` is a keyword only before an alias definition;
		// type($x) is the core function that returns a value's type.
		if p.tok.kind == tLParen {
			c := &Call{Name: t.text, NameRange: t.rng}
			p.parseCallRest(c)
			c.Loc = p.rangeFrom(start)
			return c
		}
		return &QualifiedName{Span{t.rng}, t.text}
	case tIf:
		return p.parseIf()
	case tUnless:
		return p.parseUnless()
	case tCase:
		return p.parseCase()
	}
	if t.kind == tAssign && p.pos > 0 && !t.spaceBefore {
		// `$a += 1`: the lexer gave '+' then '='.
		if prev := p.toks[p.pos-1]; prev.kind == tPlus || prev.kind == tMinus {
			p.errorAt(hcl.RangeBetween(prev.rng, t.rng), "The operator '%s=' is no longer supported", prev.text)
			p.lastErr = t.rng.Start.Byte // not also "expected an expression"
		}
	}
	p.errorExpected("an expression")
	switch t.kind {
	case tRBrace, tRBrack, tRParen, tEOF, tSemi, tComma, tLBrace:
		// leave closers for the enclosing construct
	default:
		p.next()
	}
	return &Bad{Span{t.rng}}
}

// partsRange is the range covering a heredoc's body.
func partsRange(t token) hcl.Range {
	r := t.parts[0].rng
	r.End = t.parts[len(t.parts)-1].rng.End
	return r
}

// interpString builds an InterpString from lexed parts, parsing the tokens of
// each `${...}`.
func (p *parser) interpString(r hcl.Range, parts []strPart) Expr {
	s := &InterpString{Span: Span{r}}
	for _, part := range parts {
		switch {
		case part.isVar:
			s.Parts = append(s.Parts, &Variable{Span{part.rng}, part.varName})
		case part.isExpr:
			s.Parts = append(s.Parts, p.parseEmbedded(part))
		default:
			s.Parts = append(s.Parts, &String{Span{part.rng}, part.text})
		}
	}
	return s
}

// parseEmbedded parses the tokens of `${...}` with this parser (so errors are
// counted together) and applies Puppet's interpolation rule: a leading bare
// word or number names a variable (`${x}` is `$x`, `${x['a']}` is `$x['a']`).
func (p *parser) parseEmbedded(part strPart) Expr {
	savedToks, savedPos, savedTok, savedPrev, savedNB := p.toks, p.pos, p.tok, p.prevE, p.noBrace
	p.toks, p.pos, p.tok, p.noBrace = part.toks, 0, part.toks[0], 0
	if k := p.tok.kind; isKeywordWord(k) && k != tTrue && k != tFalse && k != tUndef &&
		(len(part.toks) == 1 || part.toks[1].kind == tEOF || part.toks[1].kind == tLBrack || part.toks[1].kind == tDot) {
		// Puppet reads a keyword right after '${' as a variable name when
		// nothing but an access or a method call follows: "${in}" is $in,
		// "${default['a']}" is $default['a'], "${if $x {1}}" an if.
		p.tok.kind = tName
		part.toks[0].kind = tName
	}
	var e Expr
	if p.tok.kind == tEOF {
		p.errorAt(part.rng, "expected an expression in '${}' but found '}'")
		e = &Bad{Span{part.rng}}
	} else {
		e = p.parseExpr()
		if p.tok.kind != tEOF {
			p.errorExpected("'}'")
		}
	}
	p.toks, p.pos, p.tok, p.prevE, p.noBrace = savedToks, savedPos, savedTok, savedPrev, savedNB
	if n, ok := e.(*Number); ok && (n.IsFloat || !isDecimal(n.Text)) {
		// "${1.5}" names no variable, and is no expression either.
		p.errorAt(n.Range(), "Illegal numeric variable name, The given name '%s' must be a decimal value if it starts with a digit 0-9", n.Text)
	}
	return interpolationVariable(e)
}

// isDecimal reports whether s is written only with decimal digits.
func isDecimal(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func interpolationVariable(e Expr) Expr {
	switch e := e.(type) {
	case *QualifiedName:
		return &Variable{e.Span, e.Name}
	case *Number:
		if !e.IsFloat {
			return &Variable{e.Span, e.Text}
		}
	case *Access:
		c := *e
		c.Target = interpolationVariable(e.Target)
		return &c
	case *Call:
		if e.Receiver != nil {
			c := *e
			c.Receiver = interpolationVariable(e.Receiver)
			return &c
		}
	}
	return e
}

func (p *parser) parseHash() Expr {
	start := p.tok.rng.Start
	h := &Hash{}
	p.braced(func() {
		es := p.tok.rng.Start
		var key Expr
		if isKeywordWord(p.tok.kind) && p.tok.kind != tDefault && p.peek(1).kind == tFArrow {
			key = &QualifiedName{Span{p.tok.rng}, p.tok.text}
			p.next()
		} else {
			key = p.parseExpr()
		}
		e := &HashEntry{Key: key}
		if p.expect(tFArrow) {
			e.Value = p.parseExpr()
		} else {
			e.Value = &Bad{Span{p.tok.rng}}
		}
		e.Loc = p.rangeFrom(es)
		h.Entries = append(h.Entries, e)
	})
	h.Loc = p.rangeFrom(start)
	return h
}

// parseResource parses the bodies of `type { title: ops; title: ops }`; the
// type name token has been consumed.
func (p *parser) parseResource(start hcl.Pos, form ResourceForm, typ token) Expr {
	r := &ResourceDecl{Form: form, Type: typ.text, TypeRange: typ.rng}
	if !p.expect(tLBrace) {
		r.Loc = p.rangeFrom(start)
		return r
	}
	saved := p.noBrace
	p.noBrace = 0
	for p.tok.kind != tRBrace && p.tok.kind != tEOF {
		bs := p.tok.rng.Start
		errs := p.errs
		body := &ResourceBody{Title: p.parseExpr()}
		if p.expect(tColon) {
			for p.tok.kind != tRBrace && p.tok.kind != tSemi && p.tok.kind != tEOF {
				op := p.parseAttrOp()
				body.Ops = append(body.Ops, op)
				if p.errs > errs || !p.got(tComma) {
					break
				}
			}
		}
		body.Loc = p.rangeFrom(bs)
		r.Bodies = append(r.Bodies, body)
		if p.errs > errs {
			p.skipTo(tRBrace)
			break
		}
		if !p.got(tSemi) {
			break
		}
	}
	p.noBrace = saved
	p.expect(tRBrace)
	r.Loc = p.rangeFrom(start)
	return r
}

// parseParams parses parameters `[Type] [*]$name [= default]` between open and close.
func (p *parser) parseParams(open, close tokKind) []*Param {
	var params []*Param
	p.list(open, close, func() {
		start := p.tok.rng.Start
		prm := &Param{}
		if p.tok.kind == tTypeRef {
			prm.Type = p.parseTypeExpr()
		}
		if p.got(tTimes) {
			prm.Captures = true
		}
		if p.tok.kind != tVariable {
			p.errorExpected("a parameter variable")
			return
		}
		prm.Name, prm.NameRange = p.tok.text, p.tok.rng
		p.next()
		if p.got(tAssign) {
			prm.Default = p.parseExpr()
		}
		prm.Loc = p.rangeFrom(start)
		params = append(params, prm)
	})
	return params
}

// parseTypeExpr parses a type reference with optional parameters: `Array[String, 1]`.
func (p *parser) parseTypeExpr() Expr {
	t := p.tok
	p.next()
	var e Expr = &TypeReference{Span{t.rng}, t.text}
	for p.tok.kind == tLBrack {
		a := &Access{Target: e}
		p.list(tLBrack, tRBrack, func() { a.Keys = append(a.Keys, p.parseExpr()) })
		a.Loc = p.rangeFrom(t.rng.Start)
		e = a
	}
	return e
}

// parseDefName parses the name of a class, define or function.
func (p *parser) parseDefName(what string) (string, hcl.Range) {
	t := p.tok
	if t.kind != tName && !(isKeywordWord(t.kind) && t.kind != tInherits) {
		p.errorExpected("a " + what + " name")
		return "", t.rng
	}
	p.next()
	return t.text, t.rng
}

func (p *parser) parseClass() Expr {
	start := p.tok.rng.Start
	p.next()
	c := &ClassDef{}
	c.Name, c.NameRange = p.parseDefName("class")
	if p.tok.kind == tLParen {
		c.Params = p.parseParams(tLParen, tRParen)
	}
	if p.got(tInherits) {
		if p.tok.kind == tName || p.tok.kind == tDefault {
			c.Parent = p.tok.text
			p.next()
		} else {
			p.errorExpected("a class name after 'inherits'")
		}
	}
	c.Body = p.parseBlock()
	c.Loc = p.rangeFrom(start)
	return c
}

func (p *parser) parseDefine() Expr {
	start := p.tok.rng.Start
	p.next()
	d := &DefineDef{}
	d.Name, d.NameRange = p.parseDefName("defined type")
	if p.tok.kind == tLParen {
		d.Params = p.parseParams(tLParen, tRParen)
	}
	d.Body = p.parseBlock()
	d.Loc = p.rangeFrom(start)
	return d
}

func (p *parser) parseFunction() Expr {
	start := p.tok.rng.Start
	p.next()
	f := &FunctionDef{}
	f.Name, f.NameRange = p.parseDefName("function")
	if p.tok.kind == tLParen {
		f.Params = p.parseParams(tLParen, tRParen)
	}
	if p.got(tShr) {
		if p.tok.kind == tTypeRef {
			f.ReturnType = p.parseTypeExpr()
		} else {
			p.errorExpected("a return type after '>>'")
		}
	}
	f.Body = p.parseBlock()
	f.Loc = p.rangeFrom(start)
	return f
}

func (p *parser) parseTypeAlias() Expr {
	start := p.tok.rng.Start
	p.next()
	a := &TypeAlias{Name: p.tok.text, NameRange: p.tok.rng}
	p.next() // type name
	p.next() // =
	a.Type = p.parseAssignment()
	a.Loc = p.rangeFrom(start)
	return a
}

func (p *parser) parseNode() Expr {
	start := p.tok.rng.Start
	p.next()
	n := &NodeDef{}
	for {
		t := p.tok
		switch t.kind {
		case tString:
			p.next()
			n.Matches = append(n.Matches, &String{Span{t.rng}, t.value})
		case tRegex:
			p.next()
			n.Matches = append(n.Matches, &Regex{Span{t.rng}, t.value})
		case tDefault:
			p.next()
			n.Matches = append(n.Matches, &Default{Span{t.rng}})
		case tName, tNumber:
			// an unquoted host name, possibly dotted: www.example.com
			name := t.text
			p.next()
			for p.tok.kind == tDot && !p.tok.spaceBefore && (p.peek(1).kind == tName || p.peek(1).kind == tNumber) {
				p.next()
				name += "." + p.tok.text
				p.next()
			}
			n.Matches = append(n.Matches, &QualifiedName{Span{p.rangeFrom(t.rng.Start)}, name})
		default:
			p.errorExpected("a node name (string, regular expression or default)")
			p.skipTo(tRBrace)
			n.Loc = p.rangeFrom(start)
			return n
		}
		if !p.got(tComma) || p.tok.kind == tLBrace {
			break
		}
	}
	if p.got(tInherits) {
		p.errorAt(p.prevE2(), "Node inheritance is not supported in Puppet >= 4.0.0")
		if p.tok.kind == tName || p.tok.kind == tString || p.tok.kind == tDefault {
			p.next() // the parent's name: one error is enough
		}
	}
	n.Body = p.parseBlock()
	n.Loc = p.rangeFrom(start)
	return n
}

// prevE2 is the range of the token just consumed.
func (p *parser) prevE2() hcl.Range {
	if p.pos > 0 {
		return p.toks[p.pos-1].rng
	}
	return p.tok.rng
}

func (p *parser) parseIf() Expr {
	start := p.tok.rng.Start
	elsif := p.tok.kind == tElsif
	p.next()
	n := &If{Elsif: elsif, Cond: p.parseCondition()}
	n.Then = p.parseBlock()
	switch p.tok.kind {
	case tElsif:
		n.Else = p.parseIf()
	case tElse:
		p.next()
		n.Else = p.parseBlock()
	}
	n.Loc = p.rangeFrom(start)
	return n
}

func (p *parser) parseUnless() Expr {
	start := p.tok.rng.Start
	p.next()
	n := &Unless{Cond: p.parseCondition()}
	n.Then = p.parseBlock()
	if p.tok.kind == tElsif {
		p.errorAt(p.tok.rng, "'unless' does not support 'elsif'")
	}
	if p.got(tElse) {
		n.Else = p.parseBlock()
	}
	n.Loc = p.rangeFrom(start)
	return n
}

func (p *parser) parseCase() Expr {
	start := p.tok.rng.Start
	p.next()
	c := &Case{Subject: p.parseCondition()}
	if !p.expect(tLBrace) {
		c.Loc = p.rangeFrom(start)
		return c
	}
	for p.tok.kind != tRBrace && p.tok.kind != tEOF {
		os := p.tok.rng.Start
		errs := p.errs
		opt := &CaseOption{}
		for {
			opt.Values = append(opt.Values, p.parseExpr())
			if !p.got(tComma) || p.tok.kind == tColon {
				break
			}
		}
		if p.expect(tColon) {
			opt.Body = p.parseBlock()
		}
		opt.Loc = p.rangeFrom(os)
		c.Options = append(c.Options, opt)
		if p.errs > errs {
			p.skipTo(tRBrace)
			break
		}
	}
	p.expect(tRBrace)
	c.Loc = p.rangeFrom(start)
	return c
}
