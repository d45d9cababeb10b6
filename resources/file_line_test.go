package resources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileLine(t *testing.T) {
	const base = "# config\nPort 22\nPermitRootLogin yes\n#PermitRootLogin no\n"
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   string // the file afterwards
		msg    string // "" when nothing changes
		err    string // Apply's error
	}{
		{"append", map[string]any{"line": "UseDNS no"}, base + "UseDNS no\n", "ensure: created", ""},
		{"already there", map[string]any{"line": "Port 22"}, base, "", ""},
		{"replace match", map[string]any{"line": "PermitRootLogin no", "match": "^PermitRootLogin"},
			"# config\nPort 22\nPermitRootLogin no\n#PermitRootLogin no\n", "ensure: created", ""},
		{"exact line present wins over match", map[string]any{"line": "Port 22", "match": "Root"}, base, "", ""},
		{"two matches without multiple", map[string]any{"line": "x", "match": "PermitRootLogin"}, base, "ensure: created",
			"more than one line in file '%s' matches pattern 'PermitRootLogin'"},
		{"multiple", map[string]any{"line": "x", "match": "PermitRootLogin", "multiple": true},
			"# config\nPort 22\nx\nx\n", "ensure: created", ""},
		{"replace false keeps a match", map[string]any{"line": "PermitRootLogin no", "match": "^PermitRootLogin", "replace": false}, base, "", ""},
		{"after", map[string]any{"line": "AddressFamily inet", "after": "^Port"},
			"# config\nPort 22\nAddressFamily inet\nPermitRootLogin yes\n#PermitRootLogin no\n", "ensure: created", ""},
		{"match missing, after used", map[string]any{"line": "Banner none", "match": "^Banner", "after": "^# config"},
			"# config\nBanner none\nPort 22\nPermitRootLogin yes\n#PermitRootLogin no\n", "ensure: created", ""},
		{"no match, append_on_no_match false", map[string]any{"line": "Banner none", "match": "^Banner", "append_on_no_match": false}, base, "", ""},
		{"absent line", map[string]any{"ensure": "absent", "line": "Port 22"},
			"# config\nPermitRootLogin yes\n#PermitRootLogin no\n", "ensure: removed", ""},
		{"absent by match", map[string]any{"ensure": "absent", "match": "^#", "match_for_absence": true, "multiple": true},
			"Port 22\nPermitRootLogin yes\n", "ensure: removed", ""},
		{"absent, not there", map[string]any{"ensure": "absent", "line": "nope"}, base, "", ""},
		{"replace all not matching line", map[string]any{"line": "PermitRootLogin no", "match": "PermitRootLogin",
			"multiple": true, "replace_all_matches_not_matching_line": true},
			"# config\nPort 22\nPermitRootLogin no\nPermitRootLogin no\n", "ensure: created", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sshd_config")
			if err := os.WriteFile(path, []byte(base), 0o600); err != nil {
				t.Fatal(err)
			}
			params := map[string]any{"path": path}
			for k, v := range tc.params {
				params[k] = v
			}
			r := sysNew(t, "file_line", "l", params)
			if tc.err != "" {
				changes, err := r.Check(context.Background(), &Env{})
				if err != nil {
					t.Fatal(err)
				}
				err = r.Apply(context.Background(), &Env{}, changes)
				if want := strings.ReplaceAll(tc.err, "%s", path); err == nil || err.Error() != want {
					t.Fatalf("Apply error = %v, want %s", err, want)
				}
			} else if tc.msg == "" {
				sysWantMessages(t, sysConverge(t, r))
			} else {
				sysWantMessages(t, sysConverge(t, r), tc.msg)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("file:\n%s\nwant:\n%s", got, tc.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode became %v", fi.Mode().Perm())
			}
		})
	}
}

func TestFileLineMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing")
	r := sysNew(t, "file_line", "l", map[string]any{"path": path, "line": "x"})
	changes, err := r.Check(context.Background(), &Env{})
	if err != nil || len(changes) != 1 {
		t.Fatalf("Check on a missing file = %v, %v; want the line reported as to be created", changes, err)
	}
	if err := r.Apply(context.Background(), &Env{}, changes); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Apply on a missing file = %v", err)
	}
}

func TestFileLineValidation(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"path": "/x"}, "line is a required attribute"},
		{map[string]any{"line": "x"}, "'path' is required"},
		{map[string]any{"path": "rel", "line": "x"}, "File paths must be fully qualified"},
		{map[string]any{"path": "/x", "line": "x", "match": "("}, "invalid regular expression"},
		{map[string]any{"path": "/x", "line": "x", "match": "x", "replace_all_matches_not_matching_line": true}, "multiple must be true"},
	} {
		err := sysNewErr(t, "file_line", "l", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.params, err, tc.want)
		}
	}
	if err := sysNewErr(t, "file_line", "l", map[string]any{"path": "/x", "ensure": "absent", "match": "^x", "match_for_absence": true}); err != nil {
		t.Errorf("absent by match needs no line: %v", err)
	}
}
