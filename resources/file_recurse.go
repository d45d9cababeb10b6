//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/gapply/gapply/catalog"
)

// Recursion, as Puppet's recurse: a directory with recurse => true manages
// every entry below it as a resource of its own, generated at check time
// (File[/dst/sub/x]) and reported under its own name. Each child inherits
// mode, owner, group, checksum, links, backup, force, replace and
// validate_cmd. With a source, every entry of the source tree is copied
// (a file's content, a directory, a link as a link unless links =>
// follow); entries that exist only locally are removed with purge => true
// and otherwise get the inherited mode and ownership. Without a source,
// every local entry gets them, and purge removes them all. recurse =>
// remote looks at the source tree only (nothing local is listed, so
// nothing is purged); recurselimit bounds the depth (1: the directory's
// own entries); ignore skips entries whose name matches a glob, both in
// the source and locally.
//
// Children that the catalog manages itself are left to their own
// resource: never purged, never changed by the parent, as in Puppet.
// A purged directory is removed with everything in it when force is set;
// without force it is kept and its entries are purged one by one, as
// Puppet does.

// checkChildren lists and checks the children of a recursive directory;
// r is f resolved against its source. The children with changes are kept
// in f.children for Apply.
func (f *fileRes) checkChildren(ctx context.Context, env *Env, r *fileRes) ([]Change, error) {
	if f.recurse == "" {
		return nil, nil
	}
	switch r.ensure {
	case "directory":
	case "":
		fi, err := os.Lstat(f.path)
		if err != nil || !fi.IsDir() {
			return nil, nil
		}
	default:
		return nil, nil // a file, a link or absent: nothing below it
	}
	var srcDirs []string
	for _, root := range r.srcRoots {
		if f.isSourceDir(root) {
			srcDirs = append(srcDirs, root)
		}
	}
	w := &recursion{f: f, env: env, managed: catalogFiles(env, f.path)}
	if err := w.walk(ctx, f.path, srcDirs, 1); err != nil {
		return nil, err
	}
	return w.changes, nil
}

// recursion is one walk of checkChildren.
type recursion struct {
	f       *fileRes
	env     *Env
	managed map[string]bool
	changes []Change
}

// walk checks the entries of dir, whose sources are srcDirs, and descends
// into the directories among them, depth levels below the resource.
func (w *recursion) walk(ctx context.Context, dir string, srcDirs []string, depth int) error {
	f := w.f
	if f.recurseLimit >= 0 && depth > f.recurseLimit {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fromSource := map[string]string{} // name -> path in the first source that has it
	for _, sd := range srcDirs {
		entries, err := os.ReadDir(sd)
		if err != nil {
			return fmt.Errorf("Could not read source directory %s: %w", sd, err)
		}
		for _, e := range entries {
			if _, seen := fromSource[e.Name()]; !seen {
				fromSource[e.Name()] = filepath.Join(sd, e.Name())
			}
		}
	}
	localDir := map[string]bool{} // name -> whether it is a real directory
	if f.recurse != "remote" {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return err
		}
		for _, e := range entries {
			localDir[e.Name()] = e.IsDir()
		}
	}
	names := make([]string, 0, len(fromSource)+len(localDir))
	for name := range fromSource {
		names = append(names, name)
	}
	for name := range localDir {
		if _, dup := fromSource[name]; !dup {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if f.ignored(name) {
			continue
		}
		path := filepath.Join(dir, name)
		child := f.child(path)
		src, inSource := fromSource[name]
		switch {
		case inSource:
			if err := child.fromSource(src); err != nil {
				return err
			}
		case f.purge:
			child.ensure = "absent"
		}
		if !w.managed[path] {
			changes, err := child.checkSelf(w.env)
			if err != nil {
				return fmt.Errorf("%s: %w", child.ref, err)
			}
			for _, c := range changes {
				c.Resource = child.ref.String()
				w.changes = append(w.changes, c)
			}
			if len(changes) > 0 {
				if f.children == nil {
					f.children = map[string]*fileRes{}
				}
				f.children[child.ref.String()] = child
			}
		}
		isLocalDir := localDir[name]
		switch {
		case child.ensure == "directory":
			var sub []string
			for _, sd := range srcDirs {
				if p := filepath.Join(sd, name); f.isSourceDir(p) {
					sub = append(sub, p)
				}
			}
			if err := w.walk(ctx, path, sub, depth+1); err != nil {
				return err
			}
		case child.ensure == "" && isLocalDir, child.ensure == "absent" && isLocalDir && !f.force:
			// Without force a purged directory stays; its entries go.
			if err := w.walk(ctx, path, nil, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// child is the resource generated for path below f, with the parameters
// children inherit.
func (f *fileRes) child(path string) *fileRes {
	return &fileRes{
		ref:          catalog.Ref{Type: f.ref.Type, Title: path},
		path:         path,
		mode:         f.mode,
		owner:        f.owner,
		group:        f.group,
		replace:      f.replace,
		force:        f.force,
		backup:       f.backup,
		followLinks:  f.followLinks,
		sumType:      f.sumType,
		validateCmd:  f.validateCmd,
		validateRepl: f.validateRepl,
	}
}

func (f *fileRes) ignored(name string) bool {
	for _, g := range f.ignore {
		if ok, _ := filepath.Match(g, name); ok {
			return true
		}
	}
	return false
}

// isSourceDir reports whether a source path is a directory to descend
// into: a link to one only with links => follow.
func (f *fileRes) isSourceDir(path string) bool {
	stat := os.Lstat
	if f.followLinks {
		stat = os.Stat
	}
	fi, err := stat(path)
	return err == nil && fi.IsDir()
}

// catalogFiles returns the paths below root that File resources of the
// run's catalog manage themselves.
func catalogFiles(env *Env, root string) map[string]bool {
	if env == nil || env.Catalog == nil {
		return nil
	}
	prefix := root + string(filepath.Separator)
	set := map[string]bool{}
	for _, r := range env.Catalog.Resources {
		if !strings.EqualFold(r.Type, "file") {
			continue
		}
		path := r.Title
		if p, ok := r.Parameters["path"].(string); ok {
			path = p
		}
		if path = filepath.Clean(path); strings.HasPrefix(path, prefix) {
			set[path] = true
		}
	}
	return set
}
