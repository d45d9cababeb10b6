package compiler

import (
	"cmp"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Puppet 7's core functions that manifests call beside the ones of
// corefuncs.go: predicates and searches with lambdas (any, all, index,
// group_by, partition), slicing (slice, step, reverse_each), numbers (min,
// max, abs, floor, ceiling, round, compare), strings (camelcase, chomp,
// chop, shellquote), digests (md5, sha1, sha256) and the remaining log
// levels. Results and argument checks follow Puppet's; where Puppet
// returns an Iterator (step, reverse_each without a lambda), gapply
// returns the array the iterator would produce, which is what every use of
// it (map, each, Array(...)) sees.

func init() {
	for name, fn := range map[string]function{
		"any":          fnAny,
		"all":          fnAll,
		"index":        fnIndex,
		"group_by":     fnGroupBy,
		"partition":    fnPartition,
		"slice":        fnSlice,
		"step":         fnStep,
		"reverse_each": fnReverseEach,
		"min":          extremum(-1),
		"max":          extremum(1),
		"compare":      fnCompare,
		"abs":          fnAbs,
		"floor":        rounder(math.Floor),
		"ceiling":      rounder(math.Ceil),
		"round":        rounder(math.Round),
		"camelcase":    stringMapper(camelcase),
		"chomp":        stringMapper(chomp),
		"chop":         stringMapper(chop),
		"shellquote":   fnShellquote,
		"md5":          digest(md5.New),
		"sha1":         digest(sha1.New),
		"sha256":       digest(sha256.New),
		"alert":        logFunc("err"),
		"crit":         logFunc("err"),
		"emerg":        logFunc("err"),
	} {
		functions[name] = fn
	}
	for _, name := range []string{"any", "all", "index", "group_by", "partition", "slice", "step", "reverse_each", "min", "max"} {
		lambdaFunctions[name] = true
	}
}

// elements is the collection an iteration function walks: arrays and
// hashes as they are, strings and Integer ranges as iterate sees them.
func elements(cl *call, v any) (any, error) {
	switch v.(type) {
	case []any, *Hash, int64:
		return v, nil
	}
	if elems, ok := iterableElems(v); ok {
		return elems, nil
	}
	return nil, cl.errorf("expects an Iterable value, got %s", typeName(v))
}

// pairOrValue is an element as a function that returns elements gives
// it: a hash's entry as [key, value], anything else as itself.
func pairOrValue(coll, key, val any) any {
	if _, ok := coll.(*Hash); ok {
		return []any{key, val}
	}
	return val
}

// findFirst calls the lambda for each element until it returns a truthy
// value, and reports the key and value of that element.
func findFirst(cl *call, coll any) (key, val any, found bool, err error) {
	err = cl.iterate(coll, func(k, v any, la []any) error {
		if found {
			return nil
		}
		r, err := cl.callLambda(la...)
		if err == nil && truthy(r) {
			key, val, found = k, v, true
		}
		return err
	})
	return key, val, found, err
}

func fnAny(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	_, _, found, err := findFirst(cl, args[0])
	return found, err
}

// fnAll is any's dual: whether no element makes the lambda falsy.
func fnAll(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	all := true
	err := cl.iterate(args[0], func(_, _ any, la []any) error {
		if !all {
			return nil
		}
		r, err := cl.callLambda(la...)
		all = err == nil && truthy(r)
		return err
	})
	return all, err
}

// fnIndex finds the index (or key) of the first element equal to the
// second argument, or for which the lambda is true; in a string, the
// character offset of a substring. Not found is undef.
func fnIndex(cl *call, args []any) (any, error) {
	if cl.expr.Lambda != nil {
		if err := cl.arity(args, 1, 1); err != nil {
			return nil, err
		}
		// Unlike the other iterations, a one-parameter lambda gets a
		// hash's values, not its entries.
		var key any
		found := false
		var err error
		iterErr := cl.iterateValues(args[0], func(k, v any) {
			if found || err != nil {
				return
			}
			la := []any{v}
			if cl.lambdaArity() >= 2 {
				la = []any{k, v}
			}
			var r any
			r, err = cl.callLambda(la...)
			if err == nil && truthy(r) {
				key, found = k, true
			}
		})
		return key, cmp.Or(iterErr, err)
	}
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	if s, ok := args[0].(string); ok {
		i := strings.Index(s, ToString(args[1]))
		if i < 0 {
			return nil, nil
		}
		return int64(utf8.RuneCountInString(s[:i])), nil
	}
	var key any
	found := false
	err := cl.iterateValues(args[0], func(k, v any) {
		if !found && equal(v, args[1]) {
			key, found = k, true
		}
	})
	return key, err
}

// iterateValues is iterate without a lambda: f gets each key (or index)
// and value.
func (cl *call) iterateValues(coll any, f func(k, v any)) error {
	switch c := coll.(type) {
	case []any:
		for i, v := range c {
			f(int64(i), v)
		}
	case *Hash:
		for i, k := range c.Keys() {
			f(k, c.Values()[i])
		}
	default:
		elems, err := elements(cl, coll)
		if err != nil {
			return err
		}
		if n, ok := elems.(int64); ok {
			for i := range n {
				f(i, i)
			}
			return nil
		}
		return cl.iterateValues(elems, f)
	}
	return nil
}

// fnGroupBy maps each lambda result to the elements that gave it.
func fnGroupBy(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	out := NewHash()
	err := cl.iterate(args[0], func(k, v any, la []any) error {
		r, err := cl.callLambda(la...)
		if err != nil {
			return err
		}
		group, _ := out.Get(r)
		list, _ := group.([]any)
		out.Set(r, append(list, pairOrValue(args[0], k, v)))
		return nil
	})
	return out, err
}

// fnPartition splits a collection into the elements the lambda accepts
// and the others.
func fnPartition(cl *call, args []any) (any, error) {
	if err := cl.needLambda(args, 1, 1); err != nil {
		return nil, err
	}
	yes, no := []any{}, []any{}
	err := cl.iterate(args[0], func(k, v any, la []any) error {
		r, err := cl.callLambda(la...)
		if truthy(r) {
			yes = append(yes, pairOrValue(args[0], k, v))
		} else {
			no = append(no, pairOrValue(args[0], k, v))
		}
		return err
	})
	return []any{yes, no}, err
}

// listOf is a collection as the list of its elements (a hash's as [key,
// value] pairs).
func listOf(cl *call, coll any) ([]any, error) {
	var out []any
	err := cl.iterateValues(coll, func(k, v any) { out = append(out, pairOrValue(coll, k, v)) })
	return out, err
}

// sizedList reads the arguments of slice and step: a collection, as the
// list of its elements, and a positive Integer (the parameter name).
func sizedList(cl *call, args []any, name string) ([]any, int, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, 0, err
	}
	n, ok := args[1].(int64)
	if !ok || n < 1 {
		return nil, 0, cl.paramError(name, "an Integer[1]", args[1])
	}
	list, err := listOf(cl, args[0])
	return list, int(n), err
}

// fnSlice cuts a collection into chunks of n; with a lambda it calls it
// per chunk (spread over its parameters when it has more than one) and
// returns the collection.
func fnSlice(cl *call, args []any) (any, error) {
	list, n, err := sizedList(cl, args, "slice_size")
	if err != nil {
		return nil, err
	}
	chunks := []any{}
	for c := range slices.Chunk(list, n) {
		chunks = append(chunks, slices.Clone(c))
	}
	if cl.expr.Lambda == nil {
		return chunks, nil
	}
	for _, c := range chunks {
		la := []any{c}
		if n := cl.lambdaArity(); n > 1 {
			// Spread over the parameters; those past a short last
			// chunk are undef.
			la = make([]any, n)
			copy(la, c.([]any))
		}
		if _, err := cl.callLambda(la...); err != nil {
			return nil, err
		}
	}
	return args[0], nil
}

// eachOf calls the lambda with each of values (and its position when the
// lambda takes two parameters), or returns them when there is no lambda.
func eachOf(cl *call, values []any, result any) (any, error) {
	if cl.expr.Lambda == nil {
		return values, nil
	}
	for i, v := range values {
		la := []any{v}
		if cl.lambdaArity() >= 2 {
			la = []any{int64(i), v}
		}
		if _, err := cl.callLambda(la...); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// fnStep takes every n-th element, starting with the first.
func fnStep(cl *call, args []any) (any, error) {
	list, n, err := sizedList(cl, args, "step")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for i := 0; i < len(list); i += n {
		out = append(out, list[i])
	}
	return eachOf(cl, out, args[0])
}

func fnReverseEach(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	list, err := listOf(cl, args[0])
	if err != nil {
		return nil, err
	}
	slices.Reverse(list)
	if list == nil {
		list = []any{}
	}
	return eachOf(cl, list, nil)
}

// order compares two values as min, max and compare do: numbers (and
// numeric strings against numbers) numerically, strings as strings
// (case-insensitively when fold is set).
func order(a, b any, fold bool) (int, bool) {
	as, aStr := a.(string)
	bs, bStr := b.(string)
	if aStr && bStr {
		if fold {
			as, bs = strings.ToLower(as), strings.ToLower(bs)
		}
		return strings.Compare(as, bs), true
	}
	af, aNum := asFloat(toNumber(a))
	bf, bNum := asFloat(toNumber(b))
	if aNum && bNum {
		return cmp.Compare(af, bf), true
	}
	return 0, false
}

// extremum is min (sign -1) or max (sign 1) of the arguments, or of the
// one array argument; a lambda compares, as sort's does.
func extremum(sign int) function {
	return func(cl *call, args []any) (any, error) {
		if len(args) == 1 {
			if arr, ok := args[0].([]any); ok {
				args = arr
			}
		}
		if len(args) == 0 {
			return nil, nil
		}
		best := args[0]
		for _, v := range args[1:] {
			var c int
			if cl.expr.Lambda != nil {
				r, err := cl.callLambda(v, best)
				if err != nil {
					return nil, err
				}
				n, ok := r.(int64)
				if !ok {
					return nil, cl.errorf("the lambda must return an Integer, got %s", typeName(r))
				}
				c = int(n)
			} else {
				var ok bool
				if c, ok = order(v, best, false); !ok {
					return nil, cl.errorf("cannot compare %s with %s", typeName(v), typeName(best))
				}
			}
			if c*sign > 0 {
				best = v
			}
		}
		return best, nil
	}
}

// fnCompare is -1, 0 or 1; strings compare ignoring case unless the
// third argument is false.
func fnCompare(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	fold := true
	if len(args) == 3 {
		b, ok := args[2].(bool)
		if !ok {
			return nil, cl.paramError("ignore_case", "a Boolean", args[2])
		}
		fold = b
	}
	c, ok := order(args[0], args[1], fold)
	if !ok {
		return nil, cl.errorf("Can only compare values of the same type (or for Timestamp/Timespan also against Numeric). Got %s and %s", typeName(args[0]), typeName(args[1]))
	}
	return int64(c), nil
}

// numberArg reads the one Numeric argument.
func numberArg(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch args[0].(type) {
	case int64, float64:
		return args[0], nil
	}
	return nil, cl.paramError("val", "a Numeric", args[0])
}

func fnAbs(cl *call, args []any) (any, error) {
	v, err := numberArg(cl, args)
	switch n := v.(type) {
	case int64:
		return max(n, -n), err
	case float64:
		return math.Abs(n), err
	}
	return nil, err
}

// rounder is floor, ceiling or round: an Integer from a Float (halves
// round away from zero, as in Ruby), an Integer unchanged.
func rounder(f func(float64) float64) function {
	return func(cl *call, args []any) (any, error) {
		v, err := numberArg(cl, args)
		if n, ok := v.(float64); ok {
			return int64(f(n)), nil
		}
		return v, err
	}
}

// camelcase capitalises each underscore-separated word and joins them.
func camelcase(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		r, n := utf8.DecodeRuneInString(w)
		if n == 0 {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(strings.ToLower(w[n:]))
	}
	return b.String()
}

// chomp removes one line ending: \r\n, \n or \r.
func chomp(s string) string {
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t
	}
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// chop removes the last character, or a final \r\n.
func chop(s string) string {
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		return t
	}
	_, n := utf8.DecodeLastRuneInString(s)
	return s[:len(s)-n]
}

// fnShellquote quotes each argument (arrays are flattened) for a Bourne
// shell and joins them with spaces: safe words as they are, others in
// double quotes, or single quotes when they hold what double quotes would
// expand, or double quotes with those characters escaped when they also
// hold a single quote.
func fnShellquote(cl *call, args []any) (any, error) {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-"
	const dangerous = "!\"`$\\"
	var words []string
	for _, a := range flatten(args) {
		w := ToString(a)
		switch {
		case w != "" && strings.Trim(w, safe) == "":
			words = append(words, w)
		case !strings.ContainsAny(w, dangerous):
			words = append(words, `"`+w+`"`)
		case !strings.Contains(w, "'"):
			words = append(words, "'"+w+"'")
		default:
			var b strings.Builder
			b.WriteByte('"')
			for _, r := range w {
				if strings.ContainsRune(dangerous, r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			b.WriteByte('"')
			words = append(words, b.String())
		}
	}
	return strings.Join(words, " "), nil
}

// digest is the hex digest of a string.
func digest(h func() hash.Hash) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 1); err != nil {
			return nil, err
		}
		d := h()
		d.Write([]byte(ToString(args[0])))
		return hex.EncodeToString(d.Sum(nil)), nil
	}
}
