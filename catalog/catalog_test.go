package catalog

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr bool
	}{
		{in: "File[/etc/motd]", want: Ref{"File", "/etc/motd"}},
		{in: "file[/etc/motd]", want: Ref{"File", "/etc/motd"}},
		{in: "apache::VHOST[default]", want: Ref{"Apache::Vhost", "default"}},
		{in: "Exec[echo [x]]", want: Ref{"Exec", "echo [x]"}},
		{in: "Notify[]", want: Ref{"Notify", ""}},
		{in: "File", wantErr: true},
		{in: "[x]", wantErr: true},
		{in: "File[x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseRef(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRef(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		if err == nil {
			if back, _ := ParseRef(got.String()); back != got {
				t.Errorf("ParseRef(%q).String() does not round-trip: %q", tt.in, got.String())
			}
		}
	}
}

func sample() *Catalog {
	return &Catalog{
		Name:        "web1.example.com",
		Version:     "abc123",
		Environment: "production",
		Resources: []*Resource{
			{Type: "File", Title: "/etc/motd", File: "site.pp", Line: 3, Tags: []string{"file"},
				Parameters: map[string]any{
					"content": "hi <there> & \"you\"\n",
					"mode":    "0644",
					"count":   int64(3),
					"ratio":   1.5,
					"list":    []any{"a", int64(1), true, nil},
					"hash":    map[string]any{"k": map[string]any{"n": int64(7)}},
				}},
			{Type: "Exec", Title: "refresh", Parameters: map[string]any{"command": "/bin/true"}},
		},
		Edges: []Edge{{Source: Ref{"File", "/etc/motd"}, Target: Ref{"Exec", "refresh"}, Refresh: true}},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := sample()
	data, err := c.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	// References are written in Puppet's Type[title] form, and HTML
	// characters stay as they are, so the JSON reads like the manifest.
	for _, want := range []string{`"source": "File[/etc/motd]"`, `"refresh": true`, `hi <there> & \"you\"\n`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, data)
		}
	}
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, err := back.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Errorf("marshalling is not deterministic:\n%s\n---\n%s", data, again)
	}
}

func TestUnmarshalRejectsBadReferences(t *testing.T) {
	_, err := Unmarshal([]byte(`{"resources": [], "edges": [{"source": "nonsense", "target": "File[/x]"}]}`))
	if err == nil {
		t.Fatal("want an error for an edge with an invalid reference")
	}
}

func TestLookup(t *testing.T) {
	c := sample()
	if r := c.Lookup(Ref{"Exec", "refresh"}); r == nil || r.Parameters["command"] != "/bin/true" {
		t.Errorf("Lookup(Exec[refresh]) = %v", r)
	}
	if r := c.Lookup(Ref{"Exec", "missing"}); r != nil {
		t.Errorf("Lookup of a missing resource = %v, want nil", r)
	}
}
