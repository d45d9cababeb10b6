package resources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The cron type manages one job of a user's crontab through the real
// crontab command (crontab -l -u USER to read, crontab -u USER FILE to
// write), as Puppet's cron_core crontab provider does.
//
// A job is tracked by its name, written on the line before it as
// "# Puppet Name: NAME" (Puppet's own marker, so crontabs Puppet managed
// are taken over as they are), with its environment lines between the
// marker and the job. Changing a job rewrites its block in place, so a
// change never duplicates a line; every other line of the crontab stays
// as it was.
//
// As in Puppet, a time field left out of the manifest is not managed: a
// new job gets "*", an existing job keeps what it has.
func init() {
	Register(&Type{
		Name: "cron",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "command"}, {Name: "user"},
			{Name: "target"}, {Name: "minute"}, {Name: "hour"}, {Name: "monthday"}, {Name: "month"},
			{Name: "weekday"}, {Name: "special"}, {Name: "environment"}, {Name: "provider"},
		},
		New:       newCron,
		Instances: cronInstances,
	})
}

const cronNameMarker = "# Puppet Name: "

// cronFields are the time fields in crontab order, with the range of
// numbers and the names each accepts.
var cronFields = []struct {
	name     string
	min, max int
	names    []string
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"monthday", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"weekday", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronSpecials = []string{"reboot", "yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly"}

var cronValue = regexp.MustCompile(`^(\*|([0-9]+|[a-zA-Z]{3})(-([0-9]+|[a-zA-Z]{3}))?)(/[0-9]+)?$`)

type cronRes struct {
	name    string
	absent  bool
	command string
	user    string // whose crontab
	// times holds each time field's wanted values; nil when the
	// manifest leaves the field out.
	times      [5][]string
	special    string
	env        []string
	hasEnv     bool
	hasCommand bool
}

// cronJob is one job of a crontab as parsed.
type cronJob struct {
	name    string // "" for a job without a Puppet Name marker
	env     []string
	special string
	times   [5]string // each as written: "0,30", "*"
	command string
	// start and end delimit the job's lines [start, end): the marker,
	// the environment and the job line.
	start, end int
}

func newCron(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	c := &cronRes{
		name:   p.namevar(),
		absent: p.enum("ensure", "present", "present", "absent") == "absent",
	}
	p.enum("provider", "crontab", "crontab")
	c.command, c.hasCommand = p.str("command")
	if c.hasCommand && (strings.TrimSpace(c.command) == "" || strings.Contains(c.command, "\n")) {
		p.failf("command", "Invalid command %q: it must be one non-empty line", c.command)
	}
	if !c.hasCommand && !c.absent {
		p.failf("command", "command is a required attribute for cron jobs")
	}
	c.user = p.strOr("user", "")
	if c.user == "" {
		c.user = currentUserName()
	}
	// target names the crontab, which for this provider is a user's.
	if t, ok := p.str("target"); ok {
		if strings.ContainsRune(t, '/') {
			p.failf("target", "target %q must name a user's crontab, not a file path", t)
		}
		c.user = t
	}
	for i, f := range cronFields {
		vals, given := p.optList(f.name)
		if !given {
			continue
		}
		c.times[i] = []string{}
		for _, v := range vals {
			if v == "absent" || v == "*" {
				c.times[i] = []string{"*"}
				continue
			}
			if !validCronValue(v, f.min, f.max, f.names) {
				p.failf(f.name, "%q is not a valid %s", v, f.name)
				continue
			}
			c.times[i] = append(c.times[i], v)
		}
		if len(c.times[i]) == 0 {
			c.times[i] = []string{"*"}
		}
	}
	if s, ok := p.str("special"); ok && s != "absent" {
		c.special = p.enum("special", "", cronSpecials...)
		for i, f := range cronFields {
			if c.times[i] != nil && strings.Join(c.times[i], ",") != "*" {
				p.failf("special", "%s cannot be specified together with special", f.name)
			}
		}
	}
	c.env, c.hasEnv = p.optList("environment")
	for _, e := range c.env {
		if e != "absent" && !strings.Contains(e, "=") {
			p.failf("environment", "Invalid environment setting %q", e)
		}
	}
	if len(c.env) == 1 && c.env[0] == "absent" {
		c.env = nil
	}
	if strings.Contains(c.name, "\n") {
		p.failf("name", "Invalid name %q: it must be one line", c.name)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func validCronValue(v string, min, max int, names []string) bool {
	m := cronValue.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	ok := func(s string) bool {
		if s == "" {
			return true
		}
		if n, err := strconv.Atoi(s); err == nil {
			return n >= min && n <= max
		}
		for _, name := range names {
			if strings.EqualFold(s, name) {
				return true
			}
		}
		return false
	}
	return ok(m[2]) && ok(m[4])
}

func currentUserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}

// readCrontab returns the lines of user's crontab; none when the user has
// no crontab yet.
func readCrontab(ctx context.Context, user string) ([]string, error) {
	out, err := runSys(ctx, "crontab", "-l", "-u", user)
	if err != nil {
		var ce *commandError
		if errors.As(err, &ce) && strings.Contains(ce.Output, "no crontab for") {
			return nil, nil
		}
		return nil, err
	}
	s := strings.TrimSuffix(out, "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// writeCrontab installs lines as user's crontab with crontab -u, which
// replaces it atomically and signals cron.
func writeCrontab(ctx context.Context, user string, lines []string) error {
	f, err := os.CreateTemp("", "gapply-crontab-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(joinLines(lines)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = runSys(ctx, "crontab", "-u", user, f.Name())
	return err
}

var cronEnvLine = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*=`)

// parseCrontab finds the jobs of a crontab: named blocks and plain job
// lines.
func parseCrontab(lines []string) []cronJob {
	var jobs []cronJob
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if name, ok := strings.CutPrefix(line, cronNameMarker); ok {
			job := cronJob{name: strings.TrimSpace(name), start: i}
			j := i + 1
			for ; j < len(lines) && cronEnvLine.MatchString(lines[j]); j++ {
				job.env = append(job.env, strings.TrimSpace(lines[j]))
			}
			if j < len(lines) && parseCronLine(lines[j], &job) {
				j++
			}
			job.end = j
			jobs = append(jobs, job)
			i = j - 1
			continue
		}
		job := cronJob{start: i, end: i + 1}
		if parseCronLine(line, &job) {
			jobs = append(jobs, job)
		}
	}
	return jobs
}

// parseCronLine reads a job line into job; false for anything else
// (comments, blank lines, environment settings).
func parseCronLine(line string, job *cronJob) bool {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") || cronEnvLine.MatchString(t) {
		return false
	}
	if strings.HasPrefix(t, "@") {
		special, cmd, ok := strings.Cut(t[1:], " ")
		if !ok {
			return false
		}
		job.special, job.command = special, strings.TrimSpace(cmd)
		return true
	}
	rest := t
	for i := range job.times {
		f := strings.Fields(rest)
		if len(f) < 2 {
			return false
		}
		job.times[i] = f[0]
		rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), f[0]))
	}
	job.command = rest
	return true
}

// want returns the job as it should be, keeping what the manifest leaves
// unmanaged from cur (which is zero for a new job).
func (c *cronRes) want(cur cronJob, exists bool) cronJob {
	w := cronJob{name: c.name, command: c.command, special: c.special, env: cur.env}
	if !c.hasCommand {
		w.command = cur.command
	}
	if c.hasEnv {
		w.env = c.env
	}
	for i := range w.times {
		switch {
		case c.times[i] != nil:
			w.times[i] = strings.Join(c.times[i], ",")
		case exists && c.special == "" && cur.special == "":
			w.times[i] = cur.times[i]
		default:
			w.times[i] = "*"
		}
	}
	return w
}

func (j cronJob) lines() []string {
	out := []string{cronNameMarker + j.name}
	out = append(out, j.env...)
	if j.special != "" {
		return append(out, "@"+j.special+" "+j.command)
	}
	return append(out, strings.Join(j.times[:], " ")+" "+j.command)
}

// find returns the job of this resource: the one with its name, or else,
// as Puppet's crontab provider matches unnamed entries, a job without a
// name marker that is exactly what the resource describes (same schedule,
// command and environment). Such a job is adopted rather than duplicated:
// it is in sync, gets the marker when the job next changes, and is what
// ensure => absent removes.
func (c *cronRes) find(jobs []cronJob) (cronJob, bool) {
	for _, j := range jobs {
		if j.name == c.name {
			return j, true
		}
	}
	if !c.hasCommand {
		return cronJob{}, false
	}
	w := c.want(cronJob{}, false)
	for _, j := range jobs {
		if j.name == "" && j.command == w.command && j.special == w.special && j.times == w.times &&
			strings.Join(j.env, "\n") == strings.Join(w.env, "\n") {
			return j, true
		}
	}
	return cronJob{}, false
}

func (c *cronRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	if c.absent {
		// A user that does not exist has no crontab, so no job to
		// remove: removing a user's jobs and the user in one run
		// converges on the next one too.
		if _, _, _, err := homeOf(c.user); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	lines, err := readCrontab(ctx, c.user)
	if err != nil {
		return nil, err
	}
	cur, exists := c.find(parseCrontab(lines))
	switch {
	case c.absent && !exists:
		return nil, nil
	case c.absent:
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	case !exists:
		return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
	}
	w := c.want(cur, true)
	var changes []Change
	if cur.command != w.command {
		changes = append(changes, changed("command", ppQuote(cur.command), ppQuote(w.command)))
	}
	if cur.special != w.special {
		changes = append(changes, changed("special", cronShow(cur.special), cronShow(w.special)))
	}
	if w.special == "" {
		for i, f := range cronFields {
			if cur.special != "" || cur.times[i] != w.times[i] {
				changes = append(changes, changed(f.name, cronShowList(cur.times[i]), cronShowList(w.times[i])))
			}
		}
	}
	if strings.Join(cur.env, "\n") != strings.Join(w.env, "\n") {
		changes = append(changes, changed("environment", ppArray(cur.env), ppArray(w.env)))
	}
	return changes, nil
}

// cronShow and cronShowList format values as Puppet's cron messages do:
// time fields as arrays (['0', '30']), a missing value as absent.
func cronShow(s string) string {
	if s == "" {
		return "absent"
	}
	return ppQuote(s)
}

func cronShowList(s string) string {
	if s == "" {
		return "absent"
	}
	return ppArray(strings.Split(s, ","))
}

func (c *cronRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	lines, err := readCrontab(ctx, c.user)
	if err != nil {
		return err
	}
	jobs := parseCrontab(lines)
	cur, exists := c.find(jobs)
	var out []string
	switch {
	case c.absent:
		// Every block of the name goes, so a duplicate left by hand
		// cannot bring the job back.
		out = dropCronBlocks(lines, jobs, c.name)
		if exists && cur.name == "" { // an adopted job
			out = append(append([]string(nil), lines[:cur.start]...), lines[cur.end:]...)
		}
	case !exists:
		out = append(lines, c.want(cronJob{}, false).lines()...)
	default:
		out = append(append(append([]string(nil), lines[:cur.start]...), c.want(cur, true).lines()...), lines[cur.end:]...)
	}
	return writeCrontab(ctx, c.user, out)
}

func dropCronBlocks(lines []string, jobs []cronJob, name string) []string {
	drop := map[int]bool{}
	for _, j := range jobs {
		if j.name == name {
			for i := j.start; i < j.end; i++ {
				drop[i] = true
			}
		}
	}
	var out []string
	for i, l := range lines {
		if !drop[i] {
			out = append(out, l)
		}
	}
	return out
}

// crontabDir is where Debian's cron keeps users' crontabs; listing it
// tells which users have one, without a process per user.
const crontabDir = "/var/spool/cron/crontabs"

// cronInstances lists the jobs of every user's crontab for
// `gapply resource cron`. Jobs without a name are listed as Puppet lists
// them, named "unmanaged:COMMAND-N".
func cronInstances(ctx context.Context) ([]*catalog.Resource, error) {
	entries, err := os.ReadDir(crontabDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var users []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "tmp.") {
			users = append(users, e.Name())
		}
	}
	sort.Strings(users)
	var out []*catalog.Resource
	for _, u := range users {
		lines, err := readCrontab(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("reading the crontab of %s: %w", u, err)
		}
		for n, j := range parseCrontab(lines) {
			title := j.name
			if title == "" {
				title = fmt.Sprintf("unmanaged:%s-%d", j.command, n+1)
			}
			params := map[string]any{"ensure": "present", "command": j.command, "user": u, "target": u}
			if j.special != "" {
				params["special"] = j.special
			} else {
				for i, f := range cronFields {
					if j.times[i] != "*" {
						params[f.name] = toAnyList(strings.Split(j.times[i], ","))
					}
				}
			}
			if len(j.env) > 0 {
				params["environment"] = toAnyList(j.env)
			}
			out = append(out, &catalog.Resource{Type: "Cron", Title: title, Parameters: params})
		}
	}
	return out, nil
}
