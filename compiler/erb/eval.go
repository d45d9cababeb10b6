package erb

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Hash is the compiler's insertion-ordered hash, as the template sees it.
type Hash interface {
	Keys() []any
	Values() []any
	Get(k any) (any, bool)
}

// Env connects a template to the compiler. Values are the compiler's:
// nil, string, int64, float64, bool, []any and Hash (plus symbols the
// template writes itself).
type Env struct {
	// Var returns the Puppet variable @name sees.
	Var func(name string) (any, bool)
	// Lookup returns the variable scope['name'] and
	// scope.lookupvar('name') see ('x', '::x', 'mod::x').
	Lookup func(name string) (any, bool)
	// NewHash builds a hash of the compiler's kind.
	NewHash func(keys, vals []any) any
	// Call calls a Puppet function for scope.call_function('name', [args])
	// and scope.function_name([args]); nil refuses them.
	Call func(name string, args []any) (any, error)
	// SetVar is scope.setvar('name', value): it sets a variable of the
	// calling scope, which templates rendered later from it see; nil
	// refuses it.
	SetVar func(name string, v any) error
	// Regexp compiles a Ruby regexp (source, options imx) as Puppet's
	// regexps are compiled, so that both mean the same; nil uses Go's
	// syntax unchanged.
	Regexp func(source, options string) (*regexp.Regexp, error)
}

// symbol is a Ruby symbol (:name).
type symbol string

// Template is a parsed ERB template.
type Template struct {
	name string
	body []node
	defs map[string]*method
}

// Parse parses an ERB template; name is used in errors.
func Parse(name, src string) (*Template, error) {
	toks, err := lexTemplate(name, src)
	if err != nil {
		return nil, err
	}
	p := &parser{name: name, toks: toks, locals: map[string]bool{}}
	body, err := p.statements()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s", describe(t))
	}
	return &Template{name: name, body: body, defs: p.defs}, nil
}

// Execute renders the template.
func (t *Template) Execute(env *Env) (string, error) {
	ev := &evaluator{name: t.name, env: env, defs: t.defs}
	_, err := ev.block(t.body, map[string]any{})
	var next *nextSignal
	if errors.As(err, &next) {
		err = ev.errorf(next.at, "'next' outside a block")
	}
	return ev.out.String(), err
}

type evaluator struct {
	name  string
	env   *Env
	out   strings.Builder
	depth int
	defs  map[string]*method
	res   map[string]*regexp.Regexp
	// ivars are the instance variables the template assigns itself.
	ivars map[string]any
	// last is the last match ($~), nil when the last match failed.
	last *matchData
}

func (ev *evaluator) errorf(n node, format string, args ...any) error {
	return &Error{ev.name, n.at(), fmt.Sprintf(format, args...), ""}
}

// block runs statements and returns the value of the last one.
func (ev *evaluator) block(body []node, locals map[string]any) (any, error) {
	var last any
	for _, n := range body {
		v, err := ev.stmt(n, locals)
		if err != nil {
			return nil, err
		}
		last = v
	}
	return last, nil
}

func (ev *evaluator) stmt(n node, locals map[string]any) (any, error) {
	switch n := n.(type) {
	case *textNode:
		ev.out.WriteString(n.s)
		return nil, nil
	case *outNode:
		v, err := ev.eval(n.x, locals)
		if err != nil {
			return nil, err
		}
		ev.out.WriteString(toS(v))
		return nil, nil
	case *ifNode:
		for i, c := range n.conds {
			v, err := ev.eval(c, locals)
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				return ev.block(n.thens[i], locals)
			}
		}
		return ev.block(n.els, locals)
	case *assignNode:
		return ev.assign(n, locals)
	case *indexAssignNode:
		return ev.indexAssign(n, locals)
	}
	return ev.eval(n, locals)
}

func truthy(v any) bool { return v != nil && v != false }

func (ev *evaluator) eval(n node, locals map[string]any) (any, error) {
	switch n := n.(type) {
	case *litNode:
		return n.v, nil
	case *ivarNode:
		if v, ok := ev.ivars[n.name]; ok {
			return v, nil
		}
		v, _ := ev.env.Var(n.name)
		return v, nil
	case *definedNode:
		return ev.defined(n, locals), nil
	case *globalNode:
		if ev.last == nil {
			return nil, nil
		}
		if n.name == "~" {
			return ev.last, nil
		}
		i := int(n.name[0] - '0')
		if i >= len(ev.last.groups) {
			return nil, nil
		}
		return ev.last.groups[i], nil
	case *localNode:
		return locals[n.name], nil
	case *constNode:
		return nil, ev.errorf(n, "unsupported Ruby: constant %s outside is_a?", n.name)
	case *scopeNode:
		return nil, ev.errorf(n, "unsupported Ruby: 'scope' alone (use scope['name'] or scope.lookupvar('name'))")
	case *interpNode:
		var b strings.Builder
		for _, part := range n.parts {
			v, err := ev.eval(part, locals)
			if err != nil {
				return nil, err
			}
			b.WriteString(toS(v))
		}
		return b.String(), nil
	case *arrayNode:
		out := make([]any, len(n.elems))
		for i, e := range n.elems {
			v, err := ev.eval(e, locals)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *hashNode:
		keys, err := ev.evalAll(n.keys, locals)
		if err != nil {
			return nil, err
		}
		vals, err := ev.evalAll(n.vals, locals)
		if err != nil {
			return nil, err
		}
		return ev.env.NewHash(keys, vals), nil
	case *condNode:
		c, err := ev.eval(n.cond, locals)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return ev.eval(n.yes, locals)
		}
		return ev.eval(n.no, locals)
	case *notNode:
		v, err := ev.eval(n.x, locals)
		return !truthy(v), err
	case *negNode:
		v, err := ev.eval(n.x, locals)
		switch x := v.(type) {
		case int64:
			return -x, err
		case float64:
			return -x, err
		}
		return nil, ev.raise(n, "NoMethodError", "undefined method '-@' for %s", className(v))
	case *binNode:
		return ev.binary(n, locals)
	case *indexNode:
		return ev.index(n, locals)
	case *callNode:
		return ev.call(n, locals)
	case *ifNode, *assignNode, *indexAssignNode, *textNode, *outNode:
		return ev.stmt(n, locals)
	case *nextNode:
		var v any
		if n.x != nil {
			var err error
			if v, err = ev.eval(n.x, locals); err != nil {
				return nil, err
			}
		}
		return nil, &nextSignal{at: n, value: v}
	case *regexNode:
		return ev.regexp(n)
	case *caseNode:
		return ev.caseOf(n, locals)
	case *beginNode:
		return ev.beginRescue(n, locals)
	case *requireNode:
		return true, nil // a library the interpreter provides
	case *rangeNode:
		return nil, ev.errorf(n, "unsupported Ruby: a range outside an index")
	}
	return nil, ev.errorf(n, "unsupported construct")
}

func (ev *evaluator) evalAll(ns []node, locals map[string]any) ([]any, error) {
	out := make([]any, len(ns))
	for i, n := range ns {
		v, err := ev.eval(n, locals)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (ev *evaluator) binary(n *binNode, locals map[string]any) (any, error) {
	l, err := ev.eval(n.l, locals)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "||":
		if truthy(l) {
			return l, nil
		}
		return ev.eval(n.r, locals)
	case "&&":
		if !truthy(l) {
			return l, nil
		}
		return ev.eval(n.r, locals)
	}
	r, err := ev.eval(n.r, locals)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "=~", "!~":
		return ev.matchOp(n, l, r)
	case "<<":
		return ev.shovel(n, l, r, locals)
	case "<=>":
		if c, ok := spaceship(l, r); ok {
			return int64(c), nil
		}
		return nil, nil
	case "==":
		return rubyEqual(l, r), nil
	case "!=":
		return !rubyEqual(l, r), nil
	case "<", ">", "<=", ">=":
		c, ok := rubyCompare(l, r)
		if !ok {
			return nil, ev.raise(n, "ArgumentError", "comparison of %s with %s failed", className(l), className(r))
		}
		return map[string]bool{"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[n.op], nil
	}
	if ls, ok := l.(string); ok && n.op == "+" {
		if rs, ok := r.(string); ok {
			return ls + rs, nil
		}
		return nil, ev.raise(n, "TypeError", "no implicit conversion of %s into String", className(r))
	}
	if la, ok := l.([]any); ok && n.op == "+" {
		if ra, ok := r.([]any); ok {
			return append(append([]any{}, la...), ra...), nil
		}
	}
	return ev.arith(n, l, r)
}

func (ev *evaluator) arith(n *binNode, l, r any) (any, error) {
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt {
		switch n.op {
		case "+":
			return li + ri, nil
		case "-":
			return li - ri, nil
		case "*":
			return li * ri, nil
		case "/", "%":
			if ri == 0 {
				return nil, ev.raise(n, "ZeroDivisionError", "divided by 0")
			}
			q, m := li/ri, li%ri
			if m != 0 && (m < 0) != (ri < 0) { // Ruby floors
				q--
				m += ri
			}
			if n.op == "/" {
				return q, nil
			}
			return m, nil
		}
	}
	lf, ok1 := toFloat(l)
	rf, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil, ev.errorf(n, "undefined method '%s' for %s", n.op, className(l))
	}
	switch n.op {
	case "+":
		return lf + rf, nil
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		return lf / rf, nil
	}
	return math.Mod(lf, rf), nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func rubyEqual(a, b any) bool {
	if af, ok := toFloat(a); ok {
		bf, ok := toFloat(b)
		return ok && af == bf
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !rubyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case Hash:
		y, ok := b.(Hash)
		if !ok || len(x.Keys()) != len(y.Keys()) {
			return false
		}
		for i, k := range x.Keys() {
			v, ok := y.Get(k)
			if !ok || !rubyEqual(x.Values()[i], v) {
				return false
			}
		}
		return true
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && a == b
}

func rubyCompare(a, b any) (int, bool) {
	if af, ok := toFloat(a); ok {
		if bf, ok := toFloat(b); ok {
			switch {
			case af < bf:
				return -1, true
			case af > bf:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if ok1 && ok2 {
		return strings.Compare(as, bs), true
	}
	return 0, false
}

func (ev *evaluator) index(n *indexNode, locals map[string]any) (any, error) {
	if len(n.args) == 1 {
		if _, isRange := n.args[0].(*rangeNode); isRange {
			recv, err := ev.eval(n.recv, locals)
			if err != nil {
				return nil, err
			}
			return ev.slice(n.args[0].(*rangeNode), recv, locals)
		}
	}
	args, err := ev.evalAll(n.args, locals)
	if err != nil {
		return nil, err
	}
	if _, isScope := n.recv.(*scopeNode); isScope {
		return ev.lookup(n, args)
	}
	recv, err := ev.eval(n.recv, locals)
	if err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, ev.errorf(n, "unsupported Ruby: [] with %d arguments", len(args))
	}
	switch r := recv.(type) {
	case *matchData:
		i, ok := args[0].(int64)
		if !ok || i < 0 || i >= int64(len(r.groups)) {
			return nil, nil
		}
		return r.groups[i], nil
	case Hash:
		v, _ := r.Get(args[0])
		return v, nil
	case []any:
		i, ok := args[0].(int64)
		if !ok {
			return nil, ev.raise(n, "TypeError", "no implicit conversion of %s into Integer", className(args[0]))
		}
		if i < 0 {
			i += int64(len(r))
		}
		if i < 0 || i >= int64(len(r)) {
			return nil, nil
		}
		return r[i], nil
	case string:
		i, ok := args[0].(int64)
		rs := []rune(r)
		if !ok {
			return nil, ev.errorf(n, "unsupported Ruby: String[%s]", className(args[0]))
		}
		if i < 0 {
			i += int64(len(rs))
		}
		if i < 0 || i >= int64(len(rs)) {
			return nil, nil
		}
		return string(rs[i]), nil
	case nil:
		return nil, ev.raise(n, "NoMethodError", "undefined method '[]' for nil")
	}
	return nil, ev.errorf(n, "undefined method '[]' for %s", className(recv))
}

// lookup is scope['name'] and scope.lookupvar('name'): an unknown
// variable is nil.
func (ev *evaluator) lookup(n node, args []any) (any, error) {
	if len(args) != 1 {
		return nil, ev.errorf(n, "scope lookup takes one variable name")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, ev.errorf(n, "scope lookup takes a String, got %s", className(args[0]))
	}
	v, _ := ev.env.Lookup(name)
	return v, nil
}

// className is the Ruby class of a value, for messages and is_a?.
func className(v any) string {
	switch x := v.(type) {
	case nil:
		return "NilClass"
	case string:
		return "String"
	case int64:
		return "Integer"
	case float64:
		return "Float"
	case bool:
		if v == true {
			return "TrueClass"
		}
		return "FalseClass"
	case []any:
		return "Array"
	case Hash:
		return "Hash"
	case symbol:
		return "Symbol"
	case *rubyRegexp:
		return "Regexp"
	case *matchData:
		return "MatchData"
	case *ipAddr:
		return "IPAddr"
	case *exception:
		return x.class
	}
	return fmt.Sprintf("%T", v)
}

// toS is Ruby's to_s: nil is empty, collections print as inspect.
func toS(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case symbol:
		return string(x)
	case *ipAddr:
		return x.String()
	case *exception:
		return x.msg
	}
	return inspect(v)
}

// inspect is Ruby 3.1's inspect.
func inspect(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(x)
	case symbol:
		return ":" + string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return rubyFloat(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = inspect(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case Hash:
		parts := make([]string, len(x.Keys()))
		for i, k := range x.Keys() {
			parts[i] = inspect(k) + "=>" + inspect(x.Values()[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *ipAddr:
		return x.inspect()
	case *exception:
		return "#<" + x.class + ": " + x.msg + ">"
	}
	return fmt.Sprint(v)
}

// rubyFloat prints a float as Ruby: always with a fraction or exponent.
func rubyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	if a := math.Abs(f); a != 0 && (a >= 1e16 || a < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		if exp[0] == '+' {
			exp = exp[1:]
		}
		return mant + "e" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// sortValues sorts as Ruby's Array#sort, with <=> (spaceship): numbers or
// strings, not mixed; arrays (a hash's pairs) element by element.
func sortValues(vals []any) ([]any, bool) {
	out := append([]any{}, vals...)
	ok := true
	sort.SliceStable(out, func(i, j int) bool {
		c, cmpOK := spaceship(out[i], out[j])
		ok = ok && cmpOK
		return c < 0
	})
	return out, ok
}
