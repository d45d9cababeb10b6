package resources

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gapply/gapply/catalog"
)

// concatCatalog is a catalog holding a concat at path and the fragments
// given as title -> params.
func concatCatalog(path string, params map[string]any, frags map[string]map[string]any) *catalog.Catalog {
	params["path"] = path
	cat := &catalog.Catalog{Resources: []*catalog.Resource{{Type: "Concat", Title: "cfg", Parameters: params}}}
	for title, p := range frags {
		cat.Resources = append(cat.Resources, &catalog.Resource{Type: "Concat::Fragment", Title: title, Parameters: p})
	}
	return cat
}

func TestConcatAssemblesInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.conf")
	if err := os.MkdirAll(filepath.Join(dir, "mod", "m", "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "mod", "m", "files", "tail.txt"), "tail\n", 0o644)
	cat := concatCatalog(path, map[string]any{"warn": true, "ensure_newline": true, "mode": "0640"},
		map[string]map[string]any{
			"b":    {"target": "cfg", "content": "nine", "order": "9"},
			"a":    {"target": path, "content": "ten\n", "order": "10"},
			"c":    {"target": "cfg", "content": "ten again", "order": 10},
			"tail": {"target": "cfg", "source": []any{"puppet:///modules/m/none", "puppet:///modules/m/tail.txt"}, "order": "99"},
		})
	env := newTestEnv(t)
	env.Catalog = cat
	env.ModulePath = []string{filepath.Join(dir, "mod")}
	r := newRes(t, "concat", "cfg", cat.Resources[0].Parameters)
	lines := converge(t, r, env.Env)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ensure: defined content as") {
		t.Errorf("first run: %q", lines)
	}
	// alpha order (the default): "10___a" < "10___c" < "99___tail" < "9___b"
	want := concatWarning + "ten\nten again\ntail\nnine\n"
	if got := readFile(t, path); got != want {
		t.Errorf("content:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}

	// numeric order, a changed fragment: one content change, the old
	// content in the bucket.
	cat.Resources[0].Parameters["order"] = "numeric"
	cat.Lookup(catalog.Ref{Type: "Concat::Fragment", Title: "b"}).Parameters["content"] = "NINE"
	r = newRes(t, "concat", "cfg", cat.Resources[0].Parameters)
	lines = converge(t, r, env.Env)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "content: content changed") {
		t.Errorf("second run: %q", lines)
	}
	numeric := concatWarning + "NINE\nten\nten again\ntail\n"
	if got := readFile(t, path); got != numeric {
		t.Errorf("numeric content:\n%s\nwant:\n%s", got, numeric)
	}
}

func TestConcatValidateAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.conf")
	cat := concatCatalog(path, map[string]any{"validate_cmd": "/bin/grep -q ok %"},
		map[string]map[string]any{"f": {"target": "cfg", "content": "bad\n"}})
	env := newTestEnv(t)
	env.Catalog = cat
	r := newRes(t, "concat", "cfg", cat.Resources[0].Parameters)
	changes := mustCheck(t, r, env.Env)
	if err := r.Apply(t.Context(), env.Env, changes); err == nil {
		t.Error("validate_cmd failing: want an error")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the file must not be written when validation fails: %v", err)
	}

	orphan := newRes(t, "concat::fragment", "lost", map[string]any{"target": "/nowhere", "content": "x"})
	if _, err := orphan.Check(t.Context(), env.Env); err == nil || !strings.Contains(err.Error(), "'/nowhere' not found") {
		t.Errorf("fragment without its concat: %v", err)
	}
	for _, p := range []map[string]any{
		{"target": "cfg"},
		{"target": "cfg", "content": "a", "source": "/etc/hostname"},
	} {
		if _, err := newResErr("concat::fragment", "f", p); err == nil {
			t.Errorf("%v: want an error", p)
		}
	}
	if _, err := newResErr("concat", "/x", map[string]any{"order": "random"}); err == nil {
		t.Error("order random: want an error")
	}
}

func TestConcatDerivedEdges(t *testing.T) {
	cat := concatCatalog("/etc/x", map[string]any{}, map[string]map[string]any{
		"f": {"target": "/etc/x", "content": "a"},
	})
	cat.Edges = []catalog.Edge{
		{Source: catalog.Ref{Type: "Concat::Fragment", Title: "f"}, Target: catalog.Ref{Type: "Service", Title: "app"}, Refresh: true},
		{Source: catalog.Ref{Type: "Package", Title: "app"}, Target: catalog.Ref{Type: "Concat::Fragment", Title: "f"}},
	}
	var got []string
	for _, e := range DerivedEdges(cat) {
		got = append(got, e.Source.String()+" -> "+e.Target.String()+map[bool]string{true: " ~"}[e.Refresh])
	}
	want := []string{
		"Concat::Fragment[f] -> Concat[cfg]",
		"Concat[cfg] -> Service[app] ~",
		"Package[app] -> Concat[cfg]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edges (-want +got):\n%s", diff)
	}
}
