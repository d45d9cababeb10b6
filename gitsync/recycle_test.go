package gitsync

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshotDir lists every path under dir with its kind, mode and content
// (or link target), to compare two trees.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case info.IsDir():
			out[rel] = "dir " + info.Mode().Perm().String()
		default:
			data, _ := os.ReadFile(p)
			out[rel] = info.Mode().Perm().String() + " " + string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecycledTreesMatchFreshOnes syncs a series of commits with every
// kind of change into a Syncer that recycles old trees, and checks each
// tree against one written from scratch, and that the trees kept were not
// altered by the recycling (they share hard links with it).
func TestRecycledTreesMatchFreshOnes(t *testing.T) {
	needGit(t)
	up := newUpstream(t, t.TempDir(), "production")
	s := &Syncer{Dir: t.TempDir(), Keep: 2}
	steps := []func(){
		func() {
			up.commit(map[string]string{"a/b/c.pp": "c1\n", "a/keep.pp": "k\n", "top.pp": "t\n", "x": "file\n"}, nil)
		},
		func() { up.commit(map[string]string{"a/b/c.pp": "c2\n", "new/deep/n.pp": "n\n"}, nil) },
		func() { // delete a whole directory, make x a directory
			gitRun(t, up.dir, "rm", "-q", "-r", "a/b", "x")
			up.commit(map[string]string{"x/inside.pp": "i\n"}, nil)
		},
		func() { // executable bit, symlink, directory x back to a file
			gitRun(t, up.dir, "rm", "-q", "-r", "x")
			if err := os.Symlink("top.pp", filepath.Join(up.dir, "link.pp")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(up.dir, "top.pp"), 0o755); err != nil {
				t.Fatal(err)
			}
			up.commit(map[string]string{"x": "file again\n"}, nil)
		},
		func() { up.commit(map[string]string{"top.pp": "t2\n", "a/keep.pp": "k\n"}, nil) },
	}
	var recycled int
	for i, step := range steps {
		step()
		var before map[string]string
		prev, prevTree, _ := s.Current()
		if prev != "" {
			before = snapshotDir(t, prevTree)
		}
		res := mustSync(t, s, Source{URL: up.dir})
		fresh := &Syncer{Dir: t.TempDir()}
		want := snapshotDir(t, mustSync(t, fresh, Source{URL: up.dir}).Tree)
		if diff := cmp.Diff(want, snapshotDir(t, res.Tree)); diff != "" {
			t.Errorf("step %d: tree differs from a fresh one (-fresh +synced):\n%s", i, diff)
		}
		if before != nil {
			if diff := cmp.Diff(before, snapshotDir(t, prevTree)); diff != "" {
				t.Errorf("step %d: the previous tree changed (-before +after):\n%s", i, diff)
			}
		}
		entries, _ := os.ReadDir(filepath.Join(s.Dir, "trees"))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("step %d: leftover %s", i, e.Name())
			}
		}
		if len(res.Pruned) > 0 {
			recycled++
		}
	}
	if recycled < 3 {
		t.Errorf("%d syncs recycled or pruned a tree, want at least 3", recycled)
	}
}
