package resources

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// sysFreeID returns an id used by no user and no group, from a range that
// system tools leave alone.
func sysFreeID(t *testing.T, taken ...int64) int64 {
	t.Helper()
	users, err := readPasswd()
	if err != nil {
		t.Fatal(err)
	}
	groups, err := readGroups()
	if err != nil {
		t.Fatal(err)
	}
	used := map[int64]bool{}
	for _, u := range users {
		used[u.UID] = true
	}
	for _, g := range groups {
		used[g.GID] = true
	}
	for _, id := range taken {
		used[id] = true
	}
	for id := int64(42000 + os.Getpid()%1000); ; id++ {
		if !used[id] {
			return id
		}
	}
}

// sysTestUser registers cleanup of a user (with its home) and of its
// user-private group.
func sysTestUser(t *testing.T) string {
	name := sysUniqueName(t, "gapply-t")
	t.Cleanup(func() {
		_ = runCleanup("userdel", "-r", name)
		_ = runCleanup("groupdel", name)
	})
	return name
}

func sysTestGroup(t *testing.T) string {
	name := sysUniqueName(t, "gapply-g")
	t.Cleanup(func() { _ = runCleanup("groupdel", name) })
	return name
}

func TestUserLifecycle(t *testing.T) {
	sysNeedRoot(t)
	sysNeedTool(t, "useradd", "passwd")
	// The groups first: cleanups run last first, and groupdel refuses a
	// group that is still a user's primary group.
	grp := sysTestGroup(t)
	extra := sysTestGroup(t)
	name := sysTestUser(t)
	gid := sysFreeID(t)
	uid := sysFreeID(t, gid)
	for _, g := range []string{grp, extra} {
		sysConverge(t, sysNew(t, "group", g, nil))
	}
	home := "/home/" + name
	hash := "$6$salt$Tq1Jc0xV2gqf0oT0Bx2kDzQ6yqG0G5oJv8p3dZ5h0j5Yb3Hc0qg3Gz8N3Q4r6s7t8u9v0w1x2y3z4A5B6C7D8."
	want := map[string]any{
		"uid": int64(uid), "gid": grp, "groups": []any{extra}, "home": home,
		"managehome": true, "shell": "/bin/sh", "comment": "Test User", "password": hash,
	}
	sysWantMessages(t, sysConverge(t, sysNew(t, "user", name, want)), "ensure: created")

	users, _ := readPasswd()
	var found *passwdEntry
	for i := range users {
		if users[i].Name == name {
			found = &users[i]
		}
	}
	if found == nil || found.UID != uid || found.Shell != "/bin/sh" || found.Comment != "Test User" || found.Home != home {
		t.Fatalf("passwd entry after create = %+v", found)
	}
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		t.Errorf("managehome did not create %s: %v", home, err)
	}
	shadow, _ := readShadow()
	if shadow[name] != hash {
		t.Errorf("password hash = %q, want %q", shadow[name], hash)
	}

	// A change: uid, shell, comment, password, and an extra group
	// (membership minimum keeps the existing one).
	changedParams := map[string]any{
		"uid": int64(uid + 1), "groups": []any{grp}, "shell": "/bin/bash",
		"comment": "Changed", "password": "!",
	}
	r := sysNew(t, "user", name, changedParams)
	noop := sysCheck(t, r)
	wantMsgs := []string{
		"uid: uid changed " + strconv.FormatInt(uid, 10) + " to " + strconv.FormatInt(uid+1, 10),
		"groups: groups changed " + extra + " to " + ppArray(uniqSorted([]string{grp, extra})),
		"shell: shell changed '/bin/sh' to '/bin/bash'",
		"comment: comment changed 'Test User' to 'Changed'",
		"password: changed [redacted] to [redacted]",
	}
	sysWantMessages(t, noop, wantMsgs...)
	// Check alone (a --noop run) changed nothing.
	sysWantMessages(t, sysCheck(t, r), wantMsgs...)
	sysWantMessages(t, sysConverge(t, r), wantMsgs...)
	groups, _ := readGroups()
	if got := supplementaryGroups(groups, name); !sameSet(got, []string{grp, extra}) {
		t.Errorf("groups after minimum membership = %v", got)
	}

	// inclusive membership removes the group not listed.
	sysWantMessages(t, sysConverge(t, sysNew(t, "user", name, map[string]any{
		"groups": []any{grp}, "membership": "inclusive",
	})), "groups: groups changed "+strings.Join(uniqSorted([]string{grp, extra}), ",")+" to "+ppArray([]string{grp}))

	sysWantMessages(t, sysConverge(t, sysNew(t, "user", name, map[string]any{"ensure": "absent", "managehome": true})), "ensure: removed")
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("managehome: home %s still there after removal: %v", home, err)
	}
}

func TestUserValidation(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"ensure": "gone"}, `Parameter ensure failed on User[u]: Invalid value "gone". Valid values are present, absent.`},
		{map[string]any{"uid": "abc"}, `Parameter uid failed on User[u]`},
		{map[string]any{"groups": "a,b"}, `comma-separated`},
		{map[string]any{"home": "relative"}, `fully qualified`},
		{map[string]any{"membership": "some"}, `Valid values are minimum, inclusive`},
		{map[string]any{"managehome": "maybe"}, `Parameter managehome failed`},
		{map[string]any{"purge_ssh_keys": true}, `not supported`},
	} {
		err := sysNewErr(t, "user", "u", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) error = %v, want it to contain %q", tc.params, err, tc.want)
		}
	}
	// Every problem is reported, not only the first.
	err := sysNewErr(t, "user", "u", map[string]any{"uid": "x", "shell": []any{"a", "b"}})
	if err == nil || !strings.Contains(err.Error(), "uid") || !strings.Contains(err.Error(), "shell") {
		t.Errorf("want both problems reported, got %v", err)
	}
}

func TestUserInstances(t *testing.T) {
	rt, _ := Lookup("user")
	list, err := rt.Instances(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.Title == "root" {
			if r.Parameters["uid"] != int64(0) || r.Parameters["ensure"] != "present" {
				t.Errorf("root = %v", r.Parameters)
			}
			return
		}
	}
	t.Errorf("root not among %d users", len(list))
}

func TestGroupLifecycle(t *testing.T) {
	sysNeedRoot(t)
	sysNeedTool(t, "groupadd", "passwd")
	name := sysTestGroup(t)
	member := sysTestUser(t)
	sysConverge(t, sysNew(t, "user", member, nil))
	gid := sysFreeID(t)
	sysWantMessages(t, sysConverge(t, sysNew(t, "group", name, map[string]any{"gid": gid, "system": true})), "ensure: created")
	r := sysNew(t, "group", name, map[string]any{"gid": gid + 1, "members": []any{member}})
	want := []string{
		"gid: gid changed " + strconv.FormatInt(gid, 10) + " to " + strconv.FormatInt(gid+1, 10),
		"members: members changed [] to " + ppArray([]string{member}),
	}
	sysWantMessages(t, sysCheck(t, r), want...)
	sysWantMessages(t, sysConverge(t, r), want...)
	groups, _ := readGroups()
	if got := supplementaryGroups(groups, member); len(got) != 1 || got[0] != name {
		t.Errorf("member's groups = %v, want [%s]", got, name)
	}
	sysWantMessages(t, sysConverge(t, sysNew(t, "group", name, map[string]any{"members": []any{}})),
		"members: members changed "+ppArray([]string{member})+" to []")
	sysWantMessages(t, sysConverge(t, sysNew(t, "group", name, map[string]any{"ensure": "absent"})), "ensure: removed")
}
