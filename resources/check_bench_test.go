package resources

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapply/gapply/catalog"
)

// benchCheck builds a resource of type typ and measures its Check, which
// must find it in sync: the cost of one resource in a no-op run.
func benchCheck(b *testing.B, typ, title string, params map[string]any) {
	b.Helper()
	t, ok := Lookup(typ)
	if !ok {
		b.Fatalf("no type %s", typ)
	}
	r, err := t.New(&catalog.Resource{Type: typ, Title: title, Parameters: params})
	if err != nil {
		b.Fatal(err)
	}
	ctx, env := context.Background(), &Env{}
	if changes, err := r.Check(ctx, env); err == nil && len(changes) > 0 {
		if err := r.Apply(ctx, env, changes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		changes, err := r.Check(ctx, env)
		if err != nil || len(changes) > 0 {
			b.Fatalf("not in sync: %v %v", changes, err)
		}
	}
}

func BenchmarkCheckFile(b *testing.B) {
	benchCheck(b, "file", filepath.Join(b.TempDir(), "f"), map[string]any{
		"content": "# managed\nkey = value\n", "owner": "root", "group": "root", "mode": "0644",
	})
}

func BenchmarkCheckDirectory(b *testing.B) {
	benchCheck(b, "file", filepath.Join(b.TempDir(), "d"), map[string]any{"ensure": "directory", "mode": "0755"})
}

func BenchmarkCheckExecCreates(b *testing.B) {
	done := filepath.Join(b.TempDir(), "done")
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	benchCheck(b, "exec", "init", map[string]any{"command": "/bin/false", "creates": done})
}

func BenchmarkCheckUser(b *testing.B) {
	benchCheck(b, "user", "root", map[string]any{"ensure": "present", "uid": 0, "home": "/root"})
}

func BenchmarkCheckGroup(b *testing.B) {
	benchCheck(b, "group", "root", map[string]any{"ensure": "present", "gid": 0})
}

// BenchmarkCheckPackage checks an installed package against the cached
// dpkg database (one dpkg-query per change of dpkg's status file).
func BenchmarkCheckPackage(b *testing.B) {
	benchCheck(b, "package", "dpkg", map[string]any{"ensure": "installed"})
}
