package resources

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// Describe returns the machine's current state of the resources of type
// typeName as resources, for `gapply resource TYPE [TITLE]` (Puppet's
// `puppet resource`): every instance when title is empty, or the one
// named title, which is {ensure => absent} when it does not exist. A type
// lists its instances with Type.Instances and may describe one it cannot
// list (a file, by path) with Type.DescribeOne.
func Describe(ctx context.Context, typeName, title string) ([]*catalog.Resource, error) {
	t, ok := Lookup(strings.ToLower(typeName))
	if !ok {
		return nil, fmt.Errorf("unknown resource type %q", typeName)
	}
	switch {
	case title != "" && t.DescribeOne != nil:
		r, err := t.DescribeOne(ctx, title)
		if err != nil {
			return nil, err
		}
		return []*catalog.Resource{r}, nil
	case t.Instances == nil && t.DescribeOne != nil:
		return nil, fmt.Errorf("%s cannot list its instances: name one, as in 'gapply resource %s TITLE'", t.Name, t.Name)
	case t.Instances == nil:
		return nil, fmt.Errorf("%s cannot describe the machine's state; these types can: %s", t.Name, strings.Join(describable(), ", "))
	}
	all, err := t.Instances(ctx)
	if err != nil {
		return nil, err
	}
	if title == "" {
		return all, nil
	}
	for _, r := range all {
		if r.Title == title {
			return []*catalog.Resource{r}, nil
		}
	}
	return []*catalog.Resource{{Type: catalog.CapitalizeType(t.Name), Title: title,
		Parameters: map[string]any{"ensure": "absent"}}}, nil
}

// describable lists the types Describe serves.
func describable() []string {
	var names []string
	for _, t := range Types() {
		switch {
		case t.Instances != nil:
			names = append(names, t.Name)
		case t.DescribeOne != nil:
			names = append(names, t.Name+" (with a TITLE)")
		}
	}
	return names
}

// Manifest formats a resource as Puppet code, as `puppet resource` prints
// it: the type in lower case, ensure first and the other parameters
// sorted, the arrows aligned, strings quoted and numbers bare.
//
//	user { 'root':
//	  ensure => 'present',
//	  uid    => 0,
//	}
func Manifest(r *catalog.Resource) string {
	keys := make([]string, 0, len(r.Parameters))
	width := 0
	for k := range r.Parameters {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "ensure") != (keys[j] == "ensure") {
			return keys[i] == "ensure"
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s { %s:\n", strings.ToLower(r.Type), manifestValue(r.Title))
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-*s => %s,\n", width, k, manifestValue(r.Parameters[k]))
	}
	b.WriteString("}\n")
	return b.String()
}

// manifestValue writes a value as Puppet code.
func manifestValue(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int, int64, int32, uint32, uint64, uint:
		return fmt.Sprint(v)
	case nil:
		return "undef"
	}
	if s, ok := reprComposite(v, manifestValue); ok {
		return s
	}
	return manifestValue(fmt.Sprint(v))
}
