package server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gapply/gapply/ca"
)

// Identity is who made a request, as the master's authorization sees it.
type Identity struct {
	// Certname is the common name of the client's verified certificate; empty
	// for a client without one.
	Certname string
	// ViaProxy says the identity came from a trusted proxy's headers rather
	// than from this connection's own handshake.
	ViaProxy bool
}

// Authenticated reports whether the client showed a valid certificate.
func (id Identity) Authenticated() bool { return id.Certname != "" }

// ProxyOptions say which TLS-terminating balancers the master believes about
// the client's identity, and in which headers they put it. The defaults are
// the header names Puppet Server reads, which nginx fills from
// $ssl_client_verify, $ssl_client_s_dn and $ssl_client_escaped_cert.
type ProxyOptions struct {
	// Trusted are the addresses (single IPs or CIDR prefixes) of the
	// balancers. Only requests whose connection comes from one of them may
	// carry identity headers; from anywhere else such headers get 403.
	Trusted []netip.Prefix
	// VerifyHeader holds "SUCCESS" when the balancer verified a client
	// certificate; default X-Client-Verify.
	VerifyHeader string
	// DNHeader holds the client certificate's subject DN, RFC 2253 ("CN=x,O=y")
	// or the legacy OpenSSL form ("/O=y/CN=x"); default X-Client-DN.
	DNHeader string
	// CertHeader, when the balancer sends it, holds the URL-escaped PEM client
	// certificate; default X-Client-Cert. The master then checks it against
	// its own CA certificate and CRL too, so a revocation takes effect on the
	// masters at once even when the balancer still has an older CRL loaded.
	CertHeader string
}

// withDefaults fills in the default header names.
func (p ProxyOptions) withDefaults() ProxyOptions {
	if p.VerifyHeader == "" {
		p.VerifyHeader = "X-Client-Verify"
	}
	if p.DNHeader == "" {
		p.DNHeader = "X-Client-DN"
	}
	if p.CertHeader == "" {
		p.CertHeader = "X-Client-Cert"
	}
	return p
}

// ParseTrusted parses proxy addresses: "10.0.0.5", "10.0.0.0/24", "::1".
func ParseTrusted(addrs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if strings.Contains(a, "/") {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %v", a, err)
			}
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix", a)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

// errSpoofedHeaders refuses identity headers from an address that is not a
// trusted proxy: anybody could otherwise claim any node's name.
var errSpoofedHeaders = errors.New("client identity headers are accepted only from trusted proxies")

// identify works out who sent r. A certificate on the connection itself was
// verified (chain and CRL) during the handshake. From a trusted proxy, the
// identity headers decide; from anywhere else, their presence is an error.
func (s *Server) identify(r *http.Request) (Identity, error) {
	p := s.proxy
	hasHeaders := r.Header.Get(p.VerifyHeader) != "" || r.Header.Get(p.DNHeader) != "" || r.Header.Get(p.CertHeader) != ""
	if s.trustedPeer(r.RemoteAddr) {
		if hasHeaders {
			return s.identifyFromHeaders(r)
		}
	} else if hasHeaders {
		return Identity{}, errSpoofedHeaders
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return Identity{Certname: r.TLS.PeerCertificates[0].Subject.CommonName}, nil
	}
	return Identity{}, nil
}

func (s *Server) trustedPeer(remoteAddr string) bool {
	if len(s.proxy.Trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.proxy.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// identifyFromHeaders reads a trusted proxy's headers. A verify status other
// than SUCCESS (NONE, FAILED:reason) is an anonymous client, as Puppet
// treats it.
func (s *Server) identifyFromHeaders(r *http.Request) (Identity, error) {
	p := s.proxy
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get(p.VerifyHeader)), "SUCCESS") {
		return Identity{ViaProxy: true}, nil
	}
	cn, err := ParseDN(r.Header.Get(p.DNHeader))
	if err != nil {
		return Identity{}, fmt.Errorf("header %s: %w", p.DNHeader, err)
	}
	if raw := r.Header.Get(p.CertHeader); raw != "" {
		cert, err := parseCertHeader(raw)
		if err != nil {
			return Identity{}, fmt.Errorf("header %s: %w", p.CertHeader, err)
		}
		if err := s.verifier.VerifyClient(cert); err != nil {
			return Identity{}, err
		}
		if cert.Subject.CommonName != cn {
			return Identity{}, fmt.Errorf("header %s names %q but the certificate is %q", p.DNHeader, cn, cert.Subject.CommonName)
		}
	}
	return Identity{Certname: cn, ViaProxy: true}, nil
}

// parseCertHeader decodes nginx's $ssl_client_escaped_cert (URL-escaped PEM).
func parseCertHeader(raw string) (*x509.Certificate, error) {
	pemText, err := url.QueryUnescape(raw)
	if err != nil {
		return nil, err
	}
	return ca.ParseCertificatePEM([]byte(pemText))
}

// maxDNLen bounds the distinguished names ParseDN reads.
const maxDNLen = 4096

// ParseDN returns the common name in a subject DN, in the RFC 2253 form nginx
// gives in $ssl_client_s_dn ("CN=web1,OU=x,O=y", with backslash escapes) or
// in the legacy OpenSSL form ("/O=y/CN=web1"). Attribute names are matched
// without regard to case. A DN without exactly one CN is an error: a
// certificate name must not be ambiguous.
func ParseDN(dn string) (string, error) {
	dn = strings.TrimSpace(dn)
	switch {
	case dn == "":
		return "", errors.New("empty distinguished name")
	case len(dn) > maxDNLen:
		return "", fmt.Errorf("distinguished name longer than %d bytes", maxDNLen)
	}
	var attrs []string
	if strings.HasPrefix(dn, "/") {
		attrs = strings.Split(dn[1:], "/")
	} else {
		var err error
		if attrs, err = splitRFC2253(dn); err != nil {
			return "", err
		}
	}
	cn, found := "", 0
	for _, a := range attrs {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return "", fmt.Errorf("attribute %q in %q has no '='", a, dn)
		}
		if strings.EqualFold(strings.TrimSpace(k), "CN") {
			cn, found = v, found+1
		}
	}
	switch {
	case found == 0:
		return "", fmt.Errorf("no CN in %q", dn)
	case found > 1:
		return "", fmt.Errorf("more than one CN in %q", dn)
	case cn == "":
		return "", fmt.Errorf("empty CN in %q", dn)
	}
	return cn, nil
}

// splitRFC2253 splits a DN at unescaped ',' and '+' and removes the escapes
// (\, \+ \" \\ \< \> \; \= and \XX hex pairs).
func splitRFC2253(dn string) ([]string, error) {
	var attrs []string
	var cur strings.Builder
	for i := 0; i < len(dn); i++ {
		c := dn[i]
		switch {
		case c == '\\':
			if i+1 >= len(dn) {
				return nil, fmt.Errorf("dangling escape at the end of %q", dn)
			}
			if isHex(dn[i+1]) && i+2 < len(dn) && isHex(dn[i+2]) {
				cur.WriteByte(unhex(dn[i+1])<<4 | unhex(dn[i+2]))
				i += 2
				continue
			}
			cur.WriteByte(dn[i+1])
			i++
		case c == ',' || c == '+':
			attrs = append(attrs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(attrs, cur.String()), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
