package ca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"time"
)

// Verification errors, for errors.Is.
var (
	// ErrRevoked: the peer's certificate is listed in the CRL.
	ErrRevoked = errors.New("certificate revoked")
	// ErrUntrusted: the peer's certificate does not chain to the CA, has expired,
	// or lacks the needed extended key usage.
	ErrUntrusted = errors.New("certificate not trusted")
	// ErrBadCRL: a CRL is not signed by the CA, has expired, or is older than the
	// one in use.
	ErrBadCRL = errors.New("unusable CRL")
)

// Verifier checks peers' certificates against a CA certificate and its current
// CRL. It needs no CA directory, only the two public files the CA serves, so
// masters and agents use it. It is safe for concurrent use; SetCRL swaps the CRL
// while handshakes run.
type Verifier struct {
	caCert *x509.Certificate
	roots  *x509.CertPool
	now    func() time.Time

	mu      sync.RWMutex
	crl     *x509.RevocationList
	revoked map[string]bool
}

// NewVerifier returns a verifier for the CA certificate and CRL in PEM form.
func NewVerifier(caCertPEM, crlPEM []byte) (*Verifier, error) {
	caCert, err := ParseCertificatePEM(caCertPEM)
	if err != nil {
		return nil, fmt.Errorf("ca verifier: CA certificate: %w", err)
	}
	if !caCert.IsCA {
		return nil, fmt.Errorf("ca verifier: %q is not a CA certificate", caCert.Subject.CommonName)
	}
	v := &Verifier{caCert: caCert, roots: x509.NewCertPool(), now: time.Now}
	v.roots.AddCert(caCert)
	if err := v.SetCRL(crlPEM); err != nil {
		return nil, err
	}
	return v, nil
}

// LoadVerifier reads the CA certificate and CRL from files, as a master keeps
// them (for example ca_crt.pem and ca_crl.pem fetched from the CA).
func LoadVerifier(caCertFile, crlFile string) (*Verifier, error) {
	caPEM, err := os.ReadFile(caCertFile)
	if err != nil {
		return nil, fmt.Errorf("ca verifier: %w", err)
	}
	crlPEM, err := os.ReadFile(crlFile)
	if err != nil {
		return nil, fmt.Errorf("ca verifier: %w", err)
	}
	return NewVerifier(caPEM, crlPEM)
}

// Verifier returns a verifier for this CA's certificate and current CRL. Call
// it again (or SetCRL) after a revocation to see it.
func (c *CA) Verifier() (*Verifier, error) {
	caPEM, err := c.CACertificate()
	if err != nil {
		return nil, err
	}
	crlPEM, err := c.CRL()
	if err != nil {
		return nil, err
	}
	return NewVerifier(caPEM, crlPEM)
}

// SetCRL replaces the CRL after checking that the CA signed it and that its
// number is not lower than the current one (a stale copy must not un-revoke).
func (v *Verifier) SetCRL(crlPEM []byte) error {
	crl, err := ParseCRLPEM(crlPEM)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCRL, err)
	}
	if err := crl.CheckSignatureFrom(v.caCert); err != nil {
		return fmt.Errorf("%w: not signed by %q: %v", ErrBadCRL, v.caCert.Subject.CommonName, err)
	}
	revoked := revokedSet(crl)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.crl != nil && crl.Number != nil && v.crl.Number != nil && crl.Number.Cmp(v.crl.Number) < 0 {
		return fmt.Errorf("%w: CRL number %v is older than the current %v", ErrBadCRL, crl.Number, v.crl.Number)
	}
	v.crl, v.revoked = crl, revoked
	return nil
}

// CRLNumber returns the number of the CRL in use (nil if it has none).
func (v *Verifier) CRLNumber() *big.Int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.crl.Number == nil {
		return nil
	}
	return new(big.Int).Set(v.crl.Number)
}

// Pool returns a pool holding the CA certificate, for tls.Config.ClientCAs (on
// masters) and RootCAs (on agents).
func (v *Verifier) Pool() *x509.CertPool { return v.roots }

// Verify checks a peer's chain (leaf first, as tls.ConnectionState's
// PeerCertificates): it chains to the CA, is valid now, carries the extended key
// usage, and no certificate in the chain is revoked. With dnsName set, the leaf
// must also be valid for that host name.
func (v *Verifier) Verify(chain []*x509.Certificate, usage x509.ExtKeyUsage, dnsName string) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: no certificate presented", ErrUntrusted)
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	now := v.now()
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		DNSName:       dnsName,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{usage},
	}); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrUntrusted, leaf.Subject.CommonName, err)
	}
	v.mu.RLock()
	crl, revoked := v.crl, v.revoked
	v.mu.RUnlock()
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return fmt.Errorf("%w: CRL %v expired at %s; fetch a fresh one from the CA", ErrBadCRL, crl.Number, crl.NextUpdate.Format(time.RFC3339))
	}
	for _, c := range chain {
		if revoked[c.SerialNumber.String()] {
			return fmt.Errorf("%w: %q (serial 0x%x) is in CRL %v", ErrRevoked, c.Subject.CommonName, c.SerialNumber, crl.Number)
		}
	}
	return nil
}

// VerifyClient checks an agent's (or admin's) client certificate.
func (v *Verifier) VerifyClient(cert *x509.Certificate) error {
	return v.Verify([]*x509.Certificate{cert}, x509.ExtKeyUsageClientAuth, "")
}

// VerifyPeerCertificate has the signature of tls.Config.VerifyPeerCertificate,
// for servers: it checks the client's certificate, CRL included, on every
// handshake. It verifies rawCerts itself rather than trusting verifiedChains, so
// it works with any ClientAuth mode. With no certificate it returns nil: the CA
// endpoints serve clients without certificates, and the handler decides by
// looking at the connection's PeerCertificates. Beware: crypto/tls does not
// call it on resumed sessions, so a client revoked after its first handshake
// could resume past the CRL; servers that keep session tickets on should
// check in tls.Config.VerifyConnection instead (package server does). Use with
//
//	&tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: v.Pool(),
//		VerifyPeerCertificate: v.VerifyPeerCertificate}
func (v *Verifier) VerifyPeerCertificate(rawCerts [][]byte, _ [][]*x509.Certificate) error {
	if len(rawCerts) == 0 {
		return nil
	}
	chain := make([]*x509.Certificate, 0, len(rawCerts))
	for _, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUntrusted, err)
		}
		chain = append(chain, c)
	}
	return v.Verify(chain, x509.ExtKeyUsageClientAuth, "")
}

// VerifyServerConnection has the signature of tls.Config.VerifyConnection, for
// agents: it checks the master's certificate against the CA and the CRL, for the
// host name the client dialled (cs.ServerName), so a revoked master is refused.
// Set RootCAs to Pool() as well, so the standard verification also applies:
//
//	&tls.Config{RootCAs: v.Pool(), ServerName: host,
//		VerifyConnection: v.VerifyServerConnection}
func (v *Verifier) VerifyServerConnection(cs tls.ConnectionState) error {
	return v.Verify(cs.PeerCertificates, x509.ExtKeyUsageServerAuth, cs.ServerName)
}
