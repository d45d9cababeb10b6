package resources

import (
	"context"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The group type manages local groups with groupadd, groupmod and groupdel
// (Puppet's groupadd provider). members, when given, is managed with
// gpasswd -M: with auth_membership => true (Puppet's default) the list is
// exact, with false the listed users are only added.
func init() {
	Register(&Type{
		Name: "group",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "gid"}, {Name: "members"},
			{Name: "auth_membership"}, {Name: "system"}, {Name: "allowdupe"}, {Name: "provider"},
		},
		New:       newGroup,
		Instances: groupInstances,
	})
}

type groupRes struct {
	name       string
	absent     bool
	gid        *int64
	members    []string
	hasMembers bool
	exact      bool
	system     bool
	allowdupe  bool

	cur *groupEntry
}

func newGroup(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	g := &groupRes{
		name:      p.namevar(),
		absent:    p.enum("ensure", "present", "present", "absent") == "absent",
		exact:     p.boolean("auth_membership", true),
		system:    p.boolean("system", false),
		allowdupe: p.boolean("allowdupe", false),
	}
	p.enum("provider", "groupadd", "groupadd")
	if n, ok := p.integer("gid"); ok {
		g.gid = &n
	}
	g.members, g.hasMembers = p.optList("members")
	for _, m := range g.members {
		if m == "" || strings.ContainsAny(m, ", :") {
			p.failf("members", "Invalid member %q: give members as an array of user names", m)
		}
	}
	if g.name == "" || strings.ContainsAny(g.name, ":\n ") {
		p.failf("name", "Invalid group name %q", g.name)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *groupRes) wantMembers() []string {
	if g.exact || g.cur == nil {
		return uniqSorted(g.members)
	}
	return uniqSorted(append(append([]string(nil), g.cur.Members...), g.members...))
}

func (g *groupRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	groups, err := readGroups()
	if err != nil {
		return nil, err
	}
	g.cur = nil
	for i := range groups {
		if groups[i].Name == g.name {
			e := groups[i]
			g.cur = &e
			break
		}
	}
	switch {
	case g.absent && g.cur == nil:
		return nil, nil
	case g.absent:
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	case g.cur == nil:
		return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
	}
	var changes []Change
	if g.gid != nil && *g.gid != g.cur.GID {
		changes = append(changes, changed("gid", strconv.FormatInt(g.cur.GID, 10), strconv.FormatInt(*g.gid, 10)))
	}
	if g.hasMembers {
		if want := g.wantMembers(); !sameSet(want, g.cur.Members) {
			changes = append(changes, changed("members", ppArray(uniqSorted(g.cur.Members)), ppArray(want)))
		}
	}
	return changes, nil
}

func (g *groupRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Property {
		case "ensure":
			if g.absent {
				_, err = runSys(ctx, "groupdel", g.name)
				break
			}
			err = g.create(ctx)
		case "gid":
			args := []string{"-g", strconv.FormatInt(*g.gid, 10)}
			if g.allowdupe {
				args = append(args, "-o")
			}
			_, err = runSys(ctx, "groupmod", append(args, g.name)...)
		case "members":
			err = g.setMembers(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (g *groupRes) create(ctx context.Context) error {
	var args []string
	if g.gid != nil {
		args = append(args, "-g", strconv.FormatInt(*g.gid, 10))
		if g.allowdupe {
			args = append(args, "-o")
		}
	}
	if g.system {
		args = append(args, "-r")
	}
	if _, err := runSys(ctx, "groupadd", append(args, g.name)...); err != nil {
		return err
	}
	if g.hasMembers && len(g.members) > 0 {
		return g.setMembers(ctx)
	}
	return nil
}

func (g *groupRes) setMembers(ctx context.Context) error {
	_, err := runSys(ctx, "gpasswd", "-M", strings.Join(g.wantMembers(), ","), g.name)
	return err
}

// groupInstances lists every local group for `gapply resource group`.
func groupInstances(ctx context.Context) ([]*catalog.Resource, error) {
	groups, err := readGroups()
	if err != nil {
		return nil, err
	}
	out := make([]*catalog.Resource, 0, len(groups))
	for _, e := range groups {
		params := map[string]any{"ensure": "present", "gid": e.GID}
		if len(e.Members) > 0 {
			params["members"] = toAnyList(e.Members)
		}
		out = append(out, &catalog.Resource{Type: "Group", Title: e.Name, Parameters: params})
	}
	return out, nil
}
