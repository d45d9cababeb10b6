package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/catalog"
)

// applyLogged applies cat and returns the lines logged.
func applyLogged(t *testing.T, cat *catalog.Catalog, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	opts.Log = log.NewWithOptions(&buf, log.Options{Level: log.InfoLevel})
	rep, err := Apply(context.Background(), cat, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, r := range rep.Resources {
		for _, e := range r.Events {
			if strings.Contains(e.PreviousValue+e.DesiredValue+e.Message, "s3cret") {
				t.Errorf("the report shows the secret: %+v", e)
			}
		}
	}
	return buf.String()
}

func TestSensitiveRedactedInLogs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	if err := os.WriteFile(path, []byte("old s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Catalog{Name: "n", Resources: []*catalog.Resource{
		{Type: "File", Title: path, Parameters: map[string]any{"path": path, "content": "new s3cret\n"}, Sensitive: []string{"content"}},
		{Type: "File", Title: path + ".new", Parameters: map[string]any{"path": path + ".new", "content": "s3cret\n"}, Sensitive: []string{"content"}},
		{Type: "Notify", Title: "n", Parameters: map[string]any{"name": "n", "message": "s3cret"}, Sensitive: []string{"message"}},
	}}
	noop := applyLogged(t, cat, Options{Noop: true, ShowDiff: true})
	logs := noop + applyLogged(t, cat, Options{ShowDiff: true})
	if strings.Contains(logs, "s3cret") {
		t.Errorf("the logs show the secret:\n%s", logs)
	}
	for _, want := range []string{
		"File[" + path + "]/content: current_value [redacted], should be [redacted] (noop)",
		"File[" + path + "]/content: changed [redacted] to [redacted]",
		"File[" + path + ".new]/ensure: changed [redacted] to [redacted]",
		"Notify[n]/message: changed [redacted] to [redacted]",
		"Sensitive [value redacted]",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("no line %q in:\n%s", want, logs)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != "new s3cret\n" {
		t.Errorf("the file has %q: the resource did not get the value", got)
	}
}

func TestDeferredResolvedOnTheNode(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "token"), filepath.Join(dir, "conf")
	if err := os.WriteFile(src, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	content := &catalog.Deferred{Name: "sprintf", Arguments: []any{"token=%s port=%05d %s\n",
		&catalog.Deferred{Name: "file", Arguments: []any{filepath.Join(dir, "missing"), src}},
		int64(80),
		&catalog.Deferred{Name: "join", Arguments: []any{[]any{"a", "b"}, "-"}}}}
	cat := &catalog.Catalog{Name: "n", Resources: []*catalog.Resource{
		{Type: "File", Title: dst, Parameters: map[string]any{"path": dst, "content": content}},
	}}
	applyLogged(t, cat, Options{})
	if got, _ := os.ReadFile(dst); string(got) != "token=abc port=00080 a-b\n" {
		t.Errorf("content %q", got)
	}
	if _, still := cat.Resources[0].Parameters["content"].(*catalog.Deferred); !still {
		t.Error("Apply changed the caller's catalog")
	}

	cat.Resources[0].Parameters["content"] = &catalog.Deferred{Name: "vault_lookup::lookup"}
	_, err := Apply(context.Background(), cat, Options{})
	if err == nil || !strings.Contains(err.Error(), "Deferred function 'vault_lookup::lookup' is not available on the node") {
		t.Errorf("unknown node function: %v", err)
	}
}
