package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// relation is a relationship waiting for every resource to be declared.
type relation struct {
	source, target catalog.Ref
	refresh        bool
	at             *hcl.Range // into the syntax tree: there is one per edge
	// param is the metaparameter that made it ("require", ...); "" for
	// a chaining arrow.
	param string
	// owner is the resource that carries the metaparameter.
	owner catalog.Ref
}

// relationMetaparams maps each relationship metaparameter to whether the
// referenced resources come first, and whether refresh events flow.
var relationMetaparams = map[string]struct{ refFirst, refresh bool }{
	"require":   {refFirst: true},
	"subscribe": {refFirst: true, refresh: true},
	"before":    {},
	"notify":    {refresh: true},
}

// attr is an evaluated attribute of a resource body. Where it was written
// is a pointer into the syntax tree: bodies are evaluated once per
// instance of a define, and a range is much larger than the pointer.
type attr struct {
	name  string
	value any
	at    *hcl.Range
}

// evalResourceDecl declares one resource per title of every body and
// evaluates to the references of those resources.
func (c *compiler) evalResourceDecl(e *parser.ResourceDecl, s *scope) (any, error) {
	typeName := strings.ToLower(strings.TrimPrefix(e.Type, "::"))
	rt, err := c.resourceType(typeName, e.TypeRange)
	if err != nil {
		return nil, err
	}
	builtin := rt != nil
	if e.Form != parser.Regular && !builtin && typeName == "class" {
		return nil, errorf(e.Range(), "Classes are not virtualizable")
	}
	if e.Form == parser.Exported {
		c.warn(e.Range(), "You cannot collect exported resources without storeconfigs being set; the export is ignored")
	}
	d := declarer{typeName: typeName, s: s, form: e.Form}
	switch {
	case builtin:
		d.rt, d.virtual = rt, e.Form != parser.Regular
	case typeName == "class":
		d.class = true
	case c.findDefine(typeName, e.TypeRange):
		d.def = c.defs.defines[typeName]
	default:
		return nil, errorf(e.TypeRange, "Unknown resource type: '%s'", typeName)
	}
	var refs []any
	for _, body := range e.Bodies {
		got, err := c.evalResourceBody(&d, body, s)
		if err != nil {
			c.report(err, body.Range())
		}
		if refs == nil {
			refs = got // most declarations have one body: no copy
		} else {
			refs = append(refs, got...)
		}
	}
	if refs == nil {
		refs = []any{}
	}
	return refs, nil
}

// declarer is what declares the resources of one declaration: a
// built-in type (rt), a class, or a defined type (def), in scope s. A
// value rather than a closure, so that a declaration allocates none.
type declarer struct {
	rt       *resources.Type
	virtual  bool
	class    bool
	typeName string
	def      *parser.DefineDef
	s        *scope
	// form is the declaration's: a virtual or exported instance of a
	// defined type waits for a collector or realize().
	form parser.ResourceForm
}

// declareOne declares one resource of a body, reporting its own
// problems; false means nothing was declared.
func (c *compiler) declareOne(d *declarer, title string, body *parser.ResourceBody, attrs []attr) (catalog.Ref, bool) {
	switch {
	case d.rt != nil:
		m, ok := c.declare(d.rt, title, body, attrs, d.s)
		if !ok {
			return catalog.Ref{}, false
		}
		if d.virtual {
			m.virtual = true
			c.virtuals = true
		}
		return m.res.Ref(), true
	case d.class:
		ref, err := c.declareClassFrom(title, attrs, true, body.Title.Range(), d.s)
		if err != nil {
			c.report(err, body.Title.Range())
			return ref, false
		}
		return ref, true
	}
	return c.declareDefined(d.typeName, d.def, title, body, attrs, d.s, d.form)
}

// evalResourceBody evaluates one `title: attrs` body. Problems with one
// resource are reported and its other titles are still declared.
func (c *compiler) evalResourceBody(d *declarer, body *parser.ResourceBody, s *scope) ([]any, error) {
	tv, err := c.eval(body.Title, s)
	if err != nil {
		return nil, err
	}
	var one [1]string
	titles := one[:0]
	if t, ok := tv.(string); ok && t != "" {
		titles = append(titles, t) // the common case, without titleList's slice
	} else if titles, err = titleList(tv, body.Title.Range()); err != nil {
		return nil, err
	}
	attrs, err := c.evalAttrs(body.Ops, s)
	if err != nil {
		return nil, err
	}
	refs := make([]any, 0, len(titles))
	for _, title := range titles {
		if ref, ok := c.declareOne(d, title, body, attrs); ok {
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// titleList flattens a title value into strings.
func titleList(v any, rng hcl.Range) ([]string, error) {
	return appendTitles(nil, v, rng)
}

// appendTitles appends the titles v stands for to out.
func appendTitles(out []string, v any, rng hcl.Range) ([]string, error) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil, errorf(rng, "Missing title. The title expression resulted in an empty string")
		}
		return append(out, v), nil
	case []any:
		for _, el := range v {
			var err error
			if out, err = appendTitles(out, el, rng); err != nil {
				return nil, err
			}
		}
		return out, nil
	case nil:
		return nil, errorf(rng, "Missing title. The title expression resulted in undef")
	case int64, float64, bool:
		return append(out, ToString(v)), nil
	}
	return nil, errorf(rng, "Illegal title type: %s", typeName(v))
}

// evalAttrs evaluates attribute operations, unfolding `* => $hash`.
func (c *compiler) evalAttrs(ops []*parser.AttributeOp, s *scope) ([]attr, error) {
	out := make([]attr, 0, len(ops))
	add := func(a attr) error {
		// A linear search: bodies have a handful of attributes, and a
		// map would cost more than the comparisons.
		if slices.ContainsFunc(out, func(b attr) bool { return b.name == a.name }) {
			return errorf(*a.at, "The attribute '%s' has already been set", a.name)
		}
		out = append(out, a)
		return nil
	}
	for _, op := range ops {
		if op.Op == parser.OpAppend {
			return nil, errorf(op.Range(), "Illegal +> operation on attribute %s. This operator can not be used in a resource declaration", op.Name)
		}
		v, err := c.eval(op.Value, s)
		if err != nil {
			return nil, err
		}
		if op.Splat {
			h, ok := v.(*Hash)
			if !ok {
				return nil, errorf(op.Value.Range(), "The value of '* =>' must be a Hash, got %s", typeName(v))
			}
			for i, k := range h.Keys() {
				name, ok := k.(string)
				if !ok {
					return nil, errorf(op.Value.Range(), "attribute names must be Strings, got %s", typeName(k))
				}
				if err := add(attr{name: name, value: h.Values()[i], at: &op.Loc}); err != nil {
					return nil, err
				}
			}
			continue
		}
		at := &op.NameRange
		if at.Filename == "" && at.Start.Byte == at.End.Byte {
			at = &op.Loc
		}
		if err := add(attr{name: op.Name, value: v, at: at}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// declare adds one resource to the catalog. It reports its own problems
// and returns false when the resource could not be declared at all.
func (c *compiler) declare(rt *resources.Type, title string, body *parser.ResourceBody, attrs []attr, s *scope) (*resMeta, bool) {
	ref := catalog.Ref{Type: c.refType(rt.Name), Title: title}
	at := body.Title.Range()
	if !c.checkDuplicate(ref, ref, body) {
		return nil, false
	}
	m := &resMeta{rt: rt, at: at}
	c.declared[ref] = &m.at
	// Defaults apply to attributes the body does not set. attrs is
	// shared by the titles of the body, so it is copied before growing.
	all := withDefaults(attrs, s, rt.Name)
	res := &catalog.Resource{
		Type:       ref.Type,
		Title:      title,
		Parameters: make(map[string]any, len(all)+1),
		File:       at.Filename,
		Line:       at.Start.Line,
	}
	var userTags []string
	for _, a := range all {
		if !c.checkParam(rt, ref, a) {
			continue
		}
		if a.value == nil {
			continue // undef means "not set"
		}
		if rel, ok := relationMetaparams[a.name]; ok {
			c.addMetaparamRelations(ref, a, rel.refFirst, rel.refresh)
			continue
		}
		if a.name == "tag" {
			for _, t := range flatten(a.value) {
				userTags = append(userTags, strings.ToLower(ToString(t)))
			}
			continue
		}
		if a.name == "alias" {
			for _, n := range flatten(a.value) {
				c.addAlias(ref, catalog.Ref{Type: ref.Type, Title: ToString(n)}, body)
			}
			continue
		}
		if sv, ok := a.value.(*Sensitive); ok {
			res.Parameters[a.name] = ToData(sv.Value)
			res.Sensitive = append(res.Sensitive, a.name)
		} else {
			res.Parameters[a.name] = ToData(a.value)
		}
	}
	namevar := rt.Namevar()
	if nv, ok := res.Parameters[namevar]; !ok {
		res.Parameters[namevar] = title
	} else if s, isStr := nv.(string); isStr && s != title && !nonIsomorphic[rt.Name] {
		c.addAlias(ref, catalog.Ref{Type: ref.Type, Title: s}, body)
	}
	for _, p := range rt.Params {
		if p.Required && !p.Namevar {
			if _, ok := res.Parameters[p.Name]; !ok {
				c.diags = append(c.diags, errorf(at, "%s: expects a value for parameter '%s'", ref, p.Name).(*evalError).diag)
			}
		}
	}
	container, scopeTags := s.containerOf()
	res.Tags = c.tagsFor(rt.Name, userTags, scopeTags)
	c.containNew(container, ref)
	if rt.New != nil {
		if _, err := rt.New(res); err != nil {
			d := errorf(at, "%s: %v", ref, err).(*evalError)
			d.diag.Context = rangePtr(body.Range())
			c.diags = append(c.diags, d.diag)
		}
	}
	c.cat.Resources = append(c.cat.Resources, res)
	m.res, m.container = res, container
	c.metas = append(c.metas, m)
	return m, true
}

// nonIsomorphic are the types whose namevar does not identify what they
// manage, so two of them may share it (two execs of one command).
var nonIsomorphic = map[string]bool{"exec": true}

// checkDuplicate reports a declaration of name (the title or another
// name of ref) when a resource already has that name.
func (c *compiler) checkDuplicate(ref, name catalog.Ref, body *parser.ResourceBody) bool {
	prev, dup := c.declaredAt(name)
	if real, isAlias := c.aliases[name]; isAlias && real != ref {
		prev, _ = c.declaredAt(real)
		dup = true
	}
	if !dup || (name != ref && c.aliases[name] == ref) {
		return true
	}
	d := errorf(body.Title.Range(), "Duplicate declaration: %s is already declared at %s; cannot redeclare", name, location(prev)).(*evalError)
	d.diag.Context = rangePtr(body.Range())
	c.diags = append(c.diags, d.diag)
	return false
}

// addAlias gives ref another name by which it can be referenced and
// which no other resource may have.
func (c *compiler) addAlias(ref, name catalog.Ref, body *parser.ResourceBody) {
	if name == ref {
		return
	}
	if c.checkDuplicate(ref, name, body) {
		c.aliases[name] = ref
	}
}

// checkParam reports an attribute the type does not have, suggesting the
// closest name it does have.
func (c *compiler) checkParam(rt *resources.Type, ref catalog.Ref, a attr) bool {
	if _, ok := rt.Param(a.name); ok || slices.Contains(resources.Metaparams, a.name) {
		return true
	}
	names := slices.Clone(resources.Metaparams)
	for _, p := range rt.Params {
		names = append(names, p.Name)
	}
	msg := fmt.Sprintf("unknown parameter '%s' for %s", a.name, ref.Type)
	if s := suggest(a.name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean '%s'?)", s)
	}
	d := errorf(*a.at, "%s", msg).(*evalError)
	d.diag.Detail = fmt.Sprintf("%s accepts: %s.", ref.Type, strings.Join(paramNames(rt), ", "))
	c.diags = append(c.diags, d.diag)
	return false
}

func paramNames(rt *resources.Type) []string {
	var out []string
	for _, p := range rt.Params {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// resourceTags are Puppet's automatic tags (the type, the tag
// metaparameter's, then those of the enclosing classes and defines), without
// repeats.
func resourceTags(typeName string, user []string, scopeTags []string) []string {
	out := make([]string, 1, 2+len(user)+len(scopeTags))
	out[0] = typeName
	for _, list := range [...][]string{user, scopeTags, {"class"}} {
		for _, t := range list {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// tagsFor is resourceTags, shared with the last resource declared without
// a tag metaparameter when this one has none either, and the same type
// and scope: the resources of a define's instance mostly have one list.
// Sharing is safe as the list is clipped: adding a tag to one resource
// copies it.
func (c *compiler) tagsFor(typeName string, user, scopeTags []string) []string {
	last := &c.lastTags
	if len(user) == 0 && last.typ == typeName && sameSlice(last.scope, scopeTags) {
		return last.tags
	}
	tags := slices.Clip(resourceTags(typeName, user, scopeTags))
	if len(user) == 0 {
		last.typ, last.scope, last.tags = typeName, scopeTags, tags
	}
	return tags
}

// sameSlice tells whether a and b are the same slice of the same array.
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// flatten returns v's elements when v is an array (recursively), or v.
func flatten(v any) []any {
	a, ok := v.([]any)
	if !ok {
		return []any{v}
	}
	out := appendFlat(make([]any, 0, len(a)), a)
	if len(out) == 0 {
		return nil
	}
	return out
}

// appendFlat appends the elements of a to out, those of nested arrays in
// their place.
func appendFlat(out, a []any) []any {
	for _, el := range a {
		if inner, ok := el.([]any); ok {
			out = appendFlat(out, inner)
		} else {
			out = append(out, el)
		}
	}
	return out
}

func rangePtr(r hcl.Range) *hcl.Range { return &r }

// addMetaparamRelations records the relationships of require, before,
// notify or subscribe on resource owner.
func (c *compiler) addMetaparamRelations(owner catalog.Ref, a attr, refFirst, refresh bool) {
	for _, v := range flatten(a.value) {
		ref, err := toRef(v, *a.at)
		if err != nil {
			c.report(err, *a.at)
			continue
		}
		r := relation{source: owner, target: ref, refresh: refresh, at: a.at, param: a.name, owner: owner}
		if refFirst {
			r.source, r.target = ref, owner
		}
		c.relations = append(c.relations, r)
	}
}

// toRef accepts a reference, or a string in its "Type[title]" form.
func toRef(v any, at hcl.Range) (catalog.Ref, error) {
	switch v := v.(type) {
	case catalog.Ref:
		return v, nil
	case string:
		if r, err := catalog.ParseRef(v); err == nil {
			return r, nil
		}
	}
	return catalog.Ref{}, errorf(at, "expected a resource reference such as File['/x'], got %s", quoted(v))
}

// withDefaults is attrs plus the defaults in scope s for type typ that
// attrs does not set. attrs is shared by the titles of a body, so it is
// copied before growing.
func withDefaults(attrs []attr, s *scope, typ string) []attr {
	defaults := s.resourceDefaults(typ)
	if len(defaults) == 0 {
		return attrs
	}
	all := slices.Grow(slices.Clone(attrs), len(defaults))
	for _, d := range defaults {
		if !slices.ContainsFunc(all, func(a attr) bool { return a.name == d.name }) {
			all = append(all, d)
		}
	}
	return all
}

// evalResourceDefaults records `Type { attr => value }` in the scope.
// Defaults for a defined type (`Apache::Vhost { port => 8080 }`) are
// kept by its name; its parameters check them when an instance is
// declared, as Puppet does.
func (c *compiler) evalResourceDefaults(e *parser.ResourceDefaults, s *scope) (any, error) {
	typeName := strings.ToLower(strings.TrimPrefix(e.Type.Name, "::"))
	rt, err := c.resourceType(typeName, e.Type.Range())
	if err != nil {
		return nil, err
	}
	ok := rt != nil
	if !ok && !c.findDefine(typeName, e.Type.Range()) {
		return nil, errorf(e.Type.Range(), "Unknown resource type: '%s'", typeName)
	}
	attrs, err := c.evalAttrs(e.Ops, s)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.addDefault(typeName, attrs)
		return nil, nil
	}
	var defs []attr
	for _, a := range attrs {
		if c.checkParam(rt, catalog.Ref{Type: catalog.CapitalizeType(rt.Name)}, a) {
			defs = append(defs, a)
		}
	}
	s.addDefault(rt.Name, defs)
	return nil, nil
}

// evalChain records the relationship of an arrow between the resources
// on each side, and evaluates to the right side so chains continue.
func (c *compiler) evalChain(e *parser.Chain, s *scope) (any, error) {
	l, err := c.eval(e.Left, s)
	if err != nil {
		return nil, err
	}
	r, err := c.eval(e.Right, s)
	if err != nil {
		return nil, err
	}
	lrefs, lcolls, err := c.chainRefs(l, e.Left.Range())
	if err != nil {
		return nil, err
	}
	rrefs, rcolls, err := c.chainRefs(r, e.Right.Range())
	if err != nil {
		return nil, err
	}
	ch := collChain{first: lrefs, then: rrefs, firstColls: lcolls, thenColls: rcolls, at: &e.OpRange}
	if e.Op == parser.OpRequire || e.Op == parser.OpSubscribe {
		ch.first, ch.then, ch.firstColls, ch.thenColls = rrefs, lrefs, rcolls, lcolls
	}
	ch.refresh = e.Op == parser.OpNotify || e.Op == parser.OpSubscribe
	if lcolls != nil || rcolls != nil {
		c.collChains = append(c.collChains, ch) // once collectors have run
	} else {
		c.addChain(ch)
	}
	return r, nil
}

// collChain is a chaining arrow between references and collectors.
type collChain struct {
	first, then           []catalog.Ref
	firstColls, thenColls []*collection
	refresh               bool
	at                    *hcl.Range
}

// addChain records the relationships of an arrow, collectors standing
// for what they matched.
func (c *compiler) addChain(ch collChain) {
	first, then := ch.first, ch.then
	for _, coll := range ch.firstColls {
		first = append(first, coll.matched...)
	}
	for _, coll := range ch.thenColls {
		then = append(then, coll.matched...)
	}
	for _, a := range first {
		for _, b := range then {
			c.relations = append(c.relations, relation{source: a, target: b, refresh: ch.refresh, at: ch.at})
		}
	}
}

func refList(v any, at hcl.Range) ([]catalog.Ref, error) {
	var out []catalog.Ref
	for _, x := range flatten(v) {
		ref, err := toRef(x, at)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

// finish resolves the relationships into edges once every resource is
// declared.
func (c *compiler) finish() {
	c.resolveLate()
	for _, ch := range c.collChains {
		c.addChain(ch)
	}
	// A relationship stands for an edge between each of the resources
	// its two ends expand to. The ends are expanded first, into one
	// buffer, so that the edges are counted and take one allocation;
	// their repeats are dropped last, with a set made at its size.
	type span struct {
		start, nsrc, ndst int
		refresh           bool
	}
	ends := make([]catalog.Ref, 0, 2*len(c.relations))
	spans := make([]span, 0, len(c.relations))
	count := 0
	for _, r := range c.relations {
		if c.dropped[r.owner] {
			continue // a metaparameter of a virtual resource never realized
		}
		src, srcOK := c.resolve(r.source)
		dst, dstOK := c.resolve(r.target)
		missing, other, word := r.target, r.source, "from"
		if !srcOK {
			missing, other, word = r.source, r.target, "on"
		} else if dstOK {
			sp := span{start: len(ends), refresh: r.refresh}
			ends = c.expandInto(ends, src)
			sp.nsrc = len(ends) - sp.start
			ends = c.expandInto(ends, dst)
			sp.ndst = len(ends) - sp.start - sp.nsrc
			spans = append(spans, sp)
			count += sp.nsrc * sp.ndst
			continue
		}
		if r.param != "" {
			c.diags = append(c.diags, errorf(*r.at, "Could not find resource '%s' in parameter '%s' of %s", missing, r.param, r.owner).(*evalError).diag)
			continue
		}
		c.diags = append(c.diags, errorf(*r.at, "Could not find resource '%s' for relationship %s '%s'", missing, word, other).(*evalError).diag)
	}
	first := len(c.cat.Edges)
	c.cat.Edges = slices.Grow(c.cat.Edges, count)
	for _, sp := range spans {
		srcs := ends[sp.start : sp.start+sp.nsrc]
		dsts := ends[sp.start+sp.nsrc : sp.start+sp.nsrc+sp.ndst]
		for _, src := range srcs {
			for _, dst := range dsts {
				if src != dst {
					c.cat.Edges = append(c.cat.Edges, catalog.Edge{Source: src, Target: dst, Refresh: sp.refresh})
				}
			}
		}
	}
	seen := make(map[catalog.Edge]bool, len(c.cat.Edges)-first)
	kept := c.cat.Edges[:first]
	for _, e := range c.cat.Edges[first:] {
		if !seen[e] {
			seen[e] = true
			kept = append(kept, e)
		}
	}
	c.cat.Edges = kept
}
