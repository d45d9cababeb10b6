package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestSyncLocal covers clone, incremental fetch and the no-op sync over a
// plain path and file://, with PATH emptied to prove no git binary is used.
func TestSyncLocal(t *testing.T) {
	t.Setenv("PATH", "")
	for _, tc := range []struct {
		name string
		url  func(dir string) string
	}{
		{"path", func(dir string) string { return dir }},
		{"file URL", func(dir string) string { return "file://" + dir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, t.TempDir(), "production")
			c1 := up.commit(map[string]string{"manifests/site.pp": "notice('one')\n"}, nil)
			s := &Syncer{Dir: filepath.Join(t.TempDir(), "state")}
			src := Source{URL: tc.url(up.dir)}

			if _, _, err := s.Current(); !errors.Is(err, ErrNoCurrent) {
				t.Fatalf("Current before any sync: %v, want ErrNoCurrent", err)
			}
			res := mustSync(t, s, src)
			if res.Commit != c1 || !res.Changed || res.Previous != "" || res.Branch != "production" || res.URL != src.URL {
				t.Fatalf("first sync: %+v", res)
			}
			assertCurrent(t, s, c1, "manifests/site.pp", "notice('one')\n")
			if _, err := os.Lstat(filepath.Join(res.Tree, ".git")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("tree has a .git entry: %v", err)
			}

			res = mustSync(t, s, src)
			if res.Changed || res.Commit != c1 || res.Previous != c1 {
				t.Fatalf("no-op sync: %+v", res)
			}

			c2 := up.commit(map[string]string{"manifests/site.pp": "notice('two')\n"}, nil)
			res = mustSync(t, s, src)
			if !res.Changed || res.Commit != c2 || res.Previous != c1 {
				t.Fatalf("incremental sync: %+v", res)
			}
			assertCurrent(t, s, c2, "manifests/site.pp", "notice('two')\n")
			// The old tree is kept untouched for whoever still reads it.
			old, err := os.ReadFile(filepath.Join(s.Dir, "trees", c1, "manifests/site.pp"))
			if err != nil || string(old) != "notice('one')\n" {
				t.Fatalf("old tree: %q, %v", old, err)
			}
		})
	}
}

func TestLeftoversFromCrashAreRemoved(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	c1 := up.commit(map[string]string{"a.pp": "one\n"}, nil)
	s := &Syncer{Dir: t.TempDir()}
	// What a Sync killed mid-checkout and mid-switch leaves behind: a
	// half-written tree of the very commit to sync and a temporary link.
	half := filepath.Join(s.Dir, "trees", ".tmp-"+c1+"-123")
	if err := os.MkdirAll(half, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(half, "a.pp"), []byte("o"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(half, filepath.Join(s.Dir, ".current.tmp-99999")); err != nil {
		t.Fatal(err)
	}

	mustSync(t, s, Source{URL: up.dir})
	assertCurrent(t, s, c1, "a.pp", "one\n")
	for _, p := range []string{half, filepath.Join(s.Dir, ".current.tmp-99999")} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s still there (%v)", p, err)
		}
	}
}

func TestPruneKeepsNewestAndCurrent(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	s := &Syncer{Dir: t.TempDir(), Keep: 2}
	var commits []string
	var pruned []string
	for i := range 4 {
		commits = append(commits, up.commit(map[string]string{"a.pp": strings.Repeat("x", i+1)}, nil))
		res := mustSync(t, s, Source{URL: up.dir})
		if res.PruneError != nil {
			t.Fatal(res.PruneError)
		}
		pruned = append(pruned, res.Pruned...)
	}
	if want := commits[:2]; !slices.Equal(pruned, want) {
		t.Fatalf("pruned %v, want %v", pruned, want)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir, "trees"))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{commits[2], commits[3]}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("trees left %v, want %v", left, want)
	}
}

func TestMirrorFallback(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	c1 := up.commit(map[string]string{"a.pp": "one\n"}, nil)
	dead := filepath.Join(t.TempDir(), "gone")
	s := &Syncer{Dir: t.TempDir()}

	res := mustSync(t, s, Source{URL: dead, Mirrors: []string{"file://" + dead + "2", up.dir}})
	if res.URL != up.dir || res.Commit != c1 {
		t.Fatalf("mirror sync: %+v", res)
	}

	// Every URL down: an ErrFetch naming each, and current stays.
	up.commit(map[string]string{"a.pp": "two\n"}, nil)
	se := syncErr(t, s, Source{URL: dead, Mirrors: []string{dead + "2"}}, ErrFetch)
	for _, u := range []string{dead + ":", dead + "2:"} {
		if !strings.Contains(se.Error(), u) {
			t.Errorf("error %q does not name %s", se, u)
		}
	}
	assertCurrent(t, s, c1, "a.pp", "one\n")
}

func TestBranchIsEnvironment(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	prod := up.commit(map[string]string{"a.pp": "prod\n"}, nil)
	up.checkout("feature_x")
	feat := up.commit(map[string]string{"a.pp": "feature\n"}, nil)
	up.checkout("production")
	s := &Syncer{Dir: t.TempDir()}

	mustSync(t, s, Source{URL: up.dir})
	assertCurrent(t, s, prod, "a.pp", "prod\n")
	res := mustSync(t, s, Source{URL: up.dir, Branch: "feature_x"})
	if !res.Changed || res.Commit != feat {
		t.Fatalf("feature sync: %+v", res)
	}
	assertCurrent(t, s, feat, "a.pp", "feature\n")

	se := syncErr(t, s, Source{URL: up.dir, Branch: "nope"}, ErrBranchNotFound)
	for _, want := range []string{`branch "nope"`, up.dir, "branches: feature_x, production"} {
		if !strings.Contains(se.Error(), want) {
			t.Errorf("error %q does not say %q", se, want)
		}
	}
	assertCurrent(t, s, feat, "a.pp", "feature\n")
}

// A branch force-pushed upstream (history rewritten) is followed, not wedged on.
func TestForcePushedBranch(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	base := up.commit(map[string]string{"a.pp": "one\n"}, nil)
	up.commit(map[string]string{"a.pp": "two\n"}, nil)
	s := &Syncer{Dir: t.TempDir()}
	mustSync(t, s, Source{URL: up.dir})

	gitRun(t, up.dir, "reset", "--hard", base)
	rewritten := up.commit(map[string]string{"a.pp": "three\n"}, nil)
	res := mustSync(t, s, Source{URL: up.dir})
	if res.Commit != rewritten {
		t.Fatalf("after force push: %+v", res)
	}
	assertCurrent(t, s, rewritten, "a.pp", "three\n")
}

func TestVerification(t *testing.T) {
	trusted, trustedPub := newKey(t, "trusted")
	stranger, _ := newKey(t, "stranger")
	up := newUpstream(t, t.TempDir(), "production")
	s := &Syncer{Dir: t.TempDir()}
	src := Source{URL: up.dir, Keyring: trustedPub}

	good := up.commit(map[string]string{"a.pp": "signed\n"}, trusted)
	mustSync(t, s, src)
	assertCurrent(t, s, good, "a.pp", "signed\n")

	unsigned := up.commit(map[string]string{"a.pp": "unsigned\n"}, nil)
	se := syncErr(t, s, src, ErrUnverified)
	if se.Commit != unsigned || !strings.Contains(se.Error(), "not signed") {
		t.Fatalf("unsigned: %v (commit %s)", se, se.Commit)
	}
	assertCurrent(t, s, good, "a.pp", "signed\n")

	foreign := up.commit(map[string]string{"a.pp": "foreign\n"}, stranger)
	se = syncErr(t, s, src, ErrUnverified)
	if se.Commit != foreign || se.Op != "verify" {
		t.Fatalf("foreign key: %v", se)
	}
	assertCurrent(t, s, good, "a.pp", "signed\n")
	if _, err := os.Stat(filepath.Join(s.Dir, "trees", foreign)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a tree was written for the refused commit: %v", err)
	}

	syncErr(t, s, Source{URL: up.dir, Keyring: "not a key"}, ErrInvalidSource)
}

func TestSubmodules(t *testing.T) {
	needGit(t)
	root := t.TempDir()
	lib := newUpstream(t, filepath.Join(root, "lib"), "main")
	lib.commit(map[string]string{"init.pp": "class lib {}\n"}, nil)
	up := newUpstream(t, filepath.Join(root, "site"), "production")
	up.commit(map[string]string{"site.pp": "include lib\n"}, nil)
	// A relative URL, resolved against the URL the parent is fetched from.
	gitRun(t, up.dir, "submodule", "add", "../lib", "modules/lib")
	gitRun(t, up.dir, "commit", "-m", "add lib")
	s := &Syncer{Dir: t.TempDir()}

	res := mustSync(t, s, Source{URL: "file://" + up.dir})
	assertCurrent(t, s, res.Commit, "modules/lib/init.pp", "class lib {}\n")
	if _, err := os.Lstat(filepath.Join(res.Tree, "modules/lib/.git")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("submodule tree has a .git entry: %v", err)
	}

	// Move the submodule forward; the parent's new commit brings it along.
	lib.commit(map[string]string{"init.pp": "class lib { notice('v2') }\n"}, nil)
	gitRun(t, filepath.Join(up.dir, "modules/lib"), "pull", "origin", "main")
	gitRun(t, up.dir, "commit", "-am", "bump lib")
	res = mustSync(t, s, Source{URL: up.dir})
	if !res.Changed {
		t.Fatalf("bump not seen: %+v", res)
	}
	assertCurrent(t, s, res.Commit, "modules/lib/init.pp", "class lib { notice('v2') }\n")
}

func TestSubmoduleFailureKeepsCurrent(t *testing.T) {
	needGit(t)
	root := t.TempDir()
	lib := newUpstream(t, filepath.Join(root, "lib"), "main")
	lib.commit(map[string]string{"init.pp": "class lib {}\n"}, nil)
	up := newUpstream(t, filepath.Join(root, "site"), "production")
	good := up.commit(map[string]string{"site.pp": "one\n"}, nil)
	s := &Syncer{Dir: t.TempDir()}
	mustSync(t, s, Source{URL: up.dir})

	gitRun(t, up.dir, "submodule", "add", "../lib", "modules/lib")
	gitRun(t, up.dir, "commit", "-m", "add lib")
	if err := os.RemoveAll(lib.dir); err != nil {
		t.Fatal(err)
	}
	se := syncErr(t, s, Source{URL: up.dir}, ErrCheckout)
	if !strings.Contains(se.Error(), `submodule "modules/lib"`) {
		t.Fatalf("error does not name the submodule: %v", se)
	}
	assertCurrent(t, s, good, "site.pp", "one\n")
	entries, _ := os.ReadDir(filepath.Join(s.Dir, "trees"))
	if len(entries) != 1 {
		t.Fatalf("trees after a failed checkout: %v", entries)
	}
}

func TestLockedStateDir(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	up.commit(map[string]string{"a.pp": "one\n"}, nil)
	s := &Syncer{Dir: t.TempDir()}
	mustSync(t, s, Source{URL: up.dir})

	// The lock another gapply process would hold: a descriptor of its own.
	other := flock.New(filepath.Join(s.Dir, ".lock"))
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("taking the lock: %v, %v", ok, err)
	}
	defer other.Close()
	// A live context that runs out while Sync waits: a context cancelled
	// before the call would give ErrLocked whether the lock is held or not.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Sync(ctx, Source{URL: up.dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Sync with the lock held elsewhere: %v, want ErrLocked", err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	mustSync(t, s, Source{URL: up.dir})
}

func TestSourceValidate(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{}, "no repository URL"},
		{Source{URL: "/x", Branch: "a..b"}, "bad branch name"},
		{Source{URL: "/x", Depth: -1}, "negative depth"},
		{Source{URL: "ssh://git@example.com/x.git"}, "needs Auth.SSHKeyFile"},
	} {
		err := tc.src.Validate()
		if !errors.Is(err, ErrInvalidSource) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.src, err, tc.want)
		}
	}
	src := Source{URL: "/x"}
	if err := src.Validate(); err != nil || src.Branch != DefaultBranch {
		t.Fatalf("defaults: %v %+v", err, src)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("https://bob:s3cret@example.com/r.git"); strings.Contains(got, "s3cret") {
		t.Fatalf("redact kept the password: %s", got)
	}
	if got := redact("git@example.com:r.git"); got != "git@example.com:r.git" {
		t.Fatalf("redact changed an scp-style URL: %s", got)
	}
}

// The tree keeps executable bits and symbolic links, and an unchanged file is
// shared with the previous tree (a hard link) rather than written again.
func TestTreeModesAndSharing(t *testing.T) {
	needGit(t)
	up := newUpstream(t, t.TempDir(), "production")
	for name, content := range map[string]string{"bin/run.sh": "#!/bin/sh\n", "site.pp": "one\n", "keep.pp": "same\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(up.dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(up.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(up.dir, "bin/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("site.pp", filepath.Join(up.dir, "link.pp")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, up.dir, "add", "-A")
	gitRun(t, up.dir, "commit", "-q", "-m", "modes")
	s := &Syncer{Dir: t.TempDir()}
	first := mustSync(t, s, Source{URL: up.dir})

	if info, err := os.Stat(filepath.Join(first.Tree, "bin/run.sh")); err != nil || info.Mode().Perm() != 0o755 {
		t.Fatalf("run.sh mode: %v %v", info.Mode(), err)
	}
	if target, err := os.Readlink(filepath.Join(first.Tree, "link.pp")); err != nil || target != "site.pp" {
		t.Fatalf("link.pp: %q %v", target, err)
	}

	up.commit(map[string]string{"site.pp": "two\n"}, nil)
	second := mustSync(t, s, Source{URL: up.dir})
	a, err := os.Stat(filepath.Join(first.Tree, "keep.pp"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(second.Tree, "keep.pp"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("unchanged keep.pp was copied, not shared")
	}
	c, _ := os.Stat(filepath.Join(first.Tree, "site.pp"))
	d, _ := os.Stat(filepath.Join(second.Tree, "site.pp"))
	if os.SameFile(c, d) {
		t.Error("changed site.pp shares the old tree's file")
	}
	assertCurrent(t, s, second.Commit, "link.pp", "two\n")
}

func TestUnsafeTreePathsRefused(t *testing.T) {
	for _, name := range []string{"..", ".", ".git", ".GIT", "a/b", ""} {
		if safeName(name) {
			t.Errorf("safeName(%q) = true", name)
		}
	}
	for _, name := range []string{"a", ".gitmodules", "..a", "site.pp"} {
		if !safeName(name) {
			t.Errorf("safeName(%q) = false", name)
		}
	}
}

func TestAcceptRefusesCommit(t *testing.T) {
	up := newUpstream(t, t.TempDir(), "production")
	good := up.commit(map[string]string{"site.pp": "good\n"}, nil)
	var asked []string
	s := &Syncer{Dir: t.TempDir(), Keep: 2, Accept: func(commit, tree string) error {
		asked = append(asked, commit)
		data, err := os.ReadFile(filepath.Join(tree, "site.pp"))
		if err != nil {
			return err
		}
		if strings.Contains(string(data), "broken") {
			return errors.New("site.pp does not compile")
		}
		return nil
	}}
	mustSync(t, s, Source{URL: up.dir})
	mustSync(t, s, Source{URL: up.dir}) // already current: not asked again
	var bad []string
	for i := 0; i < 3; i++ {
		bad = append(bad, up.commit(map[string]string{"site.pp": fmt.Sprintf("broken %d\n", i)}, nil))
		se := syncErr(t, s, Source{URL: up.dir}, ErrRejected)
		if se.Op != "accept" || se.Commit != bad[i] || !strings.Contains(se.Error(), "does not compile") {
			t.Fatalf("rejection: %+v", se)
		}
		// However many bad commits follow, the good tree stays current
		// and is never pruned.
		assertCurrent(t, s, good, "site.pp", "good\n")
	}
	// Refused trees are pruned like the others.
	if entries, _ := os.ReadDir(filepath.Join(s.Dir, "trees")); len(entries) > 2 {
		t.Errorf("%d trees kept with Keep 2: %v", len(entries), entries)
	}
	if want := append([]string{good}, bad...); !slices.Equal(asked, want) {
		t.Errorf("Accept asked for %v, want %v", asked, want)
	}
	fixed := up.commit(map[string]string{"site.pp": "fixed\n"}, nil)
	if res := mustSync(t, s, Source{URL: up.dir}); res.Previous != good || res.Commit != fixed {
		t.Errorf("sync after the fix: %+v", res)
	}
}
