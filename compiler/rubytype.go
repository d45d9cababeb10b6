package compiler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// Resource types that modules write in Ruby (puppetlabs-firewall's
// firewall, mysql's mysql_user, archive's archive) are known to the
// compiler by their schema only: to compile a declaration Puppet needs no
// more than the names of the type's parameters and which one is the
// namevar, and gapply reads those without running Ruby, from
//
//   - the environment's .resource_types/NAME.pp, the Pcore form that
//     `puppet generate types` writes (Puppet prefers it too), or else
//   - lib/puppet/type/NAME.rb of a module of the module path, scanned for
//     Puppet::Type.newtype(:NAME), newparam, newproperty, ensurable,
//     isnamevar and the literal values of newvalues/newvalue.
//
// A file the scan cannot read with certainty (a parameter whose name is
// computed, a parent type, an unterminated literal) is a located error,
// never a guess. The engine has no provider for these types: their
// resources fail when applied (resources.NoProvider), as Puppet's do on a
// node where none of the type's providers is suitable.

// rubyParam is one parameter or property of a Ruby type.
type rubyParam struct {
	name    string
	namevar bool
	// values are the values newvalues/newvalue allow; with anyValue or
	// none given, any value is allowed (a regexp or a computed value
	// among them is not checked at compile time).
	values   []string
	anyValue bool
	// aliases are other names of values (aliasvalue), accepted but
	// not listed in Puppet's message.
	aliases []string
	// property: a property checks each element of an array value
	// (whatever its array_matching), a parameter only a scalar.
	property bool
}

// resourceType returns the resource type named name (lower case): a
// built-in one, or one a module defines in Ruby; nil when there is none.
// The schema of a Ruby type is read once per compile.
// A Ruby file that cannot be read is an error located in it, reported for
// each use (at says where).
func (c *compiler) resourceType(name string, at hcl.Range) (*resources.Type, error) {
	if rt, ok := resources.Lookup(name); ok {
		return rt, nil
	}
	if rt, seen := c.rubyTypes[name]; seen {
		return rt, nil
	}
	rt, err := c.loadRubyType(name)
	if err != nil {
		var ee *evalError
		if !errors.As(err, &ee) {
			return nil, errorf(at, "could not read resource type %s: %v", name, err)
		}
		ee.diag.Detail = fmt.Sprintf("Resource type %s is used at %s.", name, location(at))
		return nil, ee
	}
	if c.rubyTypes == nil {
		c.rubyTypes = map[string]*resources.Type{}
	}
	c.rubyTypes[name] = rt
	return rt, nil
}

// loadRubyType finds and reads the schema of the Ruby type name.
func (c *compiler) loadRubyType(name string) (*resources.Type, error) {
	if !validRubyTypeName(name) || (len(c.opts.ModulePath) == 0 && c.firstFile == "") {
		return nil, nil
	}
	for _, root := range c.environmentRoots() {
		path := filepath.Join(root, ".resource_types", name+".pp")
		src, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		params, err := readPcoreType(path, src, name)
		if err != nil {
			return nil, err
		}
		return rubyResourceType(name, params, false), nil
	}
	for _, dir := range c.opts.ModulePath {
		mods, _ := os.ReadDir(dir) // a missing directory holds no module
		for _, m := range mods {
			path := filepath.Join(dir, m.Name(), "lib", "puppet", "type", name+".rb")
			src, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				continue
			} else if err != nil {
				return nil, err
			}
			params, err := scanRubyType(path, string(src), name)
			if err != nil {
				return nil, err
			}
			return rubyResourceType(name, params, c.hasProviders(name)), nil
		}
	}
	return nil, nil
}

// validRubyTypeName keeps names that cannot be a file name of a type
// (a qualified name, a path) from being looked up.
func validRubyTypeName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return name != ""
}

// environmentRoots are the directories that may hold the environment's
// .resource_types: the directory of the first manifest, its parent when
// that is manifests/ (as for hiera.yaml), and the parent of each module
// directory (an environment's modules/).
func (c *compiler) environmentRoots() []string {
	var roots []string
	if c.firstFile != "" && c.firstFile != CodeName {
		dir := filepath.Dir(c.firstFile)
		if filepath.Base(dir) == "manifests" {
			dir = filepath.Dir(dir)
		}
		roots = append(roots, dir)
	}
	for _, dir := range c.opts.ModulePath {
		if p := filepath.Dir(filepath.Clean(dir)); !slices.Contains(roots, p) {
			roots = append(roots, p)
		}
	}
	return roots
}

// hasProviders says a module ships a provider for the type, which gives
// it Puppet's provider parameter (Puppet adds it with the first provider).
func (c *compiler) hasProviders(name string) bool {
	for _, dir := range c.opts.ModulePath {
		found, _ := filepath.Glob(filepath.Join(dir, "*", "lib", "puppet", "provider", name, "*.rb"))
		if len(found) > 0 {
			return true
		}
	}
	return false
}

// rubyResourceType makes the compiler's resources.Type of a Ruby type.
// Its namevar is the parameter marked so, or else name, as Puppet's key
// attribute; New checks the values of the parameters that list them.
func rubyResourceType(name string, params []rubyParam, provider bool) *resources.Type {
	if provider && !slices.ContainsFunc(params, func(p rubyParam) bool { return p.name == "provider" }) {
		params = append(params, rubyParam{name: "provider"})
	}
	rt := &resources.Type{Name: name}
	explicit := slices.ContainsFunc(params, func(p rubyParam) bool { return p.namevar })
	for _, p := range params {
		nv := p.namevar || !explicit && p.name == "name"
		explicit = explicit || nv
		rt.Params = append(rt.Params, resources.Param{Name: p.name, Namevar: nv})
	}
	rt.New = func(r *catalog.Resource) (resources.Resource, error) {
		return nil, checkRubyValues(params, r)
	}
	return rt
}

// checkRubyValues reports a value that a parameter's newvalues do not
// allow, with Puppet's message. Puppet checks them when it turns the
// catalog into resources, before applying anything: gapply checks them at
// compile time, which fails the run at the same point.
func checkRubyValues(params []rubyParam, r *catalog.Resource) error {
	var errs []error
	for _, p := range params {
		v, ok := r.Parameters[p.name]
		if !ok || p.anyValue || len(p.values) == 0 {
			continue
		}
		vals := []any{v}
		if list, isList := v.([]any); isList {
			if !p.property {
				continue // a parameter's value is checked as a whole
			}
			vals = list
		}
		for _, one := range vals {
			s, scalar := rubyValueString(one)
			if scalar && !slices.Contains(p.values, s) && !slices.Contains(p.aliases, s) {
				errs = append(errs, fmt.Errorf("Parameter %s failed on %s: Invalid value %q. Valid values are %s.", p.name, r.Ref(), s, strings.Join(p.values, ", "))) //lint:ignore ST1005 Puppet's message
				break
			}
		}
	}
	return errors.Join(errs...)
}

// rubyValueString is a catalog value as Ruby's to_s gives it, for the
// scalars newvalues can match.
func rubyValueString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool, int64, float64:
		return fmt.Sprint(v), true
	}
	return "", false
}

// scanRubyType reads the parameters of the type name from the Ruby of
// path.
func scanRubyType(path, src, name string) ([]rubyParam, error) {
	toks, err := newRubyLexer(path, src).all()
	if err != nil {
		return nil, err
	}
	s := &rubyScan{toks: toks, path: path}
	start := s.find("Puppet", "::", "Type", ".", "newtype")
	if start < 0 {
		if s.find("Puppet", "::", "ResourceApi", ".", "register_type") >= 0 {
			return nil, errorf(hcl.Range{Filename: path, Start: hcl.Pos{Line: 1, Column: 1}}, "%s is written for the Resource API (Puppet::ResourceApi.register_type), which gapply cannot read; run 'puppet generate types' to give the environment its .resource_types/%s.pp", path, name)
		}
		return nil, errorf(hcl.Range{Filename: path, Start: hcl.Pos{Line: 1, Column: 1}}, "%s does not define the type with Puppet::Type.newtype(:%s)", path, name)
	}
	s.i = start
	if err := s.newtype(name); err != nil {
		return nil, err
	}
	return s.params, nil
}

// rubyScan walks the tokens of a type file.
type rubyScan struct {
	toks   []rubyToken
	i      int
	path   string
	params []rubyParam
	cur    *rubyParam // the parameter whose block the scan is in
}

// find returns the index just after the first run of tokens with the
// given texts, or -1.
func (s *rubyScan) find(texts ...string) int {
outer:
	for i := range s.toks {
		for k, text := range texts {
			if i+k >= len(s.toks) || s.toks[i+k].text != text || s.toks[i+k].kind == rubyString {
				continue outer
			}
		}
		return i + len(texts)
	}
	return -1
}

func (s *rubyScan) peek() rubyToken {
	if s.i < len(s.toks) {
		return s.toks[s.i]
	}
	end := hcl.Pos{Line: 1, Column: 1}
	if len(s.toks) > 0 {
		end = s.toks[len(s.toks)-1].rng.End
	}
	return rubyToken{kind: rubyEOF, rng: hcl.Range{Filename: s.path, Start: end, End: end}}
}

func (s *rubyScan) errorf(t rubyToken, format string, args ...any) error {
	return errorf(t.rng, "%s", fmt.Sprintf(format, args...)+" ("+s.path+" cannot be read without running Ruby)")
}

// literalName returns the name the first argument of a call gives: a
// symbol or a plain string.
func (s *rubyScan) literalName(args [][]rubyToken, at rubyToken, what string) (string, error) {
	if len(args) == 0 || len(args[0]) == 0 {
		return "", s.errorf(at, "%s has no name", what)
	}
	t := args[0][0]
	if len(args[0]) != 1 || (t.kind != rubySymbol && t.kind != rubyString) || t.interpolated || t.text == "" {
		return "", s.errorf(t, "%s is named by %s, not by a symbol or a string", what, t)
	}
	return t.text, nil
}

// args reads the arguments of the call whose name was just read, up to
// its closing parenthesis or, without one, the end of the line or its
// block; each argument is its list of tokens.
func (s *rubyScan) args() [][]rubyToken {
	paren := s.peek().kind == rubyPunct && s.peek().text == "("
	if paren {
		s.i++
	}
	var out [][]rubyToken
	var cur []rubyToken
	depth := 0
	for ; s.i < len(s.toks); s.i++ {
		t := s.toks[s.i]
		if t.kind == rubyPunct {
			switch t.text {
			case "(", "[", "{":
				if !paren && depth == 0 && t.text == "{" {
					return append(out, cur)
				}
				depth++
			case ")", "]", "}":
				if depth == 0 {
					if paren && t.text == ")" {
						s.i++
					}
					return append(out, cur)
				}
				depth--
			case ",":
				if depth == 0 {
					out, cur = append(out, cur), nil
					continue
				}
			}
		}
		if depth == 0 && !paren && (t.kind == rubyNewline || t.kind == rubyIdent && t.text == "do") {
			return append(out, cur)
		}
		if t.kind != rubyNewline {
			cur = append(cur, t)
		}
	}
	return append(out, cur)
}

// option says whether the option arguments of a call set key to true
// (:namevar => true, namevar: true), or to any value when val is "".
func option(args [][]rubyToken, key, val string) bool {
	for _, a := range args {
		for k := 0; k+1 < len(a); k++ {
			t := a[k]
			keyed := t.kind == rubyLabel && t.text == key ||
				t.kind == rubySymbol && t.text == key && a[k+1].text == "=>" && a[k+1].kind == rubyPunct
			if !keyed {
				continue
			}
			v := a[k+1]
			if t.kind == rubySymbol {
				if k+2 >= len(a) {
					return val == ""
				}
				v = a[k+2]
			}
			return val == "" || v.text == val && v.kind != rubyString
		}
	}
	return false
}

// newtype reads the newtype call at s.i and the definitions after it.
func (s *rubyScan) newtype(name string) error {
	at := s.peek()
	args := s.args()
	got, err := s.literalName(args, at, "the type")
	if err != nil {
		return err
	}
	if got != name {
		return s.errorf(args[0][0], "the file for type %s defines type %s", name, got)
	}
	if option(args[1:], "parent", "") {
		return s.errorf(args[0][0], "type %s inherits the parameters of a parent type", name)
	}
	for s.i < len(s.toks) {
		t := s.toks[s.i]
		s.i++
		if t.kind != rubyIdent || s.i >= 2 && s.toks[s.i-2].text == "." && (s.i < 3 || s.toks[s.i-3].text != "self") {
			continue // a method of another object
		}
		var err error
		switch t.text {
		case "newparam", "newproperty":
			err = s.newParam(t.text == "newproperty")
		case "ensurable":
			s.add(rubyParam{name: "ensure", property: true})
			if next := s.peek(); next.text != "do" && next.text != "{" {
				s.cur.values = []string{"present", "absent"} // defaultvalues
			}
		case "validate":
			// A parameter's own validate block replaces Puppet's check
			// of its newvalues. (At the type's level it follows the
			// last parameter, which then goes unchecked: lenient, never
			// a wrong refusal.)
			if next := s.peek(); s.cur != nil && (next.text == "do" || next.text == "{") {
				s.cur.anyValue = true
			}
		case "isnamevar":
			if s.cur == nil {
				return s.errorf(t, "isnamevar is outside of a parameter")
			}
			s.cur.namevar = true
		case "newvalues", "newvalue", "aliasvalue":
			s.newValues(t.text)
		case "defaultvalues":
			if s.cur != nil {
				s.cur.values = append(s.cur.values, "present", "absent")
			}
		case "newtype":
			return s.errorf(t, "the file defines a second type")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *rubyScan) add(p rubyParam) {
	if k := slices.IndexFunc(s.params, func(q rubyParam) bool { return q.name == p.name }); k >= 0 {
		s.params[k] = p // Puppet's newparam of an existing name replaces it
		s.cur = &s.params[k]
		return
	}
	s.params = append(s.params, p)
	s.cur = &s.params[len(s.params)-1]
}

// newParam reads newparam/newproperty(:name, options).
func (s *rubyScan) newParam(property bool) error {
	at := s.peek()
	opts := s.args()
	name, err := s.literalName(opts, at, "the parameter")
	if err != nil {
		return err
	}
	s.add(rubyParam{
		name:     name,
		property: property,
		namevar:  option(opts, "namevar", "true"),
		// a parent class (Puppet::Parameter::Boolean, a module's own)
		// brings values the scan does not see.
		anyValue: option(opts, "parent", ""),
	})
	return nil
}

// newValues records the literal values newvalues, newvalue or aliasvalue
// allow for the current parameter (newvalue and aliasvalue name one).
func (s *rubyScan) newValues(fn string) {
	args := s.args()
	if s.cur == nil {
		return
	}
	if fn != "newvalues" && len(args) > 1 {
		args = args[:1]
	}
	for _, a := range args {
		if len(a) != 1 || a[0].interpolated || a[0].kind != rubySymbol && a[0].kind != rubyString && a[0].kind != rubyNumber && a[0].kind != rubyIdent {
			s.cur.anyValue = true // a regexp or a computed value
			continue
		}
		if fn == "aliasvalue" {
			s.cur.aliases = append(s.cur.aliases, a[0].text)
		} else if !slices.Contains(s.cur.values, a[0].text) {
			s.cur.values = append(s.cur.values, a[0].text)
		}
	}
}

// readPcoreType reads the parameters of the generated Pcore form
// Puppet::Resource::ResourceType3.new('name', [properties], [parameters],
// ...), whose elements are Puppet::Resource::Param(Type, 'name'[, true]),
// true marking a namevar.
func readPcoreType(path string, src []byte, name string) ([]rubyParam, error) {
	f, diags := parser.ParseFile(path, src)
	if diags.HasErrors() {
		return nil, &evalError{diags[0]}
	}
	fail := func(rng hcl.Range, what string) error {
		return errorf(rng, "expected %s, as 'puppet generate types' writes it", what)
	}
	var call *parser.Call
	if len(f.Body) == 1 {
		call, _ = f.Body[0].(*parser.Call)
	}
	if call == nil || call.Name != "new" || len(call.Args) < 3 {
		return nil, fail(f.Range(), "one Puppet::Resource::ResourceType3.new(name, properties, parameters, ...)")
	}
	if recv, ok := call.Receiver.(*parser.TypeReference); !ok || recv.Name != "Puppet::Resource::ResourceType3" {
		return nil, fail(call.Range(), "Puppet::Resource::ResourceType3.new")
	}
	if n, ok := call.Args[0].(*parser.String); !ok || n.Value != name {
		return nil, fail(call.Args[0].Range(), fmt.Sprintf("the type name '%s'", name))
	}
	var params []rubyParam
	for k, list := range call.Args[1:3] {
		arr, ok := list.(*parser.Array)
		if !ok {
			return nil, fail(list.Range(), "an array of Puppet::Resource::Param")
		}
		for _, e := range arr.Elems {
			p, ok := e.(*parser.Call)
			if !ok || p.Name != "Puppet::Resource::Param" || len(p.Args) < 2 {
				return nil, fail(e.Range(), "Puppet::Resource::Param(Type, 'name')")
			}
			pn, ok := p.Args[1].(*parser.String)
			if !ok {
				return nil, fail(p.Args[1].Range(), "a parameter name")
			}
			rp := rubyParam{name: pn.Value, property: k == 0, anyValue: true}
			if len(p.Args) > 2 {
				nv, _ := p.Args[2].(*parser.Boolean)
				rp.namevar = nv != nil && nv.Value
			}
			params = append(params, rp)
		}
	}
	return params, nil
}
