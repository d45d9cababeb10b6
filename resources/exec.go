//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gapply/gapply/catalog"
)

// execRes runs a command, the way Puppet's exec type with its posix and
// shell providers does.
//
// An exec is out of sync whenever it would run: not refreshonly, none of
// the creates paths exists, every onlyif command succeeds and no unless
// command does. The guards are reads, so Check runs them, in --noop too,
// as Puppet does. A failed run is an error of Apply; a refreshonly exec
// runs only through Refresh.
type execRes struct {
	// shown is the command as error messages quote it: redacted when
	// the command is Sensitive.
	shown       string
	ref         catalog.Ref
	command     string
	path        []string
	cwd         string
	environment []string
	creates     []string
	onlyif      []string
	unless      []string
	refreshonly bool
	returns     []int
	timeout     time.Duration // 0: none
	logoutput   string        // "true", "false" or "on_failure"
	user        string
	group       string
	umask       string // octal, "" when not managed
	tries       int
	trySleep    time.Duration
	shell       bool // provider => shell
}

func init() {
	Register(&Type{
		Name: "exec",
		Params: []Param{
			{Name: "command", Namevar: true},
			{Name: "path"},
			{Name: "cwd"},
			{Name: "environment"},
			{Name: "creates"},
			{Name: "onlyif"},
			{Name: "unless"},
			{Name: "refreshonly"},
			{Name: "returns"},
			{Name: "timeout"},
			{Name: "logoutput"},
			{Name: "user"},
			{Name: "group"},
			{Name: "umask"},
			{Name: "tries"},
			{Name: "try_sleep"},
			{Name: "provider"},
		},
		New: newExec,
		// An exec has no state to read, as in Puppet: describing one
		// validates the command and says it has not run.
		DescribeOne: func(ctx context.Context, command string) (*catalog.Resource, error) {
			r := &catalog.Resource{Type: "Exec", Title: command, Parameters: map[string]any{}}
			if _, err := newExec(r); err != nil {
				return nil, err
			}
			r.Parameters["returns"] = "notrun"
			return r, nil
		},
	})
}

var (
	envSetting = regexp.MustCompile(`^\w+=`)
	octalUmask = regexp.MustCompile(`^[0-7]{1,4}$`)
)

func newExec(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("exec"), r)
	e := &execRes{ref: r.Ref(), command: p.namevar(), logoutput: "on_failure", tries: 1, timeout: 300 * time.Second}
	e.shown = "'" + e.command + "'"
	if r.IsSensitive("command") {
		e.shown = "[command redacted]" // Puppet's words
	}

	switch prov, _ := p.str("provider"); prov {
	case "", "posix":
	case "shell":
		e.shell = true
	default:
		p.fail("provider", "Invalid exec provider '%s'", prov)
	}
	for _, dirs := range p.list("path") {
		// Puppet accepts an array, a colon-separated string, or both.
		for _, d := range strings.Split(dirs, ":") {
			if d != "" {
				e.path = append(e.path, d)
			}
		}
	}
	if e.command == "" {
		p.errs = append(p.errs, fmt.Errorf("Validation of %s failed: the command is empty", e.ref))
	} else if msg := e.unqualified(e.command); msg != "" {
		p.errs = append(p.errs, fmt.Errorf("Validation of %s failed: %s", e.ref, msg))
	}
	e.onlyif = p.list("onlyif")
	e.unless = p.list("unless")
	for name, cmds := range map[string][]string{"onlyif": e.onlyif, "unless": e.unless} {
		for _, c := range cmds {
			if msg := e.unqualified(c); msg != "" {
				p.fail(name, "%s", msg)
			}
		}
	}
	if cwd, ok := p.str("cwd"); ok {
		if !filepath.IsAbs(cwd) {
			p.fail("cwd", "cwd must be a fully qualified path")
		}
		e.cwd = cwd
	}
	e.environment = p.list("environment")
	for _, kv := range e.environment {
		if !envSetting.MatchString(kv) {
			p.fail("environment", "Invalid environment setting '%s'", kv)
		}
	}
	e.creates = p.list("creates")
	for _, c := range e.creates {
		if !filepath.IsAbs(c) {
			p.fail("creates", "creates must be a fully qualified path")
		}
	}
	e.refreshonly = p.boolean("refreshonly", false)
	if p.value("returns") == nil {
		e.returns = []int{0}
	}
	for _, s := range p.list("returns") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			// Puppet accepts any value here and then fails every run,
			// since an exit status is a number; say so up front.
			p.fail("returns", "Invalid value '%s': exit codes are integers", s)
			continue
		}
		e.returns = append(e.returns, n)
	}
	if f, ok, valid := p.number("timeout"); ok {
		if !valid || f < 0 {
			p.fail("timeout", "Munging failed for value %s in class timeout: The timeout must be a number.", attrRepr(p.value("timeout")))
		} else {
			e.timeout = time.Duration(f * float64(time.Second))
		}
	}
	if lo, ok := p.str("logoutput"); ok {
		switch lo {
		case "true", "false", "on_failure":
			e.logoutput = lo
		default:
			p.fail("logoutput", "Invalid value %s. Valid values are true, false, on_failure.", attrRepr(p.value("logoutput")))
		}
	}
	e.user, _ = p.str("user")
	e.group, _ = p.str("group")
	if um, ok := p.str("umask"); ok {
		if !octalUmask.MatchString(um) {
			p.fail("umask", "The umask specification is invalid: %q", um)
		}
		e.umask = um
	}
	if f, ok, valid := p.number("tries"); ok {
		if !valid || f < 1 || f != float64(int(f)) {
			p.fail("tries", "Munging failed for value %s in class tries: Tries must be an integer >= 1", attrString(p.value("tries")))
		} else {
			e.tries = int(f)
		}
	}
	if f, ok, valid := p.number("try_sleep"); ok {
		if !valid || f < 0 {
			p.fail("try_sleep", "Munging failed for value %s in class try_sleep: try_sleep cannot be a negative number", attrString(p.value("try_sleep")))
		} else {
			e.trySleep = time.Duration(f * float64(time.Second))
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return e, nil
}

// unqualified returns Puppet's complaint about a command that the posix
// provider cannot find without a search path, or "".
func (e *execRes) unqualified(command string) string {
	if e.shell || len(e.path) > 0 {
		return ""
	}
	if exe := extractExe(command); !filepath.IsAbs(exe) {
		return fmt.Sprintf("'%s' is not qualified and no path was specified. Please qualify the command or specify a path.", exe)
	}
	return ""
}

// extractExe returns the program of a command line: the quoted first word,
// or the first word.
func extractExe(command string) string {
	command = strings.TrimLeft(command, " \t")
	if command != "" && (command[0] == '"' || command[0] == '\'') {
		if end := strings.IndexByte(command[1:], command[0]); end >= 0 {
			return command[1 : end+1]
		}
	}
	if i := strings.IndexAny(command, " \t\n"); i >= 0 {
		return command[:i]
	}
	return command
}

// shellWords are the words that, first on a command line, make Ruby (and
// so Puppet's posix provider) hand the line to /bin/sh: reserved words and
// special built-ins of the POSIX shell.
var shellWords = map[string]bool{
	"!": true, ".": true, ":": true, "break": true, "case": true, "continue": true,
	"do": true, "done": true, "elif": true, "else": true, "esac": true, "eval": true,
	"exec": true, "exit": true, "export": true, "fi": true, "for": true, "if": true,
	"in": true, "readonly": true, "return": true, "set": true, "shift": true,
	"then": true, "times": true, "trap": true, "unset": true, "until": true, "while": true,
}

// needsShell reports whether a command line must run through /bin/sh,
// with the rule Ruby's Kernel#exec applies to a single string (which is
// what Puppet's posix provider calls): a shell metacharacter anywhere, an
// '=' in the first word before any '/' (a variable assignment), or a first
// word that is a shell reserved word or special built-in.
func needsShell(command string) bool {
	if strings.ContainsAny(command, "*?{}[]<>()~&|\\$;'`\"\n#") {
		return true
	}
	first := strings.TrimLeft(command, " \t")
	if i := strings.IndexAny(first, " \t"); i >= 0 {
		first = first[:i]
	}
	if slash := strings.IndexByte(first, '/'); slash >= 0 {
		if strings.Contains(first[:slash], "=") {
			return true
		}
	} else if strings.Contains(first, "=") {
		return true
	}
	return shellWords[first]
}

// splitWords splits a command without metacharacters on blanks, as Ruby
// does for a command it runs directly.
func splitWords(command string) []string {
	return strings.FieldsFunc(command, func(r rune) bool { return r == ' ' || r == '\t' })
}

func (e *execRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	if e.refreshonly {
		return nil, nil
	}
	run, err := e.guardsAllow(ctx, env)
	if err != nil || !run {
		return nil, err
	}
	return []Change{{Property: "returns", From: "notrun", To: "['" + e.returnsString("', '") + "']", Message: "executed successfully"}}, nil
}

func (e *execRes) returnsString(sep string) string {
	s := make([]string, len(e.returns))
	for i, r := range e.returns {
		s[i] = strconv.Itoa(r)
	}
	return strings.Join(s, sep)
}

// guardsAllow evaluates creates, unless and onlyif, cheapest first.
func (e *execRes) guardsAllow(ctx context.Context, env *Env) (bool, error) {
	for _, c := range e.creates {
		if _, err := os.Stat(c); err == nil {
			e.debug(env, "Skipping because %s exists", c)
			return false, nil
		}
	}
	for _, c := range e.unless {
		res, err := e.run(ctx, c)
		if err != nil {
			e.debug(env, "unless '%s' could not run: %v", c, err)
			continue
		}
		if res.code == 0 {
			e.debug(env, "Skipping because unless '%s' succeeded", c)
			return false, nil
		}
	}
	for _, c := range e.onlyif {
		res, err := e.run(ctx, c)
		if err != nil {
			e.debug(env, "Skipping because onlyif '%s' could not run: %v", c, err)
			return false, nil
		}
		if res.code != 0 {
			e.debug(env, "Skipping because onlyif '%s' returned %d", c, res.code)
			return false, nil
		}
	}
	return true, nil
}

func (e *execRes) debug(env *Env, format string, args ...any) {
	if env != nil && env.Log != nil {
		env.Log.Debug(e.ref.String() + ": " + fmt.Sprintf(format, args...))
	}
}

// Apply runs the command.
func (e *execRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	return e.execute(ctx, env)
}

// Refresh runs the command again on a refresh event, if the guards allow;
// this is how a refreshonly exec ever runs.
func (e *execRes) Refresh(ctx context.Context, env *Env) error {
	run, err := e.guardsAllow(ctx, env)
	if err != nil || !run {
		return err
	}
	return e.execute(ctx, env)
}

// execute runs the command up to tries times and checks its exit status.
func (e *execRes) execute(ctx context.Context, env *Env) error {
	var res runResult
	var err error
	for try := 1; try <= e.tries; try++ {
		if try > 1 {
			e.debug(env, "Sleeping for %s between tries", e.trySleep)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(e.trySleep):
			}
		}
		res, err = e.run(ctx, e.command)
		if err == nil && e.returnsOK(res.code) {
			break
		}
	}
	failed := err != nil || !e.returnsOK(res.code)
	if e.logoutput == "true" || (failed && e.logoutput == "on_failure") {
		e.logOutput(env, res.output)
	}
	if err != nil {
		return err
	}
	if failed {
		return fmt.Errorf("%s returned %d instead of one of [%s]", e.shown, res.code, e.returnsString(","))
	}
	return nil
}

func (e *execRes) returnsOK(code int) bool {
	for _, r := range e.returns {
		if r == code {
			return true
		}
	}
	return false
}

// logOutput logs each line of output as Puppet does, attributed to the
// returns property.
func (e *execRes) logOutput(env *Env, output []byte) {
	if env == nil || env.Log == nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(output))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		env.Log.Info(e.ref.String() + "/returns: " + sc.Text())
	}
}

type runResult struct {
	output []byte // stdout and stderr, interleaved
	code   int
}

// run runs one command line (the command or a guard) with the resource's
// environment, directory, user, umask and timeout. err is for a command
// that could not run or timed out; an exit status is in the result.
func (e *execRes) run(ctx context.Context, command string) (runResult, error) {
	argv, err := e.argv(command)
	if err != nil {
		return runResult{}, err
	}
	if e.cwd != "" {
		if fi, err := os.Stat(e.cwd); err != nil || !fi.IsDir() {
			return runResult{}, fmt.Errorf("Working directory %s does not exist!", e.cwd)
		}
	}
	cred, err := e.credential()
	if err != nil {
		return runResult{}, err
	}
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = e.cwd
	cmd.Env = e.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so that a timeout kills whatever the command
	// started too, not only the shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	res := runResult{output: out.Bytes()}
	if ctx.Err() == context.DeadlineExceeded && e.timeout > 0 {
		return res, errors.New("Command exceeded timeout")
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		res.code = exitErr.ExitCode()
		if res.code < 0 { // killed by a signal
			return res, fmt.Errorf("'%s' was killed: %v", command, exitErr)
		}
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("could not run '%s': %w", command, err)
	}
	return res, nil
}

// argv returns how to run a command line: through /bin/sh -c for the
// shell provider and for lines that need a shell, else split into words
// with the program found on path (posix provider). A umask is set by a
// small shell wrapper, since a child's umask cannot be set from Go without
// changing the whole process's.
func (e *execRes) argv(command string) ([]string, error) {
	if e.shell || needsShell(command) {
		if !e.shell {
			if _, err := e.findExe(extractExe(command)); err != nil {
				return nil, err
			}
		}
		if e.umask != "" {
			command = "umask " + e.umask + "; " + command
		}
		return []string{"/bin/sh", "-c", command}, nil
	}
	words := splitWords(command)
	if len(words) == 0 {
		return nil, errors.New("the command is empty")
	}
	exe, err := e.findExe(words[0])
	if err != nil {
		return nil, err
	}
	words[0] = exe
	if e.umask != "" {
		return append([]string{"/bin/sh", "-c", "umask " + e.umask + " && exec \"$@\"", "sh"}, words...), nil
	}
	return words, nil
}

// findExe checks the program as Puppet's posix provider does before it
// runs anything, with the same messages.
func (e *execRes) findExe(exe string) (string, error) {
	if filepath.IsAbs(exe) {
		fi, err := os.Stat(exe)
		switch {
		case err != nil:
			return "", fmt.Errorf("Could not find command '%s'", exe)
		case !fi.Mode().IsRegular():
			return "", fmt.Errorf("'%s' is a %s, not a file", exe, fileKind(fi))
		case fi.Mode()&0o111 == 0:
			return "", fmt.Errorf("'%s' is not executable", exe)
		}
		return exe, nil
	}
	for _, dir := range e.searchPath() {
		p := filepath.Join(dir, exe)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("Could not find command '%s'", exe)
}

func (e *execRes) searchPath() []string {
	if len(e.path) > 0 {
		return e.path
	}
	return filepath.SplitList(os.Getenv("PATH"))
}

// env is the agent's environment with PATH set from path, then the
// resource's environment settings, later ones winning.
func (e *execRes) env() []string {
	vars := os.Environ()
	if len(e.path) > 0 {
		vars = append(vars, "PATH="+strings.Join(e.path, ":"))
	}
	vars = append(vars, e.environment...)
	// Keep the last setting of each name only.
	seen := map[string]bool{}
	out := make([]string, 0, len(vars))
	for i := len(vars) - 1; i >= 0; i-- {
		name, _, _ := strings.Cut(vars[i], "=")
		if !seen[name] {
			seen[name] = true
			out = append(out, vars[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// credential looks the user up and returns who to run as: the user's id,
// primary group (or group, when given) and supplementary groups. Only root
// may switch users.
func (e *execRes) credential() (*syscall.Credential, error) {
	if e.user == "" && e.group == "" {
		return nil, nil
	}
	if e.user == "" {
		gid, _, err := lookupGID(e.group)
		if err != nil {
			return nil, err
		}
		if os.Geteuid() != 0 {
			return nil, errors.New("Only root can execute commands as other groups")
		}
		return &syscall.Credential{Uid: uint32(os.Geteuid()), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	var u *user.User
	var err error
	if _, numErr := strconv.Atoi(e.user); numErr == nil {
		u, err = cachedUserID(e.user)
	} else {
		u, err = cachedUser(e.user)
	}
	if err != nil {
		return nil, fmt.Errorf("Could not find user %s", e.user)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if os.Geteuid() != 0 {
		if uint64(os.Geteuid()) == uid {
			return nil, nil
		}
		return nil, errors.New("Only root can execute commands as other users")
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	if e.group != "" {
		g, _, err := lookupGID(e.group)
		if err != nil {
			return nil, err
		}
		cred.Gid = uint32(g)
	}
	return cred, nil
}

// Precheckable: an exec's check is a stat of its creates paths unless an
// unless or onlyif command has to run.
func (e *execRes) Precheckable() bool { return len(e.unless) == 0 && len(e.onlyif) == 0 }
