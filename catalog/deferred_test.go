package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func deferredCatalog() *Catalog {
	return &Catalog{Name: "n", Resources: []*Resource{
		{Type: "File", Title: "/a", Parameters: map[string]any{
			"content": &Deferred{Name: "join", Arguments: []any{[]any{"x", &Deferred{Name: "up", Arguments: []any{"y"}}}, int64(1)}},
			"mode":    "0600",
		}},
		{Type: "File", Title: "/b", Parameters: map[string]any{"content": "plain"}},
	}}
}

// TestDeferredJSON: the rich-data form survives a master-to-agent trip.
func TestDeferredJSON(t *testing.T) {
	cat := deferredCatalog()
	data, err := cat.MarshalIndentSensitive()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"__ptype": "Deferred"`) {
		t.Fatalf("no rich-data form:\n%s", data)
	}
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cat.Resources, back.Resources); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestResolveDeferred(t *testing.T) {
	cat := deferredCatalog()
	var calls []string
	fns := map[string]DeferredFunc{
		"up": func(args []any) (any, error) {
			calls = append(calls, "up")
			return strings.ToUpper(args[0].(string)), nil
		},
		"join": func(args []any) (any, error) {
			calls = append(calls, "join")
			parts := args[0].([]any)
			return parts[0].(string) + parts[1].(string), nil
		},
	}
	got, err := ResolveDeferred(cat, fns)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Resources[0].Parameters["content"]; c != "xY" {
		t.Errorf("content = %v, want xY", c)
	}
	if diff := cmp.Diff([]string{"up", "join"}, calls); diff != "" {
		t.Errorf("inner calls first (-want +got):\n%s", diff)
	}
	if _, still := cat.Resources[0].Parameters["content"].(*Deferred); !still {
		t.Error("the caller's catalog was changed")
	}
	if got.Resources[1] != cat.Resources[1] {
		t.Error("a resource without Deferred values was copied")
	}

	_, err = ResolveDeferred(cat, map[string]DeferredFunc{"up": fns["up"]})
	if err == nil || err.Error() != "File[/a]: parameter 'content': Deferred function 'join' is not available on the node" {
		t.Errorf("unknown function: %v", err)
	}
	boom := errors.New("boom")
	_, err = ResolveDeferred(cat, map[string]DeferredFunc{"up": func([]any) (any, error) { return nil, boom }, "join": fns["join"]})
	if !errors.Is(err, boom) {
		t.Errorf("failing function: %v", err)
	}
}

func TestMarshalRedactsSensitive(t *testing.T) {
	cat := &Catalog{Resources: []*Resource{{Type: "User", Title: "u",
		Parameters: map[string]any{"password": "$6$hash", "name": "u"}, Sensitive: []string{"password"}}}}
	out, err := cat.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "$6$hash") || !strings.Contains(string(out), `"password": "Sensitive [value redacted]"`) {
		t.Errorf("not redacted:\n%s", out)
	}
	if cat.Resources[0].Parameters["password"] != "$6$hash" {
		t.Error("marshalling changed the catalog")
	}
	full, _ := cat.MarshalIndentSensitive()
	back, err := Unmarshal(full)
	if err != nil {
		t.Fatal(err)
	}
	if r := back.Resources[0]; r.Parameters["password"] != "$6$hash" || !r.IsSensitive("password") {
		t.Errorf("agent's copy: %v %v", r.Parameters, r.Sensitive)
	}
}
