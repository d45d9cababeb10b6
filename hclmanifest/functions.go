package hclmanifest

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// stdFunctions are go-cty's standard library under the names Terraform
// gives them, so that expressions read as Terraform users expect.
func stdFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"regexreplace":    stdlib.RegexReplaceFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
}

// fileFunctions are the functions whose relative paths are relative to
// the directory of the manifest that calls them, so that a manifest finds
// the files beside it wherever gapply runs.
func (m *Module) fileFunctions(dir string) map[string]function.Function {
	return map[string]function.Function{
		"file": function.New(&function.Spec{
			Description: "The content of a file; a relative path is relative to the manifest's directory.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				data, err := os.ReadFile(resolvePath(dir, args[0].AsString()))
				if err != nil {
					return cty.NilVal, err
				}
				return cty.StringVal(string(data)), nil
			},
		}),
		"epp": function.New(&function.Spec{
			Description: "Renders an EPP template with parameters; a relative path is looked up beside the manifest first, then in the modules.",
			Params:      []function.Parameter{{Name: "path", Type: cty.String}},
			VarParam:    &function.Parameter{Name: "params", Type: cty.DynamicPseudoType},
			Type:        function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return m.epp(dir, args)
			},
		}),
	}
}

func (m *Module) epp(dir string, args []cty.Value) (cty.Value, error) {
	if m.cfg.EPP == nil {
		return cty.NilVal, fmt.Errorf("EPP templates are not available in this build")
	}
	if len(args) > 2 {
		return cty.NilVal, fmt.Errorf("epp takes a path and at most one object of parameters")
	}
	path := args[0].AsString()
	// A template beside the manifest goes to the renderer as an absolute
	// path, which it never mistakes for a module's "mod/template.epp".
	if local := resolvePath(dir, path); fileExists(local) {
		if abs, err := filepath.Abs(local); err == nil {
			path = abs
		}
	}
	params := map[string]any{}
	if len(args) == 2 {
		g, err := toGo(args[1])
		if err != nil {
			return cty.NilVal, err
		}
		p, ok := g.(map[string]any)
		if !ok && g != nil {
			return cty.NilVal, fmt.Errorf("the parameters of epp must be an object, such as { port = 80 }")
		}
		if p != nil {
			params = p
		}
	}
	out, err := m.cfg.EPP(path, params)
	if err != nil {
		return cty.NilVal, err
	}
	return cty.StringVal(out), nil
}

func resolvePath(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
