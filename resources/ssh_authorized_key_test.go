package resources

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const (
	sysKeyA = "AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForGapplyTestsOnlyAAAAAAAAAAAAAAA"
	sysKeyB = "AAAAC3NzaC1lZDI1NTE5AAAAIAnotherFakeKeyForGapplyTestsBBBBBBBBBBBB"
)

func TestSSHAuthorizedKeyLifecycle(t *testing.T) {
	sysNeedRoot(t)
	sysNeedTool(t, "useradd", "passwd")
	user := sysTestUser(t)
	home := filepath.Join(t.TempDir(), user)
	sysConverge(t, sysNew(t, "user", user, map[string]any{"home": home, "managehome": true}))
	keys := filepath.Join(home, ".ssh", "authorized_keys")

	params := map[string]any{"user": user, "type": "ed25519", "key": sysKeyA}
	sysWantMessages(t, sysConverge(t, sysNew(t, "ssh_authorized_key", "alice@laptop", params)), "ensure: created")
	got, _ := os.ReadFile(keys)
	if want := "ssh-ed25519 " + sysKeyA + " alice@laptop\n"; string(got) != want {
		t.Fatalf("authorized_keys = %q, want %q", got, want)
	}
	users, _ := readPasswd()
	var uid uint32
	for _, u := range users {
		if u.Name == user {
			uid = uint32(u.UID)
		}
	}
	for path, mode := range map[string]os.FileMode{keys: 0o600, filepath.Dir(keys): 0o700} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode || fi.Sys().(*syscall.Stat_t).Uid != uid {
			t.Errorf("%s: mode %v owner %d, want %v owned by %d", path, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, mode, uid)
		}
	}

	// A key added by hand stays; a change rewrites only our line.
	f, _ := os.OpenFile(keys, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("# by hand\nssh-rsa AAAAB3Nza bob@desk\n")
	f.Close()
	r := sysNew(t, "ssh_authorized_key", "alice@laptop", map[string]any{
		"user": user, "type": "ssh-ed25519", "key": sysKeyB, "options": []any{"no-pty", `from="10.0.0.1,10.0.0.2"`},
	})
	msgs := []string{"key: key changed '" + sysKeyA + "' to '" + sysKeyB + "'",
		`options: options changed absent to ['no-pty', 'from="10.0.0.1,10.0.0.2"']`}
	sysWantMessages(t, sysCheck(t, r), msgs...)
	sysWantMessages(t, sysConverge(t, r), msgs...)
	got, _ = os.ReadFile(keys)
	if want := `no-pty,from="10.0.0.1,10.0.0.2" ssh-ed25519 ` + sysKeyB + " alice@laptop\n# by hand\nssh-rsa AAAAB3Nza bob@desk\n"; string(got) != want {
		t.Fatalf("authorized_keys =\n%s\nwant\n%s", got, want)
	}

	sysWantMessages(t, sysConverge(t, sysNew(t, "ssh_authorized_key", "alice@laptop", map[string]any{"user": user, "ensure": "absent"})), "ensure: removed")
	got, _ = os.ReadFile(keys)
	if want := "# by hand\nssh-rsa AAAAB3Nza bob@desk\n"; string(got) != want {
		t.Fatalf("after removal:\n%s", got)
	}
}

func TestSSHAuthorizedKeyTarget(t *testing.T) {
	target := filepath.Join(t.TempDir(), "keys")
	sysWantMessages(t, sysConverge(t, sysNew(t, "ssh_authorized_key", "deploy", map[string]any{
		"target": target, "type": "ssh-rsa", "key": "AAAAB3Nza"})), "ensure: created")
	if got, _ := os.ReadFile(target); string(got) != "ssh-rsa AAAAB3Nza deploy\n" {
		t.Errorf("target = %q", got)
	}
}

func TestParseSSHKeyLine(t *testing.T) {
	l, ok := parseSSHKeyLine(`command="echo a b",no-pty ssh-ed25519 AAAA me@host with spaces`)
	if !ok || l.keyType != "ssh-ed25519" || l.key != "AAAA" || l.name != "me@host with spaces" ||
		strings.Join(l.options, "|") != `command="echo a b"|no-pty` {
		t.Errorf("parsed %+v", l)
	}
	if _, ok := parseSSHKeyLine("# comment"); ok {
		t.Error("a comment parsed as a key")
	}
}

func TestSSHAuthorizedKeyValidation(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"type": "rsa", "key": "AAAA"}, "Attribute 'user' or 'target' is mandatory"},
		{map[string]any{"user": "root", "type": "rsa", "key": "AA AA"}, "Key must not contain whitespace"},
		{map[string]any{"user": "root", "type": "pgp", "key": "AAAA"}, `Invalid value "pgp"`},
		{map[string]any{"user": "root", "type": "rsa"}, "key is a required attribute"},
	} {
		err := sysNewErr(t, "ssh_authorized_key", "k", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.params, err, tc.want)
		}
	}
}
