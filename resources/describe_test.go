package resources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapply/gapply/catalog"
)

func TestManifestFormat(t *testing.T) {
	got := Manifest(&catalog.Resource{Type: "User", Title: "o'brien", Parameters: map[string]any{
		"uid": float64(1001), "ensure": "present", "groups": []any{"adm", "sudo"}, "comment": `a \ b`, "managehome": true,
	}})
	want := `user { 'o\'brien':
  ensure     => 'present',
  comment    => 'a \\ b',
  groups     => ['adm', 'sudo'],
  managehome => true,
  uid        => 1001,
}
`
	if got != want {
		t.Errorf("Manifest:\n%s\nwant:\n%s", got, want)
	}
}

func TestDescribe(t *testing.T) {
	ctx := context.Background()
	list, err := Describe(ctx, "group", "root")
	if err != nil || len(list) != 1 || list[0].Parameters["ensure"] != "present" {
		t.Fatalf("Describe(group, root) = %v, %v", list, err)
	}
	if !strings.Contains(Manifest(list[0]), "gid    => 0,") {
		t.Errorf("group root:\n%s", Manifest(list[0]))
	}
	list, err = Describe(ctx, "User", "no-such-user-gapply-test")
	if err != nil || Manifest(list[0]) != "user { 'no-such-user-gapply-test':\n  ensure => 'absent',\n}\n" {
		t.Errorf("absent user: %v, %v", list, err)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	writeFile(t, p, "hello", 0o640)
	if err := os.Symlink(p, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	list, err = Describe(ctx, "file", p)
	if err != nil {
		t.Fatal(err)
	}
	params := list[0].Parameters
	if params["ensure"] != "file" || params["content"] != sha("hello") || params["mode"] != "0640" {
		t.Errorf("file: %v", params)
	}
	list, _ = Describe(ctx, "file", filepath.Join(dir, "l"))
	if params := list[0].Parameters; params["ensure"] != "link" || params["target"] != p || params["mode"] != nil {
		t.Errorf("link: %v", params)
	}
	list, _ = Describe(ctx, "file", filepath.Join(dir, "missing"))
	if params := list[0].Parameters; len(params) != 1 || params["ensure"] != "absent" {
		t.Errorf("missing file: %v", params)
	}

	for _, tc := range []struct{ typ, title, want string }{
		{"file", "", "file cannot list its instances: name one"},
		{"file", "relative", "must be fully qualified"},
		{"exec", "echo hi", "'echo' is not qualified"},
		{"notify", "", "notify cannot describe the machine's state; these types can: cron, exec (with a TITLE), file (with a TITLE), group"},
		{"nosuch", "", `unknown resource type "nosuch"`},
	} {
		if _, err := Describe(ctx, tc.typ, tc.title); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Describe(%s, %q) = %v, want %q", tc.typ, tc.title, err, tc.want)
		}
	}
	list, err = Describe(ctx, "exec", "/bin/echo hi")
	if err != nil || Manifest(list[0]) != "exec { '/bin/echo hi':\n  returns => 'notrun',\n}\n" {
		t.Errorf("exec: %v %v", list, err)
	}
}
