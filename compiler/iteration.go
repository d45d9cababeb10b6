package compiler

// callLambda runs the call's lambda with args bound to its parameters, in
// a scope whose parent is the caller's, so the body sees the caller's
// variables and assigns its own.
func (cl *call) callLambda(args ...any) (any, error) {
	l := cl.expr.Lambda
	sc := newScope(cl.scope)
	for i, p := range l.Params {
		var v any
		switch {
		case p.Captures:
			rest := []any{}
			if i < len(args) {
				rest = append(rest, args[i:]...)
			}
			v = rest
		case i < len(args):
			v = args[i]
		case p.Default != nil:
			dv, err := cl.c.eval(p.Default, sc)
			if err != nil {
				return nil, err
			}
			v = dv
		default:
			return nil, errorf(l.Range(), "%s(): the lambda expects a value for parameter '$%s'", cl.name, p.Name)
		}
		sc.vars[p.Name] = variable{value: v, at: &p.NameRange}
	}
	v := cl.c.evalBlock(l.Body.Body, sc)
	if j := cl.c.takeJump(); j != nil {
		if j.kind == "next" {
			return j.value, nil
		}
		return nil, j // a break for the iteration, a return for its function
	}
	return v, nil
}

// lambdaArity is the number of parameters the call's lambda declares.
func (cl *call) lambdaArity() int { return len(cl.expr.Lambda.Params) }

// iterate calls f with the lambda arguments for each element of a
// collection: (value) or (index, value) for arrays, ([key, value]) or (key,
// value) for hashes, as each, map and filter pass them; f also gets the
// element's key (or index) and value.
func (cl *call) iterate(coll any, f func(key, val any, lambdaArgs []any) error) error {
	two := cl.lambdaArity() >= 2
	switch c := coll.(type) {
	case []any:
		for i, v := range c {
			args := []any{v}
			if two {
				args = []any{int64(i), v}
			}
			if err := f(int64(i), v, args); err != nil {
				return breakEnds(err)
			}
		}
	case *Hash:
		for i, k := range c.Keys() {
			v := c.Values()[i]
			args := []any{[]any{k, v}}
			if two {
				args = []any{k, v}
			}
			if err := f(k, v, args); err != nil {
				return breakEnds(err)
			}
		}
	case int64:
		for i := range c {
			args := []any{i}
			if two {
				args = []any{i, i}
			}
			if err := f(i, i, args); err != nil {
				return breakEnds(err)
			}
		}
	case string, TypeRef:
		if elems, ok := iterableElems(coll); ok {
			return cl.iterate(elems, f)
		}
		return cl.errorf("expects an Iterable value, got %s", typeName(coll))
	default:
		return cl.errorf("expects an Array, a Hash or an Integer, got %s", typeName(coll))
	}
	return nil
}

// iterableElems is what Puppet iterates for a string (its characters) and
// an Integer range type (Integer[1, 3] is 1, 2, 3).
func iterableElems(v any) ([]any, bool) {
	switch v := v.(type) {
	case string:
		out := make([]any, 0, len(v))
		for _, r := range v {
			out = append(out, string(r))
		}
		return out, true
	case TypeRef:
		if v.Name != "Integer" || len(v.Params) != 2 {
			return nil, false
		}
		lo, ok1 := v.Params[0].(int64)
		hi, ok2 := v.Params[1].(int64)
		if !ok1 || !ok2 || hi-lo > 1e7 {
			return nil, false
		}
		out := make([]any, 0, max(hi-lo+1, 0))
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
		return out, true
	}
	return nil, false
}

// breakEnds is nil for a break, which ends an iteration as if it had
// run to the end, and err otherwise.
func breakEnds(err error) error {
	if isBreak(err) {
		return nil
	}
	return err
}

// needLambda checks the shape of an iteration call: one collection and a
// lambda.
func (cl *call) needLambda(args []any, lo, hi int) error {
	if cl.expr.Lambda == nil {
		return cl.errorf("expects a lambda (a block |$x| { ... })")
	}
	return cl.arity(args, lo, hi)
}

func fnEach(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	err := cl.iterate(args[0], func(_, _ any, la []any) error {
		_, err := cl.callLambda(la...)
		return err
	})
	return args[0], err
}

func fnMap(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	out := []any{}
	err := cl.iterate(args[0], func(_, _ any, la []any) error {
		v, err := cl.callLambda(la...)
		out = append(out, v)
		return err
	})
	return out, err
}

func fnFilter(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	arr := []any{}
	h := NewHash()
	_, isHash := args[0].(*Hash)
	err := cl.iterate(args[0], func(k, v any, la []any) error {
		keep, err := cl.callLambda(la...)
		if err != nil || !truthy(keep) {
			return err
		}
		if isHash {
			h.Set(k, v)
		} else {
			arr = append(arr, v)
		}
		return nil
	})
	if isHash {
		return h, err
	}
	return arr, err
}

// fnReduce folds a collection: the memo starts at the optional second
// argument, else at the first element.
func fnReduce(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 2); err != nil {
		return nil, err
	}
	var memo any
	started := len(args) == 2
	if started {
		memo = args[1]
	}
	err := cl.iterate(args[0], func(k, v any, _ []any) error {
		elem := v
		if _, isHash := args[0].(*Hash); isHash {
			elem = []any{k, v}
		}
		if !started {
			memo, started = elem, true
			return nil
		}
		r, err := cl.callLambda(memo, elem)
		if err == nil { // a break keeps the memo so far
			memo = r
		}
		return err
	})
	return memo, err
}

// lambdaFunctions are the functions that take a lambda.
var lambdaFunctions = map[string]bool{"each": true, "map": true, "filter": true, "reduce": true, "with": true}

func init() {
	functions["each"] = fnEach
	functions["map"] = fnMap
	functions["filter"] = fnFilter
	functions["reduce"] = fnReduce
}
