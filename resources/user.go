package resources

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The user type manages local accounts with the shadow tools (useradd,
// usermod, userdel), as Puppet's useradd provider does. State is read from
// /etc/passwd, /etc/group and /etc/shadow directly (see etcdb.go).
//
// Properties left out of the manifest are not managed. groups with
// membership => minimum (the default) only adds the listed supplementary
// groups; inclusive makes them the exact list. purge_ssh_keys => true is
// refused rather than silently ignored: it needs knowledge of the whole
// catalog that a single resource does not have.
func init() {
	Register(&Type{
		Name: "user",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "uid"}, {Name: "gid"},
			{Name: "groups"}, {Name: "membership"}, {Name: "home"}, {Name: "managehome"},
			{Name: "shell"}, {Name: "comment"}, {Name: "password"}, {Name: "system"},
			{Name: "allowdupe"}, {Name: "purge_ssh_keys"}, {Name: "provider"},
		},
		New:       newUser,
		Instances: userInstances,
	})
}

type userRes struct {
	name       string
	absent     bool
	uid        *int64
	gid        *string // a group name or number
	groups     []string
	hasGroups  bool
	inclusive  bool
	home       *string
	shell      *string
	comment    *string
	password   *string
	managehome bool
	system     bool
	allowdupe  bool

	// cur is the account as Check found it; nil when it does not exist.
	cur *passwdEntry
	// curGroups are the supplementary groups Check found, sorted.
	curGroups []string
}

func optStr(p *sysParams, name string) *string {
	if s, ok := p.str(name); ok {
		return &s
	}
	return nil
}

func newUser(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	u := &userRes{
		name:       p.namevar(),
		absent:     p.enum("ensure", "present", "present", "absent") == "absent",
		gid:        optStr(p, "gid"),
		home:       optStr(p, "home"),
		shell:      optStr(p, "shell"),
		comment:    optStr(p, "comment"),
		password:   optStr(p, "password"),
		managehome: p.boolean("managehome", false),
		system:     p.boolean("system", false),
		allowdupe:  p.boolean("allowdupe", false),
		inclusive:  p.enum("membership", "minimum", "minimum", "inclusive") == "inclusive",
	}
	p.enum("provider", "useradd", "useradd")
	if n, ok := p.integer("uid"); ok {
		u.uid = &n
	}
	u.groups, u.hasGroups = p.optList("groups")
	for _, g := range u.groups {
		if strings.Contains(g, ",") {
			p.failf("groups", "Group names must be provided as an array, not a comma-separated list.")
		}
		if g == "" {
			p.failf("groups", "Group names must not be empty. If you want to specify \"no groups\" pass an empty array")
		}
	}
	if u.home != nil && !absPath(*u.home) {
		p.failf("home", "Home directory must be fully qualified, not %q", *u.home)
	}
	if u.comment != nil && strings.ContainsAny(*u.comment, ":\n") {
		p.failf("comment", "Invalid value %q: a comment cannot contain ':' or a newline", *u.comment)
	}
	if u.password != nil && strings.Contains(*u.password, ":") {
		p.failf("password", "Passwords cannot include ':'")
	}
	if p.boolean("purge_ssh_keys", false) {
		p.failf("purge_ssh_keys", "purge_ssh_keys => true is not supported by gapply")
	}
	if u.name == "" || strings.ContainsAny(u.name, ":\n ") {
		p.failf("name", "Invalid user name %q", u.name)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return u, nil
}

// read finds the account and its supplementary groups.
func (u *userRes) read() error {
	users, err := readPasswd()
	if err != nil {
		return err
	}
	u.cur = nil
	for i := range users {
		if users[i].Name == u.name {
			e := users[i]
			u.cur = &e
			break
		}
	}
	groups, err := readGroups()
	if err != nil {
		return err
	}
	u.curGroups = supplementaryGroups(groups, u.name)
	return nil
}

// supplementaryGroups lists, sorted, the groups that name user is a
// member of in /etc/group.
func supplementaryGroups(groups []groupEntry, user string) []string {
	var out []string
	for _, g := range groups {
		for _, m := range g.Members {
			if m == user {
				out = append(out, g.Name)
				break
			}
		}
	}
	return uniqSorted(out)
}

// wantGroups is the supplementary group list the user should end with.
func (u *userRes) wantGroups() []string {
	if u.inclusive {
		return uniqSorted(u.groups)
	}
	return uniqSorted(append(append([]string(nil), u.curGroups...), u.groups...))
}

func (u *userRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	if err := u.read(); err != nil {
		return nil, err
	}
	switch {
	case u.absent && u.cur == nil:
		return nil, nil
	case u.absent:
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	case u.cur == nil:
		return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
	}
	var changes []Change
	cur := u.cur
	if u.uid != nil && *u.uid != cur.UID {
		changes = append(changes, changed("uid", strconv.FormatInt(cur.UID, 10), strconv.FormatInt(*u.uid, 10)))
	}
	if u.gid != nil {
		groups, err := readGroups()
		if err != nil {
			return nil, err
		}
		want, found := groupGID(groups, *u.gid)
		switch {
		case !found:
			// The group may be created later in this run; usermod
			// resolves the name when it runs.
			changes = append(changes, changed("gid", strconv.FormatInt(cur.GID, 10), ppQuote(*u.gid)))
		case want != cur.GID:
			changes = append(changes, changed("gid", strconv.FormatInt(cur.GID, 10), strconv.FormatInt(want, 10)))
		}
	}
	if u.hasGroups {
		if want := u.wantGroups(); !sameSet(want, u.curGroups) {
			from := strings.Join(u.curGroups, ",")
			if from == "" {
				from = "''"
			}
			changes = append(changes, changed("groups", from, ppArray(want)))
		}
	}
	for _, s := range []struct {
		prop      string
		want      *string
		cur       string
		sensitive bool
	}{
		{"home", u.home, cur.Home, false},
		{"shell", u.shell, cur.Shell, false},
		{"comment", u.comment, cur.Comment, false},
	} {
		if s.want != nil && *s.want != s.cur {
			changes = append(changes, changed(s.prop, ppQuote(s.cur), ppQuote(*s.want)))
		}
	}
	if u.password != nil {
		shadow, err := readShadow()
		if err != nil {
			return nil, err
		}
		if shadow[u.name] != *u.password {
			// Hashes are never printed, as Puppet redacts them.
			changes = append(changes, Change{Property: "password", From: "[redacted]", To: "[redacted]",
				Message: "changed [redacted] to [redacted]"})
		}
	}
	return changes, nil
}

func (u *userRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	if changes[0].Property == "ensure" {
		if u.absent {
			args := []string{}
			if u.managehome {
				args = append(args, "-r")
			}
			_, err := runSys(ctx, "userdel", append(args, u.name)...)
			return err
		}
		return u.create(ctx)
	}
	var args []string
	for _, c := range changes {
		switch c.Property {
		case "uid":
			args = append(args, "-u", strconv.FormatInt(*u.uid, 10))
			if u.allowdupe {
				args = append(args, "-o")
			}
		case "gid":
			args = append(args, "-g", *u.gid)
		case "groups":
			args = append(args, "-G", strings.Join(u.wantGroups(), ","))
		case "home":
			args = append(args, "-d", *u.home)
			if u.managehome {
				args = append(args, "-m")
			}
		case "shell":
			args = append(args, "-s", *u.shell)
		case "comment":
			args = append(args, "-c", *u.comment)
		case "password":
			args = append(args, "-p", *u.password)
		}
	}
	if len(args) == 0 {
		return nil
	}
	_, err := runSys(ctx, "usermod", append(args, u.name)...)
	return err
}

// create runs useradd with every property the manifest gives.
func (u *userRes) create(ctx context.Context) error {
	var args []string
	if u.uid != nil {
		args = append(args, "-u", strconv.FormatInt(*u.uid, 10))
		if u.allowdupe {
			args = append(args, "-o")
		}
	}
	if u.gid != nil {
		args = append(args, "-g", *u.gid)
	}
	if u.hasGroups && len(u.groups) > 0 {
		args = append(args, "-G", strings.Join(uniqSorted(u.groups), ","))
	}
	if u.home != nil {
		args = append(args, "-d", *u.home)
	}
	// -m/-M explicitly, so login.defs' CREATE_HOME does not decide.
	if u.managehome {
		args = append(args, "-m")
	} else {
		args = append(args, "-M")
	}
	if u.shell != nil {
		args = append(args, "-s", *u.shell)
	}
	if u.comment != nil {
		args = append(args, "-c", *u.comment)
	}
	if u.password != nil {
		args = append(args, "-p", *u.password)
	}
	if u.system {
		args = append(args, "-r")
	}
	_, err := runSys(ctx, "useradd", append(args, u.name)...)
	return err
}

// userInstances lists every local account for `gapply resource user`.
func userInstances(ctx context.Context) ([]*catalog.Resource, error) {
	users, err := readPasswd()
	if err != nil {
		return nil, err
	}
	groups, err := readGroups()
	if err != nil {
		return nil, err
	}
	// The shadow file is readable only by root; without it passwords
	// are simply not shown.
	shadow, _ := readShadow()
	out := make([]*catalog.Resource, 0, len(users))
	for _, e := range users {
		params := map[string]any{
			"ensure":  "present",
			"uid":     e.UID,
			"gid":     e.GID,
			"home":    e.Home,
			"shell":   e.Shell,
			"comment": e.Comment,
		}
		if g := supplementaryGroups(groups, e.Name); len(g) > 0 {
			params["groups"] = toAnyList(g)
		}
		if pw, ok := shadow[e.Name]; ok {
			params["password"] = pw
		}
		out = append(out, &catalog.Resource{Type: "User", Title: e.Name, Parameters: params})
	}
	return out, nil
}

func toAnyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// homeOf returns a user's home directory from /etc/passwd, for types that
// default a path under it (ssh_authorized_key).
func homeOf(user string) (home string, uid, gid int, err error) {
	users, err := readPasswd()
	if err != nil {
		return "", 0, 0, err
	}
	for _, e := range users {
		if e.Name == user {
			return filepath.Clean(e.Home), int(e.UID), int(e.GID), nil
		}
	}
	return "", 0, 0, fmt.Errorf("user %q does not exist: %w", user, os.ErrNotExist)
}
