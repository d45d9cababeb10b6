package compiler

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

// Puppet's rules for the files of a module. A file the autoloader reads
// from a module (and, with `puppet parser validate`, any file inside the
// module path) holds definitions only: a resource or an `include` at the
// top of manifests/foo.pp would be evaluated whenever some other name
// happens to load the file, so Puppet refuses it. And every definition must
// be named after the file that holds it (class mod::foo in
// mod/manifests/foo.pp), or the autoloader could never find it. Puppet's
// check is a prefix test of the lower-cased name against the file's
// namespace, which is kept as is: mod::foo::bar may also sit in foo.pp.

// moduleFileNamespace is the namespace of a .pp file inside the module path
// ("mod" for mod/manifests/init.pp, "mod::a::b" for mod/manifests/a/b.pp);
// inModule is false for a file outside it, and ok false for a file in a
// module but outside manifests/, functions/, types/ and plans/, where no
// definition may be.
func moduleFileNamespace(path string, modulePath []string) (ns string, inModule, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil || filepath.Ext(abs) != ".pp" {
		return "", false, false
	}
	for _, dir := range modulePath {
		d, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(d, abs)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		parts := strings.Split(strings.ToLower(filepath.ToSlash(rel)), "/")
		if len(parts) < 3 {
			return "", true, false
		}
		switch parts[1] {
		case "manifests", "functions", "types", "plans":
		default:
			return "", true, false
		}
		names := append([]string{parts[0]}, parts[2:len(parts)-1]...)
		if file := parts[len(parts)-1]; !(len(parts) == 3 && file == "init.pp") {
			names = append(names, strings.TrimSuffix(file, ".pp"))
		}
		return strings.Join(names, "::"), true, true
	}
	return "", false, false
}

// checkModuleFile applies the rules to f, read from path; a file outside
// the module path is not a module's and passes.
func checkModuleFile(f *parser.File, path string, modulePath []string) hcl.Diagnostics {
	ns, inModule, ok := moduleFileNamespace(path, modulePath)
	if !inModule {
		return nil
	}
	var diags hcl.Diagnostics
	for _, e := range f.Body {
		var name string
		switch d := e.(type) {
		case *parser.ClassDef:
			name = d.Name
		case *parser.DefineDef:
			name = d.Name
		case *parser.FunctionDef:
			name = d.Name
		case *parser.TypeAlias:
			name = d.Name
		default:
			rng := e.Range()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("This %s is unacceptable as a top level construct in this location", topLabel(e)),
				Detail:   "A file of a module holds definitions only (class, define, function, type): its other statements would run whenever the file is loaded.",
				Subject:  &rng,
			})
			continue
		}
		if !ok || !strings.HasPrefix(strings.ToLower(strings.TrimPrefix(name, "::")), ns) {
			rng := e.Range()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Unacceptable location. The name '%s' is unacceptable in file '%s'", name, path),
				Detail:   "The autoloader finds a definition only in the file named after it (mod::a::b in mod/manifests/a/b.pp).",
				Subject:  &rng,
			})
		}
	}
	return diags
}

// topLabel names a statement as Puppet's message does.
func topLabel(e parser.Expr) string {
	switch e := e.(type) {
	case *parser.ResourceDecl:
		return "Resource Statement"
	case *parser.ResourceDefaults:
		return "Resource Defaults Expression"
	case *parser.ResourceOverride:
		return "Resource Override"
	case *parser.Collector:
		if e.Exported {
			return "Exported Query"
		}
		return "Virtual Query"
	case *parser.NodeDef:
		return "Node Definition"
	case *parser.Call:
		return "Function Call"
	case *parser.Assignment:
		return "'=' expression"
	case *parser.If:
		return "'if' statement"
	case *parser.Unless:
		return "'unless' Statement"
	case *parser.Case:
		return "'case' statement"
	case *parser.Chain:
		return fmt.Sprintf("'%s' expression", e.Op)
	case *parser.Binary:
		return fmt.Sprintf("'%s' expression", e.Op)
	case *parser.Selector:
		return "Selector Expression"
	}
	return "Expression"
}
