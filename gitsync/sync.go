// Package gitsync keeps a node's copy of the manifest repository: it fetches
// one branch (the environment) with go-git, over https, ssh, git:// or a
// local path, never needing a git binary, and materialises each commit it
// applies as its own directory tree. A "current" symbolic link names the tree
// in use and is switched atomically, so readers see either the old tree or
// the new one, never a mix, and a crash at any point leaves the previous tree
// in place.
//
// The state directory looks like this:
//
//	Dir/repo.git           bare cache of the fetched branch (safe to delete)
//	Dir/modules/*.git      bare caches of submodule repositories
//	Dir/trees/<commit>     one complete tree per applied commit
//	Dir/trees/.tmp-*       a tree being written (removed by the next Sync)
//	Dir/current            -> trees/<commit>
//	Dir/.lock              flock held during Sync
//
// Trees are written straight from the git objects (no index, no .git entry
// inside, so a tree is just the files), and a file unchanged since the
// previous tree is a hard link to it. Once Keep trees exist, the oldest one,
// about to be pruned, is recycled instead: renamed aside and brought to the
// new commit by the diff between the two (recycle.go), so a one-file change
// in a big repository costs one file. Trees are read-only by contract: whoever uses them must
// not edit them in place. Dir is created 0700, since manifests and their data
// often hold secrets.
//
// Failure never moves current: when the fetch fails on every URL, the branch
// is missing, the head commit fails verification or cannot be written out,
// Sync returns a *SyncError and the node keeps running its last good commit.
package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/gofrs/flock"
	"golang.org/x/sys/unix"
)

// DefaultKeep is the number of trees kept when Syncer.Keep is zero: the
// current one and two before it, enough to roll back by hand.
const DefaultKeep = 3

// Syncer owns one state directory. Its methods may be called from several
// processes at once: Sync serialises on a lock file in Dir.
type Syncer struct {
	// Dir is the state directory; it is created when missing.
	Dir string
	// Keep is how many trees to keep, the current one included; DefaultKeep
	// when zero. The current tree is never removed.
	Keep int
	// Accept, when not nil, is asked before a new commit becomes current,
	// with the commit and its complete tree. An error refuses the commit:
	// current does not move, and Sync returns a SyncError (Op "accept")
	// wrapping ErrRejected and the error. The agent compiles the manifest
	// here, so a commit that does not compile is never current. Accept is
	// not called when the branch head is already current.
	Accept func(commit, tree string) error
}

// Result describes a successful Sync.
type Result struct {
	Commit   string // the commit now current (hex id)
	Tree     string // absolute path of its tree, Dir/trees/<Commit>
	Previous string // the commit current before this Sync, "" on the first
	Changed  bool   // Commit differs from Previous
	URL      string // the URL fetched from (Source.URL or a mirror), credentials removed
	Branch   string
	// Pruned lists the commits whose trees were removed. PruneError is set
	// when removing an old tree failed; the sync itself succeeded.
	Pruned     []string
	PruneError error
}

// Validate checks the Syncer's settings and fills defaults.
func (s *Syncer) Validate() error {
	if s.Dir == "" {
		return fmt.Errorf("%w: no state directory", ErrInvalidSource)
	}
	if s.Keep == 0 {
		s.Keep = DefaultKeep
	}
	if s.Keep < 0 {
		return fmt.Errorf("%w: negative Keep %d", ErrInvalidSource, s.Keep)
	}
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return fmt.Errorf("%w: state directory: %v", ErrInvalidSource, err)
	}
	s.Dir = abs
	return nil
}

func (s *Syncer) treesDir() string    { return filepath.Join(s.Dir, "trees") }
func (s *Syncer) currentLink() string { return filepath.Join(s.Dir, "current") }

// Current returns the commit and tree path the current link names, or an
// error wrapping ErrNoCurrent when nothing was ever synced. It does not take
// the lock: reading a symbolic link is atomic.
func (s *Syncer) Current() (commit, tree string, err error) {
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		return "", "", err
	}
	target, err := os.Readlink(filepath.Join(dir, "current"))
	if errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("gitsync: %s: %w", dir, ErrNoCurrent)
	}
	if err != nil {
		return "", "", fmt.Errorf("gitsync: %w", err)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return filepath.Base(target), target, nil
}

// Sync fetches src's branch, verifies its head when src.Keyring is set,
// writes the head commit's tree (unless it is already there) and makes it
// current, then prunes old trees. On any error current does not move.
func (s *Syncer) Sync(ctx context.Context, src Source) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, &SyncError{Op: "validate", Err: err}
	}
	if err := src.Validate(); err != nil {
		return Result{}, &SyncError{Op: "validate", URL: redact(src.URL), Branch: src.Branch, Err: err}
	}
	for _, d := range []string{s.Dir, s.treesDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return Result{}, &SyncError{Op: "prepare", Err: err}
		}
	}
	lock := flock.New(filepath.Join(s.Dir, ".lock"))
	ok, err := lock.TryLockContext(ctx, 50*time.Millisecond)
	if !ok {
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %s (%v)", ErrLocked, s.Dir, ctx.Err())
		}
		return Result{}, &SyncError{Op: "lock", Err: err}
	}
	defer lock.Unlock() //nolint:errcheck // closing the descriptor releases it anyway
	s.removeLeftovers()

	res := Result{Branch: src.Branch}
	res.Previous, _, _ = s.Current()

	repo, err := openBare(filepath.Join(s.Dir, "repo.git"))
	if err != nil {
		return res, &SyncError{Op: "open cache", Branch: src.Branch, Err: err}
	}
	head, url, err := s.fetchBranch(ctx, repo, &src)
	if err != nil {
		return res, err
	}
	res.URL = redact(url)
	res.Commit = head.String()
	fail := func(op string, err error) (Result, error) {
		return res, &SyncError{Op: op, URL: res.URL, Branch: src.Branch, Commit: res.Commit, Err: err}
	}

	if src.Keyring != "" {
		if err := verify(repo, head, src.Keyring); err != nil {
			return fail("verify", err)
		}
	}

	res.Tree = filepath.Join(s.treesDir(), res.Commit)
	if !exists(res.Tree) {
		w := &treeWriter{modulesDir: filepath.Join(s.Dir, "modules"), auth: &src.Auth}
		prev := s.snapshot(repo, res.Previous)
		recycled, err := s.writeTree(ctx, w, repo, head, url, prev, res.Previous, res.Tree)
		if recycled != "" {
			res.Pruned = append(res.Pruned, recycled)
		}
		if err != nil {
			return fail("checkout", fmt.Errorf("%w: %w", ErrCheckout, err))
		}
	}
	if s.Accept != nil && res.Commit != res.Previous {
		if err := s.Accept(res.Commit, res.Tree); err != nil {
			// Refused trees must not pile up while a branch stays broken.
			s.prune(res.Previous) //nolint:errcheck // the rejection is the error to report
			return fail("accept", fmt.Errorf("%w: %w", ErrRejected, err))
		}
	}
	// The tree's mtime records when it last became current; pruning keeps
	// the most recent ones.
	now := time.Now()
	if err := os.Chtimes(res.Tree, now, now); err != nil {
		return fail("switch", err)
	}
	if err := s.switchCurrent(res.Commit); err != nil {
		return fail("switch", err)
	}
	res.Changed = res.Commit != res.Previous
	pruned, err := s.prune(res.Commit)
	res.Pruned, res.PruneError = append(res.Pruned, pruned...), err
	return res, nil
}

// fetchBranch fetches src.Branch from the first URL that answers and returns
// the branch head and that URL. A reachable server without the branch stops
// the search (see Source.Mirrors).
func (s *Syncer) fetchBranch(ctx context.Context, repo *git.Repository, src *Source) (plumbing.Hash, string, error) {
	ref := plumbing.NewBranchReferenceName(src.Branch)
	spec := []config.RefSpec{config.RefSpec("+" + ref + ":" + ref)}
	var errs []error
	for _, u := range src.urls() {
		ep, err := transport.NewEndpoint(u)
		if err == nil {
			err = fetch(ctx, repo, ep, &src.Auth, spec, src.Depth)
		}
		if errors.Is(err, git.NoMatchingRefSpecError{}) {
			return plumbing.ZeroHash, "", &SyncError{Op: "fetch", URL: redact(u), Branch: src.Branch,
				Err: fmt.Errorf("%w%s", ErrBranchNotFound, listBranches(ctx, repo, ep, &src.Auth))}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", redact(u), err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		r, err := repo.Reference(ref, true)
		if err != nil {
			return plumbing.ZeroHash, "", &SyncError{Op: "fetch", URL: redact(u), Branch: src.Branch, Err: err}
		}
		return r.Hash(), u, nil
	}
	return plumbing.ZeroHash, "", &SyncError{Op: "fetch", Branch: src.Branch,
		Err: fmt.Errorf("%w from every URL:\n%w", ErrFetch, errors.Join(errs...))}
}

// fetch runs one fetch into repo without recording a remote in its config:
// the URL may change between runs (mirrors) and the cache must not care.
func fetch(ctx context.Context, repo *git.Repository, ep *transport.Endpoint, auth *Auth, specs []config.RefSpec, depth int) error {
	method, err := auth.method(ep)
	if err != nil {
		return err
	}
	if isLocal(ep) {
		depth = 0 // the in-process server refuses shallow requests
	}
	remote := git.NewRemote(repo.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{ep.String()}})
	err = remote.FetchContext(ctx, &git.FetchOptions{
		RefSpecs:        specs,
		Depth:           depth,
		Auth:            method,
		Tags:            git.NoTags,
		Force:           true,
		CABundle:        auth.CABundle,
		InsecureSkipTLS: auth.InsecureSkipTLS,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// listBranches names the branches a server has, to make a missing-branch
// error actionable. It returns "" when listing fails.
func listBranches(ctx context.Context, repo *git.Repository, ep *transport.Endpoint, auth *Auth) string {
	method, err := auth.method(ep)
	if err != nil {
		return ""
	}
	remote := git.NewRemote(repo.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{ep.String()}})
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: method, CABundle: auth.CABundle, InsecureSkipTLS: auth.InsecureSkipTLS})
	if err != nil {
		return ""
	}
	var names []string
	for _, r := range refs {
		if r.Name().IsBranch() {
			names = append(names, r.Name().Short())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return " (the repository has no branches)"
	}
	return " (branches: " + strings.Join(names, ", ") + ")"
}

// verify checks the commit's OpenPGP signature against the keyring.
func verify(repo *git.Repository, head plumbing.Hash, keyring string) error {
	c, err := repo.CommitObject(head)
	if err != nil {
		return err
	}
	if c.PGPSignature == "" {
		return fmt.Errorf("%w: the commit is not signed", ErrUnverified)
	}
	if _, err := c.Verify(keyring); err != nil {
		return fmt.Errorf("%w: %v", ErrUnverified, err)
	}
	return nil
}

// writeTree writes the commit into a temporary directory next to its final
// place (recycling a tree that is about to be pruned when it can), flushes
// it to disk and renames it into place, so a tree directory exists only once
// complete.
// It returns the commit whose tree was recycled, if one was.
func (s *Syncer) writeTree(ctx context.Context, w *treeWriter, repo *git.Repository, head plumbing.Hash, url string, prev *snapshot, current, final string) (string, error) {
	recycled, tmp, err := s.recycle(ctx, repo, head, current)
	if errors.Is(err, errNoRecycle) {
		if tmp, err = os.MkdirTemp(s.treesDir(), ".tmp-"+head.String()+"-"); err != nil {
			return "", err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return "", err
		}
		err = w.write(ctx, repo, head, tmp, url, prev, 0)
	}
	if err != nil {
		os.RemoveAll(tmp) //nolint:errcheck // best effort; the next Sync removes leftovers
		return recycled, err
	}
	if err := syncFS(tmp); err != nil {
		os.RemoveAll(tmp) //nolint:errcheck // as above
		return recycled, err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp) //nolint:errcheck // as above
		return recycled, err
	}
	return recycled, nil
}

// snapshot returns the tree of commit (the previous current one) for
// unchanged files to be linked from, or nil when it is not at hand.
func (s *Syncer) snapshot(repo *git.Repository, commit string) *snapshot {
	if commit == "" || !plumbing.IsHash(commit) {
		return nil
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil
	}
	t, err := c.Tree()
	if err != nil {
		return nil
	}
	return &snapshot{tree: t, dir: filepath.Join(s.treesDir(), commit)}
}

// switchCurrent points Dir/current at trees/<commit>: a new link under a
// temporary name renamed over the old one, which rename(2) does atomically.
// The link is relative so the state directory can be moved.
func (s *Syncer) switchCurrent(commit string) error {
	tmp := filepath.Join(s.Dir, fmt.Sprintf(".current.tmp-%d", os.Getpid()))
	os.Remove(tmp) //nolint:errcheck // a leftover from a crashed run with the same pid
	if err := os.Symlink(filepath.Join("trees", commit), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.currentLink()); err != nil {
		os.Remove(tmp) //nolint:errcheck // best effort
		return err
	}
	return syncDir(s.Dir)
}

// removeLeftovers deletes what a crashed Sync may have left: half-written
// trees and temporary links. Called with the lock held, so nothing else is
// writing them.
func (s *Syncer) removeLeftovers() {
	if entries, err := os.ReadDir(s.treesDir()); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				os.RemoveAll(filepath.Join(s.treesDir(), e.Name())) //nolint:errcheck // retried next time
			}
		}
	}
	if links, err := filepath.Glob(filepath.Join(s.Dir, ".current.tmp-*")); err == nil {
		for _, l := range links {
			os.Remove(l) //nolint:errcheck // retried next time
		}
	}
}

// prune removes the oldest trees beyond Keep, never the current one.
func (s *Syncer) prune(current string) ([]string, error) {
	entries, err := os.ReadDir(s.treesDir())
	if err != nil {
		return nil, err
	}
	type tree struct {
		name string
		mod  time.Time
	}
	var trees []tree
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.Name() == current {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed under us
		}
		trees = append(trees, tree{e.Name(), info.ModTime()})
	}
	sort.Slice(trees, func(i, j int) bool { return trees[i].mod.After(trees[j].mod) })
	var pruned []string
	var errs []error
	for i, t := range trees {
		if i < s.Keep-1 {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.treesDir(), t.name)); err != nil {
			errs = append(errs, err)
			continue
		}
		pruned = append(pruned, t.name)
	}
	return pruned, errors.Join(errs...)
}

// openBare opens the bare cache repository at dir, creating it when missing.
// The cache holds nothing that cannot be fetched again, so one that cannot be
// opened (a crash during its creation) is recreated.
func openBare(dir string) (*git.Repository, error) {
	repo, err := git.PlainOpen(dir)
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	return git.PlainInit(dir, true)
}

// syncFS flushes the file system holding dir, so a renamed tree survives a
// power loss with its content (one syncfs call instead of one fsync per
// file).
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// syncDir flushes a directory's entries (a rename inside it).
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
