package resources

import (
	"context"

	"github.com/gapply/gapply/catalog"
)

// notify sends a message to the log on every run. As in Puppet it is always
// out of sync, so it counts as a change each time: that is what makes it
// useful for tracing a run and for triggering refreshes.
type notify struct {
	ref      catalog.Ref
	message  string
	withpath bool
}

func init() {
	Register(&Type{
		Name: "notify",
		Params: []Param{
			{Name: "name", Namevar: true},
			{Name: "message"},
			{Name: "withpath"},
		},
		New: newNotify,
	})
}

func newNotify(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("notify"), r)
	n := &notify{ref: r.Ref(), message: p.namevar()}
	switch v := p.value("message").(type) {
	case nil:
	case []any:
		// Puppet's message property keeps only the first element of an
		// array (its default array matching); follow it rather than guess.
		if len(v) > 0 {
			n.message = attrString(v[0])
		}
	default:
		n.message = notifyText(v)
	}
	if r.IsSensitive("message") {
		// A notify only prints its message: a Sensitive one prints as
		// Puppet prints it.
		n.message = catalog.Redacted
	}
	n.withpath = p.boolean("withpath", false)
	if err := p.err(); err != nil {
		return nil, err
	}
	return n, nil
}

// notifyText formats a scalar or hash message value.
func notifyText(v any) string {
	if _, ok := v.(map[string]any); ok {
		return attrRepr(v)
	}
	return attrString(v)
}

func (n *notify) Check(ctx context.Context, env *Env) ([]Change, error) {
	return []Change{{
		Property: "message",
		From:     "absent",
		To:       n.message,
		Message:  "defined 'message' as '" + n.message + "'",
	}}, nil
}

// Apply logs the message. With withpath the message carries the resource
// reference, as Puppet prefixes it with the resource's path.
func (n *notify) Apply(ctx context.Context, env *Env, changes []Change) error {
	if env == nil || env.Log == nil {
		return nil
	}
	if n.withpath {
		env.Log.Info(n.ref.String() + "/message: " + n.message)
		return nil
	}
	env.Log.Info(n.message)
	return nil
}

// schemaOf returns a registered type; the types in this package look
// themselves up so that their schema is written only once.
func schemaOf(name string) *Type {
	t, ok := Lookup(name)
	if !ok {
		panic("resources: type " + name + " is not registered")
	}
	return t
}

// Precheckable: a notify's check reads nothing at all.
func (n *notify) Precheckable() bool { return true }
