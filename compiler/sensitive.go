package compiler

import (
	"github.com/gapply/gapply/catalog"
)

// Sensitive and Deferred values.
//
// Sensitive(v) wraps a value that must not be shown: it prints, logs and
// interpolates as "Sensitive [value redacted]", and only unwrap() (or a
// resource parameter) gets at the value. A resource parameter set to a
// Sensitive value holds the plain value in the catalog, and its name is
// listed in the resource's sensitive_parameters, so the engine hands the
// value to the resource and redacts it everywhere else
// (catalog.Redacted). As in Puppet, a Sensitive nested in an array or a
// hash is not unwrapped: the parameter gets its redaction.
//
// Deferred('fn', [args]) is a *catalog.Deferred: a call made on the node
// at apply time (see engine's node-side functions). Its arguments are
// evaluated here, at compile time.

// Sensitive is a value wrapped by Sensitive(): see above.
type Sensitive struct {
	Value any
}

func init() {
	functions["unwrap"] = fnUnwrap
	lambdaFunctions["unwrap"] = true
}

// newSensitive is Sensitive(v) and Sensitive.new(v).
func newSensitive(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	if s, ok := args[0].(*Sensitive); ok {
		return s, nil
	}
	return &Sensitive{Value: args[0]}, nil
}

// newDeferred is Deferred('name', [args]).
func newDeferred(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	name, ok := args[0].(string)
	if !ok || name == "" {
		return nil, cl.paramError("name", "a String", args[0])
	}
	d := &catalog.Deferred{Name: name, Arguments: []any{}}
	if len(args) == 2 {
		list, ok := args[1].([]any)
		if !ok {
			return nil, cl.paramError("arguments", "an Array", args[1])
		}
		for _, a := range list {
			d.Arguments = append(d.Arguments, ToData(a))
		}
	}
	return d, nil
}

// fnUnwrap returns the value inside a Sensitive (any other value as it
// is), or the lambda's result given that value.
func fnUnwrap(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	v := args[0]
	if s, ok := v.(*Sensitive); ok {
		v = s.Value
	}
	if cl.expr.Lambda != nil {
		return cl.callLambda(v)
	}
	return v, nil
}
