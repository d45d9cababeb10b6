package resources

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"
	"testing"
)

// TestIDCacheFollowsAccountChanges: a name that did not exist is
// remembered as missing while nothing changes, and found once an account
// tool has added it and the engine reported a change.
func TestIDCacheFollowsAccountChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to add a user")
	}
	name := fmt.Sprintf("gapplyc%d", os.Getpid()%100000)
	InvalidateCaches()
	if _, err := cachedUser(name); err == nil {
		t.Fatalf("user %s exists before the test", name)
	}
	if out, err := exec.Command("useradd", "--no-create-home", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
	if _, err := cachedUser(name); err == nil {
		t.Error("the miss was not cached: a lookup per file in a no-op run")
	}
	NoteChange()
	u, err := cachedUser(name)
	if err != nil {
		t.Fatalf("after NoteChange: %v", err)
	}
	if got, err := cachedUserID(u.Uid); err != nil || got.Username != name {
		t.Errorf("by id %s: %v, %v", u.Uid, got, err)
	}
	// A change that touches no account file keeps the cache.
	usersByName.mu.Lock()
	usersByName.m["only-in-cache"] = idResult[*user.User]{}
	usersByName.mu.Unlock()
	NoteChange()
	if _, ok := usersByName.m["only-in-cache"]; !ok {
		t.Error("NoteChange dropped the cache though /etc/passwd did not change")
	}
	InvalidateCaches()
	if usersByName.m != nil {
		t.Error("InvalidateCaches kept the cache")
	}
}

// TestIDCacheDropsLookupOvertakenByChange: a lookup under way when the
// engine notes a change (a check read ahead while the run adds the user)
// may have read the old account file; its answer is returned but not
// remembered, so the resource's own check in its turn looks again.
func TestIDCacheDropsLookupOvertakenByChange(t *testing.T) {
	db := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(db, []byte("root:x:0:0::/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := idCache[int]{db: &db}
	lookups := 0
	missing := func(string) (int, error) {
		lookups++
		if lookups == 1 {
			// The run adds the user while this lookup reads the file.
			if err := os.WriteFile(db, []byte("root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c.forget(true)
			return 0, fmt.Errorf("unknown user bob")
		}
		return 1000, nil
	}
	if _, err := c.get("bob", missing); err == nil {
		t.Fatal("the first lookup should report what it read: no bob")
	}
	if uid, err := c.get("bob", missing); err != nil || uid != 1000 {
		t.Errorf("after the change, bob = %d, %v; want 1000 (the overtaken lookup was remembered)", uid, err)
	}
	if _, err := c.get("bob", missing); err != nil || lookups != 2 {
		t.Errorf("a lookup made after the change is remembered: %d lookups, %v", lookups, err)
	}
}

func TestReadFileSized(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{6, 3, 0} {
		b, err := readFileSized(p, size)
		if err != nil || string(b) != "hello\n"[:min(6, size+1)] {
			t.Errorf("size %d: %q, %v", size, b, err)
		}
	}
	if _, err := readFileSized(filepath.Join(t.TempDir(), "missing"), 1); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

// openFDs counts the descriptors open in this process.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestNewFilesSyncedAtRunEnd: a file created where nothing existed is
// complete, private until renamed, and leaves no temporary file; its
// filesystem waits for SyncWrites, which syncs it once and lets go of the
// descriptor it kept, even after the directory was removed meanwhile.
func TestNewFilesSyncedAtRunEnd(t *testing.T) {
	if err := SyncWrites(); err != nil { // whatever other tests left
		t.Fatal(err)
	}
	fds := openFDs(t)
	env := newTestEnv(t)
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "new")
	r := newRes(t, "file", p, map[string]any{"content": "fresh\n", "mode": "0640"})
	converge(t, r, env.Env)
	if got := readFile(t, p); got != "fresh\n" || modeOf(t, p) != "0640" {
		t.Errorf("new file: %q mode %s", got, modeOf(t, p))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	unsynced.mu.Lock()
	pending := len(unsynced.devs)
	unsynced.mu.Unlock()
	if pending != 1 {
		t.Fatalf("%d filesystems waiting for a sync, want 1", pending)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := SyncWrites(); err != nil {
		t.Fatalf("SyncWrites: %v", err)
	}
	if unsynced.devs != nil || unsynced.dirs != nil {
		t.Error("SyncWrites kept its state")
	}
	if got := openFDs(t); got != fds {
		t.Errorf("%d descriptors open after SyncWrites, %d before the run", got, fds)
	}
}

// TestReplacedFileKeepsBackupAndAttrs: replacing content still goes
// through the bucket and keeps the file's mode (the fsynced path).
func TestReplacedFileKeepsBackupAndAttrs(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "old")
	writeFile(t, p, "old\n", 0o604)
	converge(t, newRes(t, "file", p, map[string]any{"content": "new\n"}), env.Env)
	if got := readFile(t, p); got != "new\n" || modeOf(t, p) != "0604" {
		t.Errorf("replaced file: %q mode %s", got, modeOf(t, p))
	}
	if list, _ := env.bucket.List(); len(list) != 1 {
		t.Errorf("bucket holds %d entries, want the old content", len(list))
	}
}

// TestNewFileFailedValidationLeavesNothing: validate_cmd runs on the
// temporary file of a new file; when it fails, neither the file nor the
// temporary file remains.
func TestNewFileFailedValidationLeavesNothing(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "conf")
	r := newRes(t, "file", p, map[string]any{"content": "bad\n", "validate_cmd": "/bin/grep -q good %"})
	if err := r.Apply(context.Background(), env.Env, mustCheck(t, r, env.Env)); err == nil {
		t.Error("Apply succeeded though validation failed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestNewFileAndDirectoryFollowUmask: without a managed mode a new file
// gets 0666 and a directory 0777, less the umask (read once per process).
func TestNewFileAndDirectoryFollowUmask(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	want := umask() // read now, before the process umask changes
	mask := syscall.Umask(0o027)
	defer syscall.Umask(mask)
	if want == 0o027 {
		t.Skip("the process umask is already the test's")
	}
	converge(t, newRes(t, "file", filepath.Join(dir, "f"), map[string]any{"content": "x"}), env.Env)
	converge(t, newRes(t, "file", filepath.Join(dir, "d"), map[string]any{"ensure": "directory"}), env.Env)
	// The umask read first in this process, not the one just set.
	if got := modeOf(t, filepath.Join(dir, "f")); got != formatMode(0o666&^want) {
		t.Errorf("file mode %s, umask %o", got, want)
	}
	if got := modeOf(t, filepath.Join(dir, "d")); got != formatMode(0o777&^want) {
		t.Errorf("directory mode %s, umask %o", got, want)
	}
}
