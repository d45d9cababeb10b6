package compiler

import (
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// The functions of puppetlabs-stdlib that public modules call, in Go with
// stdlib's semantics (stdlib 9's, which Puppet 7 runs). Each is callable by
// its plain name and as stdlib::name, as stdlib 9 defines both. A plain name
// that Puppet itself also defines (flatten, sort, ...) keeps the core
// function when the compiler has one: in Puppet the core function shadows
// the module's, so registering ours only where the name is free follows it.
// Functions that exist only under stdlib:: in stdlib (ensure, end_with,
// start_with) get only that name.
//
// Modules also ship Ruby functions of their own (lib/puppet/functions),
// which gapply cannot run: a call to one is an error that names the
// function and its module (unknownFunction), never a silent undef.

// stdlibFunctions are registered under name and stdlib::name.
var stdlibFunctions = map[string]function{
	"pick":                fnPick,
	"pick_default":        fnPickDefault,
	"assert_private":      fnAssertPrivate,
	"deep_merge":          fnDeepMerge,
	"delete":              fnDelete,
	"delete_undef_values": fnDeleteUndefValues,
	"concat":              fnConcat,
	"member":              fnMember,
	"has_key":             fnHasKey,
	"any2array":           fnAny2Array,
	"bool2str":            fnBool2Str,
	"str2bool":            fnStr2Bool,
	"join_keys_to_values": fnJoinKeysToValues,
	"prefix":              affixer(func(s, a string) string { return a + s }),
	"suffix":              affixer(func(s, a string) string { return s + a }),
	"dirname":             fnDirname,
	"basename":            fnBasename,
	"getvar":              fnGetvar,
	"validate_legacy":     fnValidateLegacy,
}

// stdlibOnlyNamespaced exist only as stdlib::name.
var stdlibOnlyNamespaced = map[string]function{
	"ensure":     fnStdlibEnsure,
	"end_with":   affixTest(strings.HasSuffix),
	"start_with": affixTest(strings.HasPrefix),
}

func init() {
	for name, fn := range stdlibFunctions {
		registerStdlib(name, fn)
	}
	for name, fn := range stdlibOnlyNamespaced {
		functions["stdlib::"+name] = fn
	}
	// The core functions stdlib also has: stdlib::name is the core one,
	// found at call time.
	for _, name := range []string{"flatten", "unique", "empty", "sort"} {
		functions["stdlib::"+name] = coreAlias(name)
	}
	functions["stdlib::merge"] = fnStdlibMerge
	lambdaFunctions["stdlib::merge"] = true
}

// registerStdlib registers fn as stdlib::name, and as name unless a core
// function already has it.
func registerStdlib(name string, fn function) {
	functions["stdlib::"+name] = fn
	if _, core := functions[name]; !core {
		functions[name] = fn
	}
}

// unknownFunction is the error for a call of a function gapply does not
// have. When a module of the module path defines it in Ruby, the message
// says so, since the fix is then to rewrite it in Puppet (functions/*.pp)
// or to stop calling it, not to look for a typo.
func (c *compiler) unknownFunction(name string, at hcl.Range) error {
	if mod, file, ok := c.rubyFunction(name); ok {
		return errorf(at, "Unknown function: '%s' (a Ruby function of module %s, %s: gapply cannot run Ruby functions; write it in the Puppet language as %s/functions/*.pp)", name, mod, file, mod)
	}
	return errorf(at, "Unknown function: '%s'.", name)
}

// rubyFunction finds the Ruby file that defines name in the module path:
// lib/puppet/functions (the modern API, namespaced by module) or
// lib/puppet/parser/functions (the legacy API, global names).
func (c *compiler) rubyFunction(name string) (mod, file string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(name, "::"), "::")
	for _, dir := range c.opts.ModulePath {
		if len(segs) > 1 {
			p := filepath.Join(dir, segs[0], "lib", "puppet", "functions", filepath.Join(segs...)+".rb")
			if _, err := os.Stat(p); err == nil {
				return segs[0], p, true
			}
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			for _, sub := range []string{"functions", filepath.Join("parser", "functions")} {
				p := filepath.Join(dir, e.Name(), "lib", "puppet", sub, segs[0]+".rb")
				if _, err := os.Stat(p); err == nil {
					return e.Name(), p, true
				}
			}
		}
	}
	return "", "", false
}

// emptyish is what pick skips: undef and the empty string.
func emptyish(v any) bool { return v == nil || v == "" }

func fnPick(cl *call, args []any) (any, error) {
	for _, a := range args {
		if !emptyish(a) {
			return a, nil
		}
	}
	return nil, cl.errorf("must receive at least one non empty value")
}

// fnPickDefault is pick whose last argument is returned even when empty.
func fnPickDefault(cl *call, args []any) (any, error) {
	if len(args) == 0 {
		return nil, cl.errorf("Must receive at least one argument.")
	}
	for _, a := range args {
		if !emptyish(a) {
			return a, nil
		}
	}
	return args[len(args)-1], nil
}

// fnAssertPrivate fails when the class or defined type calling it was
// declared from outside its own module.
func fnAssertPrivate(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 0, 1); err != nil {
		return nil, err
	}
	// Puppet's test: the scope's $module_name against its
	// $caller_module_name (unset when declared from outside any module).
	l := cl.scope.local()
	mod, _ := l.lookup("module_name")
	caller, _ := l.lookup("caller_module_name")
	if mod == caller || (mod == "" && caller == nil) {
		return nil, nil
	}
	if len(args) == 1 && args[0] != nil {
		return nil, errorf(cl.expr.Range(), "%s", ToString(args[0]))
	}
	kind, name := "Definition", l.container.Type
	if l.container.Type == "Class" {
		kind, name = "Class", l.container.Title
	}
	return nil, errorf(cl.expr.Range(), "%s %s is private", kind, strings.ToLower(name))
}

// coreAlias calls the function registered as name.
func coreAlias(name string) function {
	return func(cl *call, args []any) (any, error) {
		fn, ok := functions[name]
		if !ok {
			return nil, cl.errorf("gapply has no %s function", name)
		}
		return fn(cl, args)
	}
}

// fnStdlibMerge is merge, and with a lambda stdlib::merge's iterative
// form: it merges every hash the lambda returns for the elements of one
// collection.
func fnStdlibMerge(cl *call, args []any) (any, error) {
	if cl.expr.Lambda == nil {
		return coreAlias("merge")(cl, args)
	}
	out := NewHash()
	return out, mergeIterative(cl, args, out)
}

// mergeIterative calls the lambda with the hash built so far and each
// element (|$h, $v| or |$h, $k, $v|), merging what it returns when that
// is a hash.
func mergeIterative(cl *call, args []any, out *Hash) error {
	if err := cl.arity(args, 1, 1); err != nil {
		return err
	}
	n := cl.lambdaArity()
	if n != 2 && n != 3 {
		return cl.errorf("the lambda must take 2 or 3 parameters, it takes %d", n)
	}
	return cl.iterate(args[0], func(key, val any, pair []any) error {
		la := []any{out, val}
		switch {
		case n == 3:
			la = []any{out, key, val}
		case len(pair) == 1:
			la = []any{out, pair[0]} // a hash's [key, value]
		}
		r, err := cl.callLambda(la...)
		if h, ok := r.(*Hash); ok && err == nil {
			for i, k := range h.Keys() {
				out.Set(k, h.Values()[i])
			}
		}
		return err
	})
}

func fnDeepMerge(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, -1); err != nil {
		return nil, err
	}
	out := NewHash()
	for _, a := range args {
		switch a := a.(type) {
		case *Hash:
			out = deepMerge(out, a)
		case nil:
		case string:
			if a != "" {
				return nil, cl.errorf("unexpected argument type String, only expects hashes")
			}
		default:
			return nil, cl.errorf("unexpected argument type %s, only expects hashes", typeName(a))
		}
	}
	return out, nil
}

// deepMerge merges b into a copy of a, recursing where both hold a hash.
func deepMerge(a, b *Hash) *Hash {
	out := NewHash()
	for i, k := range a.Keys() {
		out.Set(k, a.Values()[i])
	}
	for i, k := range b.Keys() {
		v := b.Values()[i]
		if old, ok := out.Get(k); ok {
			oh, ok1 := old.(*Hash)
			nh, ok2 := v.(*Hash)
			if ok1 && ok2 {
				v = deepMerge(oh, nh)
			}
		}
		out.Set(k, v)
	}
	return out
}

// same is Ruby's ==, which stdlib's functions use: case-sensitive, unlike
// Puppet's ==.
func same(a, b any) bool {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		return ok && as == bs
	}
	switch a.(type) {
	case []any, *Hash:
		return reflect.DeepEqual(ToData(a), ToData(b))
	}
	return equal(a, b)
}

func containsSame(list []any, v any) bool {
	for _, x := range list {
		if same(x, v) {
			return true
		}
	}
	return false
}

// fnDelete removes every occurrence of the items (one value or an array)
// from an array, the keys from a hash, or the substrings from a string.
func fnDelete(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	items, ok := args[1].([]any)
	if !ok {
		items = []any{args[1]}
	}
	switch coll := args[0].(type) {
	case []any:
		out := []any{}
		for _, x := range coll {
			if !containsSame(items, x) {
				out = append(out, x)
			}
		}
		return out, nil
	case *Hash:
		out := NewHash()
		for i, k := range coll.Keys() {
			if !containsSame(items, k) {
				out.Set(k, coll.Values()[i])
			}
		}
		return out, nil
	case string:
		for _, it := range items {
			coll = strings.ReplaceAll(coll, ToString(it), "")
		}
		return coll, nil
	}
	return nil, cl.errorf("first argument must be an Array, String, or Hash. Given an argument of class %s.", typeName(args[0]))
}

func fnDeleteUndefValues(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch coll := args[0].(type) {
	case []any:
		out := []any{}
		for _, x := range coll {
			if x != nil {
				out = append(out, x)
			}
		}
		return out, nil
	case *Hash:
		out := NewHash()
		for i, k := range coll.Keys() {
			if v := coll.Values()[i]; v != nil {
				out.Set(k, v)
			}
		}
		return out, nil
	}
	return nil, cl.errorf("expects an Array or a Hash, got %s", typeName(args[0]))
}

// fnConcat appends arrays (their elements) and other values (themselves)
// to a first array.
func fnConcat(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, -1); err != nil {
		return nil, err
	}
	first, ok := args[0].([]any)
	if !ok {
		return nil, cl.errorf("Requires array to work with")
	}
	out := append([]any{}, first...)
	for _, a := range args[1:] {
		if arr, ok := a.([]any); ok {
			out = append(out, arr...)
		} else {
			out = append(out, a)
		}
	}
	return out, nil
}

// fnMember tells whether an array holds a value, or all of an array of
// values.
func fnMember(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	arr, ok := args[0].([]any)
	if !ok {
		return nil, cl.errorf("expects an Array, got %s", typeName(args[0]))
	}
	items, ok := args[1].([]any)
	if !ok {
		items = []any{args[1]}
	}
	for _, it := range items {
		if !containsSame(arr, it) {
			return false, nil
		}
	}
	return true, nil
}

func fnHasKey(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	h, ok := args[0].(*Hash)
	if !ok {
		return nil, cl.errorf("expects the first argument to be a hash, got %s of type %s", quoted(args[0]), typeName(args[0]))
	}
	_, has := h.Get(args[1])
	return has, nil
}

// fnAny2Array: an array is itself, a hash its flattened pairs, anything
// else a one-element array; several arguments are the array of them.
func fnAny2Array(cl *call, args []any) (any, error) {
	switch {
	case len(args) == 0:
		return []any{}, nil
	case len(args) > 1:
		return append([]any{}, args...), nil
	}
	switch v := args[0].(type) {
	case []any:
		return v, nil
	case *Hash:
		out := []any{}
		for i, k := range v.Keys() {
			out = append(out, k, v.Values()[i])
		}
		return out, nil
	}
	return []any{args[0]}, nil
}

func fnBool2Str(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 3); err != nil {
		return nil, err
	}
	b, ok := args[0].(bool)
	if !ok {
		return nil, cl.errorf("Requires a boolean to work with")
	}
	words := []string{"true", "false"}
	if len(args) == 3 {
		words = []string{ToString(args[1]), ToString(args[2])}
	} else if len(args) == 2 {
		return nil, cl.errorf("Requires either one or three arguments")
	}
	if b {
		return words[0], nil
	}
	return words[1], nil
}

var (
	trueWords  = regexp.MustCompile(`(?i)^(1|t|y|true|yes)$`)
	falseWords = regexp.MustCompile(`(?i)^(|0|f|n|false|no|undef|undefined)$`)
)

func fnStr2Bool(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case bool:
		return v, nil
	case string:
		switch {
		case trueWords.MatchString(v):
			return true, nil
		case falseWords.MatchString(v):
			return false, nil
		}
		return nil, cl.errorf("Unknown type of boolean given")
	}
	return nil, cl.errorf("Requires string to work with")
}

// fnJoinKeysToValues joins each key to its value (to each element of an
// array value) with a separator.
func fnJoinKeysToValues(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	h, ok := args[0].(*Hash)
	sep, ok2 := args[1].(string)
	if !ok || !ok2 {
		return nil, cl.errorf("expects a Hash and a String separator")
	}
	out := []any{}
	for i, k := range h.Keys() {
		vals, isArr := h.Values()[i].([]any)
		if !isArr {
			vals = []any{h.Values()[i]}
		}
		for _, v := range vals {
			out = append(out, ToString(k)+sep+ToString(v))
		}
	}
	return out, nil
}

// affixer is prefix or suffix: applied to each element of an array, or
// each key of a hash.
func affixer(join func(s, affix string) string) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 2); err != nil {
			return nil, err
		}
		affix := ""
		if len(args) == 2 && args[1] != nil {
			s, ok := args[1].(string)
			if !ok {
				return nil, cl.errorf("expected second argument to be a String, got %s", typeName(args[1]))
			}
			affix = s
		}
		switch v := args[0].(type) {
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = join(ToString(x), affix)
			}
			return out, nil
		case *Hash:
			out := NewHash()
			for i, k := range v.Keys() {
				out.Set(join(ToString(k), affix), v.Values()[i])
			}
			return out, nil
		}
		return nil, cl.errorf("expected first argument to be an Array or a Hash, got %s", typeName(args[0]))
	}
}

// affixTest is stdlib::end_with and stdlib::start_with: whether a string
// ends (starts) with one of the given strings.
func affixTest(has func(s, affix string) bool) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 2, 2); err != nil {
			return nil, err
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, cl.errorf("expects a String, got %s", typeName(args[0]))
		}
		affixes, isArr := args[1].([]any)
		if !isArr {
			affixes = []any{args[1]}
		}
		for _, a := range affixes {
			as, ok := a.(string)
			if !ok || as == "" {
				return nil, cl.errorf("expects non-empty Strings to compare with, got %s", quoted(a))
			}
			if has(s, as) {
				return true, nil
			}
		}
		return false, nil
	}
}

// fnDirname and fnBasename follow Ruby's File.dirname and File.basename:
// trailing slashes are ignored, and basename's suffix '.*' removes any
// extension.
func fnDirname(cl *call, args []any) (any, error) {
	p, err := pathArg(cl, args, 1)
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimRight(p, "/")
	if trimmed == "" && p != "" {
		return "/", nil
	}
	return path.Dir(trimmed), nil
}

func fnBasename(cl *call, args []any) (any, error) {
	p, err := pathArg(cl, args, 2)
	if err != nil {
		return nil, err
	}
	base := path.Base(p)
	if len(args) == 2 {
		suffix, ok := args[1].(string)
		if !ok {
			return nil, cl.errorf("second argument must be a String, got %s", typeName(args[1]))
		}
		switch {
		case suffix == ".*":
			if i := strings.LastIndexByte(base, '.'); i > 0 {
				base = base[:i]
			}
		case suffix != base:
			base = strings.TrimSuffix(base, suffix)
		}
	}
	return base, nil
}

func pathArg(cl *call, args []any, most int) (string, error) {
	if err := cl.arity(args, 1, most); err != nil {
		return "", err
	}
	p, ok := args[0].(string)
	if !ok {
		return "", cl.errorf("expects a String path, got %s", typeName(args[0]))
	}
	return p, nil
}

// fnGetvar returns a variable by name ('apache::port', '::x'), then dug
// into with dot-separated keys ('facts.os.family'); undef, or the
// default, when any part is missing. It never warns, which is its point.
func fnGetvar(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, cl.errorf("expects a String, got %s", typeName(args[0]))
	}
	var dflt any
	if len(args) == 2 {
		dflt = args[1]
	}
	segs := strings.Split(strings.TrimPrefix(name, "$"), ".")
	v, ok := cl.c.lookupVar(segs[0], cl.scope)
	if !ok {
		return dflt, nil
	}
	for _, key := range segs[1:] {
		switch c := v.(type) {
		case *Hash:
			v, ok = c.Get(key)
		case []any:
			n, err := strconv.Atoi(key)
			ok = err == nil && n >= 0 && n < len(c)
			if ok {
				v = c[n]
			}
		default:
			ok = false
		}
		if !ok {
			return dflt, nil
		}
	}
	if v == nil {
		return dflt, nil
	}
	return v, nil
}

// fnValidateLegacy checks a value against a data type (the first
// argument); the name of the old validate_ function is only reported.
func fnValidateLegacy(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 3, -1); err != nil {
		return nil, err
	}
	if ms := checkParam(args[2], args[0]); len(ms) > 0 {
		return nil, errorf(cl.expr.Range(), "%s", strings.TrimSpace(describeMismatches("validate_legacy("+ToString(args[1])+"):", ms)))
	}
	return nil, nil
}

// fnStdlibEnsure turns a boolean or present/absent into the ensure value
// of a resource type: stdlib::ensure(true, 'service') is 'running'.
func fnStdlibEnsure(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	state := args[0]
	if b, ok := state.(bool); ok {
		state = map[bool]string{true: "present", false: "absent"}[b]
	}
	if state != "present" && state != "absent" {
		return nil, cl.errorf("expects a Boolean or 'present'/'absent', got %s", quoted(args[0]))
	}
	if len(args) == 1 {
		return state, nil
	}
	present := state == "present"
	switch r := args[1]; r {
	case "package":
		return pickWord(present, "installed", "absent"), nil
	case "service":
		return pickWord(present, "running", "stopped"), nil
	case "directory", "link", "mounted", "file":
		return pickWord(present, r.(string), "absent"), nil
	}
	return nil, cl.errorf("unknown resource type %s (expects directory, link, mounted, service, file or package)", quoted(args[1]))
}

func pickWord(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
