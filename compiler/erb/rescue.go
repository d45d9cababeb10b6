package erb

import (
	"errors"
	"fmt"
	"strings"
)

// This file holds Ruby's exceptions as templates use them: begin/rescue/
// else/ensure around the interpreter's builtins (haproxy's _bind.erb
// validates an address with `IPAddr.new(ip)` and rescues ArgumentError),
// and `require` of the libraries the interpreter provides.

// exceptionParents is Ruby 3.1's hierarchy of the exceptions the
// interpreter raises, each class to its superclass. A rescue names one of
// these; only errors carrying one of them (Error.Class) are rescued, never
// gapply's own "unsupported Ruby" errors, which Ruby would not raise.
var exceptionParents = map[string]string{
	"Exception":                   "",
	"StandardError":               "Exception",
	"ArgumentError":               "StandardError",
	"TypeError":                   "StandardError",
	"ZeroDivisionError":           "StandardError",
	"NameError":                   "StandardError",
	"NoMethodError":               "NameError",
	"IPAddr::Error":               "ArgumentError",
	"IPAddr::InvalidAddressError": "IPAddr::Error",
	"IPAddr::AddressFamilyError":  "IPAddr::Error",
	"IPAddr::InvalidPrefixError":  "IPAddr::InvalidAddressError",
}

// isException reports whether class is ancestor or one of its subclasses.
func isException(class, ancestor string) bool {
	for c := class; c != ""; c = exceptionParents[c] {
		if c == ancestor {
			return true
		}
	}
	return false
}

// raise is an error Ruby raises too (class is its exception class), which
// a rescue of the template may catch.
func (ev *evaluator) raise(n node, class, format string, args ...any) error {
	return &Error{Template: ev.name, Line: n.at(), Msg: fmt.Sprintf(format, args...), Class: class}
}

// exception is a rescued exception (rescue => e): e.message, e.to_s and
// e.inspect as Ruby prints them.
type exception struct {
	class, msg string
}

type (
	// beginNode is begin BODY (rescue ...)* [else BODY] [ensure BODY] end.
	beginNode struct {
		line    int
		body    []node
		rescues []*rescueClause
		els     []node // nil without else
		ensure  []node // nil without ensure
	}
	// rescueClause is rescue [Class, ...] [=> name] BODY; no class is
	// StandardError, as in Ruby.
	rescueClause struct {
		classes []string
		local   string
		body    []node
	}
	// requireNode is require 'name' of a library the interpreter has.
	requireNode struct {
		line int
	}
)

func (n *beginNode) at() int   { return n.line }
func (n *requireNode) at() int { return n.line }

// libraries are what `require` accepts: the Ruby libraries whose part the
// templates use the interpreter provides itself.
var libraries = map[string]bool{"ipaddr": true}

// require parses require 'lib' or require('lib').
func (p *parser) require(first token) (node, error) {
	paren := p.accept(tOp, "(")
	t := p.next()
	if t.kind != tStr || strings.Contains(t.s, "#{") {
		return nil, p.errorf(t, "unsupported Ruby: require of %s (a library name in quotes is needed)", describe(t))
	}
	if !libraries[t.s] {
		return nil, p.errorf(t, "unsupported Ruby: require '%s' (the interpreter provides only ipaddr)", t.s)
	}
	if paren {
		if err := p.expect(tOp, ")"); err != nil {
			return nil, err
		}
	}
	return &requireNode{first.line}, nil
}

// beginStatement parses begin ... end with its rescue, else and ensure
// clauses; the begin keyword is the next token.
func (p *parser) beginStatement() (node, error) {
	first := p.next()
	n := &beginNode{line: first.line}
	var err error
	if n.body, err = p.statements(); err != nil {
		return nil, err
	}
	for p.is(tIdent, "rescue") {
		r, err := p.rescueClause()
		if err != nil {
			return nil, err
		}
		n.rescues = append(n.rescues, r)
	}
	if t := p.peek(); p.accept(tIdent, "else") {
		if len(n.rescues) == 0 {
			return nil, p.errorf(t, "unsupported Ruby: 'else' in begin without 'rescue'")
		}
		if n.els, err = p.statements(); err != nil {
			return nil, err
		}
		if len(n.els) == 0 { // an empty else is nil, not the body's value
			n.els = []node{&litNode{t.line, nil}}
		}
	}
	if p.accept(tIdent, "ensure") {
		if n.ensure, err = p.statements(); err != nil {
			return nil, err
		}
		if n.ensure == nil {
			n.ensure = []node{}
		}
	}
	if err := p.expect(tIdent, "end"); err != nil {
		return nil, p.errorf(first, "'begin' without a matching 'end' (found %s)", describe(p.peek()))
	}
	return n, nil
}

// rescueClause parses rescue [Class, ...] [=> name] [then] BODY.
func (p *parser) rescueClause() (*rescueClause, error) {
	p.next()
	r := &rescueClause{}
	for p.peek().kind == tConst {
		t := p.next()
		name := t.s
		for p.accept(tOp, "::") {
			c := p.next()
			if c.kind != tConst {
				return nil, p.errorf(c, "expected a class name after '::', found %s", describe(c))
			}
			name += "::" + c.s
		}
		if _, ok := exceptionParents[name]; !ok {
			return nil, p.errorf(t, "unsupported Ruby: exception class %s", name)
		}
		r.classes = append(r.classes, name)
		if !p.accept(tOp, ",") {
			break
		}
	}
	if len(r.classes) == 0 {
		r.classes = []string{"StandardError"}
	}
	if p.accept(tOp, "=>") {
		t := p.next()
		if t.kind != tIdent {
			return nil, p.errorf(t, "unsupported Ruby: rescue into %s (a local variable name is needed)", describe(t))
		}
		r.local = t.s
		p.locals[t.s] = true
	}
	p.accept(tIdent, "then")
	body, err := p.statements()
	if err != nil {
		return nil, err
	}
	r.body = body
	return r, nil
}

// beginRescue runs begin/rescue/else/ensure as Ruby: an exception of the
// body goes to the first rescue naming its class or a superclass; else
// runs when the body raised nothing (its own errors are not rescued);
// ensure always runs and its value is dropped. Output the body wrote
// before raising stays, as ERB appends it as it goes.
func (ev *evaluator) beginRescue(n *beginNode, locals map[string]any) (any, error) {
	v, err := ev.block(n.body, locals)
	var raised *Error
	if err == nil && n.els != nil {
		v, err = ev.block(n.els, locals)
	} else if errors.As(err, &raised) && raised.Class != "" {
	clauses:
		for _, r := range n.rescues {
			for _, c := range r.classes {
				if isException(raised.Class, c) {
					if r.local != "" {
						locals[r.local] = &exception{raised.Class, raised.Msg}
					}
					v, err = ev.block(r.body, locals)
					break clauses
				}
			}
		}
	}
	if n.ensure != nil {
		if _, eerr := ev.block(n.ensure, locals); eerr != nil {
			return nil, eerr
		}
	}
	return v, err
}
