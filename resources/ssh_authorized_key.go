package resources

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapply/gapply/catalog"
)

// The ssh_authorized_key type (Puppet's sshkeys_core) manages one key in a
// user's authorized_keys file, identified by its name, the comment at the
// end of the key's line. Lines of other keys are kept as they are. The
// .ssh directory is created with mode 0700 and the file written with mode
// 0600, both owned by the user, as sshd's StrictModes requires.
func init() {
	Register(&Type{
		Name: "ssh_authorized_key",
		Params: []Param{
			{Name: "name", Namevar: true}, {Name: "ensure"}, {Name: "user"}, {Name: "type"},
			{Name: "key"}, {Name: "options"}, {Name: "target"}, {Name: "provider"},
		},
		New: newSSHKey,
	})
}

// sshKeyTypes maps every key type Puppet accepts to the name written in
// the file (the short aliases rsa, dsa, ed25519... to their full names).
var sshKeyTypes = map[string]string{
	"ssh-dss": "ssh-dss", "dsa": "ssh-dss",
	"ssh-rsa": "ssh-rsa", "rsa": "ssh-rsa",
	"ssh-ed25519": "ssh-ed25519", "ed25519": "ssh-ed25519",
	"ecdsa-sha2-nistp256":                "ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384":                "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521":                "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256@openssh.com": "sk-ecdsa-sha2-nistp256@openssh.com",
	"ecdsa-sk":                           "sk-ecdsa-sha2-nistp256@openssh.com",
	"sk-ssh-ed25519@openssh.com":         "sk-ssh-ed25519@openssh.com",
	"ed25519-sk":                         "sk-ssh-ed25519@openssh.com",
}

type sshKeyRes struct {
	name       string
	absent     bool
	user       string
	keyType    string
	key        string
	options    []string
	hasOptions bool
	target     string // "" means ~user/.ssh/authorized_keys
}

// sshKeyLine is one parsed line of an authorized_keys file.
type sshKeyLine struct {
	options      []string
	keyType, key string
	name         string
}

func newSSHKey(r *catalog.Resource) (Resource, error) {
	p := newSysParams(r)
	k := &sshKeyRes{
		name:   p.namevar(),
		absent: p.enum("ensure", "present", "present", "absent") == "absent",
		user:   p.strOr("user", ""),
		key:    p.strOr("key", ""),
		target: p.strOr("target", ""),
	}
	p.enum("provider", "parsed", "parsed")
	if strings.ContainsAny(k.name, " \t\n") {
		p.failf("name", "Resourcename must not contain whitespace: %s", k.name)
	}
	if t, ok := p.str("type"); ok {
		if full, known := sshKeyTypes[t]; known {
			k.keyType = full
		} else {
			p.failf("type", "Invalid value %q. Valid values are ssh-dss, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-ed25519, sk-ecdsa-sha2-nistp256@openssh.com, sk-ssh-ed25519@openssh.com, dsa, rsa, ecdsa-sk, ed25519, ed25519-sk.", t)
		}
	}
	if strings.ContainsAny(k.key, " \t\n") {
		p.failf("key", "Key must not contain whitespace: %s", k.key)
	}
	if !k.absent {
		if k.keyType == "" && !p.has("type") {
			p.errs = append(p.errs, fmt.Errorf("%s: type is a required attribute", r.Ref()))
		}
		if k.key == "" {
			p.errs = append(p.errs, fmt.Errorf("%s: key is a required attribute", r.Ref()))
		}
	}
	k.options, k.hasOptions = p.optList("options")
	for _, o := range k.options {
		if strings.ContainsAny(o, "\n") || (strings.ContainsAny(o, " \t") && !strings.Contains(o, `"`)) {
			p.failf("options", "Invalid option %q: spaces are allowed only inside a quoted value", o)
		}
	}
	if len(k.options) == 1 && k.options[0] == "absent" {
		k.options = nil
	}
	if k.target != "" && !absPath(k.target) {
		p.failf("target", "target must be an absolute path, not %q", k.target)
	}
	if k.user == "" && k.target == "" {
		p.errs = append(p.errs, fmt.Errorf("%s: Attribute 'user' or 'target' is mandatory", r.Ref()))
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return k, nil
}

// resolveTarget returns the file to manage; exists is false when the
// default is wanted but the user does not exist (yet).
func (k *sshKeyRes) resolveTarget() (path string, exists bool, err error) {
	if k.target != "" {
		return k.target, true, nil
	}
	home, _, _, err := homeOf(k.user)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return filepath.Join(home, ".ssh", "authorized_keys"), true, nil
}

// parseSSHKeyLine parses "[options] type key [comment]"; ok is false for
// blank lines, comments and lines it does not understand.
func parseSSHKeyLine(line string) (l sshKeyLine, ok bool) {
	s := strings.TrimSpace(line)
	if s == "" || strings.HasPrefix(s, "#") {
		return l, false
	}
	first, rest := splitSSHField(s)
	if _, isType := sshKeyTypes[first]; !isType {
		// The first field is options: commas separate them, and a
		// quoted value may hold spaces and commas.
		l.options = splitSSHOptions(first)
		first, rest = splitSSHField(rest)
	}
	l.keyType = first
	l.key, rest = splitSSHField(rest)
	l.name = strings.TrimSpace(rest)
	return l, l.keyType != "" && l.key != ""
}

// splitSSHField splits off the first whitespace-separated field, treating
// double-quoted text as part of the field.
func splitSSHField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	quoted := false
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case (c == ' ' || c == '\t') && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func splitSSHOptions(s string) []string {
	var out []string
	quoted, start := false, 0
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func (k *sshKeyRes) line(cur sshKeyLine) string {
	opts := cur.options
	if k.hasOptions {
		opts = k.options
	}
	fields := []string{k.keyType, k.key, k.name}
	if len(opts) > 0 {
		fields = append([]string{strings.Join(opts, ",")}, fields...)
	}
	return strings.Join(fields, " ")
}

func (k *sshKeyRes) find(lines []string) (int, sshKeyLine) {
	for i, l := range lines {
		if e, ok := parseSSHKeyLine(l); ok && e.name == k.name {
			return i, e
		}
	}
	return -1, sshKeyLine{}
}

func (k *sshKeyRes) Check(ctx context.Context, env *Env) ([]Change, error) {
	target, ok, err := k.resolveTarget()
	if err != nil {
		return nil, err
	}
	var lines []string
	if ok {
		if lines, err = readLines(target); err != nil {
			return nil, err
		}
	}
	i, cur := k.find(lines)
	switch {
	case k.absent && i < 0:
		return nil, nil
	case k.absent:
		return []Change{{Property: "ensure", From: "present", To: "absent", Message: "removed"}}, nil
	case i < 0:
		return []Change{{Property: "ensure", From: "absent", To: "present", Message: "created"}}, nil
	}
	var changes []Change
	if cur.keyType != k.keyType {
		changes = append(changes, changed("type", ppQuote(cur.keyType), ppQuote(k.keyType)))
	}
	if cur.key != k.key {
		changes = append(changes, changed("key", ppQuote(cur.key), ppQuote(k.key)))
	}
	if k.hasOptions && strings.Join(cur.options, ",") != strings.Join(k.options, ",") {
		changes = append(changes, changed("options", sshShowOptions(cur.options), sshShowOptions(k.options)))
	}
	return changes, nil
}

// sshShowOptions formats options as Puppet shows them; none is absent.
func sshShowOptions(o []string) string {
	if len(o) == 0 {
		return "absent"
	}
	return ppArray(o)
}

func (k *sshKeyRes) Apply(ctx context.Context, env *Env, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	target, ok, err := k.resolveTarget()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cannot manage the key of user %q: the user does not exist", k.user)
	}
	lines, err := readLines(target)
	if err != nil {
		return err
	}
	i, cur := k.find(lines)
	switch {
	case k.absent:
		kept := lines[:0]
		for _, l := range lines {
			if e, ok := parseSSHKeyLine(l); !ok || e.name != k.name {
				kept = append(kept, l)
			}
		}
		lines = kept
	case i < 0:
		lines = append(lines, k.line(sshKeyLine{}))
	default:
		lines[i] = k.line(cur)
	}
	uid, gid := -1, -1
	if k.user != "" {
		_, u, g, err := homeOf(k.user)
		if err != nil {
			return err
		}
		uid, gid = u, g
	}
	if err := k.prepareDir(filepath.Dir(target), uid, gid); err != nil {
		return err
	}
	if err := replaceTextFile(env, target, joinLines(lines), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(target, 0o600); err != nil {
		return err
	}
	if uid >= 0 {
		return os.Chown(target, uid, gid)
	}
	return nil
}

// prepareDir creates the default ~/.ssh directory (mode 0700, owned by
// the user) when missing; a directory named by target must exist already.
func (k *sshKeyRes) prepareDir(dir string, uid, gid int) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if k.target != "" && k.user == "" {
		return fmt.Errorf("the directory %s of target does not exist", dir)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if uid >= 0 {
		return os.Chown(dir, uid, gid)
	}
	return nil
}
