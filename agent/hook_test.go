package agent

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParsePushes(t *testing.T) {
	zero := strings.Repeat("0", 40)
	a, b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	in := a + " " + b + " refs/heads/production\n" +
		zero + " " + a + " refs/heads/feature_x\n" +
		a + " " + zero + " refs/heads/gone\n" + // deleted
		zero + " " + b + " refs/tags/v1\n\n"
	got, err := ParsePushes(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Push{{"production", b}, {"feature_x", a}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pushes (-want +got):\n%s", diff)
	}
	if _, err := ParsePushes(strings.NewReader("garbage\n")); err == nil {
		t.Error("malformed input accepted")
	}
}

func writeInventory(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inventory.hcl")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInventoryErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"node \"a\" {\n  ulr = \"http://a\"\n}\n", `inventory.hcl:2,3-6: Unsupported argument; An argument named "ulr" is not expected here. Did you mean "url"?`},
		{"secret_file = \"s\"\nnode \"a\" {\n  url = \"a:8150\"\n}\n", `url must start with http:// or https://`},
		{"node \"a\" {\n  url = \"http://a\"\n}\n", `Node "a" has no secret_file`},
		{"secret_file = \"s\"\ntimeout = \"soon\"\n", `inventory.hcl:2,11-17: Invalid timeout`},
		{"secret_file = \"s\"\nnode \"a\" {\n  url = \"http://a\"\n}\nnode \"a\" {\n  url = \"http://b\"\n}\n", `inventory.hcl:5,1-9: Duplicate node`},
	}
	for _, tt := range tests {
		p := writeInventory(t, tt.text)
		_, _, diags := LoadInventory(p)
		var msgs []string
		for _, d := range diags {
			msgs = append(msgs, d.Error())
		}
		got := strings.ReplaceAll(strings.Join(msgs, "\n"), filepath.Dir(p)+"/", "")
		if !diags.HasErrors() || !strings.Contains(got, tt.want) {
			t.Errorf("%q: %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestFanOut(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("0123456789abcdef-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rig := newTriggerRig(t)
	rig.srv.now = nil
	ts := httptest.NewServer(rig.srv)
	defer ts.Close()
	dead := httptest.NewServer(nil)
	dead.Close()
	p := writeInventory(t, `secret_file = "`+secretFile+`"
node "up" {
  url = "`+ts.URL+`/"
}
node "down" {
  url = "`+dead.URL+`"
}
node "elsewhere" {
  url         = "`+ts.URL+`"
  environment = "staging"
}
`)
	inv, _, diags := LoadInventory(p)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res := FanOut(t.Context(), []Push{{"production", "abc"}}, inv, FanOutOptions{Timeout: 5 * time.Second})
	if len(res) != 2 || res[0].Node != "down" || res[0].State != StateUnreachable || res[1].Node != "up" || res[1].State != StateTriggered {
		t.Fatalf("results: %+v", res)
	}
	if rig.scheduled != 1 || OK(res) {
		t.Errorf("%d runs scheduled, OK=%v", rig.scheduled, OK(res))
	}
	var b bytes.Buffer
	WriteTable(&b, res)
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[2], "up    production   triggered") {
		t.Errorf("table:\n%s", b.String())
	}
	// Waiting for a node that never applies the commit ends at the timeout.
	res = FanOut(t.Context(), []Push{{"production", "abc"}}, inv, FanOutOptions{Wait: true, Timeout: 300 * time.Millisecond, Poll: 50 * time.Millisecond})
	if res[1].State != StateTimeout {
		t.Errorf("waiting: %+v", res[1])
	}
}
