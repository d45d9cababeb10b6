package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the testscript sessions run the real gapply command: the
// test binary re-executes itself as "gapply".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gapply": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs every session in testdata/script. Each script works in
// its own temporary directory ($WORK) and passes --vardir inside it, so no
// test touches the machine's state.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// No external facts from the machine running the tests.
			env.Setenv("GAPPLY_TEST", "1")
			return nil
		},
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
			"defer": cmdDefer,
			"lock":  cmdLock,
		},
	})
}

// cmdExits runs a program and checks its exit status, which plain exec
// cannot: "exits 2 gapply --detailed-exitcodes site.pp". Its output is
// then checked with stdout and stderr as usual.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits STATUS PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			ts.Fatalf("exits: %v", err)
		}
		got = exitErr.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdDefer runs a command when the session ends, passed or failed, so a
// session that changes the machine (users, crontabs) undoes it even when
// a step in the middle fails: "defer sh -c 'userdel -r gapply-e2e-u'".
// Its failure is logged, not fatal: the session's result stands.
func cmdDefer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: defer PROGRAM [ARGS...]")
	}
	ts.Defer(func() {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			ts.Logf("defer %v: %v\n%s", args, err, out)
		}
	})
}

// cmdLock takes an exclusive flock on a file or directory until the
// session ends, to serialize sessions (and other packages' tests, which
// run at the same time) that use a machine-wide tool refusing to run
// twice: "lock /var/lib/dpkg" before running dpkg, as resources' package
// tests do.
func cmdLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lock PATH")
	}
	f, err := os.Open(args[0])
	ts.Check(err)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		ts.Fatalf("lock %s: %v", args[0], err)
	}
	ts.Defer(func() { f.Close() }) // closing releases the lock
}
