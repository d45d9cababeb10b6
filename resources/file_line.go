package resources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/gapply/gapply/catalog"
)

// The file_line type (from puppetlabs-stdlib) makes sure one line is in a
// file, or is not, without managing the rest of the file. The decisions
// follow stdlib's ruby provider: when the exact line is already there
// nothing happens; otherwise a line matching `match` is replaced, or the
// line is inserted after the line matching `after`, or appended. Regular
// expressions are Go's RE2, which agrees with Ruby's for the patterns
// people write for this (no backreferences or look-around).
//
// A missing file reads as empty in Check, so a --noop run can report the
// line it would add; Apply then fails, as stdlib does, because file_line
// edits files and does not create them (declare the file too).
func init() {
	Register(&Type{
		Name: "file_line",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "path", Required: true}, {Name: "line"},
			{Name: "match"}, {Name: "match_for_absence"}, {Name: "multiple"}, {Name: "after"},
			{Name: "replace"}, {Name: "replace_all_matches_not_matching_line"},
			{Name: "append_on_no_match"}, {Name: "encoding"}, {Name: "provider"},
		},
		New: newFileLine,
	})
}

type fileLineRes struct {
	path             string
	absent           bool
	line             string
	hasLine          bool
	match, after     *regexp.Regexp
	matchForAbsence  bool
	multiple         bool
	replace          bool
	replaceAllNotEq  bool
	appendOnNoMatch  bool
	matchSrc, afterS string
}

func newFileLine(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	f := &fileLineRes{
		path:            p.strOr("path", ""),
		absent:          p.enum("ensure", "present", "present", "absent") == "absent",
		matchForAbsence: p.boolean("match_for_absence", false),
		multiple:        p.boolean("multiple", false),
		replace:         p.boolean("replace", true),
		replaceAllNotEq: p.boolean("replace_all_matches_not_matching_line", false),
		appendOnNoMatch: p.boolean("append_on_no_match", true),
	}
	p.enum("provider", "ruby", "ruby")
	if enc, ok := p.str("encoding"); ok && enc != "UTF-8" {
		p.failf("encoding", "only UTF-8 is supported, not %q", enc)
	}
	f.line, f.hasLine = p.str("line")
	compile := func(name string) (*regexp.Regexp, string) {
		src, ok := p.str(name)
		if !ok {
			return nil, ""
		}
		re, err := regexp.Compile(src)
		if err != nil {
			p.failf(name, "invalid regular expression %q: %v", src, err)
			return nil, src
		}
		return re, src
	}
	f.match, f.matchSrc = compile("match")
	f.after, f.afterS = compile("after")
	if f.path != "" && !absPath(f.path) {
		p.failf("path", "File paths must be fully qualified, not '%s'", f.path)
	}
	if !f.hasLine && !(f.absent && f.matchForAbsence && f.matchSrc != "") {
		p.errs = append(p.errs, fmt.Errorf("%s: line is a required attribute", r.Ref()))
	}
	if f.replaceAllNotEq && !f.multiple {
		p.errs = append(p.errs, fmt.Errorf("%s: multiple must be true when replace_all_matches_not_matching_line is true", r.Ref()))
	}
	if f.replaceAllNotEq && !f.replace {
		p.errs = append(p.errs, fmt.Errorf("%s: replace must be true when replace_all_matches_not_matching_line is true", r.Ref()))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// matches reports whether l counts as a match of `match`: with
// replace_all_matches_not_matching_line the line itself does not count.
func (f *fileLineRes) matches(l string) bool {
	if f.replaceAllNotEq && l == f.line {
		return false
	}
	return f.match.MatchString(l)
}

func (f *fileLineRes) counts(lines []string) (exact, matched int) {
	for _, l := range lines {
		if f.hasLine && l == f.line {
			exact++
		}
		if f.match != nil && f.matches(l) {
			matched++
		}
	}
	return exact, matched
}

// inSync is stdlib's exists? turned around for ensure: whether the file
// already is as wanted.
func (f *fileLineRes) inSync(lines []string) bool {
	exact, matched := f.counts(lines)
	if f.absent {
		if f.matchForAbsence && f.match != nil {
			return matched == 0
		}
		return exact == 0
	}
	switch {
	case f.match == nil:
		return exact > 0
	case matched == 0:
		return exact > 0 || !f.appendOnNoMatch
	case f.replaceAllNotEq:
		return false
	case exact == 0:
		return !f.replace
	}
	return true
}

func (f *fileLineRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	lines, err := readLines(f.path)
	if err != nil {
		return nil, err
	}
	if f.inSync(lines) {
		return nil, nil
	}
	if f.absent {
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	}
	return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
}

func (f *fileLineRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	if _, err := os.Stat(f.path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("file_line cannot edit %s: the file does not exist", f.path)
	}
	lines, err := readLines(f.path)
	if err != nil {
		return err
	}
	out, err := f.edit(lines)
	if err != nil {
		return err
	}
	return replaceTextFile(env, f.path, joinLines(out), 0o644)
}

// edit returns the new lines of the file.
func (f *fileLineRes) edit(lines []string) ([]string, error) {
	var out []string
	if f.absent {
		byMatch := f.matchForAbsence && f.match != nil
		if _, matched := f.counts(lines); byMatch && matched > 1 && !f.multiple {
			return nil, fmt.Errorf("more than one line in file '%s' matches pattern '%s'", f.path, f.matchSrc)
		}
		for _, l := range lines {
			if (byMatch && f.matches(l)) || (!byMatch && l == f.line) {
				continue
			}
			out = append(out, l)
		}
		return out, nil
	}
	_, matched := f.counts(lines)
	if f.match != nil && matched > 0 {
		if !f.replace {
			return lines, nil
		}
		if matched > 1 && !f.multiple {
			return nil, fmt.Errorf("more than one line in file '%s' matches pattern '%s'", f.path, f.matchSrc)
		}
		for _, l := range lines {
			if f.matches(l) {
				l = f.line
			}
			out = append(out, l)
		}
		return out, nil
	}
	if f.after != nil {
		afterCount := 0
		for _, l := range lines {
			if f.after.MatchString(l) {
				afterCount++
			}
		}
		if afterCount > 1 && !f.multiple {
			return nil, fmt.Errorf("%d lines match pattern '%s' in file '%s': one or no line must match the pattern", afterCount, f.afterS, f.path)
		}
		for _, l := range lines {
			out = append(out, l)
			if f.after.MatchString(l) {
				out = append(out, f.line)
			}
		}
		if afterCount > 0 {
			return out, nil
		}
	}
	return append(append([]string(nil), lines...), f.line), nil
}
