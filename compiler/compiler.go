// Package compiler evaluates parsed Puppet manifests, with the node's facts,
// into a catalog: the resources to manage and the relationships between
// them.
//
// Evaluation follows Puppet 7: variables are assigned once per scope and an
// unknown variable is undef (with a warning); string comparison is
// case-insensitive; only false and undef are false. Resources land in the
// catalog in evaluation order, which is also the default apply order.
// Relationship metaparameters and chaining arrows become catalog edges once
// every resource is known, so a relationship may name a resource declared
// further down.
//
// Some things wait for the end of evaluation, in this order (see
// resolveLate): collectors (repeatedly, so they match resources declared
// after them), realize() calls, resource overrides, then the removal of
// virtual resources nothing realized, then relationships. The bodies of
// defined resources are queued, as Puppet queues them, and run in rounds
// with the collectors once the manifests, node and classes are done
// (lazydefs.go); their resources enter the catalog, whose order is the
// apply order, when they are evaluated, as in Puppet. Resource defaults are dynamically scoped, as in
// Puppet: a class's defaults reach the classes it includes and the
// defines it declares.
//
// The compiler does not stop at the first error: a statement that fails is
// reported and evaluation goes on with the next one, so one run reports
// several problems. Every diagnostic carries the exact source range.
package compiler

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler/erb"
	"github.com/gapply/gapply/parser"
	"github.com/gapply/gapply/resources"
)

// Options are the inputs of a compilation besides the manifests.
type Options struct {
	// Node is the certname the catalog is for; by default the fqdn fact.
	Node string
	// Environment defaults to "production".
	Environment string
	// Facts are the node's facts, nested as Facter gives them. They are the
	// $facts hash, and each is also a top-scope variable ($os, $::os).
	Facts map[string]any
	// Version is the catalog version; by default the Unix time.
	Version string
	// ModulePath lists the directories that hold modules: class foo::bar
	// is loaded from DIR/foo/manifests/bar.pp, class foo from
	// DIR/foo/manifests/init.pp, when no manifest defines it.
	ModulePath []string
	// Settings are the $settings::name variables.
	Settings map[string]any
	// HieraConfig is the hiera.yaml for lookup() and automatic class
	// parameters; by default the hiera.yaml of the environment root: next
	// to the first manifest, or above it when it is in manifests/.
	HieraConfig string
	// ModuleFileRules checks the given manifests that lie inside the
	// module path as module files (definitions only, each named after
	// its file), as `puppet parser validate` does; autoloaded files are
	// always checked.
	ModuleFileRules bool
	// Log receives the output of notice, warning and friends. Nil
	// discards it.
	Log *log.Logger
	// Authenticated is $trusted['authenticated']: "local" (the default)
	// when a node compiles its own catalog, "remote" on a master, which
	// then sets TrustedCertname from the client's certificate so that no
	// posted fact can claim another node's name.
	Authenticated string
	// TrustedCertname is $trusted['certname'] (and its hostname and
	// domain); Node by default.
	TrustedCertname string
}

// Compile evaluates files, in order, into a catalog. The diagnostics hold
// warnings and errors; when they contain an error the catalog must not be
// applied (it is returned anyway, for tools that show what compiled).
func Compile(files []*parser.File, opts Options) (*catalog.Catalog, hcl.Diagnostics) {
	manifests := make([]Manifest, len(files))
	for i, f := range files {
		manifests[i] = Manifest{PP: f}
	}
	return CompileManifests(manifests, opts)
}

// compiler is the state of one compilation.
type compiler struct {
	opts  Options
	log   *log.Logger
	cat   *catalog.Catalog
	top   *scope
	diags hcl.Diagnostics
	// declared maps each resource to where it was declared, for
	// duplicate detection and relationship checks (see declaredAt). A
	// pointer, often to the resMeta's, keeps the map small.
	declared map[catalog.Ref]*hcl.Range
	// aliases map the other names of resources (a namevar that differs
	// from the title, the alias metaparameter) to their references.
	aliases map[catalog.Ref]catalog.Ref
	// relations are resolved when every resource is known.
	relations []relation
	defs      definitions
	// classScopes are the scopes of the evaluated classes, by name, for
	// inherits and qualified variables ($apache::port).
	classScopes map[string]*scope
	// members are what each class, node or defined resource contains.
	members map[catalog.Ref][]catalog.Ref
	// nodeScope is the scope of the node definition while it evaluates.
	nodeScope *scope
	// jump is the next, break or return that is ending the blocks it is
	// in (jump.go).
	jump *jump
	// loaded are the module files already read, by path.
	loaded map[string]bool
	// aliasValues are the evaluated type aliases by lower-case name;
	// aliasBusy those being evaluated, to refuse a circular alias.
	aliasValues map[string]any
	aliasBusy   map[string]bool
	// metas are the records of the declared built-in resources, in
	// declaration order: metas[i] is cat.Resources[i] until resolveLate
	// drops the virtual resources nothing realized (dropped). metaOf
	// finds one by reference. Collections, overrides, realizations and
	// chains with collectors wait for the end of evaluation (see
	// resolveLate).
	metas        []*resMeta
	metaIndex    map[catalog.Ref]*resMeta
	collections  []*collection
	overrides    []override
	realizations []realization
	collChains   []collChain
	dropped      map[catalog.Ref]bool
	// defInstances are the declared instances of defined types by
	// type, for collectors and realize() (virtualdefs.go).
	defInstances map[string][]defInstance
	// queued are the declared instances whose bodies wait for the
	// enclosing body to end, as Puppet evaluates them (lazydefs.go).
	queued []instKey
	// virtuals tells whether any resource was declared virtual.
	virtuals bool
	// lastTags is the tag list tagsFor gave last, for a type and the
	// tags of a scope.
	lastTags struct {
		typ         string
		scope, tags []string
	}
	// extraTags are the tags tag() gave to a class or defined resource.
	extraTags map[catalog.Ref][]string
	// templates are the parsed EPP files by path; eppBuf receives the
	// output of the template being rendered.
	templates map[string]*Template
	// erbTemplates are the parsed ERB files by path.
	erbTemplates map[string]*erb.Template
	eppBuf       *strings.Builder
	// firstFile is the first manifest collected, whose directory is the
	// environment root; hiera is loaded on the first lookup (hieraDone),
	// and hieraData caches its data files.
	firstFile string
	hiera     *hieraConfig
	hieraDone bool
	hieraData map[string]*Hash
	// regexps, refTypes, lowerTypes, paramTypes and defCaches cache
	// what every instance of a define would otherwise compute again:
	// compiled regexp literals by source, capitalised type names by
	// lower-case name and back, the literal types of parameters, and
	// what the instances of each define share.
	regexps    map[string]*Regexp
	refTypes   map[string]string
	lowerTypes map[string]string
	paramTypes map[*parser.Param]any
	defCaches  map[string]*defineCache
	// rubyTypes are the schemas of the modules' Ruby resource types
	// read so far (rubytype.go); nil for a name that has none.
	rubyTypes map[string]*resources.Type
}

func newCompiler(opts Options) *compiler {
	if opts.Environment == "" {
		opts.Environment = "production"
	}
	if opts.Version == "" {
		opts.Version = strconv.FormatInt(time.Now().Unix(), 10)
	}
	if opts.Node == "" {
		opts.Node = nodeFromFacts(opts.Facts)
	}
	lg := opts.Log
	if lg == nil {
		lg = log.New(io.Discard)
	}
	c := &compiler{
		opts: opts,
		log:  lg,
		cat: &catalog.Catalog{
			Name:        opts.Node,
			Version:     opts.Version,
			Environment: opts.Environment,
			Resources:   []*catalog.Resource{},
			Edges:       []catalog.Edge{},
		},
		top:      newScope(nil),
		declared: map[catalog.Ref]*hcl.Range{},
		aliases:  map[catalog.Ref]catalog.Ref{},
		defs: definitions{
			classes:   map[string]*parser.ClassDef{},
			defines:   map[string]*parser.DefineDef{},
			collected: map[parser.Expr]bool{},
			aliases:   map[string]*parser.TypeAlias{},
			functions: map[string]*parser.FunctionDef{},
		},
		classScopes: map[string]*scope{},
		members:     map[catalog.Ref][]catalog.Ref{},
		loaded:      map[string]bool{},
		aliasValues: map[string]any{},
		aliasBusy:   map[string]bool{},
		dropped:     map[catalog.Ref]bool{},
		extraTags:   map[catalog.Ref][]string{},
		templates:   map[string]*Template{},
		hieraData:   map[string]*Hash{},
		regexps:     map[string]*Regexp{},
		refTypes:    map[string]string{},
		lowerTypes:  map[string]string{},
		paramTypes:  map[*parser.Param]any{},
		defCaches:   map[string]*defineCache{},
	}
	c.top.container = catalog.Ref{Type: "Class", Title: "main"}
	c.declared[c.top.container] = &hcl.Range{}
	facts := FromData(opts.Facts)
	if facts == nil {
		facts = NewHash()
	}
	fh := facts.(*Hash)
	for i, k := range fh.Keys() {
		if name, ok := k.(string); ok {
			c.top.vars[name] = variable{value: fh.Values()[i]}
		}
	}
	c.top.vars["facts"] = variable{value: fh}
	// The top scope is Class[main]'s: its $title and $name are "main"
	// and, as built-in variables, cannot be assigned.
	c.top.vars["title"] = variable{value: "main"}
	c.top.vars["name"] = variable{value: "main"}
	c.top.vars["module_name"] = variable{value: ""}
	trusted := NewHash()
	auth, certname := cmp.Or(opts.Authenticated, "local"), cmp.Or(opts.TrustedCertname, opts.Node)
	trusted.Set("authenticated", auth)
	trusted.Set("certname", certname)
	host, domain, _ := strings.Cut(certname, ".")
	trusted.Set("hostname", host)
	trusted.Set("domain", domain)
	trusted.Set("extensions", NewHash())
	c.top.vars["trusted"] = variable{value: trusted}
	c.top.vars["environment"] = variable{value: opts.Environment}
	settings := newScope(c.top)
	for k, v := range opts.Settings {
		settings.vars[k] = variable{value: FromData(v)}
	}
	c.classScopes["settings"] = settings
	return c
}

// nodeFromFacts finds the node's name in the fqdn fact (modern or legacy).
func nodeFromFacts(facts map[string]any) string {
	if n, ok := facts["networking"].(map[string]any); ok {
		if s, ok := n["fqdn"].(string); ok && s != "" {
			return s
		}
	}
	if s, ok := facts["fqdn"].(string); ok && s != "" {
		return s
	}
	return "localhost"
}

// evalError is an error that already is a located diagnostic.
type evalError struct{ diag *hcl.Diagnostic }

func (e *evalError) Error() string { return e.diag.Error() }

// errorf returns a located evaluation error.
func errorf(rng hcl.Range, format string, args ...any) error {
	r := rng
	return &evalError{&hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf(format, args...),
		Subject:  &r,
	}}
}

// report records err as a diagnostic; errors without a location get rng.
func (c *compiler) report(err error, rng hcl.Range) {
	var ee *evalError
	if errors.As(err, &ee) {
		c.diags = append(c.diags, ee.diag)
		return
	}
	r := rng
	c.diags = append(c.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error(), Subject: &r})
}

// warn records a located warning.
func (c *compiler) warn(rng hcl.Range, format string, args ...any) {
	r := rng
	c.diags = append(c.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

// evalBlock evaluates statements in order and returns the value of the
// last one. A failing statement is reported and the next one runs.
func (c *compiler) evalBlock(body []parser.Expr, s *scope) any {
	var last any
	for _, e := range body {
		v, err := c.eval(e, s)
		if j, ok := err.(*jump); ok {
			c.jump = j
			return nil
		}
		if c.jump != nil {
			return v
		}
		if err != nil {
			c.report(err, e.Range())
			last = nil
			continue
		}
		last = v
	}
	return last
}

// location formats a range as Puppet names places in messages: file:line.
func location(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// metaOf returns the record of the built-in resource ref, or nil. The
// index is built on the first call and extended on the next ones: most
// catalogs never need it, and a map insertion per resource is a good
// part of declaring one.
func (c *compiler) metaOf(ref catalog.Ref) *resMeta {
	if c.metaIndex == nil {
		c.metaIndex = make(map[catalog.Ref]*resMeta, len(c.metas))
	}
	for _, m := range c.metas[len(c.metaIndex):] {
		c.metaIndex[m.res.Ref()] = m // references are unique: the map grows by one each
	}
	return c.metaIndex[ref]
}

// declaredAt returns where ref was declared, and whether it was.
func (c *compiler) declaredAt(ref catalog.Ref) (hcl.Range, bool) {
	at, ok := c.declared[ref]
	if !ok {
		return hcl.Range{}, false
	}
	return *at, true
}

// resolve returns the reference a resource is declared under, following
// aliases, and whether it is declared.
func (c *compiler) resolve(ref catalog.Ref) (catalog.Ref, bool) {
	if real, ok := c.aliases[ref]; ok {
		ref = real
	}
	_, ok := c.declared[ref]
	return ref, ok
}
