package resources

import (
	"context"

	"github.com/gapply/gapply/catalog"
)

// anchor is puppetlabs-stdlib's anchor type: a resource that manages
// nothing and is always in sync. Modules written before `contain` existed
// (ntp, apache and many more of their age) wrap the classes they include
// between two anchors, Anchor['x::begin'] -> Class['x::a'] ->
// Anchor['x::end'], so that relationships to the outer class reach the
// inner ones; the anchors only carry those edges, which the engine orders
// like any other.
type anchor struct{}

func init() {
	Register(&Type{
		Name:   "anchor",
		Params: []Param{{Name: "name", Namevar: true}},
		New:    newAnchor,
	})
}

func newAnchor(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("anchor"), r)
	if err := p.err(); err != nil {
		return nil, err
	}
	return anchor{}, nil
}

// Check never finds a difference: an anchor has no state.
func (anchor) Check(context.Context, *Env) ([]Change, error) { return nil, nil }

// Apply is never called with changes, since Check reports none.
func (anchor) Apply(context.Context, *Env, []Change) error { return nil }

// Refresh does nothing; being a Refresher lets a refresh event pass
// through the anchor to what subscribes to it (a file that notifies
// Anchor['x::begin'] restarts the service behind it), as stdlib's anchor
// declares refresh for that reason.
func (anchor) Refresh(context.Context, *Env) error { return nil }

// Precheckable: an anchor's check reads nothing.
func (anchor) Precheckable() bool { return true }
