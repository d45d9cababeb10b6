package resources

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

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
	rule, ok := autorequireRules[strings.ToLower(r.Type)]
	if !ok {
		return nil
	}
	var refs []catalog.Ref
	self := r.Ref()
	add := func(typ, title string) bool {
		ref := catalog.Ref{Type: typ, Title: title}
		if title == "" || ref == self || slices.Contains(refs, ref) || !has(ref) {
			return false
		}
		refs = append(refs, ref)
		return true
	}
	rule(r, add)
	return refs
}

// autorequireRules add the references of one resource; add reports
// whether the reference names a managed resource (and was kept).
var autorequireRules = map[string]func(r *catalog.Resource, add func(typ, title string) bool){
	"file": func(r *catalog.Resource, add func(string, string) bool) {
		path := paramString(r, "path")
		if path == "" {
			path = r.Title
		}
		if filepath.IsAbs(path) {
			for dir := filepath.Dir(filepath.Clean(path)); ; dir = filepath.Dir(dir) {
				if add("File", dir) || dir == "/" {
					break
				}
			}
		}
		if t := linkTarget(r); filepath.IsAbs(t) {
			add("File", filepath.Clean(t))
		}
		addName(add, "User", paramString(r, "owner"))
		addName(add, "Group", paramString(r, "group"))
	},
	"exec": func(r *catalog.Resource, add func(string, string) bool) {
		add("File", paramString(r, "cwd"))
		for _, name := range []string{"command", "onlyif", "unless"} {
			cmds := paramStrings(r, name)
			if name == "command" && cmds == nil {
				cmds = []string{r.Title} // the namevar
			}
			for _, cmd := range cmds {
				for _, p := range programsOf(cmd) {
					add("File", p)
				}
			}
		}
		addName(add, "User", paramString(r, "user"))
	},
	"user": func(r *catalog.Resource, add func(string, string) bool) {
		addName(add, "Group", paramString(r, "gid"))
		for _, g := range paramStrings(r, "groups") {
			for _, name := range strings.Split(g, ",") {
				addName(add, "Group", strings.TrimSpace(name))
			}
		}
	},
	"cron":               func(r *catalog.Resource, add func(string, string) bool) { addName(add, "User", paramString(r, "user")) },
	"ssh_authorized_key": func(r *catalog.Resource, add func(string, string) bool) { addName(add, "User", paramString(r, "user")) },
	"file_line":          func(r *catalog.Resource, add func(string, string) bool) { add("File", paramString(r, "path")) },
}

// addName adds an account given by name; Puppet does not autorequire one
// given by number.
func addName(add func(string, string) bool, typ, name string) {
	if name != "" && strings.Trim(name, "0123456789") != "" {
		add(typ, name)
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

// programsOf returns the fully qualified programs that start a line of
// cmd (/usr/bin/x args), or that start it in double quotes, as Puppet's
// exec finds them.
func programsOf(cmd string) []string {
	var progs []string
	for i, line := range strings.Split(cmd, "\n") {
		if strings.HasPrefix(line, "/") {
			progs = append(progs, strings.Fields(line)[0])
		}
		if i == 0 && strings.HasPrefix(line, `"`) {
			if end := strings.IndexByte(line[1:], '"'); end > 0 {
				progs = append(progs, line[1:1+end])
			}
		}
	}
	return progs
}

// paramString reads a parameter that is a single value as a string; a
// list yields its first element.
func paramString(r *catalog.Resource, name string) string {
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
