package gitsync

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// upstream is a repository a test commits to and a Syncer fetches from. It
// has a working tree, which go-git, git daemon and git http-backend all serve.
type upstream struct {
	t    *testing.T
	dir  string
	repo *git.Repository
}

func newUpstream(t *testing.T, dir, branch string) *upstream {
	t.Helper()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &upstream{t: t, dir: dir, repo: repo}
}

// commit writes files (relative path -> content) and commits them on the
// checked-out branch, signed when key is not nil. It returns the commit id.
func (u *upstream) commit(files map[string]string, key *openpgp.Entity) string {
	u.t.Helper()
	wt, err := u.repo.Worktree()
	if err != nil {
		u.t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(u.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			u.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			u.t.Fatal(err)
		}
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		u.t.Fatal(err)
	}
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: time.Now()}
	h, err := wt.Commit("change", &git.CommitOptions{Author: sig, SignKey: key, AllowEmptyCommits: true})
	if err != nil {
		u.t.Fatal(err)
	}
	return h.String()
}

// checkout switches the working tree to branch, creating it at HEAD when new.
func (u *upstream) checkout(branch string) {
	u.t.Helper()
	wt, err := u.repo.Worktree()
	if err != nil {
		u.t.Fatal(err)
	}
	name := plumbing.NewBranchReferenceName(branch)
	_, err = u.repo.Reference(name, false)
	create := errors.Is(err, plumbing.ErrReferenceNotFound)
	if err := wt.Checkout(&git.CheckoutOptions{Branch: name, Create: create}); err != nil {
		u.t.Fatal(err)
	}
}

// gitRun runs the git binary (tests only) with no user or system config.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "protocol.file.allow=always",
		"-c", "user.name=Test", "-c", "user.email=test@example.com"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func needGit(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git binary not installed (apt-get install git); needed only to serve test repositories")
	}
	return p
}

// newKey makes an OpenPGP signing key and its armored public key.
func newKey(t *testing.T, name string) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return e, buf.String()
}

// mustSync syncs and fails the test on error.
func mustSync(t *testing.T, s *Syncer, src Source) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.Sync(ctx, src)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return res
}

// syncErr syncs, expecting an error that wraps want.
func syncErr(t *testing.T, s *Syncer, src Source, want error) *SyncError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.Sync(ctx, src)
	if !errors.Is(err, want) {
		t.Fatalf("Sync error = %v, want %v", err, want)
	}
	var se *SyncError
	if !errors.As(err, &se) {
		t.Fatalf("Sync error %T is not a *SyncError", err)
	}
	return se
}

// assertCurrent checks the current link names commit and its tree holds
// file with content.
func assertCurrent(t *testing.T, s *Syncer, commit, file, content string) {
	t.Helper()
	c, tree, err := s.Current()
	if err != nil {
		t.Fatal(err)
	}
	if c != commit {
		t.Fatalf("current = %s, want %s", c, commit)
	}
	if tree != filepath.Join(s.Dir, "trees", commit) {
		t.Fatalf("current tree = %s", tree)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir, "current", file))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != content {
		t.Fatalf("%s = %q, want %q", file, got, content)
	}
}
