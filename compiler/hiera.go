package compiler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Data lookup follows Hiera 5, at the environment level only: one
// hiera.yaml (Options.HieraConfig; without it, hiera.yaml next to the
// first manifest, or in the parent of a manifests/ directory, which is
// Puppet's environment root), version 5, with
//
//	defaults:  {datadir: data, data_hash: yaml_data}
//	hierarchy: - {name: ..., path: "nodes/%{trusted.certname}.yaml"}
//	           - {name: ..., paths: [...], datadir: ..., data_hash: json_data}
//
// Paths and string values interpolate %{facts.os.family},
// %{::trusted.certname}, %{environment} and any top-scope variable, with
// dots digging into hashes. A missing data file is skipped. Merge
// strategies: first (default), unique, hash, deep. lookup_options in the
// data are not read: give the strategy to lookup().
//
// Automatic class-parameter lookup asks for "class::param" when a class
// is declared without that parameter, before its default.
//
// Below the environment is the module layer, as in Puppet: a key
// "mod::..." is also looked up in the hierarchy of the hiera.yaml
// (version 5) at the root of module mod in the module path, with paths
// relative to that module. This is where modules such as puppetlabs-ntp
// and saz-ssh keep their defaults (data/common.yaml,
// data/%{facts.os.family}.yaml), so their classes have no params.pp and
// cannot be declared without it. A module answers only keys of its own
// namespace; the environment's values come first.

// hieraConfig is a parsed hiera.yaml.
type hieraConfig struct {
	dir    string
	levels []hieraLevel
	// modules caches the module layer by module name: the module's
	// hiera.yaml, or nil when it has none (environment config only).
	modules map[string]*hieraConfig
}

type hieraLevel struct {
	name    string
	datadir string
	paths   []string
}

// hieraFile is the YAML form of hiera.yaml.
type hieraFile struct {
	Version  int `yaml:"version"`
	Defaults struct {
		Datadir  string `yaml:"datadir"`
		DataHash string `yaml:"data_hash"`
	} `yaml:"defaults"`
	Hierarchy []struct {
		Name     string   `yaml:"name"`
		Path     string   `yaml:"path"`
		Paths    []string `yaml:"paths"`
		Datadir  string   `yaml:"datadir"`
		DataHash string   `yaml:"data_hash"`
	} `yaml:"hierarchy"`
}

// loadHiera reads the hiera.yaml at path; no file is no hierarchy,
// unless the file was required (named by the user).
func loadHiera(path string, required bool) (*hieraConfig, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f hieraFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if f.Version != 5 {
		return nil, fmt.Errorf("%s: only Hiera version 5 is supported, got version %d", path, f.Version)
	}
	cfg := &hieraConfig{dir: filepath.Dir(path)}
	for _, h := range f.Hierarchy {
		dh := h.DataHash
		if dh == "" {
			dh = f.Defaults.DataHash
		}
		if dh != "" && dh != "yaml_data" && dh != "json_data" {
			return nil, fmt.Errorf("%s: hierarchy level %q: data_hash %s is not supported (yaml_data and json_data are)", path, h.Name, dh)
		}
		dd := h.Datadir
		if dd == "" {
			dd = f.Defaults.Datadir
		}
		if dd == "" {
			dd = "data"
		}
		lvl := hieraLevel{name: h.Name, datadir: dd, paths: h.Paths}
		if h.Path != "" {
			lvl.paths = append([]string{h.Path}, lvl.paths...)
		}
		cfg.levels = append(cfg.levels, lvl)
	}
	return cfg, nil
}

// hieraPath finds the hiera.yaml for the manifests named first.
func hieraPath(opts Options, firstManifest string) string {
	if opts.HieraConfig != "" {
		return opts.HieraConfig
	}
	if firstManifest == "" || firstManifest == CodeName {
		return ""
	}
	dir := filepath.Dir(firstManifest)
	if filepath.Base(dir) == "manifests" {
		if p := filepath.Join(filepath.Dir(dir), "hiera.yaml"); fileExists(p) {
			return p
		}
	}
	return filepath.Join(dir, "hiera.yaml")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var hieraInterp = regexp.MustCompile(`%\{([^}]*)\}`)

// hieraInterpolate replaces %{var.key...} with the value of a top-scope
// variable, digging into hashes; unknown is empty, as in Hiera.
func (c *compiler) hieraInterpolate(s string) string {
	return hieraInterp.ReplaceAllStringFunc(s, func(m string) string {
		expr := strings.TrimSpace(m[2 : len(m)-1])
		expr = strings.TrimPrefix(expr, "::")
		if expr == "" {
			return ""
		}
		parts := strings.Split(expr, ".")
		v, _ := c.top.lookup(parts[0])
		for _, p := range parts[1:] {
			h, ok := v.(*Hash)
			if !ok {
				return ""
			}
			v, _ = h.Get(p)
		}
		return ToString(v)
	})
}

// dataFile reads and caches one data file; a missing file is nil.
func (c *compiler) dataFile(path string) (*Hash, error) {
	if h, ok := c.hieraData[path]; ok {
		return h, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.hieraData[path] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var h *Hash
	if len(doc.Content) > 0 {
		v, err := fromYAML(doc.Content[0])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if v != nil {
			hv, isHash := v.(*Hash)
			if !isHash {
				return nil, fmt.Errorf("%s: the data must be a hash of keys", path)
			}
			h = hv
		}
	}
	c.hieraData[path] = h
	return h, nil
}

// fromYAML converts a YAML node to a value, keeping the order of keys
// as written (Puppet's hashes are ordered, and Hiera keeps the file's
// order).
func fromYAML(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return fromYAML(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			v, err := fromYAML(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		h := NewHash()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := fromYAML(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			h.Set(k, v)
		}
		return h, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return FromData(v), nil
}

// interpolateData applies %{} interpolation to every string of a value.
func (c *compiler) interpolateData(v any) any {
	switch x := v.(type) {
	case string:
		if strings.Contains(x, "%{") {
			return c.hieraInterpolate(x)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.interpolateData(e)
		}
		return out
	case *Hash:
		out := NewHash()
		for i, k := range x.Keys() {
			out.Set(k, c.interpolateData(x.Values()[i]))
		}
		return out
	}
	return v
}

// hieraLookup finds key in the hierarchy with a merge strategy. found is
// false when no level has it.
func (c *compiler) hieraLookup(key, strategy string) (any, bool, error) {
	if !c.hieraDone {
		c.hieraDone = true
		cfg, err := loadHiera(hieraPath(c.opts, c.firstFile), c.opts.HieraConfig != "")
		if err != nil {
			// Reported once; later lookups see no environment data
			// rather than the same error again.
			c.hiera = &hieraConfig{}
			return nil, false, err
		}
		if cfg == nil {
			cfg = &hieraConfig{}
		}
		c.hiera = cfg
	}
	if c.hiera == nil {
		return nil, false, nil // its hiera.yaml failed to load: reported
	}
	values, err := c.hieraLevels(c.hiera, key, strategy, nil)
	if err != nil {
		return nil, false, err
	}
	if len(values) > 0 && strategy == "first" {
		return values[0], true, nil
	}
	if mod, _, ok := strings.Cut(strings.TrimPrefix(key, "::"), "::"); ok {
		cfg, err := c.moduleHiera(mod)
		if err != nil {
			return nil, false, err
		}
		if values, err = c.hieraLevels(cfg, key, strategy, values); err != nil {
			return nil, false, err
		}
	}
	if len(values) == 0 {
		return nil, false, nil
	}
	return mergeValues(values, strategy)
}

// hieraLevels appends the values of key found in the levels of cfg (nil
// is no levels) to values, stopping at the first for strategy "first".
func (c *compiler) hieraLevels(cfg *hieraConfig, key, strategy string, values []any) ([]any, error) {
	if cfg == nil {
		return values, nil
	}
	for _, lvl := range cfg.levels {
		for _, p := range lvl.paths {
			path := filepath.Join(cfg.dir, lvl.datadir, c.hieraInterpolate(p))
			h, err := c.dataFile(path)
			if err != nil {
				return nil, err
			}
			if h == nil {
				continue
			}
			if v, ok := h.Get(key); ok {
				values = append(values, c.interpolateData(v))
				if strategy == "first" {
					return values, nil
				}
			}
		}
	}
	return values, nil
}

// moduleHiera is the module layer of module mod: the hiera.yaml at the
// root of the first directory of the module path that has the module,
// read once. A module without one has no data (nil).
func (c *compiler) moduleHiera(mod string) (*hieraConfig, error) {
	if cfg, seen := c.hiera.modules[mod]; seen {
		return cfg, nil
	}
	if c.hiera.modules == nil {
		c.hiera.modules = map[string]*hieraConfig{}
	}
	var cfg *hieraConfig
	for _, dir := range c.opts.ModulePath {
		root := filepath.Join(dir, mod)
		if !fileExists(root) {
			continue
		}
		var err error
		if cfg, err = loadHiera(filepath.Join(root, "hiera.yaml"), false); err != nil {
			return nil, err
		}
		break
	}
	c.hiera.modules[mod] = cfg
	return cfg, nil
}

// mergeValues merges the values found, highest priority first.
func mergeValues(values []any, strategy string) (any, bool, error) {
	switch strategy {
	case "unique":
		out := []any{}
		seen := map[string]bool{}
		for _, v := range values {
			for _, x := range flatten(v) {
				if k := hashKey(x); !seen[k] {
					seen[k] = true
					out = append(out, x)
				}
			}
		}
		return out, true, nil
	case "hash", "deep":
		out := NewHash()
		for i := len(values) - 1; i >= 0; i-- {
			h, ok := values[i].(*Hash)
			if !ok {
				return nil, false, fmt.Errorf("a %s merge needs Hash values, got %s", strategy, typeName(values[i]))
			}
			if strategy == "deep" {
				out = deepMergeHash(out, h)
				continue
			}
			for j, k := range h.Keys() {
				out.Set(k, h.Values()[j])
			}
		}
		return out, true, nil
	}
	return values[0], true, nil
}

// deepMergeHash merges b over a recursively: hashes merge, arrays
// concatenate without repeats, anything else from b wins.
func deepMergeHash(a, b *Hash) *Hash {
	out := NewHash()
	for i, k := range a.Keys() {
		out.Set(k, a.Values()[i])
	}
	for i, k := range b.Keys() {
		bv := b.Values()[i]
		av, ok := out.Get(k)
		if !ok {
			out.Set(k, bv)
			continue
		}
		ah, aIsHash := av.(*Hash)
		bh, bIsHash := bv.(*Hash)
		aa, aIsArr := av.([]any)
		ba, bIsArr := bv.([]any)
		switch {
		case aIsHash && bIsHash:
			out.Set(k, deepMergeHash(ah, bh))
		case aIsArr && bIsArr:
			// Puppet's deep merge keeps the lower level's elements first.
			merged, _, _ := mergeValues([]any{aa, ba}, "unique")
			out.Set(k, merged)
		default:
			out.Set(k, bv)
		}
	}
	return out
}

// fnLookup is lookup(name, [type], [merge], [default]) or lookup(name,
// {value_type, merge, default_value}); name may be an array of names,
// the first found wins.
func fnLookup(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 4); err != nil {
		return nil, err
	}
	var names []string
	for _, n := range flatten(args[0]) {
		s, ok := n.(string)
		if !ok {
			return nil, cl.paramError("name", "a value of type String or Array", args[0])
		}
		names = append(names, s)
	}
	var typ *TypeRef
	strategy := "first"
	var dflt any
	hasDefault := false
	setStrategy := func(v any) error {
		switch m := v.(type) {
		case nil:
		case string:
			strategy = m
		case *Hash:
			s, _ := m.Get("strategy")
			strategy = ToString(s)
		default:
			return cl.paramError("merge", "a value of type String or Hash", v)
		}
		switch strategy {
		case "first", "unique", "hash", "deep":
			return nil
		}
		return cl.errorf("unknown merge strategy '%s': use first, unique, hash or deep", strategy)
	}
	if len(args) == 2 {
		if opts, ok := args[1].(*Hash); ok {
			if v, ok := opts.Get("value_type"); ok {
				if t, isType := v.(TypeRef); isType {
					typ = &t
				}
			}
			if v, ok := opts.Get("merge"); ok {
				if err := setStrategy(v); err != nil {
					return nil, err
				}
			}
			dflt, hasDefault = opts.Get("default_value")
			args = args[:1]
		}
	}
	if len(args) >= 2 && args[1] != nil {
		t, ok := args[1].(TypeRef)
		if !ok {
			return nil, cl.paramError("value_type", "a Type", args[1])
		}
		typ = &t
	}
	if len(args) >= 3 {
		if err := setStrategy(args[2]); err != nil {
			return nil, err
		}
	}
	if len(args) == 4 {
		dflt, hasDefault = args[3], true
	}
	for _, name := range names {
		v, found, err := cl.c.hieraLookup(name, strategy)
		if err != nil {
			return nil, cl.errorf("%v", err)
		}
		if found {
			return checkLookupType(cl, name, v, typ)
		}
	}
	if hasDefault {
		return checkLookupType(cl, names[0], dflt, typ)
	}
	return nil, errorf(cl.expr.Range(), "Function lookup() did not find a value for the name '%s'", names[0])
}

func checkLookupType(cl *call, name string, v any, typ *TypeRef) (any, error) {
	if typ != nil {
		if ms := checkType(v, *typ); ms != nil {
			return nil, errorf(cl.expr.Range(), "Found value has wrong type,%s", describeMismatches("", ms))
		}
	}
	return v, nil
}

func init() {
	functions["lookup"] = fnLookup
}
