package compiler

import (
	"reflect"
	"strings"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// stdlib's ensure_resource family declares a resource unless one with the
// same title and the same given parameters is already in the catalog: the
// way modules share a package or a directory without a duplicate
// declaration. A resource with the title but other parameters is still a
// duplicate declaration, as in Puppet.
//
// The resource is declared through the ordinary declaration path, as if
// the caller had written `type { $title: * => $params }` where the
// function was called: resource defaults, containment and tags are the
// caller's. Parameters of an existing defined resource are not kept by the
// compiler, so for a defined type only a call without parameters finds
// the existing one.

func init() {
	registerStdlib("ensure_resource", fnEnsureResource)
	registerStdlib("ensure_resources", fnEnsureResources)
	registerStdlib("ensure_packages", fnEnsurePackages)
	registerStdlib("defined_with_params", fnDefinedWithParams)
}

// Names of the variables the synthetic declaration reads; the spaces make
// them impossible to write in a manifest.
const (
	ensureTitleVar  = "ensure_resource title"
	ensureParamsVar = "ensure_resource params"
)

func fnEnsureResource(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	typ, params, err := resourceArgs(cl, args)
	if err != nil {
		return nil, err
	}
	for _, t := range flatten(args[1]) {
		if err := cl.ensureResource(typ, ToString(t), params); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// fnEnsureResources is ensure_resource for a hash of titles to
// parameters, each merged over the defaults of the third argument.
func fnEnsureResources(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	typ, defaults, err := resourceArgs(cl, args)
	if err != nil {
		return nil, err
	}
	titles, ok := args[1].(*Hash)
	if !ok {
		return nil, cl.errorf("second argument must be a Hash of titles to parameters, got %s", typeName(args[1]))
	}
	return nil, eachTitle(titles, defaults, func(title string, params *Hash) error {
		return cl.ensureResource(typ, title, params)
	})
}

// eachTitle calls f with each title of a hash of titles to parameters
// and its parameters merged over defaults (create_resources,
// ensure_resources).
func eachTitle(titles, defaults *Hash, f func(title string, params *Hash) error) error {
	for i, t := range titles.Keys() {
		params := defaults
		if h, ok := titles.Values()[i].(*Hash); ok {
			params = mergeHashes(defaults, h)
		}
		if err := f(ToString(t), params); err != nil {
			return err
		}
	}
	return nil
}

// fnEnsurePackages declares packages with ensure => installed (or the
// given defaults); a hash gives each package its own parameters.
func fnEnsurePackages(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	defaults := NewHash()
	if len(args) == 2 && args[1] != nil {
		h, ok := args[1].(*Hash)
		if !ok {
			return nil, cl.errorf("second argument must be a Hash, got %s", typeName(args[1]))
		}
		defaults = h
	}
	if pkgs, ok := args[0].(*Hash); ok {
		for i, name := range pkgs.Keys() {
			params := defaults
			if h, ok := pkgs.Values()[i].(*Hash); ok {
				params = mergeHashes(defaults, h)
			}
			if err := cl.ensurePackage(ToString(name), params); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	switch args[0].(type) {
	case string, []any:
	default:
		return nil, cl.errorf("expects a String, an Array or a Hash of packages, got %s", typeName(args[0]))
	}
	for _, name := range flatten(args[0]) {
		if err := cl.ensurePackage(ToString(name), defaults); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// ensurePackage declares one package; ensure present and installed mean
// the same, so an existing package with ensure => present is kept.
func (cl *call) ensurePackage(name string, defaults *Hash) error {
	params := NewHash()
	params.Set("ensure", "installed")
	params = mergeHashes(params, defaults)
	if e, _ := params.Get("ensure"); e == "present" || e == "installed" {
		present := NewHash()
		present.Set("ensure", "present")
		e = "installed"
		if cl.definedWithParams(catalog.Ref{Type: "Package", Title: name}, present) {
			e = "present"
		}
		params.Set("ensure", e)
	}
	return cl.ensureResource("package", name, params)
}

func fnDefinedWithParams(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	ref, ok := args[0].(catalog.Ref)
	if !ok {
		s, isStr := args[0].(string)
		if ref, ok = refString(s); !isStr || !ok {
			return nil, cl.errorf("expects a resource reference, got %s", quoted(args[0]))
		}
	}
	params := NewHash()
	if len(args) == 2 {
		if h, ok := args[1].(*Hash); ok {
			params = h
		}
	}
	return cl.definedWithParams(ref, params), nil
}

// refString reads a reference given as a string, as stdlib's functions
// take one: "Type[title]", the title maybe quoted, the "]" optional.
func refString(s string) (catalog.Ref, bool) {
	typ, title, found := strings.Cut(strings.TrimSuffix(s, "]"), "[")
	if !found {
		return catalog.Ref{}, false
	}
	return catalog.Ref{Type: catalog.CapitalizeType(typ), Title: strings.Trim(title, `'"`)}, true
}

// resourceArgs reads the type (first argument) and the optional
// parameters hash (third).
func resourceArgs(cl *call, args []any) (string, *Hash, error) {
	typ, ok := args[0].(string)
	if !ok || typ == "" {
		return "", nil, cl.errorf("first argument must be a resource type name, got %s", quoted(args[0]))
	}
	params := NewHash()
	if len(args) == 3 && args[2] != nil && args[2] != "" {
		h, ok := args[2].(*Hash)
		if !ok {
			return "", nil, cl.errorf("third argument must be a Hash, got %s", typeName(args[2]))
		}
		params = h
	}
	return strings.ToLower(typ), params, nil
}

// mergeHashes returns a's entries overridden by b's (one level,
// Ruby's Hash#merge).
func mergeHashes(a, b *Hash) *Hash {
	out := NewHash()
	for _, h := range []*Hash{a, b} {
		for i, k := range h.Keys() {
			out.Set(k, h.Values()[i])
		}
	}
	return out
}

// definedWithParams reports whether ref is declared with every one of
// params (an undef parameter matches an unset one).
func (cl *call) definedWithParams(ref catalog.Ref, params *Hash) bool {
	real, ok := cl.c.resolve(ref)
	if !ok {
		return false
	}
	if params.Len() == 0 {
		return true
	}
	m := cl.c.metaOf(real)
	if m == nil {
		return false
	}
	for i, k := range params.Keys() {
		want := ToData(params.Values()[i])
		if !reflect.DeepEqual(m.res.Parameters[ToString(k)], want) {
			return false
		}
	}
	return true
}

// ensureResource declares typ[title] with params unless it is already
// declared with them.
func (cl *call) ensureResource(typ, title string, params *Hash) error {
	ref := catalog.Ref{Type: catalog.CapitalizeType(typ), Title: title}
	if typ == "class" {
		ref = catalog.Ref{Type: "Class", Title: classTitle(title)}
	}
	if cl.definedWithParams(ref, params) {
		return nil
	}
	return cl.declareResource(parser.Regular, typ, title, params)
}

// declareResource declares typ[title] with params, as a resource
// declaration written at the call would (defaults, containment and tags
// of the caller's scope).
func (cl *call) declareResource(form parser.ResourceForm, typ, title string, params *Hash) error {
	at := cl.expr.Range()
	sc := newScope(cl.scope)
	sc.container, sc.tags = cl.scope.containerOf()
	sc.vars[ensureTitleVar] = variable{value: title, at: &at}
	sc.vars[ensureParamsVar] = variable{value: params, at: &at}
	decl := &parser.ResourceDecl{
		Span:      parser.Span{Loc: at},
		Form:      form,
		Type:      typ,
		TypeRange: at,
		Bodies: []*parser.ResourceBody{{
			Span:  parser.Span{Loc: at},
			Title: &parser.Variable{Span: parser.Span{Loc: at}, Name: ensureTitleVar},
			Ops: []*parser.AttributeOp{{
				Span:  parser.Span{Loc: at},
				Splat: true,
				Value: &parser.Variable{Span: parser.Span{Loc: at}, Name: ensureParamsVar},
			}},
		}},
	}
	_, err := cl.c.evalResourceDecl(decl, sc)
	return err
}
