package compiler

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// eval evaluates one expression in scope s.
func (c *compiler) eval(e parser.Expr, s *scope) (any, error) {
	switch e := e.(type) {
	case *parser.Block:
		return c.evalBlock(e.Body, s), nil
	case *parser.String:
		return e.Value, nil
	case *parser.InterpString:
		return c.interpolate(e, s)
	case *parser.Heredoc:
		return c.eval(e.Value, s)
	case *parser.Number:
		if e.IsFloat {
			return e.Float, nil
		}
		return e.Int, nil
	case *parser.Boolean:
		return e.Value, nil
	case *parser.Undef:
		return nil, nil
	case *parser.Default:
		return Default{}, nil
	case *parser.Regex:
		return c.regexp(e.Pattern, e.Range())
	case *parser.Variable:
		return c.variable(e.Name, e.Range(), s), nil
	case *parser.QualifiedName:
		return e.Name, nil
	case *parser.TypeReference:
		return c.typeReference(e)
	case *parser.Access:
		return c.evalAccess(e, s)
	case *parser.Array:
		return c.evalList(e.Elems, s)
	case *parser.Hash:
		h := NewHash()
		for _, en := range e.Entries {
			k, err := c.eval(en.Key, s)
			if err != nil {
				return nil, err
			}
			v, err := c.eval(en.Value, s)
			if err != nil {
				return nil, err
			}
			h.Set(k, v)
		}
		return h, nil
	case *parser.Paren:
		return c.eval(e.Inner, s)
	case *parser.Unary:
		return c.evalUnary(e, s)
	case *parser.Binary:
		return c.evalBinary(e, s)
	case *parser.Assignment:
		return c.evalAssignment(e, s)
	case *parser.Selector:
		return c.evalSelector(e, s)
	case *parser.If:
		return c.evalIf(e, s)
	case *parser.Unless:
		inner := s.ephemeralChild()
		cond, err := c.eval(e.Cond, inner)
		if err != nil {
			return nil, err
		}
		if !truthy(cond) {
			return c.evalBlock(e.Then.Body, inner), nil
		}
		if e.Else != nil {
			return c.evalBlock(e.Else.Body, s), nil
		}
		return nil, nil
	case *parser.Case:
		return c.evalCase(e, s)
	case *parser.Call:
		return c.evalCall(e, s)
	case *parser.Chain:
		return c.evalChain(e, s)
	case *parser.ResourceDecl:
		return c.evalResourceDecl(e, s)
	case *parser.ResourceDefaults:
		return c.evalResourceDefaults(e, s)
	case *parser.ResourceOverride:
		return c.evalOverride(e, s)
	case *parser.Collector:
		return c.evalCollector(e, s)
	case *parser.ClassDef, *parser.DefineDef, *parser.NodeDef, *parser.TypeAlias, *parser.FunctionDef:
		return c.evalDefinition(e)
	case *parser.Bad:
		return nil, errorf(e.Range(), "cannot evaluate source that did not parse")
	}
	return nil, errorf(e.Range(), "%s is not supported yet", describe(e))
}

// describe names an expression kind for "not supported" errors.
func describe(e parser.Expr) string {
	switch e.(type) {
	case *parser.ResourceDecl:
		return "a resource declaration"
	case *parser.Call:
		return "a function call"
	}
	return "this expression"
}

// variable looks a variable up; an unknown one is undef with a warning, as
// in Puppet 7 (strict_variables off).
func (c *compiler) variable(name string, rng hcl.Range, s *scope) any {
	v, ok := c.lookupVar(name, s)
	if ok {
		return v
	}
	if i := strings.LastIndex(name, "::"); i > 0 {
		if class := className(name[:i]); c.classScopes[class] == nil {
			c.warn(rng, "Could not look up qualified variable '$%s'; class %s has not been evaluated", name, class)
			return nil
		}
	} else if _, numeric := matchIndex(name); numeric {
		return nil
	}
	c.warn(rng, "Unknown variable: '%s'.", name)
	return nil
}

// lookupVar finds a variable as $name does: a qualified one ('app::user')
// through the scopes its class sees (a class that inherits another has its
// variables too: $app::user set in app::params), any other from s ('::x'
// at top scope). It is also what getvar() and templates' scope['name']
// see.
func (c *compiler) lookupVar(name string, s *scope) (any, bool) {
	if i := strings.LastIndex(name, "::"); i > 0 {
		sc, ok := c.classScopes[className(name[:i])]
		if !ok {
			return nil, false
		}
		return sc.lookup(name[i+2:])
	}
	return s.lookup(name)
}

// evalList evaluates the elements of an array literal or argument list;
// a splat (*$a) unfolds an array into the list.
func (c *compiler) evalList(elems []parser.Expr, s *scope) ([]any, error) {
	out := make([]any, 0, len(elems))
	for _, el := range elems {
		if u, ok := el.(*parser.Unary); ok && u.Op == parser.OpSplat {
			v, err := c.eval(u.Operand, s)
			if err != nil {
				return nil, err
			}
			if a, ok := v.([]any); ok {
				out = append(out, a...)
			} else {
				out = append(out, v)
			}
			continue
		}
		v, err := c.eval(el, s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// interpolate builds a double-quoted string. Inside ${...} a bare word is
// a variable name, so ${x} and ${h['a']} read variables.
//
// The pieces are gathered first and joined in one allocation: a string
// built piece by piece would grow (and copy) several times.
func (c *compiler) interpolate(e *parser.InterpString, s *scope) (any, error) {
	var buf [8]string
	pieces := buf[:0]
	size := 0
	for _, p := range e.Parts {
		var piece string
		switch p := p.(type) {
		case *parser.String:
			piece = p.Value
		case *parser.QualifiedName:
			piece = ToString(c.variable(p.Name, p.Range(), s))
		default:
			v, err := c.eval(bareWordAsVariable(p), s)
			if err != nil {
				return nil, err
			}
			piece = ToString(v)
		}
		pieces = append(pieces, piece)
		size += len(piece)
	}
	var b strings.Builder
	b.Grow(size)
	for _, piece := range pieces {
		b.WriteString(piece)
	}
	return b.String(), nil
}

// bareWordAsVariable rewrites the leftmost bare word of an access or
// method chain in an interpolation (${h['a'][0]}, ${s.upcase}) to the
// variable it names, as Puppet does; in any other expression a bare word
// stays a string (${n + 1} adds to 'n').
func bareWordAsVariable(e parser.Expr) parser.Expr {
	switch x := e.(type) {
	case *parser.QualifiedName:
		return &parser.Variable{Span: x.Span, Name: x.Name}
	case *parser.Access:
		t := bareWordAsVariable(x.Target)
		if t != x.Target {
			cp := *x
			cp.Target = t
			return &cp
		}
	case *parser.Call:
		if x.Receiver != nil {
			r := bareWordAsVariable(x.Receiver)
			if r != x.Receiver {
				cp := *x
				cp.Receiver = r
				return &cp
			}
		}
	}
	return e
}

// compileRegexp compiles a Puppet (Ruby) regular expression: see
// rubyToRE2 for what differs from Go's syntax.
func compileRegexp(src string, rng hcl.Range) (*Regexp, error) {
	goSrc, err := rubyToRE2(src)
	if err != nil {
		return nil, errorf(rng, "invalid regular expression /%s/: %v", src, err)
	}
	re, err := regexp.Compile(goSrc)
	if err != nil {
		return nil, errorf(rng, "invalid regular expression /%s/: %v", src, err)
	}
	return &Regexp{Source: src, Re: re}, nil
}

// regexp is compileRegexp with a cache: a literal in a define or a loop
// is evaluated again for every instance, and compiling costs far more
// than finding it. The *Regexp is shared, which is safe since nothing
// modifies one.
func (c *compiler) regexp(src string, rng hcl.Range) (*Regexp, error) {
	if re, ok := c.regexps[src]; ok {
		return re, nil
	}
	re, err := compileRegexp(src, rng)
	if err == nil {
		c.regexps[src] = re
	}
	return re, err
}

func (c *compiler) evalAssignment(e *parser.Assignment, s *scope) (any, error) {
	v, err := c.eval(e.Value, s)
	if err != nil {
		return nil, err
	}
	switch t := e.Target.(type) {
	case *parser.Variable:
		return v, c.assign(t, v, s)
	case *parser.Array:
		vals, ok := v.([]any)
		if !ok || len(vals) != len(t.Elems) {
			return nil, errorf(e.Range(), "Number of values does not match the number of variables in the assignment")
		}
		for i, el := range t.Elems {
			vr, ok := el.(*parser.Variable)
			if !ok {
				return nil, errorf(el.Range(), "Illegal attempt to assign to '%s': not a variable", describe(el))
			}
			if err := c.assign(vr, vals[i], s); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	return nil, errorf(e.Target.Range(), "Illegal attempt to assign to '%s': not a variable", describe(e.Target))
}

func (c *compiler) assign(v *parser.Variable, val any, s *scope) error {
	if strings.Contains(v.Name, "::") {
		return errorf(v.Range(), "Illegal attempt to assign to '$%s'. Cannot assign to variables in other namespaces", v.Name)
	}
	if _, numeric := matchIndex(v.Name); numeric {
		return errorf(v.Range(), "Illegal attempt to assign to the numeric match result variable '$%s'", v.Name)
	}
	if prev, dup := s.assign(v.Name, val, &v.Loc); dup {
		if v.Name == "title" || v.Name == "name" { // set for every scope, in Puppet's words
			return errorf(v.Range(), "Cannot reassign built in (or already assigned) variable '$%s'", v.Name)
		}
		d := errorf(v.Range(), "Cannot reassign variable '$%s'", v.Name).(*evalError)
		if prev.Filename != "" {
			d.diag.Detail = "It was assigned at " + location(prev) + "; Puppet variables are assigned once per scope."
		}
		return d
	}
	return nil
}

func (c *compiler) evalIf(e *parser.If, s *scope) (any, error) {
	inner := s.ephemeralChild()
	cond, err := c.eval(e.Cond, inner)
	if err != nil {
		return nil, err
	}
	if truthy(cond) {
		return c.evalBlock(e.Then.Body, inner), nil
	}
	if e.Else != nil {
		return c.eval(e.Else, s)
	}
	return nil, nil
}

// matches tests a case option or selector match against the subject:
// default always matches, a regexp matches strings (setting $0..$9 in s),
// a type matches its instances (a type value matches Type[T]), an array matches an equal array, anything
// else compares with ==.
func (c *compiler) matches(subject, m any, s *scope) bool {
	switch m := m.(type) {
	case Default:
		return true
	case *Regexp:
		str, ok := subject.(string)
		if !ok {
			return false
		}
		return c.regexpMatch(m, str, s)
	case TypeRef:
		// As in Puppet, also when the subject is a type: case Integer
		// matches Type[Numeric], not Integer.
		return isInstance(subject, m)
	}
	return equal(subject, m)
}

// regexpMatch matches and, on success, sets the match variables in s.
func (c *compiler) regexpMatch(re *Regexp, str string, s *scope) bool {
	idx := re.Re.FindStringSubmatchIndex(str)
	if idx == nil {
		return false
	}
	n := len(idx) / 2
	groups := make([]string, n)
	present := make([]bool, n)
	for i := range n {
		if idx[2*i] >= 0 {
			groups[i] = str[idx[2*i]:idx[2*i+1]]
			present[i] = true
		}
	}
	s.setMatches(groups, present)
	return true
}

func (c *compiler) evalCase(e *parser.Case, s *scope) (any, error) {
	subject, err := c.eval(e.Subject, s)
	if err != nil {
		return nil, err
	}
	var dflt *parser.CaseOption
	for _, opt := range e.Options {
		inner := s.ephemeralChild()
		vals, err := c.evalList(opt.Values, inner)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			if _, ok := v.(Default); ok {
				dflt = opt
				continue
			}
			if c.matches(subject, v, inner) {
				return c.evalBlock(opt.Body.Body, inner), nil
			}
		}
	}
	if dflt != nil {
		return c.evalBlock(dflt.Body.Body, s.ephemeralChild()), nil
	}
	return nil, nil
}

func (c *compiler) evalSelector(e *parser.Selector, s *scope) (any, error) {
	subject, err := c.eval(e.Subject, s)
	if err != nil {
		return nil, err
	}
	var dflt *parser.SelectorCase
	for _, sc := range e.Cases {
		inner := s.ephemeralChild()
		m, err := c.eval(sc.Match, inner)
		if err != nil {
			return nil, err
		}
		if _, ok := m.(Default); ok {
			dflt = sc
			continue
		}
		if c.matches(subject, m, inner) {
			return c.eval(sc.Value, inner)
		}
	}
	if dflt != nil {
		return c.eval(dflt.Value, s)
	}
	return nil, errorf(e.Range(), "No matching entry for selector parameter with value '%s'", ToString(subject))
}

func (c *compiler) evalUnary(e *parser.Unary, s *scope) (any, error) {
	v, err := c.eval(e.Operand, s)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case parser.OpNot:
		return !truthy(v), nil
	case parser.OpNeg:
		switch n := toNumber(v).(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, errorf(e.Range(), "Operator '-' is not applicable to %s.", article(v))
	case parser.OpSplat:
		if a, ok := v.([]any); ok {
			return a, nil
		}
		return []any{v}, nil
	}
	return nil, errorf(e.Range(), "unknown operator '%s'", e.Op)
}

// article names a value's type for operator errors: "an Undef Value".
func article(v any) string {
	n := typeName(v)
	switch n[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + n + " Value"
	}
	return "a " + n + " Value"
}

func (c *compiler) evalBinary(e *parser.Binary, s *scope) (any, error) {
	l, err := c.eval(e.Left, s)
	if err != nil {
		return nil, err
	}
	// and/or short-circuit.
	switch e.Op {
	case parser.OpAnd:
		if !truthy(l) {
			return false, nil
		}
		r, err := c.eval(e.Right, s)
		return truthy(r), err
	case parser.OpOr:
		if truthy(l) {
			return true, nil
		}
		r, err := c.eval(e.Right, s)
		return truthy(r), err
	}
	r, err := c.eval(e.Right, s)
	if err != nil {
		return nil, err
	}
	if lt, isType := asType(l); isType {
		if v, ok := compareTypes(e.Op, lt, r); ok {
			return v, nil
		}
	}
	switch e.Op {
	case parser.OpEq:
		return equal(l, r), nil
	case parser.OpNe:
		return !equal(l, r), nil
	case parser.OpLt, parser.OpGt, parser.OpLe, parser.OpGe:
		n, ok := compare(l, r)
		if !ok {
			return nil, errorf(e.Range(), "Comparison of: %s %s %s, is not possible. Caused by '%s'.", comparedLabel(l), e.Op, comparedLabel(r), notComparable(l))
		}
		switch e.Op {
		case parser.OpLt:
			return n < 0, nil
		case parser.OpGt:
			return n > 0, nil
		case parser.OpLe:
			return n <= 0, nil
		}
		return n >= 0, nil
	case parser.OpMatch, parser.OpNoMatch:
		m, err := c.match(e, l, r, s)
		if e.Op == parser.OpNoMatch {
			m = !m
		}
		return m, err
	case parser.OpIn:
		return c.in(l, r, s), nil
	}
	return arith(e, l, r)
}

// match evaluates =~: a string against a regexp (or a string holding one),
// or any value against a type.
func (c *compiler) match(e *parser.Binary, l, r any, s *scope) (bool, error) {
	switch r := r.(type) {
	case TypeRef:
		return isInstance(l, r), nil
	case string:
		re, err := c.regexp(r, e.Right.Range())
		if err != nil {
			return false, err
		}
		return c.match(e, l, re, s)
	case *Regexp:
		str, ok := l.(string)
		if !ok {
			return false, errorf(e.Left.Range(), "Left operand of %s must be a String, got %s", e.Op, typeName(l))
		}
		return c.regexpMatch(r, str, s), nil
	}
	return false, errorf(e.Right.Range(), "Right operand of %s must be a Regexp, a String or a Type, got %s", e.Op, typeName(r))
}

// in is Puppet's `in`: a substring of a string (case-insensitively), an
// element of an array, a key of a hash; a regexp or type on the left
// matches any element.
func (c *compiler) in(l, r any, s *scope) bool {
	switch r := r.(type) {
	case string:
		switch l := l.(type) {
		case string:
			return strings.Contains(strings.ToLower(r), strings.ToLower(l))
		case *Regexp:
			return c.regexpMatch(l, r, s)
		}
		return false
	case []any:
		for _, el := range r {
			if c.inMatch(l, el, s) {
				return true
			}
		}
	case *Hash:
		for _, k := range r.Keys() {
			if c.inMatch(l, k, s) {
				return true
			}
		}
	}
	return false
}

func (c *compiler) inMatch(l, el any, s *scope) bool {
	switch l := l.(type) {
	case *Regexp:
		str, ok := el.(string)
		return ok && c.regexpMatch(l, str, s)
	case TypeRef:
		return isInstance(el, l)
	}
	return equal(l, el)
}

// toNumber converts numeric strings, as Puppet's arithmetic does; other
// values are returned unchanged.
func toNumber(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	// Go's parsers accept more than Puppet: digit separators, 0o, hex
	// floats, inf and nan.
	if lower := strings.ToLower(strings.TrimLeft(t, "+-")); strings.ContainsAny(lower, "_pn") || strings.HasPrefix(lower, "0o") {
		return v
	}
	if i, err := strconv.ParseInt(t, 0, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f
	}
	return v
}

// arith evaluates + - * / % << >> on numbers, and the collection forms of
// + - << (concatenation, merge, difference, append).
// arrayToHash is the hash an array added to a hash stands for, as Puppet
// converts it: an array of [key, value] pairs, or keys and values
// alternating.
func arrayToHash(a []any) (*Hash, error) {
	out := NewHash()
	pairs := len(a) > 0
	for _, el := range a {
		if p, ok := el.([]any); !ok || len(p) != 2 {
			pairs = false
		}
	}
	if pairs {
		for _, el := range a {
			p := el.([]any)
			out.Set(p[0], p[1])
		}
		return out, nil
	}
	if len(a)%2 != 0 {
		return nil, errors.New("odd number of arguments for Hash")
	}
	for i := 0; i < len(a); i += 2 {
		out.Set(a[i], a[i+1])
	}
	return out, nil
}

func arith(e *parser.Binary, l, r any) (any, error) {
	switch lv := l.(type) {
	case []any:
		switch e.Op {
		case parser.OpAdd:
			out := append([]any{}, lv...)
			if ra, ok := r.([]any); ok {
				return append(out, ra...), nil
			}
			return append(out, r), nil
		case parser.OpShl:
			return append(append([]any{}, lv...), r), nil
		case parser.OpSub:
			rm, ok := r.([]any)
			if !ok {
				rm = []any{r}
			}
			var out []any
		next:
			for _, el := range lv {
				for _, x := range rm {
					if equal(el, x) {
						continue next
					}
				}
				out = append(out, el)
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}
	case *Hash:
		switch e.Op {
		case parser.OpAdd:
			rh, ok := r.(*Hash)
			if ra, isArr := r.([]any); isArr {
				var err error
				if rh, err = arrayToHash(ra); err != nil {
					return nil, errorf(e.Range(), "Error while evaluating a '+' expression, %v", err)
				}
				ok = true
			}
			if !ok {
				break
			}
			return mergeHashes(lv, rh), nil
		case parser.OpSub:
			var drop []any
			switch r := r.(type) {
			case *Hash:
				drop = r.Keys()
			case []any:
				drop = r
			default:
				drop = []any{r}
			}
			dropped := make(map[string]bool, len(drop))
			for _, k := range drop {
				dropped[hashKey(k)] = true
			}
			out := NewHash()
			for i, k := range lv.Keys() {
				if !dropped[hashKey(k)] {
					out.Set(k, lv.Values()[i])
				}
			}
			return out, nil
		}
	}
	ln, rn := toNumber(l), toNumber(r)
	li, lint := ln.(int64)
	ri, rint := rn.(int64)
	if lint && rint {
		switch e.Op {
		case parser.OpAdd:
			return li + ri, nil
		case parser.OpSub:
			return li - ri, nil
		case parser.OpMul:
			return li * ri, nil
		case parser.OpDiv, parser.OpMod:
			if ri == 0 {
				return nil, errorf(e.Range(), "Division by 0")
			}
			q, m := li/ri, li%ri
			// Ruby's integer division and modulo round toward negative
			// infinity.
			if m != 0 && (m < 0) != (ri < 0) {
				q--
				m += ri
			}
			if e.Op == parser.OpDiv {
				return q, nil
			}
			return m, nil
		case parser.OpShl:
			return li << uint64(ri), nil
		case parser.OpShr:
			return li >> uint64(ri), nil
		}
	}
	lf, lok := asFloat(ln)
	rf, rok := asFloat(rn)
	if lok && rok {
		switch e.Op {
		case parser.OpAdd:
			return lf + rf, nil
		case parser.OpSub:
			return lf - rf, nil
		case parser.OpMul:
			return lf * rf, nil
		case parser.OpDiv:
			if rf == 0 {
				return nil, errorf(e.Range(), "Division by 0")
			}
			return lf / rf, nil
		case parser.OpMod:
			if rf == 0 {
				return nil, errorf(e.Range(), "Division by 0")
			}
			return lf - rf*math.Floor(lf/rf), nil
		}
	}
	return nil, errorf(e.Range(), "Operator '%s' is not applicable to %s and %s.", e.Op, article(l), article(r))
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// evalAccess evaluates target[keys]: indexing and slicing of strings and
// arrays, hash lookup, and resource references (File['/x']).
func (c *compiler) evalAccess(e *parser.Access, s *scope) (any, error) {
	t, err := c.eval(e.Target, s)
	if err != nil {
		return nil, err
	}
	keys, err := c.evalList(e.Keys, s)
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case string:
		return sliceAccess(e, keys, len(t), func(i int) any { return t[i : i+1] },
			func(a, b int) any { return t[a:b] }, "")
	case []any:
		return sliceAccess(e, keys, len(t), func(i int) any { return t[i] },
			func(a, b int) any { return append([]any{}, t[a:b]...) }, nil)
	case *Hash:
		if len(keys) == 1 {
			v, _ := t.Get(keys[0])
			return v, nil
		}
		out := []any{}
		for _, k := range keys {
			if v, ok := t.Get(k); ok {
				out = append(out, v)
			}
		}
		return out, nil
	case TypeRef:
		return c.typeAccess(e, t, keys)
	}
	return nil, errorf(e.Range(), "Operator '[]' is not applicable to %s.", article(t))
}

// sliceAccess implements [i] and [start, count] with negative indices from
// the end, for strings and arrays.
func sliceAccess(e *parser.Access, keys []any, n int, at func(int) any, slice func(int, int) any, empty any) (any, error) {
	idx := make([]int, len(keys))
	for i, k := range keys {
		v, ok := k.(int64)
		if !ok {
			return nil, errorf(e.Keys[i].Range(), "index must be an Integer, got %s", typeName(k))
		}
		idx[i] = int(v)
	}
	switch len(idx) {
	case 1:
		i := idx[0]
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, nil
		}
		return at(i), nil
	case 2:
		start, count := idx[0], idx[1]
		if start < 0 {
			start += n
		}
		if start < 0 {
			start = 0
		}
		end := n
		if count >= 0 && start+count < n {
			end = start + count
		} else if count < 0 {
			end = n + count + 1
		}
		if start >= n || end <= start {
			if empty == nil {
				return []any{}, nil
			}
			return empty, nil
		}
		return slice(start, end), nil
	}
	return nil, errorf(e.Range(), "access expects one or two Integer keys, got %d", len(keys))
}

// dataTypes are the capitalised names that are Puppet data types rather
// than resource types.
var dataTypes = map[string]bool{
	"Any": true, "Array": true, "Boolean": true, "Callable": true, "Collection": true,
	"Data": true, "Default": true, "Enum": true, "Float": true, "Hash": true,
	"Integer": true, "Iterable": true, "NotUndef": true, "Numeric": true,
	"Optional": true, "Pattern": true, "Regexp": true, "RichData": true,
	"Scalar": true, "ScalarData": true, "SemVer": true, "Sensitive": true,
	"String": true, "Struct": true, "Timespan": true, "Timestamp": true,
	"Tuple": true, "Type": true, "Undef": true, "Variant": true,
}

// typeAccess turns Type[title, ...] into resource references, and a data
// type with parameters (Integer[1, 5]) into a parameterised TypeRef.
func (c *compiler) typeAccess(e *parser.Access, t TypeRef, keys []any) (any, error) {
	if dataTypes[t.Name] {
		return TypeRef{Name: t.Name, Params: keys}, nil
	}
	typ := c.refType(t.Name)
	if typ == "Resource" && len(keys) > 0 {
		name, ok := keys[0].(string)
		if !ok {
			if tr, isType := keys[0].(TypeRef); isType {
				name, ok = tr.Name, true
			}
		}
		if !ok {
			return nil, errorf(e.Range(), "Resource[] expects a type name first, got %s", typeName(keys[0]))
		}
		typ, keys = catalog.CapitalizeType(name), keys[1:]
	}
	var refs []any
	var add func(k any) error
	add = func(k any) error {
		switch k := k.(type) {
		case string:
			title := k
			if typ == "Class" {
				title = classTitle(k)
			}
			refs = append(refs, catalog.Ref{Type: typ, Title: title})
		case []any:
			for _, x := range k {
				if err := add(x); err != nil {
					return err
				}
			}
		default:
			return errorf(e.Range(), "%s[] expects a String title, got %s", typ, typeName(k))
		}
		return nil
	}
	for _, k := range keys {
		if err := add(k); err != nil {
			return nil, err
		}
	}
	if len(refs) == 1 && len(keys) == 1 {
		if _, isArray := keys[0].([]any); !isArray {
			return refs[0], nil
		}
	}
	if refs == nil {
		refs = []any{}
	}
	return refs, nil
}
