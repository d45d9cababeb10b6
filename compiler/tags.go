package compiler

import (
	"slices"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// FilterTags returns the part of a catalog that `puppet apply --tags`
// applies: the resources having at least one of tags (compared in lower
// case; a class's name is a tag of everything it contains). As in Puppet,
// what a kept resource depends on is not pulled in: it is simply not
// managed in this run. The order between the kept resources survives the
// removal of those in between: when A -> B -> C and only A and C are kept,
// A still comes before C (without a refresh, which B would have sent).
// The catalog given is not modified.
func FilterTags(cat *catalog.Catalog, tags []string) *catalog.Catalog {
	want := map[string]bool{}
	for _, t := range tags {
		for _, part := range strings.Split(t, ",") {
			if part = strings.ToLower(strings.TrimSpace(part)); part != "" {
				want[part] = true
			}
		}
	}
	out := *cat
	out.Resources = nil
	out.Edges = nil
	keep := map[catalog.Ref]bool{}
	for _, r := range cat.Resources {
		if slices.ContainsFunc(r.Tags, func(t string) bool { return want[strings.ToLower(t)] }) {
			keep[r.Ref()] = true
			out.Resources = append(out.Resources, r)
		}
	}
	if out.Resources == nil {
		out.Resources = []*catalog.Resource{}
	}
	succ := map[catalog.Ref][]catalog.Edge{}
	for _, e := range cat.Edges {
		succ[e.Source] = append(succ[e.Source], e)
	}
	seenEdge := map[catalog.Edge]bool{}
	add := func(e catalog.Edge) {
		if e.Source != e.Target && !seenEdge[e] {
			seenEdge[e] = true
			out.Edges = append(out.Edges, e)
		}
	}
	for _, r := range out.Resources {
		src := r.Ref()
		// Walk from each kept resource through removed ones to the next
		// kept resources.
		visited := map[catalog.Ref]bool{}
		var walk func(from catalog.Ref, direct bool)
		walk = func(from catalog.Ref, direct bool) {
			for _, e := range succ[from] {
				if keep[e.Target] {
					add(catalog.Edge{Source: src, Target: e.Target, Refresh: direct && e.Refresh})
					continue
				}
				if !visited[e.Target] {
					visited[e.Target] = true
					walk(e.Target, false)
				}
			}
		}
		walk(src, true)
	}
	if out.Edges == nil {
		out.Edges = []catalog.Edge{}
	}
	return &out
}
