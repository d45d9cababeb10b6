package ca

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"sort"
	"strings"
	"time"
)

// State is where a name stands with the CA.
type State int

const (
	// Requested: a certificate request is waiting to be signed.
	Requested State = iota + 1
	// Signed: the name has a certificate that is not revoked.
	Signed
	// Revoked: the name's certificate is in the CRL.
	Revoked
)

// String returns the state as Puppet's certificate_status API spells it.
func (s State) String() string {
	switch s {
	case Requested:
		return "requested"
	case Signed:
		return "signed"
	case Revoked:
		return "revoked"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Entry describes one request or certificate, for list and certificate_status.
type Entry struct {
	Name  string
	State State
	// Fingerprint is the SHA-256 digest of the request's or certificate's DER,
	// as colon-separated uppercase hex: what puppetserver ca list prints, and what
	// an administrator compares with the agent's before signing.
	Fingerprint string
	// AltNames are the subject alternative names, "DNS:x" and "IP:y".
	AltNames []string
	// Serial, NotBefore and NotAfter are set for certificates only.
	Serial    *big.Int
	NotBefore time.Time
	NotAfter  time.Time
}

// Fingerprint formats the SHA-256 digest of der as "AB:CD:...".
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", x)
	}
	return b.String()
}

func requestEntry(name string, csr *x509.CertificateRequest) Entry {
	return Entry{
		Name:        name,
		State:       Requested,
		Fingerprint: Fingerprint(csr.Raw),
		AltNames:    altNames{dns: csr.DNSNames, ips: csr.IPAddresses}.strings(),
	}
}

func certEntry(name string, cert *x509.Certificate, revoked bool) Entry {
	e := Entry{
		Name:        name,
		State:       Signed,
		Fingerprint: Fingerprint(cert.Raw),
		AltNames:    altNames{dns: cert.DNSNames, ips: cert.IPAddresses}.strings(),
		Serial:      cert.SerialNumber,
		NotBefore:   cert.NotBefore,
		NotAfter:    cert.NotAfter,
	}
	if revoked {
		e.State = Revoked
	}
	return e
}

// List returns the pending requests, sorted by name; with all, also every
// signed and revoked certificate (requests first, then certificates). A name
// can appear twice when an expired certificate is being renewed.
func (c *CA) List(all bool) ([]Entry, error) {
	var out []Entry
	err := c.withRLock(func() error {
		reqs, err := c.listDir(requestsDir, func(name string, data []byte) (Entry, error) {
			csr, err := ParseCSRPEM(data)
			if err != nil {
				return Entry{}, err
			}
			return requestEntry(name, csr), nil
		})
		if err != nil {
			return err
		}
		out = reqs
		if !all {
			return nil
		}
		revoked, err := c.revokedSerials()
		if err != nil {
			return err
		}
		certs, err := c.listDir(signedDir, func(name string, data []byte) (Entry, error) {
			cert, err := ParseCertificatePEM(data)
			if err != nil {
				return Entry{}, err
			}
			return certEntry(name, cert, revoked[cert.SerialNumber.String()]), nil
		})
		out = append(out, certs...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ca list: %w", err)
	}
	return out, nil
}

// listDir parses every <name>.pem in sub with parse, sorted by name.
func (c *CA) listDir(sub string, parse func(name string, data []byte) (Entry, error)) ([]Entry, error) {
	files, err := os.ReadDir(c.path(sub))
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, f := range files {
		name, ok := strings.CutSuffix(f.Name(), ".pem")
		if !ok || f.IsDir() || ValidateName(name) != nil {
			continue // renameio temporary files, strays
		}
		data, err := os.ReadFile(c.path(sub, f.Name()))
		if err != nil {
			return nil, err
		}
		e, err := parse(name, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.path(sub, f.Name()), err)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// revokedSerials returns the set of revoked serials (decimal strings).
func (c *CA) revokedSerials() (map[string]bool, error) {
	crl, err := c.currentCRL()
	if err != nil {
		return nil, err
	}
	return revokedSet(crl), nil
}

// revokedSet returns the serials crl revokes (decimal strings), for lookups.
func revokedSet(crl *x509.RevocationList) map[string]bool {
	set := make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		set[e.SerialNumber.String()] = true
	}
	return set
}

// Status describes name: its pending request if it has one, otherwise its
// certificate (signed or revoked). ErrNotFound if it has neither.
func (c *CA) Status(name string) (Entry, error) {
	if err := ValidateName(name); err != nil {
		return Entry{}, fmt.Errorf("ca status: %w", err)
	}
	var e Entry
	err := c.withRLock(func() error {
		data, err := os.ReadFile(c.path(requestsDir, name+".pem"))
		if err == nil {
			csr, err := ParseCSRPEM(data)
			if err != nil {
				return err
			}
			e = requestEntry(name, csr)
			return nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		cert, err := c.readSigned(name)
		if err != nil {
			return err
		}
		revoked, err := c.revokedSerials()
		if err != nil {
			return err
		}
		e = certEntry(name, cert, revoked[cert.SerialNumber.String()])
		return nil
	})
	if err != nil {
		return Entry{}, fmt.Errorf("ca status %q: %w", name, err)
	}
	return e, nil
}

// Certificate returns the signed certificate of name, PEM encoded, as served at
// /puppet-ca/v1/certificate/:name; the name "ca" returns the CA certificate.
// A revoked certificate is still returned (Puppet does the same; the CRL says it
// is revoked).
func (c *CA) Certificate(name string) ([]byte, error) {
	if name == "ca" {
		return c.CACertificate()
	}
	return c.readNamed("certificate", signedDir, name)
}

// Request returns the pending request of name, PEM encoded, as served at
// GET /puppet-ca/v1/certificate_request/:name.
func (c *CA) Request(name string) ([]byte, error) {
	return c.readNamed("certificate request", requestsDir, name)
}

func (c *CA) readNamed(what, sub, name string) ([]byte, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("ca %s: %w", what, err)
	}
	data, err := os.ReadFile(c.path(sub, name+".pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ca %s %q: %w", what, name, ErrNotFound)
	}
	return data, err
}
