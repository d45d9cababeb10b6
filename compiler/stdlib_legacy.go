package compiler

import (
	"regexp"
	"strconv"
	"strings"
)

// The stdlib functions of the Puppet 3 era that modules written before
// data types still call (puppetlabs-stdlib 8 and older ship them; ntp,
// concat and apache versions in use call validate_* and is_* in their
// class bodies), and fact(). Their messages are stdlib's.

func init() {
	for name, fn := range map[string]function{
		"validate_absolute_path": fnValidateAbsolutePath,
		"validate_string":        validator("a string", func(v any) bool { _, ok := v.(string); return ok || v == nil }),
		"validate_bool":          validator("a boolean", func(v any) bool { _, ok := v.(bool); return ok }),
		"validate_array":         validator("an Array", func(v any) bool { _, ok := v.([]any); return ok }),
		"validate_hash":          validator("a Hash", func(v any) bool { _, ok := v.(*Hash); return ok }),
		"validate_re":            fnValidateRe,
		"is_string":              predicate(isLegacyString),
		"is_array":               predicate(func(v any) bool { _, ok := v.([]any); return ok }),
		"is_hash":                predicate(func(v any) bool { _, ok := v.(*Hash); return ok }),
		"is_bool":                predicate(func(v any) bool { _, ok := v.(bool); return ok }),
		"is_integer":             predicate(isLegacyInteger),
		"fact":                   fnFact,
	} {
		functions[name] = fn
		functions["stdlib::"+name] = fn
	}
}

var absPath = regexp.MustCompile(`^(/|[a-zA-Z]:[\\/]|[\\/][\\/][^\\/]+[\\/][^\\/]+)`)

func fnValidateAbsolutePath(cl *call, args []any) (any, error) {
	if len(args) == 0 {
		return nil, cl.errorf("wrong number of arguments (0; must be > 0)")
	}
	for _, a := range flatten(args) {
		s, ok := a.(string)
		if !ok || !absPath.MatchString(s) {
			return nil, cl.errorf("%s is not an absolute path.", quoted(a))
		}
	}
	return nil, nil
}

// validator is a validate_* function: every argument must be of a kind.
func validator(what string, ok func(any) bool) function {
	return func(cl *call, args []any) (any, error) {
		if len(args) == 0 {
			return nil, cl.errorf("wrong number of arguments (0; must be > 0)")
		}
		for _, a := range args {
			if !ok(a) {
				return nil, cl.errorf("%s is not %s.  It looks to be a %s", quoted(a), what, typeName(a))
			}
		}
		return nil, nil
	}
}

func fnValidateRe(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	s := ToString(args[0])
	res := flatten(args[1])
	for _, r := range res {
		re, err := cl.c.regexp(ToString(r), cl.expr.Range())
		if err != nil {
			return nil, err
		}
		if re.Re.MatchString(s) {
			return nil, nil
		}
	}
	if len(args) == 3 {
		return nil, errorf(cl.expr.Range(), "%s", ToString(args[2]))
	}
	return nil, cl.errorf("%s does not match %s", strconv.Quote(s), quoted(res))
}

// predicate is an is_* function of one argument.
func predicate(test func(any) bool) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 1); err != nil {
			return nil, err
		}
		return test(args[0]), nil
	}
}

// isLegacyString: stdlib's is_string is false for numeric strings.
func isLegacyString(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err != nil
}

func isLegacyInteger(v any) bool {
	switch x := v.(type) {
	case int64:
		return true
	case string:
		_, err := strconv.ParseInt(x, 10, 64)
		return err == nil
	}
	return false
}

// fnFact digs a dotted path into $facts: fact('os.release.major').
func fnFact(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	v, _ := cl.scope.lookup("facts")
	for _, key := range strings.Split(ToString(args[0]), ".") {
		switch x := v.(type) {
		case *Hash:
			v, _ = x.Get(key)
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return nil, nil
			}
			v = x[i]
		default:
			return nil, nil
		}
	}
	return v, nil
}
