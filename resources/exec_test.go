package resources

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExecRunsAndReports(t *testing.T) {
	env := newTestEnv(t)
	r := newRes(t, "exec", "/bin/true", nil)
	changes := mustCheck(t, r, env.Env)
	want := Change{Property: "returns", From: "notrun", To: "['0']", Message: "executed successfully"}
	if len(changes) != 1 || changes[0] != want {
		t.Fatalf("Check = %+v, want %+v", changes, want)
	}
	if err := r.Apply(context.Background(), env.Env, changes); err != nil {
		t.Fatal(err)
	}
}

func TestExecFailure(t *testing.T) {
	env := newTestEnv(t)
	for _, tc := range []struct {
		command string
		params  map[string]any
		want    string
	}{
		{"/bin/false", nil, "'/bin/false' returned 1 instead of one of [0]"},
		{"/bin/false", map[string]any{"returns": []any{int64(0), int64(2)}}, "'/bin/false' returned 1 instead of one of [0,2]"},
		{"/bin/true", map[string]any{"returns": "3"}, "'/bin/true' returned 0 instead of one of [3]"},
		{"/bin/nonexistent-gapply", nil, "Could not find command '/bin/nonexistent-gapply'"},
		{"/etc/passwd", nil, "'/etc/passwd' is not executable"},
		{"/bin/true", map[string]any{"cwd": "/nonexistent-gapply"}, "Working directory /nonexistent-gapply does not exist!"},
		{"nonexistent-gapply", map[string]any{"path": "/bin:/usr/bin"}, "Could not find command 'nonexistent-gapply'"},
	} {
		r := newRes(t, "exec", tc.command, tc.params)
		err := r.Apply(context.Background(), env.Env, mustCheck(t, r, env.Env))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v: err = %v, want %s", tc.command, tc.params, err, tc.want)
		}
	}
	// Exit codes listed in returns are success.
	r := newRes(t, "exec", "/bin/false", map[string]any{"returns": []any{"0", "1"}})
	if err := r.Apply(context.Background(), env.Env, nil); err != nil {
		t.Error(err)
	}
}

// TestExecShellSelection runs commands that behave differently with and
// without a shell: `echo $0` prints the shell's name through /bin/sh and
// the literal word when run directly.
func TestExecShellSelection(t *testing.T) {
	for _, tc := range []struct {
		command string
		shell   bool
	}{
		{"/bin/echo a b", false},
		{"echo a b", false},
		{"/bin/echo $0", true},
		{"/bin/echo a; /bin/echo b", true},
		{"/bin/echo a > /dev/null", true},
		{"FOO=1 /bin/echo", true},
		{"/bin/x=y", false},
		{"exit 0", true},
		{"/bin/echo 'quoted'", true},
	} {
		if got := needsShell(tc.command); got != tc.shell {
			t.Errorf("needsShell(%q) = %v, want %v", tc.command, got, tc.shell)
		}
	}

	env := newTestEnv(t)
	out := filepath.Join(t.TempDir(), "out")
	// Run directly: the $ reaches echo untouched only without a shell, and
	// provider shell always uses one.
	run := func(command string, params map[string]any) string {
		t.Helper()
		r := newRes(t, "exec", command, params)
		if err := r.Apply(context.Background(), env.Env, nil); err != nil {
			t.Fatalf("%s: %v", command, err)
		}
		return readFile(t, out)
	}
	if got := run("/bin/sh -c 'echo $0 > "+out+"'", nil); got != "/bin/sh\n" && got != "sh\n" {
		t.Errorf("shell run wrote %q", got)
	}
	if got := run("/usr/bin/tee "+out, nil); got != "" {
		t.Errorf("direct run wrote %q", got)
	}
	if got := run("echo shell > "+out, map[string]any{"provider": "shell"}); got != "shell\n" {
		t.Errorf("provider shell wrote %q", got)
	}
	if got := run("echo via-path > "+out, map[string]any{"path": []any{"/usr/bin", "/bin"}}); got != "via-path\n" {
		t.Errorf("path run wrote %q", got)
	}
}

func TestExecGuards(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	writeFile(t, exists, "", 0o644)
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name   string
		params map[string]any
		runs   bool
	}{
		{"creates exists", map[string]any{"creates": exists}, false},
		{"creates missing", map[string]any{"creates": missing}, true},
		{"creates one of", map[string]any{"creates": []any{missing, exists}}, false},
		{"onlyif true", map[string]any{"onlyif": "/bin/true"}, true},
		{"onlyif false", map[string]any{"onlyif": "/bin/false"}, false},
		{"onlyif all", map[string]any{"onlyif": []any{"/bin/true", "/bin/false"}}, false},
		{"onlyif shell", map[string]any{"onlyif": "test -e " + exists, "path": "/usr/bin:/bin"}, true},
		{"unless true", map[string]any{"unless": "/bin/true"}, false},
		{"unless false", map[string]any{"unless": "/bin/false"}, true},
		{"unless any", map[string]any{"unless": []any{"/bin/false", "/bin/true"}}, false},
		{"refreshonly", map[string]any{"refreshonly": true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]any{"command": "/usr/bin/touch " + filepath.Join(dir, "ran")}
			for k, v := range tc.params {
				params[k] = v
			}
			r := newRes(t, "exec", tc.name, params)
			changes := mustCheck(t, r, env.Env)
			if got := len(changes) > 0; got != tc.runs {
				t.Errorf("would run = %v, want %v", got, tc.runs)
			}
			if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
				t.Errorf("Check ran the command")
			}
		})
	}
}

func TestExecRefresh(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	r := newRes(t, "exec", "echo refreshed >> "+log, map[string]any{"refreshonly": true, "provider": "shell"})
	if c := mustCheck(t, r, env.Env); len(c) != 0 {
		t.Fatalf("refreshonly exec would run: %v", changeLines(c))
	}
	if err := r.(Refresher).Refresh(context.Background(), env.Env); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, log); got != "refreshed\n" {
		t.Errorf("log = %q", got)
	}
	// Guards hold on refresh too.
	r = newRes(t, "exec", "echo again >> "+log, map[string]any{"refreshonly": true, "provider": "shell", "creates": log})
	if err := r.(Refresher).Refresh(context.Background(), env.Env); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, log); got != "refreshed\n" {
		t.Errorf("guarded refresh ran: %q", got)
	}
}

func TestExecLogOutput(t *testing.T) {
	for _, tc := range []struct {
		logoutput any
		command   string
		logged    bool
	}{
		{nil, "echo out; echo err >&2", false},
		{nil, "echo out; echo err >&2; exit 3", true},
		{true, "echo out; echo err >&2", true},
		{"false", "echo out; echo err >&2; exit 3", false},
	} {
		env := newTestEnv(t)
		params := map[string]any{"provider": "shell"}
		if tc.logoutput != nil {
			params["logoutput"] = tc.logoutput
		}
		r := newRes(t, "exec", tc.command, params)
		_ = r.Apply(context.Background(), env.Env, nil)
		logs := env.logs.String()
		both := strings.Contains(logs, "Exec["+tc.command+"]/returns: out") &&
			strings.Contains(logs, "Exec["+tc.command+"]/returns: err")
		if both != tc.logged {
			t.Errorf("logoutput %v, %q: logged = %v, want %v; log:\n%s", tc.logoutput, tc.command, both, tc.logged, logs)
		}
	}
}

func TestExecEnvironmentCwdUmask(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := newRes(t, "exec", "env-cwd", map[string]any{
		"command":     `echo "$FOO $BAR $PATH" > ` + out + `; pwd >> ` + out + `; umask >> ` + out,
		"environment": []any{"FOO=one", "BAR=two=2", "FOO=three"},
		"cwd":         dir,
		"path":        []any{"/usr/bin", "/bin"},
		"umask":       "027",
	})
	if err := r.Apply(context.Background(), env.Env, nil); err != nil {
		t.Fatal(err)
	}
	want := "three two=2 /usr/bin:/bin\n" + dir + "\n0027\n"
	if got := readFile(t, out); got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	// umask on a command run without a shell.
	f := filepath.Join(dir, "created")
	r = newRes(t, "exec", "/usr/bin/touch "+f, map[string]any{"umask": "077"})
	if err := r.Apply(context.Background(), env.Env, nil); err != nil {
		t.Fatal(err)
	}
	if got := modeOf(t, f); got != "0600" {
		t.Errorf("mode of file created with umask 077 = %s", got)
	}
}

func TestExecTimeoutKillsGroup(t *testing.T) {
	env := newTestEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell starts a background sleep that would outlive a kill of
	// the shell alone.
	// Without the kill the command would last 300 s: the bounds below are
	// far from both that and the 0.5 s timeout, so load cannot tip them.
	r := newRes(t, "exec", "sleep 300 & echo $! > "+pidFile+"; wait", map[string]any{"provider": "shell", "timeout": "0.5"})
	start := time.Now()
	err := r.Apply(context.Background(), env.Env, nil)
	if err == nil || err.Error() != "Command exceeded timeout" {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v", d)
	}
	pid := strings.TrimSpace(readFile(t, pidFile))
	// SIGKILL is delivered asynchronously: wait for the sleep to go (a
	// zombie or a reused pid has another command line).
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline"); string(cmdline) != "sleep\x00300\x00" {
			break
		}
		if time.Now().After(deadline) {
			n, _ := strconv.Atoi(pid)
			syscall.Kill(n, syscall.SIGKILL) //nolint:errcheck // the test has failed; do not leave it running
			t.Fatalf("background sleep %s survived the timeout", pid)
		}
	}
}

func TestExecTries(t *testing.T) {
	env := newTestEnv(t)
	counter := filepath.Join(t.TempDir(), "n")
	// Fails until it has run three times.
	cmd := "echo x >> " + counter + "; test $(wc -l < " + counter + ") -ge 3"
	r := newRes(t, "exec", cmd, map[string]any{"provider": "shell", "tries": int64(3), "try_sleep": 0})
	if err := r.Apply(context.Background(), env.Env, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(readFile(t, counter), "x"); got != 3 {
		t.Errorf("ran %d times", got)
	}
}

func TestExecUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	env := newTestEnv(t)
	r := newRes(t, "exec", "/usr/bin/id -u", map[string]any{"user": "nobody", "logoutput": true})
	if err := r.Apply(context.Background(), env.Env, nil); err != nil {
		t.Fatal(err)
	}
	if want := "Exec[/usr/bin/id -u]/returns: " + u.Uid; !strings.Contains(env.logs.String(), want) {
		t.Errorf("log %q does not contain %q", env.logs.String(), want)
	}
	// Guards run as the user too: nobody cannot write to a root-only dir.
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r = newRes(t, "exec", "/bin/true", map[string]any{"user": "nobody", "onlyif": "/usr/bin/touch " + filepath.Join(dir, "x")})
	if c := mustCheck(t, r, env.Env); len(c) != 0 {
		t.Errorf("onlyif as nobody succeeded writing to a root-only directory")
	}
	_, err = newRes(t, "exec", "/bin/true", map[string]any{"user": "no-such-user-gapply"}).(*execRes).run(context.Background(), "/bin/true")
	if err == nil || err.Error() != "Could not find user no-such-user-gapply" {
		t.Errorf("err = %v", err)
	}
}

func TestExecValidation(t *testing.T) {
	for _, tc := range []struct {
		title  string
		params map[string]any
		want   string
	}{
		{"ls", nil, "Validation of Exec[ls] failed: 'ls' is not qualified and no path was specified. Please qualify the command or specify a path."},
		{"/bin/true", map[string]any{"onlyif": "true"}, "Parameter onlyif failed on Exec[/bin/true]: 'true' is not qualified and no path was specified. Please qualify the command or specify a path."},
		{"/bin/true", map[string]any{"creates": "rel"}, "Parameter creates failed on Exec[/bin/true]: creates must be a fully qualified path"},
		{"/bin/true", map[string]any{"environment": "FOO"}, "Parameter environment failed on Exec[/bin/true]: Invalid environment setting 'FOO'"},
		{"/bin/true", map[string]any{"tries": int64(0)}, "Parameter tries failed on Exec[/bin/true]: Munging failed for value 0 in class tries: Tries must be an integer >= 1"},
		{"/bin/true", map[string]any{"umask": "999"}, `Parameter umask failed on Exec[/bin/true]: The umask specification is invalid: "999"`},
		{"/bin/true", map[string]any{"provider": "bogus"}, "Parameter provider failed on Exec[/bin/true]: Invalid exec provider 'bogus'"},
		{"/bin/true", map[string]any{"timeout": "abc"}, `Parameter timeout failed on Exec[/bin/true]: Munging failed for value "abc" in class timeout: The timeout must be a number.`},
		{"/bin/true", map[string]any{"logoutput": "x"}, `Parameter logoutput failed on Exec[/bin/true]: Invalid value "x". Valid values are true, false, on_failure.`},
		{"/bin/true", map[string]any{"returns": "abc"}, "Parameter returns failed on Exec[/bin/true]: Invalid value 'abc': exit codes are integers"},
	} {
		_, err := newResErr("exec", tc.title, tc.params)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v: err = %v\nwant %s", tc.title, tc.params, err, tc.want)
		}
	}
	// Valid without path: a shell provider, or a path given.
	for _, params := range []map[string]any{{"provider": "shell"}, {"path": "/bin"}} {
		if _, err := newResErr("exec", "ls", params); err != nil {
			t.Errorf("%v: %v", params, err)
		}
	}
}

func TestExecArgv(t *testing.T) {
	for _, tc := range []struct {
		command string
		params  map[string]any
		want    []string
	}{
		{"/bin/echo a  b", nil, []string{"/bin/echo", "a", "b"}},
		{"echo a", map[string]any{"path": "/nonexistent-gapply:/bin"}, []string{"/bin/echo", "a"}},
		{"/bin/echo a; /bin/echo b", nil, []string{"/bin/sh", "-c", "/bin/echo a; /bin/echo b"}},
		{"/bin/echo a", map[string]any{"provider": "shell"}, []string{"/bin/sh", "-c", "/bin/echo a"}},
		{"/bin/echo a", map[string]any{"umask": "022"}, []string{"/bin/sh", "-c", `umask 022 && exec "$@"`, "sh", "/bin/echo", "a"}},
	} {
		got, err := newRes(t, "exec", tc.command, tc.params).(*execRes).argv(tc.command)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("argv(%q, %v) = %q, %v; want %q", tc.command, tc.params, got, err, tc.want)
		}
	}
}
