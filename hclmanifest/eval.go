package hclmanifest

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/resources"
)

// Config is what HCL manifests are evaluated with.
type Config struct {
	// Facts are the node's facts, nested as Facter gives them: fact.NAME.
	Facts map[string]any
	// Settings are setting.NAME (manifest, manifestdir...).
	Settings map[string]any
	// Variables override the defaults of variable blocks, by name.
	Variables map[string]any
	// IsType reports whether a block type that is not a built-in resource
	// type names one the compiler knows (a defined type, "class"). Nil
	// means only built-in types exist.
	IsType func(name string) bool
	// EPP renders an EPP template at path (absolute, or a module path
	// such as "foo/t.epp") with parameters. Nil makes epp() an error.
	EPP func(path string, params map[string]any) (string, error)
}

// Resource is a resource block, evaluated: one per for_each instance.
type Resource struct {
	// Type is the block type, lower case: "file", or a defined type.
	Type      string
	TypeRange hcl.Range
	// Title is the block's label, with "[key]" appended for an instance
	// of a for_each block.
	Title      string
	TitleRange hcl.Range
	// Range is the whole block.
	Range hcl.Range
	// Attrs are in source order; for_each is not among them.
	Attrs []Attr
}

// Attr is an evaluated attribute. Value is nil (null: not set), string,
// int64, float64, bool, []any, map[string]any or catalog.Ref.
type Attr struct {
	Name       string
	Value      any
	NameRange  hcl.Range
	ValueRange hcl.Range
}

// Module is a set of HCL manifests compiled together: their variables and
// locals are shared.
type Module struct {
	cfg   Config
	files []*File
	// root holds the functions and the fact, setting, var and local
	// objects.
	root   *hcl.EvalContext
	locals map[string]cty.Value
	// byDir holds, per manifest directory, a child of root with the
	// functions whose paths are relative to that directory.
	byDir map[string]*hcl.EvalContext
}

// reserved are the root names of expressions that are not resource types.
var reserved = []string{"fact", "setting", "var", "local", "each"}

// Load evaluates the variable and locals blocks of files, so that their
// resources can then be decoded, file by file, with Resources.
func Load(files []*File, cfg Config) (*Module, hcl.Diagnostics) {
	settings := cfg.Settings
	m := &Module{
		cfg:    cfg,
		files:  files,
		locals: map[string]cty.Value{},
		byDir:  map[string]*hcl.EvalContext{},
		root: &hcl.EvalContext{
			Variables: map[string]cty.Value{
				"fact":    fromGo(nonNil(cfg.Facts)),
				"setting": fromGo(nonNil(settings)),
			},
			Functions: stdFunctions(),
		},
	}
	diags := m.loadVariables()
	diags = append(diags, m.loadLocals()...)
	return m, diags
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// context returns the evaluation context for expressions of file f.
func (m *Module) context(f *File) *hcl.EvalContext {
	dir := filepath.Dir(f.Name)
	if ctx, ok := m.byDir[dir]; ok {
		return ctx
	}
	// The whole function table, not only the additions: HCL suggests a
	// name for a misspelt function from this context's table alone.
	ctx := m.root.NewChild()
	ctx.Functions = stdFunctions()
	maps.Copy(ctx.Functions, m.fileFunctions(dir))
	m.byDir[dir] = ctx
	return ctx
}

// blocks calls fn for every block of type typ in every file, in order.
func (m *Module) blocks(typ string, fn func(*File, *hclsyntax.Block)) {
	for _, f := range m.files {
		for _, b := range f.Body.Blocks {
			if b.Type == typ {
				fn(f, b)
			}
		}
	}
}

// loadVariables evaluates every variable block: the value given in
// Config.Variables, or the default, converted to the type constraint.
func (m *Module) loadVariables() hcl.Diagnostics {
	var diags hcl.Diagnostics
	vars := map[string]cty.Value{}
	declared := map[string]hcl.Range{}
	m.blocks(blockVariable, func(f *File, b *hclsyntax.Block) {
		if len(b.Labels) != 1 {
			return // reported by Parse
		}
		name := b.Labels[0]
		if prev, dup := declared[name]; dup {
			diags = append(diags, duplicate("variable", name, b.LabelRanges[0], prev))
			return
		}
		declared[name] = b.LabelRanges[0]
		diags = append(diags, onlyAttributes(b, "variable", []string{"default", "type", "description"})...)
		ty := cty.DynamicPseudoType
		if a, ok := b.Body.Attributes["type"]; ok {
			t, d := typeexpr.TypeConstraint(a.Expr)
			diags = append(diags, d...)
			if d.HasErrors() {
				return
			}
			ty = t
		}
		var val cty.Value
		var rng hcl.Range
		if given, ok := m.cfg.Variables[name]; ok {
			val, rng = fromGo(given), b.LabelRanges[0]
		} else if a, ok := b.Body.Attributes["default"]; ok {
			v, d := a.Expr.Value(m.context(f))
			diags = append(diags, d...)
			if d.HasErrors() {
				return
			}
			val, rng = v, a.Expr.Range()
		} else {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail:   fmt.Sprintf("The variable %q has no default and no value was given for it.", name),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			return
		}
		conv, err := convert.Convert(val, ty)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("The value of variable %q is not a %s: %s.", name, typeexpr.TypeString(ty), err),
				Subject:  rng.Ptr(),
			})
			return
		}
		vars[name] = conv
	})
	m.root.Variables["var"] = cty.ObjectVal(vars)
	return diags
}

// pendingLocal is a local value waiting for the locals it refers to.
type pendingLocal struct {
	file *File
	attr *hclsyntax.Attribute
	deps []string
}

// loadLocals evaluates the locals blocks. A local may use others, in any
// order and in any file; each is evaluated once those it uses are known,
// and a set that can never be (a cycle) is reported.
func (m *Module) loadLocals() hcl.Diagnostics {
	var diags hcl.Diagnostics
	pending := map[string]*pendingLocal{}
	var order []string
	m.blocks(blockLocals, func(f *File, b *hclsyntax.Block) {
		for _, nb := range b.Body.Blocks {
			diags = append(diags, unexpectedBlock(nb, "locals"))
		}
		for _, a := range sortedAttributes(b.Body) {
			if prev, dup := pending[a.Name]; dup {
				diags = append(diags, duplicate("local value", a.Name, a.NameRange, prev.attr.NameRange))
				continue
			}
			p := &pendingLocal{file: f, attr: a}
			for _, t := range a.Expr.Variables() {
				if t.RootName() == "local" && len(t) > 1 {
					if step, ok := t[1].(hcl.TraverseAttr); ok {
						p.deps = append(p.deps, step.Name)
					}
				}
			}
			pending[a.Name] = p
			order = append(order, a.Name)
		}
	})
	m.root.Variables["local"] = cty.EmptyObjectVal
	for len(order) > 0 {
		var next []string
		for _, name := range order {
			p := pending[name]
			if slices.ContainsFunc(p.deps, func(d string) bool { return pending[d] != nil }) {
				next = append(next, name)
				continue
			}
			delete(pending, name)
			v, d := m.eval(p.attr.Expr, m.context(p.file))
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal // known to exist, so users get no second error
			}
			m.locals[name] = v
			m.root.Variables["local"] = cty.ObjectVal(m.locals)
		}
		if len(next) == len(order) {
			for _, name := range next {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cycle in local values",
					Detail:   fmt.Sprintf("local.%s depends, directly or not, on itself.", name),
					Subject:  pending[name].attr.NameRange.Ptr(),
				})
			}
			break
		}
		order = next
	}
	return diags
}

// Resources decodes the resource blocks of f, in order. A block with
// for_each gives one resource per element; an attribute that cannot be
// evaluated is reported and left out, so one run shows every mistake.
func (m *Module) Resources(f *File) ([]*Resource, hcl.Diagnostics) {
	var out []*Resource
	var diags hcl.Diagnostics
	ctx := m.context(f)
	for _, b := range f.Body.Blocks {
		if b.Type == blockVariable || b.Type == blockLocals || len(b.Labels) != 1 || b.Labels[0] == "" {
			continue
		}
		rt, builtin := resources.Lookup(b.Type)
		if !builtin && (m.cfg.IsType == nil || !m.cfg.IsType(b.Type)) {
			diags = append(diags, unknownType(b))
			continue
		}
		for _, nb := range b.Body.Blocks {
			diags = append(diags, unexpectedBlock(nb, b.Type))
		}
		res, d := m.resources(b, rt, ctx)
		diags = append(diags, d...)
		out = append(out, res...)
	}
	return out, diags
}

// resources evaluates one resource block; rt is nil for types only the
// compiler knows, whose attributes it checks itself.
func (m *Module) resources(b *hclsyntax.Block, rt *resources.Type, ctx *hcl.EvalContext) ([]*Resource, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var attrs []*hclsyntax.Attribute
	var forEach *hclsyntax.Attribute
	for _, a := range sortedAttributes(b.Body) {
		switch {
		case a.Name == "for_each":
			forEach = a
		case rt != nil && !knownAttribute(rt, a.Name):
			diags = append(diags, unknownAttribute(rt, a))
		default:
			attrs = append(attrs, a)
		}
	}
	title := b.Labels[0]
	if forEach == nil {
		r, d := m.resource(b, title, attrs, ctx)
		return []*Resource{r}, append(diags, d...)
	}
	instances, d := m.forEach(forEach, ctx)
	diags = append(diags, d...)
	var out []*Resource
	for _, each := range instances {
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": each.key, "value": each.value})}
		r, d := m.resource(b, title+"["+each.key.AsString()+"]", attrs, child)
		diags = append(diags, d...)
		out = append(out, r)
	}
	return out, diags
}

func (m *Module) resource(b *hclsyntax.Block, title string, attrs []*hclsyntax.Attribute, ctx *hcl.EvalContext) (*Resource, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	r := &Resource{
		Type:       b.Type,
		TypeRange:  b.TypeRange,
		Title:      title,
		TitleRange: b.LabelRanges[0],
		Range:      b.Range(),
	}
	for _, a := range attrs {
		v, d := m.eval(a.Expr, ctx)
		diags = append(diags, d...)
		if d.HasErrors() || !v.IsWhollyKnown() {
			// An unknown value comes from a local that failed, which
			// is already reported.
			continue
		}
		g, err := toGo(v)
		if err == nil {
			err = checkMetaparam(a.Name, g)
		}
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity:    hcl.DiagError,
				Summary:     "Incorrect attribute value type",
				Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err),
				Subject:     a.Expr.Range().Ptr(),
				Context:     a.SrcRange.Ptr(),
				Expression:  a.Expr,
				EvalContext: ctx,
			})
			continue
		}
		r.Attrs = append(r.Attrs, Attr{Name: a.Name, Value: g, NameRange: a.NameRange, ValueRange: a.Expr.Range()})
	}
	return r, diags
}

// instance is one element of a for_each collection.
type instance struct{ key, value cty.Value }

// forEach evaluates a for_each attribute: a map or object (each.key is the
// key), or a set or list of strings (each.key and each.value are the
// element). Terraform refuses lists, to keep instance keys stable when an
// element is inserted; here a title is the element itself, so a list is
// as stable as a set, and Puppet users iterate arrays.
func (m *Module) forEach(a *hclsyntax.Attribute, ctx *hcl.EvalContext) ([]instance, hcl.Diagnostics) {
	v, diags := m.eval(a.Expr, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(why string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   "The for_each value must be a map, or a set or list of strings; " + why + ".",
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	if v.IsNull() || !v.IsKnown() {
		return nil, bad("it is null")
	}
	ty := v.Type()
	var out []instance
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, el := it.Element()
			out = append(out, instance{k, el})
		}
	case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, el := it.Element()
			s, err := convert.Convert(el, cty.String)
			if err != nil || s.IsNull() {
				return nil, bad(fmt.Sprintf("an element is a %s", el.Type().FriendlyName()))
			}
			out = append(out, instance{s, s})
		}
	default:
		return nil, bad(fmt.Sprintf("it is a %s", ty.FriendlyName()))
	}
	return out, diags
}

// eval evaluates expr with the resource references it contains made
// available: file["/x"] is a reference whether or not the resource is
// declared yet, in HCL or in a .pp file; the compiler checks that it
// exists once every resource is known. HCL has no value that any index
// fits, so the references are found before evaluation: each TYPE[key] in
// the expression, its key evaluated where it is written (within for
// expressions, once per element), and TYPE becomes a map of exactly those
// references.
func (m *Module) eval(expr hcl.Expression, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	syn, ok := expr.(hclsyntax.Expression)
	if !ok {
		return expr.Value(ctx)
	}
	f := &refFinder{m: m, scopes: [][]*hcl.EvalContext{{ctx}}, titles: map[string]map[string]bool{}}
	hclsyntax.Walk(syn, f)
	if len(f.titles) > 0 {
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{}
		for typ, ts := range f.titles {
			refs := map[string]cty.Value{}
			for _, t := range sortedKeys(ts) {
				refs[t] = refVal(catalog.Ref{Type: catalog.CapitalizeType(typ), Title: t})
			}
			child.Variables[typ] = cty.MapVal(refs)
		}
		ctx = child
	}
	return expr.Value(ctx)
}

// refFinder collects the references in an expression, by type.
type refFinder struct {
	m *Module
	// scopes are the contexts an expression may be evaluated in: one
	// level per enclosing for expression, each with a context per
	// element (and the enclosing ones, for the collection itself).
	scopes [][]*hcl.EvalContext
	titles map[string]map[string]bool
}

func (f *refFinder) Enter(n hclsyntax.Node) hcl.Diagnostics {
	ctxs := f.scopes[len(f.scopes)-1]
	switch n := n.(type) {
	case *hclsyntax.ForExpr:
		inner := slices.Clone(ctxs)
		for _, ctx := range ctxs {
			inner = append(inner, forContexts(n, ctx)...)
		}
		f.scopes = append(f.scopes, inner)
	case *hclsyntax.ScopeTraversalExpr:
		root := n.Traversal.RootName()
		if len(n.Traversal) > 1 && f.m.isRefType(root) {
			if idx, ok := n.Traversal[1].(hcl.TraverseIndex); ok {
				f.add(root, idx.Key)
			}
		}
	case *hclsyntax.IndexExpr:
		coll, ok := n.Collection.(*hclsyntax.ScopeTraversalExpr)
		if ok && len(coll.Traversal) == 1 && f.m.isRefType(coll.Traversal.RootName()) {
			// A key that cannot be evaluated here is reported when the
			// whole expression is.
			for _, ctx := range ctxs {
				if k, d := n.Key.Value(ctx); !d.HasErrors() {
					f.add(coll.Traversal.RootName(), k)
				}
			}
		}
	}
	return nil
}

func (f *refFinder) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		f.scopes = f.scopes[:len(f.scopes)-1]
	}
	return nil
}

func (f *refFinder) add(typ string, key cty.Value) {
	title, ok := stringKey(key)
	if !ok {
		return
	}
	if f.titles[typ] == nil {
		f.titles[typ] = map[string]bool{}
	}
	f.titles[typ][title] = true
}

// forContexts returns a context per element of a for expression's
// collection, with its key and value variables set.
func forContexts(n *hclsyntax.ForExpr, ctx *hcl.EvalContext) []*hcl.EvalContext {
	coll, d := n.CollExpr.Value(ctx)
	if d.HasErrors() || !coll.IsWhollyKnown() || coll.IsNull() || !coll.CanIterateElements() {
		return nil
	}
	var out []*hcl.EvalContext
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{n.ValVar: v}
		if n.KeyVar != "" {
			child.Variables[n.KeyVar] = k
		}
		out = append(out, child)
	}
	return out
}

// stringKey returns an index key as a title.
func stringKey(k cty.Value) (string, bool) {
	if !k.IsKnown() || k.IsNull() {
		return "", false
	}
	s, err := convert.Convert(k, cty.String)
	if err != nil || s.IsNull() {
		return "", false
	}
	return s.AsString(), true
}

// isRefType reports whether name, as the root of an expression, is a
// resource type to reference.
func (m *Module) isRefType(name string) bool {
	if slices.Contains(reserved, name) {
		return false
	}
	if _, ok := resources.Lookup(name); ok {
		return true
	}
	return m.cfg.IsType != nil && m.cfg.IsType(name)
}

// knownAttribute reports whether a built-in type takes the attribute:
// its parameters, the metaparameters, and "name" (another name for the
// namevar, as in Puppet).
func knownAttribute(rt *resources.Type, name string) bool {
	_, ok := rt.Param(name)
	return ok || name == "name" || slices.Contains(resources.Metaparams, name)
}

// relationMetaparams are the attributes whose values are references.
var relationMetaparams = []string{"require", "before", "notify", "subscribe"}

// checkMetaparam checks the values of metaparameters, which mean the same
// for every type: references for the relationships, strings for tags,
// a boolean for noop.
func checkMetaparam(name string, v any) error {
	if v == nil {
		return nil
	}
	switch {
	case slices.Contains(relationMetaparams, name):
		for _, el := range flatten(v) {
			if _, ok := el.(catalog.Ref); ok {
				continue
			}
			if s, ok := el.(string); ok {
				if _, err := catalog.ParseRef(s); err == nil {
					continue
				}
			}
			return fmt.Errorf("a resource reference such as file[\"/etc/motd\"], or a list of them, is required")
		}
	case name == "tag" || name == "alias":
		for _, el := range flatten(v) {
			if _, ok := el.(string); !ok {
				return fmt.Errorf("a string or a list of strings is required")
			}
		}
	case name == "noop":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("a bool is required")
		}
	}
	return nil
}

func flatten(v any) []any {
	list, ok := v.([]any)
	if !ok {
		return []any{v}
	}
	var out []any
	for _, el := range list {
		out = append(out, flatten(el)...)
	}
	return out
}

func duplicate(what, name string, at, prev hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s", what),
		Detail:   fmt.Sprintf("The %s %q was already declared at %s:%d.", what, name, prev.Filename, prev.Start.Line),
		Subject:  at.Ptr(),
	}
}

// onlyAttributes reports the attributes and blocks of b outside allowed.
func onlyAttributes(b *hclsyntax.Block, what string, allowed []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range sortedAttributes(b.Body) {
		if !slices.Contains(allowed, a.Name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported argument",
				Detail:   fmt.Sprintf("An argument named %q is not expected in a %s block.%s", a.Name, what, didYouMean(a.Name, allowed)),
				Subject:  a.NameRange.Ptr(),
			})
		}
	}
	for _, nb := range b.Body.Blocks {
		diags = append(diags, unexpectedBlock(nb, what))
	}
	return diags
}

func unexpectedBlock(b *hclsyntax.Block, in string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsupported block type",
		Detail:   fmt.Sprintf("Blocks are not expected in a %s block; write attributes (name = value).", in),
		Subject:  b.TypeRange.Ptr(),
	}
}

func unknownType(b *hclsyntax.Block) *hcl.Diagnostic {
	names := []string{blockVariable, blockLocals}
	for _, t := range resources.Types() {
		names = append(names, t.Name)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsupported block type",
		Detail:   fmt.Sprintf("Blocks of type %q are not expected here: it is not a resource type.%s", b.Type, didYouMean(b.Type, names)),
		Subject:  b.TypeRange.Ptr(),
	}
}

func unknownAttribute(rt *resources.Type, a *hclsyntax.Attribute) *hcl.Diagnostic {
	names := append([]string{"for_each"}, resources.Metaparams...)
	for _, p := range rt.Params {
		names = append(names, p.Name)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsupported argument",
		Detail:   fmt.Sprintf("An argument named %q is not expected in a %s block.%s", a.Name, rt.Name, didYouMean(a.Name, names)),
		Subject:  a.NameRange.Ptr(),
	}
}
