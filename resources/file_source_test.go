package resources

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapply/gapply/catalog"
)

// tree writes files (path relative to root -> content; a trailing slash
// makes a directory, "->target" a symbolic link).
func tree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(rel, "/"):
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(content, "->"):
			if err := os.Symlink(strings.TrimPrefix(content, "->"), p); err != nil {
				t.Fatal(err)
			}
		default:
			writeFile(t, p, content, 0o644)
		}
	}
}

// listTree describes what is below root: "rel" for a file with its
// content, "rel/" for a directory, "rel -> target" for a link.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case d.IsDir():
			out = append(out, rel+"/")
		default:
			out = append(out, rel+" "+strings.TrimSpace(readFile(t, p)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileSourceKinds(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	mods := filepath.Join(dir, "modules")
	tree(t, dir, map[string]string{
		"src":                    "from path\n",
		"modules/foo/files/x":    "from module\n",
		"other/foo/files/second": "second modulepath dir\n",
	})
	env.ModulePath = []string{mods, filepath.Join(dir, "other")}
	for _, tc := range []struct {
		name   string
		source any
		want   string
	}{
		{"path", filepath.Join(dir, "src"), "from path\n"},
		{"url", "file://" + filepath.Join(dir, "src"), "from path\n"},
		{"module", "puppet:///modules/foo/x", "from module\n"},
		{"module-server", "puppet://puppet.example/modules/foo/second", "second modulepath dir\n"},
		{"first", []any{filepath.Join(dir, "missing"), "puppet:///modules/foo/x"}, "from module\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(dir, "dst-"+tc.name)
			r := newRes(t, "file", dst, map[string]any{"source": tc.source})
			wantLines(t, converge(t, r, env.Env), "ensure: defined content as '"+sha(tc.want)+"'")
			if got := readFile(t, dst); got != tc.want {
				t.Errorf("content %q, want %q", got, tc.want)
			}
		})
	}

	// The source changes: the copy follows, with the old content bucketed.
	dst := filepath.Join(dir, "dst-path")
	writeFile(t, filepath.Join(dir, "src"), "changed\n", 0o644)
	r := newRes(t, "file", dst, map[string]any{"source": filepath.Join(dir, "src")})
	wantLines(t, converge(t, r, env.Env), "content: content changed '"+sha("from path\n")+"' to '"+sha("changed\n")+"'")
	if _, err := env.bucket.Get(sha("from path\n")); err != nil {
		t.Errorf("old content not in the bucket: %v", err)
	}
}

func TestFileSourceErrors(t *testing.T) {
	dir := t.TempDir()
	r := newRes(t, "file", filepath.Join(dir, "x"), map[string]any{"source": []any{filepath.Join(dir, "no"), "puppet:///modules/foo/no"}})
	_, err := r.Check(context.Background(), newTestEnv(t).Env)
	want := "Could not retrieve information from environment production source(s) file://" + filepath.Join(dir, "no") + ", puppet:///modules/foo/no"
	if err == nil || err.Error() != want {
		t.Errorf("Check: %v, want %s", err, want)
	}
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"source": "relative/x"}, "Cannot use relative URLs 'relative/x'"},
		{map[string]any{"source": "http://example.com/x"}, "Cannot use URLs of type 'http'"},
		{map[string]any{"source": "puppet:///files/x"}, "gapply serves only puppet:///modules/NAME/PATH"},
		{map[string]any{"source": "/x", "content": "y"}, "more than one of content, source, target"},
		{map[string]any{"recurse": "sideways"}, "Invalid recurse value"},
		{map[string]any{"checksum": "crc32"}, "Valid values are md5"},
		{map[string]any{"links": "ignore"}, "Valid values are follow, manage"},
		{map[string]any{"validate_cmd": "/bin/true"}, "validate_cmd must contain %"},
		{map[string]any{"recurselimit": "-1"}, "recurselimit"},
		{map[string]any{"ignore": "[a"}, "Invalid glob"},
	} {
		_, err := newResErr("file", "/tmp/x", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v): %v, want an error with %q", tc.params, err, tc.want)
		}
	}
}

func TestFileRecursePurgeIgnore(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	tree(t, src, map[string]string{"a": "a", "sub/x": "x", "skip.bak": "no", "same": "new", "link": "->a"})
	tree(t, dst, map[string]string{"stale": "old", "old/y": "y", "same": "old", "keep.bak": "ignored", "managed": "by another resource"})
	env.Catalog = &catalog.Catalog{Resources: []*catalog.Resource{{Type: "File", Title: filepath.Join(dst, "managed")}}}
	r := newRes(t, "file", dst, map[string]any{
		"ensure": "directory", "source": src, "recurse": true, "purge": true, "force": true, "ignore": "*.bak",
	})

	// A check changes nothing (what --noop relies on).
	before := listTree(t, dst)
	ref := func(rel string) string { return "File[" + filepath.Join(dst, rel) + "]" }
	want := []string{
		ref("a") + "/ensure: defined content as '" + sha("a") + "'",
		ref("link") + "/ensure: created",
		ref("old") + "/ensure: removed",
		ref("same") + "/content: content changed '" + sha("old") + "' to '" + sha("new") + "'",
		ref("stale") + "/ensure: removed",
		ref("sub") + "/ensure: created",
		ref("sub/x") + "/ensure: defined content as '" + sha("x") + "'",
	}
	wantLines(t, changeLines(mustCheck(t, r, env.Env)), want...)
	wantLines(t, listTree(t, dst), before...)

	wantLines(t, converge(t, r, env.Env), want...)
	wantLines(t, listTree(t, dst),
		"a a", "keep.bak ignored", "link -> a", "managed by another resource", "same new", "sub/", "sub/x x")
	if _, err := env.bucket.Get(sha("old")); err != nil {
		t.Errorf("replaced content not bucketed: %v", err)
	}
}

func TestFileRecurseLimitRemoteAndLinks(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	tree(t, src, map[string]string{"top": "t", "d1/mid": "m", "d1/d2/deep": "d", "ln": "->top"})

	limited := filepath.Join(dir, "limited")
	tree(t, limited, map[string]string{"local": "stays"})
	r := newRes(t, "file", limited, map[string]any{"source": src, "recurse": "remote", "recurselimit": 2, "purge": true})
	converge(t, r, env.Env)
	wantLines(t, listTree(t, limited), "d1/", "d1/d2/", "d1/mid m", "ln -> top", "local stays", "top t")

	followed := filepath.Join(dir, "followed")
	r = newRes(t, "file", followed, map[string]any{"source": src, "recurse": true, "links": "follow", "recurselimit": 1})
	converge(t, r, env.Env)
	wantLines(t, listTree(t, followed), "d1/", "ln t", "top t")
}

// Without a source, recursion manages the mode of everything below, and
// purge empties the directory of what the catalog does not manage.
func TestFileRecurseLocal(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	tree(t, dir, map[string]string{"f": "f", "sub/g": "g"})
	r := newRes(t, "file", dir, map[string]any{"recurse": true, "mode": "0640"})
	converge(t, r, env.Env)
	for rel, want := range map[string]string{".": "0750", "f": "0640", "sub": "0750", "sub/g": "0640"} {
		if got := modeOf(t, filepath.Join(dir, rel)); got != want {
			t.Errorf("mode of %s: %s, want %s", rel, got, want)
		}
	}

	r = newRes(t, "file", dir, map[string]any{"recurse": true, "purge": true})
	got := converge(t, r, env.Env)
	wantLines(t, got,
		"File["+filepath.Join(dir, "f")+"]/ensure: removed",
		"File["+filepath.Join(dir, "sub/g")+"]/ensure: removed")
	// Without force the directory stays, as in Puppet, which says so.
	if !strings.Contains(env.logs.String(), "File["+filepath.Join(dir, "sub")+"]: Not removing directory; use 'force' to override") {
		t.Errorf("no notice about the kept directory in:\n%s", env.logs)
	}
	wantLines(t, listTree(t, dir), "sub/")
}

func TestFileChecksums(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	md5sum := func(s string) string { h := md5.Sum([]byte(s)); return "{md5}" + hex.EncodeToString(h[:]) }
	p := filepath.Join(dir, "md5")
	writeFile(t, p, "old\n", 0o644)
	r := newRes(t, "file", p, map[string]any{"content": "new\n", "checksum": "md5"})
	wantLines(t, converge(t, r, env.Env), "content: content changed '"+md5sum("old\n")+"' to '"+md5sum("new\n")+"'")

	// none: an existing file's content is never compared.
	r = newRes(t, "file", p, map[string]any{"content": "other\n", "checksum": "none"})
	wantLines(t, converge(t, r, env.Env))

	// mtime: a copy no older than its source is in sync, whatever it holds.
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	writeFile(t, src, "v1\n", 0o644)
	r = newRes(t, "file", dst, map[string]any{"source": src, "checksum": "mtime"})
	converge(t, r, env.Env)
	writeFile(t, dst, "edited locally\n", 0o644)
	wantLines(t, changeLines(mustCheck(t, r, env.Env)))
	past := time.Now().Add(-time.Hour)
	writeFile(t, src, "v2\n", 0o644)
	if err := os.Chtimes(dst, past, past); err != nil {
		t.Fatal(err)
	}
	got := converge(t, r, env.Env)
	if len(got) != 1 || !strings.HasPrefix(got[0], "content: content changed '{mtime}") {
		t.Errorf("changes %v, want a content change by mtime", got)
	}
	if readFile(t, dst) != "v2\n" {
		t.Errorf("content not copied after the source got newer")
	}
}

func TestFileValidateCmd(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "conf")
	writeFile(t, p, "good old\n", 0o644)
	bad := newRes(t, "file", p, map[string]any{"content": "bad\n", "validate_cmd": "/bin/grep -q good %"})
	changes := mustCheck(t, bad, env.Env)
	err := bad.Apply(context.Background(), env.Env, changes)
	if err == nil || !strings.HasPrefix(err.Error(), "Execution of '/bin/grep -q good ") || !strings.Contains(err.Error(), "' returned 1") {
		t.Errorf("Apply: %v, want the failed validation", err)
	}
	if got := readFile(t, p); got != "good old\n" {
		t.Errorf("content %q after a failed validation", got)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*")); len(leftovers) != 1 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	good := newRes(t, "file", p, map[string]any{"content": "good new\n", "validate_cmd": "/bin/grep -q good %"})
	converge(t, good, env.Env)
	if got := readFile(t, p); got != "good new\n" {
		t.Errorf("content %q after a passed validation", got)
	}
}
