package client

import (
	"os"
	"path/filepath"
	"testing"
)

// A source that was a symbolic link in the last run and is a directory
// now must not lead reuse to move the node's file it pointed into.
func TestReuseDoesNotFollowLastRunsLinks(t *testing.T) {
	base, outside := t.TempDir(), t.TempDir()
	f := fetch{dir: filepath.Join(base, "files"), previous: filepath.Join(base, "files.previous")}
	victim := filepath.Join(outside, "x")
	if err := os.WriteFile(victim, []byte("node's own\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(f.previous, "m", "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(f.previous, "m", "files", "d")); err != nil {
		t.Fatal(err)
	}
	if f.reuse(filepath.Join("m", "files", "d", "x"), sha256Sum([]byte("node's own\n"))) {
		t.Error("reused a file reached through a symbolic link")
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the node's file is gone: %v", err)
	}

	// A plain file of the last run is still reused.
	plain := filepath.Join(f.previous, "m", "files", "y")
	if err := os.WriteFile(plain, []byte("y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !f.reuse(filepath.Join("m", "files", "y"), sha256Sum([]byte("y\n"))) {
		t.Error("a plain file of the last run was not reused")
	}
}
