package catalog

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Deferred is a parameter value that is computed on the node when the
// catalog is applied, not where it is compiled: Puppet's
// Deferred('fn', [args]). The compiler leaves it in Parameters; the
// engine calls the node-side function Name with Arguments (themselves
// resolved first when they are Deferred) before the resources are built.
//
// Its JSON form is Puppet's rich-data form, so a catalog carries it from a
// master to an agent unchanged:
//
//	{"__ptype": "Deferred", "name": "join", "arguments": [["a", "b"], "-"]}
type Deferred struct {
	Name      string
	Arguments []any
}

// deferredJSON is the wire form of Deferred.
type deferredJSON struct {
	PType     string `json:"__ptype"`
	Name      string `json:"name"`
	Arguments []any  `json:"arguments"`
}

// MarshalJSON writes the rich-data form.
func (d *Deferred) MarshalJSON() ([]byte, error) {
	args := d.Arguments
	if args == nil {
		args = []any{}
	}
	return json.Marshal(deferredJSON{PType: "Deferred", Name: d.Name, Arguments: args})
}

// deferredFromMap recognises the rich-data form in a decoded parameter.
func deferredFromMap(m map[string]any) (*Deferred, bool) {
	if m["__ptype"] != "Deferred" {
		return nil, false
	}
	name, _ := m["name"].(string)
	args, _ := m["arguments"].([]any)
	return &Deferred{Name: name, Arguments: args}, true
}

// DeferredFunc is a function the node can run for a Deferred value.
type DeferredFunc func(args []any) (any, error)

// Sensitive is the result of a node function that must not be shown
// (Deferred('new', [Sensitive, ...]) in Puppet). As Puppet's resolver
// does, a parameter whose Deferred value resolves to one gets the plain
// value and becomes a sensitive parameter, redacted in logs and reports;
// one that ends up inside an array or a hash is its redaction, and a
// function receiving one as an argument sees the redaction too.
type Sensitive struct {
	Value any
}

// String is the redaction, so that no formatting shows the value.
func (s *Sensitive) String() string { return Redacted }

// ResolveDeferred returns cat with every Deferred parameter value replaced
// by the result of its function from fns. Resources without Deferred
// values are shared with cat; the others are copies, so cat itself (which
// a caller may cache or print) never holds the resolved values, which are
// often secrets. An unknown function or a failing one is an error naming
// the resource and parameter.
func ResolveDeferred(cat *Catalog, fns map[string]DeferredFunc) (*Catalog, error) {
	var out *Catalog
	for i, r := range cat.Resources {
		var params map[string]any
		var sensitive []string // parameters that resolved to a Sensitive
		for _, k := range sortedKeys(r.Parameters) {
			v := r.Parameters[k]
			if !hasDeferred(v) {
				continue
			}
			rv, err := resolve(v, fns)
			if err != nil {
				return nil, fmt.Errorf("%s: parameter '%s': %w", r.Ref(), k, err)
			}
			if params == nil {
				params = make(map[string]any, len(r.Parameters))
				for pk, pv := range r.Parameters {
					params[pk] = pv
				}
			}
			if s, ok := rv.(*Sensitive); ok {
				rv = s.Value
				if !r.IsSensitive(k) && !slices.Contains(sensitive, k) {
					sensitive = append(sensitive, k)
				}
			}
			params[k] = redactNested(rv)
		}
		if params == nil {
			continue
		}
		if out == nil {
			c := *cat
			c.Resources = slices.Clone(cat.Resources)
			out = &c
		}
		nr := *r
		nr.Parameters = params
		if sensitive != nil {
			nr.Sensitive = slices.Concat(r.Sensitive, sensitive)
		}
		out.Resources[i] = &nr
	}
	if out == nil {
		return cat, nil
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func hasDeferred(v any) bool {
	switch v := v.(type) {
	case *Deferred:
		return true
	case []any:
		return slices.ContainsFunc(v, hasDeferred)
	case map[string]any:
		for _, e := range v {
			if hasDeferred(e) {
				return true
			}
		}
	}
	return false
}

// redactNested replaces the Sensitive results inside arrays and hashes
// with their redaction (a parameter gets only its own value unwrapped).
func redactNested(v any) any {
	switch x := v.(type) {
	case *Sensitive:
		return Redacted
	case []any:
		for i, e := range x {
			x[i] = redactNested(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = redactNested(e)
		}
	}
	return v
}

// resolve computes v, calling the functions of the Deferred values in it,
// innermost first.
func resolve(v any, fns map[string]DeferredFunc) (any, error) {
	switch v := v.(type) {
	case *Deferred:
		fn, ok := fns[v.Name]
		if !ok {
			return nil, fmt.Errorf("Deferred function '%s' is not available on the node", v.Name)
		}
		args := make([]any, len(v.Arguments))
		for i, a := range v.Arguments {
			ra, err := resolve(a, fns)
			if err != nil {
				return nil, err
			}
			args[i] = ra
		}
		res, err := fn(args)
		if err != nil {
			return nil, fmt.Errorf("Deferred %s(): %w", v.Name, err)
		}
		return res, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			re, err := resolve(e, fns)
			if err != nil {
				return nil, err
			}
			out[i] = re
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			re, err := resolve(e, fns)
			if err != nil {
				return nil, err
			}
			out[k] = re
		}
		return out, nil
	}
	return v, nil
}
