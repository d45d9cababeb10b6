package erb

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// call evaluates a method call: scope.lookupvar, the methods of the
// subset on strings, numbers, arrays and hashes, and the iterators with
// blocks. Any other method is an error naming it.
func (ev *evaluator) call(n *callNode, locals map[string]any) (any, error) {
	if _, isScope := n.recv.(*scopeNode); isScope {
		args, err := ev.evalAll(n.args, locals)
		if err != nil {
			return nil, err
		}
		if n.name == "lookupvar" {
			return ev.lookup(n, args)
		}
		return ev.scopeFunction(n, args)
	}
	if n.recv == nil {
		return ev.callFunction(n, locals)
	}
	if n.name == "is_a?" || n.name == "kind_of?" || n.name == "instance_of?" {
		return ev.isA(n, locals)
	}
	if c, ok := n.recv.(*constNode); ok && c.name == "IPAddr" && n.name == "new" && n.block == nil {
		args, err := ev.evalAll(n.args, locals)
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			return nil, ev.errorf(n, "unsupported Ruby: IPAddr.new with %d arguments (one address String is)", len(args))
		}
		return ev.newIPAddr(n, args[0])
	}
	recv, err := ev.eval(n.recv, locals)
	if err != nil {
		return nil, err
	}
	args, err := ev.evalAll(n.args, locals)
	if err != nil {
		return nil, err
	}
	if n.block != nil {
		return ev.iterate(n, recv, args, locals)
	}
	if v, ok, err := ev.common(n, recv, args); ok || err != nil {
		return v, err
	}
	if v, ok, err := ev.extraMethod(n, recv, args, locals); ok || err != nil {
		return v, err
	}
	var v any
	var ok bool
	switch r := recv.(type) {
	case string:
		v, ok = stringMethod(n.name, r, args)
	case []any:
		v, ok = ev.arrayMethod(n.name, r, args)
	case Hash:
		v, ok = ev.hashMethod(n.name, r, args)
	case int64, float64:
		v, ok = numberMethod(n.name, r)
	case *ipAddr:
		v, ok = ipMethod(n.name, r, args)
	case *exception:
		v, ok = r.msg, n.name == "message" && len(args) == 0
	}
	if !ok {
		return nil, ev.errorf(n, "unsupported Ruby: method '%s' for %s (%d argument(s))", n.name, className(recv), len(args))
	}
	return v, nil
}

// common are the methods of every value.
func (ev *evaluator) common(n *callNode, recv any, args []any) (any, bool, error) {
	switch n.name {
	case "nil?":
		return recv == nil, true, nil
	case "to_s":
		return toS(recv), true, nil
	case "inspect":
		return inspect(recv), true, nil
	case "empty?":
		switch r := recv.(type) {
		case string:
			return r == "", true, nil
		case []any:
			return len(r) == 0, true, nil
		case Hash:
			return len(r.Keys()) == 0, true, nil
		}
		if recv == nil || className(recv) == "TrueClass" || className(recv) == "FalseClass" {
			return nil, false, ev.raise(n, "NoMethodError", "undefined method 'empty?' for %s", className(recv))
		}
		return nil, false, ev.errorf(n, "unsupported Ruby: method 'empty?' for %s", className(recv))
	case "size", "length", "count":
		if len(args) > 0 {
			return nil, false, nil
		}
		switch r := recv.(type) {
		case string:
			return int64(len([]rune(r))), true, nil
		case []any:
			return int64(len(r)), true, nil
		case Hash:
			return int64(len(r.Keys())), true, nil
		}
	case "to_i":
		switch r := recv.(type) {
		case string:
			return leadingInt(r), true, nil
		case int64:
			return r, true, nil
		case float64:
			return int64(r), true, nil
		case nil:
			return int64(0), true, nil
		}
	case "==", "eql?":
		if len(args) == 1 {
			return rubyEqual(recv, args[0]), true, nil
		}
	}
	return nil, false, nil
}

// leadingInt is String#to_i: the leading integer, 0 without one.
func leadingInt(s string) int64 {
	s = strings.TrimLeft(s, " \t\n")
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || (end == 0 && (s[0] == '-' || s[0] == '+')) || (s[end] == '_' && end > 0)) {
		end++
	}
	n, _ := strconv.ParseInt(strings.ReplaceAll(s[:end], "_", ""), 10, 64)
	return n
}

func (ev *evaluator) isA(n *callNode, locals map[string]any) (any, error) {
	if len(n.args) != 1 {
		return nil, ev.errorf(n, "is_a? takes one class")
	}
	c, ok := n.args[0].(*constNode)
	if !ok {
		return nil, ev.errorf(n, "is_a? takes a class name such as String or Array")
	}
	recv, err := ev.eval(n.recv, locals)
	if err != nil {
		return nil, err
	}
	return ev.classMatch(c, recv)
}

func stringMethod(name, s string, args []any) (any, bool) {
	switch name {
	case "chars":
		out := make([]any, 0, len(s))
		for _, r := range s {
			out = append(out, string(r))
		}
		return out, len(args) == 0
	case "upcase":
		return strings.ToUpper(s), len(args) == 0
	case "downcase":
		return strings.ToLower(s), len(args) == 0
	case "capitalize":
		r := []rune(strings.ToLower(s))
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		return string(r), len(args) == 0
	case "strip":
		return strings.TrimSpace(s), len(args) == 0
	case "lstrip":
		return strings.TrimLeft(s, " \t\n\r\f\v\x00"), len(args) == 0
	case "rstrip":
		return strings.TrimRight(s, " \t\n\r\f\v\x00"), len(args) == 0
	case "chomp":
		return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r"), len(args) == 0
	case "include?", "start_with?", "end_with?":
		if len(args) != 1 {
			return nil, false
		}
		sub, ok := args[0].(string)
		if !ok {
			return nil, false
		}
		return map[string]func(string, string) bool{"include?": strings.Contains,
			"start_with?": strings.HasPrefix, "end_with?": strings.HasSuffix}[name](s, sub), true
	case "split":
		sep := " "
		if len(args) == 1 {
			sep, _ = args[0].(string)
		}
		var parts []string
		if sep == " " {
			parts = strings.Fields(s)
		} else {
			parts = rubySplit(s, sep)
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, len(args) <= 1
	case "to_sym":
		return symbol(s), len(args) == 0
	}
	return nil, false
}

func numberMethod(name string, v any) (any, bool) {
	switch name {
	case "to_f":
		f, _ := toFloat(v)
		return f, true
	case "abs":
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return -x, true
			}
			return x, true
		case float64:
			if x < 0 {
				return -x, true
			}
			return x, true
		}
	}
	return nil, false
}

func (ev *evaluator) arrayMethod(name string, a []any, args []any) (any, bool) {
	switch name {
	case "join":
		sep := ""
		if len(args) == 1 {
			sep = toS(args[0])
		}
		parts := make([]string, 0, len(a))
		for _, e := range flattenValues(a) {
			parts = append(parts, toS(e))
		}
		return strings.Join(parts, sep), len(args) <= 1
	case "sort":
		out, ok := sortValues(a)
		return out, ok && len(args) == 0
	case "first", "last":
		if len(args) != 0 || len(a) == 0 {
			return nil, len(args) == 0
		}
		if name == "first" {
			return a[0], true
		}
		return a[len(a)-1], true
	case "flatten":
		return flattenValues(a), len(args) == 0
	case "uniq":
		var out []any
		for _, e := range a {
			dup := false
			for _, o := range out {
				if rubyEqual(o, e) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, e)
			}
		}
		if out == nil {
			out = []any{}
		}
		return out, len(args) == 0
	case "compact":
		out := []any{}
		for _, e := range a {
			if e != nil {
				out = append(out, e)
			}
		}
		return out, len(args) == 0
	case "reverse":
		out := make([]any, len(a))
		for i, e := range a {
			out[len(a)-1-i] = e
		}
		return out, len(args) == 0
	case "include?":
		if len(args) != 1 {
			return nil, false
		}
		for _, e := range a {
			if rubyEqual(e, args[0]) {
				return true, true
			}
		}
		return false, true
	case "to_a":
		return a, len(args) == 0
	}
	return nil, false
}

func flattenValues(a []any) []any {
	out := []any{}
	for _, e := range a {
		if sub, ok := e.([]any); ok {
			out = append(out, flattenValues(sub)...)
		} else {
			out = append(out, e)
		}
	}
	return out
}

// pairs is a hash as Ruby's to_a: [[k, v], ...].
func pairs(h Hash) []any {
	out := make([]any, len(h.Keys()))
	for i, k := range h.Keys() {
		out[i] = []any{k, h.Values()[i]}
	}
	return out
}

func (ev *evaluator) hashMethod(name string, h Hash, args []any) (any, bool) {
	switch name {
	case "keys":
		return append([]any{}, h.Keys()...), len(args) == 0
	case "values":
		return append([]any{}, h.Values()...), len(args) == 0
	case "include?", "has_key?", "key?", "member?":
		if len(args) != 1 {
			return nil, false
		}
		_, ok := h.Get(args[0])
		return ok, true
	case "fetch":
		if len(args) != 2 {
			return nil, false
		}
		if v, ok := h.Get(args[0]); ok {
			return v, true
		}
		return args[1], true
	case "sort", "to_a":
		if name == "to_a" {
			return pairs(h), len(args) == 0
		}
		out, ok := sortValues(pairs(h))
		return out, ok && len(args) == 0
	case "first":
		if len(h.Keys()) == 0 {
			return nil, len(args) == 0
		}
		return []any{h.Keys()[0], h.Values()[0]}, len(args) == 0
	}
	return nil, false
}

// iterate runs the iterators with a block: each, each_with_index,
// each_pair, map/collect, select/filter, reject, sort_by, any?, all?.
func (ev *evaluator) iterate(n *callNode, recv any, args []any, locals map[string]any) (any, error) {
	if len(args) != 0 && !(len(args) == 1 && (n.name == "inject" || n.name == "reduce")) {
		return nil, ev.errorf(n, "unsupported Ruby: %s with arguments and a block", n.name)
	}
	var elems []any
	h, isHash := recv.(Hash)
	switch r := recv.(type) {
	case []any:
		elems = r
	case Hash:
		elems = pairs(r)
	default:
		return nil, ev.errorf(n, "unsupported Ruby: %s on %s", n.name, className(recv))
	}
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > 100 {
		return nil, ev.errorf(n, "blocks nested too deeply")
	}
	yield := func(vals ...any) (any, error) {
		inner := make(map[string]any, len(locals)+len(n.block.params))
		for k, v := range locals {
			inner[k] = v
		}
		if len(vals) == 1 && len(n.block.params) > 1 {
			if arr, ok := vals[0].([]any); ok {
				vals = arr
			}
		}
		for i, p := range n.block.params {
			if i < len(vals) {
				inner[p] = vals[i]
			} else {
				inner[p] = nil
			}
		}
		v, err := ev.block(n.block.body, inner)
		var next *nextSignal
		if errors.As(err, &next) {
			v, err = next.value, nil
		}
		for k := range locals {
			locals[k] = inner[k] // assignments to outer locals persist
		}
		return v, err
	}
	switch n.name {
	case "each", "each_pair":
		if n.name == "each_pair" && !isHash {
			break
		}
		for _, e := range elems {
			if _, err := yield(e); err != nil {
				return nil, err
			}
		}
		return recv, nil
	case "each_with_index":
		for i, e := range elems {
			if _, err := yield(e, int64(i)); err != nil {
				return nil, err
			}
		}
		return recv, nil
	case "map", "collect", "flat_map":
		out := []any{}
		for _, e := range elems {
			v, err := yield(e)
			if err != nil {
				return nil, err
			}
			if sub, ok := v.([]any); ok && n.name == "flat_map" {
				out = append(out, sub...)
			} else {
				out = append(out, v)
			}
		}
		return out, nil
	case "select", "filter", "reject":
		var keys, vals []any
		out := []any{}
		for i, e := range elems {
			v, err := yield(e)
			if err != nil {
				return nil, err
			}
			if truthy(v) == (n.name != "reject") {
				out = append(out, e)
				if isHash {
					keys, vals = append(keys, h.Keys()[i]), append(vals, h.Values()[i])
				}
			}
		}
		if isHash {
			return ev.env.NewHash(keys, vals), nil
		}
		return out, nil
	case "any?", "all?":
		for _, e := range elems {
			v, err := yield(e)
			if err != nil {
				return nil, err
			}
			if truthy(v) == (n.name == "any?") {
				return n.name == "any?", nil
			}
		}
		return n.name == "all?", nil
	case "sort_by":
		return ev.sortBy(n, elems, yield)
	case "sort":
		out := append([]any{}, elems...)
		var failed error
		sort.SliceStable(out, func(i, j int) bool {
			v, err := yield(out[i], out[j])
			c, ok := v.(int64)
			if err == nil && !ok {
				err = ev.raise(n, "ArgumentError", "comparison of %s with %s failed", className(out[i]), className(out[j]))
			}
			if failed == nil {
				failed = err
			}
			return c < 0
		})
		return out, failed
	case "inject", "reduce":
		var acc any
		rest := elems
		switch {
		case len(args) == 1:
			acc = args[0]
		case len(elems) > 0:
			acc, rest = elems[0], elems[1:]
		}
		for _, e := range rest {
			v, err := yield(acc, e)
			if err != nil {
				return nil, err
			}
			acc = v
		}
		return acc, nil
	}
	return nil, ev.errorf(n, "unsupported Ruby: method '%s' with a block for %s", n.name, className(recv))
}

// sortBy is sort_by: the elements in the order of their keys, compared
// with <=> (arrays element by element); keys <=> cannot order raise
// ArgumentError as in Ruby. Ruby's sort is not stable, this one is: the
// two agree whenever the keys differ.
func (ev *evaluator) sortBy(n *callNode, elems []any, yield func(...any) (any, error)) (any, error) {
	keys := make([]any, len(elems))
	order := make([]int, len(elems))
	for i, e := range elems {
		k, err := yield(e)
		if err != nil {
			return nil, err
		}
		keys[i], order[i] = k, i
	}
	var failed error
	sort.SliceStable(order, func(i, j int) bool {
		a, b := keys[order[i]], keys[order[j]]
		c, ok := spaceship(a, b)
		if !ok && failed == nil {
			failed = ev.raise(n, "ArgumentError", "comparison of %s with %s failed", className(a), className(b))
		}
		return c < 0
	})
	if failed != nil {
		return nil, failed
	}
	out := make([]any, len(order))
	for i, k := range order {
		out[i] = elems[k]
	}
	return out, nil
}
