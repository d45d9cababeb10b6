package gitsync

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as a syncing process that the crash test
// kills with SIGKILL.
func TestMain(m *testing.M) {
	if dir := os.Getenv("GITSYNC_CHILD_DIR"); dir != "" {
		s := &Syncer{Dir: dir}
		if _, err := s.Sync(context.Background(), Source{URL: os.Getenv("GITSYNC_CHILD_URL")}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSIGKILLDuringSync kills syncing processes at different moments (during
// the fetch, the checkout, the switch) and checks that current always names
// a complete tree and that the next Sync recovers.
func TestSIGKILLDuringSync(t *testing.T) {
	needGit(t)
	up := newUpstream(t, t.TempDir(), "production")
	for i := range 300 {
		p := filepath.Join(up.dir, fmt.Sprintf("modules/m%d/manifests/init.pp", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("# filler\n", 50)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The git binary commits many files far faster than go-git's index.
	commit := func(site, m7 string) string {
		for p, c := range map[string]string{"site.pp": site, "modules/m7/manifests/init.pp": m7} {
			if err := os.WriteFile(filepath.Join(up.dir, p), []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		gitRun(t, up.dir, "add", "-A")
		gitRun(t, up.dir, "commit", "-q", "-m", "change")
		return gitRun(t, up.dir, "rev-parse", "HEAD")
	}
	c1 := commit("one\n", "first\n")
	s := &Syncer{Dir: t.TempDir()}
	mustSync(t, s, Source{URL: up.dir})
	c2 := commit("two\n", "changed\n")

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GITSYNC_CHILD_DIR="+s.Dir, "GITSYNC_CHILD_URL="+up.dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have finished already
		cmd.Wait()                          //nolint:errcheck // killed on purpose
	}

	// Killed while writing the new tree: current still names the old one.
	cmd := child()
	deadline := time.Now().Add(time.Minute) // guards a hang only
	for {
		if m, _ := filepath.Glob(filepath.Join(s.Dir, "trees", ".tmp-"+c2+"-*", "modules")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			kill(cmd)
			t.Fatal("the child never started writing the new tree")
		}
		time.Sleep(time.Millisecond)
	}
	kill(cmd)
	if m, _ := filepath.Glob(filepath.Join(s.Dir, "trees", ".tmp-*")); len(m) == 0 {
		t.Fatal("the child finished before it was killed; the test did not exercise a half-written tree")
	}
	assertCurrent(t, s, c1, "site.pp", "one\n")

	// Killed at other moments: current is always one of the complete trees.
	for _, delay := range []time.Duration{0, 40, 80, 120} {
		cmd := child()
		time.Sleep(delay * time.Millisecond)
		kill(cmd)
		commit, _, err := s.Current()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{c1: "one\n", c2: "two\n"}[commit]
		if want == "" {
			t.Fatalf("after a kill at %dms: current is %s", delay, commit)
		}
		assertCurrent(t, s, commit, "site.pp", want)
	}

	res := mustSync(t, s, Source{URL: up.dir})
	assertCurrent(t, s, c2, "site.pp", "two\n")
	assertCurrent(t, s, c2, "modules/m7/manifests/init.pp", "changed\n")
	assertCurrent(t, s, c2, "modules/m299/manifests/init.pp", strings.Repeat("# filler\n", 50))
	leftovers, _ := filepath.Glob(filepath.Join(s.Dir, "trees", ".tmp-*"))
	if len(leftovers) != 0 || res.Commit != c2 {
		t.Fatalf("after recovery: leftovers %v, result %+v", leftovers, res)
	}
}
