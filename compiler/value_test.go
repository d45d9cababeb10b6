package compiler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gapply/gapply/catalog"
)

func TestToData(t *testing.T) {
	h := NewHash()
	h.Set("b", []any{int64(1), catalog.Ref{Type: "File", Title: "/x"}, nil})
	h.Set("a", 2.5)
	h.Set(int64(3), true)
	got := ToData(h)
	want := map[string]any{
		"b": []any{int64(1), "File[/x]", nil},
		"a": 2.5,
		"3": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToData (-want +got):\n%s", diff)
	}
}

func TestFromDataSortsKeys(t *testing.T) {
	h := FromData(map[string]any{"z": 1, "a": map[string]any{"y": "x"}}).(*Hash)
	if got := ToString(h); got != "{a => {y => x}, z => 1}" {
		t.Errorf("got %q", got)
	}
}

func TestHashKeepsOrderAndKeyTypes(t *testing.T) {
	h := NewHash()
	h.Set("1", "string key")
	h.Set(int64(1), "integer key")
	h.Set("1", "replaced")
	if h.Len() != 2 || ToString(h) != "{1 => replaced, 1 => integer key}" {
		t.Errorf("got %d entries: %s", h.Len(), ToString(h))
	}
}

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 2.5: "2.5", 1e20: "1.0e+20", 0.00001: "1.0e-05", -3: "-3.0"} {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"ensure", "mode", "owner", "group", "content"}
	for in, want := range map[string]string{"mdoe": "mode", "ensrue": "ensure", "contnet": "content", "xyz": "", "onwer": "owner"} {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
