//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// attrs reads the parameters of one catalog resource with Puppet's loose
// typing (numbers may be written as strings, booleans as "true"/"yes") and
// collects every validation error instead of stopping at the first, so that
// a user sees all the mistakes in a resource at once. Messages follow
// Puppet's: "Parameter mode failed on File[/x]: ...".
type attrs struct {
	r    *catalog.Resource
	t    *Type
	errs []error
}

func newAttrs(t *Type, r *catalog.Resource) *attrs {
	p := &attrs{r: r, t: t}
	// The compiler reports unknown parameters with their position; this
	// check keeps a hand-written or decoded catalog from silently ignoring
	// a misspelt one.
	var unknown []string
	for name := range r.Parameters {
		if _, ok := t.Param(name); !ok && !isMetaAttr(name) && name != "name" {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		p.errs = append(p.errs, fmt.Errorf("no parameter named '%s' on %s", name, r.Ref()))
	}
	for _, prm := range t.Params {
		if prm.Required && !prm.Namevar && p.value(prm.Name) == nil {
			p.errs = append(p.errs, fmt.Errorf("%s: parameter '%s' is required", r.Ref(), prm.Name))
		}
	}
	return p
}

func isMetaAttr(name string) bool {
	for _, m := range Metaparams {
		if m == name {
			return true
		}
	}
	return false
}

// value returns the raw value of a parameter; nil means not given (undef).
func (p *attrs) value(name string) any {
	return p.r.Parameters[name]
}

// fail records a validation error for parameter name.
func (p *attrs) fail(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("Parameter %s failed on %s: %s", name, p.r.Ref(), fmt.Sprintf(format, args...)))
}

// err returns every recorded error joined, or a plain nil.
func (p *attrs) err() error {
	return errors.Join(p.errs...)
}

// namevar returns the namevar's value, which defaults to the title.
// "name" is accepted for every type as another name of the namevar, as in
// Puppet (file { 'motd': name => '/etc/motd' }).
func (p *attrs) namevar() string {
	for _, name := range []string{p.t.Namevar(), "name"} {
		if v := p.value(name); v != nil {
			return attrString(v)
		}
	}
	return p.r.Title
}

// str returns a parameter as a string; ok is false when it is not given.
func (p *attrs) str(name string) (s string, ok bool) {
	v := p.value(name)
	if v == nil {
		return "", false
	}
	switch v.(type) {
	case []any, map[string]any:
		p.fail(name, "expected a single value, got %s", attrRepr(v))
		return "", false
	}
	return attrString(v), true
}

// boolean returns a boolean parameter, def when it is not given.
func (p *attrs) boolean(name string, def bool) bool {
	v := p.value(name)
	switch v := v.(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		switch strings.ToLower(v) {
		case "true", "yes":
			return true
		case "false", "no":
			return false
		}
	}
	p.fail(name, "Invalid value %s. Valid values are true, false.", attrRepr(v))
	return def
}

// list returns a parameter that may be one value or an array of them
// (Puppet's array_matching :all), each as a string.
func (p *attrs) list(name string) []string {
	v := p.value(name)
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if _, nested := e.([]any); nested {
				p.fail(name, "nested arrays are not allowed: %s", attrRepr(v))
				continue
			}
			out = append(out, attrString(e))
		}
		return out
	case map[string]any:
		p.fail(name, "expected a value or an array, got %s", attrRepr(v))
		return nil
	}
	return []string{attrString(v)}
}

// number returns a numeric parameter (a number or a numeric string).
func (p *attrs) number(name string) (f float64, ok bool, valid bool) {
	v := p.value(name)
	switch v := v.(type) {
	case nil:
		return 0, false, true
	case int:
		return float64(v), true, true
	case int64:
		return float64(v), true, true
	case float64:
		return v, true, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true, true
		}
	}
	return 0, true, false
}

// attrString formats a scalar the way Puppet interpolates it into a
// string: whole numbers without a decimal point.
func attrString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// attrRepr formats any value as Puppet shows it in messages: strings
// in quotes, arrays in brackets, hashes in braces.
func attrRepr(v any) string {
	switch v := v.(type) {
	case nil:
		return "undef"
	case string:
		return strconv.Quote(v)
	}
	if s, ok := reprComposite(v, attrRepr); ok {
		return s
	}
	return attrString(v)
}

// reprComposite formats an array as [a, b] and a hash as {k => v} with
// keys sorted, each element and key formatted by elem; ok is false for
// any other value.
func reprComposite(v any, elem func(any) string) (s string, ok bool) {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = elem(e)
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = elem(k) + " => " + elem(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	}
	return "", false
}
