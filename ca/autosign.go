package ca

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// AutosignMode says how an AutosignPolicy decides.
type AutosignMode int

const (
	// AutosignOff leaves every request pending until an administrator signs it.
	// It is the zero value, so a zero AutosignPolicy signs nothing.
	AutosignOff AutosignMode = iota
	// AutosignOn signs every valid request at once (Puppet's autosign = true):
	// only for labs, since anyone who reaches the CA gets a certificate.
	AutosignOn
	// AutosignAllowlist signs a request whose name matches one of the patterns.
	AutosignAllowlist
)

// AutosignPolicy decides which certificate requests are signed as soon as they
// arrive, like Puppet's autosign setting and autosign.conf file.
type AutosignPolicy struct {
	Mode AutosignMode
	// Patterns are exact certificate names or domain globs ("*.example.com"), used
	// when Mode is AutosignAllowlist. A glob's '*' stands for one or more leading
	// labels: "*.example.com" matches "web1.example.com" and "a.b.example.com" but
	// not "example.com". The pattern "*" alone matches every name.
	Patterns []string
}

// Allows reports whether the policy signs a request for name at once.
func (p AutosignPolicy) Allows(name string) bool {
	switch p.Mode {
	case AutosignOn:
		return true
	case AutosignAllowlist:
		for _, pat := range p.Patterns {
			if globMatch(pat, name) {
				return true
			}
		}
	}
	return false
}

func globMatch(pattern, name string) bool {
	pattern = strings.ToLower(pattern)
	if pattern == "*" {
		return true
	}
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		// suffix starts with '.', so the match needs at least one label before it.
		return len(name) > len(suffix) && strings.HasSuffix(name, suffix) && !strings.HasPrefix(name, ".")
	}
	return pattern == name
}

// checkPattern validates one allowlist pattern: an exact name, "*", or "*."
// followed by a valid name. Any other use of '*' would be a glob Puppet does not
// support, and silently never matching would hide the mistake.
func checkPattern(pat string) error {
	if pat == "*" {
		return nil
	}
	rest, isGlob := strings.CutPrefix(pat, "*.")
	if strings.Contains(rest, "*") || (!isGlob && strings.HasPrefix(pat, "*")) {
		return fmt.Errorf("pattern %q: '*' may only stand alone or as the first label (\"*.example.com\")", pat)
	}
	if err := ValidateName(strings.ToLower(rest)); err != nil && strings.ToLower(rest) != "ca" {
		return fmt.Errorf("pattern %q: %v", pat, err)
	}
	return nil
}

// NewAllowlist returns an AutosignAllowlist policy after checking every pattern.
func NewAllowlist(patterns ...string) (AutosignPolicy, error) {
	for _, p := range patterns {
		if err := checkPattern(p); err != nil {
			return AutosignPolicy{}, fmt.Errorf("%w: %v", ErrInvalidPolicy, err)
		}
	}
	return AutosignPolicy{Mode: AutosignAllowlist, Patterns: patterns}, nil
}

// ParseAutosign reads an autosign.conf: one certificate name or glob per line,
// blank lines and lines starting with '#' ignored. Puppet Server logs and skips a
// malformed line; we refuse the whole file instead, with the file name and line,
// because a silently skipped line in a security policy is a surprise. filename is
// used in messages only. An empty file gives an allowlist that matches nothing.
func ParseAutosign(r io.Reader, filename string) (AutosignPolicy, error) {
	p := AutosignPolicy{Mode: AutosignAllowlist}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.ContainsAny(text, " \t#") {
			return AutosignPolicy{}, fmt.Errorf("%w: %s:%d: %q: one name or glob per line, comments on their own line", ErrInvalidPolicy, filename, line, text)
		}
		if err := checkPattern(text); err != nil {
			return AutosignPolicy{}, fmt.Errorf("%w: %s:%d: %v", ErrInvalidPolicy, filename, line, err)
		}
		p.Patterns = append(p.Patterns, text)
	}
	if err := sc.Err(); err != nil {
		return AutosignPolicy{}, fmt.Errorf("%s: %w", filename, err)
	}
	return p, nil
}

// LoadAutosignFile reads an autosign.conf file with ParseAutosign.
func LoadAutosignFile(path string) (AutosignPolicy, error) {
	f, err := os.Open(path)
	if err != nil {
		return AutosignPolicy{}, err
	}
	defer f.Close()
	return ParseAutosign(f, path)
}

// ParseAutosignSetting interprets the value of the autosign setting as Puppet
// does: "true" or "false" ("on" and "off" too), or otherwise the path of an
// autosign.conf file.
// Puppet's policy executables (an executable path) are not supported.
func ParseAutosignSetting(value string) (AutosignPolicy, error) {
	switch strings.TrimSpace(value) {
	case "", "false", "off":
		return AutosignPolicy{Mode: AutosignOff}, nil
	case "true", "on":
		return AutosignPolicy{Mode: AutosignOn}, nil
	}
	return LoadAutosignFile(value)
}
