package resources

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// sysDaemon writes a tiny daemon (a shell loop) whose path is unique to
// the test, and kills whatever still runs it when the test ends.
func sysDaemon(t *testing.T) (script string) {
	t.Helper()
	script = filepath.Join(t.TempDir(), sysUniqueName(t, "gapply-svc-")+".sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nwhile :; do sleep 1; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s := &serviceRes{pattern: regexpQuote(script)}
		pids, _ := s.pids()
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return script
}

func TestServiceBaseProvider(t *testing.T) {
	script := sysDaemon(t)
	params := func(kv ...any) map[string]any {
		m := map[string]any{"provider": "base", "start": script + " &", "pattern": script}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	pidsOf := func() []int {
		pids, err := (&serviceRes{pattern: regexpQuote(script)}).pids()
		if err != nil {
			t.Fatal(err)
		}
		return pids
	}
	sysWantMessages(t, sysCheck(t, sysNew(t, "service", "gsvc", params("ensure", "running"))),
		"ensure: ensure changed 'stopped' to 'running'")
	if len(pidsOf()) != 0 {
		t.Fatal("Check started the service")
	}
	sysWantMessages(t, sysConverge(t, sysNew(t, "service", "gsvc", params("ensure", "running"))),
		"ensure: ensure changed 'stopped' to 'running'")
	before := pidsOf()
	if len(before) != 1 {
		t.Fatalf("want one daemon running, found pids %v", before)
	}

	// A refresh restarts it: stop (SIGTERM to the matching process), start.
	r := sysNew(t, "service", "gsvc", params("ensure", "running"))
	if err := r.(Refresher).Refresh(context.Background(), &Env{}); err != nil {
		t.Fatal(err)
	}
	after := pidsOf()
	if len(after) != 1 || after[0] == before[0] {
		t.Fatalf("refresh did not restart: pids %v then %v", before, after)
	}

	sysWantMessages(t, sysConverge(t, sysNew(t, "service", "gsvc", params("ensure", "stopped"))),
		"ensure: ensure changed 'running' to 'stopped'")
	if pids := pidsOf(); len(pids) != 0 {
		t.Fatalf("still running: %v", pids)
	}
	// A stopped service is not started by a refresh.
	if err := r.(Refresher).Refresh(context.Background(), &Env{}); err != nil {
		t.Fatal(err)
	}
	if pids := pidsOf(); len(pids) != 0 {
		t.Fatalf("refresh started a stopped service: %v", pids)
	}
}

func TestServiceBaseStatusCommand(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "up")
	r := sysNew(t, "service", "flagged", map[string]any{
		"provider": "base", "ensure": "running",
		"status": "test -e " + flag, "start": "touch " + flag, "stop": "rm -f " + flag,
	})
	sysWantMessages(t, sysConverge(t, r), "ensure: ensure changed 'stopped' to 'running'")
	if _, err := os.Stat(flag); err != nil {
		t.Fatal("start command did not run")
	}
	bad := sysNew(t, "service", "broken", map[string]any{"provider": "base", "ensure": "running",
		"status": "false", "start": "echo no such daemon >&2; exit 3"})
	changes, _ := bad.Check(context.Background(), &Env{})
	err := bad.Apply(context.Background(), &Env{}, changes)
	if err == nil || !strings.Contains(err.Error(), "returned 3: no such daemon") {
		t.Errorf("failed start = %v", err)
	}
}

// fakeSystemctl puts a systemctl script first on PATH that keeps unit
// state in files and logs every call: systemd is not PID 1 here.
func fakeSystemctl(t *testing.T, active bool, enabled string) (calls func() []string) {
	dir := t.TempDir()
	script := `#!/bin/sh
d=` + dir + `
echo "$*" >> $d/calls
case "$1" in
is-active) test -e $d/active ;;
is-enabled) s=$(cat $d/enabled); echo $s; test "$s" = enabled ;;
start|restart) touch $d/active ;;
stop) rm -f $d/active ;;
enable) echo enabled > $d/enabled ;;
disable|unmask) echo disabled > $d/enabled ;;
mask) echo masked > $d/enabled ;;
*) echo "unknown command $1" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "enabled"), []byte(enabled+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if active {
		if err := os.WriteFile(filepath.Join(dir, "active"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return func() []string {
		lines, _ := readLines(filepath.Join(dir, "calls"))
		return lines
	}
}

func TestServiceSystemdProvider(t *testing.T) {
	calls := fakeSystemctl(t, false, "masked")
	params := map[string]any{"provider": "systemd", "ensure": "running", "enable": true}
	sysWantMessages(t, sysConverge(t, sysNew(t, "service", "nginx", params)),
		"ensure: ensure changed 'stopped' to 'running'", "enable: enable changed 'mask' to 'true'")
	for _, want := range []string{"start -- nginx", "unmask -- nginx", "enable -- nginx"} {
		if !slices.Contains(calls(), want) {
			t.Errorf("systemctl %q not called; calls: %q", want, calls())
		}
	}
	r := sysNew(t, "service", "nginx", params)
	if err := r.(Refresher).Refresh(context.Background(), &Env{}); err != nil {
		t.Fatal(err)
	}
	if c := calls(); c[len(c)-1] != "restart -- nginx" {
		t.Errorf("refresh did not restart; calls: %q", c)
	}
	sysWantMessages(t, sysConverge(t, sysNew(t, "service", "nginx", map[string]any{"provider": "systemd", "ensure": "stopped", "enable": "mask"})),
		"ensure: ensure changed 'running' to 'stopped'", "enable: enable changed 'true' to 'mask'")
}

func TestServiceValidation(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"ensure": "up"}, `Invalid value "up". Valid values are running, stopped`},
		{map[string]any{"enable": "sometimes"}, `Valid values are true, false, mask`},
		{map[string]any{"provider": "base", "ensure": "running"}, "Services must specify a start command or a binary"},
		{map[string]any{"pattern": "("}, "invalid regular expression"},
	} {
		err := sysNewErr(t, "service", "s", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.params, err, tc.want)
		}
	}
}

// regexpQuote returns a pattern matching s literally.
func regexpQuote(s string) *regexp.Regexp { return regexp.MustCompile(regexp.QuoteMeta(s)) }
