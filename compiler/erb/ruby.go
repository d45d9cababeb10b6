package erb

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file holds the Ruby the public modules' templates use beyond the
// basics: next, case/when, def, regexps and MatchData, Kernel's
// conversions (Array(x)), <<, ranges as indexes, and calls of Puppet
// functions through scope.

// nextSignal carries `next value` out of a block's body to its iterator.
type nextSignal struct {
	at    node
	value any
}

func (s *nextSignal) Error() string { return "next outside a block" }

// rubyRegexp is a Regexp value.
type rubyRegexp struct {
	re     *regexp.Regexp
	source string
}

// matchData is a MatchData value: groups[0] is the whole match, an
// unmatched group is nil.
type matchData struct {
	groups []any
}

func (ev *evaluator) regexp(n *regexNode) (any, error) {
	key := n.opts + "/" + n.source
	if re, ok := ev.res[key]; ok {
		return &rubyRegexp{re, n.source}, nil
	}
	var re *regexp.Regexp
	var err error
	if ev.env.Regexp != nil {
		re, err = ev.env.Regexp(n.source, n.opts)
	} else {
		re, err = regexp.Compile(n.source)
	}
	if err != nil {
		return nil, ev.errorf(n, "regexp /%s/: %v", n.source, err)
	}
	if ev.res == nil {
		ev.res = map[string]*regexp.Regexp{}
	}
	ev.res[key] = re
	return &rubyRegexp{re, n.source}, nil
}

// match is Regexp#match: MatchData or nil.
func (r *rubyRegexp) match(s string) any {
	idx := r.re.FindStringSubmatchIndex(s)
	if idx == nil {
		return nil
	}
	md := &matchData{groups: make([]any, len(idx)/2)}
	for i := range md.groups {
		if idx[2*i] >= 0 {
			md.groups[i] = s[idx[2*i]:idx[2*i+1]]
		}
	}
	return md
}

// setLast records a match result as $~ and returns it.
func (ev *evaluator) setLast(m any) any {
	ev.last, _ = m.(*matchData)
	return m
}

// matchOp is =~ (the index of the first match, or nil) and !~.
func (ev *evaluator) matchOp(n *binNode, l, r any) (any, error) {
	if _, ok := l.(*rubyRegexp); ok {
		l, r = r, l
	}
	re, ok := r.(*rubyRegexp)
	if !ok {
		return nil, ev.errorf(n, "unsupported Ruby: %s with %s (a Regexp is needed)", n.op, className(r))
	}
	var at any
	ev.last = nil
	if s, ok := l.(string); ok { // nil =~ /x/ is nil, as in Ruby
		if loc := re.re.FindStringIndex(s); loc != nil {
			at = int64(len([]rune(s[:loc[0]])))
			ev.last, _ = re.match(s).(*matchData)
		}
	} else if l != nil && l != symbol("undef") {
		return nil, ev.errorf(n, "unsupported Ruby: %s on %s", n.op, className(l))
	}
	if n.op == "!~" {
		return at == nil, nil
	}
	return at, nil
}

// shovel is <<: appending to an array or string (a local variable holds
// the result, since values are not shared) and shifting an integer.
func (ev *evaluator) shovel(n *binNode, l, r any, locals map[string]any) (any, error) {
	var out any
	switch x := l.(type) {
	case []any:
		out = append(x[:len(x):len(x)], r)
	case string:
		s, ok := r.(string)
		if !ok {
			return nil, ev.raise(n, "TypeError", "no implicit conversion of %s into String", className(r))
		}
		out = x + s
	case int64:
		k, ok := r.(int64)
		if !ok || k < 0 || k > 62 {
			return nil, ev.errorf(n, "unsupported Ruby: Integer << %s", inspect(r))
		}
		return x << k, nil
	default:
		return nil, ev.errorf(n, "undefined method '<<' for %s", className(l))
	}
	if v, ok := n.l.(*localNode); ok {
		locals[v.name] = out
	}
	return out, nil
}

// slice is x[a..b] on an array, a string or MatchData.
func (ev *evaluator) slice(rn *rangeNode, recv any, locals map[string]any) (any, error) {
	lo, err := ev.eval(rn.lo, locals)
	if err != nil {
		return nil, err
	}
	hi, err := ev.eval(rn.hi, locals)
	if err != nil {
		return nil, err
	}
	a, ok1 := lo.(int64)
	b, ok2 := hi.(int64)
	if !ok1 || !ok2 {
		return nil, ev.errorf(rn, "unsupported Ruby: range of %s..%s", className(lo), className(hi))
	}
	var elems []any
	switch r := recv.(type) {
	case []any:
		elems = r
	case *matchData:
		elems = r.groups
	case string:
		rs := []rune(r)
		i, j, ok := rangeBounds(a, b, len(rs))
		if !ok {
			return nil, nil
		}
		return string(rs[i:j]), nil
	default:
		return nil, ev.errorf(rn, "undefined method '[]' with a range for %s", className(recv))
	}
	i, j, ok := rangeBounds(a, b, len(elems))
	if !ok {
		return nil, nil
	}
	return append([]any{}, elems[i:j]...), nil
}

// rangeBounds turns an inclusive Ruby range (negative from the end) into
// slice bounds; ok is false where Ruby gives nil.
func rangeBounds(a, b int64, n int) (int, int, bool) {
	if a < 0 {
		a += int64(n)
	}
	if b < 0 {
		b += int64(n)
	}
	if a < 0 || a > int64(n) {
		return 0, 0, false
	}
	b = min(b+1, int64(n))
	if b < a {
		b = a
	}
	return int(a), int(b), true
}

// caseOf runs case/when with Ruby's ===.
func (ev *evaluator) caseOf(n *caseNode, locals map[string]any) (any, error) {
	subject, err := ev.eval(n.subject, locals)
	if err != nil {
		return nil, err
	}
	for i, vals := range n.whens {
		for _, vn := range vals {
			var hit bool
			if c, ok := vn.(*constNode); ok {
				v, err := ev.classMatch(c, subject)
				if err != nil {
					return nil, err
				}
				hit = v
			} else {
				v, err := ev.eval(vn, locals)
				if err != nil {
					return nil, err
				}
				if re, ok := v.(*rubyRegexp); ok {
					s, isStr := subject.(string)
					hit = isStr && re.re.MatchString(s)
				} else {
					hit = rubyEqual(v, subject)
				}
			}
			if hit {
				return ev.block(n.thens[i], locals)
			}
		}
	}
	return ev.block(n.els, locals)
}

// scopeFunction calls a Puppet function: scope.call_function('name',
// [args]) or scope.function_name([args]).
func (ev *evaluator) scopeFunction(n *callNode, args []any) (any, error) {
	if n.name == "setvar" {
		if len(args) != 2 || ev.env.SetVar == nil {
			return nil, ev.errorf(n, "unsupported Ruby: scope.setvar here (it takes a name and a value)")
		}
		name, ok := args[0].(string)
		if !ok {
			return nil, ev.errorf(n, "scope.setvar takes the variable's name as a String")
		}
		if err := ev.env.SetVar(name, args[1]); err != nil {
			return nil, ev.errorf(n, "scope.setvar: %v", err)
		}
		return args[1], nil
	}
	name, ok := strings.CutPrefix(n.name, "function_")
	if !ok {
		if n.name != "call_function" {
			return nil, ev.errorf(n, "unsupported Ruby: scope.%s (scope['name'], scope.lookupvar, scope.call_function and scope.function_NAME are)", n.name)
		}
		if len(args) == 0 {
			return nil, ev.errorf(n, "scope.call_function needs a function name")
		}
		if name, ok = args[0].(string); !ok {
			return nil, ev.errorf(n, "scope.call_function takes the function's name as a String, got %s", className(args[0]))
		}
		args = args[1:]
	}
	if len(args) > 1 {
		return nil, ev.errorf(n, "scope.%s takes its arguments as one Array", n.name)
	}
	var fargs []any
	if len(args) == 1 {
		a, ok := args[0].([]any)
		if !ok {
			return nil, ev.errorf(n, "scope.%s takes its arguments as one Array, got %s", n.name, className(args[0]))
		}
		fargs = a
	}
	if ev.env.Call == nil {
		return nil, ev.errorf(n, "unsupported Ruby: scope.%s (no Puppet functions here)", n.name)
	}
	v, err := ev.env.Call(name, fargs)
	if err != nil {
		return nil, ev.errorf(n, "%s: %v", name, err)
	}
	return v, nil
}

// callFunction is a call without a receiver: Kernel's conversions and
// the template's own methods (def).
func (ev *evaluator) callFunction(n *callNode, locals map[string]any) (any, error) {
	args, err := ev.evalAll(n.args, locals)
	if err != nil {
		return nil, err
	}
	if m, ok := ev.defs[n.name]; ok {
		if len(args) != len(m.params) {
			return nil, ev.raise(n, "ArgumentError", "wrong number of arguments calling '%s' (given %d, expected %d)", n.name, len(args), len(m.params))
		}
		ev.depth++
		defer func() { ev.depth-- }()
		if ev.depth > 100 {
			return nil, ev.errorf(n, "stack level too deep calling '%s'", n.name)
		}
		inner := make(map[string]any, len(args))
		for i, p := range m.params {
			inner[p] = args[i]
		}
		return ev.block(m.body, inner)
	}
	if len(args) != 1 {
		return nil, ev.errorf(n, "wrong number of arguments calling '%s' (given %d, expected 1)", n.name, len(args))
	}
	return ev.convert(n, args[0])
}

// convert is Kernel#Array, #String, #Integer and #Float.
func (ev *evaluator) convert(n *callNode, v any) (any, error) {
	switch n.name {
	case "Array":
		switch x := v.(type) {
		case nil:
			return []any{}, nil
		case []any:
			return x, nil
		case Hash:
			return pairs(x), nil
		}
		return []any{v}, nil
	case "String":
		return toS(v), nil
	case "Integer", "Float":
		switch x := v.(type) {
		case int64:
			if n.name == "Float" {
				return float64(x), nil
			}
			return x, nil
		case float64:
			if n.name == "Integer" {
				return int64(x), nil
			}
			return x, nil
		case string:
			s := strings.ReplaceAll(strings.TrimSpace(x), "_", "")
			if n.name == "Integer" {
				if i, err := strconv.ParseInt(s, 0, 64); err == nil {
					return i, nil
				}
			} else if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f, nil
			}
			return nil, ev.raise(n, "ArgumentError", "invalid value for %s(): %s", n.name, inspect(v))
		}
		return nil, ev.raise(n, "TypeError", "can't convert %s into %s", className(v), n.name)
	}
	return nil, ev.errorf(n, "unsupported Ruby: method '%s'", n.name)
}

// extraMethod adds the methods of regexps, MatchData and a few of
// String, Array and Hash that need the evaluator. ok is false when the
// method is not one of them.
func (ev *evaluator) extraMethod(n *callNode, recv any, args []any, locals map[string]any) (any, bool, error) {
	switch r := recv.(type) {
	case *rubyRegexp:
		if n.name == "match" && len(args) == 1 {
			if args[0] == nil {
				ev.last = nil
				return nil, true, nil
			}
			return ev.setLast(r.match(toS(args[0]))), true, nil
		}
		if n.name == "source" && len(args) == 0 {
			return r.source, true, nil
		}
	case *matchData:
		switch n.name {
		case "captures":
			return append([]any{}, r.groups[1:]...), true, nil
		case "to_a":
			return append([]any{}, r.groups...), true, nil
		}
	case string:
		if n.name == "match" && len(args) == 1 {
			re, ok := args[0].(*rubyRegexp)
			if !ok {
				s, isStr := args[0].(string)
				if !isStr {
					return nil, true, ev.raise(n, "TypeError", "wrong argument type %s (expected Regexp)", className(args[0]))
				}
				re = &rubyRegexp{regexp.MustCompile(regexp.QuoteMeta(s)), s}
			}
			return ev.setLast(re.match(r)), true, nil
		}
	case []any:
		switch n.name {
		case "compact!", "uniq!", "flatten!":
			return ev.bang(n, r, args, locals)
		case "zip":
			out := make([]any, len(r))
			for i, e := range r {
				row := []any{e}
				for _, o := range args {
					oa, ok := o.([]any)
					if !ok {
						return nil, true, ev.errorf(n, "wrong argument type %s (must respond to :each)", className(o))
					}
					var x any
					if i < len(oa) {
						x = oa[i]
					}
					row = append(row, x)
				}
				out[i] = row
			}
			return out, true, nil
		case "max", "min":
			if len(args) != 0 {
				return nil, false, nil
			}
			sorted, ok := sortValues(r)
			if !ok {
				return nil, true, ev.errorf(n, "comparison failed in %s", n.name)
			}
			if len(sorted) == 0 {
				return nil, true, nil
			}
			if n.name == "max" {
				return sorted[len(sorted)-1], true, nil
			}
			return sorted[0], true, nil
		}
	case Hash:
		if n.name == "delete" && len(args) == 1 {
			return ev.hashDelete(n, r, args[0], locals)
		}
	}
	return nil, false, nil
}

// bang is compact!, uniq! and flatten!: Ruby changes the array in place
// and returns nil when nothing changed. A local variable gets the new
// array; an array made by the expression itself (x.flatten.compact!) has
// nobody to see the change. Any other receiver is a Puppet value, which
// the template must not change, and is refused.
func (ev *evaluator) bang(n *callNode, a []any, args []any, locals map[string]any) (any, bool, error) {
	out, ok := ev.arrayMethod(strings.TrimSuffix(n.name, "!"), a, args)
	if !ok {
		return nil, false, nil
	}
	switch recv := n.recv.(type) {
	case *localNode:
		locals[recv.name] = out
	case *callNode, *arrayNode:
	default:
		return nil, true, ev.errorf(n, "unsupported Ruby: %s on a value that is not in a local variable (it would change a Puppet value)", n.name)
	}
	changed := len(out.([]any)) != len(a)
	if n.name == "flatten!" {
		changed = slices.ContainsFunc(a, func(e any) bool { _, nested := e.([]any); return nested })
	}
	if !changed {
		return nil, true, nil
	}
	return out, true, nil
}

// hashDelete is Hash#delete: the value removed (nil when absent). The
// hash itself is the compiler's and is not changed; a local variable
// that held it gets the hash without the key, which is what the rest of
// the template sees, as it would in Ruby.
func (ev *evaluator) hashDelete(n *callNode, h Hash, key any, locals map[string]any) (any, bool, error) {
	v, found := h.Get(key)
	if !found {
		return nil, true, nil
	}
	local, ok := n.recv.(*localNode)
	if !ok {
		return nil, true, ev.errorf(n, "unsupported Ruby: delete on a hash that is not in a local variable (it would change a Puppet value)")
	}
	var keys, vals []any
	for i, k := range h.Keys() {
		if !rubyEqual(k, key) {
			keys, vals = append(keys, k), append(vals, h.Values()[i])
		}
	}
	locals[local.name] = ev.env.NewHash(keys, vals)
	return v, true, nil
}

// classMatch is Class === value, for when clauses and is_a?.
func (ev *evaluator) classMatch(c *constNode, v any) (bool, error) {
	cls := className(v)
	switch c.name {
	case "Object", "BasicObject":
		return true, nil
	case "Numeric":
		return cls == "Integer" || cls == "Float", nil
	case "Enumerable":
		return cls == "Array" || cls == "Hash", nil
	case "String", "Integer", "Float", "Array", "Hash", "Symbol", "NilClass", "TrueClass", "FalseClass", "Regexp", "MatchData":
		return cls == c.name, nil
	case "Fixnum", "Bignum":
		return cls == "Integer", nil
	case "IPAddr":
		return cls == c.name, nil
	}
	if _, ok := exceptionParents[c.name]; ok {
		return isException(cls, c.name), nil
	}
	return false, ev.errorf(c, "unsupported Ruby: class %s", c.name)
}

// assign is name = x, @name = x and their ||= forms.
func (ev *evaluator) assign(n *assignNode, locals map[string]any) (any, error) {
	if n.or {
		var cur any
		if n.ivar {
			cur, _ = ev.eval(&ivarNode{n.line, n.name}, locals)
		} else {
			cur = locals[n.name]
		}
		if truthy(cur) {
			return cur, nil
		}
	}
	v, err := ev.eval(n.x, locals)
	if err != nil {
		return nil, err
	}
	if n.ivar {
		if ev.ivars == nil {
			ev.ivars = map[string]any{}
		}
		ev.ivars[n.name] = v
	} else {
		locals[n.name] = v
	}
	return v, nil
}

// defined is defined?(x).
func (ev *evaluator) defined(n *definedNode, locals map[string]any) any {
	switch x := n.x.(type) {
	case *ivarNode:
		if _, ok := ev.ivars[x.name]; ok {
			return "instance-variable"
		}
		if _, ok := ev.env.Var(x.name); ok {
			return "instance-variable"
		}
		return nil
	case *localNode:
		if _, ok := locals[x.name]; ok {
			return "local-variable"
		}
		return nil
	}
	return "expression"
}

// spaceship is <=>: -1, 0 or 1, arrays element by element; ok is false
// where Ruby gives nil.
func spaceship(a, b any) (int, bool) {
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	if !ok1 || !ok2 {
		if rubyEqual(a, b) {
			return 0, true
		}
		return rubyCompare(a, b)
	}
	for i := 0; i < len(x) && i < len(y); i++ {
		if c, ok := spaceship(x[i], y[i]); !ok || c != 0 {
			return c, ok
		}
	}
	return spaceship(int64(len(x)), int64(len(y)))
}

// settable is a hash that can be changed in place (the compiler's): Ruby
// changes the shared object, and templates rely on it (apache's vhost
// fragments pass values to each other through a hash in scope).
type settable interface {
	Set(k, v any)
}

// indexAssign is recv[key] = x and recv[key] ||= x: a hash changes in
// place, an array is copied and stored back in its variable.
func (ev *evaluator) indexAssign(n *indexAssignNode, locals map[string]any) (any, error) {
	recv, err := ev.eval(n.target.recv, locals)
	if err != nil {
		return nil, err
	}
	keys, err := ev.evalAll(n.target.args, locals)
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 {
		return nil, ev.errorf(n, "unsupported Ruby: []= with %d arguments", len(keys))
	}
	if n.or {
		cur, err := ev.index(n.target, locals)
		if err != nil || truthy(cur) {
			return cur, err
		}
	}
	v, err := ev.eval(n.x, locals)
	if err != nil {
		return nil, err
	}
	switch r := recv.(type) {
	case settable:
		r.Set(keys[0], v)
		return v, nil
	case []any:
		i, ok := keys[0].(int64)
		if !ok || i < -int64(len(r)) {
			return nil, ev.errorf(n, "unsupported Ruby: Array[%s]=", inspect(keys[0]))
		}
		if i < 0 {
			i += int64(len(r))
		}
		out := append([]any{}, r...)
		for int64(len(out)) <= i {
			out = append(out, nil)
		}
		out[i] = v
		switch t := n.target.recv.(type) {
		case *localNode:
			locals[t.name] = out
		case *ivarNode:
			if ev.ivars == nil {
				ev.ivars = map[string]any{}
			}
			ev.ivars[t.name] = out
		default:
			return nil, ev.errorf(n, "unsupported Ruby: []= on an array that is not in a variable")
		}
		return v, nil
	}
	return nil, ev.errorf(n, "undefined method '[]=' for %s", className(recv))
}
