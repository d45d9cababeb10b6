package resources

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/gapply/gapply/catalog"
)

// Autorequire lists what r depends on without saying so: the relationships
// Puppet adds by itself, which manifests written for Puppet rely on. has
// reports whether a resource is in the catalog (by title or namevar), and
// only those are returned. The rules are Puppet 7's:
//
//   - file: its nearest managed ancestor directory, a link's target, its
//     owner (User) and group (Group) when given by name;
//   - exec: its cwd, and each fully qualified program at the start of a
//     line of command, onlyif and unless (File), its user (User);
//   - user: its primary group (gid, by name) and its groups (Group);
//   - cron and ssh_authorized_key: their user (User);
//   - file_line: the file it edits (File).
//
// Like Puppet, and unlike what some expect, a service does not depend on
// the package of the same name, nor a package on anything: say so with
// require. Other types have no automatic relationships.
func Autorequire(r *catalog.Resource, has func(catalog.Ref) bool) []catalog.Ref {
	c := autoreqs{self: r.Ref(), has: has}
	// A switch of direct calls, not a map of functions, and no lowered
	// copy of the type: the graph of a large catalog calls this for every
	// resource, and this way c stays on the stack.
	switch t := r.Type; {
	case strings.EqualFold(t, "file"):
		c.file(r)
	case strings.EqualFold(t, "exec"):
		c.exec(r)
	case strings.EqualFold(t, "user"):
		c.user(r)
	case strings.EqualFold(t, "cron"), strings.EqualFold(t, "ssh_authorized_key"):
		c.addName("User", paramString(r, "user"))
	case strings.EqualFold(t, "file_line"):
		c.add("File", paramString(r, "path"))
	}
	return c.refs
}

// autoreqs collects the references of one resource.
type autoreqs struct {
	self catalog.Ref
	has  func(catalog.Ref) bool
	refs []catalog.Ref
}

// add keeps typ[title] if it names a managed resource other than the one
// whose references these are, once; it reports whether it names one.
func (c *autoreqs) add(typ, title string) bool {
	ref := catalog.Ref{Type: typ, Title: title}
	if title == "" || ref == c.self || slices.Contains(c.refs, ref) || !c.has(ref) {
		return false
	}
	c.refs = append(c.refs, ref)
	return true
}

// addName adds an account given by name; Puppet does not autorequire one
// given by number.
func (c *autoreqs) addName(typ, name string) {
	if name != "" && strings.Trim(name, "0123456789") != "" {
		c.add(typ, name)
	}
}

func (c *autoreqs) file(r *catalog.Resource) {
	path := paramString(r, "path")
	if path == "" {
		path = r.Title
	}
	if filepath.IsAbs(path) {
		for dir := filepath.Dir(filepath.Clean(path)); ; dir = filepath.Dir(dir) {
			if c.add("File", dir) || dir == "/" {
				break
			}
		}
	}
	if t := linkTarget(r); filepath.IsAbs(t) {
		c.add("File", filepath.Clean(t))
	}
	c.addName("User", paramString(r, "owner"))
	c.addName("Group", paramString(r, "group"))
}

func (c *autoreqs) exec(r *catalog.Resource) {
	c.add("File", paramString(r, "cwd"))
	for _, name := range []string{"command", "onlyif", "unless"} {
		cmds := paramStrings(r, name)
		if name == "command" && cmds == nil {
			cmds = []string{r.Title} // the namevar
		}
		for _, cmd := range cmds {
			programsOf(cmd, func(p string) { c.add("File", p) })
		}
	}
	c.addName("User", paramString(r, "user"))
}

func (c *autoreqs) user(r *catalog.Resource) {
	c.addName("Group", paramString(r, "gid"))
	for _, g := range paramStrings(r, "groups") {
		for name := range strings.SplitSeq(g, ",") {
			c.addName("Group", strings.TrimSpace(name))
		}
	}
}

// linkTarget is the target of a link: target, or an ensure that is not
// one of the keywords.
func linkTarget(r *catalog.Resource) string {
	if t := paramString(r, "target"); t != "" {
		return t
	}
	switch e := paramString(r, "ensure"); e {
	case "", "present", "file", "directory", "link", "absent":
		return ""
	default:
		return e
	}
}

// programsOf calls found with each fully qualified program that starts a
// line of cmd (/usr/bin/x args), or that starts it in double quotes, as
// Puppet's exec finds them.
func programsOf(cmd string, found func(string)) {
	first := true
	for line := range strings.Lines(cmd) {
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "/") {
			if end := strings.IndexFunc(line, unicode.IsSpace); end >= 0 {
				found(line[:end])
			} else {
				found(line)
			}
		}
		if first && strings.HasPrefix(line, `"`) {
			if end := strings.IndexByte(line[1:], '"'); end > 0 {
				found(line[1 : 1+end])
			}
		}
		first = false
	}
}

// paramString reads a parameter that is a single value as a string; a
// list yields its first element. A string, the common case, is read
// without allocating.
func paramString(r *catalog.Resource, name string) string {
	if v, ok := r.Parameters[name].(string); ok {
		return v
	}
	if s := paramStrings(r, name); len(s) > 0 {
		return s[0]
	}
	return ""
}

// paramStrings reads a parameter that may be one value or a list.
func paramStrings(r *catalog.Resource, name string) []string {
	switch v := r.Parameters[name].(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if e != nil {
				out = append(out, fmt.Sprint(e))
			}
		}
		return out
	case []string:
		return v
	default:
		return []string{fmt.Sprint(v)}
	}
}
