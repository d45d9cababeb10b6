package resources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gapply/gapply/catalog"
)

// The service type starts, stops, enables and restarts services.
// Providers:
//
//   - systemd: systemctl is-active / is-enabled to read, start, stop,
//     enable, disable, mask, restart;
//   - base: the start, stop, status and restart commands of the manifest,
//     and when there is no status command, a process whose command line
//     matches `pattern` (a regular expression, by default the binary or
//     the name) found through /proc, as Puppet's base provider does with ps.
//
// Without a provider parameter, systemd is used when it is running
// (/run/systemd/system exists, which is how systemd itself tells) and base
// otherwise. A refresh event restarts a service that is running (and that
// is not meant to be stopped).
func init() {
	Register(&Type{
		Name: "service",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "enable"}, {Name: "provider"},
			{Name: "hasstatus"}, {Name: "hasrestart"}, {Name: "start"}, {Name: "stop"},
			{Name: "status"}, {Name: "restart"}, {Name: "pattern"}, {Name: "binary"},
		},
		New:       newService,
		Instances: serviceInstances,
	})
}

// systemdRunDir exists exactly when systemd is the init system.
var systemdRunDir = "/run/systemd/system"

type serviceRes struct {
	name     string
	ensure   string // "", running, stopped
	enable   string // "", true, false, mask
	provider string // "" until chosen in Check
	hasStat  bool
	hasRst   bool
	start    string
	stop     string
	status   string
	restart  string
	binary   string
	pattern  *regexp.Regexp
}

func newService(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	s := &serviceRes{
		name:     p.namevar(),
		provider: p.enum("provider", "", "systemd", "base"),
		hasStat:  p.boolean("hasstatus", true),
		hasRst:   p.boolean("hasrestart", false),
		start:    p.strOr("start", ""),
		stop:     p.strOr("stop", ""),
		status:   p.strOr("status", ""),
		restart:  p.strOr("restart", ""),
		binary:   p.strOr("binary", ""),
	}
	switch e := p.enum("ensure", "", "running", "stopped", "true", "false"); e {
	case "true":
		s.ensure = "running"
	case "false":
		s.ensure = "stopped"
	default:
		s.ensure = e
	}
	s.enable = p.enum("enable", "", "true", "false", "mask")
	src := p.strOr("pattern", "")
	if src == "" {
		src = s.binary
	}
	if src == "" {
		src = s.name
	}
	if re, err := regexp.Compile(src); err != nil {
		p.failf("pattern", "invalid regular expression %q: %v", src, err)
	} else {
		s.pattern = re
	}
	if s.provider == "base" && s.ensure == "running" && s.start == "" && s.binary == "" {
		p.failf("start", "Services must specify a start command or a binary")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *serviceRes) chooseProvider() {
	if s.provider != "" {
		return
	}
	s.provider = "base"
	if fi, err := os.Stat(systemdRunDir); err == nil && fi.IsDir() {
		s.provider = "systemd"
	}
}

func (s *serviceRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	s.chooseProvider()
	var changes []Change
	if s.ensure != "" {
		running, err := s.running(ctx)
		if err != nil {
			return nil, err
		}
		cur := "stopped"
		if running {
			cur = "running"
		}
		if cur != s.ensure {
			changes = append(changes, changed("ensure", ppQuote(cur), ppQuote(s.ensure)))
		}
	}
	if s.enable != "" {
		if s.provider != "systemd" {
			if env != nil && env.Log != nil {
				env.Log.Warn(fmt.Sprintf("Service[%s]: provider base does not support enable; not managing it", s.name))
			}
			return changes, nil
		}
		cur, err := s.enabled(ctx)
		if err != nil {
			return nil, err
		}
		if cur != s.enable {
			changes = append(changes, changed("enable", ppQuote(cur), ppQuote(s.enable)))
		}
	}
	return changes, nil
}

func (s *serviceRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Property {
		case "ensure":
			if s.ensure == "running" {
				err = s.startService(ctx)
			} else {
				err = s.stopService(ctx)
			}
		case "enable":
			err = s.setEnable(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Refresh restarts the service when it runs, as Puppet does on a refresh
// event; a stopped service, or one meant to be stopped, is left alone.
func (s *serviceRes) Refresh(ctx context.Context, env *Env) error {
	s.chooseProvider()
	if s.ensure == "stopped" {
		return nil
	}
	running, err := s.running(ctx)
	if err != nil || !running {
		return err
	}
	switch {
	case s.restart != "":
		return runServiceCommand(ctx, s.restart)
	case s.provider == "systemd":
		_, err := runSys(ctx, "systemctl", "restart", "--", s.name)
		return err
	}
	if err := s.stopService(ctx); err != nil {
		return err
	}
	return s.startService(ctx)
}

// running reports whether the service runs: the status command's exit
// status when there is one, else systemctl or the process table.
func (s *serviceRes) running(ctx context.Context) (bool, error) {
	switch {
	case s.status != "":
		return runServiceCommand(ctx, s.status) == nil, nil
	case s.provider == "systemd" && s.hasStat:
		_, err := runSys(ctx, "systemctl", "is-active", "--", s.name)
		return err == nil, nil
	}
	pids, err := s.pids()
	return len(pids) > 0, err
}

// enabled returns systemd's enablement as Puppet names it: true, false or
// mask. Static and indirect units count as enabled: nothing can disable them.
func (s *serviceRes) enabled(ctx context.Context) (string, error) {
	out, err := runSys(ctx, "systemctl", "is-enabled", "--", s.name)
	state := strings.TrimSpace(out)
	switch state {
	case "enabled", "enabled-runtime", "static", "indirect", "alias", "generated":
		return "true", nil
	case "masked", "masked-runtime":
		return "mask", nil
	case "disabled", "linked", "linked-runtime", "transient", "bad", "":
		var ce *commandError
		if state == "" && err != nil && !errors.As(err, &ce) {
			return "", err
		}
		return "false", nil
	}
	return "false", nil
}

func (s *serviceRes) startService(ctx context.Context) error {
	switch {
	case s.start != "":
		return runServiceCommand(ctx, s.start)
	case s.provider == "systemd":
		_, err := runSys(ctx, "systemctl", "start", "--", s.name)
		return err
	}
	if s.binary == "" {
		return fmt.Errorf("cannot start %s: Services must specify a start command or a binary", s.name)
	}
	return runServiceCommand(ctx, s.binary)
}

func (s *serviceRes) stopService(ctx context.Context) error {
	switch {
	case s.stop != "":
		return runServiceCommand(ctx, s.stop)
	case s.provider == "systemd":
		_, err := runSys(ctx, "systemctl", "stop", "--", s.name)
		return err
	}
	pids, err := s.pids()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("stopping %s (pid %d): %w", s.name, pid, err)
		}
	}
	// Wait for the processes to go, so that a restart does not find
	// the old one and a second check sees the service stopped.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		left, err := s.pids()
		if err != nil || len(left) == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("could not stop %s: processes matching /%s/ still run after SIGTERM", s.name, s.pattern)
}

func (s *serviceRes) setEnable(ctx context.Context) error {
	cur, err := s.enabled(ctx)
	if err != nil {
		return err
	}
	var cmds [][]string
	if cur == "mask" && s.enable != "mask" {
		cmds = append(cmds, []string{"unmask"})
	}
	switch s.enable {
	case "true":
		cmds = append(cmds, []string{"enable"})
	case "false":
		cmds = append(cmds, []string{"disable"})
	case "mask":
		cmds = append(cmds, []string{"mask"})
	}
	for _, c := range cmds {
		if _, err := runSys(ctx, "systemctl", append(c, "--", s.name)...); err != nil {
			return err
		}
	}
	return nil
}

// pids returns the processes whose command line matches the pattern,
// gapply itself excepted. A matching process whose parent matches too is
// left out: it is the daemon's own fork that has not yet exec'ed (a shell
// loop forking for each command shows its parent's command line for a
// moment), not a second instance of the service.
func (s *serviceRes) pids() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	parents := map[int]int{}
	var out []int
	deadline := time.Now().Add(time.Second)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, ok := procCmdline(pid, deadline)
		if ok && s.pattern.MatchString(cmdline) {
			out = append(out, pid)
			parents[pid] = procParent(pid)
		}
	}
	return slices.DeleteFunc(out, func(pid int) bool {
		_, forked := parents[parents[pid]]
		return forked
	}), nil
}

// procCmdline reads a process's command line, arguments joined by spaces;
// ok is false for a process that is gone, a zombie or a kernel thread. A
// process in the middle of execve shows an empty command line until the
// kernel has laid out its new arguments: that is read again, until the
// deadline (shared by one scan of /proc), so a daemon that has just been
// started is not missed.
func procCmdline(pid int, deadline time.Time) (cmdline string, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	for {
		b, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			return "", false
		}
		if len(b) > 0 {
			return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")), true
		}
		state, flags, ok := procStat(pid)
		const kernelThread = 0x00200000 // PF_KTHREAD
		if !ok || state == "Z" || state == "X" || flags&kernelThread != 0 || time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(time.Millisecond)
	}
}

// procParent returns the parent of a process, or 0 if it is gone.
func procParent(pid int) int {
	fields := procStatFields(pid)
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// procStat returns a process's state letter and flags word.
func procStat(pid int) (state string, flags uint64, ok bool) {
	fields := procStatFields(pid)
	if len(fields) < 7 {
		return "", 0, false
	}
	flags, err := strconv.ParseUint(fields[6], 10, 64)
	return fields[0], flags, err == nil
}

// procStatFields returns the fields of /proc/PID/stat that follow the
// command name (state, parent, ..., flags at index 6), or nil if the
// process is gone. The name is in parentheses and may itself hold spaces
// and ')', so the fields are counted from the last ')'.
func procStatFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// runServiceCommand runs a start/stop/status/restart command of the
// manifest through /bin/sh. Output goes to a temporary file rather than
// a pipe, so a daemon the command leaves in the background (holding the
// output open) does not make gapply wait for it; the daemon gets its own
// process group, so a signal to gapply's does not reach it.
func runServiceCommand(ctx context.Context, command string) error {
	f, err := os.CreateTemp("", "gapply-service-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(f.Name())
		return &commandError{Command: []string{command}, Output: strings.TrimSpace(string(out)), Err: err}
	}
	return nil
}

// serviceInstances lists systemd's service units for
// `gapply resource service`; without systemd there is nothing to list.
func serviceInstances(ctx context.Context) ([]*catalog.Resource, error) {
	if _, err := os.Stat(systemdRunDir); err != nil {
		return nil, nil
	}
	out, err := runSys(ctx, "systemctl", "list-unit-files", "--type=service", "--no-legend", "--no-pager")
	if err != nil {
		return nil, err
	}
	var res []*catalog.Resource
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.Contains(f[0], "@.") {
			continue
		}
		s := &serviceRes{name: f[0], provider: "systemd", hasStat: true}
		running, err := s.running(ctx)
		if err != nil {
			return nil, err
		}
		ensure := "stopped"
		if running {
			ensure = "running"
		}
		enable := "false"
		switch f[1] {
		case "enabled", "static", "indirect", "alias", "generated":
			enable = "true"
		case "masked":
			enable = "mask"
		}
		res = append(res, &catalog.Resource{Type: "Service", Title: f[0],
			Parameters: map[string]any{"ensure": ensure, "enable": enable, "provider": "systemd"}})
	}
	return res, nil
}
