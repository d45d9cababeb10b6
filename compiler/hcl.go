package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/hclmanifest"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// Manifest is one parsed manifest file, in either syntax: exactly one of
// PP and HCL is set.
type Manifest struct {
	PP  *parser.File
	HCL *hclmanifest.File
}

// CompileManifests is Compile for a mix of .pp and .hcl manifests. Files
// are evaluated in the order given, and the resources of each in file
// order, so the catalog's default apply order follows the sources. HCL
// resources are declared exactly as .pp ones: one duplicate check (a
// resource in both syntaxes is reported with both places), one reference
// check, one validation by the resource type, the same resource defaults
// and containment in Class[main].
func CompileManifests(files []Manifest, opts Options) (*catalog.Catalog, hcl.Diagnostics) {
	c := newCompiler(opts)
	var hclFiles []*hclmanifest.File
	for _, f := range files {
		// The first manifest's directory holds the environment's
		// hiera.yaml, whichever its syntax.
		if c.firstFile == "" {
			if f.PP != nil {
				c.firstFile = f.PP.Range().Filename
			} else if f.HCL != nil {
				c.firstFile = f.HCL.Name
			}
		}
		if f.PP != nil {
			c.collect(f.PP.Body, "")
		} else if f.HCL != nil {
			hclFiles = append(hclFiles, f.HCL)
		}
	}
	var mod *hclmanifest.Module
	if len(hclFiles) > 0 {
		var diags hcl.Diagnostics
		mod, diags = hclmanifest.Load(hclFiles, hclmanifest.Config{
			Facts:    opts.Facts,
			Settings: opts.Settings,
			IsType:   c.isHCLType,
			EPP:      c.renderHCLTemplate,
		})
		c.diags = append(c.diags, diags...)
	}
	for _, f := range files {
		if f.PP != nil {
			c.evalBlock(f.PP.Body, c.top)
			c.endBody(true)
		} else if f.HCL != nil {
			c.evalHCL(mod, f.HCL)
		}
	}
	c.evalNode()
	c.finish()
	return c.cat, c.diags
}

// isHCLType reports whether an HCL block type is a type besides the
// built-in ones: a defined type (from a manifest or a module) or "class".
func (c *compiler) isHCLType(name string) bool {
	return name == "class" || c.findDefine(name, hcl.Range{})
}

// evalHCL declares the resources of one HCL manifest.
func (c *compiler) evalHCL(mod *hclmanifest.Module, f *hclmanifest.File) {
	decls, diags := mod.Resources(f)
	c.diags = append(c.diags, diags...)
	for _, r := range decls {
		// The declaration helpers take a .pp body for its ranges: the
		// title's and the whole declaration's.
		body := &parser.ResourceBody{
			Span:  parser.Span{Loc: r.Range},
			Title: &parser.String{Span: parser.Span{Loc: r.TitleRange}, Value: r.Title},
		}
		attrs := make([]attr, len(r.Attrs))
		for i, a := range r.Attrs {
			at := &a.NameRange
			value := FromData(a.Value)
			if _, isRel := relationMetaparams[a.Name]; isRel {
				// A missing reference is pointed at where it is written.
				at = &a.ValueRange
				value = normalizeClassRefs(value)
			}
			attrs[i] = attr{name: a.Name, value: value, at: at}
		}
		switch {
		case r.Type == "class":
			if _, err := c.declareClass(r.Title, attrs, true, r.TitleRange); err != nil {
				c.report(err, r.TitleRange)
			}
		default:
			if rt, ok := resources.Lookup(r.Type); ok {
				first := len(c.diags)
				c.declare(rt, r.Title, body, attrs, c.top)
				locateParamErrors(c.diags[first:], r)
			} else if c.findDefine(r.Type, r.TypeRange) {
				c.declareDefined(r.Type, c.defs.defines[r.Type], r.Title, body, attrs, c.top, parser.Regular)
			}
		}
	}
}

// normalizeClassRefs gives class references the title Puppet gives
// them, class["web"] being Class[Web], as the .pp side does when it reads
// Class['web'].
func normalizeClassRefs(v any) any {
	switch v := v.(type) {
	case catalog.Ref:
		if v.Type == "Class" {
			v.Title = classTitle(v.Title)
		}
		return v
	case []any:
		for i := range v {
			v[i] = normalizeClassRefs(v[i])
		}
	}
	return v
}

// paramFailed finds the parameter a resource type's validation names.
var paramFailed = regexp.MustCompile(`Parameter (\w+) failed on`)

// locateParamErrors points a resource type's complaint about a parameter
// ("Parameter mode failed on File[/x]: ...") at the attribute's value
// rather than at the title, where the type alone cannot see.
func locateParamErrors(diags hcl.Diagnostics, r *hclmanifest.Resource) {
	for _, d := range diags {
		m := paramFailed.FindStringSubmatch(d.Summary)
		if m == nil {
			continue
		}
		i := slices.IndexFunc(r.Attrs, func(a hclmanifest.Attr) bool { return a.Name == m[1] })
		if i >= 0 {
			d.Subject = r.Attrs[i].ValueRange.Ptr()
			d.Context = r.Range.Ptr()
		}
	}
}

// ParseManifest parses one manifest by its extension: a .hcl file is an
// HCL manifest, anything else (.pp, code given with -e) the Puppet
// language.
func ParseManifest(name string, src []byte) (Manifest, hcl.Diagnostics) {
	if strings.HasSuffix(name, ".hcl") {
		f, diags := hclmanifest.Parse(name, src)
		return Manifest{HCL: f}, diags
	}
	f, diags := parser.ParseFile(name, src)
	return Manifest{PP: f}, diags
}

// renderHCLTemplate is epp() for HCL manifests: the same EPP templates as
// .pp manifests, found by absolute path or as "module/template.epp" in the
// module path, rendered in top scope with the given parameters. Errors are
// located at the HCL call by hclmanifest.
func (c *compiler) renderHCLTemplate(path string, params map[string]any) (string, error) {
	cl := &call{c: c, scope: c.top, expr: &parser.Call{Name: "epp"}, name: "epp"}
	file, found := c.moduleFile("templates", path)
	if !found {
		return "", fmt.Errorf("could not find template '%s'", path)
	}
	t, err := c.loadTemplate(cl, file)
	if err != nil {
		return "", err
	}
	var args *Hash
	if params != nil {
		args, _ = FromData(params).(*Hash)
	}
	return c.render(cl, t, args, c.top)
}
