package engine

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/resources"
)

// Graph is a catalog's resources as a DAG: an edge runs from a resource to
// one that depends on it. Nodes keep the catalog's (manifest) order, which
// breaks every tie in the walk, so a graph has exactly one sequential order.
type Graph struct {
	name  string
	nodes []*node
	// order is the sequential apply order: dependencies first, otherwise
	// manifest order.
	order []int
}

type node struct {
	res  *catalog.Resource
	ref  catalog.Ref
	deps []int  // nodes this one waits for, ascending
	out  []edge // nodes that wait for this one, by ascending target
}

type edge struct {
	to      int
	refresh bool
	// auto marks a relationship the engine added (resources.Autorequire).
	auto bool
}

// CycleError reports dependency cycles. Each cycle is a closed path along
// edges (first and last element are the same resource) that passes through
// every resource of one strongly connected component.
type CycleError struct {
	Cycles [][]catalog.Ref
}

// Error prints the cycles in Puppet's words ("Found 1 dependency cycle:"),
// one per line. Puppet separates several cycles with a literal backslash-n;
// gapply uses real line breaks.
func (e *CycleError) Error() string {
	var b strings.Builder
	if len(e.Cycles) == 1 {
		b.WriteString("Found 1 dependency cycle:")
	} else {
		fmt.Fprintf(&b, "Found %d dependency cycles:", len(e.Cycles))
	}
	for _, c := range e.Cycles {
		parts := make([]string, len(c))
		for i, r := range c {
			parts[i] = r.String()
		}
		b.WriteString("\n(" + strings.Join(parts, " => ") + ")")
	}
	b.WriteString("\nTry `gapply graph` and open its output in Graphviz to see the cycle.")
	return b.String()
}

// NewGraph builds the graph of cat's resources and edges. It refuses a
// resource declared twice, an edge naming a resource the catalog does not
// hold (naming it, every one of them), and dependency cycles (*CycleError,
// naming every resource of every cycle). Several edges between the same
// two resources merge into one that refreshes if any of them does.
//
// To the declared relationships it adds the automatic ones Puppet users
// expect (resources.Autorequire: a file after its parent directory, its
// owner and group, an exec after its cwd...), in every mode, so that
// --parallel keeps them too and `gapply graph` shows them, dashed. A
// declared relationship wins: no automatic one is added that repeats or
// reverses it, and automatic ones that would close a cycle are dropped,
// so only declared relationships can make a cycle error. (Puppet skips
// only the direct reverse and fails on the longer cycles.)
//
// With a *CycleError, and only then, the graph is returned too, so that
// `gapply graph` can still draw it for the person hunting the cycle; it
// cannot be walked, and its Order is incomplete.
func NewGraph(cat *catalog.Catalog) (*Graph, error) {
	g := &Graph{name: cat.Name, nodes: make([]*node, len(cat.Resources))}
	slab := make([]node, len(cat.Resources)) // one allocation, not one per node
	index := make(map[catalog.Ref]int, len(cat.Resources))
	types := typeNames{}
	var errs []error
	for i, r := range cat.Resources {
		ref := types.norm(r.Ref())
		if j, dup := index[ref]; dup {
			errs = append(errs, fmt.Errorf("%s%s is declared twice in the catalog (first at %s)",
				location(r), ref, location(cat.Resources[j])))
			continue
		}
		index[ref] = i
		slab[i] = node{res: r, ref: r.Ref()}
		g.nodes[i] = &slab[i]
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	edges := append(slices.Clip(cat.Edges), resources.DerivedEdges(cat)...) // + concat fragments' edges
	merged := make(map[pairKey]bool, len(edges))
	pairs := make([]pair, 0, len(edges))
	for _, e := range edges {
		from, okFrom := index[types.norm(e.Source)]
		to, okTo := index[types.norm(e.Target)]
		for _, miss := range []struct {
			ok  bool
			ref catalog.Ref
		}{{okFrom, e.Source}, {okTo, e.Target}} {
			if !miss.ok {
				errs = append(errs, fmt.Errorf("relationship %s => %s: %s is not in the catalog",
					e.Source, e.Target, miss.ref))
			}
		}
		if !okFrom || !okTo {
			continue
		}
		k := keyOf(from, to)
		if _, seen := merged[k]; !seen {
			pairs = append(pairs, pair{from: from, to: to})
		}
		merged[k] = merged[k] || e.Refresh
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	for i := range pairs {
		pairs[i].refresh = merged[keyOf(pairs[i].from, pairs[i].to)]
	}
	auto := g.autoPairs(cat, index, types, merged)
	for {
		g.link(append(pairs, auto...))
		g.order = g.walkOrder()
		if len(g.order) == len(g.nodes) {
			return g, nil
		}
		// An automatic relationship never causes a cycle: those inside
		// a cycle are dropped, and only a cycle of declared
		// relationships is an error.
		comps := g.cyclicComponents()
		comp := make([]int, len(g.nodes))
		for k, c := range comps {
			for _, i := range c {
				comp[i] = k + 1
			}
		}
		kept := auto[:0]
		for _, p := range auto {
			if comp[p.from] == 0 || comp[p.from] != comp[p.to] {
				kept = append(kept, p)
			}
		}
		if len(kept) == len(auto) {
			return g, &CycleError{Cycles: g.cycles(comps)}
		}
		auto = kept
	}
}

// pair is an edge while the graph is built; refresh and auto as in edge.
type pair struct {
	from, to      int
	refresh, auto bool
}

// pairKey identifies the pair from, to in a map: an integer key hashes
// faster than a struct, which counts in a catalog of thousands of edges.
type pairKey uint64

func keyOf(from, to int) pairKey { return pairKey(uint64(uint32(from))<<32 | uint64(uint32(to))) }

// typeLookup finds the resource type of a catalog's type name, lowering
// each distinct name once rather than once per resource.
type typeLookup map[string]*resources.Type

func (l typeLookup) get(name string) (*resources.Type, bool) {
	t, seen := l[name]
	if !seen {
		t, _ = resources.Lookup(strings.ToLower(name))
		l[name] = t // nil: no such type
	}
	return t, t != nil
}

// typeNames caches catalog.CapitalizeType, which allocates, per distinct
// type name: a catalog has a handful of types and thousands of references.
type typeNames map[string]string

// norm makes references match whatever capitalisation of the type a
// producer of the catalog used.
func (t typeNames) norm(r catalog.Ref) catalog.Ref {
	c, ok := t[r.Type]
	if !ok {
		c = catalog.CapitalizeType(r.Type)
		t[r.Type] = c
	}
	return catalog.Ref{Type: c, Title: r.Title}
}

// autoPairs returns the automatic relationships of every resource
// (resources.Autorequire), except those that repeat or contradict a
// declared one (declared holds the declared pairs, without flags): a
// declared relationship wins, as in Puppet.
func (g *Graph) autoPairs(cat *catalog.Catalog, index map[catalog.Ref]int, types typeNames, declared map[pairKey]bool) []pair {
	// Resources are found by title and by namevar (a file titled
	// 'motd' with path /etc/motd is the parent of /etc/motd/x).
	byName := make(map[catalog.Ref]int)
	lookup := typeLookup{}
	for i, r := range cat.Resources {
		t, ok := lookup.get(r.Type)
		if !ok {
			continue
		}
		if name, ok := r.Parameters[t.Namevar()].(string); ok && name != r.Title {
			byName[types.norm(catalog.Ref{Type: r.Type, Title: name})] = i
		}
	}
	find := func(ref catalog.Ref) (int, bool) {
		if i, ok := index[ref]; ok {
			return i, true
		}
		i, ok := byName[ref]
		return i, ok
	}
	has := func(ref catalog.Ref) bool { _, ok := find(ref); return ok }
	auto := make([]pair, 0, len(cat.Resources))
	for to, r := range cat.Resources {
		for _, ref := range resources.Autorequire(r, has) {
			from, _ := find(ref)
			if from == to {
				continue
			}
			if _, ok := declared[keyOf(from, to)]; ok {
				continue
			}
			if _, ok := declared[keyOf(to, from)]; ok {
				continue
			}
			auto = append(auto, pair{from: from, to: to, auto: true})
		}
	}
	return auto
}

// link sets the nodes' edges to pairs, sorted by source then target, so
// the walk visits them in catalog order. The edges and dependencies of all
// nodes share two arrays, sized by counting first.
func (g *Graph) link(pairs []pair) {
	outs, ins := make([]int, len(g.nodes)), make([]int, len(g.nodes))
	for _, p := range pairs {
		outs[p.from]++
		ins[p.to]++
	}
	edges, deps := make([]edge, len(pairs)), make([]int, len(pairs))
	for i, n := range g.nodes {
		n.out, edges = edges[:0:outs[i]], edges[outs[i]:]
		n.deps, deps = deps[:0:ins[i]], deps[ins[i]:]
	}
	for _, p := range pairs {
		g.nodes[p.from].out = append(g.nodes[p.from].out, edge{to: p.to, refresh: p.refresh, auto: p.auto})
		g.nodes[p.to].deps = append(g.nodes[p.to].deps, p.from)
	}
	for _, n := range g.nodes {
		slices.SortStableFunc(n.out, func(a, b edge) int { return a.to - b.to })
		slices.Sort(n.deps)
	}
}

func location(r *catalog.Resource) string {
	if r.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", r.File, r.Line)
}

// Order returns the resources in the order a sequential run applies them.
func (g *Graph) Order() []catalog.Ref {
	refs := make([]catalog.Ref, len(g.order))
	for i, n := range g.order {
		refs[i] = g.nodes[n].ref
	}
	return refs
}

// walkOrder is Kahn's algorithm with the ready set ordered by catalog
// index: Puppet's default order. On a cyclic graph it returns fewer nodes
// than the graph holds.
func (g *Graph) walkOrder() []int {
	waiting := make([]int, len(g.nodes))
	ready := &minHeap{}
	for i, n := range g.nodes {
		waiting[i] = len(n.deps)
		if waiting[i] == 0 {
			ready.ints = append(ready.ints, i)
		}
	}
	order := make([]int, 0, len(g.nodes))
	for ready.Len() > 0 {
		i := popMin(ready)
		order = append(order, i)
		for _, e := range g.nodes[i].out {
			if waiting[e.to]--; waiting[e.to] == 0 {
				pushInt(ready, e.to)
			}
		}
	}
	return order
}

// cycles finds the strongly connected components that contain a cycle
// (Tarjan's algorithm, visiting nodes and edges in catalog order) and turns
// each into a closed path through all of its members, starting at the
// member declared first. Cycles are sorted by that first member.
func (g *Graph) cycles(comps [][]int) [][]catalog.Ref {
	cycles := make([][]catalog.Ref, len(comps))
	for k, c := range comps {
		for _, i := range g.tour(c) {
			cycles[k] = append(cycles[k], g.nodes[i].ref)
		}
	}
	return cycles
}

// cyclicComponents returns the strongly connected components that contain
// a cycle, each sorted, sorted by first member.
func (g *Graph) cyclicComponents() [][]int {
	t := tarjan{g: g, index: make([]int, len(g.nodes)), low: make([]int, len(g.nodes)), on: make([]bool, len(g.nodes))}
	for i := range t.index {
		t.index[i] = -1
	}
	for i := range g.nodes {
		if t.index[i] < 0 {
			t.visit(i)
		}
	}
	var comps [][]int
	for _, c := range t.sccs {
		if len(c) > 1 || g.hasEdge(c[0], c[0]) {
			sort.Ints(c)
			comps = append(comps, c)
		}
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i][0] < comps[j][0] })
	return comps
}

func (g *Graph) hasEdge(from, to int) bool {
	for _, e := range g.nodes[from].out {
		if e.to == to {
			return true
		}
	}
	return false
}

// tour returns a closed walk through every member of the strongly
// connected component comp (sorted), from comp[0] back to it: shortest
// paths to each member not yet passed, in catalog order, then home.
func (g *Graph) tour(comp []int) []int {
	in := make(map[int]bool, len(comp))
	for _, i := range comp {
		in[i] = true
	}
	walk := []int{comp[0]}
	seen := map[int]bool{comp[0]: true}
	for _, goal := range append(comp[1:], comp[0]) {
		if seen[goal] && goal != comp[0] {
			continue
		}
		path := g.shortestPath(walk[len(walk)-1], goal, in)
		for _, i := range path {
			seen[i] = true
		}
		walk = append(walk, path...)
	}
	return walk
}

// shortestPath returns the nodes after from on a shortest path to goal
// (inclusive) that stays inside in, found breadth first with edges in
// catalog order. A path of at least one edge is returned even when from
// is goal. Inside a strongly connected component such a path exists.
func (g *Graph) shortestPath(from, goal int, in map[int]bool) []int {
	prev := map[int]int{}
	queue := []int{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, e := range g.nodes[cur].out {
			if !in[e.to] {
				continue
			}
			if _, seen := prev[e.to]; seen {
				continue
			}
			prev[e.to] = cur
			if e.to == goal {
				var path []int
				for n := goal; ; n = prev[n] {
					path = append(path, n)
					if prev[n] == from {
						break
					}
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			queue = append(queue, e.to)
		}
	}
	panic("engine: no path inside a strongly connected component")
}

type tarjan struct {
	g     *Graph
	next  int
	index []int
	low   []int
	on    []bool
	stack []int
	sccs  [][]int
}

func (t *tarjan) visit(v int) {
	t.index[v], t.low[v] = t.next, t.next
	t.next++
	t.stack = append(t.stack, v)
	t.on[v] = true
	for _, e := range t.g.nodes[v].out {
		w := e.to
		if t.index[w] < 0 {
			t.visit(w)
			t.low[v] = min(t.low[v], t.low[w])
		} else if t.on[w] {
			t.low[v] = min(t.low[v], t.index[w])
		}
	}
	if t.low[v] != t.index[v] {
		return
	}
	var comp []int
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.on[w] = false
		comp = append(comp, w)
		if w == v {
			break
		}
	}
	t.sccs = append(t.sccs, comp)
}

// DOT returns the graph in Graphviz DOT form: one node per resource in
// catalog order, one edge per relationship, refresh edges drawn bold and
// labelled "~>". The output depends only on the catalog.
func (g *Graph) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(g.name))
	b.WriteString("  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range g.nodes {
		fmt.Fprintf(&b, "  %s;\n", strconv.Quote(n.ref.String()))
	}
	for _, n := range g.nodes {
		for _, e := range n.out {
			fmt.Fprintf(&b, "  %s -> %s", strconv.Quote(n.ref.String()), strconv.Quote(g.nodes[e.to].ref.String()))
			switch {
			case e.refresh:
				b.WriteString(` [style=bold, label="~>"]`)
			case e.auto:
				b.WriteString(` [style=dashed, tooltip="autorequire"]`)
			}
			b.WriteString(";\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// minHeap is a heap of catalog indices, the smallest (first declared) on
// top. It is written out rather than built on container/heap, whose
// interface boxes every int it pushes or pops: two allocations per
// resource per walk.
type minHeap struct{ ints []int }

func (h *minHeap) Len() int { return len(h.ints) }

func popMin(h *minHeap) int {
	top, last := h.ints[0], len(h.ints)-1
	h.ints[0] = h.ints[last]
	h.ints = h.ints[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < last && h.ints[l] < h.ints[small] {
			small = l
		}
		if r < last && h.ints[r] < h.ints[small] {
			small = r
		}
		if small == i {
			return top
		}
		h.ints[i], h.ints[small] = h.ints[small], h.ints[i]
		i = small
	}
}

func pushInt(h *minHeap, x int) {
	h.ints = append(h.ints, x)
	for i := len(h.ints) - 1; i > 0; {
		parent := (i - 1) / 2
		if h.ints[parent] <= h.ints[i] {
			return
		}
		h.ints[i], h.ints[parent] = h.ints[parent], h.ints[i]
		i = parent
	}
}
