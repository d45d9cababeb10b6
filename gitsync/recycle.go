package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// A new tree normally costs a hard link per unchanged file, which for a
// one-file change in a 10,000-file repository is most of a sync. Once Keep
// trees exist, though, the sync is about to prune the oldest one anyway: it
// is recycled instead. It is renamed to a temporary name (so a crash leaves
// a leftover, removed by the next Sync, and never a half-updated tree under
// a commit's name) and brought to the new commit by applying the diff
// between the two commits, so the cost follows the size of the change.
// Changed files are removed and written anew, never edited in place: they
// may be hard links shared with the trees that are kept.
//
// Trees with submodules are never recycled (their contents come from other
// repositories); they are written in full.

// errNoRecycle means recycling does not apply; the tree is written in full.
var errNoRecycle = errors.New("tree cannot be recycled")

// recycle turns the oldest tree that pruning would remove into a
// temporary tree of head and returns that tree's commit and the temporary
// path, or errNoRecycle. current is the current commit, never touched. Once
// renamed, the old tree is gone even if applying the diff fails.
func (s *Syncer) recycle(ctx context.Context, repo *git.Repository, head plumbing.Hash, current string) (victim, tmp string, err error) {
	victim = s.oldestPrunable(current)
	if victim == "" || !plumbing.IsHash(victim) {
		return "", "", errNoRecycle
	}
	oldTree, err := commitTree(repo, plumbing.NewHash(victim))
	if err != nil {
		return "", "", errNoRecycle
	}
	newTree, err := commitTree(repo, head)
	if err != nil || hasSubmodules(oldTree) || hasSubmodules(newTree) {
		return "", "", errNoRecycle
	}
	changes, err := object.DiffTreeWithOptions(ctx, oldTree, newTree, nil)
	if err != nil {
		return "", "", errNoRecycle
	}
	tmp = filepath.Join(s.treesDir(), fmt.Sprintf(".tmp-%s-recycled-%d", head, time.Now().UnixNano()))
	if err := os.Rename(filepath.Join(s.treesDir(), victim), tmp); err != nil {
		return "", "", errNoRecycle
	}
	return victim, tmp, applyChanges(newTree, changes, tmp)
}

// oldestPrunable names the oldest tree the prune after this sync would
// remove (see prune), or "" when there is none.
func (s *Syncer) oldestPrunable(current string) string {
	entries, err := os.ReadDir(s.treesDir())
	if err != nil {
		return ""
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
		if info, err := e.Info(); err == nil {
			trees = append(trees, tree{e.Name(), info.ModTime()})
		}
	}
	// After this sync, current joins the old trees and Keep-1 of them stay.
	if current != "" && len(trees)+1 <= s.Keep-1 || current == "" && len(trees) <= s.Keep-1 {
		return ""
	}
	sort.Slice(trees, func(i, j int) bool { return trees[i].mod.Before(trees[j].mod) })
	return trees[0].name
}

func commitTree(repo *git.Repository, h plumbing.Hash) (*object.Tree, error) {
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, err
	}
	return c.Tree()
}

func hasSubmodules(t *object.Tree) bool {
	_, err := t.FindEntry(".gitmodules")
	return err == nil
}

// applyChanges brings dir from a change's From side to its To side:
// removals first (a file may be replaced by a directory of the same name,
// or the other way round), then additions.
func applyChanges(tree *object.Tree, changes object.Changes, dir string) error {
	for _, c := range changes {
		if c.From.Name == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(c.From.Name))
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		// git tracks no empty directories: drop parents left empty.
		for d := filepath.Dir(p); d != dir; d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	for _, c := range changes {
		name := c.To.Name
		if name == "" {
			continue
		}
		for _, part := range strings.Split(name, "/") {
			if !safeName(part) {
				return fmt.Errorf("unsafe path %q in tree", name)
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		e := c.To.TreeEntry
		switch e.Mode {
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if err := writeBlob(tree, e, p); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := fixMode(p, e.Mode); err != nil {
				return err
			}
		case filemode.Symlink:
			target, err := blobString(tree, e)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: %w (mode %v)", path.Clean(name), errNoRecycle, e.Mode)
		}
	}
	return nil
}

// fixMode sets the mode writeBlob meant, whatever the umask.
func fixMode(p string, mode filemode.FileMode) error {
	perm := os.FileMode(0o644)
	if mode == filemode.Executable {
		perm = 0o755
	}
	return os.Chmod(p, perm)
}
