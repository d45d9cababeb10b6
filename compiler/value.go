package compiler

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// Values are plain Go values, so that functions and tests can build them
// without ceremony:
//
//	undef            nil
//	String           string
//	Integer          int64
//	Float            float64
//	Boolean          bool
//	default          Default
//	Array            []any
//	Hash             *Hash (insertion-ordered, as Puppet's hashes are)
//	Regexp           *Regexp
//	a type           TypeRef (File, Integer, Class, ...)
//	a resource ref   catalog.Ref (File['/etc/motd'])
//	Sensitive        *Sensitive (see sensitive.go)
//	Deferred         *catalog.Deferred
//
// Nothing else may appear in a value.

// Default is the value of the `default` keyword (in selectors, case and
// as a hash key).
type Default struct{}

// Regexp is a regular expression literal. Source keeps the text between the
// slashes, which is how Puppet prints it.
type Regexp struct {
	Source string
	Re     *regexp.Regexp
}

// TypeRef is a type written as a capitalised name, such as File or Integer,
// with the parameters of a data type (Integer[1, 5], Optional[String]).
// A resource type with a title, File['/x'], is a catalog.Ref instead.
type TypeRef struct {
	Name   string
	Params []any
}

// Hash is Puppet's hash: keys are any value and iteration follows insertion
// order, which is what makes catalogs deterministic.
type Hash struct {
	keys []any
	vals []any
	idx  map[string]int
}

// NewHash returns an empty hash.
func NewHash() *Hash { return &Hash{idx: map[string]int{}} }

// Len returns the number of entries.
func (h *Hash) Len() int { return len(h.keys) }

// Keys returns the keys in insertion order. The slice must not be modified.
func (h *Hash) Keys() []any { return h.keys }

// Values returns the values in insertion order.
func (h *Hash) Values() []any { return h.vals }

// Get returns the value stored under k.
func (h *Hash) Get(k any) (any, bool) {
	i, ok := h.idx[hashKey(k)]
	if !ok {
		return nil, false
	}
	return h.vals[i], true
}

// Set stores v under k; an existing key keeps its position.
func (h *Hash) Set(k, v any) {
	hk := hashKey(k)
	if i, ok := h.idx[hk]; ok {
		h.vals[i] = v
		return
	}
	h.idx[hk] = len(h.keys)
	h.keys = append(h.keys, k)
	h.vals = append(h.vals, v)
}

// hashKey is the identity of a hash key. Keys compare exactly (case
// sensitively), unlike ==, as in Puppet.
func hashKey(k any) string {
	switch k := k.(type) {
	case string:
		return "s" + k
	case int64:
		return "i" + strconv.FormatInt(k, 10)
	case float64:
		return "f" + strconv.FormatFloat(k, 'g', -1, 64)
	}
	return fmt.Sprintf("%T:%s", k, quoted(k))
}

// typeName is the name of a value's type as Puppet prints it in errors.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "Undef"
	case string:
		return "String"
	case int64:
		return "Integer"
	case float64:
		return "Float"
	case bool:
		return "Boolean"
	case Default:
		return "Default"
	case []any:
		return "Array"
	case *Hash:
		return "Hash"
	case *Regexp:
		return "Regexp"
	case TypeRef:
		return "Type"
	case catalog.Ref:
		return "Resource"
	case *Sensitive:
		return "Sensitive"
	case *catalog.Deferred:
		return "Deferred"
	}
	return fmt.Sprintf("%T", v)
}

// ToString converts a value to a string as Puppet's interpolation does:
// undef is empty, strings are themselves (also inside arrays and hashes),
// arrays print as [a, b] and hashes as {k => v}.
func ToString(v any) string {
	if s, ok := v.(string); ok {
		return s // the common case, without a copy
	}
	var b strings.Builder
	writeString(&b, v)
	return b.String()
}

func writeString(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
	case string:
		b.WriteString(v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, e)
		}
		b.WriteByte(']')
	case *Hash:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, k)
			b.WriteString(" => ")
			writeString(b, v.vals[i])
		}
		b.WriteByte('}')
	default:
		b.WriteString(quoted(v))
	}
}

// quoted formats scalars as they appear in Puppet's own messages: strings
// in single quotes, references as File['/x'].
// puppetQuote quotes a string as Puppet prints one inside a value: in
// single quotes, a quote escaped (a backslash escapes what follows it, so
// it stays as written); in double quotes with escapes when it holds a
// control character.
func puppetQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	escaped := false
	for _, r := range s {
		switch {
		case r < 0x20:
			return puppetDoubleQuote(s)
		case escaped:
			b.WriteByte('\\')
			b.WriteRune(r)
			escaped = false
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\\':
			escaped = true
		default:
			b.WriteRune(r)
		}
	}
	if escaped {
		b.WriteByte('\\')
	}
	b.WriteByte('\'')
	return b.String()
}

// puppetDoubleQuote is puppetQuote's form for strings with control
// characters.
func puppetDoubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '$':
			b.WriteString(`\$`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u{%X}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func quoted(v any) string {
	switch v := v.(type) {
	case nil:
		return "undef"
	case string:
		return puppetQuote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatFloat(v)
	case bool:
		return strconv.FormatBool(v)
	case Default:
		return "default"
	case *Sensitive:
		return catalog.Redacted
	case *catalog.Deferred:
		return "Deferred({'name' => " + quoted(v.Name) + ", 'arguments' => " + quoted(FromData(v.Arguments)) + "})"
	case *Regexp:
		return "/" + v.Source + "/"
	case TypeRef:
		if len(v.Params) == 0 {
			return v.Name
		}
		parts := make([]string, len(v.Params))
		for i, p := range v.Params {
			parts[i] = quoted(p)
		}
		return v.Name + "[" + strings.Join(parts, ", ") + "]"
	case catalog.Ref:
		return v.Type + "['" + v.Title + "']"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = quoted(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *Hash:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			parts[i] = quoted(k) + " => " + quoted(v.vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// formatFloat prints a float as Ruby does: always with a fraction or an
// exponent, so 1.0 stays "1.0".
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e16 || abs < 1e-4) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		return mant + "e" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// ToData converts a value to the JSON-compatible form that catalog
// parameters hold: references become their "Type[title]" string, hash keys
// become strings, regexps their /source/ text.
func ToData(v any) any {
	switch v := v.(type) {
	case nil, string, int64, float64, bool:
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = ToData(e)
		}
		return out
	case *Hash:
		out := make(map[string]any, v.Len())
		for i, k := range v.keys {
			ks, ok := k.(string)
			if !ok {
				ks = ToString(k)
			}
			out[ks] = ToData(v.vals[i])
		}
		return out
	case catalog.Ref:
		return v.String()
	case Default:
		return "default"
	case *Sensitive:
		// A parameter whose value is Sensitive holds the plain value
		// and is listed as sensitive (resource.go); one nested in an
		// array or a hash is its redaction, as in Puppet.
		return catalog.Redacted
	case *catalog.Deferred:
		return v
	}
	return ToString(v)
}

// FromData converts a JSON-like Go value (facts) into a Puppet value. Map
// keys are sorted, since Go maps have no order.
func FromData(v any) any {
	switch v := v.(type) {
	case nil, string, int64, float64, bool:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case uint64:
		return int64(v)
	case float32:
		return float64(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = FromData(e)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h := NewHash()
		for _, k := range keys {
			h.Set(k, FromData(v[k]))
		}
		return h
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return FromData(m)
	case *Hash, Default, *Regexp, TypeRef, catalog.Ref, *Sensitive, *catalog.Deferred:
		return v
	}
	return fmt.Sprint(v)
}

// truthy is Puppet's truth: only false and undef are false.
func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	}
	return true
}

// equal is Puppet's ==: strings compare case-insensitively, integers and
// floats by value, arrays and hashes element by element.
func equal(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		bs, ok := b.(string)
		return ok && strings.EqualFold(a, bs)
	case int64:
		switch b := b.(type) {
		case int64:
			return a == b
		case float64:
			return float64(a) == b
		}
		return false
	case float64:
		switch b := b.(type) {
		case int64:
			return a == float64(b)
		case float64:
			return a == b
		}
		return false
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case Default:
		_, ok := b.(Default)
		return ok
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !equal(a[i], bs[i]) {
				return false
			}
		}
		return true
	case *Hash:
		bh, ok := b.(*Hash)
		if !ok || a.Len() != bh.Len() {
			return false
		}
		for i, k := range a.keys {
			bv, ok := bh.Get(k)
			if !ok || !equal(a.vals[i], bv) {
				return false
			}
		}
		return true
	case *Regexp:
		br, ok := b.(*Regexp)
		return ok && a.Source == br.Source
	case TypeRef:
		bt, ok := b.(TypeRef)
		return ok && quoted(a) == quoted(bt)
	case catalog.Ref:
		br, ok := b.(catalog.Ref)
		return ok && a == br
	}
	return false
}

// compare orders two numbers or two strings (case-insensitively). ok is
// false when Puppet cannot compare them.
func compare(a, b any) (int, bool) {
	switch a := a.(type) {
	case string:
		if bs, ok := b.(string); ok {
			return strings.Compare(strings.ToLower(a), strings.ToLower(bs)), true
		}
	case int64:
		switch b := b.(type) {
		case int64:
			return cmpOrdered(a, b), true
		case float64:
			return cmpOrdered(float64(a), b), true
		}
	case float64:
		switch b := b.(type) {
		case int64:
			return cmpOrdered(a, float64(b)), true
		case float64:
			return cmpOrdered(a, b), true
		}
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
