package gitsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// maxSubmoduleDepth bounds submodule recursion, so a repository that lists
// itself as its own submodule cannot loop forever.
const maxSubmoduleDepth = 8

// treeWriter writes commits out as plain directory trees, fetching and
// writing submodules recursively. Submodule repositories are cached as bare
// repositories under modulesDir, keyed by URL, so later syncs fetch only what
// is new.
//
// Files whose content and mode did not change since the previous tree are
// hard links to that tree's files rather than copies, so a one-file change in
// a large repository costs a link per file instead of a write per file. Trees
// are therefore read-only by contract: editing a file in one would edit it in
// the others that share it.
type treeWriter struct {
	modulesDir string
	auth       *Auth
}

// snapshot is a commit's tree and the directory it was written to; the
// previous snapshot is where unchanged files are linked from.
type snapshot struct {
	tree *object.Tree
	dir  string
}

// write writes commit from repo into dir (which must exist and be empty),
// then fills in its submodules. url is the URL repo was fetched from:
// relative submodule URLs are resolved against it, as git does. prev, when
// not nil, is an already written tree of the same repository.
func (w *treeWriter) write(ctx context.Context, repo *git.Repository, commit plumbing.Hash, dir, url string, prev *snapshot, depth int) error {
	c, err := repo.CommitObject(commit)
	if err != nil {
		return err
	}
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	var prevTree *object.Tree
	if prev != nil {
		prevTree = prev.tree
	}
	var links []gitlink
	if err := writeDir(ctx, tree, prevTree, dir, prevDir(prev), "", &links); err != nil {
		return err
	}
	if len(links) == 0 {
		return nil
	}
	mods, err := submodules(tree)
	if err != nil {
		return err
	}
	if depth >= maxSubmoduleDepth {
		return fmt.Errorf("submodules nested more than %d deep", maxSubmoduleDepth)
	}
	for _, l := range links {
		m := mods[l.path]
		if m == nil {
			continue // a gitlink without a .gitmodules entry: git leaves it empty too
		}
		subURL, err := resolveURL(url, m.URL)
		if err != nil {
			return fmt.Errorf("submodule %q: %w", m.Name, err)
		}
		var subPrev *prevLink
		if prev != nil {
			if e, err := prev.tree.FindEntry(l.path); err == nil && e.Mode == filemode.Submodule {
				subPrev = &prevLink{commit: e.Hash, dir: filepath.Join(prev.dir, filepath.FromSlash(l.path))}
			}
		}
		if err := w.writeSubmodule(ctx, subURL, l.hash, filepath.Join(dir, filepath.FromSlash(l.path)), subPrev, depth); err != nil {
			return fmt.Errorf("submodule %q (%s) at %s: %w", m.Name, redact(subURL), l.hash, err)
		}
	}
	return nil
}

func prevDir(p *snapshot) string {
	if p == nil {
		return ""
	}
	return p.dir
}

// gitlink is a submodule entry met while writing a tree.
type gitlink struct {
	path string // slash-separated, from the tree's root
	hash plumbing.Hash
}

// prevLink is the commit a submodule path had in the previous tree.
type prevLink struct {
	commit plumbing.Hash
	dir    string
}

// writeDir writes tree's entries into dir. prev/prevDir are the same
// directory in the previous tree (nil/"" when there is none); rel is dir's
// slash path from the root, for gitlinks and errors.
func writeDir(ctx context.Context, tree, prev *object.Tree, dir, prevDir, rel string, links *[]gitlink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	old := map[string]object.TreeEntry{}
	if prev != nil {
		for _, e := range prev.Entries {
			old[e.Name] = e
		}
	}
	for _, e := range tree.Entries {
		if !safeName(e.Name) {
			return fmt.Errorf("unsafe path %q in tree", path.Join(rel, e.Name))
		}
		p := filepath.Join(dir, e.Name)
		o, had := old[e.Name]
		unchanged := had && o.Hash == e.Hash && o.Mode == e.Mode
		switch e.Mode {
		case filemode.Dir:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			sub, err := tree.Tree(e.Name)
			if err != nil {
				return err
			}
			var subPrev *object.Tree
			if had && o.Mode == filemode.Dir {
				if subPrev, err = prev.Tree(e.Name); err != nil {
					return err
				}
			}
			if err := writeDir(ctx, sub, subPrev, p, filepath.Join(prevDir, e.Name), path.Join(rel, e.Name), links); err != nil {
				return err
			}
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			if unchanged && os.Link(filepath.Join(prevDir, e.Name), p) == nil {
				continue
			}
			if err := writeBlob(tree, e, p); err != nil {
				return fmt.Errorf("%s: %w", path.Join(rel, e.Name), err)
			}
		case filemode.Symlink:
			target, err := blobString(tree, e)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, p); err != nil {
				return err
			}
		case filemode.Submodule:
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			*links = append(*links, gitlink{path: path.Join(rel, e.Name), hash: e.Hash})
		default:
			return fmt.Errorf("%s: unsupported mode %v", path.Join(rel, e.Name), e.Mode)
		}
	}
	return nil
}

// safeName refuses tree entry names git itself refuses to check out: they
// could escape the tree or plant a repository inside it.
func safeName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00") &&
		!strings.EqualFold(name, ".git")
}

func writeBlob(tree *object.Tree, e object.TreeEntry, p string) error {
	f, err := tree.TreeEntryFile(&e)
	if err != nil {
		return err
	}
	r, err := f.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	perm := os.FileMode(0o644)
	if e.Mode == filemode.Executable {
		perm = 0o755
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func blobString(tree *object.Tree, e object.TreeEntry) (string, error) {
	f, err := tree.TreeEntryFile(&e)
	if err != nil {
		return "", err
	}
	return f.Contents()
}

// writeSubmodule makes sure commit is in the submodule's cache repository and
// writes it into dir.
func (w *treeWriter) writeSubmodule(ctx context.Context, url string, commit plumbing.Hash, dir string, prev *prevLink, depth int) error {
	sum := sha256.Sum256([]byte(url))
	repo, err := openBare(filepath.Join(w.modulesDir, hex.EncodeToString(sum[:12])+".git"))
	if err != nil {
		return err
	}
	if _, err := repo.CommitObject(commit); err != nil {
		ep, err := transport.NewEndpoint(url)
		if err != nil {
			return err
		}
		// Every branch, since the pinned commit may be on any of them, then
		// the commit itself for servers that allow fetching one by id.
		specs := [][]config.RefSpec{
			{"+refs/heads/*:refs/heads/*"},
			{config.RefSpec("+" + commit.String() + ":refs/pinned/" + commit.String())},
		}
		var fetchErr error
		for _, spec := range specs {
			fetchErr = fetch(ctx, repo, ep, w.auth, spec, 0)
			if _, err := repo.CommitObject(commit); err == nil {
				fetchErr = nil
				break
			}
		}
		if fetchErr != nil {
			return fetchErr
		}
		if _, err := repo.CommitObject(commit); err != nil {
			return fmt.Errorf("commit not found on the submodule's server")
		}
	}
	var snap *snapshot
	if prev != nil {
		if c, err := repo.CommitObject(prev.commit); err == nil {
			if t, err := c.Tree(); err == nil {
				snap = &snapshot{tree: t, dir: prev.dir}
			}
		}
	}
	return w.write(ctx, repo, commit, dir, url, snap, depth+1)
}

// submodules reads .gitmodules from tree, by path. A malformed
// entry (a path escaping the tree, a bad name) fails the checkout rather than
// being skipped, since the tree would be incomplete.
func submodules(tree *object.Tree) (map[string]*config.Submodule, error) {
	f, err := tree.File(".gitmodules")
	if errors.Is(err, object.ErrFileNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	mods := config.NewModules()
	if err := mods.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf(".gitmodules: %w", err)
	}
	byPath := make(map[string]*config.Submodule, len(mods.Submodules))
	for _, m := range mods.Submodules {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf(".gitmodules: submodule %q: %w", m.Name, err)
		}
		if !filepath.IsLocal(filepath.FromSlash(m.Path)) {
			return nil, fmt.Errorf(".gitmodules: submodule %q: path %q leaves the tree", m.Name, m.Path)
		}
		byPath[path.Clean(m.Path)] = m
	}
	return byPath, nil
}

// resolveURL resolves a submodule URL: "./x" and "../x" are relative to the
// parent repository's URL (which need not end in a slash: "../x" next to
// "https://h/org/parent.git" is "https://h/org/x"), anything else is used as is.
func resolveURL(parent, sub string) (string, error) {
	if !strings.HasPrefix(sub, "./") && !strings.HasPrefix(sub, "../") {
		return sub, nil
	}
	ep, err := transport.NewEndpoint(parent)
	if err != nil {
		return "", err
	}
	ep.Path = path.Join(ep.Path, sub)
	if ep.Protocol == "file" {
		return ep.Path, nil
	}
	return ep.String(), nil
}
