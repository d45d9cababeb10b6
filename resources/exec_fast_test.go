package resources

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExecCreatesStartsNoProcess: a satisfied creates decides before any
// guard command runs, so a no-op run starts no process for the exec.
func TestExecCreatesStartsNoProcess(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	writeFile(t, exists, "", 0o644)
	marker := filepath.Join(dir, "guard-ran")
	r := newRes(t, "exec", "/usr/bin/touch "+filepath.Join(dir, "ran"), map[string]any{
		"creates": exists,
		"onlyif":  "/usr/bin/touch " + marker,
		"unless":  "/usr/bin/touch " + marker + " && /bin/false",
	})
	if changes := mustCheck(t, r, env.Env); len(changes) > 0 {
		t.Errorf("Check wants to run: %v", changeLines(changes))
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a guard command ran though creates was satisfied")
	}
}

// BenchmarkExecRun is the cost of one exec of /bin/true as an exec
// resource runs it (argv, environment, process group, output capture),
// against os/exec alone: the difference is gapply's share of a process
// start.
func BenchmarkExecRun(b *testing.B) {
	b.Run("resource", func(b *testing.B) {
		e := newResErr2(b, "/bin/true")
		for b.Loop() {
			if res, err := e.run(context.Background(), e.command); err != nil || res.code != 0 {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("os-exec", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func newResErr2(b *testing.B, command string) *execRes {
	r, err := newResErr("exec", command, nil)
	if err != nil {
		b.Fatal(err)
	}
	return r.(*execRes)
}
