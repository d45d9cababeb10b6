package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapply/gapply/catalog"
)

// TestDeferredSensitive: what Puppet 7 does with Sensitive values and
// Deferred calls. A Deferred that returns a Sensitive value
// (new(Sensitive, ...)) gives the resource the plain value and makes the
// parameter sensitive, so its changes are redacted; a Sensitive passed
// to a function is not unwrapped, so sprintf prints its redaction, and
// so does one left inside an array.
func TestDeferredSensitive(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	formatted := filepath.Join(dir, "formatted")
	newSensitive := func() *catalog.Deferred {
		return &catalog.Deferred{Name: "new", Arguments: []any{"Sensitive", "s3cret"}}
	}
	cat := &catalog.Catalog{Name: "n", Resources: []*catalog.Resource{
		{Type: "File", Title: secret, Parameters: map[string]any{"path": secret, "content": newSensitive()}},
		{Type: "File", Title: formatted, Parameters: map[string]any{"path": formatted,
			"content": &catalog.Deferred{Name: "sprintf", Arguments: []any{"pw=%s", newSensitive()}}}},
		{Type: "Notify", Title: "n", Parameters: map[string]any{"name": "n", "message": newSensitive()}},
		{Type: "Notify", Title: "list", Parameters: map[string]any{"name": "list", "message": []any{"a", newSensitive()}}},
	}}
	logs := applyLogged(t, cat, Options{ShowDiff: true})
	if strings.Contains(logs, "s3cret") {
		t.Errorf("the logs show the secret:\n%s", logs)
	}
	for _, want := range []string{
		"File[" + secret + "]/ensure: changed [redacted] to [redacted]",
		"Notify[n]/message: changed [redacted] to [redacted]",
		"File[" + formatted + "]/ensure: defined content as",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("no line %q in:\n%s", want, logs)
		}
	}
	for path, want := range map[string]string{secret: "s3cret", formatted: "pw=Sensitive [value redacted]"} {
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s has %q, want %q", path, got, want)
		}
	}
	if cat.Resources[0].Sensitive != nil {
		t.Error("Apply marked the caller's catalog")
	}

	_, err := deferredNew([]any{"Integer", "1"})
	if err == nil || err.Error() != "only new(Sensitive, value) runs on the node, got type Integer" {
		t.Errorf("new of another type: %v", err)
	}
}
