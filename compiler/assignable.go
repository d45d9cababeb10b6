package compiler

import (
	"math"
	"strings"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
)

// Type assignability: whether every value of one type is also a value of
// another, Puppet's assignable?. It is what the comparison operators mean
// between types (Integer < Numeric is "Integer is assignable to Numeric
// and not equal to it", == is "assignable both ways") and what Type[T]
// asks of a type value (Integer =~ Type[Numeric], a case option
// Type[Numeric] matching the value Integer). The rules follow Puppet 7's
// type calculator; types it does not model in detail (Callable,
// Timestamp, SemVer, ...) are assignable only from themselves.

// asType returns v as a type when it is one: a data type, or a resource
// reference (File['/x'] is the type of that one resource).
func asType(v any) (TypeRef, bool) {
	switch x := v.(type) {
	case TypeRef:
		return x, true
	case catalog.Ref:
		return TypeRef{Name: x.Type, Params: []any{x.Title}}, true
	}
	return TypeRef{}, false
}

// typesEqual is Puppet's type equality: the same type written alike, or
// two types that are assignable to each other (Integer[1] and
// Integer[1, default], Optional[String] and Variant[Undef, String]).
func typesEqual(a, b TypeRef) bool {
	return equal(a, b) || (assignable(a, b) && assignable(b, a))
}

var (
	anyType   = TypeRef{Name: "Any"}
	undefType = TypeRef{Name: "Undef"}
)

// paramType reads a type parameter as a type: a string stands for the
// Enum of that one string (Optional['b'] in a Struct's keys).
func paramType(p any) TypeRef {
	switch x := p.(type) {
	case TypeRef:
		return x
	case catalog.Ref:
		t, _ := asType(x)
		return t
	case string:
		return TypeRef{Name: "Enum", Params: []any{x}}
	}
	return anyType
}

// firstParam is the type a wrapping type (Optional, NotUndef, Type,
// Sensitive) holds, and whether it has one.
func firstParam(t TypeRef) (TypeRef, bool) {
	if len(t.Params) == 0 {
		return TypeRef{}, false
	}
	return paramType(t.Params[0]), true
}

// assignable reports whether every value of type o is a value of type t.
// Unions on the right (Variant, Optional, NotUndef) are taken apart
// first, as Puppet does, so that Variant[Integer, Float] <= Numeric.
func assignable(t, o TypeRef) bool {
	switch o.Name {
	case "Unit":
		return true
	case "Variant":
		if t.Name == "Any" || (t.Name == "Variant" && len(t.Params) == 0) {
			return true
		}
		if len(o.Params) == 0 {
			return false
		}
		for _, p := range o.Params {
			if !assignable(t, paramType(p)) {
				return false
			}
		}
		return true
	case "Optional":
		if !assignable(t, undefType) {
			return false
		}
		inner, ok := firstParam(o)
		return !ok || assignable(t, inner)
	case "NotUndef":
		if inner, ok := firstParam(o); ok && !assignable(inner, undefType) {
			return assignable(t, inner)
		}
	}
	return assignableFrom(t, o)
}

// scalarDataTypes are the types whose values are ScalarData.
var scalarDataTypes = map[string]bool{
	"ScalarData": true, "String": true, "Enum": true, "Pattern": true,
	"Numeric": true, "Integer": true, "Float": true, "Boolean": true,
}

// assignableFrom is assignable after the unions of o are taken apart: the
// rule of t's own kind.
func assignableFrom(t, o TypeRef) bool {
	p := t.Params
	switch t.Name {
	case "Any", "Unit":
		return true
	case "Undef", "Default":
		return o.Name == t.Name
	case "NotUndef":
		if assignable(o, undefType) {
			return false
		}
		inner, ok := firstParam(t)
		return !ok || assignable(inner, o)
	case "Optional":
		inner, ok := firstParam(t)
		switch {
		case o.Name == "Undef" || !ok:
			return true
		case o.Name == "Optional":
			oi, has := firstParam(o)
			return has && assignable(inner, oi)
		}
		return assignable(inner, o)
	case "Variant":
		for _, x := range p {
			if assignable(paramType(x), o) {
				return true
			}
		}
		return false
	case "Scalar":
		return o.Name == "Scalar" || o.Name == "Regexp" || o.Name == "SemVer" ||
			o.Name == "Timespan" || o.Name == "Timestamp" || scalarDataTypes[o.Name]
	case "ScalarData":
		return scalarDataTypes[o.Name]
	case "Data", "RichData":
		return isData(t.Name == "RichData", o)
	case "Numeric", "Integer", "Float":
		if !(o.Name == t.Name || (t.Name == "Numeric" && (o.Name == "Integer" || o.Name == "Float"))) {
			return false
		}
		tlo, thi := numRange(t)
		olo, ohi := numRange(o)
		return tlo <= olo && thi >= ohi
	case "String":
		return stringAssignable(t, o)
	case "Enum":
		return enumAssignable(t, o)
	case "Pattern":
		return patternAssignable(t, o)
	case "Boolean", "Regexp":
		return o.Name == t.Name && (len(p) == 0 || (len(o.Params) > 0 && equal(p[0], o.Params[0])))
	case "Collection":
		lo, hi, ok := collectionSize(o)
		return ok && sizeWithin(p, lo, hi)
	case "Array":
		return arrayAssignable(t, o)
	case "Hash":
		return hashAssignable(t, o)
	case "Tuple":
		return tupleAssignable(t, o)
	case "Struct":
		return structAssignable(t, o)
	case "Iterable":
		return iterableAssignable(t, o)
	case "Type", "Sensitive":
		if o.Name != t.Name {
			return false
		}
		inner, ok := firstParam(t)
		if !ok {
			return true
		}
		oi, has := firstParam(o)
		if !has {
			oi = anyType
		}
		return assignable(inner, oi)
	case "Catalogentry", "CatalogEntry":
		return o.Name == "Catalogentry" || o.Name == "CatalogEntry" || o.Name == "Class" || isResourceType(o)
	case "Class":
		return o.Name == "Class" && (len(p) == 0 || (len(o.Params) > 0 && strings.EqualFold(ToString(p[0]), ToString(o.Params[0]))))
	case "Resource":
		if !isResourceType(o) {
			return false
		}
		if len(p) == 0 {
			return true
		}
		name := ToString(p[0])
		if tr, ok := p[0].(TypeRef); ok {
			name = tr.Name
		}
		return assignable(TypeRef{Name: catalog.CapitalizeType(name), Params: p[1:]}, o)
	}
	if dataTypes[t.Name] {
		// Not modelled in detail (Callable, Timestamp, SemVer, ...).
		return equal(t, o)
	}
	// A resource type: File, or File['/x'] for one resource.
	return strings.EqualFold(t.Name, o.Name) &&
		(len(p) == 0 || (len(o.Params) > 0 && equal(p[0], o.Params[0])))
}

// isResourceType tells resource types (File, Resource['file'], Mymod::Thing)
// from data types and classes.
func isResourceType(t TypeRef) bool {
	return t.Name == "Resource" || !(dataTypes[t.Name] || t.Name == "Class" || t.Name == "Catalogentry" || t.Name == "CatalogEntry" || t.Name == "Unit")
}

// isData is the Data type (RichData when rich): scalar data, undef, and
// arrays and hashes of data with String keys. RichData adds the other
// scalars, types, Sensitive and Default, with Numeric keys too.
func isData(rich bool, o TypeRef) bool {
	elem := TypeRef{Name: "Data"}
	key := TypeRef{Name: "String"}
	if rich {
		elem = TypeRef{Name: "RichData"}
		key = TypeRef{Name: "Variant", Params: []any{key, TypeRef{Name: "Numeric"}}}
	}
	switch o.Name {
	case "Data", "Undef":
		return true
	case "Array", "Tuple", "Hash", "Struct":
		return assignable(TypeRef{Name: "Array", Params: []any{elem}}, o) ||
			assignable(TypeRef{Name: "Hash", Params: []any{key, elem}}, o)
	}
	if rich {
		switch o.Name {
		case "RichData", "Scalar", "Regexp", "SemVer", "Timespan", "Timestamp", "Type", "Sensitive", "Default":
			return true
		}
	}
	return scalarDataTypes[o.Name]
}

// numRange is the range of an Integer, Float or Numeric type, open ends
// as infinities.
func numRange(t TypeRef) (float64, float64) {
	lo, hi := math.Inf(-1), math.Inf(1)
	if len(t.Params) > 0 {
		if f, ok := asFloat(t.Params[0]); ok {
			lo = f
		}
	}
	if len(t.Params) > 1 {
		if f, ok := asFloat(t.Params[1]); ok {
			hi = f
		}
	}
	return lo, hi
}

// sizeRange reads [min, max] size parameters; an open end is 0 or +Inf.
func sizeRange(p []any) (float64, float64) {
	lo, hi := numRange(TypeRef{Params: p})
	return max(lo, 0), hi
}

// sizeWithin reports whether the size parameters p admit every size from
// lo to hi.
func sizeWithin(p []any, lo, hi float64) bool {
	plo, phi := sizeRange(p)
	return plo <= lo && phi >= hi
}

// collectionSize is the range of sizes of an Array, Hash, Tuple, Struct or
// Collection type; ok is false for other types.
func collectionSize(t TypeRef) (lo, hi float64, ok bool) {
	switch t.Name {
	case "Array":
		_, size := splitElemType(t.Params)
		lo, hi = sizeRange(size)
	case "Hash":
		lo, hi = sizeRange(hashSize(t.Params))
	case "Collection":
		lo, hi = sizeRange(t.Params)
	case "Tuple":
		types, size := tupleParams(t.Params)
		if size == nil {
			return float64(len(types)), float64(len(types)), true
		}
		lo, hi = sizeRange(size)
	case "Struct":
		n := float64(len(structElements(t)))
		return n, n, true
	default:
		return 0, 0, false
	}
	return lo, hi, true
}

// hashSize is the size part of Hash's parameters: Hash[K, V, min, max]
// or Hash[min, max].
func hashSize(p []any) []any {
	if len(p) >= 2 {
		if _, ok := p[0].(TypeRef); ok {
			return p[2:]
		}
	}
	return p
}

// tupleParams splits Tuple's parameters into its types and its size.
func tupleParams(p []any) (types, size []any) {
	for _, x := range p {
		if _, isInt := x.(int64); isInt {
			size = append(size, x)
		} else if _, isDef := x.(Default); isDef && len(types) > 0 {
			size = append(size, x)
		} else {
			types = append(types, x)
		}
	}
	return types, size
}

func stringAssignable(t, o TypeRef) bool {
	switch o.Name {
	case "String":
		lo, hi := sizeRange(o.Params)
		return sizeWithin(t.Params, lo, hi)
	case "Enum":
		values := enumValues(o)
		if len(values) == 0 {
			return sizeWithin(t.Params, 0, math.Inf(1))
		}
		lo, hi := math.Inf(1), 0.0
		for _, v := range values {
			n := float64(len([]rune(v)))
			lo, hi = min(lo, n), max(hi, n)
		}
		return sizeWithin(t.Params, lo, hi)
	case "Pattern":
		return sizeWithin(t.Params, 0, math.Inf(1))
	}
	return false
}

// enumValues are the strings of an Enum type (a trailing Boolean, its
// case-insensitivity flag, is not one).
func enumValues(t TypeRef) []string {
	var out []string
	for _, p := range flatten(t.Params) {
		if s, ok := p.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func enumAssignable(t, o TypeRef) bool {
	values := enumValues(t)
	if len(values) == 0 {
		return o.Name == "String" || o.Name == "Enum" || o.Name == "Pattern"
	}
	return enumMatches(o, "Enum", t.Params)
}

// enumMatches reports whether o is an Enum with values that all match one
// of params, read as the parameters of a kind type (Enum or Pattern).
func enumMatches(o TypeRef, kind string, params []any) bool {
	if o.Name != "Enum" {
		return false
	}
	ov := enumValues(o)
	if len(ov) == 0 {
		return false
	}
	for _, v := range ov {
		if !matchesAny(v, kind, params) {
			return false
		}
	}
	return true
}

func patternAssignable(t, o TypeRef) bool {
	if equal(t, o) || len(t.Params) == 0 {
		return o.Name == "String" || o.Name == "Enum" || o.Name == "Pattern"
	}
	return enumMatches(o, "Pattern", flatten(t.Params))
}

// elemType is the element type of an Array type (Any when not given).
func elemType(t TypeRef) TypeRef {
	if e, _ := splitElemType(t.Params); e != nil {
		return paramType(e)
	}
	return anyType
}

func arrayAssignable(t, o TypeRef) bool {
	elem := elemType(t)
	_, size := splitElemType(t.Params)
	switch o.Name {
	case "Tuple":
		lo, hi, _ := collectionSize(o)
		if !sizeWithin(size, lo, hi) {
			return false
		}
		types, _ := tupleParams(o.Params)
		for _, x := range types {
			if !assignable(elem, paramType(x)) {
				return false
			}
		}
		return true
	case "Array":
		lo, hi, _ := collectionSize(o)
		return sizeWithin(size, lo, hi) && assignable(elem, elemType(o))
	}
	return false
}

// hashTypes are the key and value types of a Hash type (Any when not
// given).
func hashTypes(t TypeRef) (TypeRef, TypeRef) {
	if len(t.Params) >= 2 {
		if k, ok := t.Params[0].(TypeRef); ok {
			return k, paramType(t.Params[1])
		}
	}
	return anyType, anyType
}

func hashAssignable(t, o TypeRef) bool {
	key, val := hashTypes(t)
	switch o.Name {
	case "Hash":
		lo, hi, _ := collectionSize(o)
		if hi == 0 && sizeWithin(hashSize(t.Params), 0, 0) {
			return true // the empty hash
		}
		ok, ov := hashTypes(o)
		return assignable(key, ok) && assignable(val, ov) && sizeWithin(hashSize(t.Params), lo, hi)
	case "Struct":
		elems := structElements(o)
		n := float64(len(elems))
		if !sizeWithin(hashSize(t.Params), n, n) {
			return false
		}
		for _, e := range elems {
			if !isInstance(e.name, key) || !assignable(val, e.value) {
				return false
			}
		}
		return true
	}
	return false
}

func tupleAssignable(t, o TypeRef) bool {
	if equal(t, o) {
		return true
	}
	if o.Name != "Tuple" && o.Name != "Array" {
		return false
	}
	types, _ := tupleParams(t.Params)
	tlo, thi, _ := collectionSize(t)
	olo, ohi, _ := collectionSize(o)
	if tlo > olo || thi < ohi {
		return false
	}
	at := func(i int) TypeRef { return paramType(types[min(i, len(types)-1)]) }
	if len(types) == 0 {
		return true
	}
	if o.Name == "Tuple" {
		otypes, _ := tupleParams(o.Params)
		if len(otypes) == 0 {
			return tlo == 0
		}
		for i, x := range otypes {
			if !assignable(at(i), paramType(x)) {
				return false
			}
		}
		return true
	}
	oe := elemType(o)
	for i := 0; i < len(types) && float64(i) < ohi; i++ {
		if !assignable(at(i), oe) {
			return false
		}
	}
	return true
}

// structElement is one entry of a Struct type: its name, whether the
// key is optional (Optional['name'], or a value type that accepts
// undef), and its value type.
type structElement struct {
	name     string
	optional bool
	value    TypeRef
}

func structElements(t TypeRef) []structElement {
	if len(t.Params) == 0 {
		return nil
	}
	schema, ok := t.Params[0].(*Hash)
	if !ok {
		return nil
	}
	out := make([]structElement, schema.Len())
	for i, k := range schema.Keys() {
		name, optional := structKey(k)
		v := paramType(schema.Values()[i])
		out[i] = structElement{name: name, optional: optional || assignable(v, undefType), value: v}
	}
	return out
}

func structAssignable(t, o TypeRef) bool {
	elems := structElements(t)
	switch o.Name {
	case "Struct":
		others := map[string]structElement{}
		for _, e := range structElements(o) {
			others[e.name] = e
		}
		matched := 0
		for _, e := range elems {
			oe, ok := others[e.name]
			if !ok {
				if !e.optional {
					return false
				}
				continue
			}
			matched++
			if (oe.optional && !e.optional) || !assignable(e.value, oe.value) {
				return false
			}
		}
		return matched == len(others)
	case "Hash":
		ok, ov := hashTypes(o)
		required := 0
		for _, e := range elems {
			if e.optional {
				continue
			}
			required++
			if !assignable(e.value, ov) || !assignable(TypeRef{Name: "String"}, ok) {
				return false
			}
		}
		lo, hi, _ := collectionSize(o)
		return float64(required) <= lo && float64(len(elems)) >= hi
	}
	return false
}

func iterableAssignable(t, o TypeRef) bool {
	inner, ok := firstParam(t)
	if !ok || inner.Name == "Any" {
		switch o.Name {
		case "Iterable", "Collection", "Array", "Hash", "Tuple", "Struct", "String", "Enum", "Pattern":
			return true
		}
		return false
	}
	switch o.Name {
	case "Iterable":
		oi, has := firstParam(o)
		return has && assignable(inner, oi)
	case "Array":
		return assignable(inner, elemType(o))
	}
	return false
}

// compareTypes is a comparison whose left operand is a type: == and !=
// are type equality, < <= > >= compare by assignability (Integer <
// Numeric: Integer is assignable to Numeric and not equal to it). A
// right operand that is not a type is never equal, smaller or greater,
// as in Puppet. ok is false for operators that are not comparisons.
func compareTypes(op parser.Op, l TypeRef, rv any) (result, ok bool) {
	r, isType := asType(rv)
	switch op {
	case parser.OpEq:
		return isType && typesEqual(l, r), true
	case parser.OpNe:
		return !(isType && typesEqual(l, r)), true
	case parser.OpLt:
		return isType && assignable(r, l) && !typesEqual(l, r), true
	case parser.OpLe:
		return isType && assignable(r, l), true
	case parser.OpGt:
		return isType && assignable(l, r) && !typesEqual(l, r), true
	case parser.OpGe:
		return isType && assignable(l, r), true
	}
	return false, false
}

// comparedLabel names an operand in Puppet's "Comparison of: ... is not
// possible": Integer, Undef Value, Integer-Type, File['/x']
// Resource-Reference.
func comparedLabel(v any) string {
	switch v.(type) {
	case nil:
		return "Undef Value"
	case TypeRef:
		return quoted(v) + "-Type"
	case catalog.Ref:
		return quoted(v) + " Resource-Reference"
	}
	return typeName(v)
}

// notComparable is Puppet's reason why the left operand cannot be
// ordered against the right one.
func notComparable(l any) string {
	switch l.(type) {
	case string:
		return "A String is not comparable to a non String"
	case int64, float64:
		return "A Numeric is not comparable to non Numeric"
	}
	return "Only Strings, Numbers, Timespans, Timestamps, and Versions are comparable"
}
