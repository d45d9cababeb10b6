package resources

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The no-op path of a file check costs what the kernel costs: one lstat,
// and for content of the right size one open, one read and one close.
// Two things used to cost more than that, and are kept off the path here:
// resolving owner and group names (a getpwnam through NSS opens and parses
// /etc/passwd on every call, twice per file), and os.ReadFile's fstat,
// poller registration and second read.

// idCache remembers user and group lookups, failed ones too, while the
// account files stay the same: gapply changes nothing while it only
// checks, so in a run that changes nothing every name is resolved once.
// The engine calls InvalidateCaches when a run starts, and NoteChange after
// every change or refresh it makes, since any of them (a user resource, an
// exec running useradd) may add, remove or renumber an account.
type idCache[T any] struct {
	mu sync.Mutex
	m  map[string]idResult[T]
	// db is the account file behind the cache and key its version when
	// the cache was started, so that NoteChange notices a new version.
	db  *string
	key fileKey
	// gen counts the calls of forget: a lookup that one overtook (a
	// check read ahead while the run added the user) may have read the
	// old account file, and is not kept.
	gen uint64
}

type idResult[T any] struct {
	v   T
	err error
}

func (c *idCache[T]) get(key string, lookup func(string) (T, error)) (T, error) {
	c.mu.Lock()
	r, ok := c.m[key]
	gen, fresh := c.gen, c.m == nil
	c.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	// The version of the account file is taken before the lookup reads
	// it, so that a change made meanwhile is noticed by forget.
	var db fileKey
	if fresh {
		db = statKey(*c.db)
	}
	// Two goroutines may look the same name up at once; both get the
	// same answer, so the race costs one lookup, never a wrong id.
	v, err := lookup(key)
	c.mu.Lock()
	if c.gen == gen {
		if c.m == nil {
			c.m = map[string]idResult[T]{}
			c.key = db
		}
		c.m[key] = idResult[T]{v, err}
	}
	c.mu.Unlock()
	return v, err
}

// forget drops the cache, or with ifChanged only when its account file
// changed since the cache was started.
func (c *idCache[T]) forget(ifChanged bool) {
	c.mu.Lock()
	if c.m != nil && (!ifChanged || statKey(*c.db) != c.key) {
		c.m = nil
	}
	// A lookup under way may have read the account file before the
	// change this call is about: whatever it finds is not kept.
	c.gen++
	c.mu.Unlock()
}

var (
	usersByName  = idCache[*user.User]{db: &passwdPath}
	usersByID    = idCache[*user.User]{db: &passwdPath}
	groupsByName = idCache[*user.Group]{db: &groupPath}
	groupsByID   = idCache[*user.Group]{db: &groupPath}
	idCaches     = []interface{ forget(bool) }{&usersByName, &usersByID, &groupsByName, &groupsByID}
)

// InvalidateCaches drops what resources remember about the machine (user
// and group ids). The engine calls it at the start of every run: anything
// may have changed since the last one.
func InvalidateCaches() {
	for _, c := range idCaches {
		c.forget(false)
	}
}

// NoteChange tells the resources that something on the machine was just
// changed; the engine calls it after every change or refresh it makes. The
// account caches are dropped when /etc/passwd or /etc/group changed (any
// tool that adds or renumbers an account, useradd, a package's postinst or
// a file resource, replaces them), which costs two stats per change, not
// a name lookup per file.
func NoteChange() {
	for _, c := range idCaches {
		c.forget(true)
	}
}

// statKey identifies the version of the file at path; the zero key stands
// for a file that cannot be read.
func statKey(path string) fileKey {
	key, _ := statFileKey(path)
	return key
}

// statFileKey identifies the version of the file at path, which the
// account caches here and in etcdb.go compare to notice a new version.
func statFileKey(path string) (fileKey, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileKey{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return fileKey{ino: int64(st.Ino), size: st.Size, mtime: st.Mtim.Nano()}, nil
}

func cachedUser(name string) (*user.User, error) { return usersByName.get(name, user.Lookup) }
func cachedUserID(id string) (*user.User, error) { return usersByID.get(id, user.LookupId) }
func cachedGroup(name string) (*user.Group, error) {
	return groupsByName.get(name, user.LookupGroup)
}
func cachedGroupID(id string) (*user.Group, error) {
	return groupsByID.get(id, user.LookupGroupId)
}

// readFileSized reads the file at path, expected to hold size bytes (from
// the lstat just made), with open, read and close only. It reads one byte
// more than expected, so a file that grew meanwhile never compares equal.
func readFileSized(path string, size int64) ([]byte, error) {
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf := make([]byte, size+1)
	n := 0
	for n < len(buf) {
		k, err := ignoringEINTR(func() (int, error) { return syscall.Read(fd, buf[n:]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if k == 0 {
			break
		}
		n += k
	}
	return buf[:n], nil
}

func ignoringEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// Durability of a run's writes. A file that replaces existing content is
// fsynced before its rename (renameio), because its old content went to
// the filebucket and the rename must not reach the disk before the new
// data does: a crash never leaves a half-replaced or empty file where
// content used to be. A file that did not exist has no old content to
// lose, so it is written and renamed without an fsync of its own (an
// fsync costs a journal commit, most of a first run's time); instead the
// engine calls SyncWrites once when the run ends, which syncs every
// filesystem the run changed (syncfs(2)). A crash during a run can leave
// such new files empty or missing, which the next run repairs; once the
// run has ended, everything it changed is on disk.

// unsynced remembers the filesystems changed since the last SyncWrites:
// one open directory per device, since syncfs needs a descriptor on the
// filesystem (and an open one survives the directory's removal), and the
// directories already seen, so most changes cost a map lookup, not a stat.
var unsynced struct {
	mu   sync.Mutex
	devs map[uint64]int // device -> open directory on it
	dirs map[string]bool
}

// noteChanged records that path, or the directory entry naming it, was
// just changed without being made durable.
func noteChanged(path string) {
	dir := filepath.Dir(path)
	unsynced.mu.Lock()
	defer unsynced.mu.Unlock()
	if unsynced.dirs[dir] {
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		// The parent is gone (removed later in the run): nothing left
		// there to sync; the ancestor's removal is noted on its own.
		return
	}
	if unsynced.dirs == nil {
		unsynced.dirs, unsynced.devs = map[string]bool{}, map[uint64]int{}
	}
	unsynced.dirs[dir] = true
	if _, ok := unsynced.devs[st.Dev]; ok {
		return
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		// Without a descriptor the filesystem cannot be synced on its
		// own: SyncWrites falls back to sync(2).
		fd = -1
	}
	unsynced.devs[st.Dev] = fd
}

// SyncWrites makes durable everything resources changed without an fsync
// of their own since the last call: one syncfs(2) per filesystem changed.
// The engine calls it once at the end of every run that changed
// something; an error means the run's changes may not survive a crash.
func SyncWrites() error {
	unsynced.mu.Lock()
	devs := unsynced.devs
	unsynced.devs, unsynced.dirs = nil, nil
	unsynced.mu.Unlock()
	var errs []error
	for _, fd := range devs {
		if fd < 0 {
			unix.Sync()
			continue
		}
		if err := unix.Syncfs(fd); err != nil {
			errs = append(errs, fmt.Errorf("syncfs: %w", err))
		}
		unix.Close(fd)
	}
	return errors.Join(errs...)
}

// umask is the process umask, read once: gapply never changes its own
// (an exec's umask is set in the child), and reading it costs a read of
// /proc/self/status.
var umask = sync.OnceValue(currentUmask)

// freshFile writes a file at a path where nothing exists, the way
// renameio.PendingFile replaces one, but without an fsync: a temporary
// file in the same directory, created exclusively and private (0600)
// until its attributes are set, renamed into place when complete, so no
// reader sees a partial file or loose permissions. See SyncWrites.
type freshFile struct {
	path, tmp string
	fd        int
	done      bool
}

func createFreshFile(path string) (*freshFile, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		tmp := filepath.Join(dir, "."+base+".gapply"+strconv.FormatUint(uint64(rand.Uint32()), 36))
		fd, err := ignoringEINTR(func() (int, error) {
			return unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		})
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: tmp, Err: err}
		}
		return &freshFile{path: path, tmp: tmp, fd: fd}, nil
	}
	return nil, fmt.Errorf("could not create a temporary file for %s", path)
}

// Name is the temporary file's path, where attributes are set and
// validate_cmd runs.
func (n *freshFile) Name() string { return n.tmp }

func (n *freshFile) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		k, err := ignoringEINTR(func() (int, error) { return unix.Write(n.fd, b[done:]) })
		if err != nil {
			return done, &fs.PathError{Op: "write", Path: n.tmp, Err: err}
		}
		done += k
	}
	return done, nil
}

// CloseAtomicallyReplace renames the complete file into place.
func (n *freshFile) CloseAtomicallyReplace() error {
	err := unix.Close(n.fd)
	n.fd = -1
	if err != nil {
		return &fs.PathError{Op: "close", Path: n.tmp, Err: err}
	}
	// rename(2) itself, not os.Rename, which first lstats the
	// destination to refuse a directory there; rename(2) refuses it too.
	if err := unix.Rename(n.tmp, n.path); err != nil {
		return &os.LinkError{Op: "rename", Old: n.tmp, New: n.path, Err: err}
	}
	n.done = true
	return nil
}

// Cleanup removes the temporary file unless it was renamed into place.
func (n *freshFile) Cleanup() error {
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
	if n.done {
		return nil
	}
	n.done = true
	return os.Remove(n.tmp)
}
