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
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// maxSubmoduleDepth bounds submodule recursion, so a repository that lists
// itself as its own submodule cannot loop forever.
const maxSubmoduleDepth = 8

// checkoutStorer lets go-git check a commit out of the shared bare repository
// into a fresh directory without touching that repository: objects and refs
// are read from it, while HEAD, the index and the config live in memory and
// are thrown away with the checkout. Embedding the interface (not the
// filesystem type) also hides the Filesystem method, so go-git never writes a
// ".git" file into the tree pointing back at the state directory.
type checkoutStorer struct {
	storage.Storer
	memory.IndexStorage
	memory.ConfigStorage
	head *plumbing.Reference
}

var errReadOnly = errors.New("gitsync: checkout storage is read-only")

func (c *checkoutStorer) Reference(n plumbing.ReferenceName) (*plumbing.Reference, error) {
	if n == plumbing.HEAD {
		if c.head == nil {
			return nil, plumbing.ErrReferenceNotFound
		}
		return c.head, nil
	}
	return c.Storer.Reference(n)
}

func (c *checkoutStorer) SetReference(r *plumbing.Reference) error {
	if r.Name() != plumbing.HEAD {
		return errReadOnly
	}
	c.head = r
	return nil
}

func (c *checkoutStorer) CheckAndSetReference(r, _ *plumbing.Reference) error {
	return c.SetReference(r)
}

func (c *checkoutStorer) RemoveReference(plumbing.ReferenceName) error { return errReadOnly }

func (c *checkoutStorer) Module(string) (storage.Storer, error) { return nil, errReadOnly }

// Resolve the ambiguity between the embedded storer and the memory stores.
func (c *checkoutStorer) Index() (*index.Index, error)    { return c.IndexStorage.Index() }
func (c *checkoutStorer) SetIndex(i *index.Index) error   { return c.IndexStorage.SetIndex(i) }
func (c *checkoutStorer) Config() (*config.Config, error) { return c.ConfigStorage.Config() }
func (c *checkoutStorer) SetConfig(cfg *config.Config) error {
	return c.ConfigStorage.SetConfig(cfg)
}

// treeWriter writes commits out as plain directory trees, fetching and
// writing submodules recursively. Submodule repositories are cached as bare
// repositories under modulesDir, keyed by URL, so later syncs fetch only what
// is new.
type treeWriter struct {
	modulesDir string
	auth       *Auth
}

// write checks commit out of st into dir (which must exist and be empty),
// then fills in its submodules. url is the URL st was fetched from; relative
// submodule URLs are resolved against it, as git does.
func (w *treeWriter) write(ctx context.Context, st storage.Storer, commit plumbing.Hash, dir, url string, depth int) error {
	cs := &checkoutStorer{Storer: st, head: plumbing.NewHashReference(plumbing.HEAD, commit)}
	repo, err := git.Open(cs, osfs.New(dir))
	if err != nil {
		return err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: commit, Force: true}); err != nil {
		return fmt.Errorf("check out %s: %w", commit, err)
	}
	c, err := repo.CommitObject(commit)
	if err != nil {
		return err
	}
	tree, err := c.Tree()
	if err != nil {
		return err
	}
	mods, err := submodules(tree)
	if err != nil {
		return err
	}
	if len(mods) > 0 && depth >= maxSubmoduleDepth {
		return fmt.Errorf("submodules nested more than %d deep", maxSubmoduleDepth)
	}
	for _, m := range mods {
		if err := ctx.Err(); err != nil {
			return err
		}
		entry, err := tree.FindEntry(m.Path)
		if err != nil || entry.Mode != filemode.Submodule {
			continue // listed in .gitmodules but not in the tree: git ignores it too
		}
		subURL, err := resolveURL(url, m.URL)
		if err != nil {
			return fmt.Errorf("submodule %q: %w", m.Name, err)
		}
		if err := w.writeSubmodule(ctx, subURL, entry.Hash, filepath.Join(dir, filepath.FromSlash(m.Path)), depth); err != nil {
			return fmt.Errorf("submodule %q (%s) at %s: %w", m.Name, redact(subURL), entry.Hash, err)
		}
	}
	return nil
}

// writeSubmodule makes sure commit is in the submodule's cache repository and
// writes it into dir.
func (w *treeWriter) writeSubmodule(ctx context.Context, url string, commit plumbing.Hash, dir string, depth int) error {
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return w.write(ctx, repo.Storer, commit, dir, url, depth+1)
}

// submodules reads .gitmodules from tree, in a stable order. A malformed
// entry (a path escaping the tree, a bad name) fails the checkout rather than
// being skipped, since the tree would be incomplete.
func submodules(tree *object.Tree) ([]*config.Submodule, error) {
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
	list := make([]*config.Submodule, 0, len(mods.Submodules))
	for _, m := range mods.Submodules {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf(".gitmodules: submodule %q: %w", m.Name, err)
		}
		if !filepath.IsLocal(filepath.FromSlash(m.Path)) {
			return nil, fmt.Errorf(".gitmodules: submodule %q: path %q leaves the tree", m.Name, m.Path)
		}
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	return list, nil
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
