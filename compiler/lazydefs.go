package compiler

import (
	"cmp"
	"slices"

	"github.com/gapply/gapply/catalog"
)

// Defined resources are evaluated lazily, as Puppet 7 does: declaring an
// instance only records it, and its body runs once the class, node or
// manifest that declared it has ended. Puppet then evaluates the waiting
// instances in rounds, in declaration order, after the collectors; the
// instances a round declares wait for the next one. So a body sees every
// resource its enclosing class declares, before or after the instance
// (defined(File['x']) is true for both), and notice() prints in Puppet's
// order.
//
// The catalog's order is the apply order, and Puppet applies an
// instance's resources where the instance is (it contains them): each
// body's resources are appended as a segment, and placeDeferred moves
// every segment to the slot its instance was declared at.

// instKey finds a recorded instance: its index among the type's records
// stays good when the records move.
type instKey struct {
	typ string
	i   int
}

// slot is a place in the catalog: offset resources into segment seg;
// seq orders the instances declared at one place.
type slot struct {
	seg, offset, seq int
}

// segment is a run of c.cat.Resources that one deferred body declared
// (segs[0] is what the manifests, node and classes declared before any
// deferred body), to go at slot in its parent segment.
type segment struct {
	start, end int
	slot       slot
}

// slotHere is the slot of an instance declared now.
func (c *compiler) slotHere() slot {
	start := 0
	if c.curSeg > 0 {
		start = c.segs[c.curSeg].start
	}
	c.slotSeq++
	return slot{seg: c.curSeg, offset: len(c.cat.Resources) - start, seq: c.slotSeq}
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

// evalPending evaluates the body of a waiting instance as a new segment.
// inst is not used once the body runs: evaluating it may move the
// records.
func (c *compiler) evalPending(inst *defInstance) {
	p := inst.pending
	inst.pending = nil
	if len(c.segs) == 0 {
		c.segs = append(c.segs, segment{end: len(c.cat.Resources)})
	}
	outer := c.curSeg
	c.segs = append(c.segs, segment{start: len(c.cat.Resources), slot: p.slot})
	c.curSeg = len(c.segs) - 1
	c.evalDefined(inst.name, p.def, inst.ref, p.at, inst.attrs, inst.s, p.parent)
	c.segs[c.curSeg].end = len(c.cat.Resources)
	c.curSeg = outer
}

// placeDeferred reorders the catalog (and metas, which go with it) so
// that each deferred body's resources stand where its instance was
// declared, nested bodies within theirs.
func (c *compiler) placeDeferred() {
	if len(c.segs) < 2 {
		return
	}
	children := make([][]int, len(c.segs))
	for i := 1; i < len(c.segs); i++ {
		p := c.segs[i].slot.seg
		children[p] = append(children[p], i)
	}
	res := make([]*catalog.Resource, 0, len(c.cat.Resources))
	metas := make([]*resMeta, 0, len(c.metas))
	var place func(k int)
	place = func(k int) {
		sg := c.segs[k]
		// Realized virtual instances come out of declaration order.
		slices.SortFunc(children[k], func(a, b int) int {
			x, y := c.segs[a].slot, c.segs[b].slot
			return cmp.Or(x.offset-y.offset, x.seq-y.seq)
		})
		pos := sg.start
		for _, ch := range children[k] {
			at := sg.start + c.segs[ch].slot.offset
			res = append(res, c.cat.Resources[pos:at]...)
			metas = append(metas, c.metas[pos:at]...)
			pos = at
			place(ch)
		}
		res = append(res, c.cat.Resources[pos:sg.end]...)
		metas = append(metas, c.metas[pos:sg.end]...)
	}
	place(0)
	c.cat.Resources, c.metas = res, metas
	c.metaIndex = nil // its prefix rule needs metas in their old order
}
