package compiler

import (
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// Collectors and realize() over defined types. Puppet evaluates a
// virtual instance of a defined type (@foo::bar { ... }) only when a
// collector or realize() realizes it, and then its body's resources
// appear; a collector's attribute block sets the instance's parameters
// first. An exported instance (@@foo::bar) is not evaluated by puppet
// apply (there are no storeconfigs), but a plain collector realizes it
// as it does a virtual one; an exported collector (<<| |>>) collects
// nothing. Collectors over defined types also match the declared
// instances, for relationships (Class[x] -> Foo::Bar <| |>).
//
// Declared instances are queued as in Puppet (lazydefs.go), and
// collectors run before each round of them, so a collector's block sets
// the parameters of a declared instance too. One whose body ran before
// the collector was declared (in an earlier round) keeps its parameters,
// with Puppet's warning.

// defInstance is a declared instance of a defined type as collectors see
// it.
type defInstance struct {
	ref catalog.Ref
	// name is the define's lower-case name.
	name string
	// attrs are the parameters as declared, with the resource defaults.
	attrs []attr
	// s is the declaring scope.
	s *scope
	// pending is set while the instance's body waits to be evaluated.
	pending *pendingDefine
}

// pendingDefine is what evaluating a waiting instance needs besides its
// defInstance.
type pendingDefine struct {
	def    *parser.DefineDef
	at     *hcl.Range
	parent *scope
	// queued tells a declared instance, evaluated once the body that
	// declared it has ended, from a virtual or exported one.
	queued bool
}

// recordInstance remembers a declared instance of a defined type and
// returns where, for a virtual one to be given its pendingDefine. The
// records are values, not pointers: one allocation less per instance.
func (c *compiler) recordInstance(ref catalog.Ref, name string, attrs []attr, s *scope) *defInstance {
	if c.defInstances == nil {
		c.defInstances = map[string][]defInstance{}
	}
	insts := append(c.defInstances[ref.Type], defInstance{ref: ref, name: name, attrs: attrs, s: s})
	c.defInstances[ref.Type] = insts
	return &insts[len(insts)-1]
}

// instanceOf returns the record of the defined resource ref, or nil. The
// pointer is good until the next instance of the type is recorded.
func (c *compiler) instanceOf(ref catalog.Ref) *defInstance {
	insts := c.defInstances[ref.Type]
	for i := range insts {
		if insts[i].ref == ref {
			return &insts[i]
		}
	}
	return nil
}

// asResource is the instance as a collector query sees it: the
// parameters it was declared with (a define's own defaults are not
// parameters, as in Puppet) and its tags.
func (inst *defInstance) asResource() *catalog.Resource {
	res := &catalog.Resource{Type: inst.ref.Type, Title: inst.ref.Title, Parameters: map[string]any{}}
	_, callerTags := inst.s.containerOf()
	res.Tags = append(slices.Clone(nameTags(inst.name)), callerTags...)
	for _, a := range inst.attrs {
		switch {
		case a.name == "tag":
			for _, t := range flatten(a.value) {
				res.Tags = append(res.Tags, strings.ToLower(ToString(t)))
			}
		case a.value != nil:
			res.Parameters[a.name] = ToData(a.value)
		}
	}
	return res
}

// collectDefined runs a collector over the instances of its defined
// type, realizing the waiting ones; it reports whether anything new
// matched.
func (c *compiler) collectDefined(coll *collection) bool {
	changed := false
	// Realizing an instance may declare more of the same type: the
	// length is read again on each turn.
	for i := 0; i < len(c.defInstances[coll.typ]); i++ {
		inst := &c.defInstances[coll.typ][i] // good until realizeDefined records more
		if coll.seen[inst.ref] || !coll.query(inst.asResource()) {
			continue
		}
		coll.seen[inst.ref] = true
		coll.matched = append(coll.matched, inst.ref)
		changed = true
		switch {
		case inst.pending != nil && inst.pending.queued:
			if len(coll.attrs) > 0 { // its body has not run yet: it will see them
				inst.attrs = overrideAttrs(inst.attrs, coll.attrs)
			}
		case inst.pending != nil:
			c.realizeDefined(inst, coll.attrs)
		case len(coll.attrs) > 0:
			c.warn(coll.at, "Attempt to override an already evaluated resource, defined at %s, with new values", location(*c.declared[inst.ref]))
		}
	}
	return changed
}

// realizeDefined evaluates a waiting instance, with the attributes of
// the collector that realized it (if any) over its own. inst is not
// used once the body runs: evaluating it may move the records.
func (c *compiler) realizeDefined(inst *defInstance, ops []attrOp) {
	if len(ops) > 0 {
		inst.attrs = overrideAttrs(inst.attrs, ops)
	}
	c.evalPending(inst)
}

// overrideAttrs returns attrs with a collector's block applied: => sets
// (undef removes), +> appends to the value there. attrs may be shared by
// the titles of one body, so it is copied.
func overrideAttrs(attrs []attr, ops []attrOp) []attr {
	out := slices.Clone(attrs)
	for _, op := range ops {
		i := slices.IndexFunc(out, func(a attr) bool { return a.name == op.name })
		a := op.attr
		if i >= 0 && op.appends {
			a.value = append(flatten(out[i].value), flatten(op.value)...)
		}
		switch {
		case i < 0 && a.value != nil:
			out = append(out, a)
		case i >= 0 && a.value == nil:
			out = slices.Delete(out, i, i+1)
		case i >= 0:
			out[i] = a
		}
	}
	return out
}

// dropWaitingInstances forgets the virtual and exported instances that
// nothing realized, as resolveLate drops built-in ones.
func (c *compiler) dropWaitingInstances() {
	for _, insts := range c.defInstances {
		for i := range insts {
			if inst := &insts[i]; inst.pending != nil {
				c.dropped[inst.ref] = true
				delete(c.declared, inst.ref)
			}
		}
	}
}
