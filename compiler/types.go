package compiler

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// Data types are TypeRef values: a name and its parameters as written
// (Integer[1, 5], Struct[{a => String}]). Checking a value against a type
// yields Puppet's own descriptions of what does not match, so that a
// parameter error reads as Puppet's does:
//
//	Class[Foo]: parameter 'port' expects an Integer value, got String
//	Class[Foo]: parameter 'p' index 1 expects a String value, got Integer
//	Class[Foo]: parameter 'p' entry 'b' expects an Integer value, got String
//
// Type aliases (type Port = Integer[1, 65535]) are resolved when the
// reference is evaluated, so checks see only built-in types.

// mismatch is one reason why a value is not an instance of a type: where
// in the value (path: "index 0", "entry 'a'", "variant 1") and what is
// wrong ("expects an Integer value, got String").
type mismatch struct {
	path []string
	msg  string
	// plain marks a mismatch of the value as a whole against a type
	// (want), which Optional and Variant merge into one message.
	plain bool
	want  TypeRef
	got   any
}

func (m mismatch) String() string {
	return strings.Join(append(append([]string{}, m.path...), m.msg), " ")
}

// within prefixes the path of each mismatch with p.
func within(p string, ms []mismatch) []mismatch {
	for i := range ms {
		ms[i].path = append([]string{p}, ms[i].path...)
		ms[i].plain = false
	}
	return ms
}

// describeMismatches joins the mismatches of a value, each prefixed with
// what the value is ("parameter 'port'"), as Puppet lists them: one on the
// same line, several on lines of their own. The result follows a colon
// (or a comma); the prefix may be empty.
func describeMismatches(prefix string, ms []mismatch) string {
	if prefix != "" {
		prefix += " "
	}
	if len(ms) == 1 {
		return " " + prefix + ms[0].String()
	}
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("\n  " + prefix + m.String())
	}
	return b.String()
}

// isInstance reports whether v is an instance of the data type t.
func isInstance(v any, t TypeRef) bool { return len(matchType(v, t)) == 0 }

// instanceOfParam matches v against a type parameter, which is a type or,
// loosely, a value to compare with.
func instanceOfParam(v, p any) bool { return len(checkParam(v, p)) == 0 }

func checkParam(v, p any) []mismatch {
	if t, ok := p.(TypeRef); ok {
		return matchType(v, t)
	}
	if equal(v, p) {
		return nil
	}
	return []mismatch{{msg: fmt.Sprintf("expects %s, got %s", quoted(p), quoted(v))}}
}

// plainMismatch is "expects an Integer value, got String".
func plainMismatch(v any, want TypeRef) []mismatch {
	return []mismatch{{
		msg:   fmt.Sprintf("expects %s value, got %s", typeArticle(want), gotName(v, want)),
		plain: true, want: want, got: v,
	}}
}

// checkType returns why v is not an instance of t; nil when it is. As
// Puppet does, a value that is not even an instance of t without its
// ranges and sizes is described against that general type ("expects an
// Integer value, got String" for Integer[1, 65535]); the ranges are
// named only when they are what fails.
func checkType(v any, t TypeRef) []mismatch {
	ms := matchType(v, t)
	if ms == nil {
		return nil
	}
	if g := generalize(t); !equal(g, t) {
		if gms := matchType(v, g); gms != nil {
			return gms
		}
	}
	return ms
}

// generalize drops the ranges and sizes of a type, also of the types it
// is made of.
func generalize(t TypeRef) TypeRef {
	sub := func(ps []any) []any {
		out := make([]any, 0, len(ps))
		for _, p := range ps {
			if pt, ok := p.(TypeRef); ok {
				out = append(out, generalize(pt))
			}
		}
		return out
	}
	switch t.Name {
	case "String", "Integer", "Float":
		return TypeRef{Name: t.Name}
	case "Optional", "NotUndef", "Variant", "Array", "Hash":
		return TypeRef{Name: t.Name, Params: sub(t.Params)}
	}
	return t
}

// matchType is checkType without the generalization.
func matchType(v any, t TypeRef) []mismatch {
	p := t.Params
	bare := TypeRef{Name: t.Name}
	switch t.Name {
	case "Any", "Data", "RichData":
		return nil
	case "Undef":
		if v == nil {
			return nil
		}
	case "NotUndef":
		if v != nil {
			if len(p) == 0 {
				return nil
			}
			return checkParam(v, p[0])
		}
	case "Optional":
		if v == nil || len(p) == 0 {
			return nil
		}
		ms := checkParam(v, p[0])
		if len(ms) == 1 && ms[0].plain {
			if tr, ok := p[0].(TypeRef); ok && (tr.Name == "Enum" || tr.Name == "Pattern") {
				return []mismatch{{msg: fmt.Sprintf("expects an undef value or a match for %s, got %s", quoted(tr), matchGot(v))}}
			}
			return []mismatch{{msg: fmt.Sprintf("expects a value of type Undef or %s, got %s", quoted(p[0]), gotName(v, ms[0].want))}}
		}
		return ms
	case "Variant":
		return checkVariant(v, p)
	case "Enum", "Pattern":
		if s, ok := v.(string); ok && (len(p) == 0 || matchesAny(s, t.Name, flatten(p))) {
			return nil
		}
		return []mismatch{{msg: fmt.Sprintf("expects a match for %s, got %s", quoted(t), matchGot(v)), plain: true, want: t, got: v}}
	case "String":
		if s, ok := v.(string); ok && inRange(int64(len([]rune(s))), p) {
			return nil
		}
	case "Integer":
		if n, ok := v.(int64); ok && inRange(n, p) {
			return nil
		}
	case "Float":
		if f, ok := v.(float64); ok && inFloatRange(f, p) {
			return nil
		}
	case "Numeric":
		if _, ok := asFloat(v); ok {
			return nil
		}
	case "Boolean":
		if _, ok := v.(bool); ok {
			return nil
		}
	case "Array":
		a, ok := v.([]any)
		if !ok {
			return plainMismatch(v, bare)
		}
		elem, size := splitElemType(p)
		if m := checkSize(len(a), size); m != nil {
			return m
		}
		var ms []mismatch
		if elem != nil {
			for i, x := range a {
				ms = append(ms, within("index "+strconv.Itoa(i), checkParam(x, elem))...)
			}
		}
		return ms
	case "Tuple":
		a, ok := v.([]any)
		if !ok {
			return plainMismatch(v, bare)
		}
		types, size := tupleParams(p)
		if size == nil {
			size = []any{int64(len(types)), int64(len(types))}
		}
		if m := checkSize(len(a), size); m != nil {
			return m
		}
		var ms []mismatch
		for i, x := range a {
			if len(types) > 0 {
				ms = append(ms, within("index "+strconv.Itoa(i), checkParam(x, types[min(i, len(types)-1)]))...)
			}
		}
		return ms
	case "Hash":
		h, ok := v.(*Hash)
		if !ok {
			return plainMismatch(v, bare)
		}
		size := hashSize(p)
		if m := checkSize(h.Len(), size); m != nil {
			return m
		}
		if len(size) == len(p) {
			return nil // no key and value types: Hash, Hash[min, max]
		}
		var ms []mismatch
		for i, k := range h.Keys() {
			if !instanceOfParam(k, p[0]) {
				return []mismatch{{msg: fmt.Sprintf("expects %s value, got %s", typeArticle(t), quoted(inferType(v, false)))}}
			}
			ms = append(ms, within("entry "+quoted(k), checkParam(h.Values()[i], p[1]))...)
		}
		return ms
	case "Struct":
		h, ok := v.(*Hash)
		if !ok {
			return plainMismatch(v, bare)
		}
		if len(p) == 0 {
			return nil
		}
		return checkStruct(h, p[0])
	case "Regexp":
		if _, ok := v.(*Regexp); ok {
			return nil
		}
	case "Default":
		if _, ok := v.(Default); ok {
			return nil
		}
	case "Scalar", "ScalarData":
		switch v.(type) {
		case string, int64, float64, bool:
			return nil
		case *Regexp:
			if t.Name == "Scalar" {
				return nil
			}
		}
	case "Collection", "Iterable":
		switch v.(type) {
		case []any, *Hash:
			return nil
		}
	case "Type":
		// Type[T] holds the types assignable to T.
		if x, ok := asType(v); ok && (len(p) == 0 || assignable(paramType(p[0]), x)) {
			return nil
		}
	case "Sensitive":
		if x, ok := v.(*Sensitive); ok {
			if len(p) == 0 {
				return nil
			}
			return checkParam(x.Value, p[0])
		}
	case "Deferred":
		if _, ok := v.(*catalog.Deferred); ok {
			return nil
		}
	case "Callable", "Timestamp", "Timespan", "SemVer":
		return nil // not modelled: accepted
	default:
		if r, ok := v.(catalog.Ref); ok && (t.Name == "Resource" || strings.EqualFold(r.Type, t.Name)) {
			if len(p) == 0 || equal(r.Title, p[0]) {
				return nil
			}
		}
	}
	return plainMismatch(v, t)
}

// checkVariant accepts v when any variant does. When every variant fails
// on the value as a whole, the message lists them ("expects a value of
// type Integer or Boolean"); otherwise each variant's reasons are listed.
func checkVariant(v any, variants []any) []mismatch {
	var all []mismatch
	allPlain := true
	for i, x := range variants {
		ms := checkParam(v, x)
		if len(ms) == 0 {
			return nil
		}
		if len(ms) != 1 || !ms[0].plain {
			allPlain = false
		}
		all = append(all, within("variant "+strconv.Itoa(i), ms)...)
	}
	if len(variants) == 0 {
		return nil
	}
	if allPlain {
		names := make([]string, len(variants))
		for i, x := range variants {
			names[i] = quoted(x)
		}
		list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
		if len(names) == 1 {
			list = names[0]
		}
		return []mismatch{{msg: fmt.Sprintf("expects a value of type %s, got %s", list, gotName(v, TypeRef{Name: "Variant"})), plain: true, want: TypeRef{Name: "Variant", Params: variants}, got: v}}
	}
	return all
}

// checkStruct checks a hash against a Struct schema: keys are names, or
// Optional[name] / NotUndef[name]; values are types.
func checkStruct(h *Hash, schema any) []mismatch {
	sh, ok := schema.(*Hash)
	if !ok {
		return nil
	}
	var ms []mismatch
	known := map[string]bool{}
	for i, k := range sh.Keys() {
		name, optional := structKey(k)
		known[name] = true
		val, present := h.Get(name)
		want := sh.Values()[i]
		if !present {
			if !optional && !instanceOfParam(nil, want) {
				ms = append(ms, mismatch{msg: fmt.Sprintf("expects a value for key '%s'", name)})
			}
			continue
		}
		ms = append(ms, within("entry "+quoted(name), checkParam(val, want))...)
	}
	for _, k := range h.Keys() {
		if s, isStr := k.(string); !isStr || !known[s] {
			ms = append(ms, mismatch{msg: fmt.Sprintf("unrecognized key %s", quoted(k))})
		}
	}
	return ms
}

// structKey reads a Struct schema key: 'name' or Optional['name'].
func structKey(k any) (string, bool) {
	if t, ok := k.(TypeRef); ok && len(t.Params) == 1 {
		return ToString(t.Params[0]), t.Name == "Optional"
	}
	return ToString(k), false
}

// splitElemType splits Array's parameters into the element type and the
// size range: Array[String, 1, 2], Array[1, 2].
func splitElemType(p []any) (any, []any) {
	if len(p) > 0 {
		if _, ok := p[0].(TypeRef); ok {
			return p[0], p[1:]
		}
	}
	return nil, p
}

// checkSize checks a collection's size against [min, max] parameters.
func checkSize(n int, p []any) []mismatch {
	if len(p) == 0 || inRange(int64(n), p) {
		return nil
	}
	lo, hasLo := p[0].(int64)
	var hi int64
	hasHi := false
	if len(p) > 1 {
		hi, hasHi = p[1].(int64)
	}
	var want string
	switch {
	case hasLo && hasHi && lo == hi:
		want = strconv.FormatInt(lo, 10)
	case hasLo && hasHi:
		want = fmt.Sprintf("between %d and %d", lo, hi)
	case hasHi:
		want = fmt.Sprintf("at most %d", hi)
	default:
		want = fmt.Sprintf("at least %d", lo)
	}
	return []mismatch{{msg: fmt.Sprintf("expects size to be %s, got %d", want, n)}}
}

// matchesAny tests a string against Enum values or Pattern regexps.
func matchesAny(s, kind string, options []any) bool {
	for _, x := range options {
		switch x := x.(type) {
		case string:
			if kind == "Enum" && x == s {
				return true
			}
			if kind == "Pattern" {
				if re, err := compileRegexp(x, hcl.Range{}); err == nil && re.Re.MatchString(s) {
					return true
				}
			}
		case *Regexp:
			if kind == "Pattern" && x.Re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

// matchGot describes what an Enum or Pattern got: the string itself, or
// the type of anything else.
func matchGot(v any) string {
	if s, ok := v.(string); ok {
		return quoted(s)
	}
	return typeName(v)
}

// inRange checks n against optional [min, max] type parameters; default
// stands for an open end.
func inRange(n int64, p []any) bool {
	if len(p) > 0 {
		if lo, ok := p[0].(int64); ok && n < lo {
			return false
		}
	}
	if len(p) > 1 {
		if hi, ok := p[1].(int64); ok && n > hi {
			return false
		}
	}
	return true
}

func inFloatRange(f float64, p []any) bool {
	if len(p) > 0 {
		if lo, ok := asFloat(p[0]); ok && f < lo {
			return false
		}
	}
	if len(p) > 1 {
		if hi, ok := asFloat(p[1]); ok && f > hi {
			return false
		}
	}
	return true
}

// gotName is how a mismatch names the value's type: its general type,
// with the value as a range for numbers checked against a range
// (Integer[7, 7]), and arrays and hashes as Tuple and Struct unless a
// collection was expected.
func gotName(v any, want TypeRef) string {
	collection := want.Name == "Array" || want.Name == "Hash" || want.Name == "Collection" || want.Name == "Tuple" || want.Name == "Struct"
	switch x := v.(type) {
	case int64, float64:
		if (want.Name == "Integer" || want.Name == "Float") && len(want.Params) > 0 && typeName(v) == want.Name {
			return quoted(inferType(v, false))
		}
	case []any:
		if !collection {
			return "Tuple"
		}
	case *Hash:
		if !collection && allStringKeys(x) {
			return "Struct"
		}
	case TypeRef:
		return "Type[" + quoted(x) + "]"
	case catalog.Ref:
		return "Type[Resource]"
	}
	return typeName(v)
}

func allStringKeys(h *Hash) bool {
	for _, k := range h.Keys() {
		if _, ok := k.(string); !ok {
			return false
		}
	}
	return true
}

// inferType is the type of a value as Puppet's type() gives it: detailed
// (Integer[1, 1], Tuple[String, Integer[2, 2]], Struct[{'a' => ...}]) or
// generalized (Integer, Array[String]).
func inferType(v any, generalized bool) TypeRef {
	switch x := v.(type) {
	case int64:
		if generalized {
			return TypeRef{Name: "Integer"}
		}
		return TypeRef{Name: "Integer", Params: []any{x, x}}
	case float64:
		if generalized {
			return TypeRef{Name: "Float"}
		}
		return TypeRef{Name: "Float", Params: []any{x, x}}
	case []any:
		elems := make([]any, len(x))
		for i, e := range x {
			elems[i] = inferType(e, generalized)
		}
		if generalized {
			return TypeRef{Name: "Array", Params: []any{commonType(elems)}}
		}
		return TypeRef{Name: "Tuple", Params: elems}
	case *Hash:
		if !generalized && allStringKeys(x) {
			schema := NewHash()
			for i, k := range x.Keys() {
				schema.Set(k, inferType(x.Values()[i], false))
			}
			return TypeRef{Name: "Struct", Params: []any{schema}}
		}
		keys := make([]any, x.Len())
		vals := make([]any, x.Len())
		for i, k := range x.Keys() {
			keys[i] = inferType(k, generalized)
			vals[i] = inferType(x.Values()[i], generalized)
		}
		return TypeRef{Name: "Hash", Params: []any{commonType(keys), commonType(vals)}}
	case bool:
		if generalized {
			return TypeRef{Name: "Boolean"}
		}
		return TypeRef{Name: "Boolean", Params: []any{x}}
	case *Regexp:
		if generalized {
			return TypeRef{Name: "Regexp"}
		}
		return TypeRef{Name: "Regexp", Params: []any{x}}
	case TypeRef:
		return TypeRef{Name: "Type", Params: []any{x}}
	case catalog.Ref:
		return TypeRef{Name: "Type", Params: []any{TypeRef{Name: x.Type, Params: []any{x.Title}}}}
	case *Sensitive:
		return TypeRef{Name: "Sensitive", Params: []any{inferType(x.Value, generalized)}}
	}
	return TypeRef{Name: typeName(v)}
}

// commonType is the narrowest general type of all of types.
func commonType(types []any) any {
	if len(types) == 0 {
		return TypeRef{Name: "Unit"}
	}
	first := types[0]
	same, numeric, scalar := true, true, true
	for _, t := range types {
		tr, _ := t.(TypeRef)
		if !equal(t, first) {
			same = false
		}
		if tr.Name != "Integer" && tr.Name != "Float" {
			numeric = false
		}
		switch tr.Name {
		case "Integer", "Float", "String", "Boolean":
		default:
			scalar = false
		}
	}
	switch {
	case same:
		return first
	case numeric:
		return TypeRef{Name: "Numeric"}
	case scalar:
		return TypeRef{Name: "ScalarData"}
	}
	return TypeRef{Name: "Data"}
}
