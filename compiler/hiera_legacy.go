package compiler

// Puppet's deprecated hiera functions, which older public modules (saz's
// ssh among them) still call. Puppet 7 implements them on top of lookup,
// each with a fixed merge, so they are thin layers over hieraLookup here
// too:
//
//	hiera(key, [default], [override])          first found
//	hiera_array(key, [default], [override])    unique merge
//	hiera_hash(key, [default], [override])     hash merge (top-level keys)
//	hiera_include(key, [default], [override])  unique merge, then include
//
// A default given as undef is still a default (hiera_hash(k, undef) is
// undef when nothing is found); without one, a missing key is lookup's
// error. A lambda, instead of a default, is called with the key when
// nothing is found. The override argument names an extra data source
// searched first; gapply does not support it and says so rather than
// ignoring it.

// hieraFunc returns the hiera function with the given merge strategy.
func hieraFunc(strategy string) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 3); err != nil {
			return nil, err
		}
		key, ok := args[0].(string)
		if !ok {
			return nil, cl.paramError("key", "a String", args[0])
		}
		if len(args) == 3 && args[2] != nil {
			return nil, cl.errorf("the override argument (a data source searched first) is not supported by gapply")
		}
		var merge any
		if strategy != "first" {
			merge = strategy
		}
		v, found, err := cl.c.hieraLookup(key, merge)
		if err != nil {
			return nil, cl.errorf("%v", err)
		}
		switch {
		case found:
			return v, nil
		case len(args) >= 2:
			return args[1], nil
		case cl.expr.Lambda != nil:
			return cl.callLambda(key)
		}
		return nil, errorf(cl.expr.Range(), "Function lookup() did not find a value for the name '%s'", key)
	}
}

// fnHieraInclude includes the classes that a unique merge of key finds.
func fnHieraInclude(cl *call, args []any) (any, error) {
	classes, err := hieraFunc("unique")(cl, args)
	if err != nil || classes == nil {
		return nil, err
	}
	if _, err := classFunc("include")(cl, []any{classes}); err != nil {
		return nil, err
	}
	return nil, nil
}

func init() {
	functions["hiera"] = hieraFunc("first")
	functions["hiera_array"] = hieraFunc("unique")
	functions["hiera_hash"] = hieraFunc("hash")
	functions["hiera_include"] = fnHieraInclude
	for _, name := range []string{"hiera", "hiera_array", "hiera_hash", "hiera_include"} {
		lambdaFunctions[name] = true
	}
}
