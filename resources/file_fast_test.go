package resources

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
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
