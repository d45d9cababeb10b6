package ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// maxCSRSize bounds a submitted request; a real one is about 1 KiB.
const maxCSRSize = 64 << 10

// Generate makes a key and a certificate for name, signed at once, for masters
// and load balancers (as puppetserver ca generate). All masters behind a balancer
// may share one name (say "puppet") with the balancer's host names as altNames:
// bare names or "DNS:name" are DNS names, "IP:addr" addresses. The name itself is
// always a DNS alt name too, because Go clients ignore the common name. The key
// is returned, not stored: the caller writes it where the master reads it, 0600.
func (c *CA) Generate(name string, altNames []string) (certPEM, keyPEM []byte, err error) {
	if err := ValidateName(name); err != nil {
		return nil, nil, fmt.Errorf("ca generate: %w", err)
	}
	alts, err := parseAltNames(name, altNames)
	if err != nil {
		return nil, nil, fmt.Errorf("ca generate %q: %w", name, err)
	}
	key, err := GenerateKey(c.opts.KeyAlgorithm)
	if err != nil {
		return nil, nil, err
	}
	if keyPEM, err = EncodeKeyPEM(key); err != nil {
		return nil, nil, err
	}
	err = c.withLock(func() error {
		if err := c.checkNoValidCert(name); err != nil {
			return err
		}
		cert, err := c.issue(name, key.Public(), alts)
		if err != nil {
			return err
		}
		certPEM = encodePEM("CERTIFICATE", cert.Raw)
		// A pending request for the name is superseded by the new certificate.
		return removeIfExists(c.path(requestsDir, name+".pem"))
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ca generate %q: %w", name, err)
	}
	return certPEM, keyPEM, nil
}

// SubmitCSR stores a certificate request for name, as PUT
// /puppet-ca/v1/certificate_request/:name does, and signs it at once if the
// autosign policy allows name. It refuses a request whose common name is not
// name, whose signature is bad, that asks for alt names the CA does not allow,
// or for a name that already has an unexpired certificate (ErrAlreadySigned:
// clean it first, as with Puppet). Submitting the same request again is
// harmless (agents retry); a different one while one is pending is refused with
// ErrRequestPending. The returned Entry says whether it is pending or signed.
func (c *CA) SubmitCSR(name string, csrPEM []byte) (Entry, error) {
	var entry Entry
	err := func() error {
		if err := ValidateName(name); err != nil {
			return err
		}
		if len(csrPEM) > maxCSRSize {
			return fmt.Errorf("%w: larger than %d bytes", ErrInvalidCSR, maxCSRSize)
		}
		csr, err := c.checkCSR(name, csrPEM)
		if err != nil {
			return err
		}
		return c.withLock(func() error {
			if err := c.checkNoValidCert(name); err != nil {
				return err
			}
			reqPath := c.path(requestsDir, name+".pem")
			old, err := os.ReadFile(reqPath)
			switch {
			case err == nil:
				if oldCSR, perr := ParseCSRPEM(old); perr != nil || !bytes.Equal(oldCSR.Raw, csr.Raw) {
					return ErrRequestPending
				}
			case errors.Is(err, fs.ErrNotExist):
				if err := writeAtomic(reqPath, encodePEM("CERTIFICATE REQUEST", csr.Raw), 0o644); err != nil {
					return err
				}
			default:
				return err
			}
			if c.opts.Autosign.Allows(name) {
				cert, err := c.signLocked(name)
				if err != nil {
					return err
				}
				entry = certEntry(name, cert, false)
				return nil
			}
			entry = requestEntry(name, csr)
			return nil
		})
	}()
	if err != nil {
		return Entry{}, fmt.Errorf("ca submit %q: %w", name, err)
	}
	return entry, nil
}

// Sign signs the pending request for name (ErrNotFound if there is none) and
// returns the certificate, stored in signed/<name>.pem. The request is checked
// again, since the options may have changed since it was submitted.
func (c *CA) Sign(name string) (*x509.Certificate, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("ca sign: %w", err)
	}
	var cert *x509.Certificate
	err := c.withLock(func() error {
		var err error
		cert, err = c.signLocked(name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ca sign %q: %w", name, err)
	}
	return cert, nil
}

// signLocked signs requests/<name>.pem; the caller holds the lock.
func (c *CA) signLocked(name string) (*x509.Certificate, error) {
	reqPath := c.path(requestsDir, name+".pem")
	data, err := os.ReadFile(reqPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no certificate request: %w", ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	csr, err := c.checkCSR(name, data)
	if err != nil {
		return nil, err
	}
	if err := c.checkNoValidCert(name); err != nil {
		return nil, err
	}
	var alts altNames
	if len(csr.DNSNames)+len(csr.IPAddresses) > 0 {
		alts.dns, alts.ips = csr.DNSNames, csr.IPAddresses
	}
	cert, err := c.issue(name, csr.PublicKey, alts)
	if err != nil {
		return nil, err
	}
	if err := os.Remove(reqPath); err != nil {
		return nil, err
	}
	return cert, nil
}

// checkCSR parses a request and applies the CA's rules to it.
func (c *CA) checkCSR(name string, csrPEM []byte) (*x509.CertificateRequest, error) {
	csr, err := ParseCSRPEM(csrPEM)
	if err != nil {
		return nil, err
	}
	if cn := csr.Subject.CommonName; cn != name {
		return nil, fmt.Errorf("%w: request is for %q", ErrNameMismatch, cn)
	}
	if err := checkPublicKey(csr.PublicKey); err != nil {
		return nil, err
	}
	if len(csr.EmailAddresses)+len(csr.URIs) > 0 {
		return nil, fmt.Errorf("%w: only DNS and IP alt names may be requested", ErrInvalidAltName)
	}
	if len(csr.DNSNames)+len(csr.IPAddresses) == 0 {
		return csr, nil
	}
	requested := altNames{dns: csr.DNSNames, ips: csr.IPAddresses}
	if !c.opts.AllowSubjectAltNames {
		return nil, fmt.Errorf("%w (%v); sign it with alt names allowed, or generate the certificate with gapply ca generate", ErrAltNamesNotAllowed, requested.strings())
	}
	var given []string
	for _, d := range csr.DNSNames {
		given = append(given, "DNS:"+d)
	}
	for _, ip := range csr.IPAddresses {
		given = append(given, "IP:"+ip.String())
	}
	alts, err := parseAltNames(name, given)
	if err != nil {
		return nil, err
	}
	csr.DNSNames, csr.IPAddresses = alts.dns, alts.ips
	return csr, nil
}

// checkPublicKey refuses keys too weak to trust.
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits (2048 or more required)", ErrInvalidCSR, k.N.BitLen())
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return fmt.Errorf("%w: unsupported public key type %T", ErrInvalidCSR, pub)
	}
	return nil
}

// checkNoValidCert refuses to issue a second certificate for a name that has
// one which has not expired, revoked or not: as Puppet, the administrator
// cleans the old one first, so that a stolen name cannot be re-requested.
func (c *CA) checkNoValidCert(name string) error {
	data, err := os.ReadFile(c.path(signedDir, name+".pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return fmt.Errorf("%s: %w", c.path(signedDir, name+".pem"), err)
	}
	if c.opts.now().After(cert.NotAfter) {
		return nil
	}
	return fmt.Errorf("%w (serial 0x%x; run gapply ca clean %s first)", ErrAlreadySigned, cert.SerialNumber, name)
}

// issue creates, stores and records a certificate for name; the caller holds
// the lock. The extensions are Puppet's: not a CA, digital signature (and key
// encipherment for RSA), server and client authentication.
func (c *CA) issue(name string, pub crypto.PublicKey, alts altNames) (*x509.Certificate, error) {
	serial, err := c.nextSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := pub.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	now := c.opts.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(c.opts.certTTL()),
		BasicConstraintsValid: true,
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		SubjectKeyId:          skid,
		DNSNames:              alts.dns,
		IPAddresses:           alts.ips,
	}
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		tmpl.NotAfter = c.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(c.path(signedDir, name+".pem"), encodePEM("CERTIFICATE", der), 0o644); err != nil {
		return nil, err
	}
	if err := c.appendInventory(cert); err != nil {
		return nil, err
	}
	return cert, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
