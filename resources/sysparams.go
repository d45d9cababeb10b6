package resources

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/renameio/v2"

	"github.com/gapply/gapply/catalog"
)

// sysParams reads the parameters of one catalog resource for the system
// types and collects every validation problem, so a New reports all of a
// resource's mistakes at once, each in Puppet's words.
type sysParams struct {
	r    *catalog.Resource
	errs []error
}

func newSysParams(r *catalog.Resource) *sysParams { return &sysParams{r: r} }

// failf records a problem with parameter name, as Puppet words it:
// "Parameter uid failed on User[x]: ...".
func (p *sysParams) failf(name, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("Parameter %s failed on %s: %s",
		name, p.r.Ref(), fmt.Sprintf(format, args...)))
}

// err returns every recorded problem joined, or nil.
func (p *sysParams) err() error { return errors.Join(p.errs...) }

// has reports whether name is given and not undef.
func (p *sysParams) has(name string) bool {
	v, ok := p.r.Parameters[name]
	return ok && v != nil
}

// str returns a scalar parameter as a string (numbers and booleans as
// Puppet would interpolate them); ok is false when it is not set.
func (p *sysParams) str(name string) (string, bool) {
	v, ok := p.r.Parameters[name]
	if !ok || v == nil {
		return "", false
	}
	s, isScalar := scalarString(v)
	if !isScalar {
		p.failf(name, "Munging failed for value %s: expected a single value", ppValue(v))
		return "", false
	}
	return s, true
}

// strOr returns the string parameter name, or def when it is not set.
func (p *sysParams) strOr(name, def string) string {
	if s, ok := p.str(name); ok {
		return s
	}
	return def
}

// namevar returns the namevar's value, which defaults to the title.
func (p *sysParams) namevar(name string) string {
	return p.strOr(name, p.r.Title)
}

// enum returns the parameter's value, which must be one of valid; def
// when not set. Comparison ignores case as Puppet's does for symbols.
func (p *sysParams) enum(name, def string, valid ...string) string {
	s, ok := p.str(name)
	if !ok {
		return def
	}
	for _, v := range valid {
		if strings.EqualFold(s, v) {
			return v
		}
	}
	p.failf(name, "Invalid value %q. Valid values are %s.", s, strings.Join(valid, ", "))
	return def
}

// boolean returns a boolean parameter; true/false and their string forms
// (also yes/no) are accepted as Puppet's boolean parameters accept them.
func (p *sysParams) boolean(name string, def bool) bool {
	v, ok := p.r.Parameters[name]
	if !ok || v == nil {
		return def
	}
	switch v := v.(type) {
	case bool:
		return v
	case string:
		switch strings.ToLower(v) {
		case "true", "yes":
			return true
		case "false", "no":
			return false
		}
	}
	p.failf(name, "Invalid value %s. Valid values are true, false, yes, no.", ppValue(v))
	return def
}

// integer returns a whole-number parameter (an integer or a string of
// digits).
func (p *sysParams) integer(name string) (int64, bool) {
	s, ok := p.str(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		p.failf(name, "Invalid value %q: expected a non-negative whole number", s)
		return 0, false
	}
	return n, true
}

// list returns a parameter that may be one value or an array of values.
func (p *sysParams) list(name string) ([]string, bool) {
	v, ok := p.r.Parameters[name]
	if !ok || v == nil {
		return nil, false
	}
	arr, isArr := v.([]any)
	if !isArr {
		arr = []any{v}
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, isScalar := scalarString(e)
		if !isScalar {
			p.failf(name, "Invalid value %s: expected strings", ppValue(e))
			continue
		}
		out = append(out, s)
	}
	return out, true
}

func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// ppQuote formats a string the way Puppet prints a value in a change
// message: in single quotes, or double quotes when it holds one.
func ppQuote(s string) string {
	if strings.ContainsRune(s, '\'') {
		return strconv.Quote(s)
	}
	return "'" + s + "'"
}

// ppArray formats a list as Puppet prints an array: ['a', 'b'].
func ppArray(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = ppQuote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// ppValue formats any parameter value for a message.
func ppValue(v any) string {
	switch v := v.(type) {
	case string:
		return ppQuote(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = ppValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "undef"
	}
	return fmt.Sprint(v)
}

// changed builds the usual change of one property, worded as Puppet's
// "shell changed '/bin/sh' to '/bin/bash'"; from and to are already
// formatted (quoted or not) as Puppet shows them.
func changed(prop, from, to string) Change {
	return Change{
		Property: prop, From: from, To: to,
		Message: prop + " changed " + from + " to " + to,
	}
}

// sortedCopy returns l sorted, without touching l.
func sortedCopy(l []string) []string {
	c := append([]string(nil), l...)
	sort.Strings(c)
	return c
}

// sameSet reports whether a and b hold the same strings, ignoring order
// and repeats.
func sameSet(a, b []string) bool {
	return strings.Join(uniqSorted(a), "\x00") == strings.Join(uniqSorted(b), "\x00")
}

func uniqSorted(l []string) []string {
	c := sortedCopy(l)
	out := c[:0]
	for i, s := range c {
		if i == 0 || s != c[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// replaceTextFile writes content to path atomically (a temporary file in
// the same directory, then rename), after keeping the old content in the
// filebucket, so no run loses data and no reader sees half a file. An
// existing file keeps its mode and owner; a new one gets mode perm.
func replaceTextFile(env *Env, path string, content []byte, perm os.FileMode) error {
	mode := perm
	uid, gid := -1, -1
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
		if env != nil && env.Bucket != nil {
			if _, err := env.Bucket.Backup(path); err != nil {
				return fmt.Errorf("backing up %s: %w", path, err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	t, err := renameio.NewPendingFile(path, renameio.WithPermissions(mode), renameio.WithExistingPermissions())
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer t.Cleanup()
	if _, err := t.Write(content); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if uid >= 0 {
		if err := t.Chown(uid, gid); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readLines reads a text file as lines without their newlines; a missing
// file has none.
func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// joinLines is the inverse of readLines: every line ends with a newline.
func joinLines(lines []string) []byte {
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// absPath reports whether p is an absolute path, for parameters Puppet
// requires to be fully qualified.
func absPath(p string) bool { return filepath.IsAbs(p) }
