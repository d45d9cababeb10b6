// Package hclmanifest reads manifests written in HCL: the same resources a
// Puppet-language manifest declares, in the syntax Terraform users write
// every day.
//
//	variable "port" { default = 8080 }
//	locals { root = "/tmp/site" }
//
//	file "/etc/motd" {
//	  content = "Welcome to ${fact.networking.hostname}\n"
//	  mode    = "0644"
//	}
//	exec "refresh-motd" {
//	  command     = "/usr/bin/logger motd changed"
//	  refreshonly = true
//	  subscribe   = [file["/etc/motd"]]
//	}
//
// One block declares one resource; its label is the title, and a computed
// name goes into the type's namevar attribute (path, name, command), as
// Puppet allows with file { 'motd': path => ... }. Attributes are checked
// against the schema of the resource type (resources.Types), so every Go
// resource type is available in HCL without further work.
//
// This package only decodes: it turns blocks into Resource values with Go
// data and located attributes. The compiler declares them into the same
// catalog as .pp resources, so duplicates, references and type validation
// are checked in one place for both syntaxes.
//
// The names an expression can use are:
//
//	fact.NAME...       the node's facts (external facts included)
//	setting.NAME       the settings, such as setting.manifestdir
//	var.NAME           a variable block's value
//	local.NAME         a value of a locals block
//	each.key, each.value   inside a block with for_each
//	TYPE["title"]      a reference to a resource, for require, before,
//	                   notify and subscribe: file["/etc/motd"]
//
// plus the functions of go-cty's standard library under their Terraform
// names (format, join, upper, ...), try and can, file() and epp().
//
// Variables and locals belong to the whole set of .hcl files compiled
// together, as in a Terraform module, so that a directory of manifests can
// share them.
package hclmanifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// File is a parsed HCL manifest.
type File struct {
	Name  string
	Bytes []byte
	Body  *hclsyntax.Body
}

// Block types with a meaning of their own; every other block type is a
// resource type.
const (
	blockVariable = "variable"
	blockLocals   = "locals"
)

// Parse parses an HCL manifest and checks its structure: only blocks at the
// top level, each with the labels it needs. Whether a block type is a known
// resource type is checked when the blocks are decoded, since defined types
// are known only to the compiler. The file is returned even with errors,
// for tools that want what was understood.
func Parse(filename string, src []byte) (*File, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if f == nil {
		return nil, diags
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, diags
	}
	for _, a := range sortedAttributes(body) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail: fmt.Sprintf("An argument named %q is not expected at the top level of a manifest. "+
				"Declare resources as blocks, such as file \"/etc/motd\" { ... }, and shared values in a locals block.", a.Name),
			Subject: a.NameRange.Ptr(),
		})
	}
	for _, b := range body.Blocks {
		diags = append(diags, checkLabels(b)...)
	}
	return &File{Name: filename, Bytes: src, Body: body}, diags
}

// checkLabels reports a block with the wrong number of labels: a resource
// and a variable have one (the title, the name), locals none.
func checkLabels(b *hclsyntax.Block) hcl.Diagnostics {
	want, what := 1, "a title"
	switch b.Type {
	case blockLocals:
		want = 0
	case blockVariable:
		what = "a name"
	}
	if len(b.Labels) == want {
		if want == 1 && b.Labels[0] == "" {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Empty title",
				Detail:   fmt.Sprintf("A %s block needs %s that is not empty.", b.Type, what),
				Subject:  b.LabelRanges[0].Ptr(),
			}}
		}
		return nil
	}
	rng := b.TypeRange
	if len(b.Labels) > want {
		rng = b.LabelRanges[want]
	}
	detail := fmt.Sprintf("A %s block takes no labels.", b.Type)
	if want == 1 {
		detail = fmt.Sprintf("A %s block takes exactly one label, %s: %s \"...\" { }.", b.Type, what, b.Type)
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Wrong number of labels",
		Detail:   detail,
		Subject:  rng.Ptr(),
		Context:  hcl.RangeBetween(b.TypeRange, b.OpenBraceRange).Ptr(),
	}}
}

// sortedAttributes returns a body's attributes in source order (hclsyntax
// keeps them in a map).
func sortedAttributes(body *hclsyntax.Body) []*hclsyntax.Attribute {
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	slices.SortFunc(attrs, func(a, b *hclsyntax.Attribute) int {
		return a.SrcRange.Start.Byte - b.SrcRange.Start.Byte
	})
	return attrs
}

// didYouMean returns " Did you mean "x"?" for the candidate closest to
// name, when one is close enough to be a likely misspelling.
func didYouMean(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(name), c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}
