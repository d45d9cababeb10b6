package compiler

// Defined resources are evaluated lazily, as Puppet 7 does: declaring an
// instance only records it, and its body runs once the class, node or
// manifest that declared it has ended. Puppet then evaluates the waiting
// instances in rounds, in declaration order, after the collectors; the
// instances a round declares wait for the next one. So a body sees every
// resource its enclosing class declares, before or after the instance
// (defined(File['x']) is true for both), and notice() prints in Puppet's
// order.
//
// The catalog's order is the apply order, and Puppet applies resources in
// the order they were evaluated (checked on Puppet 7: a class declaring
// notify a, d[one], notify b, then notify z at top scope applies a, b, z,
// then d[one]'s resources): a body's resources are appended when it runs.

// instKey finds a recorded instance: its index among the type's records
// stays good when the records move.
type instKey struct {
	typ string
	i   int
}

// evalQueued runs one round of the queued instances, and reports whether
// there was any.
func (c *compiler) evalQueued() bool {
	if len(c.queued) == 0 {
		return false
	}
	round := c.queued
	c.queued = nil
	for _, k := range round {
		if inst := &c.defInstances[k.typ][k.i]; inst.pending != nil {
			c.evalPending(inst)
		}
	}
	return true
}

// evalPending evaluates the body of a waiting instance. inst is not used
// once the body runs: evaluating it may move the records.
func (c *compiler) evalPending(inst *defInstance) {
	p := inst.pending
	inst.pending = nil
	c.evalDefined(inst.name, p.def, inst.ref, p.at, inst.attrs, inst.s, p.parent)
}
