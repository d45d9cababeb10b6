// Command catdiff compares the catalog Puppet 7 compiled for a manifest with
// the one gapply compiled, after bringing both to one comparable form, and
// prints what differs. bench/compare_catalogs.sh runs it for each usage
// manifest of bench/modules_compat.
//
//	catdiff -modulepath DIR[:DIR] PUPPET.json GAPPLY.json
//
// The two catalogs are shaped differently, so both are normalised first:
//
//   - Resources are compared by Type[title] with their parameters; tags,
//     file, line, exported, version and the tag parameter are ignored. A
//     parameter equal to the title that only one side has is a namevar
//     (gapply writes it explicitly, Puppet leaves it out) and counts as
//     absent. In an instance of a define gapply has natively (concat),
//     the parameters only Puppet's has that hold the define's literal
//     default are dropped: Puppet writes a define's defaults into the
//     instance.
//   - Stage, Class and Node resources and the instances of defined types are
//     containers in Puppet's catalog and do not exist in gapply's, which
//     holds only the resources they contain. They are dropped, except a
//     defined-type instance that gapply has as a resource of its own (its
//     native concat and concat::fragment): that instance is compared with
//     gapply's resource and what Puppet's define contains (concat_file,
//     concat_fragment) is not compared.
//   - Relationships: Puppet keeps relationship metaparameters in the
//     parameters and containment in its edges; gapply turns both into
//     edges between resources. Both are reduced to the ordering they imply
//     between the compared resources (A is applied before B, transitively,
//     with containers expanded as Puppet's relationship graph does) and to
//     the direct refresh pairs (notify/subscribe), and those sets compared.
//
// Exit status: 0 when the normalised catalogs agree, 1 when they differ, 2
// on a usage or input error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gapply/gapply/parser"
)

type resource struct {
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Parameters map[string]any `json:"parameters"`
}

type edge struct {
	Source  string `json:"source"`
	Target  string `json:"target"`
	Refresh bool   `json:"refresh"`
}

type rawCatalog struct {
	Resources []resource `json:"resources"`
	Edges     []edge     `json:"edges"`
}

// relationParams are the metaparameters that order resources; the first
// two make the parameter's owner the source, notify and subscribe also
// carry refresh events.
var relationParams = map[string]struct {
	ownerFirst bool
	refresh    bool
}{
	"before":    {true, false},
	"notify":    {true, true},
	"require":   {false, false},
	"subscribe": {false, true},
}

// namevars are the parameters that default to the title.
var namevars = []string{"name", "path", "command", "title"}

// normal is a catalog in the comparable form.
type normal struct {
	params  map[string]map[string]any // compared resources by Type[title]
	order   map[[2]string]bool        // A before B, transitively, between compared resources
	refresh map[[2]string]bool        // A refreshes B, direct
	skipped []string                  // notes on what was left out of the comparison
}

func main() {
	modulepath := flag.String("modulepath", "", "the module path both catalogs were compiled with (to recognise defined types)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: catdiff -modulepath DIR PUPPET.json GAPPLY.json")
		os.Exit(2)
	}
	pc, err := load(flag.Arg(0))
	if err == nil {
		var gc rawCatalog
		if gc, err = load(flag.Arg(1)); err == nil {
			os.Exit(run(pc, gc, filepath.SplitList(*modulepath)))
		}
	}
	fmt.Fprintln(os.Stderr, "catdiff:", err)
	os.Exit(2)
}

func load(path string) (rawCatalog, error) {
	var c rawCatalog
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func run(pc, gc rawCatalog, modulepath []string) int {
	gapplyRefs := map[string]bool{}
	for _, r := range gc.Resources {
		gapplyRefs[ref(r)] = true
	}
	p := normalise(pc, func(r resource) bool {
		return r.Type == "Stage" || r.Type == "Class" || r.Type == "Node" ||
			(isDefine(r.Type, modulepath) && !gapplyRefs[ref(r)])
	}, true)
	g := normalise(gc, func(resource) bool { return false }, false)
	dropDefineDefaults(pc, p.params, g.params, modulepath)
	for _, s := range p.skipped {
		fmt.Println("note:", s)
	}
	n := diffResources(p.params, g.params)
	n += diffPairs("ordering", "before", p.order, g.order)
	n += diffPairs("refresh", "refreshes", p.refresh, g.refresh)
	if n == 0 {
		fmt.Printf("same catalog: %d resources, %d orderings, %d refresh pairs\n", len(p.params), len(p.order), len(p.refresh))
		return 0
	}
	return 1
}

func ref(r resource) string { return r.Type + "[" + r.Title + "]" }

// capitalise writes a type name as references do: apache::vhost -> Apache::Vhost.
func capitalise(t string) string {
	segs := strings.Split(t, "::")
	for i, s := range segs {
		if s != "" {
			segs[i] = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
		}
	}
	return strings.Join(segs, "::")
}

// normRef brings a reference string to Type[title] with the type capitalised.
func normRef(s string) string {
	i := strings.IndexByte(s, '[')
	if i <= 0 {
		return s
	}
	return capitalise(s[:i]) + s[i:]
}

// isDefine reports whether type t is a defined type of a module on the path.
func isDefine(t string, modulepath []string) bool { return defineFile(t, modulepath) != "" }

// defineFiles memoises defineFile: it is asked for every resource of
// Puppet's catalog, mostly for the same few types.
var defineFiles = map[string]string{}

// defineFile is the manifest on the module path that defines type t, or
// "": a::b is `define a::b` in a/manifests/b.pp, a is `define a` in
// a/manifests/init.pp.
func defineFile(t string, modulepath []string) string {
	name := strings.ToLower(t)
	if f, ok := defineFiles[name]; ok {
		return f
	}
	defineFiles[name] = ""
	segs := strings.Split(name, "::")
	rel := "init.pp"
	if len(segs) > 1 {
		rel = filepath.Join(segs[1:]...) + ".pp"
	}
	re := regexp.MustCompile(`(?m)^\s*define\s+` + regexp.QuoteMeta(name) + `\b`)
	for _, dir := range modulepath {
		path := filepath.Join(dir, segs[0], "manifests", rel)
		if b, err := os.ReadFile(path); err == nil && re.Match(b) {
			defineFiles[name] = path
			break
		}
	}
	return defineFiles[name]
}

// dropDefineDefaults forgets, in Puppet's instances of the defined types
// gapply has natively (concat), the parameters that only Puppet's
// instance carries and that hold the define's literal default: Puppet
// writes a define's defaults into the instance, gapply's native
// resource applies the same defaults without listing them.
func dropDefineDefaults(pc rawCatalog, pparams, gparams map[string]map[string]any, modulepath []string) {
	defaults := map[string]map[string]any{}
	for _, r := range pc.Resources {
		key := ref(r)
		gp, native := gparams[key]
		if !native || !isDefine(r.Type, modulepath) {
			continue
		}
		d, seen := defaults[r.Type]
		if !seen {
			d = defineDefaults(r.Type, modulepath)
			defaults[r.Type] = d
		}
		for name, v := range pparams[key] {
			if _, inG := gp[name]; !inG && reflect.DeepEqual(d[name], v) {
				delete(pparams[key], name)
			}
		}
	}
}

// defineDefaults reads the literal defaults (strings, numbers, booleans)
// of define t's parameters from its manifest, as JSON would decode them.
func defineDefaults(t string, modulepath []string) map[string]any {
	out := map[string]any{}
	path := defineFile(t, modulepath)
	src, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	f, _ := parser.ParseFile(path, src)
	for _, st := range f.Body {
		def, ok := st.(*parser.DefineDef)
		if !ok || !strings.EqualFold(def.Name, t) {
			continue
		}
		for _, p := range def.Params {
			switch v := p.Default.(type) {
			case *parser.String:
				out[p.Name] = v.Value
			case *parser.Boolean:
				out[p.Name] = v.Value
			case *parser.Number:
				if n, err := strconv.ParseFloat(v.Text, 64); err == nil {
					out[p.Name] = n
				}
			}
		}
	}
	return out
}

// graph is the ordering graph of a catalog with containers expanded: a
// container C has the nodes "adm:C" (before everything it contains) and
// "done:C" (after it), as Puppet's relationship graph has.
type graph struct {
	container map[string]bool
	succ      map[string][]string
}

func (g *graph) start(r string) string {
	if g.container[r] {
		return "adm:" + r
	}
	return r
}

func (g *graph) end(r string) string {
	if g.container[r] {
		return "done:" + r
	}
	return r
}

func (g *graph) add(a, b string) { g.succ[a] = append(g.succ[a], b) }

func normalise(c rawCatalog, isContainer func(resource) bool, containment bool) normal {
	n := normal{params: map[string]map[string]any{}, order: map[[2]string]bool{}, refresh: map[[2]string]bool{}}
	g := &graph{container: map[string]bool{}, succ: map[string][]string{}}
	children := map[string][]string{}
	var rels []edge
	for _, r := range c.Resources {
		key := ref(r)
		for name, p := range relationParams {
			for _, target := range refList(r.Parameters[name]) {
				e := edge{Source: key, Target: normRef(target), Refresh: p.refresh}
				if !p.ownerFirst {
					e.Source, e.Target = e.Target, e.Source
				}
				rels = append(rels, e)
			}
		}
		if isContainer(r) {
			g.container[key] = true
			continue
		}
		params := map[string]any{}
		for k, v := range r.Parameters {
			if _, rel := relationParams[k]; rel || k == "alias" || k == "tag" {
				continue
			}
			if slices.Contains(namevars, k) && v == r.Title {
				continue
			}
			params[k] = v
		}
		n.params[key] = params
	}
	// Puppet's edges are containment: a container's children, or what a
	// defined-type instance gapply realises natively contains (dropped).
	// gapply's edges are relationships.
	dropped := map[string]bool{}
	for _, e := range c.Edges {
		src, dst := normRef(e.Source), normRef(e.Target)
		switch {
		case !containment:
			rels = append(rels, edge{Source: src, Target: dst, Refresh: e.Refresh})
		case g.container[src]:
			children[src] = append(children[src], dst)
		default:
			dropped[dst] = true
		}
	}
	for d := range dropped {
		delete(n.params, d)
		n.skipped = append(n.skipped, d+" is inside a resource gapply has natively; not compared")
	}
	slices.Sort(n.skipped)
	for c, kids := range children {
		for _, k := range kids {
			if dropped[k] {
				continue
			}
			g.add("adm:"+c, g.start(k))
			g.add(g.end(k), "done:"+c)
		}
	}
	for _, e := range rels {
		if dropped[e.Source] || dropped[e.Target] {
			continue
		}
		g.add(g.end(e.Source), g.start(e.Target))
		if e.Refresh {
			for _, a := range leaves(e.Source, g, children) {
				for _, b := range leaves(e.Target, g, children) {
					n.refresh[[2]string{a, b}] = true
				}
			}
		}
	}
	for a := range n.params {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(x string) {
			for _, y := range g.succ[x] {
				if !seen[y] {
					seen[y] = true
					if n.params[y] != nil {
						n.order[[2]string{a, y}] = true
					}
					walk(y)
				}
			}
		}
		walk(a)
	}
	return n
}

// leaves are the compared resources a reference stands for: itself, or
// everything a container holds.
func leaves(r string, g *graph, children map[string][]string) []string {
	if !g.container[r] {
		return []string{r}
	}
	var out []string
	for _, k := range children[r] {
		out = append(out, leaves(k, g, children)...)
	}
	return out
}

func refList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, refList(x)...)
		}
		return out
	}
	return nil
}

func diffResources(p, g map[string]map[string]any) int {
	n := 0
	for _, k := range sortedKeys(p) {
		gp, ok := g[k]
		if !ok {
			fmt.Printf("only in Puppet: %s %s\n", k, compact(p[k]))
			n++
			continue
		}
		pp := p[k]
		title := k[strings.IndexByte(k, '[')+1 : len(k)-1]
		for _, name := range sortedKeys(union(pp, gp)) {
			pv, pok := pp[name]
			gv, gok := gp[name]
			switch {
			case pok != gok && (pv == title || gv == title):
				// A namevar of a module's type (mysql_datadir's
				// datadir) that one side writes out as the title.
				continue
			case !gok:
				fmt.Printf("%s: %s only in Puppet: %s\n", k, name, compact(pv))
			case !pok:
				fmt.Printf("%s: %s only in gapply: %s\n", k, name, compact(gv))
			case !reflect.DeepEqual(pv, gv):
				fmt.Printf("%s: %s differs:\n  puppet: %s\n  gapply: %s\n", k, name, compact(pv), compact(gv))
			default:
				continue
			}
			n++
		}
	}
	for _, k := range sortedKeys(g) {
		if _, ok := p[k]; !ok {
			fmt.Printf("only in gapply: %s %s\n", k, compact(g[k]))
			n++
		}
	}
	return n
}

// diffPairs prints the pairs only one side has, at most ten of each.
func diffPairs(what, verb string, p, g map[[2]string]bool) int {
	n := 0
	for _, side := range []struct {
		name string
		a, b map[[2]string]bool
	}{{"Puppet", p, g}, {"gapply", g, p}} {
		var only []string
		for k := range side.a {
			if !side.b[k] {
				only = append(only, k[0]+" "+verb+" "+k[1])
			}
		}
		slices.Sort(only)
		for i, s := range only {
			if i == 10 {
				fmt.Printf("  ... %d more\n", len(only)-10)
				break
			}
			fmt.Printf("%s only in %s: %s\n", what, side.name, s)
		}
		n += len(only)
	}
	return n
}

func union(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// compact is a value's JSON, cut to one readable line.
func compact(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
