package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gapply/gapply/catalog"
)

func res(typ, title string, kv ...string) *catalog.Resource {
	r := &catalog.Resource{Type: typ, Title: title, Parameters: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Parameters[kv[i]] = kv[i+1]
	}
	return r
}

func order(t *testing.T, cat *catalog.Catalog) []string {
	t.Helper()
	g, err := NewGraph(cat)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range g.Order() {
		out = append(out, r.String())
	}
	return out
}

// TestAutorequireOrder declares every resource before what it needs;
// the automatic relationships put them in Puppet's order.
func TestAutorequireOrder(t *testing.T) {
	cat := &catalog.Catalog{Name: "t", Resources: []*catalog.Resource{
		res("File", "/srv/app/conf/x.conf", "owner", "app", "group", "0"),
		res("Exec", "/srv/app/bin/run --once", "cwd", "/srv/app/work", "user", "app"),
		res("File", "/srv/app/work", "ensure", "directory"),
		res("File", "/srv/app/bin/run", "content", "#!/bin/sh\n"),
		res("File", "/srv/link", "ensure", "/srv/app/bin/run"),
		res("Cron", "nightly", "user", "app", "command", "true"),
		res("User", "app", "gid", "app", "groups", "web,1000"),
		res("Group", "web"),
		res("Group", "app"),
		res("File", "confdir", "path", "/srv/app/conf", "ensure", "directory"),
		res("File", "/srv/app", "ensure", "directory"),
	}}
	got := order(t, cat)
	want := []string{
		"Group[web]", "Group[app]", "User[app]", "Cron[nightly]", "File[/srv/app]",
		"File[/srv/app/work]", "File[/srv/app/bin/run]", "Exec[/srv/app/bin/run --once]",
		"File[/srv/link]", "File[confdir]", "File[/srv/app/conf/x.conf]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestAutorequireNearestParent: a file depends on its nearest managed
// ancestor only, and not on unmanaged ones or on a numeric owner.
func TestAutorequireNearestParent(t *testing.T) {
	cat := &catalog.Catalog{Name: "t", Resources: []*catalog.Resource{
		res("File", "/a/b/c/d", "owner", "0"),
		res("File", "/a"),
		res("File", "/a/b"),
		res("User", "0"),
	}}
	g, err := NewGraph(cat)
	if err != nil {
		t.Fatal(err)
	}
	dot := g.DOT()
	if !strings.Contains(dot, `"File[/a/b]" -> "File[/a/b/c/d]" [style=dashed, tooltip="autorequire"];`) {
		t.Errorf("no automatic edge from the nearest parent:\n%s", dot)
	}
	for _, bad := range []string{`"File[/a]" -> "File[/a/b/c/d]"`, `"User[0]" ->`} {
		if strings.Contains(dot, bad) {
			t.Errorf("unexpected edge %s:\n%s", bad, dot)
		}
	}
}

// TestAutorequireYieldsToDeclared: a declared relationship the other way
// wins, and an automatic one that would close a cycle through declared
// ones is dropped; a cycle of declared relationships is still an error.
func TestAutorequireYieldsToDeclared(t *testing.T) {
	mk := func(edges ...catalog.Edge) *catalog.Catalog {
		return &catalog.Catalog{Name: "t", Resources: []*catalog.Resource{
			res("File", "/d/f"), res("File", "/d", "ensure", "directory"), res("Exec", "x", "command", "/bin/true"),
		}, Edges: edges}
	}
	f, d, x := catalog.Ref{Type: "File", Title: "/d/f"}, catalog.Ref{Type: "File", Title: "/d"}, catalog.Ref{Type: "Exec", Title: "x"}
	if got, want := order(t, mk(catalog.Edge{Source: f, Target: d})), []string{"File[/d/f]", "File[/d]", "Exec[x]"}; !cmp.Equal(got, want) {
		t.Errorf("reverse declared edge: order %v, want %v", got, want)
	}
	// f -> x -> d declared; the automatic d -> f would close a cycle.
	if got, want := order(t, mk(catalog.Edge{Source: f, Target: x}, catalog.Edge{Source: x, Target: d})),
		[]string{"File[/d/f]", "Exec[x]", "File[/d]"}; !cmp.Equal(got, want) {
		t.Errorf("indirect cycle: order %v, want %v", got, want)
	}
	_, err := NewGraph(mk(catalog.Edge{Source: f, Target: x}, catalog.Edge{Source: x, Target: f}))
	var cyc *CycleError
	if !errors.As(err, &cyc) || len(cyc.Cycles) != 1 || len(cyc.Cycles[0]) != 3 {
		t.Errorf("declared cycle: got %v", err)
	}
}

// TestAutorequireParallelApply creates a tree declared leaves first with
// real file resources, several at a time: every file finds its directory.
func TestAutorequireParallelApply(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	cat := &catalog.Catalog{Name: "t"}
	for _, p := range []string{"a/b/c/f1", "a/b/f2", "a/f3", "a/b/c", "a/b", "a", ""} {
		kv := []string{"content", p}
		if !strings.Contains(p, "f") {
			kv = []string{"ensure", "directory"}
		}
		cat.Resources = append(cat.Resources, res("File", filepath.Join(root, p), kv...))
	}
	rep, err := Apply(context.Background(), cat, Options{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Metrics.Failed != 0 || rep.Metrics.Changed != len(cat.Resources) {
		t.Fatalf("metrics %+v", rep.Metrics)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a/b/c/f1")); err != nil || string(b) != "a/b/c/f1" {
		t.Errorf("a/b/c/f1: %q, %v", b, err)
	}
}
