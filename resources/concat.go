package resources

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// concat and concat::fragment are puppetlabs-concat's types, native: a
// file assembled from fragments that any class may declare (apache's
// ports.conf, haproxy's config). Puppet's module implements them as
// defined types over concat_file and concat_fragment; gapply keeps the
// user-facing names and parameters.
//
// Design. A resource sees only its own catalog entry, but a concat needs
// every fragment of the catalog: it reads them from Env.Catalog when it
// is checked, renders the content, and delegates the rest to a file
// resource built on the spot (atomic write, filebucket backup, mode,
// owner, group, replace, validate_cmd, diff), so a concat behaves exactly
// as the equivalent file. Relationships need one more step, because
// Puppet users write them on fragments (a fragment that notifies a
// service must restart it when the file changes, and a fragment that
// requires a package must delay the file): DerivedEdges gives the engine,
// once per graph, every edge of a fragment copied onto its concat, plus
// fragment -> concat; the fragment itself never changes. The catalog
// stays as the manifest wrote it.

func init() {
	Register(&Type{
		Name: "concat",
		Params: []Param{
			{Name: "path", Namevar: true},
			{Name: "ensure"}, {Name: "owner"}, {Name: "group"}, {Name: "mode"},
			{Name: "warn"}, {Name: "show_diff"}, {Name: "backup"}, {Name: "replace"},
			{Name: "validate_cmd"}, {Name: "order"}, {Name: "ensure_newline"},
			{Name: "force"}, {Name: "format"}, {Name: "create_empty_file"},
			{Name: "selinux_ignore_defaults"}, {Name: "selrange"}, {Name: "selrole"},
			{Name: "seltype"}, {Name: "seluser"},
		},
		New: newConcat,
	})
	Register(&Type{
		Name: "concat::fragment",
		Params: []Param{
			{Name: "name", Namevar: true},
			{Name: "target", Required: true},
			{Name: "content"}, {Name: "source"}, {Name: "order"},
		},
		New: newFragment,
	})
	derivers = append(derivers, concatEdges)
}

// concatWarning is the header of warn => true, puppetlabs-concat's.
const concatWarning = "# This file is managed by Puppet. DO NOT EDIT.\n"

type concatRes struct {
	ref           catalog.Ref
	path          string
	absent        bool
	warn          string
	numeric       bool
	ensureNewline bool
	// fileParams are passed to the file resource that writes the result.
	fileParams map[string]any
}

func newConcat(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("concat"), r)
	c := &concatRes{ref: r.Ref(), path: p.namevar(), fileParams: map[string]any{}}
	if e, ok := p.str("ensure"); ok && e != "present" && e != "absent" {
		p.fail("ensure", "Invalid value '%s'. Valid values are present, absent.", e)
	} else {
		c.absent = e == "absent"
	}
	switch w := p.value("warn").(type) {
	case nil, bool:
		if w == true {
			c.warn = concatWarning
		}
	case string:
		switch w {
		case "true", "yes", "on":
			c.warn = concatWarning
		case "false", "no", "off", "":
		default:
			c.warn = w
		}
	default:
		p.fail("warn", "expects a Boolean or a String, got %v", w)
	}
	if o, ok := p.str("order"); ok && o != "alpha" && o != "numeric" {
		p.fail("order", "Invalid value '%s'. Valid values are alpha, numeric.", o)
	} else {
		c.numeric = o == "numeric"
	}
	c.ensureNewline = p.boolean("ensure_newline", false)
	for _, name := range []string{"owner", "group", "mode", "backup", "replace", "validate_cmd", "show_diff"} {
		if v, ok := r.Parameters[name]; ok {
			c.fileParams[name] = v
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if _, err := c.file("", false); err != nil {
		return nil, err
	}
	return c, nil
}

// file builds the file resource that writes content (or removes the
// file).
func (c *concatRes) file(content string, withContent bool) (Resource, error) {
	params := map[string]any{"path": c.path, "ensure": "file"}
	for k, v := range c.fileParams {
		params[k] = v
	}
	if c.absent {
		params["ensure"] = "absent"
	} else if withContent {
		params["content"] = content
	}
	return newFile(&catalog.Resource{Type: "File", Title: c.path, Parameters: params})
}

func (c *concatRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	f, err := c.render(env)
	if err != nil {
		return nil, err
	}
	return f.Check(ctx, env)
}

// Apply renders again (fragments' sources may have changed since Check
// only in a way Check would have seen anyway) and applies the file.
func (c *concatRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	f, err := c.render(env)
	if err != nil {
		return err
	}
	if _, err := f.Check(ctx, env); err != nil {
		return err
	}
	return f.Apply(ctx, env, changes)
}

// render gathers the fragments of the concat from the catalog, in order,
// and returns the file resource for the result.
func (c *concatRes) render(env *Env) (Resource, error) {
	if c.absent {
		return c.file("", false)
	}
	var frags []fragmentEntry
	if env != nil && env.Catalog != nil {
		for _, r := range env.Catalog.Resources {
			if !strings.EqualFold(r.Type, "Concat::Fragment") || !c.targets(r) {
				continue
			}
			text, err := fragmentContent(r, env.ModulePath)
			if err != nil {
				return nil, err
			}
			frags = append(frags, fragmentEntry{key: fragmentKey(r), text: text})
		}
	}
	sortFragments(frags, c.numeric)
	var b strings.Builder
	b.WriteString(c.warn)
	for _, f := range frags {
		b.WriteString(f.text)
		if c.ensureNewline && !strings.HasSuffix(f.text, "\n") {
			b.WriteByte('\n')
		}
	}
	return c.file(b.String(), true)
}

// targets reports whether fragment r belongs to c: its target is c's
// title or path.
func (c *concatRes) targets(r *catalog.Resource) bool {
	t := attrString(r.Parameters["target"])
	return t == c.ref.Title || t == c.path
}

type fragmentEntry struct {
	key  string
	text string
}

// fragmentKey is puppetlabs-concat's sort key: "ORDER___TITLE".
func fragmentKey(r *catalog.Resource) string {
	order := "10"
	if o, ok := r.Parameters["order"]; ok && o != nil {
		order = attrString(o)
	}
	return order + "___" + r.Title
}

// sortFragments orders by key as strings (order => alpha, the default:
// '10' sorts before '9') or, with numeric, by each ___-separated part,
// numbers by value and before words.
func sortFragments(frags []fragmentEntry, numeric bool) {
	sort.SliceStable(frags, func(i, j int) bool {
		if !numeric {
			return frags[i].key < frags[j].key
		}
		a, b := strings.Split(frags[i].key, "___"), strings.Split(frags[j].key, "___")
		for k := 0; k < len(a) && k < len(b); k++ {
			if c := comparePart(a[k], b[k]); c != 0 {
				return c < 0
			}
		}
		return len(a) < len(b)
	})
}

func comparePart(a, b string) int {
	na, errA := strconv.ParseInt(a, 10, 64)
	nb, errB := strconv.ParseInt(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return int(na - nb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// fragmentContent is a fragment's content, or the content of the first
// of its sources that exists.
func fragmentContent(r *catalog.Resource, modulePath []string) (string, error) {
	if c, ok := r.Parameters["content"]; ok && c != nil {
		return attrString(c), nil
	}
	var srcs []string
	switch s := r.Parameters["source"].(type) {
	case string:
		srcs = []string{s}
	case []any:
		for _, x := range s {
			srcs = append(srcs, attrString(x))
		}
	}
	for _, s := range srcs {
		if p, ok := sourcePath(s, modulePath); ok {
			data, err := os.ReadFile(p)
			if err != nil {
				return "", fmt.Errorf("%s: %w", r.Ref(), err)
			}
			return string(data), nil
		}
	}
	if len(srcs) > 0 {
		return "", fmt.Errorf("%s: Could not retrieve source(s) %s", r.Ref(), strings.Join(srcs, ", "))
	}
	return "", nil
}

// fragment is a concat::fragment: it changes nothing itself; its concat
// reads it from the catalog.
type fragment struct {
	res *catalog.Resource
}

func newFragment(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("concat::fragment"), r)
	_, hasContent := r.Parameters["content"]
	_, hasSource := r.Parameters["source"]
	if hasContent && hasSource {
		p.fail("content", "Can't use 'source' and 'content' at the same time.")
	}
	if !hasContent && !hasSource {
		p.fail("content", "One of 'source' or 'content' is required.")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return &fragment{res: r}, nil
}

// Check fails when no concat of the catalog is the fragment's target, as
// puppetlabs-concat does; a fragment is otherwise always in sync.
func (f *fragment) Check(ctx context.Context, env *Env) ([]Change, error) {
	if env == nil || env.Catalog == nil {
		return nil, nil
	}
	if _, ok := concatOf(env.Catalog, f.res); !ok {
		return nil, fmt.Errorf("no concat: target Concat with path or title '%s' not found in the catalog", attrString(f.res.Parameters["target"]))
	}
	return nil, nil
}

func (f *fragment) Apply(ctx context.Context, env *Env, changes []Change) error { return nil }

// concatOf finds the concat a fragment targets, by title or path.
func concatOf(cat *catalog.Catalog, frag *catalog.Resource) (catalog.Ref, bool) {
	target := attrString(frag.Parameters["target"])
	for _, r := range cat.Resources {
		if !strings.EqualFold(r.Type, "Concat") {
			continue
		}
		if r.Title == target || attrString(r.Parameters["path"]) == target {
			return r.Ref(), true
		}
	}
	return catalog.Ref{}, false
}

// concatEdges: each fragment comes before its concat, and the concat
// takes part in every relationship of its fragments, so a fragment's
// notify fires when the file changes.
func concatEdges(cat *catalog.Catalog) []catalog.Edge {
	owner := map[catalog.Ref]catalog.Ref{}
	for _, r := range cat.Resources {
		if strings.EqualFold(r.Type, "Concat::Fragment") {
			if c, ok := concatOf(cat, r); ok {
				owner[normalRef(r.Ref())] = c
			}
		}
	}
	if len(owner) == 0 {
		return nil
	}
	var out []catalog.Edge
	for frag, c := range owner {
		out = append(out, catalog.Edge{Source: frag, Target: c})
	}
	for _, e := range cat.Edges {
		if c, ok := owner[normalRef(e.Source)]; ok && normalRef(e.Target) != c {
			out = append(out, catalog.Edge{Source: c, Target: e.Target, Refresh: e.Refresh})
		}
		if c, ok := owner[normalRef(e.Target)]; ok && normalRef(e.Source) != c {
			out = append(out, catalog.Edge{Source: e.Source, Target: c, Refresh: e.Refresh})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source.String() < out[j].Source.String()
		}
		return out[i].Target.String() < out[j].Target.String()
	})
	return out
}

func normalRef(r catalog.Ref) catalog.Ref {
	return catalog.Ref{Type: catalog.CapitalizeType(r.Type), Title: r.Title}
}

// derivers compute edges that follow from the catalog's resources.
var derivers []func(*catalog.Catalog) []catalog.Edge

// DerivedEdges returns the relationships the catalog implies beyond its
// own edges, for the engine to add when it builds the graph: today those
// of concat fragments (see concat.go).
func DerivedEdges(cat *catalog.Catalog) []catalog.Edge {
	var out []catalog.Edge
	for _, d := range derivers {
		out = append(out, d(cat)...)
	}
	return out
}
