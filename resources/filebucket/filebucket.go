// Package filebucket keeps the previous contents of files that gapply
// replaces or removes, addressed by their SHA-256 checksum, so that no run
// can lose data and any old version can be restored.
//
// The layout follows Puppet's clientbucket, so that people who know it find
// their way: the content whose checksum is hex h lives in
//
//	DIR/h[0]/h[1]/.../h[7]/h/contents
//	DIR/h[0]/h[1]/.../h[7]/h/paths
//
// where paths lists, one per line, every original path that had this
// content. Splitting on the first eight hex digits keeps directories small.
// Everything is written atomically (temporary file and rename) with mode
// 0600 in directories of mode 0700: old contents may be secrets.
package filebucket

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/renameio/v2"
)

// Prefix is how checksums are written, as in Puppet: "{sha256}hex".
const Prefix = "{sha256}"

// Bucket is a content-addressed store under one directory. It is safe for
// concurrent use by the resources of one run.
type Bucket struct {
	dir string
	mu  sync.Mutex // serialises updates of the paths files
}

// Entry is one backup: a content and one of the paths it was taken from.
type Entry struct {
	Sum  string // "{sha256}hex"
	Path string
	Time time.Time // when this content was last backed up
}

// New returns the bucket in dir. Nothing is created until the first
// backup, so a run that changes no file leaves no trace.
func New(dir string) *Bucket {
	return &Bucket{dir: dir}
}

// Dir returns the directory of the bucket.
func (b *Bucket) Dir() string { return b.dir }

// Backup stores the content of the regular file at path and returns its
// checksum. Backing up the same content again only records the path (and
// refreshes the entry's time).
func (b *Bucket) Backup(path string) (string, error) {
	data, err := readRegular(path)
	if err != nil {
		return "", fmt.Errorf("filebucket: backing up %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	hexsum := hex.EncodeToString(sum[:])
	if err := b.store(hexsum, path, data); err != nil {
		return "", fmt.Errorf("filebucket: backing up %s: %w", path, err)
	}
	return Prefix + hexsum, nil
}

// readRegular reads a regular file, refusing links, directories and
// devices: a bucket keeps file contents only.
func readRegular(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	return io.ReadAll(f)
}

func (b *Bucket) entryDir(hexsum string) string {
	parts := make([]string, 0, 10)
	parts = append(parts, b.dir)
	for i := 0; i < 8; i++ {
		parts = append(parts, hexsum[i:i+1])
	}
	return filepath.Join(append(parts, hexsum)...)
}

func (b *Bucket) store(hexsum, path string, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return err
	}
	// MkdirAll leaves an existing directory's mode alone; make sure the
	// bucket itself is private even if someone created it loosely.
	if err := os.Chmod(b.dir, 0o700); err != nil {
		return err
	}
	dir := b.entryDir(hexsum)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	contents := filepath.Join(dir, "contents")
	old, err := os.ReadFile(contents)
	switch {
	case err == nil && bytes.Equal(old, data):
		now := time.Now()
		if err := os.Chtimes(contents, now, now); err != nil {
			return err
		}
	case err == nil || errors.Is(err, fs.ErrNotExist):
		// Absent, or corrupt (content does not match its name): write it.
		// WithTempDir: otherwise renameio first probes $TMPDIR with two
		// files and a rename of its own, on every write.
		if err := renameio.WriteFile(contents, data, 0o600, renameio.WithTempDir(dir)); err != nil {
			return err
		}
	default:
		return err
	}
	pathsFile := filepath.Join(dir, "paths")
	paths, err := readPaths(pathsFile)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if p == path {
			return nil
		}
	}
	paths = append(paths, path)
	return renameio.WriteFile(pathsFile, []byte(strings.Join(paths, "\n")+"\n"), 0o600, renameio.WithTempDir(dir))
}

func readPaths(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" {
			paths = append(paths, line)
		}
	}
	return paths, nil
}

// List returns every backup, newest first (ties by path, then checksum).
// An empty or not yet created bucket has no entries.
func (b *Bucket) List() ([]Entry, error) {
	var entries []Entry
	err := filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == b.dir && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || d.Name() != "contents" {
			return nil
		}
		dir := filepath.Dir(p)
		hexsum := filepath.Base(dir)
		if !validHex(hexsum) || b.entryDir(hexsum) != dir {
			return nil // not ours
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		paths, err := readPaths(filepath.Join(dir, "paths"))
		if err != nil {
			return err
		}
		if len(paths) == 0 {
			paths = []string{""}
		}
		for _, path := range paths {
			entries = append(entries, Entry{Sum: Prefix + hexsum, Path: path, Time: info.ModTime()})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("filebucket: listing %s: %w", b.dir, err)
	}
	sort.Slice(entries, func(i, j int) bool {
		a, c := entries[i], entries[j]
		if !a.Time.Equal(c.Time) {
			return a.Time.After(c.Time)
		}
		if a.Path != c.Path {
			return a.Path < c.Path
		}
		return a.Sum < c.Sum
	})
	return entries, nil
}

func validHex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// MinPrefix is the fewest hex digits that Resolve accepts as an
// abbreviated checksum, as git's shortest abbreviation.
const MinPrefix = 4

// Resolve returns the full hex checksum that sum names: "{sha256}hex", the
// bare hex digest, or, as git abbreviates commits, a unique prefix of at
// least MinPrefix hex digits (with or without "{sha256}") of a content
// in the bucket. A prefix that matches nothing is an error matching
// fs.ErrNotExist; one that matches several lists them.
func (b *Bucket) Resolve(sum string) (string, error) {
	h := strings.ToLower(strings.TrimPrefix(sum, Prefix))
	if validHex(h) {
		return h, nil
	}
	if _, err := hex.DecodeString(h + strings.Repeat("0", len(h)%2)); err != nil || len(h) < MinPrefix || len(h) > 2*sha256.Size {
		return "", fmt.Errorf("filebucket: invalid checksum %q: want %shex (64 hex digits) or a unique prefix of at least %d", sum, Prefix, MinPrefix)
	}
	entries, err := b.List()
	if err != nil {
		return "", err
	}
	var found []string
	for _, e := range entries {
		full := strings.TrimPrefix(e.Sum, Prefix)
		if strings.HasPrefix(full, h) && !contains(found, full) {
			found = append(found, full)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("filebucket: no content %s%s... in %s: %w", Prefix, h, b.dir, fs.ErrNotExist)
	case 1:
		return found[0], nil
	}
	sort.Strings(found)
	return "", fmt.Errorf("filebucket: checksum prefix %s is ambiguous: %s%s", h, Prefix, strings.Join(found, ", "+Prefix))
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// Get returns the content with the given checksum (see Resolve for the
// forms accepted). A missing content is an error that matches
// fs.ErrNotExist.
func (b *Bucket) Get(sum string) ([]byte, error) {
	h, err := b.Resolve(sum)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(b.entryDir(h), "contents"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("filebucket: no content %s%s in %s: %w", Prefix, h, b.dir, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("filebucket: %w", err)
	}
	if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != h {
		return nil, fmt.Errorf("filebucket: content %s%s in %s is corrupt (its checksum differs)", Prefix, h, b.dir)
	}
	return data, nil
}

// Restore writes the content with the given checksum to path atomically.
// An existing file keeps its mode and ownership; a new one gets 0644.
func (b *Bucket) Restore(sum, path string) error {
	data, err := b.Get(sum)
	if err != nil {
		return err
	}
	opts := []renameio.Option{renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(0o644)}
	fi, statErr := os.Stat(path)
	if statErr == nil {
		opts = append(opts[:1], renameio.WithExistingPermissions())
	}
	t, err := renameio.NewPendingFile(path, opts...)
	if err != nil {
		return fmt.Errorf("filebucket: restoring %s: %w", path, err)
	}
	defer t.Cleanup()
	if statErr == nil {
		if st, ok := statOwner(fi); ok {
			if err := t.Chown(st.uid, st.gid); err != nil {
				return fmt.Errorf("filebucket: restoring %s: %w", path, err)
			}
			// Chown clears set-id bits; put the mode back.
			if err := t.Chmod(fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return fmt.Errorf("filebucket: restoring %s: %w", path, err)
			}
		}
	}
	if _, err := t.Write(data); err != nil {
		return fmt.Errorf("filebucket: restoring %s: %w", path, err)
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("filebucket: restoring %s: %w", path, err)
	}
	return nil
}

type owner struct{ uid, gid int }

func statOwner(fi fs.FileInfo) (owner, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}, false
	}
	return owner{int(st.Uid), int(st.Gid)}, true
}
