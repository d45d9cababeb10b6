package resources

import (
	"context"
	"net/netip"
	"regexp"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The host type manages one entry of an /etc/hosts-format file (Puppet's
// host_core module). Only the entry's own line is touched: other lines,
// comments and blank lines stay as they are, and the file is replaced
// atomically. An entry is written as Puppet's parsed provider writes it,
// fields separated by tabs and the comment last: "ip\tname\talias\t# comment".
func init() {
	Register(&Type{
		Name: "host",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "ip"}, {Name: "host_aliases"},
			{Name: "comment"}, {Name: "target"}, {Name: "provider"},
		},
		New:       newHost,
		Instances: hostInstances,
	})
}

const defaultHostsFile = "/etc/hosts"

type hostRes struct {
	name       string
	absent     bool
	ip         string
	aliases    []string
	hasAliases bool
	comment    *string
	target     string
}

// hostEntry is one parsed line of a hosts file.
type hostEntry struct {
	ip, name string
	aliases  []string
	comment  string
}

// hostnamePart is one label of a host name as Puppet's host type accepts
// it (letters, digits, hyphens and underscores, not starting or ending
// with a hyphen).
var hostnamePart = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

func validHostname(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, part := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !hostnamePart.MatchString(part) {
			return false
		}
	}
	return true
}

func newHost(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	h := &hostRes{
		name:    p.namevar(),
		absent:  p.enum("ensure", "present", "present", "absent") == "absent",
		ip:      p.strOr("ip", ""),
		comment: optStr(p, "comment"),
		target:  p.strOr("target", defaultHostsFile),
	}
	p.enum("provider", "parsed", "parsed")
	h.aliases, h.hasAliases = p.optList("host_aliases")
	if !validHostname(h.name) {
		p.failf("name", "Invalid host name")
	}
	for _, a := range h.aliases {
		switch {
		case a == "":
			p.failf("host_aliases", "Host aliases cannot be an empty string. Use an empty array to delete all host_aliases")
		case strings.ContainsAny(a, " \t"):
			p.failf("host_aliases", "Host aliases cannot include whitespace")
		case !validHostname(a):
			p.failf("host_aliases", "Invalid host alias %q", a)
		}
	}
	if h.ip != "" {
		if _, err := netip.ParseAddr(h.ip); err != nil {
			p.failf("ip", "Invalid IP address %q", h.ip)
		}
	} else if !h.absent {
		p.failf("ip", "ip is a required attribute for hosts")
	}
	if h.comment != nil && strings.Contains(*h.comment, "\n") {
		p.failf("comment", "Comment cannot include newline")
	}
	if !absPath(h.target) {
		p.failf("target", "target must be an absolute path, not %q", h.target)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return h, nil
}

// parseHostLine parses one line; ok is false for blank and comment lines.
func parseHostLine(line string) (e hostEntry, ok bool) {
	body, comment, hasComment := strings.Cut(line, "#")
	fields := strings.Fields(body)
	if len(fields) < 2 {
		return e, false
	}
	e = hostEntry{ip: fields[0], name: fields[1], aliases: fields[2:]}
	if hasComment {
		e.comment = strings.TrimSpace(comment)
	}
	return e, true
}

func (e hostEntry) line() string {
	fields := append([]string{e.ip, e.name}, e.aliases...)
	if e.comment != "" {
		fields = append(fields, "# "+e.comment)
	}
	return strings.Join(fields, "\t")
}

// find returns the index of the entry's first line, or -1.
func (h *hostRes) find(lines []string) (int, hostEntry) {
	for i, l := range lines {
		if e, ok := parseHostLine(l); ok && e.name == h.name {
			return i, e
		}
	}
	return -1, hostEntry{}
}

// want returns the entry as it should be, starting from the current one so
// that properties the manifest leaves out are kept.
func (h *hostRes) want(cur hostEntry) hostEntry {
	w := hostEntry{ip: h.ip, name: h.name, aliases: cur.aliases, comment: cur.comment}
	if h.hasAliases {
		w.aliases = h.aliases
	}
	if h.comment != nil {
		w.comment = *h.comment
	}
	return w
}

func (h *hostRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	lines, err := readLines(h.target)
	if err != nil {
		return nil, err
	}
	i, cur := h.find(lines)
	switch {
	case h.absent && i < 0:
		return nil, nil
	case h.absent:
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	case i < 0:
		return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
	}
	w := h.want(cur)
	var changes []Change
	if cur.ip != w.ip {
		changes = append(changes, changed("ip", ppQuote(cur.ip), ppQuote(w.ip)))
	}
	if strings.Join(cur.aliases, " ") != strings.Join(w.aliases, " ") {
		// Puppet shows aliases space-separated, without quotes.
		changes = append(changes, changed("host_aliases", strings.Join(cur.aliases, " "), strings.Join(w.aliases, " ")))
	}
	if cur.comment != w.comment {
		changes = append(changes, changed("comment", ppQuote(cur.comment), ppQuote(w.comment)))
	}
	return changes, nil
}

func (h *hostRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	lines, err := readLines(h.target)
	if err != nil {
		return err
	}
	i, cur := h.find(lines)
	switch {
	case h.absent:
		// Every line of the name goes, so a duplicate cannot come back.
		kept := lines[:0]
		for _, l := range lines {
			if e, ok := parseHostLine(l); !ok || e.name != h.name {
				kept = append(kept, l)
			}
		}
		lines = kept
	case i < 0:
		lines = append(lines, h.want(hostEntry{}).line())
	default:
		lines[i] = h.want(cur).line()
	}
	return replaceTextFile(env, h.target, joinLines(lines), 0o644)
}

// hostInstances lists the entries of /etc/hosts for `gapply resource host`.
func hostInstances(ctx context.Context) ([]*catalog.Resource, error) {
	lines, err := readLines(defaultHostsFile)
	if err != nil {
		return nil, err
	}
	var out []*catalog.Resource
	seen := map[string]bool{}
	for _, l := range lines {
		e, ok := parseHostLine(l)
		if !ok || seen[e.name] {
			continue
		}
		seen[e.name] = true
		params := map[string]any{"ensure": "present", "ip": e.ip, "target": defaultHostsFile}
		if len(e.aliases) > 0 {
			params["host_aliases"] = toAnyList(e.aliases)
		}
		if e.comment != "" {
			params["comment"] = e.comment
		}
		out = append(out, &catalog.Resource{Type: "Host", Title: e.name, Parameters: params})
	}
	return out, nil
}
