package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// definitions are the classes, defined types and nodes of the manifests,
// collected before evaluation so that a class can be included above the
// place it is defined.
type definitions struct {
	classes map[string]*parser.ClassDef
	defines map[string]*parser.DefineDef
	nodes   []*parser.NodeDef
	// aliases are the type aliases (type Port = Integer[1, 65535]) and
	// functions the functions written in Puppet, by name.
	aliases   map[string]*parser.TypeAlias
	functions map[string]*parser.FunctionDef
	// collected marks the definition nodes that were collected, so that
	// evaluating them is a no-op and a definition in a wrong place (inside
	// an if) is an error.
	collected map[parser.Expr]bool
}

// classTitle is the title of a Class reference: Puppet capitalises class
// names in references (Class[Foo::Bar]) and drops a leading "::".
func classTitle(name string) string {
	return catalog.CapitalizeType(strings.TrimPrefix(name, "::"))
}

// className normalises a class or define name: lower case, no leading "::".
func className(name string) string {
	return strings.ToLower(strings.TrimPrefix(name, "::"))
}

// nameTags are the automatic tags a class or define name gives: the name
// and each segment of it.
func nameTags(name string) []string {
	tags := []string{name}
	if strings.Contains(name, "::") {
		tags = append(tags, strings.Split(name, "::")...)
	}
	return tags
}

// collect records the definitions in body. Definitions nest in classes,
// where their names are qualified by the class's name.
func (c *compiler) collect(body []parser.Expr, prefix string) {
	qualify := func(name string) string {
		name = className(name)
		if prefix != "" {
			return prefix + "::" + name
		}
		return name
	}
	for _, e := range body {
		switch d := e.(type) {
		case *parser.ClassDef:
			name := qualify(d.Name)
			c.defs.collected[d] = true
			if prev, dup := c.defs.classes[name]; dup {
				c.report(errorf(d.NameRange, "Class '%s' is already defined at %s; cannot redefine", name, location(prev.NameRange)), d.Range())
				continue
			}
			c.defs.classes[name] = d
			if d.Body != nil {
				c.collect(d.Body.Body, name)
			}
		case *parser.DefineDef:
			name := qualify(d.Name)
			c.defs.collected[d] = true
			if prev, dup := c.defs.defines[name]; dup {
				c.report(errorf(d.NameRange, "Defined type '%s' is already defined at %s; cannot redefine", name, location(prev.NameRange)), d.Range())
				continue
			}
			if nativeReplacesDefine[name] {
				// puppetlabs-concat installed beside gapply: its
				// defines wrap Ruby types gapply does not have, and
				// gapply's own concat takes their place.
				continue
			}
			if _, builtin := resources.Lookup(name); builtin {
				c.report(errorf(d.NameRange, "Defined type '%s' has the name of a built-in resource type", name), d.Range())
				continue
			}
			c.defs.defines[name] = d
		case *parser.TypeAlias:
			c.defs.collected[d] = true
			c.defs.aliases[strings.ToLower(d.Name)] = d
		case *parser.FunctionDef:
			c.defs.collected[d] = true
			c.defs.functions[className(d.Name)] = d
		case *parser.NodeDef:
			if prefix == "" {
				c.defs.collected[d] = true
				c.defs.nodes = append(c.defs.nodes, d)
			}
		}
	}
}

// nativeReplacesDefine names the native types of gapply that stand for a
// defined type of a public module (with its parameters), so that the
// module's define is set aside rather than refused as a clash with a
// built-in type.
var nativeReplacesDefine = map[string]bool{"concat": true, "concat::fragment": true}

// evalDefinition is the evaluation of a class, define or node definition
// as a statement: they were collected beforehand, so it does nothing,
// unless the definition is somewhere Puppet does not allow one.
func (c *compiler) evalDefinition(e parser.Expr) (any, error) {
	if c.defs.collected[e] {
		return nil, nil
	}
	return nil, errorf(e.Range(), "Classes, definitions, and nodes may only appear at toplevel or inside other classes")
}

// contain records that container contains member: relationships with the
// container apply to the member too.
func (c *compiler) contain(container, member catalog.Ref) {
	if container == (catalog.Ref{}) || container == member {
		return
	}
	if slices.Contains(c.members[container], member) {
		return
	}
	c.members[container] = append(c.members[container], member)
}

// containNew is contain for a member declared just now, which cannot be
// in any container yet: it skips contain's search, which would make
// declaring n resources in one class cost n*n.
func (c *compiler) containNew(container, member catalog.Ref) {
	if container == (catalog.Ref{}) || container == member {
		return
	}
	c.members[container] = append(c.members[container], member)
}

// expandInto appends what expand(ref) returns to buf, without expand's
// allocations for the common case: a resource that contains nothing.
func (c *compiler) expandInto(buf []catalog.Ref, ref catalog.Ref) []catalog.Ref {
	if _, isContainer := c.members[ref]; !isContainer && !c.dropped[ref] && !c.isContainerType(ref) {
		return append(buf, ref)
	}
	return append(buf, c.expand(ref, map[catalog.Ref]bool{})...)
}

// expand returns the catalog resources that ref stands for in a
// relationship: itself, or everything a class or defined resource contains.
func (c *compiler) expand(ref catalog.Ref, seen map[catalog.Ref]bool) []catalog.Ref {
	if c.dropped[ref] {
		return nil
	}
	members, isContainer := c.members[ref]
	if !isContainer {
		if c.isContainerType(ref) {
			return nil // an empty class or define
		}
		return []catalog.Ref{ref}
	}
	if seen[ref] {
		return nil
	}
	seen[ref] = true
	var out []catalog.Ref
	for _, m := range members {
		out = append(out, c.expand(m, seen)...)
	}
	return out
}

func (c *compiler) isContainerType(ref catalog.Ref) bool {
	if ref.Type == "Class" || ref.Type == "Node" {
		return true
	}
	lower, ok := c.lowerTypes[ref.Type]
	if !ok {
		lower = strings.ToLower(ref.Type)
		c.lowerTypes[ref.Type] = lower
	}
	_, ok = c.defs.defines[lower]
	return ok
}

// refType is catalog.CapitalizeType(name), computed once per name: the
// type of every reference a declaration makes.
func (c *compiler) refType(name string) string {
	t, ok := c.refTypes[name]
	if !ok {
		t = catalog.CapitalizeType(name)
		c.refTypes[name] = t
	}
	return t
}

// classParent is the scope a class's scope sees: its parent class's
// scope, else the node scope when a node is being evaluated, else top.
func (c *compiler) classParent() *scope {
	if c.nodeScope != nil {
		return c.nodeScope
	}
	return c.top
}

// declareClass evaluates a class once. include passes no parameters;
// a resource-like declaration (class { 'x': p => v }) passes them, and may
// only declare a class that is not yet declared.
func (c *compiler) declareClass(name string, params []attr, resourceLike bool, at hcl.Range) (catalog.Ref, error) {
	return c.declareClassFrom(name, params, resourceLike, at, nil)
}

// declareClassFrom is declareClass from the scope caller, whose resource
// defaults reach the class (Puppet's defaults are dynamically scoped).
func (c *compiler) declareClassFrom(name string, params []attr, resourceLike bool, at hcl.Range, caller *scope) (catalog.Ref, error) {
	name = className(name)
	ref := catalog.Ref{Type: "Class", Title: classTitle(name)}
	if prev, done := c.declaredAt(ref); done {
		if resourceLike {
			return ref, errorf(at, "Duplicate declaration: %s is already declared at %s; cannot redeclare", ref, location(prev))
		}
		return ref, nil
	}
	if !c.findClass(name, at) {
		return ref, errorf(at, "Could not find class ::%s", name)
	}
	def := c.defs.classes[name]
	parent := c.classParent()
	if def.Parent != "" {
		pref, err := c.declareClassFrom(def.Parent, nil, false, def.NameRange, caller)
		if err != nil {
			return ref, err
		}
		parent = c.classScopes[className(pref.Title)]
	}
	c.declared[ref] = &at
	sc := newScope(parent)
	sc.dynParent = caller
	sc.container = ref
	sc.tags = nameTags(name)
	if parent != nil && parent.container.Type == "Class" && parent.container.Title != "main" {
		sc.tags = append(sc.tags, parent.tags...)
	}
	c.classScopes[name] = sc
	// A class's $title and $name are its name, as Puppet sets them.
	sc.vars["title"] = variable{value: name, at: &def.NameRange}
	sc.vars["name"] = variable{value: name, at: &def.NameRange}
	sc.vars["module_name"] = variable{value: c.moduleName(def.NameRange.Filename), at: &def.NameRange}
	setCallerModule(sc, caller, &def.NameRange)
	if err := c.bindParams(ref, def.Params, params, sc, at); err != nil {
		return ref, err
	}
	if def.Body != nil {
		c.evalBlock(def.Body.Body, sc)
		c.endBody(false)
	}
	return ref, nil
}

// setCallerModule sets $caller_module_name in the scope of a class or
// defined resource: the module of the code that declared it, as Puppet sets
// it (private classes compare it with $module_name, as stdlib's
// assert_private does). Declared from code outside any module (site.pp, a
// node block), the variable stays unset, as in Puppet.
func setCallerModule(sc, caller *scope, at *hcl.Range) {
	if caller == nil {
		return
	}
	if v, ok := caller.local().lookup("module_name"); ok && v != nil && v != "" {
		sc.vars["caller_module_name"] = variable{value: v, at: at}
	}
}

// bindParams assigns the parameters of a class or defined resource in its
// scope: the given value, else the default (evaluated in the scope, so it
// may use earlier parameters), and checks them against their types.
func (c *compiler) bindParams(ref catalog.Ref, params []*parser.Param, given []attr, sc *scope, at hcl.Range) error {
	var errs []error
	for _, a := range given {
		known := slices.ContainsFunc(params, func(p *parser.Param) bool { return p.Name == a.name })
		if known || slices.Contains(resources.Metaparams, a.name) {
			continue
		}
		names := slices.Clone(resources.Metaparams)
		for _, p := range params {
			names = append(names, p.Name)
		}
		msg := fmt.Sprintf("unknown parameter '%s' for %s", a.name, ref)
		if s := suggest(a.name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean '%s'?)", s)
		}
		errs = append(errs, errorf(*a.at, "%s", msg))
	}
	for _, p := range params {
		var v any
		have := false
		for _, a := range given {
			if a.name == p.Name && a.value != nil {
				v, have = a.value, true
			}
		}
		var typ TypeRef
		typed := false
		if p.Type != nil {
			tv, err := c.paramType(p, sc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			typ, typed = tv.(TypeRef)
		}
		if !have && ref.Type == "Class" {
			// Automatic parameter lookup: class::param in Hiera.
			hv, found, err := c.hieraLookup(className(ref.Title)+"::"+p.Name, nil)
			if err != nil {
				errs = append(errs, errorf(at, "%s: looking up parameter '%s': %v", ref, p.Name, err))
				continue
			}
			v, have = hv, found
		}
		if !have && p.Default != nil {
			dv, err := c.eval(p.Default, sc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			v, have = dv, true
		}
		if !have && !(typed && isInstance(nil, typ)) {
			errs = append(errs, errorf(at, "%s: expects a value for parameter '%s'", ref, p.Name))
			continue
		}
		if typed {
			if ms := checkType(v, typ); ms != nil {
				errs = append(errs, errorf(at, "%s:%s", ref, describeMismatches("parameter '"+p.Name+"'", ms)))
				continue
			}
		}
		sc.vars[p.Name] = variable{value: v, at: &p.NameRange}
	}
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs[:len(errs)-1] {
		c.report(err, at)
	}
	return errs[len(errs)-1]
}

// paramType evaluates the type of a parameter. A type written only with
// literals (nearly all are: String, Enum['a', 'b'], Optional[Integer[1]])
// is evaluated once, not once per instance of its define or class.
func (c *compiler) paramType(p *parser.Param, sc *scope) (any, error) {
	if v, ok := c.paramTypes[p]; ok {
		return v, nil
	}
	v, err := c.eval(p.Type, sc)
	if err == nil && literalType(p.Type) {
		c.paramTypes[p] = v
	}
	return v, err
}

// literalType tells whether a type expression is made of type names and
// literal values only, so that it evaluates to the same type every time.
func literalType(e parser.Expr) bool {
	switch e := e.(type) {
	case *parser.TypeReference, *parser.String, *parser.Number, *parser.Boolean,
		*parser.Undef, *parser.Default, *parser.Regex:
		return true
	case *parser.Access:
		return literalType(e.Target) && !slices.ContainsFunc(e.Keys, func(k parser.Expr) bool { return !literalType(k) })
	case *parser.Array:
		return !slices.ContainsFunc(e.Elems, func(k parser.Expr) bool { return !literalType(k) })
	}
	return false
}

// typeArticle names a type for a message: "an Integer", "a String[1]".
func typeArticle(t TypeRef) string {
	s := quoted(t)
	if strings.ContainsRune("AEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// defineCache holds what the instances of one define share, so that each
// instance does not compute it again.
type defineCache struct {
	// tags are the tags the define's name gives, clipped so that an
	// instance appending its own makes a copy.
	tags []string
	// module is the instances' $module_name.
	module string
	// vars is how many variables an instance's scope held at most, and
	// members how many resources an instance contained: the sizes to
	// make the next one's, which then never grow.
	vars, members int
}

// declareDefined declares one instance of a defined type, whose body
// is evaluated later in a scope of its own, with $title and $name set:
// a declared instance once the enclosing body has ended (lazydefs.go), a
// virtual or exported one when a collector or realize() realizes it
// (virtualdefs.go).
func (c *compiler) declareDefined(name string, def *parser.DefineDef, title string, body *parser.ResourceBody, attrs []attr, s *scope, form parser.ResourceForm) (catalog.Ref, bool) {
	ref := catalog.Ref{Type: c.refType(name), Title: title}
	at := body.Title.Range()
	if prev, dup := c.declaredAt(ref); dup {
		c.report(errorf(at, "Duplicate declaration: %s is already declared at %s; cannot redeclare", ref, location(prev)), at)
		return ref, false
	}
	c.declared[ref] = &at
	container, _ := s.containerOf()
	c.containNew(container, ref)
	attrs = withDefaults(attrs, s, name)
	inst := c.recordInstance(ref, name, attrs, s)
	inst.pending = &pendingDefine{def: def, at: &at, parent: c.classParent(), queued: form == parser.Regular}
	if form != parser.Regular {
		c.virtuals = true
		return ref, true
	}
	c.queued = append(c.queued, instKey{typ: ref.Type, i: len(c.defInstances[ref.Type]) - 1})
	return ref, true
}

// evalDefined evaluates the body of the defined resource ref, declared in
// scope s, in a new scope whose parent is parent.
// at is where it was declared (the record in c.declared, shared).
func (c *compiler) evalDefined(name string, def *parser.DefineDef, ref catalog.Ref, at *hcl.Range, attrs []attr, s, parent *scope) {
	_, callerTags := s.containerOf()
	dc, ok := c.defCaches[name]
	if !ok {
		dc = &defineCache{tags: slices.Clip(nameTags(name)), module: c.moduleName(def.Range().Filename), vars: len(def.Params) + 3}
		c.defCaches[name] = dc
	}
	sc := newScopeSized(parent, dc.vars)
	if dc.members > 0 {
		c.members[ref] = make([]catalog.Ref, 0, dc.members)
	}
	defer func() {
		dc.vars = max(dc.vars, len(sc.vars))
		dc.members = max(dc.members, len(c.members[ref]))
	}()
	sc.dynParent = s
	sc.container = ref
	sc.tags = append(dc.tags, callerTags...)
	sc.vars["title"] = variable{value: ref.Title, at: at}
	sc.vars["name"] = variable{value: ref.Title, at: at}
	sc.vars["module_name"] = variable{value: dc.module, at: at}
	setCallerModule(sc, s, at)
	params := make([]attr, 0, len(attrs))
	for _, a := range attrs {
		if rel, ok := relationMetaparams[a.name]; ok {
			if a.value != nil {
				c.addMetaparamRelations(ref, a, rel.refFirst, rel.refresh)
			}
			continue
		}
		if a.name == "tag" {
			for _, t := range flatten(a.value) {
				sc.tags = append(sc.tags, strings.ToLower(ToString(t)))
			}
			continue
		}
		if a.name == "name" && a.value != nil {
			sc.vars["name"] = variable{value: a.value, at: a.at}
			continue
		}
		params = append(params, a)
	}
	if err := c.bindParams(ref, def.Params, params, sc, *at); err != nil {
		c.report(err, *at)
		return
	}
	if def.Body != nil {
		c.evalBlock(def.Body.Body, sc)
		c.endBody(false)
	}
}

// evalNode evaluates the node definition that matches the node's name:
// an exact name (the certname, then each shorter domain), then a regexp,
// then default. Without any node definition there is nothing to do.
func (c *compiler) evalNode() {
	if len(c.defs.nodes) == 0 {
		return
	}
	names := []string{c.opts.Node}
	for n := c.opts.Node; strings.Contains(n, "."); {
		n = n[:strings.LastIndexByte(n, '.')]
		names = append(names, n)
	}
	node, matched := c.findNode(names)
	if node == nil {
		first := c.defs.nodes[0].Range()
		c.report(errorf(first, "Could not find node statement with name 'default' or '%s'", strings.Join(names, ", ")), first)
		return
	}
	sc := newScope(c.top)
	sc.container = catalog.Ref{Type: "Node", Title: matched}
	nodeAt := node.Range()
	c.declared[sc.container] = &nodeAt
	c.nodeScope = sc
	defer func() { c.nodeScope = nil }()
	if node.Body != nil {
		c.evalBlock(node.Body.Body, sc)
		c.endBody(false)
	}
}

func (c *compiler) findNode(names []string) (*parser.NodeDef, string) {
	for _, n := range names {
		for _, nd := range c.defs.nodes {
			for _, m := range nd.Matches {
				var lit string
				switch m := m.(type) {
				case *parser.String:
					lit = m.Value
				case *parser.QualifiedName:
					lit = m.Name
				default:
					continue
				}
				if strings.EqualFold(lit, n) {
					return nd, lit
				}
			}
		}
	}
	for _, nd := range c.defs.nodes {
		for _, m := range nd.Matches {
			if re, ok := m.(*parser.Regex); ok {
				if rx, err := regexp.Compile(re.Pattern); err == nil && rx.MatchString(c.opts.Node) {
					return nd, c.opts.Node
				}
			}
		}
	}
	for _, nd := range c.defs.nodes {
		for _, m := range nd.Matches {
			if _, ok := m.(*parser.Default); ok {
				return nd, "default"
			}
		}
	}
	return nil, ""
}

// classNames flattens the arguments of include, contain and require:
// names, arrays of names and Class references.
func classNames(cl *call, args []any) ([]string, error) {
	var out []string
	for _, a := range flatten(args) {
		switch a := a.(type) {
		case string:
			out = append(out, a)
		case catalog.Ref:
			if a.Type != "Class" {
				return nil, cl.errorf("expects class names, got %s", a)
			}
			out = append(out, a.Title)
		case TypeRef:
			out = append(out, a.Name)
		default:
			return nil, cl.errorf("expects class names, got %s", typeName(a))
		}
	}
	return out, nil
}

// fnInclude declares classes; contain also puts them in the current
// container, and require makes the current container depend on them.
func classFunc(mode string) function {
	return func(cl *call, args []any) (any, error) {
		names, err := classNames(cl, args)
		if err != nil {
			return nil, err
		}
		container, _ := cl.scope.containerOf()
		var refs []any
		for _, n := range names {
			ref, err := cl.c.declareClassFrom(n, nil, false, cl.expr.Range(), cl.scope)
			if err != nil {
				return nil, err
			}
			refs = append(refs, ref)
			switch mode {
			case "contain":
				cl.c.contain(container, ref)
			case "require":
				cl.c.relations = append(cl.c.relations, relation{source: ref, target: container, at: &cl.expr.Loc})
			}
		}
		return refs, nil
	}
}
