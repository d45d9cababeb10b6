package compiler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadSourcesOfADirectory(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"b.pp":            "notify { 'b': }\n",
		"a/z.pp":          "notify { 'z': }\n",
		"a/README.md":     "not a manifest",
		".hidden/x.pp":    "fail('hidden')\n",
		"c.pp":            "notify { 'c': }\n",
		"a/.swap.pp":      "fail('swap')\n",
		"nested/d/e/f.pp": "notify { 'f': }\n",
	})
	srcs, err := ReadSources([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, name := range srcs.Order {
		rel, _ := filepath.Rel(dir, name)
		got = append(got, rel)
	}
	want := []string{"a/z.pp", "b.pp", "c.pp", "nested/d/e/f.pp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	cat, diags := CompileSources(srcs, Options{Node: "n", Version: srcs.Digest()})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var titles []string
	for _, r := range cat.Resources {
		titles = append(titles, r.Title)
	}
	if diff := cmp.Diff([]string{"z", "b", "c", "f"}, titles); diff != "" {
		t.Errorf("catalog order follows file order (-want +got):\n%s", diff)
	}
}

func TestReadSourcesErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadSources([]string{filepath.Join(dir, "missing.pp")}, ""); err == nil || !strings.Contains(err.Error(), "missing.pp") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := ReadSources([]string{dir}, ""); err == nil || !strings.Contains(err.Error(), "no manifests") {
		t.Errorf("empty dir: err = %v", err)
	}
	if _, err := ReadSources([]string{dir}, "notify { 'x': }"); err == nil {
		t.Error("code and a path at once should be refused")
	}
	if _, err := ReadSources(nil, ""); err == nil {
		t.Error("nothing to read should be an error")
	}
}

func TestDigestChangesWithContentOnly(t *testing.T) {
	a, _ := ReadSources(nil, "notify { 'x': }")
	b, _ := ReadSources(nil, "notify { 'x': }")
	c, _ := ReadSources(nil, "notify { 'y': }")
	if a.Digest() != b.Digest() {
		t.Error("same sources, different digests")
	}
	if a.Digest() == c.Digest() {
		t.Error("different sources, same digest")
	}
}

func TestCompileSourcesStopsAtParseErrors(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.pp": "notify { 'a':\n",
		"b.pp": "notify { 'b': message => }\n",
	})
	srcs, err := ReadSources([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	cat, diags := CompileSources(srcs, Options{})
	if cat != nil || !diags.HasErrors() {
		t.Fatalf("want parse errors and no catalog, got %v, %v", cat, diags)
	}
	files := map[string]bool{}
	for _, d := range diags {
		files[filepath.Base(d.Subject.Filename)] = true
	}
	if !files["a.pp"] || !files["b.pp"] {
		t.Errorf("want errors from both files, got %v", diags)
	}
}

func TestManifestSettings(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"site.pp": ""})
	s := ManifestSettings(filepath.Join(dir, "site.pp"))
	if s["manifest"] != filepath.Join(dir, "site.pp") || s["manifestdir"] != dir {
		t.Errorf("file: %v", s)
	}
	s = ManifestSettings(dir)
	if s["manifest"] != dir || s["manifestdir"] != dir {
		t.Errorf("dir: %v", s)
	}
	wd, _ := os.Getwd()
	s = ManifestSettings("")
	if s["manifest"] != "no_manifest" || s["manifestdir"] != wd {
		t.Errorf("code: %v", s)
	}
}
