package resources

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gapply/gapply/catalog"
)

// Helpers shared by the tests of the system types (user, group, host,
// cron, file_line, ssh_authorized_key, package, service).

// sysNeedRoot skips tests that change accounts or packages when not root.
func sysNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates real users, groups and packages")
	}
}

// sysNeedTool skips when a system tool is missing, naming the Debian
// package that provides it.
func sysNeedTool(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("needs %s: apt-get install %s", tool, pkg)
	}
}

// sysUniqueName returns a name unique to this test run, short enough for
// a user name (32 characters).
func sysUniqueName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// sysNew builds a resource of type typ through the registry, as the
// engine does.
func sysNew(t *testing.T, typ, title string, params map[string]any) Resource {
	t.Helper()
	rt, ok := Lookup(typ)
	if !ok {
		t.Fatalf("type %s is not registered", typ)
	}
	if params == nil {
		params = map[string]any{}
	}
	r, err := rt.New(&catalog.Resource{Type: catalog.CapitalizeType(typ), Title: title, Parameters: params})
	if err != nil {
		t.Fatalf("New %s[%s]: %v", typ, title, err)
	}
	return r
}

// sysNewErr returns the validation error New gives for params.
func sysNewErr(t *testing.T, typ, title string, params map[string]any) error {
	t.Helper()
	rt, _ := Lookup(typ)
	_, err := rt.New(&catalog.Resource{Type: catalog.CapitalizeType(typ), Title: title, Parameters: params})
	return err
}

// sysMessages returns the changes as Puppet's lines "prop: message".
func sysMessages(changes []Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		msg := c.Message
		if msg == "" {
			msg = "changed " + ppQuote(c.From) + " to " + ppQuote(c.To)
		}
		out[i] = c.Property + ": " + msg
	}
	return out
}

// sysConverge checks r, applies the changes, and checks again: it returns
// the messages of the first check and fails the test unless the second
// check finds nothing (every type must be idempotent).
func sysConverge(t *testing.T, r Resource) []string {
	t.Helper()
	ctx := context.Background()
	env := &Env{}
	changes, err := r.Check(ctx, env)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(changes) > 0 {
		if err := r.Apply(ctx, env, changes); err != nil {
			t.Fatalf("Apply %v: %v", sysMessages(changes), err)
		}
	}
	again, err := r.Check(ctx, env)
	if err != nil {
		t.Fatalf("second Check: %v", err)
	}
	if len(again) > 0 {
		t.Fatalf("not idempotent: after applying %v, Check still finds %v", sysMessages(changes), sysMessages(again))
	}
	return sysMessages(changes)
}

// sysCheck runs only Check, as a --noop run does.
func sysCheck(t *testing.T, r Resource) []string {
	t.Helper()
	changes, err := r.Check(context.Background(), &Env{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return sysMessages(changes)
}

func sysWantMessages(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

// sysRun runs a command for test setup or cleanup and fails on error.
func sysRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runCleanup runs a cleanup command, ignoring failure (the thing may
// already be gone).
func runCleanup(name string, args ...string) error {
	return exec.Command(name, args...).Run()
}
