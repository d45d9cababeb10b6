package resources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sysBucket is a filebucket that keeps backups in memory, to see that
// the types back a file up before replacing it.
type sysBucket struct{ saved []string }

func (b *sysBucket) Backup(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	b.saved = append(b.saved, string(data))
	return "{sha256}test", nil
}

func TestHostLifecycle(t *testing.T) {
	target := filepath.Join(t.TempDir(), "hosts")
	before := "# static entries\n127.0.0.1\tlocalhost\n\n::1     localhost ip6-localhost   # v6\n"
	if err := os.WriteFile(target, []byte(before), 0o640); err != nil {
		t.Fatal(err)
	}
	params := func(kv ...any) map[string]any {
		m := map[string]any{"target": target}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	sysWantMessages(t, sysConverge(t, sysNew(t, "host", "db.example.com", params(
		"ip", "10.0.0.1", "host_aliases", []any{"db", "database"}, "comment", "the db"))), "ensure: created")
	got, _ := os.ReadFile(target)
	if want := before + "10.0.0.1\tdb.example.com\tdb\tdatabase\t# the db\n"; string(got) != want {
		t.Fatalf("after create:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}

	r := sysNew(t, "host", "db.example.com", params("ip", "10.0.0.2", "host_aliases", "db"))
	want := []string{"ip: ip changed '10.0.0.1' to '10.0.0.2'", "host_aliases: host_aliases changed db database to db"}
	sysWantMessages(t, sysCheck(t, r), want...)
	if after, _ := os.ReadFile(target); string(after) != string(got) {
		t.Fatal("Check modified the file")
	}
	bucket := &sysBucket{}
	changes, _ := r.Check(context.Background(), &Env{})
	if err := r.Apply(context.Background(), &Env{Bucket: bucket}, changes); err != nil {
		t.Fatal(err)
	}
	if len(bucket.saved) != 1 || bucket.saved[0] != string(got) {
		t.Errorf("old content not backed up before the change: %q", bucket.saved)
	}
	sysWantMessages(t, sysCheck(t, r))
	got, _ = os.ReadFile(target)
	if want := before + "10.0.0.2\tdb.example.com\tdb\t# the db\n"; string(got) != want {
		t.Fatalf("after change:\n%s\nwant:\n%s", got, want)
	}

	sysWantMessages(t, sysConverge(t, sysNew(t, "host", "db.example.com", params("ensure", "absent"))), "ensure: removed")
	if got, _ := os.ReadFile(target); string(got) != before {
		t.Fatalf("after removal:\n%s\nwant the original:\n%s", got, before)
	}
	// An existing entry written by hand is recognised: in sync as it is.
	sysWantMessages(t, sysCheck(t, sysNew(t, "host", "localhost", params("ip", "127.0.0.1", "host_aliases", []any{}))))
}

func TestHostNewTargetFile(t *testing.T) {
	target := filepath.Join(t.TempDir(), "hosts")
	sysWantMessages(t, sysConverge(t, sysNew(t, "host", "a.example", map[string]any{"ip": "192.0.2.1", "target": target})), "ensure: created")
	if got, _ := os.ReadFile(target); string(got) != "192.0.2.1\ta.example\n" {
		t.Errorf("new file = %q", got)
	}
}

func TestHostValidation(t *testing.T) {
	for _, tc := range []struct {
		title  string
		params map[string]any
		want   string
	}{
		{"a.example", map[string]any{}, "ip is a required attribute"},
		{"a.example", map[string]any{"ip": "300.1.1.1"}, "Invalid IP address"},
		{"bad name!", map[string]any{"ip": "10.0.0.1"}, "Invalid host name"},
		{"a.example", map[string]any{"ip": "10.0.0.1", "host_aliases": "b c"}, "cannot include whitespace"},
		{"a.example", map[string]any{"ip": "10.0.0.1", "target": "hosts"}, "absolute path"},
	} {
		err := sysNewErr(t, "host", tc.title, tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%s, %v) = %v, want %q", tc.title, tc.params, err, tc.want)
		}
	}
}
