package compiler

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// call is what a function sees of its call site.
type call struct {
	c     *compiler
	scope *scope
	expr  *parser.Call
	name  string
}

// errorf returns an error located at the call, worded as Puppet words
// function failures.
func (cl *call) errorf(format string, args ...any) error {
	return errorf(cl.expr.Range(), "%s(): %s", cl.name, fmt.Sprintf(format, args...))
}

// arity checks the number of arguments.
func (cl *call) arity(args []any, lo, hi int) error {
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		want := strconv.Itoa(lo)
		switch {
		case hi < 0:
			want = "at least " + want
		case hi != lo:
			want = fmt.Sprintf("between %d and %d", lo, hi)
		}
		return cl.errorf("expects %s arguments, got %d", want, len(args))
	}
	return nil
}

// function is a Puppet function implemented in Go.
type function func(cl *call, args []any) (any, error)

// functions is the registry of callable functions by name; each file
// registers its own in an init function.
var functions = map[string]function{}

func init() {
	maps.Copy(functions, map[string]function{
		"notice":     logFunc("notice"),
		"info":       logFunc("info"),
		"warning":    logFunc("warning"),
		"err":        logFunc("err"),
		"debug":      logFunc("debug"),
		"fail":       fnFail,
		"join":       fnJoin,
		"split":      fnSplit,
		"upcase":     stringMapper(strings.ToUpper),
		"downcase":   stringMapper(strings.ToLower),
		"capitalize": stringMapper(capitalize),
		"size":       fnSize,
		"length":     fnSize,
		"keys":       fnKeys,
		"values":     fnValues,
		"sprintf":    fnSprintf,
		"defined":    fnDefined,
		"include":    classFunc("include"),
		"contain":    classFunc("contain"),
		"require":    classFunc("require"),
	})
}

// evalCall evaluates a function call; a method call's receiver is its
// first argument.
func (c *compiler) evalCall(e *parser.Call, s *scope) (any, error) {
	fn, ok := functions[e.Name]
	if tn, isType := typeCallName(e.Name); !ok && isType {
		fn, ok = func(cl *call, args []any) (any, error) { return newValue(cl, tn, args) }, true
	} else if !ok {
		if f, isFunc := c.findFunction(e.Name, e); isFunc {
			fn, ok = c.userFunction(f), true
		}
	}
	if !ok {
		at := e.NameRange
		if at.Start.Byte == at.End.Byte {
			at = e.Range()
		}
		return nil, c.unknownFunction(e.Name, at)
	}
	var args []any
	if e.Receiver != nil {
		v, err := c.eval(e.Receiver, s)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	rest, err := c.evalList(e.Args, s)
	if err != nil {
		return nil, err
	}
	args = append(args, rest...)
	if e.Lambda != nil && !lambdaFunctions[e.Name] {
		return nil, errorf(e.Lambda.Range(), "%s() does not take a lambda", e.Name)
	}
	return fn(&call{c: c, scope: s, expr: e, name: e.Name}, args)
}

// logFunc returns a function that logs its arguments, joined by spaces,
// at a Puppet log level.
func logFunc(level string) function {
	return func(cl *call, args []any) (any, error) {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = ToString(a)
		}
		msg := strings.Join(parts, " ")
		lg := cl.c.log
		switch level {
		case "debug":
			lg.Debug(msg)
		case "warning":
			lg.Warn(msg)
		case "err":
			lg.Error(msg)
		default:
			lg.Info(msg)
		}
		return nil, nil
	}
}

func fnFail(cl *call, args []any) (any, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = ToString(a)
	}
	return nil, errorf(cl.expr.Range(), "Evaluation Error: %s", strings.Join(parts, " "))
}

func fnJoin(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	a, ok := args[0].([]any)
	if !ok {
		return nil, cl.errorf("expects an Array, got %s", typeName(args[0]))
	}
	sep := ""
	if len(args) == 2 {
		sep = ToString(args[1])
	}
	flat := flatten(a)
	parts := make([]string, len(flat))
	for i, x := range flat {
		parts[i] = ToString(x)
	}
	return strings.Join(parts, sep), nil
}

// fnSplit splits at a string or regexp and, like Ruby, drops trailing
// empty fields.
func fnSplit(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	str, ok := args[0].(string)
	if !ok {
		return nil, cl.errorf("expects a String, got %s", typeName(args[0]))
	}
	var parts []string
	switch sep := args[1].(type) {
	case string:
		re, err := cl.c.regexp(sep, cl.expr.Range())
		if err != nil {
			return nil, err
		}
		parts = re.Re.Split(str, -1)
	case *Regexp:
		parts = sep.Re.Split(str, -1)
	default:
		return nil, cl.errorf("expects a String or Regexp separator, got %s", typeName(args[1]))
	}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + strings.ToLower(s[n:])
}

// stringMapper applies f to a string, or to every string in an array or
// hash (keys included), as upcase and friends do.
func stringMapper(f func(string) string) function {
	var conv func(v any) any
	conv = func(v any) any {
		switch v := v.(type) {
		case string:
			return f(v)
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = conv(x)
			}
			return out
		case *Hash:
			out := NewHash()
			for i, k := range v.Keys() {
				out.Set(conv(k), conv(v.Values()[i]))
			}
			return out
		}
		return v
	}
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 1); err != nil {
			return nil, err
		}
		switch args[0].(type) {
		case string, []any, *Hash:
			return conv(args[0]), nil
		}
		return nil, cl.errorf("expects a String, Array or Hash, got %s", typeName(args[0]))
	}
}

func fnSize(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case string:
		return int64(utf8.RuneCountInString(v)), nil
	case []any:
		return int64(len(v)), nil
	case *Hash:
		return int64(v.Len()), nil
	}
	return nil, cl.errorf("expects a String, Array or Hash, got %s", typeName(args[0]))
}

func fnKeys(cl *call, args []any) (any, error) {
	return hashPart(cl, args, (*Hash).Keys)
}

func fnValues(cl *call, args []any) (any, error) {
	return hashPart(cl, args, (*Hash).Values)
}

func hashPart(cl *call, args []any, part func(*Hash) []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	h, ok := args[0].(*Hash)
	if !ok {
		return nil, cl.errorf("expects a Hash, got %s", typeName(args[0]))
	}
	return slices.Clone(part(h)), nil
}

// fnSprintf formats like Ruby's format: the verbs and flags match Go's,
// so each argument is converted to what its verb expects and fmt does
// the rest.
func fnSprintf(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	format, ok := args[0].(string)
	if !ok {
		return nil, cl.errorf("expects a String format, got %s", typeName(args[0]))
	}
	rest := args[1:]
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			out.WriteByte(ch)
			continue
		}
		// %2$s takes the second argument, as in Ruby.
		pos, k := 0, i+1
		for k < len(format) && isDigit(format[k]) {
			k++
		}
		if k > i+1 && k < len(format) && format[k] == '$' {
			pos, _ = strconv.Atoi(format[i+1 : k])
			i = k
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ 0#.123456789", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			return nil, cl.errorf("incomplete format specifier in '%s'", format)
		}
		verb := format[j]
		spec := "%" + format[i+1:j]
		i = j
		if verb == '%' {
			out.WriteByte('%')
			continue
		}
		var arg any
		switch {
		case pos > 0 && pos < len(args):
			arg = args[pos]
		case pos > 0 || len(rest) == 0:
			return nil, cl.errorf("too few arguments for format '%s'", format)
		default:
			arg = rest[0]
			rest = rest[1:]
		}
		switch verb {
		case 's':
			s, isStr := arg.(string)
			if !isStr {
				if arg == nil {
					s = ""
				} else {
					s = inspect(arg)
				}
			}
			fmt.Fprintf(&out, spec+"s", s)
		case 'p':
			fmt.Fprintf(&out, spec+"s", inspect(arg))
		case 'd', 'i', 'u', 'x', 'X', 'o', 'b', 'B', 'c':
			n := toNumber(arg)
			if f, isFloat := n.(float64); isFloat {
				n = int64(f)
			}
			iv, isInt := n.(int64)
			if !isInt {
				return nil, cl.errorf("%%%c expects a number, got %s", verb, typeName(arg))
			}
			v := verb
			switch verb {
			case 'i', 'u':
				v = 'd'
			case 'B':
				v = 'b'
			}
			fmt.Fprintf(&out, spec+string(v), iv)
		case 'f', 'e', 'E', 'g', 'G':
			f, isNum := asFloat(toNumber(arg))
			if !isNum {
				return nil, cl.errorf("%%%c expects a number, got %s", verb, typeName(arg))
			}
			fmt.Fprintf(&out, spec+string(verb), f)
		default:
			return nil, cl.errorf("unsupported format verb '%%%c'", verb)
		}
	}
	return out.String(), nil
}

// inspect is Ruby's inspect of a value, which sprintf's %p (and %s of a
// collection) prints: strings in double quotes.
func inspect(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = inspect(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Hash:
		parts := make([]string, v.Len())
		for i, k := range v.Keys() {
			parts[i] = inspect(k) + " => " + inspect(v.Values()[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ToString(v)
}

// fnDefined tells whether a variable ('$x'), a resource type ('file',
// File) or a resource (File['/x']) exists; with several arguments, whether
// any does.
func fnDefined(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	for _, a := range args {
		ok, err := cl.defined(a)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (cl *call) defined(a any) (bool, error) {
	switch a := a.(type) {
	case string:
		if name, isVar := strings.CutPrefix(a, "$"); isVar {
			_, ok := cl.scope.lookup(name)
			return ok, nil
		}
		return cl.c.typeExists(a), nil
	case TypeRef:
		return cl.c.typeExists(a.Name) || dataTypes[a.Name], nil
	case catalog.Ref:
		_, ok := cl.c.resolve(a)
		return ok, nil
	case []any:
		for _, x := range a {
			if ok, err := cl.defined(x); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	return false, cl.errorf("expects a String, a Type or a resource reference, got %s", typeName(a))
}

// typeExists reports whether name is a resource type, defined type or
// class.
func (c *compiler) typeExists(name string) bool {
	name = className(name)
	if rt, _ := c.resourceType(name, hcl.Range{}); rt != nil {
		return true
	}
	return c.findDefine(name, hcl.Range{}) || c.findClass(name, hcl.Range{})
}
