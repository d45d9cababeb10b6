package resources

import (
	"io/fs"
	"os/user"
	"sync"
	"syscall"
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
}

type idResult[T any] struct {
	v   T
	err error
}

func (c *idCache[T]) get(key string, lookup func(string) (T, error)) (T, error) {
	c.mu.Lock()
	r, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return r.v, r.err
	}
	// Two goroutines may look the same name up at once; both get the
	// same answer, so the race costs one lookup, never a wrong id.
	v, err := lookup(key)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]idResult[T]{}
		c.key = statKey(*c.db)
	}
	c.m[key] = idResult[T]{v, err}
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
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileKey{}
	}
	return fileKey{ino: int64(st.Ino), size: st.Size, mtime: st.Mtim.Nano()}
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
