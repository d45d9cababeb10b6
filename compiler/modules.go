package compiler

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

// autoload looks for the definition of a class or defined type in the
// module path, as Puppet's autoloader does, and collects the definitions of
// the file it finds. It reports whether a file was loaded; problems reading
// or parsing it are diagnostics located at rng.
func (c *compiler) autoload(name string, rng hcl.Range) bool {
	return c.autoloadKind(name, "manifests", rng)
}

// autoloadKind loads name from the module directory kind: manifests for
// classes and defines, functions for functions, types for type aliases.
// Only manifests have an init.pp for the module's own name.
func (c *compiler) autoloadKind(name, kind string, rng hcl.Range) bool {
	name = className(name)
	segs := strings.Split(name, "::")
	if len(c.opts.ModulePath) == 0 || segs[0] == "" || (len(segs) == 1 && kind != "manifests") {
		return false
	}
	rel := filepath.Join(segs[0], kind, "init.pp")
	if len(segs) > 1 {
		rel = filepath.Join(append([]string{segs[0], kind}, segs[1:]...)...) + ".pp"
	}
	for _, dir := range c.opts.ModulePath {
		path := filepath.Join(dir, rel)
		if c.loaded[path] {
			continue
		}
		src, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		c.loaded[path] = true
		if err != nil {
			c.report(errorf(rng, "could not load %s: %v", path, err), rng)
			return false
		}
		f, diags := parser.ParseFile(path, src)
		if f != nil && !diags.HasErrors() {
			diags = append(diags, checkModuleFile(f, path, c.opts.ModulePath)...)
		}
		c.diags = append(c.diags, diags...)
		if f != nil && !diags.HasErrors() {
			c.collect(f.Body, "")
		}
		return true
	}
	return false
}

// moduleName is the module whose directory of the module path holds file,
// "" for a file outside it (site.pp): the value of $module_name in the
// classes and defines the file defines, which modules use to name their own
// files ("puppet:///modules/${module_name}/x").
func (c *compiler) moduleName(file string) string {
	for _, dir := range c.opts.ModulePath {
		if rel, err := filepath.Rel(dir, file); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			mod, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
			return mod
		}
	}
	return ""
}

// findClass returns the definition of a class, autoloading it if needed.
func (c *compiler) findClass(name string, rng hcl.Range) bool {
	if _, ok := c.defs.classes[name]; ok {
		return true
	}
	c.autoload(name, rng)
	_, ok := c.defs.classes[name]
	return ok
}

// findDefine is findClass for defined types.
func (c *compiler) findDefine(name string, rng hcl.Range) bool {
	if _, ok := c.defs.defines[name]; ok {
		return true
	}
	c.autoload(name, rng)
	_, ok := c.defs.defines[name]
	return ok
}
