package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gapply/gapply/catalog"
)

func TestAutorequireRules(t *testing.T) {
	managed := map[catalog.Ref]bool{}
	for _, r := range []string{"File[/opt/app]", "File[/opt/app/bin/run]", "File[/usr/local/bin/check]",
		"File[/home/deploy/.ssh/authorized_keys]", "File[/etc/app.conf]", "User[deploy]", "Group[deploy]", "Group[web]",
		"File[/srv/target]"} {
		ref, err := catalog.ParseRef(r)
		if err != nil {
			t.Fatal(err)
		}
		managed[ref] = true
	}
	has := func(r catalog.Ref) bool { return managed[r] }
	for _, tc := range []struct {
		r    *catalog.Resource
		want []string
	}{
		{&catalog.Resource{Type: "File", Title: "/opt/app/lib/x.so", Parameters: map[string]any{"owner": "deploy", "group": "1000"}},
			[]string{"File[/opt/app]", "User[deploy]"}},
		{&catalog.Resource{Type: "File", Title: "link", Parameters: map[string]any{"path": "/srv/l", "ensure": "/srv/target"}},
			[]string{"File[/srv/target]"}},
		{&catalog.Resource{Type: "Exec", Title: "/opt/app/bin/run --init\n/usr/local/bin/check", Parameters: map[string]any{
			"cwd": "/opt/app", "user": "deploy", "unless": []any{"/usr/local/bin/check -q", "test -e /x"}}},
			[]string{"File[/opt/app]", "File[/opt/app/bin/run]", "File[/usr/local/bin/check]", "User[deploy]"}},
		{&catalog.Resource{Type: "Exec", Title: "quoted", Parameters: map[string]any{"command": `"/opt/app/bin/run" now`, "user": "0"}},
			[]string{"File[/opt/app/bin/run]"}},
		{&catalog.Resource{Type: "User", Title: "deploy", Parameters: map[string]any{"gid": "deploy", "groups": []any{"web", "absent"}}},
			[]string{"Group[deploy]", "Group[web]"}},
		{&catalog.Resource{Type: "Ssh_authorized_key", Title: "k", Parameters: map[string]any{"user": "deploy"}},
			[]string{"User[deploy]"}},
		{&catalog.Resource{Type: "File_line", Title: "l", Parameters: map[string]any{"path": "/etc/app.conf"}},
			[]string{"File[/etc/app.conf]"}},
		{&catalog.Resource{Type: "Service", Title: "deploy"}, nil},
	} {
		var got []string
		for _, ref := range Autorequire(tc.r, has) {
			got = append(got, ref.String())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.r.Ref(), diff)
		}
	}
}
