//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A file's source is where its content (or, for a directory, its tree)
// comes from. gapply resolves every source to a local path:
//
//   - an absolute path, or a file:// URL;
//   - puppet:///modules/NAME/REST (any server, as puppet apply ignores it):
//     NAME/files/REST in the first directory of Env.ModulePath (--modulepath)
//     that has it.
//
// An array of sources is tried in order and the first that exists is used
// (sourceselect => first, the default); with sourceselect => all, a
// recursive copy merges every source, the first having a name winning.
// As in Puppet 7 (source_permissions => ignore), the source's mode and
// ownership are not copied: the resource's own mode, owner and group apply.
// The content of a source file is read into memory to be compared, like
// the content parameter.

// fileSumTypes are the checksum values accepted; the hashing ones name
// the hash printed in messages ("{md5}...").
var fileSumTypes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New, "mtime": nil, "ctime": nil, "none": nil,
}

// parseSourceParams reads source, sourceselect, recurse, recurselimit,
// purge, ignore, links, checksum and validate_cmd.
func (f *fileRes) parseSourceParams(p *attrs) {
	f.sources = p.list("source")
	for _, src := range f.sources {
		if err := checkSourceURL(src); err != nil {
			p.fail("source", "%v", err)
		}
	}
	if len(f.sources) > 0 {
		switch {
		case f.hasContent:
			p.fail("source", "You cannot specify more than one of content, source, target")
		case f.ensure == "link":
			p.fail("source", "You cannot specify source when using ensure => link")
		}
	}
	switch v, _ := p.str("sourceselect"); v {
	case "", "first":
	case "all":
		f.sourceAll = true
	default:
		p.fail("sourceselect", "Invalid value %q. Valid values are first, all.", v)
	}
	f.recurseLimit = -1
	switch v, _ := p.str("recurse"); strings.ToLower(v) {
	case "", "false":
	case "true", "inf":
		f.recurse = "true"
	case "remote":
		f.recurse = "remote"
	default:
		p.fail("recurse", "Invalid recurse value %q: use true, false or remote", v)
	}
	if n, given, valid := p.number("recurselimit"); given {
		if !valid || n < 0 || n != math.Trunc(n) {
			p.fail("recurselimit", "Invalid value %s: a whole number of levels, 0 or more", attrRepr(p.value("recurselimit")))
		}
		f.recurseLimit = int(n)
	}
	f.purge = p.boolean("purge", false)
	f.ignore = p.list("ignore")
	for _, g := range f.ignore {
		if _, err := filepath.Match(g, ""); err != nil {
			p.fail("ignore", "Invalid glob %q: %v", g, err)
		}
	}
	switch v, _ := p.str("links"); v {
	case "", "manage":
	case "follow":
		f.followLinks = true
	default:
		p.fail("links", "Invalid value %q. Valid values are follow, manage.", v)
	}
	f.sumType = "sha256"
	if v, ok := p.str("checksum"); ok {
		if _, known := fileSumTypes[v]; !known {
			p.fail("checksum", "Invalid value %q. Valid values are md5, sha1, sha224, sha256, sha384, sha512, mtime, ctime, none.", v)
		}
		f.sumType = v
	}
	f.validateCmd, _ = p.str("validate_cmd")
	f.validateRepl = "%"
	if v, ok := p.str("validate_replacement"); ok && v != "" {
		f.validateRepl = v
	}
	if f.validateCmd != "" && !strings.Contains(f.validateCmd, f.validateRepl) {
		p.fail("validate_cmd", "validate_cmd must contain %s, which stands for the file to validate", f.validateRepl)
	}
	if v, ok := p.str("source_permissions"); ok && v != "ignore" {
		p.fail("source_permissions", "Only 'ignore' is supported (Puppet 7's default): set mode, owner and group instead")
	}
}

// checkSourceURL accepts what sourcePath can resolve; it does not look at
// the system, as validation must not.
func checkSourceURL(src string) error {
	if filepath.IsAbs(src) {
		return nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return fmt.Errorf("Could not understand source %s: %v", src, err)
	}
	switch u.Scheme {
	case "file":
		if !filepath.IsAbs(u.Path) {
			return fmt.Errorf("Cannot use relative URLs '%s'", src)
		}
		return nil
	case "puppet":
		if !strings.HasPrefix(u.Path, "/modules/") || len(strings.Split(u.Path, "/")) < 4 {
			return fmt.Errorf("Cannot use source %s: gapply serves only puppet:///modules/NAME/PATH", src)
		}
		return nil
	case "":
		return fmt.Errorf("Cannot use relative URLs '%s'", src)
	}
	return fmt.Errorf("Cannot use URLs of type '%s' as source for fileserving", u.Scheme)
}

// sourcePath returns the local path of a source and whether it exists.
func sourcePath(src string, modulePath []string) (string, bool) {
	if filepath.IsAbs(src) {
		return filepath.Clean(src), exists(src)
	}
	u, err := url.Parse(src)
	if err != nil {
		return "", false
	}
	if u.Scheme == "file" {
		return filepath.Clean(u.Path), exists(u.Path)
	}
	// puppet:///modules/NAME/REST
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/modules/"), "/", 2)
	if len(parts) != 2 {
		return "", false
	}
	for _, dir := range modulePath {
		p := filepath.Join(dir, parts[0], "files", parts[1])
		if exists(p) {
			return p, true
		}
	}
	return "", false
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// sourceDisplay is how Puppet names a source in messages: a local path
// as a file:// URL.
func sourceDisplay(src string) string {
	if filepath.IsAbs(src) {
		return "file://" + src
	}
	return src
}

// resolve returns the resource to compare: f itself without a source,
// or a copy whose ensure and content or link target come from the first
// source that exists (every one, with sourceselect => all, in srcRoots).
func (f *fileRes) resolve(env *Env) (*fileRes, error) {
	if len(f.sources) == 0 {
		return f, nil
	}
	var modulePath []string
	environment := "production"
	if env != nil {
		modulePath = env.ModulePath
		if env.Catalog != nil && env.Catalog.Environment != "" {
			environment = env.Catalog.Environment
		}
	}
	var found []string
	for _, src := range f.sources {
		if p, ok := sourcePath(src, modulePath); ok {
			found = append(found, p)
			if !f.sourceAll {
				break
			}
		}
	}
	if len(found) == 0 {
		shown := make([]string, len(f.sources))
		for i, s := range f.sources {
			shown[i] = sourceDisplay(s)
		}
		return nil, fmt.Errorf("Could not retrieve information from environment %s source(s) %s", environment, strings.Join(shown, ", "))
	}
	r := *f
	if err := r.fromSource(found[0]); err != nil {
		return nil, err
	}
	r.srcRoots = found
	return &r, nil
}

// fromSource sets what f wants from the source at path: a file's content,
// a directory, or (links => manage) a link with the same target.
func (f *fileRes) fromSource(path string) error {
	stat := os.Lstat
	if f.followLinks {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err != nil {
		return fmt.Errorf("Could not read source %s: %w", path, err)
	}
	f.srcPath, f.srcInfo = path, fi
	switch kind := fileKind(fi); kind {
	case "file":
		switch f.ensure {
		case "", "present", "file":
			data, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("Could not read source %s: %w", path, err)
			}
			f.ensure, f.content, f.hasContent = "file", data, true
		}
	case "directory":
		if f.ensure == "" || f.ensure == "present" {
			f.ensure = "directory"
		}
	case "link":
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		if f.ensure == "" || f.ensure == "present" {
			f.ensure, f.target = "link", target
		}
	default:
		return fmt.Errorf("Cannot use source %s: it is a %s", path, kind)
	}
	return nil
}

// hashName is the hash that names content sums in messages.
func (f *fileRes) hashName() string {
	if fileSumTypes[f.sumType] == nil {
		return "sha256" // time and none checksums still name content by sha256
	}
	return f.sumType
}

func (f *fileRes) hasher() hash.Hash {
	return fileSumTypes[f.hashName()]()
}

// contentSum is the desired content as messages show it: its hash, or
// the source's time with checksum => mtime or ctime.
func (f *fileRes) contentSum() string {
	if t, ok := f.sourceTime(); ok {
		return "{" + f.sumType + "}" + formatSumTime(t)
	}
	h := f.hasher()
	h.Write(f.content)
	return "{" + f.hashName() + "}" + hex.EncodeToString(h.Sum(nil))
}

// sourceTime is the source's mtime or ctime, when the checksum is a time.
func (f *fileRes) sourceTime() (time.Time, bool) {
	if f.srcInfo == nil || (f.sumType != "mtime" && f.sumType != "ctime") {
		return time.Time{}, false
	}
	return fileTime(f.srcInfo, f.sumType), true
}

func fileTime(fi fs.FileInfo, which string) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && which == "ctime" {
		return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	}
	return fi.ModTime()
}

func formatSumTime(t time.Time) string {
	return t.Format("2006-01-02 15:04:05 -0700")
}

// checkTime compares a file with its source by time, as Puppet's
// checksum => mtime does: the file is in sync when it is not older.
func (f *fileRes) checkTime(fi fs.FileInfo) *Change {
	want, _ := f.sourceTime()
	have := fileTime(fi, f.sumType)
	if !have.Before(want.Truncate(time.Second)) {
		return nil
	}
	from := "{" + f.sumType + "}" + formatSumTime(have)
	to := "{" + f.sumType + "}" + formatSumTime(want)
	return &Change{Property: "content", From: from, To: to,
		Message: fmt.Sprintf("content changed '%s' to '%s'", from, to)}
}

// validate runs validate_cmd on the new content, written to the temporary
// file tmp beside the file, before it replaces anything: a failure fails
// the resource and leaves the file as it was. As Puppet does, the command
// line goes to the shell with the replacement standing for tmp.
func (f *fileRes) validate(ctx context.Context, tmp string) error {
	if f.validateCmd == "" {
		return nil
	}
	line := strings.ReplaceAll(f.validateCmd, f.validateRepl, shellWord(tmp))
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return &commandError{Command: []string{line}, Output: strings.TrimSpace(out.String()), Err: err}
	}
	return nil
}

// shellWord quotes s for /bin/sh when it holds anything but safe
// characters, so that a plain path reads as itself in messages.
func shellWord(s string) string {
	safe := s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,:=@%") == ""
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
