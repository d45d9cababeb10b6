package parser

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Dump renders a tree as indented text, one node per line with its range
// (line:col-line:col) and its scalar fields; child nodes follow, indented and
// labelled with their field name. The output is deterministic, so golden tests
// and debugging sessions can compare trees as text. Zero-valued fields (except
// a literal's Value, so `false` and ” show) and the
// secondary ranges (NameRange, OpRange, TypeRange) are left out to keep it short.
func Dump(n Node) string {
	var b strings.Builder
	dumpNode(&b, "", "", reflect.ValueOf(n))
	return b.String()
}

var (
	rangeType = reflect.TypeOf(hcl.Range{})
	spanType  = reflect.TypeOf(Span{})
	nodeType  = reflect.TypeOf((*Node)(nil)).Elem()
)

func fmtRange(r hcl.Range) string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
}

// dumpNode writes one node line prefixed by indent and label, then its children.
func dumpNode(b *strings.Builder, indent, label string, v reflect.Value) {
	b.WriteString(indent)
	b.WriteString(label)
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		b.WriteString("nil\n")
		return
	}
	if v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	n, _ := v.Interface().(Node)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	b.WriteString(t.Name())
	if n != nil {
		b.WriteString(" ")
		b.WriteString(fmtRange(n.Range()))
	}
	type child struct {
		label string
		v     reflect.Value
	}
	var children []child
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		if f.Type == spanType || f.Type == rangeType || fv.IsZero() && f.Name != "Value" {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Slice:
			for j := 0; j < fv.Len(); j++ {
				children = append(children, child{fmt.Sprintf("%s[%d]: ", f.Name, j), fv.Index(j)})
			}
		case f.Type.Implements(nodeType) || f.Type.Kind() == reflect.Interface:
			children = append(children, child{f.Name + ": ", fv})
		case f.Type.Kind() == reflect.String:
			fmt.Fprintf(b, " %s=%q", f.Name, fv.String())
		default:
			fmt.Fprintf(b, " %s=%v", f.Name, fv.Interface())
		}
	}
	b.WriteString("\n")
	for _, c := range children {
		dumpNode(b, indent+"  ", c.label, c.v)
	}
}
