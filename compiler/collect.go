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

// Virtual resources, collectors and overrides all change resources after
// they are declared, so they are resolved once evaluation is over, in this
// order, before relationships become edges:
//
//  1. collectors (Type <| query |>), repeatedly until nothing new matches:
//     each realizes the resources it matches and applies its attribute
//     block to them;
//  2. realize() calls;
//  3. overrides (Type['title'] { attr => value }), in evaluation order;
//  4. virtual resources that nothing realized leave the catalog.
//
// As in Puppet, a collector matches resources declared after it, and an
// override may come before the resource it changes.

// resMeta is what the compiler remembers of a declared resource.
type resMeta struct {
	res *catalog.Resource
	rt  *resources.Type
	// container is the class or defined resource that declared it, for
	// the rule that only subclasses may override.
	container catalog.Ref
	// virtual is true until the resource is realized (also for exported
	// resources, which puppet apply treats alike).
	virtual bool
	at      hcl.Range
}

// collection is the value of a collector expression: the resources it
// matched once collection ran, for relationships with it.
type collection struct {
	typ string
	// defined tells a collector over a defined type (virtualdefs.go).
	defined bool
	query   func(*catalog.Resource) bool
	attrs   []attrOp
	matched []catalog.Ref
	seen    map[catalog.Ref]bool
	at      hcl.Range
	scope   *scope
}

// attrOp is an attribute of an override or collector block: set (=>) or
// append (+>).
type attrOp struct {
	attr
	appends bool
}

// override is a queued Type['title'] { ... }.
type override struct {
	refs  []catalog.Ref
	attrs []attrOp
	scope *scope
	at    hcl.Range
}

// realization is a queued realize() call.
type realization struct {
	refs []catalog.Ref
	at   hcl.Range
}

// evalOpAttrs evaluates the attribute block of an override or collector,
// where +> is allowed.
func (c *compiler) evalOpAttrs(ops []*parser.AttributeOp, s *scope) ([]attrOp, error) {
	var out []attrOp
	for _, op := range ops {
		plain := *op
		plain.Op = parser.OpArrow
		attrs, err := c.evalAttrs([]*parser.AttributeOp{&plain}, s)
		if err != nil {
			return nil, err
		}
		for _, a := range attrs {
			out = append(out, attrOp{attr: a, appends: op.Op == parser.OpAppend})
		}
	}
	return out, nil
}

// evalOverride queues `Type['title'] { ... }`.
func (c *compiler) evalOverride(e *parser.ResourceOverride, s *scope) (any, error) {
	target, err := c.eval(e.Target, s)
	if err != nil {
		return nil, err
	}
	refs, err := refList(target, e.Target.Range())
	if err != nil {
		return nil, err
	}
	attrs, err := c.evalOpAttrs(e.Ops, s)
	if err != nil {
		return nil, err
	}
	c.overrides = append(c.overrides, override{refs: refs, attrs: attrs, scope: s, at: e.Range()})
	return nil, nil
}

// evalCollector registers a collector and evaluates to it, so that it can
// take part in a chain (Package <| |> -> Service <| |>).
func (c *compiler) evalCollector(e *parser.Collector, s *scope) (any, error) {
	typ := catalog.CapitalizeType(strings.TrimPrefix(e.Type.Name, "::"))
	lower := strings.ToLower(typ)
	rt, err := c.resourceType(lower, e.Type.Range())
	if err != nil {
		return nil, err
	}
	defined := rt == nil && c.findDefine(lower, e.Type.Range())
	if rt == nil && !defined {
		return nil, errorf(e.Type.Range(), "Resource type %s doesn't exist", typ)
	}
	coll := &collection{typ: typ, defined: defined, seen: map[catalog.Ref]bool{}, at: e.Range(), scope: s}
	if e.Exported {
		// puppet apply has no storeconfigs: Puppet warns and collects
		// nothing, not even this node's own exported resources.
		c.warn(e.Range(), "You cannot collect exported resources without storeconfigs being set; the collection will be ignored")
		return coll, nil
	}
	q := func(*catalog.Resource) bool { return true }
	if e.Query != nil {
		var err error
		if q, err = c.compileQuery(e.Query, s); err != nil {
			return nil, err
		}
	}
	attrs, err := c.evalOpAttrs(e.Ops, s)
	if err != nil {
		return nil, err
	}
	coll.query, coll.attrs = q, attrs
	c.collections = append(c.collections, coll)
	return coll, nil
}

// compileQuery turns a collector query into a predicate: attribute ==
// value, attribute != value, and, or, parentheses. The values are
// evaluated now, in the collector's scope. `tag == x` matches a resource
// tagged x; an array attribute matches when an element does.
func (c *compiler) compileQuery(e parser.Expr, s *scope) (func(*catalog.Resource) bool, error) {
	switch e := e.(type) {
	case *parser.Paren:
		return c.compileQuery(e.Inner, s)
	case *parser.Binary:
		switch e.Op {
		case parser.OpAnd, parser.OpOr:
			l, err := c.compileQuery(e.Left, s)
			if err != nil {
				return nil, err
			}
			r, err := c.compileQuery(e.Right, s)
			if err != nil {
				return nil, err
			}
			if e.Op == parser.OpAnd {
				return func(res *catalog.Resource) bool { return l(res) && r(res) }, nil
			}
			return func(res *catalog.Resource) bool { return l(res) || r(res) }, nil
		case parser.OpEq, parser.OpNe:
			name, ok := e.Left.(*parser.QualifiedName)
			if !ok {
				return nil, errorf(e.Left.Range(), "a collector query compares an attribute name with a value")
			}
			want, err := c.eval(e.Right, s)
			if err != nil {
				return nil, err
			}
			neg := e.Op == parser.OpNe
			return func(res *catalog.Resource) bool {
				return queryMatch(res, name.Name, want) != neg
			}, nil
		}
	}
	return nil, errorf(e.Range(), "collector queries support ==, !=, and, or and parentheses")
}

func queryMatch(res *catalog.Resource, name string, want any) bool {
	var have any
	switch name {
	case "title":
		have = res.Title
	case "tag":
		return slices.ContainsFunc(res.Tags, func(t string) bool { return equal(t, want) })
	default:
		v, ok := res.Parameters[name]
		if !ok {
			return want == nil
		}
		have = FromData(v)
	}
	if a, ok := have.([]any); ok {
		return slices.ContainsFunc(a, func(x any) bool { return equal(x, want) })
	}
	return equal(have, want)
}

// fnRealize queues the realization of virtual resources.
func fnRealize(cl *call, args []any) (any, error) {
	refs, err := refList(args, cl.expr.Range())
	if err != nil {
		return nil, err
	}
	cl.c.realizations = append(cl.c.realizations, realization{refs: refs, at: cl.expr.Range()})
	return nil, nil
}

// validTag is the form of a tag: word characters, and - . : after the
// first.
var validTag = regexp.MustCompile(`^\w[-.:\w]*$`)

// fnTag adds tags to the current class or defined resource: every
// resource it contains gets them.
func fnTag(cl *call, args []any) (any, error) {
	container, _ := cl.scope.containerOf()
	for _, t := range flatten(args) {
		tag := strings.ToLower(ToString(t))
		if !validTag.MatchString(tag) {
			return nil, cl.errorf("Invalid tag '%s'", ToString(t))
		}
		cl.c.extraTags[container] = append(cl.c.extraTags[container], tag)
	}
	return nil, nil
}

// fnTagged tells whether the current container has all the given tags.
func fnTagged(cl *call, args []any) (any, error) {
	_, tags := cl.scope.containerOf()
	container, _ := cl.scope.containerOf()
	tags = append(slices.Clone(tags), cl.c.extraTags[container]...)
	for _, t := range flatten(args) {
		if !slices.Contains(tags, strings.ToLower(ToString(t))) {
			return false, nil
		}
	}
	return true, nil
}

func init() {
	functions["realize"] = fnRealize
	functions["tag"] = fnTag
	functions["tagged"] = fnTagged
}

// resolveLate runs the collectors, realizations and overrides, and drops
// the virtual resources nothing realized.
func (c *compiler) resolveLate() {
	// Realizing a defined resource evaluates its body, which may declare
	// more collectors, realize() calls and virtual resources: both run
	// until neither finds anything new.
	// Declared defined resources wait for their rounds here too, after
	// the collectors as in Puppet.
	for done, changed := 0, true; changed; {
		changed = c.runCollectors()
		for ; done < len(c.realizations); done++ {
			changed = c.realize(c.realizations[done]) || changed
		}
		changed = c.evalQueued() || changed
	}
	for _, o := range c.overrides {
		var missing []string
		for _, ref := range o.refs {
			real, ok := c.resolve(ref)
			m := c.metaOf(real)
			if !ok || m == nil {
				missing = append(missing, ref.String())
				continue
			}
			c.applyOverride(m, o.attrs, o.at, false, o.scope)
		}
		if missing != nil {
			c.report(errorf(o.at, "Could not find resource(s) %s for overriding", strings.Join(missing, ", ")), o.at)
		}
	}
	if c.virtuals { // else there is nothing to drop, and no need to look
		kept := c.cat.Resources[:0]
		for i, res := range c.cat.Resources {
			if c.metas[i].virtual {
				c.dropped[res.Ref()] = true
				delete(c.declared, res.Ref())
				continue
			}
			kept = append(kept, res)
		}
		c.cat.Resources = kept
		c.dropWaitingInstances()
	}
	c.propagateTags()
}

// runCollectors runs every collector until none matches anything new,
// and reports whether any matched something.
func (c *compiler) runCollectors() bool {
	matched := false
	for changed := true; changed; {
		changed = false
		for _, coll := range c.collections {
			if coll.defined {
				changed = c.collectDefined(coll) || changed
				continue
			}
			for i, res := range c.cat.Resources {
				ref := res.Ref()
				if res.Type != coll.typ || coll.seen[ref] || !coll.query(res) {
					continue
				}
				coll.seen[ref] = true
				coll.matched = append(coll.matched, ref)
				changed = true
				m := c.metas[i]
				m.virtual = false
				if len(coll.attrs) > 0 {
					c.applyOverride(m, coll.attrs, coll.at, true, coll.scope)
				}
			}
		}
		matched = matched || changed
	}
	return matched
}

// realize realizes the resources of a realize() call, and reports
// whether it evaluated a defined resource (which may declare more).
func (c *compiler) realize(r realization) bool {
	evaluated := false
	for _, ref := range r.refs {
		real, ok := c.resolve(ref)
		if m := c.metaOf(real); ok && m != nil {
			m.virtual = false
			continue
		}
		if inst := c.instanceOf(real); ok && inst != nil {
			if inst.pending != nil && !inst.pending.queued {
				c.realizeDefined(inst, nil)
				evaluated = true
			}
			continue
		}
		c.report(errorf(r.at, "Failed to realize virtual resources %s", ref), r.at)
	}
	return evaluated
}

// applyOverride sets the attributes of an override or collector block on
// a declared resource. Puppet lets a collector change anything, an
// override only from a class that inherits the declaring class, or from
// the declaring scope itself for attributes not yet set.
func (c *compiler) applyOverride(m *resMeta, attrs []attrOp, at hcl.Range, collector bool, s *scope) {
	from, _ := s.containerOf()
	subclass := collector || c.inherits(from, m.container)
	ref := m.res.Ref()
	changed := false
	for _, a := range attrs {
		if !c.checkParam(m.rt, ref, a.attr) {
			continue
		}
		if !subclass {
			if from != m.container {
				c.report(errorf(at, "Only subclasses can override parameters"), at)
				return
			}
			if _, set := m.res.Parameters[a.name]; set {
				c.report(errorf(*a.at, "Parameter '%s' is already set on %s at %s; cannot redefine", a.name, ref, location(m.at)), *a.at)
				continue
			}
		}
		if rel, ok := relationMetaparams[a.name]; ok {
			if a.value != nil {
				c.addMetaparamRelations(ref, a.attr, rel.refFirst, rel.refresh)
			}
			continue
		}
		switch a.name {
		case "tag":
			for _, t := range flatten(a.value) {
				if tag := strings.ToLower(ToString(t)); !slices.Contains(m.res.Tags, tag) {
					m.res.Tags = append(m.res.Tags, tag)
				}
			}
			continue
		case "alias":
			continue
		}
		changed = true
		if a.value == nil {
			delete(m.res.Parameters, a.name)
			continue
		}
		v := ToData(a.value)
		if old, set := m.res.Parameters[a.name]; set && a.appends {
			merged := append(flatten(FromData(old)), flatten(a.value)...)
			v = ToData(merged)
		}
		m.res.Parameters[a.name] = v
	}
	if changed && m.rt.New != nil {
		if _, err := m.rt.New(m.res); err != nil {
			c.report(errorf(at, "%s: %v", ref, err), at)
		}
	}
}

// inherits reports whether class child is parent or inherits from it.
func (c *compiler) inherits(child, parent catalog.Ref) bool {
	if child.Type != "Class" || parent.Type != "Class" {
		return false
	}
	name := className(child.Title)
	for seen := 0; name != "" && seen < 100; seen++ {
		def, ok := c.defs.classes[name]
		if !ok || def.Parent == "" {
			return false
		}
		name = className(def.Parent)
		if strings.EqualFold(classTitle(name), parent.Title) {
			return true
		}
	}
	return false
}

// propagateTags gives every resource the tags that tag() added to the
// classes and defined resources containing it.
func (c *compiler) propagateTags() {
	if len(c.extraTags) == 0 {
		return
	}
	byRef := map[catalog.Ref]*catalog.Resource{}
	for _, r := range c.cat.Resources {
		byRef[r.Ref()] = r
	}
	var visit func(container catalog.Ref, tags []string, seen map[catalog.Ref]bool)
	visit = func(container catalog.Ref, tags []string, seen map[catalog.Ref]bool) {
		if seen[container] {
			return
		}
		seen[container] = true
		for _, m := range c.members[container] {
			if r, ok := byRef[m]; ok {
				for _, t := range tags {
					if !slices.Contains(r.Tags, t) {
						r.Tags = append(r.Tags, t)
					}
				}
			}
			visit(m, tags, seen)
		}
	}
	for container, tags := range c.extraTags {
		visit(container, tags, map[catalog.Ref]bool{})
	}
}

// collectionRefs expands a side of a chain, where collectors stand for
// the resources they matched.
func (c *compiler) chainRefs(v any, at hcl.Range) ([]catalog.Ref, []*collection, error) {
	var refs []catalog.Ref
	var colls []*collection
	for _, x := range flatten(v) {
		if coll, ok := x.(*collection); ok {
			colls = append(colls, coll)
			continue
		}
		ref, err := toRef(x, at)
		if err != nil {
			return nil, nil, err
		}
		refs = append(refs, ref)
	}
	return refs, colls, nil
}

func (coll *collection) String() string { return fmt.Sprintf("%s <| |>", coll.typ) }
