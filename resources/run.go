package resources

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// commandRunner runs a system tool and returns its standard output. The
// system providers (user, group, package, service, cron) go through it so
// a test can stand a script in for a tool that cannot run for real here
// (systemctl without systemd as PID 1) by putting it first on PATH.
type commandRunner interface {
	// Run runs name with args and extra environment variables (KEY=value)
	// and returns standard output. A non-zero exit is an error that
	// names the command and carries its standard error.
	Run(ctx context.Context, env []string, name string, args ...string) (string, error)
}

// execRunner runs commands for real, finding them on PATH.
type execRunner struct{}

// sysRunner is the runner every system provider uses.
var sysRunner commandRunner = execRunner{}

// Run implements commandRunner.
func (execRunner) Run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	// The C locale keeps tool output stable; the caller's variables
	// come last so they win.
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), &commandError{
			Command: append([]string{name}, args...),
			Output:  strings.TrimSpace(stderr.String() + "\n" + stdout.String()),
			Err:     err,
		}
	}
	return stdout.String(), nil
}

// commandError is a failed system command, worded as Puppet words it:
// "Execution of 'useradd -u 1001 x' returned 4: useradd: UID 1001 is not unique".
type commandError struct {
	Command []string
	Output  string
	Err     error
}

func (e *commandError) Error() string {
	what := e.Err.Error()
	if ee, ok := e.Err.(*exec.ExitError); ok && ee.Exited() {
		what = fmt.Sprintf("returned %d", ee.ExitCode())
	}
	msg := fmt.Sprintf("Execution of '%s' %s", strings.Join(e.Command, " "), what)
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

func (e *commandError) Unwrap() error { return e.Err }

// runSys runs a command through sysRunner without extra environment.
func runSys(ctx context.Context, name string, args ...string) (string, error) {
	return sysRunner.Run(ctx, nil, name, args...)
}
