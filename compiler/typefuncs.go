package compiler

import (
	"strconv"
	"strings"
)

// Functions about data types: type(), assert_type(), and calling a type
// as a function to convert a value (Integer('3'), String(5)), which is
// Puppet's new().

func init() {
	functions["type"] = fnType
	functions["assert_type"] = fnAssertType
	lambdaFunctions["assert_type"] = true
}

// fnType returns the type of a value: detailed by default, or
// 'generalized' (Integer rather than Integer[1, 1]).
func fnType(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	mode := "detailed"
	if len(args) == 2 {
		mode = ToString(args[1])
	}
	switch mode {
	case "detailed", "reduced":
		return inferType(args[0], false), nil
	case "generalized":
		return inferType(args[0], true), nil
	}
	return nil, cl.errorf("expects 'detailed', 'reduced' or 'generalized', got %s", quoted(args[1]))
}

// fnAssertType returns the value when it is of the type; otherwise the
// lambda's result, given the expected and the actual type, or an error.
func fnAssertType(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	t, ok := args[0].(TypeRef)
	if !ok {
		s, isStr := args[0].(string)
		if !isStr {
			return nil, cl.errorf("expects a Type, got %s", typeName(args[0]))
		}
		t = TypeRef{Name: s}
	}
	ms := checkType(args[1], t)
	if ms == nil {
		return args[1], nil
	}
	if cl.expr.Lambda != nil {
		return cl.callLambda(t, inferType(args[1], false))
	}
	return nil, errorf(cl.expr.Range(), "assert_type():%s", describeMismatches("", ms))
}

// newValue converts args[0] to the type named name, as calling a type does.
func newValue(cl *call, name string, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	v := args[0]
	fail := func() (any, error) {
		if s, ok := v.(string); ok {
			return nil, cl.errorf("The string '%s' cannot be converted to %s", s, name)
		}
		return nil, cl.errorf("Value of type %s cannot be converted to %s", typeName(v), name)
	}
	switch name {
	case "Sensitive":
		return newSensitive(cl, args)
	case "Deferred":
		return newDeferred(cl, args)
	case "String":
		switch x := v.(type) {
		case string:
			return x, nil
		case float64:
			return strconv.FormatFloat(x, 'f', 6, 64), nil
		case []any, *Hash:
			return quoted(x), nil
		}
		return ToString(v), nil
	case "Integer", "Float", "Numeric":
		n := v
		switch x := v.(type) {
		case string:
			n = parseNumber(x, args)
		case bool:
			n = int64(0)
			if x {
				n = int64(1)
			}
		}
		switch x := n.(type) {
		case int64:
			if name == "Float" {
				return float64(x), nil
			}
			return x, nil
		case float64:
			if name == "Integer" {
				return int64(x), nil
			}
			return x, nil
		}
		return fail()
	case "Boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(x) {
			case "true", "yes", "y":
				return true, nil
			case "false", "no", "n", "":
				return false, nil
			}
		case int64:
			return x != 0, nil
		case float64:
			return x != 0, nil
		}
		return fail()
	case "Array", "Tuple":
		switch x := v.(type) {
		case []any:
			return x, nil
		case *Hash:
			out := make([]any, x.Len())
			for i, k := range x.Keys() {
				out[i] = []any{k, x.Values()[i]}
			}
			return out, nil
		case string:
			out := []any{}
			for _, r := range x {
				out = append(out, string(r))
			}
			return out, nil
		}
		return fail()
	case "Hash", "Struct":
		switch x := v.(type) {
		case *Hash:
			return x, nil
		case []any:
			h := NewHash()
			if len(x) > 0 {
				if _, pairs := x[0].([]any); pairs {
					for _, p := range x {
						kv, ok := p.([]any)
						if !ok || len(kv) != 2 {
							return fail()
						}
						h.Set(kv[0], kv[1])
					}
					return h, nil
				}
			}
			if len(x)%2 != 0 {
				return nil, cl.errorf("an Array of odd length cannot be converted to Hash")
			}
			for i := 0; i < len(x); i += 2 {
				h.Set(x[i], x[i+1])
			}
			return h, nil
		}
		return fail()
	}
	return nil, cl.errorf("creating a new %s is not supported", name)
}

// parseNumber reads a number as Puppet's new() does: decimal, 0x hex, 0
// octal, 0b binary, or in the radix given as the second argument.
func parseNumber(s string, args []any) any {
	t := strings.TrimSpace(s)
	if len(args) == 2 {
		if radix, ok := args[1].(int64); ok {
			if n, err := strconv.ParseInt(t, int(radix), 64); err == nil {
				return n
			}
			return s
		}
	}
	return toNumber(t)
}

// typeCallName reports whether a call's name is a type used as a
// function (Integer('3')), and which.
func typeCallName(name string) (string, bool) {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return "", false
	}
	// Deferred is only ever called, never used as a type here, so it is
	// not among dataTypes.
	return name, dataTypes[name] || name == "Deferred"
}
