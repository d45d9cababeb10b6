package ca

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
)

// Revoke adds the certificate of name to the CRL, which is re-signed with the
// next CRL number. The certificate stays in signed/ and in the inventory, so
// Status and List show it as revoked and the name cannot be requested again
// until it is cleaned.
func (c *CA) Revoke(name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	err := c.withLock(func() error {
		cert, err := c.readSigned(name)
		if err != nil {
			return err
		}
		return c.revokeLocked(cert)
	})
	if err != nil {
		return fmt.Errorf("ca revoke %q: %w", name, err)
	}
	return nil
}

// Clean forgets name, as puppetserver ca clean: its certificate is revoked if
// it was not already, then its certificate and pending request are removed. The
// name can then be requested again. ErrNotFound if there was neither.
func (c *CA) Clean(name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("ca clean: %w", err)
	}
	err := c.withLock(func() error {
		found := false
		cert, err := c.readSigned(name)
		switch {
		case err == nil:
			found = true
			if err := c.revokeLocked(cert); err != nil && !errors.Is(err, ErrAlreadyRevoked) {
				return err
			}
			if err := os.Remove(c.path(signedDir, name+".pem")); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		reqPath := c.path(requestsDir, name+".pem")
		if _, err := os.Stat(reqPath); err == nil {
			found = true
		}
		if err := removeIfExists(reqPath); err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("no certificate or request: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ca clean %q: %w", name, err)
	}
	return nil
}

// readSigned reads signed/<name>.pem.
func (c *CA) readSigned(name string) (*x509.Certificate, error) {
	path := c.path(signedDir, name+".pem")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no signed certificate: %w", ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, nil
}

// currentCRL reads and checks ca_crl.pem.
func (c *CA) currentCRL() (*x509.RevocationList, error) {
	data, err := os.ReadFile(c.path(crlFile))
	if err != nil {
		return nil, err
	}
	crl, err := ParseCRLPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.path(crlFile), err)
	}
	if err := crl.CheckSignatureFrom(c.cert); err != nil {
		return nil, fmt.Errorf("%s: not signed by this CA: %w", c.path(crlFile), err)
	}
	return crl, nil
}

// revokeLocked adds cert's serial to the CRL; the caller holds the lock.
func (c *CA) revokeLocked(cert *x509.Certificate) error {
	crl, err := c.currentCRL()
	if err != nil {
		return err
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return fmt.Errorf("%w (serial 0x%x)", ErrAlreadyRevoked, cert.SerialNumber)
		}
	}
	entries := append(crl.RevokedCertificateEntries, x509.RevocationListEntry{
		SerialNumber:   cert.SerialNumber,
		RevocationTime: c.opts.now().UTC(),
	})
	return c.replaceCRL(crl, entries)
}

// replaceCRL writes a CRL with entries and the number after old's.
func (c *CA) replaceCRL(old *x509.RevocationList, entries []x509.RevocationListEntry) error {
	number := big.NewInt(0)
	if old.Number != nil {
		number.Add(old.Number, big.NewInt(1))
	}
	pem, err := c.createCRL(entries, number)
	if err != nil {
		return err
	}
	return writeAtomic(c.path(crlFile), pem, 0o644)
}

// RefreshCRL re-signs the CRL with the same entries, the next number and a new
// next-update date (5 years out). Verifiers refuse an expired CRL, so a CA that
// has revoked nothing for years must refresh it; any revocation refreshes it too.
func (c *CA) RefreshCRL() error {
	err := c.withLock(func() error {
		crl, err := c.currentCRL()
		if err != nil {
			return err
		}
		return c.replaceCRL(crl, crl.RevokedCertificateEntries)
	})
	if err != nil {
		return fmt.Errorf("ca refresh CRL: %w", err)
	}
	return nil
}

// createCRL signs a CRL with the given entries and number.
func (c *CA) createCRL(entries []x509.RevocationListEntry, number *big.Int) ([]byte, error) {
	now := c.opts.now()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		RevokedCertificateEntries: entries,
		Number:                    number,
		ThisUpdate:                now.Add(-backdate),
		NextUpdate:                now.Add(crlValidity),
	}, c.cert, c.key)
	if err != nil {
		return nil, fmt.Errorf("create CRL: %w", err)
	}
	return encodePEM("X509 CRL", der), nil
}
