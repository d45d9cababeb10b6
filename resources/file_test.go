package resources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/google/go-cmp/cmp"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/resources/filebucket"
)

// The filebucket is what the engine gives resources.
var _ Bucket = (*filebucket.Bucket)(nil)

// testEnv is an Env as the engine builds one: a bucket in a temporary
// directory and a logger writing to a buffer.
type testEnv struct {
	*Env
	bucket *filebucket.Bucket
	logs   *bytes.Buffer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	var buf bytes.Buffer
	b := filebucket.New(filepath.Join(t.TempDir(), "bucket"))
	l := log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})
	return &testEnv{Env: &Env{Bucket: b, Log: l}, bucket: b, logs: &buf}
}

// newRes builds a resource of a registered type, failing the test on a
// validation error.
func newRes(t *testing.T, typ, title string, params map[string]any) Resource {
	t.Helper()
	r, err := newResErr(typ, title, params)
	if err != nil {
		t.Fatalf("New(%s[%s]): %v", typ, title, err)
	}
	return r
}

func newResErr(typ, title string, params map[string]any) (Resource, error) {
	ty, ok := Lookup(typ)
	if !ok {
		panic("no type " + typ)
	}
	if params == nil {
		params = map[string]any{}
	}
	return ty.New(&catalog.Resource{Type: catalog.CapitalizeType(typ), Title: title, Parameters: params})
}

// changeLines formats changes as Puppet prints them: "property: message",
// or "File[/x/child]/property: message" for a generated resource.
func changeLines(changes []Change) []string {
	var out []string
	for _, c := range changes {
		line := c.Property + ": " + c.Message
		if c.Resource != "" {
			line = c.Resource + "/" + line
		}
		out = append(out, line)
	}
	return out
}

func mustCheck(t *testing.T, r Resource, env *Env) []Change {
	t.Helper()
	changes, err := r.Check(context.Background(), env)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return changes
}

// converge checks, applies, and checks again, which must find nothing
// left to do; it returns the change lines of the first check.
func converge(t *testing.T, r Resource, env *Env) []string {
	t.Helper()
	changes := mustCheck(t, r, env)
	if err := r.Apply(context.Background(), env, changes); err != nil {
		t.Fatalf("Apply(%v): %v", changeLines(changes), err)
	}
	if again := mustCheck(t, r, env); len(again) > 0 {
		t.Fatalf("not idempotent: second Check after %v reports %v", changeLines(changes), changeLines(again))
	}
	return changeLines(changes)
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "{sha256}" + hex.EncodeToString(sum[:])
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func modeOf(t *testing.T, path string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return formatMode(st.Mode & 0o7777)
}

func TestFileCreateWithContent(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "motd")
	// content without ensure creates a file.
	r := newRes(t, "file", p, map[string]any{"content": "hello\n", "mode": "0640"})
	wantLines(t, converge(t, r, env.Env), "ensure: defined content as '"+sha("hello\n")+"'")
	if got := readFile(t, p); got != "hello\n" {
		t.Errorf("content = %q", got)
	}
	if got := modeOf(t, p); got != "0640" {
		t.Errorf("mode = %s, want 0640", got)
	}
}

func TestFileNoopCheckChangesNothing(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "old\n", 0o644)
	for _, r := range []Resource{
		newRes(t, "file", p, map[string]any{"content": "new\n", "mode": "0600", "owner": "nobody"}),
		newRes(t, "file", filepath.Join(dir, "new"), map[string]any{"ensure": "directory"}),
		newRes(t, "file", filepath.Join(dir, "l"), map[string]any{"ensure": p}),
	} {
		if len(mustCheck(t, r, env.Env)) == 0 {
			t.Errorf("%v: Check found nothing to do", r)
		}
	}
	if got := readFile(t, p); got != "old\n" || modeOf(t, p) != "0644" {
		t.Errorf("Check changed the file: %q %s", got, modeOf(t, p))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Check created files: %v", entries)
	}
	if list, _ := env.bucket.List(); len(list) != 0 {
		t.Errorf("Check backed up files: %v", list)
	}
}

func TestFileContentChangeBackupAndDiff(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "conf")
	writeFile(t, p, "a\nb\nc\n", 0o640)
	if err := os.Chown(p, 65534, -1); err != nil {
		t.Fatal(err)
	}
	r := newRes(t, "file", p, map[string]any{"content": "a\nB\nc\n"})
	changes := mustCheck(t, r, env.Env)
	wantLines(t, changeLines(changes),
		"content: content changed '"+sha("a\nb\nc\n")+"' to '"+sha("a\nB\nc\n")+"'")
	wantDiff := "--- " + p + "\n+++ " + p + "\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	if changes[0].Diff != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", changes[0].Diff, wantDiff)
	}
	converge(t, r, env.Env)
	if got := readFile(t, p); got != "a\nB\nc\n" {
		t.Errorf("content = %q", got)
	}
	// The replaced file kept its mode and owner.
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o7777 != 0o640 || st.Uid != 65534 {
		t.Errorf("mode %o uid %d, want 0640 and 65534", st.Mode&0o7777, st.Uid)
	}
	// The old content is in the bucket and can be restored.
	old, err := env.bucket.Get(sha("a\nb\nc\n"))
	if err != nil || string(old) != "a\nb\nc\n" {
		t.Fatalf("bucket Get = %q, %v", old, err)
	}
	if err := env.bucket.Restore(sha("a\nb\nc\n"), p); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p); got != "a\nb\nc\n" {
		t.Errorf("restored content = %q", got)
	}
}

func TestFileNameAliasAndDiffWithoutNewline(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "old", 0o644)
	changes := mustCheck(t, newRes(t, "file", "motd", map[string]any{"name": p, "content": "new"}), env.Env)
	want := "--- " + p + "\n+++ " + p + "\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n"
	if len(changes) != 1 || changes[0].Diff != want {
		t.Errorf("changes %+v, want diff\n%s", changes, want)
	}
}

func TestFileBinaryContentHasNoDiff(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "bin")
	writeFile(t, p, "\x00\x01\x02", 0o644)
	changes := mustCheck(t, newRes(t, "file", p, map[string]any{"content": "text\n"}), env.Env)
	if len(changes) != 1 || changes[0].Diff != "" {
		t.Errorf("changes %+v: want one content change without a diff", changes)
	}
}

func TestFileBackupFailurePreventsReplace(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "precious\n", 0o644)
	// A bucket whose directory cannot be created: a regular file is in
	// the way.
	blocker := filepath.Join(t.TempDir(), "blocker")
	writeFile(t, blocker, "", 0o644)
	env.Bucket = filebucket.New(filepath.Join(blocker, "bucket"))
	r := newRes(t, "file", p, map[string]any{"content": "new\n"})
	changes := mustCheck(t, r, env.Env)
	err := r.Apply(context.Background(), env.Env, changes)
	if err == nil || !strings.Contains(err.Error(), "could not back up") {
		t.Fatalf("Apply error = %v, want a backup failure", err)
	}
	if got := readFile(t, p); got != "precious\n" {
		t.Errorf("content replaced despite failed backup: %q", got)
	}
	// backup => false replaces without a bucket.
	r = newRes(t, "file", p, map[string]any{"content": "new\n", "backup": false})
	converge(t, r, env.Env)
}

func TestFileReplaceFalse(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "mine\n", 0o644)
	r := newRes(t, "file", p, map[string]any{"content": "theirs\n", "replace": false, "mode": "0600"})
	wantLines(t, converge(t, r, env.Env), "mode: mode changed '0644' to '0600'")
	if got := readFile(t, p); got != "mine\n" {
		t.Errorf("content = %q, want it untouched", got)
	}
	// A missing file is still created with the content.
	q := filepath.Join(t.TempDir(), "g")
	converge(t, newRes(t, "file", q, map[string]any{"content": "theirs\n", "replace": "false"}), env.Env)
	if got := readFile(t, q); got != "theirs\n" {
		t.Errorf("content = %q", got)
	}
}

func TestFileDirectory(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "d")
	// A directory's mode gets an execute bit for each read bit.
	r := newRes(t, "file", p, map[string]any{"ensure": "directory", "mode": "0640"})
	wantLines(t, converge(t, r, env.Env), "ensure: created")
	if got := modeOf(t, p); got != "0750" {
		t.Errorf("mode = %s, want 0750", got)
	}
	r = newRes(t, "file", p, map[string]any{"ensure": "directory", "mode": "0600"})
	wantLines(t, converge(t, r, env.Env), "mode: mode changed '0750' to '0700'")

	// A file is replaced by a directory without force, after a backup.
	f := filepath.Join(dir, "was-file")
	writeFile(t, f, "data\n", 0o644)
	r = newRes(t, "file", f, map[string]any{"ensure": "directory"})
	wantLines(t, converge(t, r, env.Env), "ensure: ensure changed 'file' to 'directory'")
	if _, err := env.bucket.Get(sha("data\n")); err != nil {
		t.Errorf("replaced file not in bucket: %v", err)
	}

	// A missing parent is an error that names it.
	r = newRes(t, "file", filepath.Join(dir, "no", "such"), map[string]any{"ensure": "directory"})
	err := r.Apply(context.Background(), env.Env, mustCheck(t, r, env.Env))
	if err == nil || !strings.Contains(err.Error(), "parent directory "+filepath.Join(dir, "no")+" does not exist") {
		t.Errorf("Apply error = %v", err)
	}
}

func TestFileDirectoryNeedsForce(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Replacing a directory needs force.
	_, err := newRes(t, "file", d, map[string]any{"ensure": "file"}).Check(context.Background(), env.Env)
	if err == nil || !strings.Contains(err.Error(), "use 'force' to override") {
		t.Errorf("Check error = %v, want a force error", err)
	}
	// Removing one without force is not done, and said.
	if changes := mustCheck(t, newRes(t, "file", d, map[string]any{"ensure": "absent"}), env.Env); len(changes) != 0 {
		t.Errorf("changes without force: %v", changeLines(changes))
	}
	if !strings.Contains(env.logs.String(), "Not removing directory; use 'force' to override") {
		t.Errorf("log = %q", env.logs.String())
	}
	r := newRes(t, "file", d, map[string]any{"ensure": "link", "target": "/etc", "force": true})
	wantLines(t, converge(t, r, env.Env), "ensure: ensure changed 'directory' to 'link'")
	r = newRes(t, "file", d, map[string]any{"ensure": "absent"})
	wantLines(t, converge(t, r, env.Env), "ensure: removed")
	if _, err := os.Lstat(d); !os.IsNotExist(err) {
		t.Errorf("still there: %v", err)
	}
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Errorf("removing the link touched its target: %v", err)
	}
	e := filepath.Join(dir, "e")
	if err := os.MkdirAll(filepath.Join(e, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantLines(t, converge(t, newRes(t, "file", e, map[string]any{"ensure": "absent", "force": true}), env.Env), "ensure: removed")
}

func TestFileLink(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	a, b, l := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "l")
	// A path as ensure means a link to it.
	wantLines(t, converge(t, newRes(t, "file", l, map[string]any{"ensure": a}), env.Env), "ensure: created")
	if got, _ := os.Readlink(l); got != a {
		t.Errorf("link target = %q", got)
	}
	r := newRes(t, "file", l, map[string]any{"ensure": "link", "target": b})
	wantLines(t, converge(t, r, env.Env), "target: target changed '"+a+"' to '"+b+"'")
	// A file in the way is replaced, after a backup.
	f := filepath.Join(dir, "f")
	writeFile(t, f, "x", 0o644)
	r = newRes(t, "file", f, map[string]any{"ensure": "link", "target": a})
	wantLines(t, converge(t, r, env.Env), "ensure: ensure changed 'file' to 'link'")
	if _, err := env.bucket.Get(sha("x")); err != nil {
		t.Error(err)
	}
	// ensure => file replaces a link with a file.
	r = newRes(t, "file", l, map[string]any{"ensure": "file", "content": "now a file\n"})
	wantLines(t, converge(t, r, env.Env), "ensure: defined content as '"+sha("now a file\n")+"'")
	if fi, err := os.Lstat(l); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("not a file: %v %v", fi, err)
	}
}

func TestFileAbsent(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "bye\n", 0o644)
	r := newRes(t, "file", p, map[string]any{"ensure": "absent"})
	wantLines(t, converge(t, r, env.Env), "ensure: removed")
	if _, err := env.bucket.Get(sha("bye\n")); err != nil {
		t.Errorf("removed file not in bucket: %v", err)
	}
	// Absent and ensure absent: nothing; present on a missing path: a file.
	if c := mustCheck(t, r, env.Env); len(c) != 0 {
		t.Errorf("changes: %v", changeLines(c))
	}
	wantLines(t, converge(t, newRes(t, "file", p, map[string]any{"ensure": "present"}), env.Env), "ensure: created")
	// Without ensure and content, a missing path stays missing.
	q := filepath.Join(t.TempDir(), "q")
	if c := mustCheck(t, newRes(t, "file", q, map[string]any{"mode": "0600"}), env.Env); len(c) != 0 {
		t.Errorf("changes: %v", changeLines(c))
	}
}

func TestFileModes(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "", 0o644)
	for _, tc := range []struct{ mode, want string }{
		{"600", "mode: mode changed '0644' to '0600'"},
		{"u=rw,g=r,o=", "mode: mode changed '0600' to '0640' (u=rw,g=r,o=)"},
		{"a+x", "mode: mode changed '0640' to '0751' (a+x)"},
		{"go-x,u+s", "mode: mode changed '0751' to '4740' (go-x,u+s)"},
		{"0644", "mode: mode changed '4740' to '0644'"},
	} {
		wantLines(t, converge(t, newRes(t, "file", p, map[string]any{"mode": tc.mode}), env.Env), tc.want)
	}
}

func TestFileOwnership(t *testing.T) {
	env := newTestEnv(t)
	nogroup := "nogroup"
	if _, err := user.LookupGroup(nogroup); err != nil {
		t.Skip("no group nogroup here")
	}
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "x", 0o644)
	if err := os.Chown(p, 0, 0); err != nil {
		t.Fatal(err)
	}
	r := newRes(t, "file", p, map[string]any{"owner": "nobody", "group": nogroup})
	wantLines(t, converge(t, r, env.Env),
		"owner: owner changed 'root' to 'nobody'",
		"group: group changed 'root' to 'nogroup'")
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	u, _ := user.Lookup("nobody")
	if strconv.Itoa(int(st.Uid)) != u.Uid {
		t.Errorf("uid = %d, want %s", st.Uid, u.Uid)
	}
	// Numeric ids are printed as names, as Puppet does.
	r = newRes(t, "file", p, map[string]any{"owner": int64(0), "group": "0"})
	wantLines(t, converge(t, r, env.Env),
		"owner: owner changed 'nobody' to 'root'",
		"group: group changed 'nogroup' to 'root'")
	// An unknown user fails the check with Puppet's message.
	_, err := newRes(t, "file", p, map[string]any{"owner": "no-such-user-gapply"}).Check(context.Background(), env.Env)
	if err == nil || err.Error() != "Could not find user no-such-user-gapply" {
		t.Errorf("err = %v", err)
	}
	// A new file is created with the ownership.
	q := filepath.Join(t.TempDir(), "q")
	converge(t, newRes(t, "file", q, map[string]any{"content": "y", "owner": "nobody", "mode": "0600"}), env.Env)
	if err := syscall.Stat(q, &st); err != nil {
		t.Fatal(err)
	}
	if strconv.Itoa(int(st.Uid)) != u.Uid || st.Mode&0o7777 != 0o600 {
		t.Errorf("uid %d mode %o", st.Uid, st.Mode&0o7777)
	}
}

func TestFileValidation(t *testing.T) {
	for _, tc := range []struct {
		title  string
		params map[string]any
		want   string
	}{
		{"rel", nil, "Parameter path failed on File[rel]: File paths must be fully qualified, not 'rel'"},
		{"/x", map[string]any{"mode": "999"}, `Parameter mode failed on File[/x]: The file mode specification is invalid: "999"`},
		{"/x", map[string]any{"mode": "u=rwz"}, `Parameter mode failed on File[/x]: The file mode specification is invalid: "u=rwz"`},
		{"/x", map[string]any{"ensure": "link"}, "Parameter ensure failed on File[/x]: Cannot create a symlink without a target"},
		{"/x", map[string]any{"ensure": "directory", "content": "a"}, "Parameter content failed on File[/x]: You cannot specify content when using ensure => directory"},
		{"/x", map[string]any{"force": "maybe"}, `Parameter force failed on File[/x]: Invalid value "maybe". Valid values are true, false.`},
		{"/x", map[string]any{"mdoe": "0644"}, "no parameter named 'mdoe' on File[/x]"},
	} {
		_, err := newResErr("file", tc.title, tc.params)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v: err = %v\nwant %s", tc.title, tc.params, err, tc.want)
		}
	}
	// Several mistakes are reported together.
	_, err := newResErr("file", "rel", map[string]any{"mode": "9"})
	if err == nil || strings.Count(err.Error(), "\n") != 1 {
		t.Errorf("want two errors, got %v", err)
	}
}

// TestFileShowDiffFalse: show_diff => false keeps a file's content out of
// the change (a secret never reaches --show-diff output), the SELinux
// parameters modules pass are accepted, and a provider other than posix is
// refused.
func TestFileShowDiffFalse(t *testing.T) {
	env := newTestEnv(t)
	p := filepath.Join(t.TempDir(), "secret")
	writeFile(t, p, "old\n", 0o600)
	for _, show := range []bool{true, false} {
		r := newRes(t, "file", p, map[string]any{"content": "new\n", "show_diff": show,
			"seltype": "etc_t", "selinux_ignore_defaults": true})
		changes := mustCheck(t, r, env.Env)
		if len(changes) != 1 || (changes[0].Diff != "") != show {
			t.Errorf("show_diff=%v: changes %+v", show, changes)
		}
	}
	if _, err := newResErr("file", p, map[string]any{"provider": "windows"}); err == nil || !strings.Contains(err.Error(), "Invalid file provider 'windows'") {
		t.Errorf("provider windows: %v", err)
	}
}
