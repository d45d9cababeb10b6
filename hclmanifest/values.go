package hclmanifest

import (
	"fmt"
	"math/big"
	"reflect"
	"sort"

	"github.com/zclconf/go-cty/cty"

	"github.com/gapply/gapply/catalog"
)

// refType is the cty type of a resource reference, file["/etc/motd"]. A
// capsule keeps the reference opaque to HCL expressions: it can be put in
// lists, chosen by a conditional and compared, but not mistaken for a
// string.
var refType = cty.CapsuleWithOps("resource reference", reflect.TypeOf(catalog.Ref{}), &cty.CapsuleOps{
	GoString: func(v any) string {
		return fmt.Sprintf("refVal(%#v)", *v.(*catalog.Ref))
	},
	TypeGoString: func(reflect.Type) string { return "refType" },
	Equals: func(a, b any) cty.Value {
		return cty.BoolVal(*a.(*catalog.Ref) == *b.(*catalog.Ref))
	},
	RawEquals: func(a, b any) bool { return *a.(*catalog.Ref) == *b.(*catalog.Ref) },
})

func refVal(r catalog.Ref) cty.Value { return cty.CapsuleVal(refType, &r) }

// toGo converts a cty value to the data the compiler takes: nil, string,
// int64, float64, bool, []any, map[string]any and catalog.Ref. Whole
// numbers become int64 so that 3 stays 3 and not 3.0.
func toGo(v cty.Value) (any, error) {
	if v.IsMarked() {
		v, _ = v.Unmark()
	}
	if !v.IsKnown() {
		return nil, fmt.Errorf("the value is not known")
	}
	if v.IsNull() {
		return nil, nil
	}
	ty := v.Type()
	switch {
	case ty == refType:
		return *v.EncapsulatedValue().(*catalog.Ref), nil
	case ty == cty.String:
		return v.AsString(), nil
	case ty == cty.Bool:
		return v.True(), nil
	case ty == cty.Number:
		return numberToGo(v.AsBigFloat()), nil
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, el := it.Element()
			g, err := toGo(el)
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
		return out, nil
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, el := it.Element()
			g, err := toGo(el)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = g
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s cannot be a resource attribute", ty.FriendlyName())
}

func numberToGo(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	return x
}

// fromGo converts facts and settings (JSON-like Go data) to cty values.
// Maps become objects, so that fact.os.family is attribute access, and
// lists become tuples, since facts mix element types.
func fromGo(v any) cty.Value {
	switch v := v.(type) {
	case nil:
		return cty.NullVal(cty.DynamicPseudoType)
	case string:
		return cty.StringVal(v)
	case bool:
		return cty.BoolVal(v)
	case int:
		return cty.NumberIntVal(int64(v))
	case int32:
		return cty.NumberIntVal(int64(v))
	case int64:
		return cty.NumberIntVal(v)
	case uint64:
		return cty.NumberUIntVal(v)
	case float32:
		return cty.NumberFloatVal(float64(v))
	case float64:
		return cty.NumberFloatVal(v)
	case catalog.Ref:
		return refVal(v)
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return fromGo(out)
	case []any:
		if len(v) == 0 {
			return cty.EmptyTupleVal
		}
		out := make([]cty.Value, len(v))
		for i, el := range v {
			out[i] = fromGo(el)
		}
		return cty.TupleVal(out)
	case map[string]string:
		out := make(map[string]any, len(v))
		for k, s := range v {
			out[k] = s
		}
		return fromGo(out)
	case map[string]any:
		if len(v) == 0 {
			return cty.EmptyObjectVal
		}
		out := make(map[string]cty.Value, len(v))
		for k, el := range v {
			out[k] = fromGo(el)
		}
		return cty.ObjectVal(out)
	}
	return cty.StringVal(fmt.Sprint(v))
}

// sortedKeys returns the keys of a set of titles in order, so that
// evaluation is deterministic.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
