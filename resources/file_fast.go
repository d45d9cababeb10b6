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

// idCache remembers user and group lookups, failed ones too, between two
// changes to the machine: gapply changes nothing while it only checks, so
// in a run that changes nothing every name is resolved once. The engine
// calls InvalidateCaches when a run starts and after every change or
// refresh it makes, because any of them (a user resource, an exec running
// useradd) may add, remove or renumber an account.
type idCache[T any] struct {
	mu sync.Mutex
	m  map[string]idResult[T]
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
	}
	c.m[key] = idResult[T]{v, err}
	c.mu.Unlock()
	return v, err
}

func (c *idCache[T]) forget() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

var (
	usersByName  idCache[*user.User]
	usersByID    idCache[*user.User]
	groupsByName idCache[*user.Group]
	groupsByID   idCache[*user.Group]
)

// InvalidateCaches drops what resources remember about the machine between
// changes (user and group ids). The engine calls it at the start of every
// run and after every change it makes.
func InvalidateCaches() {
	usersByName.forget()
	usersByID.forget()
	groupsByName.forget()
	groupsByID.forget()
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
