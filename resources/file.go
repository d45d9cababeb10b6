//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/google/renameio/v2"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/gapply/gapply/catalog"
)

// maxDiffSize bounds the content that is diffed for --show-diff: a diff of
// a huge file helps nobody and costs memory.
const maxDiffSize = 1 << 20

// fileRes manages one path: its type (file, directory, link or absent), a
// file's content, a link's target, and mode and ownership.
//
// Puppet's rules, kept here: content without ensure creates a file; any
// ensure value that is not a keyword is the target of a link; a directory
// is replaced or removed only with force (a file or link is replaced by a
// directory without it); a directory's mode gets an execute bit for each
// read bit; replace => false leaves an existing file's content alone; the
// content of a regular file goes to the filebucket before it is replaced
// or removed, unless backup => false.
type fileRes struct {
	ref        catalog.Ref
	path       string
	ensure     string // "", present, file, directory, link, absent
	target     string
	content    []byte
	hasContent bool
	mode       *fileMode
	owner      string
	group      string
	replace    bool
	force      bool
	backup     bool
}

func init() {
	Register(&Type{
		Name: "file",
		Params: []Param{
			{Name: "path", Namevar: true},
			{Name: "ensure"},
			{Name: "content"},
			{Name: "mode"},
			{Name: "owner"},
			{Name: "group"},
			{Name: "target"},
			{Name: "replace"},
			{Name: "force"},
			{Name: "backup"},
		},
		New: newFile,
	})
}

func newFile(r *catalog.Resource) (Resource, error) {
	p := newAttrs(schemaOf("file"), r)
	f := &fileRes{ref: r.Ref(), path: p.namevar()}
	if !filepath.IsAbs(f.path) {
		p.fail("path", "File paths must be fully qualified, not '%s'", f.path)
	} else {
		f.path = filepath.Clean(f.path)
	}
	if ensure, ok := p.str("ensure"); ok {
		switch ensure {
		case "present", "file", "directory", "link", "absent":
			f.ensure = ensure
		case "":
			p.fail("ensure", "Invalid value \"\". Valid values are absent, present, file, directory, link. Valid values match /./.")
		default:
			// Puppet: any other value is the target of a symbolic link.
			f.ensure, f.target = "link", ensure
		}
	}
	if target, ok := p.str("target"); ok {
		if f.target != "" && f.target != target {
			p.fail("target", "ensure names the link target '%s' and target names '%s'", f.target, target)
		}
		f.target = target
	}
	if f.ensure == "link" && f.target == "" {
		p.fail("ensure", "Cannot create a symlink without a target")
	}
	if content, ok := p.str("content"); ok {
		f.content, f.hasContent = []byte(content), true
		switch f.ensure {
		case "directory", "link", "absent":
			p.fail("content", "You cannot specify content when using ensure => %s", f.ensure)
		}
	}
	if mode, ok := p.str("mode"); ok {
		m, err := parseFileMode(mode)
		if err != nil {
			p.fail("mode", "%v", err)
		}
		f.mode = m
	}
	f.owner, _ = p.str("owner")
	f.group, _ = p.str("group")
	for name, v := range map[string]string{"owner": f.owner, "group": f.group} {
		if p.value(name) != nil && v == "" {
			p.fail(name, "Invalid %s: an empty name", name)
		}
	}
	f.replace = p.boolean("replace", true)
	f.force = p.boolean("force", false)
	f.backup = true
	switch v := p.value("backup").(type) {
	case nil:
	case bool:
		f.backup = v
	case string:
		// Puppet takes a filebucket name or a suffix here; gapply has one
		// bucket, so any name means "back up", and false disables it.
		f.backup = v != "false"
	default:
		p.fail("backup", "Invalid value %s: use false or a filebucket name", attrRepr(v))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// fileKind names what is at a path, in Puppet's words.
func fileKind(fi fs.FileInfo) string {
	if fi == nil {
		return "absent"
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "link"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "device"
	}
}

// wantKind is the kind of object the resource asks for; "" means only
// manage the properties of whatever exists.
func (f *fileRes) wantKind() string {
	switch {
	case f.ensure == "" && f.hasContent:
		return "file"
	case f.ensure == "present" && f.hasContent:
		return "file"
	}
	return f.ensure
}

// Check compares the path with the desired state using one Lstat, and
// reads content only when the types agree and the sizes are equal.
func (f *fileRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	fi, err := os.Lstat(f.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		fi = nil
	}
	cur, want := fileKind(fi), f.wantKind()

	switch {
	case want == "absent":
		if cur == "absent" {
			return nil, nil
		}
		if cur == "directory" && !f.force {
			logf(env, "%s: Not removing directory; use 'force' to override", f.ref)
			return nil, nil
		}
		return []Change{{Property: "ensure", From: cur, To: "absent", Message: "removed"}}, nil
	case cur == "absent":
		if want == "" {
			return nil, nil
		}
		c := Change{Property: "ensure", From: "absent", To: want, Message: "created"}
		if want == "present" {
			c.To = "file"
		}
		if f.hasContent {
			c.Message = "defined content as '" + checksum(f.content) + "'"
		}
		return []Change{c}, nil
	case want != "" && want != "present" && want != cur:
		if cur == "directory" && !f.force {
			return nil, fmt.Errorf("Could not set '%s' on ensure: %s is a directory; use 'force' to override", want, f.path)
		}
		c := Change{Property: "ensure", From: cur, To: want,
			Message: fmt.Sprintf("ensure changed '%s' to '%s'", cur, want)}
		if want == "file" && f.hasContent {
			// Puppet words replacing a link by content as creating it.
			c.Message = "defined content as '" + checksum(f.content) + "'"
		}
		return []Change{c}, nil
	}

	// The right kind of object exists: compare its properties.
	var changes []Change
	if cur == "file" && f.hasContent && f.replace {
		c, err := f.checkContent(fi)
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	if cur == "link" && f.target != "" {
		old, err := os.Readlink(f.path)
		if err != nil {
			return nil, err
		}
		if old != f.target {
			changes = append(changes, Change{Property: "target", From: old, To: f.target,
				Message: fmt.Sprintf("target changed '%s' to '%s'", old, f.target)})
		}
	}
	own, err := f.checkOwnership(fi)
	if err != nil {
		return nil, err
	}
	changes = append(changes, own...)
	// Puppet does not manage the mode of a link itself (Linux has none).
	if f.mode != nil && cur != "link" {
		curMode := unixMode(fi)
		to := f.mode.resolve(curMode, cur == "directory")
		if to != curMode {
			c := Change{Property: "mode", From: formatMode(curMode), To: formatMode(to)}
			c.Message = fmt.Sprintf("mode changed '%s' to '%s'", c.From, c.To)
			if f.mode.symbolic {
				c.Message += " (" + f.mode.spec + ")"
			}
			changes = append(changes, c)
		}
	}
	return changes, nil
}

// checkContent compares the file's content with the desired content: the
// sizes first, and the bytes only when they are equal.
func (f *fileRes) checkContent(fi fs.FileInfo) (*Change, error) {
	var old []byte
	if fi.Size() == int64(len(f.content)) {
		var err error
		old, err = os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(old, f.content) {
			return nil, nil
		}
	}
	h := sha256.New()
	var text bytes.Buffer
	r, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if old != nil {
		h.Write(old)
		text.Write(old)
	} else {
		w := io.Writer(h)
		if fi.Size() <= maxDiffSize {
			w = io.MultiWriter(h, &text)
		}
		if _, err := io.Copy(w, r); err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.path, err)
		}
	}
	from := "{sha256}" + hex.EncodeToString(h.Sum(nil))
	to := checksum(f.content)
	c := &Change{Property: "content", From: from, To: to,
		Message: fmt.Sprintf("content changed '%s' to '%s'", from, to)}
	if fi.Size() <= maxDiffSize && len(f.content) <= maxDiffSize && isText(text.Bytes()) && isText(f.content) {
		c.Diff = unifiedDiff(f.path, text.String(), string(f.content))
	}
	return c, nil
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return "{sha256}" + hex.EncodeToString(sum[:])
}

// isText reports whether b looks like text worth diffing: valid UTF-8
// without NUL bytes.
func isText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// diffLines splits text into lines that keep their newline; a last line
// without one is marked the way diff(1) marks it.
func diffLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		return lines[:len(lines)-1]
	}
	lines[len(lines)-1] += "\n\\ No newline at end of file\n"
	return lines
}

func unifiedDiff(path, from, to string) string {
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        diffLines(from),
		B:        diffLines(to),
		FromFile: path,
		ToFile:   path,
		Context:  3,
	})
	if err != nil {
		return ""
	}
	return d
}

// checkOwnership compares owner and group, printing ids as names as
// Puppet does.
func (f *fileRes) checkOwnership(fi fs.FileInfo) ([]Change, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, nil
	}
	var changes []Change
	if f.owner != "" {
		uid, name, err := lookupUID(f.owner)
		if err != nil {
			return nil, err
		}
		if uid != int(st.Uid) {
			from := uidName(int(st.Uid))
			changes = append(changes, Change{Property: "owner", From: from, To: name,
				Message: fmt.Sprintf("owner changed '%s' to '%s'", from, name)})
		}
	}
	if f.group != "" {
		gid, name, err := lookupGID(f.group)
		if err != nil {
			return nil, err
		}
		if gid != int(st.Gid) {
			from := gidName(int(st.Gid))
			changes = append(changes, Change{Property: "group", From: from, To: name,
				Message: fmt.Sprintf("group changed '%s' to '%s'", from, name)})
		}
	}
	return changes, nil
}

// lookupUID resolves a user name or numeric id to the id and the name to
// print (the number itself when it has no name).
func lookupUID(owner string) (int, string, error) {
	if id, err := strconv.Atoi(owner); err == nil {
		return id, uidName(id), nil
	}
	u, err := user.Lookup(owner)
	if err != nil {
		return 0, "", fmt.Errorf("Could not find user %s", owner)
	}
	id, err := strconv.Atoi(u.Uid)
	return id, owner, err
}

func lookupGID(group string) (int, string, error) {
	if id, err := strconv.Atoi(group); err == nil {
		return id, gidName(id), nil
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return 0, "", fmt.Errorf("Could not find group %s", group)
	}
	id, err := strconv.Atoi(g.Gid)
	return id, group, err
}

func uidName(id int) string {
	if u, err := user.LookupId(strconv.Itoa(id)); err == nil {
		return u.Username
	}
	return strconv.Itoa(id)
}

func gidName(id int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(id)); err == nil {
		return g.Name
	}
	return strconv.Itoa(id)
}

// unixMode returns the permission and set-id bits of fi as chmod(2)
// numbers them.
func unixMode(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Mode & 0o7777
	}
	return uint32(fi.Mode().Perm())
}

// Apply makes the changes Check returned, in order: the object itself
// (ensure, content, target) first, then ownership, then mode last because
// chown(2) clears set-id bits.
func (f *fileRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	for _, c := range changes {
		var err error
		switch c.Property {
		case "ensure":
			err = f.applyEnsure(env, c.To)
		case "content":
			err = f.writeContent(env)
		case "target":
			err = renameio.Symlink(f.target, f.path)
		case "owner":
			// lookupUID returns Puppet's error for an unknown user.
			var uid int
			if uid, _, err = lookupUID(f.owner); err == nil {
				err = os.Lchown(f.path, uid, -1)
			}
		case "group":
			var gid int
			if gid, _, err = lookupGID(f.group); err == nil {
				err = os.Lchown(f.path, -1, gid)
			}
		case "mode":
			var m uint64
			if m, err = strconv.ParseUint(c.To, 8, 32); err == nil {
				err = syscall.Chmod(f.path, uint32(m))
			}
		default:
			err = fmt.Errorf("unknown change of %s", c.Property)
		}
		if err != nil {
			// The engine says which change failed; the error says why.
			return err
		}
	}
	return nil
}

// applyEnsure creates, replaces or removes the object at the path.
func (f *fileRes) applyEnsure(env *Env, want string) error {
	fi, err := os.Lstat(f.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	cur := "absent"
	if err == nil {
		cur = fileKind(fi)
	}
	if cur == "directory" && want != "directory" {
		if !f.force {
			return fmt.Errorf("Not removing directory %s; use 'force' to override", f.path)
		}
		if err := os.RemoveAll(f.path); err != nil {
			return err
		}
		cur = "absent"
	}
	if cur == "file" && want != "file" { // writeContent backs up itself
		if err := f.backupFile(env); err != nil {
			return err
		}
	}
	switch want {
	case "absent":
		if cur == "absent" {
			return nil
		}
		return os.Remove(f.path)
	case "file":
		// Written over whatever is there by an atomic rename.
		return f.writeContent(env)
	case "directory":
		if cur != "absent" {
			if err := os.Remove(f.path); err != nil {
				return err
			}
		}
		if err := os.Mkdir(f.path, 0o777); err != nil {
			return parentError(f.path, err)
		}
		return f.setAttrs(f.path, 0o777&^currentUmask(), true)
	case "link":
		if err := renameio.Symlink(f.target, f.path); err != nil {
			return parentError(f.path, err)
		}
		return f.setOwnership(f.path, true)
	}
	return fmt.Errorf("unknown ensure value %q", want)
}

func parentError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("Cannot create %s; parent directory %s does not exist", path, filepath.Dir(path))
	}
	return err
}

// backupFile keeps the current content of the file in the bucket. Without
// a successful backup nothing is replaced.
func (f *fileRes) backupFile(env *Env) error {
	if !f.backup || env == nil || env.Bucket == nil {
		return nil
	}
	sum, err := env.Bucket.Backup(f.path)
	if err != nil {
		return fmt.Errorf("could not back up %s, so not replacing it: %w", f.path, err)
	}
	if env.Log != nil {
		env.Log.Debug(fmt.Sprintf("%s: filebucketed %s to puppet with sum %s", f.ref, f.path, sum))
	}
	return nil
}

// writeContent replaces the file's content atomically: a temporary file
// in the same directory, with its final mode and owner set before the
// rename, so no reader ever sees a partial file or loose permissions. An
// existing file keeps its mode and ownership unless they are managed.
func (f *fileRes) writeContent(env *Env) error {
	fi, err := os.Lstat(f.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	existing := err == nil && fi.Mode().IsRegular()
	if existing {
		if err := f.backupFile(env); err != nil {
			return err
		}
	}
	t, err := renameio.NewPendingFile(f.path,
		renameio.WithTempDir(filepath.Dir(f.path)),
		renameio.WithPermissions(0o666))
	if err != nil {
		return parentError(f.path, err)
	}
	defer t.Cleanup()
	if _, err := t.Write(f.content); err != nil {
		return err
	}
	cur := uint32(0o666 &^ currentUmask())
	if existing {
		cur = unixMode(fi)
		st := fi.Sys().(*syscall.Stat_t)
		if err := t.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if err := f.setAttrs(t.Name(), cur, false); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}

// setAttrs sets the managed ownership and the mode (the managed one, or
// cur) on a file or directory just created.
func (f *fileRes) setAttrs(path string, cur uint32, isDir bool) error {
	if err := f.setOwnership(path, false); err != nil {
		return err
	}
	mode := cur
	if f.mode != nil {
		mode = f.mode.resolve(mode, isDir)
	}
	return syscall.Chmod(path, mode)
}

func (f *fileRes) setOwnership(path string, link bool) error {
	uid, gid := -1, -1
	var err error
	if f.owner != "" {
		if uid, _, err = lookupUID(f.owner); err != nil {
			return err
		}
	}
	if f.group != "" {
		if gid, _, err = lookupGID(f.group); err != nil {
			return err
		}
	}
	if uid == -1 && gid == -1 {
		return nil
	}
	if link {
		return os.Lchown(path, uid, gid)
	}
	return os.Chown(path, uid, gid)
}

// currentUmask reads the process umask without changing it (umask(2) can
// only be read by setting it, which would race with other goroutines
// creating files); Linux shows it in /proc/self/status.
func currentUmask() uint32 {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range bytes.Split(data, []byte("\n")) {
			if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
				if n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32); err == nil {
					return uint32(n)
				}
			}
		}
	}
	return 0o022
}

// logf reports something that is not a change (such as a directory that
// is not removed without force) at Info, Puppet's notice.
func logf(env *Env, format string, args ...any) {
	if env != nil && env.Log != nil {
		env.Log.Info(fmt.Sprintf(format, args...))
	}
}
