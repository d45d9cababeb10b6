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

// sysParams extends attrs (the parameter reader shared by every type)
// with the value kinds the system types need: enumerations, whole
// numbers, and whether a list was given at all (groups => [] differs
// from no groups).
type sysParams struct{ *attrs }

func newSysParams(r *catalog.Resource) *sysParams {
	return &sysParams{newAttrs(schemaOf(strings.ToLower(r.Type)), r)}
}

// failf records a problem with parameter name in Puppet's words.
func (p *sysParams) failf(name, format string, args ...any) { p.fail(name, format, args...) }

// has reports whether name is given and not undef.
func (p *sysParams) has(name string) bool { return p.value(name) != nil }

// strOr returns the string parameter name, or def when it is not set.
func (p *sysParams) strOr(name, def string) string {
	if s, ok := p.str(name); ok {
		return s
	}
	return def
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
	p.fail(name, "Invalid value %q. Valid values are %s.", s, strings.Join(valid, ", "))
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
		p.fail(name, "Invalid value %q: expected a non-negative whole number", s)
		return 0, false
	}
	return n, true
}

// optList returns a list parameter and whether it was given at all.
func (p *sysParams) optList(name string) ([]string, bool) {
	return p.list(name), p.has(name)
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

// changed builds the usual change of one property, worded as Puppet's
// "shell changed '/bin/sh' to '/bin/bash'"; from and to are already
// formatted (quoted or not) as Puppet shows them.
//
// Change.From and To hold values the engine quotes itself (it leaves only
// lists alone), so a single-quoted value loses its quotes there: otherwise
// a --noop run would print the value between doubled quotes.
func changed(prop, from, to string) Change {
	return Change{
		Property: prop, From: unquoted(from), To: unquoted(to),
		Message: prop + " changed " + from + " to " + to,
	}
}

// unquoted undoes ppQuote's single quotes; anything else is kept as is.
func unquoted(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' && !strings.Contains(v[1:len(v)-1], "'") {
		return v[1 : len(v)-1]
	}
	return v
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
	// The temporary file goes beside path: without WithTempDir renameio
	// first probes $TMPDIR with two files and a rename of its own.
	opts := []renameio.Option{renameio.WithTempDir(filepath.Dir(path)), renameio.WithPermissions(perm)}
	uid, gid := -1, -1
	if fi, err := os.Stat(path); err == nil {
		// The mode just read, not renameio's WithExistingPermissions,
		// which would lstat path again.
		opts = append(opts, renameio.WithStaticPermissions(fi.Mode().Perm()))
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
	t, err := renameio.NewPendingFile(path, opts...)
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
	if len(b) == 0 {
		return nil, nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), nil
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
