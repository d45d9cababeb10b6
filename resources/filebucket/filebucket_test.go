package filebucket

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return Prefix + hex.EncodeToString(h[:])
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBackupLayoutAndRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bucket")
	b := New(dir)
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("New created the bucket: %v", err)
	}
	src := filepath.Join(t.TempDir(), "motd")
	write(t, src, "old\n")
	got, err := b.Backup(src)
	if err != nil {
		t.Fatal(err)
	}
	if got != sum("old\n") {
		t.Errorf("Backup = %s, want %s", got, sum("old\n"))
	}
	h := strings.TrimPrefix(got, Prefix)
	entry := filepath.Join(dir, h[0:1], h[1:2], h[2:3], h[3:4], h[4:5], h[5:6], h[6:7], h[7:8], h)
	data, err := os.ReadFile(filepath.Join(entry, "contents"))
	if err != nil || string(data) != "old\n" {
		t.Fatalf("contents = %q, %v", data, err)
	}
	paths, err := os.ReadFile(filepath.Join(entry, "paths"))
	if err != nil || string(paths) != src+"\n" {
		t.Fatalf("paths = %q, %v", paths, err)
	}
	for _, p := range []string{dir, entry} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v, want 0700", p, fi.Mode().Perm())
		}
	}
	for _, p := range []string{"contents", "paths"} {
		if fi, _ := os.Stat(filepath.Join(entry, p)); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
	}

	// Overwrite the file, then restore the old content.
	write(t, src, "new\n")
	if err := os.Chmod(src, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(got, src); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(src); string(data) != "old\n" {
		t.Errorf("restored %q", data)
	}
	if fi, _ := os.Stat(src); fi.Mode().Perm() != 0o640 {
		t.Errorf("restore changed the mode to %v", fi.Mode().Perm())
	}
	// Restore to a new path; the bare hex form is accepted.
	other := filepath.Join(t.TempDir(), "copy")
	if err := b.Restore(h, other); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(other); string(data) != "old\n" {
		t.Errorf("restored %q", data)
	}
}

func TestBackupIdempotentAndPaths(t *testing.T) {
	b := New(filepath.Join(t.TempDir(), "bucket"))
	dir := t.TempDir()
	a, c := filepath.Join(dir, "a"), filepath.Join(dir, "c")
	write(t, a, "same")
	write(t, c, "same")
	for _, p := range []string{a, a, c} {
		if _, err := b.Backup(p); err != nil {
			t.Fatal(err)
		}
	}
	list, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Path != a || list[1].Path != c || list[0].Sum != sum("same") {
		t.Errorf("List = %+v", list)
	}
}

func TestListNewestFirst(t *testing.T) {
	b := New(filepath.Join(t.TempDir(), "bucket"))
	if list, err := b.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty bucket: %v, %v", list, err)
	}
	p := filepath.Join(t.TempDir(), "f")
	var sums []string
	for i, content := range []string{"one", "two", "three"} {
		write(t, p, content)
		s, err := b.Backup(p)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
		// Make the times distinct without sleeping.
		h := strings.TrimPrefix(s, Prefix)
		contents := filepath.Join(b.entryDir(h), "contents")
		when := time.Now().Add(time.Duration(i-10) * time.Minute)
		if err := os.Chtimes(contents, when, when); err != nil {
			t.Fatal(err)
		}
	}
	list, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Sum)
		if e.Path != p {
			t.Errorf("path %q", e.Path)
		}
	}
	want := []string{sums[2], sums[1], sums[0]}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("List order %v, want %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	b := New(filepath.Join(t.TempDir(), "bucket"))
	if _, err := b.Get("{sha256}abc"); err == nil || !strings.Contains(err.Error(), "invalid checksum") {
		t.Errorf("Get(bad) = %v", err)
	}
	if _, err := b.Get(sum("never stored")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(missing) = %v, want ErrNotExist", err)
	}
	if _, err := b.Backup(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Backup(dir) = %v", err)
	}
	if _, err := b.Backup(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Backup(missing) = %v", err)
	}
	// A corrupted content is refused, not restored.
	p := filepath.Join(t.TempDir(), "f")
	write(t, p, "good")
	s, err := b.Backup(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.entryDir(strings.TrimPrefix(s, Prefix)), "contents"), []byte("bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(s, p); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Restore(corrupt) = %v", err)
	}
	// Backing up the good content again repairs it.
	if _, err := b.Backup(p); err != nil {
		t.Fatal(err)
	}
	if data, err := b.Get(s); err != nil || string(data) != "good" {
		t.Errorf("Get after repair = %q, %v", data, err)
	}
}

func TestResolvePrefix(t *testing.T) {
	b := New(filepath.Join(t.TempDir(), "bucket"))
	// Two contents whose checksums share their first MinPrefix digits,
	// found by hashing (a few hundred tries, by the birthday bound).
	seen := map[string]string{}
	var a, c string
	for i := 0; a == ""; i++ {
		content := fmt.Sprintf("content %d", i)
		h := strings.TrimPrefix(sum(content), Prefix)[:MinPrefix]
		if other, dup := seen[h]; dup {
			a, c = other, content
		}
		seen[h] = content
	}
	dir := t.TempDir()
	for i, content := range []string{a, c} {
		p := filepath.Join(dir, fmt.Sprint(i))
		write(t, p, content)
		if _, err := b.Backup(p); err != nil {
			t.Fatal(err)
		}
	}
	full := strings.TrimPrefix(sum(a), Prefix)
	for _, form := range []string{sum(a), full, strings.ToUpper(full), full[:MinPrefix+8], Prefix + full[:MinPrefix+8]} {
		if h, err := b.Resolve(form); err != nil || h != full {
			t.Errorf("Resolve(%q) = %q, %v; want %s", form, h, err, full)
		}
	}
	if _, err := b.Resolve(full[:MinPrefix]); err == nil || !strings.Contains(err.Error(), "ambiguous") ||
		!strings.Contains(err.Error(), sum(a)) || !strings.Contains(err.Error(), sum(c)) {
		t.Errorf("Resolve(shared prefix) = %v, want an ambiguity naming both", err)
	}
	if _, err := b.Resolve(full[:MinPrefix-1]); err == nil || !strings.Contains(err.Error(), "invalid checksum") {
		t.Errorf("Resolve(too short) = %v", err)
	}
	missing := strings.Repeat("f", MinPrefix+20)
	if strings.HasPrefix(full, missing) || strings.HasPrefix(strings.TrimPrefix(sum(c), Prefix), missing) {
		t.Skip("astronomically unlucky checksums")
	}
	if _, err := b.Get(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(unknown prefix) = %v, want ErrNotExist", err)
	}
	if data, err := b.Get(full[:MinPrefix+8]); err != nil || string(data) != a {
		t.Errorf("Get(prefix) = %q, %v", data, err)
	}
}
