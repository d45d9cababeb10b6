package compiler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
// strategies: first (default), unique, hash, deep; deep takes Puppet's
// options (knockout_prefix, merge_hash_arrays, sort_merged_arrays).
//
// lookup_options in the data (any level, environment or module) map a
// key, or a regexp of keys written as a string starting with '^', to
// options: merge (a strategy, or {strategy => deep, ...}) applies when
// lookup() is given no merge and to automatic class-parameter lookup;
// convert_to: Sensitive (or [Sensitive]) wraps the value found, whatever
// the merge. As in Puppet 7, the lookup_options of the levels and layers
// are combined by a hash merge (the higher level's options for a key
// replace the lower one's, whole), the environment over the module; an
// exact key wins over the patterns, then the first matching pattern. A
// module may give options only for keys of its own namespace.
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
	// envOptions are the environment levels' lookup_options, highest
	// priority first, once read (nil before).
	envOptions []any
	// options caches the lookup_options that apply to the keys of a
	// module (by module name; "" for keys without a namespace).
	options map[string]*lookupOptions
}

// lookupOptions are the lookup_options for the keys of one module, read
// from the data: per exact key, then per pattern in the data's order.
type lookupOptions struct {
	keys     map[string]*Hash
	patterns []optionPattern
}

type optionPattern struct {
	re   *regexp.Regexp
	opts *Hash
}

// mergeSpec is a merge strategy with the deep merge's options.
type mergeSpec struct {
	strategy       string
	knockoutPrefix string
	hashArrays     bool
	sortArrays     bool
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

// hieraLookup finds key in the hierarchy and the module layer. merge is
// lookup()'s merge argument: a strategy name, a hash with a strategy and
// options, or nil for none given (the key's lookup_options decide, else
// first found). found is false when no level has it.
func (c *compiler) hieraLookup(key string, merge any) (any, bool, error) {
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
	if key == lookupOptionsKey {
		return nil, false, nil // reserved, never data (as in Puppet)
	}
	opts, err := c.keyOptions(key)
	if err != nil {
		return nil, false, err
	}
	if merge == nil && opts != nil {
		merge, _ = opts.Get("merge")
	}
	m, err := parseMerge(merge)
	if err != nil {
		return nil, false, err
	}
	v, found, err := c.hieraFind(key, m)
	if err != nil || !found || opts == nil {
		return v, found, err
	}
	if to, ok := opts.Get("convert_to"); ok {
		v, err = convertLookup(key, v, to)
	}
	return v, true, err
}

// lookupOptionsKey is the reserved key of the options in data files.
const lookupOptionsKey = "lookup_options"

// hieraFind looks key up in the environment's levels, then in the layer
// of the module of its namespace, merging what it finds with m.
func (c *compiler) hieraFind(key string, m mergeSpec) (any, bool, error) {
	values, err := c.hieraLevels(c.hiera, key, m.strategy, nil)
	if err != nil {
		return nil, false, err
	}
	if len(values) > 0 && m.strategy == "first" {
		return values[0], true, nil
	}
	if mod := keyModule(key); mod != "" {
		cfg, err := c.moduleHiera(mod)
		if err != nil {
			return nil, false, err
		}
		if values, err = c.hieraLevels(cfg, key, m.strategy, values); err != nil {
			return nil, false, err
		}
	}
	if len(values) == 0 {
		return nil, false, nil
	}
	return mergeValues(values, m)
}

// keyModule is the module a key belongs to: "ntp" for ntp::servers, ""
// for a key without a namespace.
func keyModule(key string) string {
	mod, _, ok := strings.Cut(strings.TrimPrefix(key, "::"), "::")
	if !ok {
		return ""
	}
	return mod
}

// parseMerge reads a merge argument: nil (first found), a strategy name,
// or a hash with strategy and the deep merge's options.
func parseMerge(merge any) (mergeSpec, error) {
	m := mergeSpec{strategy: "first"}
	switch x := merge.(type) {
	case nil:
	case string:
		m.strategy = x
	case *Hash:
		s, _ := x.Get("strategy")
		m.strategy = ToString(s)
		if p, ok := x.Get("knockout_prefix"); ok && p != nil {
			m.knockoutPrefix = ToString(p)
		}
		b, _ := x.Get("merge_hash_arrays")
		m.hashArrays = b == true
		b, _ = x.Get("sort_merged_arrays")
		m.sortArrays = b == true
	default:
		return m, fmt.Errorf("a merge must be a String or a Hash, got %s", typeName(merge))
	}
	switch m.strategy {
	case "first", "unique", "hash", "deep":
		return m, nil
	}
	return m, fmt.Errorf("unknown merge strategy '%s': use first, unique, hash or deep", m.strategy)
}

// convertLookup applies a convert_to option to a value found for key.
// Puppet calls new() with the type; Sensitive, the one modules use, is
// what gapply supports.
func convertLookup(key string, v, to any) (any, error) {
	args, isList := to.([]any)
	if !isList {
		args = []any{to}
	}
	name := ""
	if len(args) > 0 {
		name = ToString(args[0])
	}
	if name != "Sensitive" || len(args) != 1 {
		return nil, fmt.Errorf("the convert_to lookup_option for key '%s' is %s: only Sensitive is supported", key, quoted(to))
	}
	if s, ok := v.(*Sensitive); ok {
		return s, nil
	}
	return &Sensitive{Value: v}, nil
}

// keyOptions finds the lookup_options that apply to key: those of its
// exact name, else of the first pattern that matches it; nil for none.
func (c *compiler) keyOptions(key string) (*Hash, error) {
	key = strings.TrimPrefix(key, "::")
	mod := keyModule(key)
	lo, err := c.moduleOptions(mod)
	if err != nil || lo == nil {
		return nil, err
	}
	if o, ok := lo.keys[key]; ok {
		return o, nil
	}
	for _, p := range lo.patterns {
		if p.re.MatchString(key) {
			return p.opts, nil
		}
	}
	return nil, nil
}

// moduleOptions reads, once, the lookup_options for the keys of module
// mod: the environment's, hash-merged over the module's own.
func (c *compiler) moduleOptions(mod string) (*lookupOptions, error) {
	if lo, seen := c.hiera.options[mod]; seen {
		return lo, nil
	}
	values, err := c.optionLevels(c.hiera, "")
	if err != nil {
		return nil, err
	}
	if mod != "" {
		cfg, err := c.moduleHiera(mod)
		if err != nil {
			return nil, err
		}
		own, err := c.optionLevels(cfg, mod)
		if err != nil {
			return nil, err
		}
		values = slices.Concat(values, own)
	}
	var lo *lookupOptions
	if len(values) > 0 {
		merged, _, err := mergeValues(values, mergeSpec{strategy: "hash"})
		if err != nil {
			return nil, err
		}
		if lo, err = compileOptions(merged.(*Hash)); err != nil {
			return nil, err
		}
	}
	if c.hiera.options == nil {
		c.hiera.options = map[string]*lookupOptions{}
	}
	c.hiera.options[mod] = lo
	return lo, nil
}

// optionLevels returns the lookup_options hashes of the levels of cfg,
// highest priority first, checked: a module (mod) may only name keys of
// its own namespace.
func (c *compiler) optionLevels(cfg *hieraConfig, mod string) ([]any, error) {
	if mod == "" && c.hiera.envOptions != nil {
		return c.hiera.envOptions, nil
	}
	values, err := c.hieraLevels(cfg, lookupOptionsKey, "hash", nil)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		h, ok := v.(*Hash)
		if !ok {
			return nil, fmt.Errorf("value of %s must be a hash", lookupOptionsKey)
		}
		if mod == "" {
			continue
		}
		for _, k := range h.Keys() {
			ks := ToString(k)
			if strings.HasPrefix(ks, "^") && !strings.HasPrefix(ks[1:], mod+"::") {
				return nil, fmt.Errorf("all %s patterns must match a key starting with module name '%s'", lookupOptionsKey, mod)
			}
			if !strings.HasPrefix(ks, "^") && !strings.HasPrefix(ks, mod+"::") {
				return nil, fmt.Errorf("all %s keys must start with module name '%s'", lookupOptionsKey, mod)
			}
		}
	}
	if mod == "" {
		if values == nil {
			values = []any{}
		}
		c.hiera.envOptions = values
	}
	return values, nil
}

// compileOptions sorts merged lookup_options into exact keys and
// patterns.
func compileOptions(h *Hash) (*lookupOptions, error) {
	lo := &lookupOptions{keys: map[string]*Hash{}}
	for i, k := range h.Keys() {
		ks := ToString(k)
		opts, ok := h.Values()[i].(*Hash)
		if !ok {
			return nil, fmt.Errorf("%s for '%s' must be a hash, got %s", lookupOptionsKey, ks, typeName(h.Values()[i]))
		}
		if !strings.HasPrefix(ks, "^") {
			lo.keys[ks] = opts
			continue
		}
		re, err := regexp.Compile(ks)
		if err != nil {
			return nil, fmt.Errorf("%s pattern '%s': %v", lookupOptionsKey, ks, err)
		}
		lo.patterns = append(lo.patterns, optionPattern{re: re, opts: opts})
	}
	return lo, nil
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
func mergeValues(values []any, m mergeSpec) (any, bool, error) {
	switch m.strategy {
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
	case "hash":
		out := NewHash()
		for i := len(values) - 1; i >= 0; i-- {
			h, ok := values[i].(*Hash)
			if !ok {
				return nil, false, fmt.Errorf("a %s merge needs Hash values, got %s", m.strategy, typeName(values[i]))
			}
			for j, k := range h.Keys() {
				out.Set(k, h.Values()[j])
			}
		}
		return out, true, nil
	case "deep":
		out := values[len(values)-1]
		for i := len(values) - 2; i >= 0; i-- {
			out = hieraDeepMerge(values[i], out, m)
		}
		return out, true, nil
	}
	return values[0], true, nil
}

// hieraDeepMerge merges src (the higher priority) into dest as Puppet's deep
// merge does (the deep_merge gem): hashes merge key by key, arrays are
// united (dest's elements first), anything else from src wins. With a
// knockout_prefix, "--x" in a src array removes x from dest, "--" alone
// empties it, and a src string with the prefix knocks dest out to "".
// merge_hash_arrays merges arrays of hashes element by element;
// sort_merged_arrays sorts merged arrays. Neither value is modified.
func hieraDeepMerge(src, dest any, m mergeSpec) any {
	if src == nil {
		return dest
	}
	if dest == nil || dest == false {
		return src
	}
	switch s := src.(type) {
	case *Hash:
		d, ok := dest.(*Hash)
		if !ok {
			return overwriteUnmergeable(src, m)
		}
		out := NewHash()
		for i, k := range d.Keys() {
			out.Set(k, d.Values()[i])
		}
		for i, k := range s.Keys() {
			sv := s.Values()[i]
			if dv, ok := out.Get(k); ok && dv != nil && dv != false {
				out.Set(k, hieraDeepMerge(sv, dv, m))
			} else {
				out.Set(k, hieraDeepMerge(sv, sv, m))
			}
		}
		return out
	case []any:
		return deepMergeArray(s, dest, m)
	}
	return overwriteUnmergeable(src, m)
}

func deepMergeArray(src []any, dest any, m mergeSpec) any {
	ko := m.knockoutPrefix
	src = slices.Clone(src)
	if ko != "" && slices.Contains(src, any(ko)) {
		src = slices.DeleteFunc(src, func(x any) bool { return x == any(ko) })
		if _, isArr := dest.([]any); isArr {
			dest = []any{}
		} else {
			dest = nil
		}
	}
	d, ok := dest.([]any)
	if !ok {
		if dest == nil {
			return src
		}
		return overwriteUnmergeable(src, m)
	}
	d = slices.Clone(d)
	if ko != "" {
		src = slices.DeleteFunc(src, func(x any) bool {
			s, isStr := x.(string)
			if !isStr || !strings.HasPrefix(s, ko) {
				return false
			}
			item := strings.TrimPrefix(s, ko)
			d = slices.DeleteFunc(d, func(e any) bool { return e == any(item) || e == any(s) })
			return true
		})
	}
	var out []any
	if m.hashArrays && allHashes(src) && allHashes(d) {
		for i, e := range d {
			var se any = NewHash()
			if i < len(src) {
				se = src[i]
			}
			out = append(out, hieraDeepMerge(se, e, m))
		}
		if len(src) > len(d) {
			out = append(out, src[len(d):]...)
		}
	} else {
		united, _, _ := mergeValues([]any{d, src}, mergeSpec{strategy: "unique"})
		out = united.([]any)
	}
	if m.sortArrays {
		// Ruby's sort: numbers by value, strings bytewise.
		slices.SortStableFunc(out, func(a, b any) int {
			if af, ok := asFloat(a); ok {
				if bf, ok := asFloat(b); ok {
					return cmpOrdered(af, bf)
				}
			}
			return strings.Compare(ToString(a), ToString(b))
		})
	}
	return out
}

// overwriteUnmergeable is src replacing a value it cannot merge with;
// with a knockout_prefix, a src string or array carrying the prefix
// knocks the value out to "".
func overwriteUnmergeable(src any, m mergeSpec) any {
	if m.knockoutPrefix == "" {
		return src
	}
	switch s := src.(type) {
	case string:
		if strings.HasPrefix(s, m.knockoutPrefix) {
			return ""
		}
	case []any:
		for _, x := range s {
			if xs, ok := x.(string); ok && strings.HasPrefix(xs, m.knockoutPrefix) {
				return ""
			}
		}
	}
	return src
}

func allHashes(list []any) bool {
	for _, x := range list {
		if _, ok := x.(*Hash); !ok {
			return false
		}
	}
	return true
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
	var merge any // nil: the keys' lookup_options decide
	var dflt any
	hasDefault := false
	setMerge := func(v any) error {
		switch v.(type) {
		case nil, string, *Hash:
		default:
			return cl.paramError("merge", "a value of type String or Hash", v)
		}
		if _, err := parseMerge(v); err != nil {
			return cl.errorf("%v", err)
		}
		merge = v
		return nil
	}
	if len(args) == 2 {
		if opts, ok := args[1].(*Hash); ok {
			if v, ok := opts.Get("value_type"); ok {
				if t, isType := v.(TypeRef); isType {
					typ = &t
				}
			}
			if v, ok := opts.Get("merge"); ok {
				if err := setMerge(v); err != nil {
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
		if err := setMerge(args[2]); err != nil {
			return nil, err
		}
	}
	if len(args) == 4 {
		dflt, hasDefault = args[3], true
	}
	for _, name := range names {
		v, found, err := cl.c.hieraLookup(name, merge)
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
