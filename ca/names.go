package ca

import (
	"fmt"
	"net"
	"strings"
)

// maxNameLen bounds a certificate name to the length of a DNS name, which is what
// certificate names usually are.
const maxNameLen = 253

// ValidateName reports whether name may be a certificate name. The rules are
// Puppet's CA rules made strict enough to be a file name: lowercase ASCII letters,
// digits, '-', '.' and '_', not starting with '.' or '-', no "..", at most 253
// bytes. "ca" is refused because the CA API uses it for the CA's own certificate
// (GET /puppet-ca/v1/certificate/ca). The error wraps ErrInvalidName.
func ValidateName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidName, name, why)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > maxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", maxNameLen))
	case name == "ca":
		return bad(`"ca" names the CA's own certificate`)
	case name[0] == '.' || name[0] == '-':
		return bad("must not start with '.' or '-'")
	case strings.Contains(name, ".."):
		return bad(`must not contain ".."`)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			if r >= 'A' && r <= 'Z' {
				return bad("must be lowercase")
			}
			return bad(fmt.Sprintf("character %q not allowed (lowercase letters, digits, '-', '.', '_' only)", r))
		}
	}
	return nil
}

// altNames is a parsed list of subject alternative names.
type altNames struct {
	dns []string
	ips []net.IP
}

// parseAltNames parses names as Puppet's dns_alt_names setting does: a bare name or
// "DNS:name" is a DNS name, "IP:addr" an IP address. Wildcards are refused, as
// Puppet Server refuses them: a wildcard certificate would let one node answer for
// all. The certificate name itself is always included first, because Go (and
// modern browsers) ignore the common name when they check a host name.
func parseAltNames(name string, names []string) (altNames, error) {
	out := altNames{dns: []string{name}}
	seen := map[string]bool{"DNS:" + name: true}
	for _, n := range names {
		n = strings.TrimSpace(n)
		kind, value := "DNS", n
		if k, v, ok := strings.Cut(n, ":"); ok {
			kind, value = strings.ToUpper(k), v
		}
		switch kind {
		case "DNS":
			value = strings.ToLower(value)
			if strings.Contains(value, "*") {
				return altNames{}, fmt.Errorf("%w: DNS alt name %q: wildcards are not allowed", ErrInvalidAltName, n)
			}
			if err := ValidateName(value); err != nil && value != "ca" {
				return altNames{}, fmt.Errorf("%w: DNS alt name %q: %v", ErrInvalidAltName, n, err)
			}
			if !seen["DNS:"+value] {
				out.dns = append(out.dns, value)
			}
			seen["DNS:"+value] = true
		case "IP":
			ip := net.ParseIP(value)
			if ip == nil {
				return altNames{}, fmt.Errorf("%w: %q is not an IP address", ErrInvalidAltName, n)
			}
			if !seen["IP:"+ip.String()] {
				out.ips = append(out.ips, ip)
			}
			seen["IP:"+ip.String()] = true
		default:
			return altNames{}, fmt.Errorf("%w: %q: only DNS: and IP: alt names are supported", ErrInvalidAltName, n)
		}
	}
	return out, nil
}

// strings returns the alt names in Puppet's display form ("DNS:x", "IP:y").
func (a altNames) strings() []string {
	var out []string
	for _, d := range a.dns {
		out = append(out, "DNS:"+d)
	}
	for _, ip := range a.ips {
		out = append(out, "IP:"+ip.String())
	}
	return out
}
