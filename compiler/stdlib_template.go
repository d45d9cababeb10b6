package compiler

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/gapply/gapply/compiler/erb"
)

// ERB templates: template('mod/x.erb', ...) renders MODULE/templates/x.erb
// and inline_template(src, ...) its source, each concatenating the
// results of all its arguments, as Puppet does. The Ruby in them is run by
// compiler/erb, which knows the subset modules' templates use and refuses
// the rest with the template, line and construct. The template sees the
// variables of the scope that calls it: @name as the caller's visible
// variables, scope['mod::x'] and scope.lookupvar for qualified and
// top-scope ones; undef is nil.

func init() {
	functions["template"] = fnERBTemplate
	functions["inline_template"] = fnInlineTemplate
}

func fnERBTemplate(cl *call, args []any) (any, error) {
	return cl.renderERB(args, "template names", func(name string) (*erb.Template, error) {
		path, found := cl.c.moduleFile("templates", name)
		if !found {
			return nil, cl.errorf("Could not find template '%s'", name)
		}
		t, err := cl.c.erbTemplate(path)
		if err != nil {
			return nil, cl.erbError(err)
		}
		return t, nil
	})
}

func fnInlineTemplate(cl *call, args []any) (any, error) {
	return cl.renderERB(args, "templates", func(src string) (*erb.Template, error) {
		t, err := erb.Parse("inline_template", src)
		if err != nil {
			return nil, cl.erbError(err)
		}
		return t, nil
	})
}

// renderERB concatenates the output of the template that load gives for
// each String argument (what names them in the type error).
func (cl *call) renderERB(args []any, what string, load func(string) (*erb.Template, error)) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	env := cl.erbEnv()
	var out strings.Builder
	for _, a := range args {
		arg, ok := a.(string)
		if !ok {
			return nil, cl.errorf("expects String %s, got %s", what, typeName(a))
		}
		t, err := load(arg)
		if err != nil {
			return nil, err
		}
		s, err := t.Execute(env)
		if err != nil {
			return nil, cl.erbError(err)
		}
		out.WriteString(s)
	}
	return out.String(), nil
}

// erbTemplate parses the template at path once per compilation, as EPP
// templates are (compiler.templates): a template used by many resources is
// parsed once, and nothing outlives the compilation, so a long-running
// master, whose trees change with every commit, keeps no old templates.
func (c *compiler) erbTemplate(path string) (*erb.Template, error) {
	if t, ok := c.erbTemplates[path]; ok {
		return t, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := erb.Parse(path, string(src))
	if err != nil {
		return nil, err
	}
	if c.erbTemplates == nil {
		c.erbTemplates = map[string]*erb.Template{}
	}
	c.erbTemplates[path] = t
	return t, nil
}

// erbError locates a template's error at the call, keeping the
// template's own file and line in the message.
func (cl *call) erbError(err error) error {
	var te *erb.Error
	if errors.As(err, &te) {
		return errorf(cl.expr.Range(), "%s(): %s", cl.name, te.Error())
	}
	return cl.errorf("%v", err)
}

// erbEnv gives a template the caller's variables.
func (cl *call) erbEnv() *erb.Env {
	return &erb.Env{
		Var: func(name string) (any, bool) { return cl.scope.lookup(name) },
		Lookup: func(name string) (any, bool) {
			return cl.c.lookupVar(strings.TrimPrefix(name, "$"), cl.scope)
		},
		NewHash: func(keys, vals []any) any {
			h := NewHash()
			for i, k := range keys {
				h.Set(k, vals[i])
			}
			return h
		},
		Call: cl.callByName,
		SetVar: func(name string, v any) error {
			cl.scope.local().vars[name] = variable{value: v}
			return nil
		},
		Regexp: erbRegexp,
	}
}

// callByName calls the Puppet function name for a template
// (scope.call_function, scope.function_NAME), as if called where the
// template was: the same scope, errors located at the template's call.
func (cl *call) callByName(name string, args []any) (any, error) {
	fn, ok := functions[name]
	if !ok {
		if f, isFunc := cl.c.findFunction(name, cl.expr); isFunc {
			fn, ok = cl.c.userFunction(f), true
		}
	}
	if !ok {
		return nil, fmt.Errorf("unknown function '%s'", name)
	}
	return fn(&call{c: cl.c, scope: cl.scope, expr: cl.expr, name: name}, args)
}

// erbRegexp compiles a template's /regexp/ as Puppet's regexps are
// compiled (rubyToRE2), with Ruby's options i and m (o changes nothing
// here); x (extended) has no RE2 form and is refused.
func erbRegexp(source, options string) (*regexp.Regexp, error) {
	if strings.Contains(options, "x") {
		return nil, fmt.Errorf("the x option is not supported")
	}
	src, err := rubyToRE2(source)
	if err != nil {
		return nil, err
	}
	if flags := rubyFlags(strings.ReplaceAll(options, "o", "")); flags != "" {
		src = "(?" + flags + ")" + src
	}
	return regexp.Compile(src)
}
