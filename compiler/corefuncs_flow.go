package compiler

import (
	"strings"

	"github.com/gapply/gapply/parser"
)

// Core functions that public modules call and that do not fit elsewhere:
// create_resources (the pre-iteration way to declare a hash of resources,
// still in apache, mysql and firewall), and dig, then and lest, which
// navigate optional data.

func init() {
	functions["create_resources"] = fnCreateResources
	functions["dig"] = fnDig
	functions["then"] = fnThen
	functions["lest"] = fnLest
	lambdaFunctions["then"] = true
	lambdaFunctions["lest"] = true
}

// fnCreateResources declares a resource for each title of a hash of
// titles to parameters, each over the defaults (third argument). A type
// '@name' declares virtual resources, '@@name' exported ones; 'class'
// declares classes with parameters. A title already declared is a
// duplicate declaration, as in Puppet (ensure_resources is the lenient
// form).
func fnCreateResources(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	typ, ok := args[0].(string)
	if !ok {
		return nil, cl.paramError("type", "a String", args[0])
	}
	form := parser.Regular
	switch {
	case strings.HasPrefix(typ, "@@"):
		form, typ = parser.Exported, typ[2:]
	case strings.HasPrefix(typ, "@"):
		form, typ = parser.Virtual, typ[1:]
	}
	typ, defaults, err := resourceArgs(cl, append([]any{typ}, args[1:]...))
	if err != nil {
		return nil, err
	}
	titles, ok := args[1].(*Hash)
	if !ok {
		return nil, cl.paramError("resources", "a Hash", args[1])
	}
	typ = strings.TrimPrefix(typ, "::")
	return nil, eachTitle(titles, defaults, func(title string, params *Hash) error {
		return cl.declareResource(form, typ, title, params)
	})
}

// fnDig follows keys (hash keys and array indexes) into a value; undef
// as soon as one is missing.
func fnDig(cl *call, args []any) (any, error) {
	if len(args) == 0 {
		return nil, cl.arity(args, 1, 1)
	}
	v := args[0]
	for _, k := range args[1:] {
		switch x := v.(type) {
		case nil:
			return nil, nil
		case *Hash:
			v, _ = x.Get(k)
		case []any:
			i, ok := k.(int64)
			if !ok {
				return nil, cl.errorf("an Array can only be dug into with an Integer, got %s", typeName(k))
			}
			if i < 0 {
				i += int64(len(x))
			}
			if i < 0 || i >= int64(len(x)) {
				return nil, nil
			}
			v = x[i]
		default:
			return nil, cl.errorf("cannot dig into a %s", typeName(v))
		}
	}
	return v, nil
}

// fnThen calls the lambda with the value unless it is undef.
func fnThen(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	if args[0] == nil {
		return nil, nil
	}
	return cl.requireLambda(args[0])
}

// fnLest returns the value, or the lambda's result when it is undef.
func fnLest(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	if args[0] != nil {
		return args[0], nil
	}
	return cl.requireLambda()
}

// requireLambda calls the call's lambda, which the function needs.
func (cl *call) requireLambda(args ...any) (any, error) {
	if cl.expr.Lambda == nil {
		return nil, cl.errorf("expects a block")
	}
	return cl.callLambda(args...)
}
