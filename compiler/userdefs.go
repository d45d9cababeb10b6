package compiler

import (
	"fmt"
	"strings"

	"github.com/gapply/gapply/parser"
)

// typeReference evaluates a capitalised name: a type alias is replaced by
// the type it names (so checks and messages see built-in types), anything
// else is a TypeRef. Aliases are found in the manifests or autoloaded from
// a module's types directory (Mod::Port is MOD/types/port.pp).
func (c *compiler) typeReference(e *parser.TypeReference) (any, error) {
	name := strings.TrimPrefix(e.Name, "::")
	if dataTypes[name] {
		return TypeRef{Name: name}, nil
	}
	key := strings.ToLower(name)
	a, ok := c.defs.aliases[key]
	if !ok && strings.Contains(key, "::") {
		c.autoloadKind(key, "types", e.Range())
		a, ok = c.defs.aliases[key]
	}
	if !ok {
		return TypeRef{Name: name}, nil
	}
	if v, done := c.aliasValues[key]; done {
		return v, nil
	}
	if c.aliasBusy[key] {
		return nil, errorf(e.Range(), "type alias %s refers to itself", name)
	}
	c.aliasBusy[key] = true
	defer delete(c.aliasBusy, key)
	v, err := c.eval(a.Type, c.top)
	if err != nil {
		return nil, err
	}
	c.aliasValues[key] = v
	return v, nil
}

// userFunction returns the Go function that runs a function written in
// Puppet: its arguments are bound to its typed parameters in a scope of
// its own under top scope (functions do not see the caller's variables),
// the body's last value is returned, checked against the return type.
func (c *compiler) userFunction(def *parser.FunctionDef) function {
	return func(cl *call, args []any) (any, error) {
		name := cl.name
		required := 0
		for _, p := range def.Params {
			if p.Default == nil && !p.Captures {
				required++
			}
		}
		if len(args) < required || (len(args) > len(def.Params) && !hasCapture(def.Params)) {
			return nil, errorf(cl.expr.Range(), "'%s' expects %s, got %s", name, countWord(required, len(def.Params)), countArgs(len(args)))
		}
		sc := newScope(c.top)
		for i, p := range def.Params {
			var v any
			switch {
			case p.Captures:
				v = append([]any{}, args[min(i, len(args)):]...)
			case i < len(args):
				v = args[i]
			default:
				dv, err := c.eval(p.Default, sc)
				if err != nil {
					return nil, err
				}
				v = dv
			}
			if p.Type != nil && !p.Captures {
				tv, err := c.eval(p.Type, sc)
				if err != nil {
					return nil, err
				}
				if t, ok := tv.(TypeRef); ok {
					if ms := checkType(v, t); ms != nil {
						return nil, errorf(cl.expr.Range(), "'%s'%s", name, describeMismatches("parameter '"+p.Name+"'", ms))
					}
				}
			}
			sc.vars[p.Name] = variable{value: v, at: &p.NameRange}
		}
		var result any
		if def.Body != nil {
			result = c.evalBlock(def.Body.Body, sc)
		}
		if j := c.takeJump(); j != nil {
			if j.kind == "break" {
				return nil, errorf(j.at, "%s", j.Error())
			}
			result = j.value
		}
		if def.ReturnType != nil {
			tv, err := c.eval(def.ReturnType, sc)
			if err != nil {
				return nil, err
			}
			if t, ok := tv.(TypeRef); ok {
				if ms := checkType(result, t); ms != nil {
					return nil, errorf(cl.expr.Range(), "value returned from %s has wrong type,%s", name, describeMismatches("", ms))
				}
			}
		}
		return result, nil
	}
}

func hasCapture(params []*parser.Param) bool {
	return len(params) > 0 && params[len(params)-1].Captures
}

// countWord is "1 argument", "between 1 and 2 arguments".
func countWord(lo, hi int) string {
	if lo == hi {
		if lo == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", lo)
	}
	return fmt.Sprintf("between %d and %d arguments", lo, hi)
}

func countArgs(n int) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

// findFunction returns a function written in Puppet, autoloading
// mod::name from MOD/functions/name.pp.
func (c *compiler) findFunction(name string, e *parser.Call) (*parser.FunctionDef, bool) {
	name = className(name)
	if f, ok := c.defs.functions[name]; ok {
		return f, true
	}
	if strings.Contains(name, "::") {
		c.autoloadKind(name, "functions", e.Range())
	}
	f, ok := c.defs.functions[name]
	return f, ok
}
