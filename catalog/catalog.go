// Package catalog is the contract between the two halves of gapply: everything
// above it (parser, compiler, masters) produces catalogs, everything below it
// (engine, resources, report) consumes them.
//
// # JSON form
//
// A catalog marshals to a stable, documented JSON document:
//
//	{
//	  "name": "node.example.com",          // the node the catalog is for
//	  "version": "1732550000",              // config version (commit id or time)
//	  "environment": "production",
//	  "code_id": "",                        // optional identifier of the code
//	  "resources": [
//	    {"type": "File", "title": "/etc/motd",
//	     "parameters": {"ensure": "file", "content": "hi\n"},
//	     "tags": ["file", "class"], "file": "site.pp", "line": 3}
//	  ],
//	  "edges": [
//	    {"source": "File[/etc/motd]", "target": "Exec[refresh]", "refresh": true}
//	  ]
//	}
//
// Resources appear in manifest (evaluation) order, which is also Puppet's
// default apply order among resources that have no relationship. Parameter
// values are JSON values: strings, numbers, booleans, null (undef), arrays and
// objects. Relationship metaparameters (require, before, notify, subscribe)
// and chaining arrows never stay in parameters: the compiler turns each into
// an edge whose source must be applied before its target; refresh marks the
// edges along which refresh events flow (notify, subscribe, ~>). Marshalling
// is deterministic (map keys are sorted by encoding/json), so a catalog
// compiled on a master and one compiled locally are the same bytes for the
// same inputs.
//
// # Sensitive and Deferred parameters
//
// A parameter whose value was Sensitive in the manifest holds the plain
// value, and its name is listed in the resource's "sensitive_parameters"
// (Puppet's name), so that the engine can give the value to the resource
// and keep it out of logs, diffs and reports. MarshalIndent, which prints
// catalogs for people (gapply compile), writes such values as
// "Sensitive [value redacted]"; MarshalIndentSensitive writes them as they
// are, for the one use that needs them: a master sending an agent its
// catalog. A Deferred value (see Deferred) is written in its rich-data
// form and resolved by the engine on the node.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Catalog is a compiled set of resources and the relationships between them.
type Catalog struct {
	Name        string      `json:"name"`
	Version     string      `json:"version"`
	Environment string      `json:"environment"`
	CodeID      string      `json:"code_id,omitempty"`
	Resources   []*Resource `json:"resources"`
	Edges       []Edge      `json:"edges"`
}

// Resource is one resource declaration. Type is capitalised as in Puppet
// references ("File", "Exec", "Notify"); the resource's identity is Ref().
type Resource struct {
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Parameters map[string]any `json:"parameters"`
	Tags       []string       `json:"tags,omitempty"`
	File       string         `json:"file,omitempty"`
	Line       int            `json:"line,omitempty"`
	// Sensitive names the parameters whose values were Sensitive: they
	// are never printed (see the package documentation).
	Sensitive []string `json:"sensitive_parameters,omitempty"`
}

// Redacted is what a Sensitive value prints as, in Puppet's words.
const Redacted = "Sensitive [value redacted]"

// IsSensitive reports whether parameter name of r holds a Sensitive value.
func (r *Resource) IsSensitive(name string) bool {
	return slices.Contains(r.Sensitive, name)
}

// Edge says that Source is applied before Target. When Refresh is true, a
// change to Source also sends a refresh event to Target.
type Edge struct {
	Source  Ref  `json:"source"`
	Target  Ref  `json:"target"`
	Refresh bool `json:"refresh,omitempty"`
}

// Ref identifies a resource as Type[title], the way Puppet writes references.
type Ref struct {
	Type  string
	Title string
}

// Ref returns the reference that names r.
func (r *Resource) Ref() Ref { return Ref{Type: r.Type, Title: r.Title} }

// String formats the reference as Puppet does: File[/etc/motd].
func (r Ref) String() string { return r.Type + "[" + r.Title + "]" }

// MarshalText writes the reference in its Type[title] form.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a reference in its Type[title] form.
func (r *Ref) UnmarshalText(b []byte) error {
	p, err := ParseRef(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// ParseRef parses "Type[title]". The type is normalised to Puppet's
// capitalisation of each namespace segment (file -> File, foo::bar -> Foo::Bar).
func ParseRef(s string) (Ref, error) {
	open := strings.IndexByte(s, '[')
	if open <= 0 || !strings.HasSuffix(s, "]") {
		return Ref{}, fmt.Errorf("invalid resource reference %q: want Type[title]", s)
	}
	return Ref{Type: CapitalizeType(s[:open]), Title: s[open+1 : len(s)-1]}, nil
}

// CapitalizeType turns a type name into its reference form: "file" becomes
// "File" and "apache::vhost" becomes "Apache::Vhost".
func CapitalizeType(name string) string {
	segs := strings.Split(name, "::")
	for i, s := range segs {
		if s != "" {
			segs[i] = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
		}
	}
	return strings.Join(segs, "::")
}

// Lookup returns the resource named by ref, or nil.
func (c *Catalog) Lookup(ref Ref) *Resource {
	for _, r := range c.Resources {
		if r.Type == ref.Type && r.Title == ref.Title {
			return r
		}
	}
	return nil
}

// MarshalIndent returns the catalog's JSON form, indented for people, with a
// trailing newline. The values of sensitive parameters are redacted.
func (c *Catalog) MarshalIndent() ([]byte, error) {
	return c.redacted().MarshalIndentSensitive()
}

// MarshalIndentSensitive is MarshalIndent with the values of sensitive
// parameters as they are: the form a master sends to the agent that
// applies the catalog, over its mutually authenticated connection.
func (c *Catalog) MarshalIndentSensitive() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// redacted returns c, or a copy of it whose sensitive parameter values
// are Redacted.
func (c *Catalog) redacted() *Catalog {
	var out *Catalog
	for i, r := range c.Resources {
		if len(r.Sensitive) == 0 {
			continue
		}
		if out == nil {
			cp := *c
			cp.Resources = append([]*Resource(nil), c.Resources...)
			out = &cp
		}
		nr := *r
		nr.Parameters = make(map[string]any, len(r.Parameters))
		for k, v := range r.Parameters {
			if r.IsSensitive(k) {
				v = Redacted
			}
			nr.Parameters[k] = v
		}
		out.Resources[i] = &nr
	}
	if out == nil {
		return c
	}
	return out
}

// Unmarshal decodes a catalog from its JSON form. Whole numbers decode as
// int64 and others as float64, so that a decoded catalog holds the same Go
// values as a compiled one.
func Unmarshal(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding catalog: %w", err)
	}
	for _, r := range c.Resources {
		for k, v := range r.Parameters {
			r.Parameters[k] = NormalizeNumbers(v)
		}
	}
	return &c, nil
}

// NormalizeNumbers turns the numbers of a value decoded with
// json.Decoder.UseNumber (and the plain ints of YAML decoders) into the
// compiler's number types, in place: int64 for whole numbers, float64
// otherwise. The rich-data form of a Deferred becomes a *Deferred.
func NormalizeNumbers(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = NormalizeNumbers(v[i])
		}
	case map[string]any:
		if d, ok := deferredFromMap(v); ok {
			for i := range d.Arguments {
				d.Arguments[i] = NormalizeNumbers(d.Arguments[i])
			}
			return d
		}
		for k := range v {
			v[k] = NormalizeNumbers(v[k])
		}
	}
	return v
}
