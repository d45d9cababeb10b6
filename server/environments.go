package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/parser"
)

// maxEnvironments bounds how many environments a master tracks, since any
// node may name one and each costs a checkout.
const maxEnvironments = 64

// envNameRE is Puppet's rule for environment names.
var envNameRE = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// errNoEnvironment is a missing branch or an environment that never synced.
var errNoEnvironment = errors.New("environment not available")

// environments are the branches of the repository, each checked out by its
// own gitsync.Syncer under CodeDir/<name>.
type environments struct {
	opts   Options
	mu     sync.Mutex
	byName map[string]*environment
}

// environment is one branch. Its snapshot is replaced whole after a sync, so
// a compile in progress keeps using the tree it started with (gitsync keeps
// the previous trees on disk).
type environment struct {
	name   string
	syncer *gitsync.Syncer
	src    gitsync.Source

	mu       sync.Mutex
	lastSync time.Time
	snap     *snapshot
	err      error
	syncing  chan struct{} // closed when the sync in progress ends; nil when none runs
}

// snapshot is one commit of an environment, parsed once: every compile of
// that commit reuses the syntax trees.
type snapshot struct {
	commit     string
	tree       string
	files      []*parser.File
	parseDiags hcl.Diagnostics
	modulePath []string
	settings   map[string]any
	// sums caches the checksums of the files served from the tree
	// (see source.checksum).
	sums sync.Map
}

func newEnvironments(opts Options) (*environments, error) {
	if opts.CodeDir == "" {
		return nil, errors.New("a code directory is needed to check out environments")
	}
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = defaultSyncEvery
	}
	if opts.Manifest == "" {
		opts.Manifest = "manifests"
	}
	if len(opts.ModuleDirs) == 0 {
		opts.ModuleDirs = []string{"modules"}
	}
	src := opts.Repo
	if err := src.Validate(); err != nil {
		return nil, err
	}
	opts.Repo = src
	return &environments{opts: opts, byName: map[string]*environment{}}, nil
}

// get returns the current snapshot of environment name, fetching it first
// when it is older than SyncEvery. A failed fetch keeps the last good
// snapshot (and logs); only an environment that never synced is an error.
func (e *environments) get(ctx context.Context, name string) (*snapshot, error) {
	if !envNameRE.MatchString(name) {
		return nil, fmt.Errorf("%w: invalid environment name %q (lowercase letters, digits and '_')", errNoEnvironment, name)
	}
	e.mu.Lock()
	env := e.byName[name]
	if env == nil {
		if len(e.byName) >= maxEnvironments {
			e.mu.Unlock()
			return nil, fmt.Errorf("%w: %q: this master already serves %d environments", errNoEnvironment, name, maxEnvironments)
		}
		src := e.opts.Repo
		src.Branch = name
		env = &environment{name: name, src: src, syncer: &gitsync.Syncer{Dir: filepath.Join(e.opts.CodeDir, name)}}
		e.byName[name] = env
	}
	e.mu.Unlock()
	return env.current(ctx, e.opts)
}

func (env *environment) current(ctx context.Context, opts Options) (*snapshot, error) {
	for {
		env.mu.Lock()
		snap, wait := env.snap, env.syncing
		due := wait == nil && time.Since(env.lastSync) >= opts.SyncEvery
		if due {
			env.syncing = make(chan struct{})
		}
		err := env.err
		env.mu.Unlock()
		switch {
		case due && snap != nil:
			// Agents keep getting the current commit while the fetch runs.
			go env.sync(context.WithoutCancel(ctx), opts)
			return snap, nil
		case due:
			env.sync(ctx, opts)
			continue
		case snap != nil:
			return snap, nil
		case wait == nil:
			return nil, err // the first sync failed less than SyncEvery ago
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// sync fetches the branch and swaps the snapshot in when the commit moved.
func (env *environment) sync(ctx context.Context, opts Options) {
	res, err := env.syncer.Sync(ctx, env.src)
	var snap *snapshot
	if err == nil && (env.snap == nil || env.snap.commit != res.Commit) {
		snap = load(res.Commit, res.Tree, opts)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	env.lastSync = time.Now()
	close(env.syncing)
	env.syncing = nil
	switch {
	case err != nil && env.snap != nil:
		opts.Log.Error("fetching the environment failed; serving the last good commit", "environment", env.name, "commit", env.snap.commit, "err", err)
	case err != nil:
		env.err = fmt.Errorf("%w: %q: %v", errNoEnvironment, env.name, err)
	case snap != nil:
		env.snap, env.err = snap, nil
		opts.Log.Info("environment updated", "environment", env.name, "commit", res.Commit)
	}
}

// load reads and parses an environment tree's manifests. Parse errors are
// kept in the snapshot and returned to every agent that asks for a catalog,
// as Puppet Server does, rather than failing the sync.
func load(commit, tree string, opts Options) *snapshot {
	manifest := filepath.Join(tree, opts.Manifest)
	snap := &snapshot{commit: commit, tree: tree, settings: compiler.ManifestSettings(manifest)}
	for _, d := range opts.ModuleDirs {
		snap.modulePath = append(snap.modulePath, filepath.Join(tree, d))
	}
	if _, err := os.Stat(manifest); err != nil {
		// An environment with modules only compiles to an empty catalog.
		return snap
	}
	srcs, err := compiler.ReadSources([]string{manifest}, "")
	if err != nil {
		snap.parseDiags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error()}}
		return snap
	}
	for _, name := range srcs.Order {
		f, d := parser.ParseFile(name, srcs.Files[name])
		snap.parseDiags = append(snap.parseDiags, d...)
		if f != nil {
			snap.files = append(snap.files, f)
		}
	}
	return snap
}
