package compiler

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

// EPP templates are translated into Puppet code and then parsed by the
// manifest parser, so that a template's code is exactly the language of
// manifests, with blocks that span tags (<% $a.each |$x| { %>...<% } %>):
//
//	text          ->  epp_text__('text')   appends the literal text
//	<%= expr %>   ->  epp_out__(expr)      appends the value as a string
//	<% code %>    ->  code
//
// Newlines stay where they were, so a diagnostic's line number is the
// template's (unless code in a tag has a # comment). The tags: <%# comment %>, <%% and %%> for literal <% and %>,
// <%- trims the spaces and tabs before the tag, -%> trims the spaces and
// the line break after it, and a leading <%- | String $x, $y = 1 | -%>
// declares the template's parameters.

const (
	eppText = "epp_text__"
	eppOut  = "epp_out__"
)

// Template is a parsed EPP template.
type Template struct {
	// Params are the declared parameters; nil when the template declares
	// none (any argument then becomes a variable).
	Params []*parser.Param
	body   *parser.File
}

// ParseEPP parses an EPP template; name is the file name diagnostics use.
func ParseEPP(name string, src []byte) (*Template, hcl.Diagnostics) {
	code, params, err := translateEPP(string(src))
	if err != nil {
		r := hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid EPP: " + err.Error(), Subject: &r}}
	}
	t := &Template{}
	if params != "" {
		f, diags := parser.ParseFile(name, []byte("function epp_params__("+params+") {}"))
		if diags.HasErrors() {
			return nil, diags
		}
		if len(f.Body) != 1 {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid EPP: bad parameter list"}}
		}
		fd, ok := f.Body[0].(*parser.FunctionDef)
		if !ok {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid EPP: bad parameter list"}}
		}
		t.Params = fd.Params
		if t.Params == nil {
			t.Params = []*parser.Param{}
		}
	}
	f, diags := parser.ParseFile(name, []byte(code))
	if diags.HasErrors() {
		return nil, diags
	}
	t.body = f
	return t, nil
}

// translateEPP turns a template into Puppet code, and returns the text of
// its parameter list separately.
func translateEPP(src string) (code, params string, err error) {
	var b strings.Builder
	text := func(s string) {
		if s == "" {
			return
		}
		s = strings.ReplaceAll(s, "<%%", "<%")
		s = strings.ReplaceAll(s, "%%>", "%>")
		b.WriteString(eppText + "('")
		b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s))
		b.WriteString("') ")
	}
	first := true
	for len(src) > 0 {
		i := indexTag(src)
		if i < 0 {
			text(src)
			break
		}
		lit := src[:i]
		rest := src[i+2:]
		trimLeft := strings.HasPrefix(rest, "-")
		if trimLeft {
			rest = rest[1:]
			lit = strings.TrimRight(lit, " \t")
		}
		if strings.TrimSpace(lit) != "" {
			first = false
		}
		text(lit)
		end := strings.Index(rest, "%>")
		if end < 0 {
			return "", "", errors.New("unbalanced tag: missing %>")
		}
		body := rest[:end]
		src = rest[end+2:]
		if strings.HasSuffix(body, "-") {
			body = body[:len(body)-1]
			src = strings.TrimLeft(src, " \t")
			if strings.HasPrefix(src, "\r\n") {
				src = src[2:]
			} else if strings.HasPrefix(src, "\n") {
				src = src[1:]
			}
		}
		switch {
		case strings.HasPrefix(body, "#"):
			b.WriteString(strings.Repeat("\n", strings.Count(body, "\n")))
		case strings.HasPrefix(body, "="):
			b.WriteString(eppOut + "(" + body[1:] + ") ")
		case first && strings.HasPrefix(strings.TrimSpace(body), "|"):
			p := strings.TrimSpace(body)
			if len(p) < 2 || !strings.HasSuffix(p, "|") {
				return "", "", errors.New("the parameter list must be enclosed in | |")
			}
			params = p[1 : len(p)-1]
			b.WriteString(strings.Repeat("\n", strings.Count(body, "\n")))
		default:
			// A space keeps the template's line numbers; a comment in
			// the code needs a line break to end.
			sep := " "
			if strings.Contains(body, "#") {
				sep = "\n"
			}
			b.WriteString(body + sep)
		}
		first = false
	}
	return b.String(), params, nil
}

// indexTag finds the next opening tag, skipping the literal <%%.
func indexTag(s string) int {
	off := 0
	for {
		i := strings.Index(s[off:], "<%")
		if i < 0 {
			return -1
		}
		i += off
		if strings.HasPrefix(s[i:], "<%%") {
			off = i + 3
			continue
		}
		return i
	}
}

// render evaluates a template in a fresh scope under parent, with args
// bound to its parameters (checked as a function's are), and returns the
// text.
func (c *compiler) render(cl *call, t *Template, args *Hash, parent *scope) (string, error) {
	sc := newScope(parent)
	if t.Params == nil {
		if args != nil {
			for i, k := range args.Keys() {
				sc.vars[ToString(k)] = variable{value: args.Values()[i]}
			}
		}
	} else {
		known := map[string]bool{}
		for _, p := range t.Params {
			known[p.Name] = true
		}
		if args != nil {
			for _, k := range args.Keys() {
				if !known[ToString(k)] {
					return "", cl.errorf("has no parameter named '%s'", ToString(k))
				}
			}
		}
		for _, p := range t.Params {
			var v any
			have := false
			if args != nil {
				v, have = args.Get(p.Name)
			}
			if !have && p.Default != nil {
				dv, err := c.eval(p.Default, sc)
				if err != nil {
					return "", err
				}
				v, have = dv, true
			}
			var typ TypeRef
			typed := false
			if p.Type != nil {
				tv, err := c.eval(p.Type, sc)
				if err != nil {
					return "", err
				}
				typ, typed = tv.(TypeRef)
			}
			if !have && !(typed && isInstance(nil, typ)) {
				return "", cl.errorf("expects a value for parameter '%s'", p.Name)
			}
			if typed {
				if ms := checkType(v, typ); ms != nil {
					return "", cl.errorf("%s", describeMismatches("parameter '"+p.Name+"'", ms)[1:])
				}
			}
			sc.vars[p.Name] = variable{value: v, at: &p.NameRange}
		}
	}
	saved := c.eppBuf
	var out strings.Builder
	c.eppBuf = &out
	defer func() { c.eppBuf = saved }()
	before := len(c.diags)
	c.evalBlock(t.body.Body, sc)
	j := c.takeJump()
	if j != nil && j.kind == "break" {
		c.report(errorf(j.at, "%s", j.Error()), j.at)
	}
	for _, d := range c.diags[before:] {
		if d.Severity == hcl.DiagError {
			return "", errorf(cl.expr.Range(), "%s(): error in the template: %s", cl.name, d.Error())
		}
	}
	if j != nil {
		// return(x) makes x the template's whole result, as in Puppet.
		return ToString(j.value), nil
	}
	return out.String(), nil
}

func fnEppText(cl *call, args []any) (any, error) {
	if cl.c.eppBuf == nil {
		return nil, cl.errorf("may only be used in an EPP template")
	}
	for _, a := range args {
		cl.c.eppBuf.WriteString(ToString(a))
	}
	return nil, nil
}

// templateArgs reads the optional hash of template arguments.
func templateArgs(cl *call, args []any) (*Hash, error) {
	if len(args) < 2 || args[1] == nil {
		return nil, nil
	}
	h, ok := args[1].(*Hash)
	if !ok {
		return nil, cl.errorf("expects a Hash of parameters, got %s", typeName(args[1]))
	}
	return h, nil
}

// fnEpp renders a module's template: epp('mod/x.epp') is
// MODULE/templates/x.epp in the module path. The template sees top scope
// and its parameters only.
func fnEpp(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, cl.errorf("expects a String template name, got %s", typeName(args[0]))
	}
	h, err := templateArgs(cl, args)
	if err != nil {
		return nil, err
	}
	path, found := cl.c.moduleFile("templates", name)
	if !found {
		return nil, cl.errorf("Could not find template '%s'", name)
	}
	t, err := cl.c.loadTemplate(cl, path)
	if err != nil {
		return nil, err
	}
	return cl.c.render(cl, t, h, cl.c.top)
}

// fnInlineEpp renders a template given as a string; it sees the caller's
// variables too.
func fnInlineEpp(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	src, ok := args[0].(string)
	if !ok {
		return nil, cl.errorf("expects a String template, got %s", typeName(args[0]))
	}
	h, err := templateArgs(cl, args)
	if err != nil {
		return nil, err
	}
	t, diags := ParseEPP(cl.expr.Range().Filename, []byte(src))
	if diags.HasErrors() {
		return nil, cl.errorf("%s", diags.Error())
	}
	return cl.c.render(cl, t, h, cl.scope)
}

func (c *compiler) loadTemplate(cl *call, path string) (*Template, error) {
	if t, ok := c.templates[path]; ok {
		return t, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, cl.errorf("%v", err)
	}
	t, diags := ParseEPP(path, src)
	if diags.HasErrors() {
		c.diags = append(c.diags, diags...)
		return nil, cl.errorf("the template %s has errors", path)
	}
	c.templates[path] = t
	return t, nil
}

// moduleFile resolves 'mod/rest' to MODULEDIR/mod/kind/rest in the module
// path; an absolute path is itself.
func (c *compiler) moduleFile(kind, name string) (string, bool) {
	if filepath.IsAbs(name) {
		_, err := os.Stat(name)
		return name, err == nil
	}
	mod, rest, ok := strings.Cut(name, "/")
	if !ok || mod == "" || rest == "" {
		return "", false
	}
	for _, dir := range c.opts.ModulePath {
		p := filepath.Join(dir, mod, kind, filepath.FromSlash(rest))
		if _, err := os.Stat(p); err == nil {
			return p, true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return p, true // let the read report it
		}
	}
	return "", false
}

// fnFile returns the content of the first file found of its arguments:
// 'mod/x' is MODULE/files/x, an absolute path is read as is.
func fnFile(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	var names []string
	for _, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, cl.errorf("expects String file names, got %s", typeName(a))
		}
		names = append(names, s)
		if path, found := cl.c.moduleFile("files", s); found {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, cl.errorf("%v", err)
			}
			return string(data), nil
		}
	}
	return nil, cl.errorf("Could not find any files from %s", strings.Join(names, ", "))
}

func init() {
	functions[eppText] = fnEppText
	functions[eppOut] = fnEppText
	functions["epp"] = fnEpp
	functions["inline_epp"] = fnInlineEpp
	functions["file"] = fnFile
}
