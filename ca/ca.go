package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// Errors callers test with errors.Is. Returned errors wrap them with the operation
// and the certificate name.
var (
	// ErrExists: Init found a CA already in the directory.
	ErrExists = errors.New("a CA already exists")
	// ErrNotInitialized: Open found no CA in the directory.
	ErrNotInitialized = errors.New("no CA in directory (run gapply ca init)")
	// ErrInvalidName: the certificate name breaks the naming rules (see ValidateName).
	ErrInvalidName = errors.New("invalid certificate name")
	// ErrInvalidAltName: a subject alternative name is malformed or a wildcard.
	ErrInvalidAltName = errors.New("invalid subject alternative name")
	// ErrInvalidCSR: the certificate request cannot be parsed or its signature is bad.
	ErrInvalidCSR = errors.New("invalid certificate request")
	// ErrNameMismatch: the request's common name is not the name it was submitted under.
	ErrNameMismatch = errors.New("certificate request common name does not match")
	// ErrAltNamesNotAllowed: a request asks for alt names and Options.AllowSubjectAltNames is off.
	ErrAltNamesNotAllowed = errors.New("certificate request contains subject alternative names, which are not allowed")
	// ErrAlreadySigned: the name already has an unexpired certificate (revoked or not);
	// clean it first.
	ErrAlreadySigned = errors.New("already has a signed certificate")
	// ErrRequestPending: a different request for the name is already waiting.
	ErrRequestPending = errors.New("already has a different pending certificate request")
	// ErrNotFound: no request or certificate exists for the name.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyRevoked: Revoke was asked to revoke a certificate already in the CRL.
	ErrAlreadyRevoked = errors.New("certificate already revoked")
	// ErrInvalidPolicy: an autosign pattern or file is malformed.
	ErrInvalidPolicy = errors.New("invalid autosign policy")
)

// File and directory names inside the CA directory (see the package doc).
const (
	caCertFile    = "ca_crt.pem"
	caKeyFile     = "ca_key.pem"
	crlFile       = "ca_crl.pem"
	serialFile    = "serial"
	inventoryFile = "inventory.txt"
	lockFile      = "lock"
	requestsDir   = "requests"
	signedDir     = "signed"
)

// Defaults, as Puppet's: certificates live 15 years (ca_ttl), the CRL's next
// update is 5 years out, and validity starts a day early so that agents whose
// clocks lag behind still accept a fresh certificate.
const (
	DefaultCAValidity = 15 * 365 * 24 * time.Hour
	DefaultCertTTL    = 15 * 365 * 24 * time.Hour
	crlValidity       = 5 * 365 * 24 * time.Hour
	backdate          = 24 * time.Hour
)

// Options are the CA's run-time settings. They are not stored in the directory:
// the process that opens the CA (the CLI or the server) passes them from its
// configuration, as Puppet reads autosign and allow_subject_alt_names from its
// settings.
type Options struct {
	// Autosign decides which requests SubmitCSR signs at once; zero is off.
	Autosign AutosignPolicy
	// AllowSubjectAltNames lets requests carry DNS and IP alt names (Puppet's
	// allow-subject-alt-names, off by default: a node could otherwise ask for a
	// certificate valid for the master's name). Generate always may set them.
	AllowSubjectAltNames bool
	// CertTTL is the validity of issued certificates; zero means DefaultCertTTL.
	CertTTL time.Duration
	// KeyAlgorithm is the algorithm of keys made by Generate; empty means ECDSAP256.
	KeyAlgorithm KeyAlgorithm
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// InitOptions configure a new CA.
type InitOptions struct {
	Options
	// CommonName of the CA certificate; empty means "gapply CA: <hostname>", as
	// Puppet's "Puppet CA: <fqdn>".
	CommonName string
	// CAKeyAlgorithm of the CA key; empty means ECDSAP256 (see the package doc).
	CAKeyAlgorithm KeyAlgorithm
	// CAValidity of the CA certificate; zero means DefaultCAValidity (15 years).
	CAValidity time.Duration
}

// CA is an open certificate authority directory. Its methods are safe for
// concurrent use, and for use by several processes sharing Dir.
type CA struct {
	Dir  string
	opts Options
	cert *x509.Certificate
	key  crypto.Signer
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) certTTL() time.Duration {
	if o.CertTTL > 0 {
		return o.CertTTL
	}
	return DefaultCertTTL
}

// Init creates a CA in dir (created if missing, mode 0700): a key, a self-signed
// CA certificate, an empty CRL (number 0) and the serial file. It refuses, with
// ErrExists, a directory that already holds a CA certificate or key, so a CA can
// never be replaced by accident.
func Init(dir string, opts InitOptions) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca init: %w", err)
	}
	c := &CA{Dir: dir, opts: opts.Options}
	var result *CA
	err := c.withLock(func() error {
		for _, f := range []string{caCertFile, caKeyFile} {
			if _, err := os.Stat(c.path(f)); err == nil {
				return fmt.Errorf("ca init %s: %w (%s present)", dir, ErrExists, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("ca init: %w", err)
			}
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("ca init: %w", err)
		}
		for _, d := range []string{requestsDir, signedDir} {
			if err := os.MkdirAll(c.path(d), 0o700); err != nil {
				return fmt.Errorf("ca init: %w", err)
			}
		}
		key, err := GenerateKey(opts.CAKeyAlgorithm)
		if err != nil {
			return err
		}
		cn := opts.CommonName
		if cn == "" {
			host, err := os.Hostname()
			if err != nil {
				return fmt.Errorf("ca init: common name: %w", err)
			}
			cn = "gapply CA: " + host
		}
		validity := opts.CAValidity
		if validity <= 0 {
			validity = DefaultCAValidity
		}
		skid, err := subjectKeyID(key.Public())
		if err != nil {
			return err
		}
		now := c.opts.now()
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: cn},
			NotBefore:             now.Add(-backdate),
			NotAfter:              now.Add(validity),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			SubjectKeyId:          skid,
			AuthorityKeyId:        skid,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return fmt.Errorf("ca init: create CA certificate: %w", err)
		}
		if c.cert, err = x509.ParseCertificate(der); err != nil {
			return err
		}
		c.key = key
		keyPEM, err := EncodeKeyPEM(key)
		if err != nil {
			return err
		}
		crlPEM, err := c.createCRL(nil, big.NewInt(0))
		if err != nil {
			return err
		}
		// The certificate goes last: Open treats its presence as "initialised".
		for _, f := range []struct {
			name string
			data []byte
			perm fs.FileMode
		}{
			{caKeyFile, keyPEM, 0o600},
			{serialFile, []byte("0002\n"), 0o644},
			{crlFile, crlPEM, 0o644},
			{inventoryFile, inventoryLine(c.cert), 0o644},
			{caCertFile, encodePEM("CERTIFICATE", der), 0o644},
		} {
			if err := writeAtomic(c.path(f.name), f.data, f.perm); err != nil {
				return fmt.Errorf("ca init: %w", err)
			}
		}
		result = c
		return nil
	})
	return result, err
}

// Open opens the CA in dir, created earlier by Init (here or on another host:
// see the package doc on cold standby). It checks that the CA key matches the
// certificate.
func Open(dir string, opts Options) (*CA, error) {
	c := &CA{Dir: dir, opts: opts}
	certPEM, err := os.ReadFile(c.path(caCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("ca open %s: %w", dir, ErrNotInitialized)
	} else if err != nil {
		return nil, fmt.Errorf("ca open: %w", err)
	}
	if c.cert, err = ParseCertificatePEM(certPEM); err != nil {
		return nil, fmt.Errorf("ca open %s: %w", c.path(caCertFile), err)
	}
	keyPEM, err := os.ReadFile(c.path(caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("ca open: %w", err)
	}
	if c.key, err = ParseKeyPEM(keyPEM); err != nil {
		return nil, fmt.Errorf("ca open %s: %w", c.path(caKeyFile), err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := c.key.Public().(equaler); !ok || !pub.Equal(c.cert.PublicKey) {
		return nil, fmt.Errorf("ca open %s: %s does not belong to %s", dir, caKeyFile, caCertFile)
	}
	return c, nil
}

// CACert returns the parsed CA certificate.
func (c *CA) CACert() *x509.Certificate { return c.cert }

// CACertificate returns the CA certificate, PEM encoded, as served at
// /puppet-ca/v1/certificate/ca.
func (c *CA) CACertificate() ([]byte, error) {
	return os.ReadFile(c.path(caCertFile))
}

// CRL returns the current CRL, PEM encoded, as served at
// /puppet-ca/v1/certificate_revocation_list/ca.
func (c *CA) CRL() ([]byte, error) {
	return os.ReadFile(c.path(crlFile))
}

func (c *CA) path(parts ...string) string {
	return filepath.Join(append([]string{c.Dir}, parts...)...)
}

// withLock runs fn holding the exclusive lock on the directory. Each call opens
// its own descriptor, and flock(2) locks belong to the open file description, so
// this excludes other goroutines of this process as well as other processes.
func (c *CA) withLock(fn func() error) error {
	l := flock.New(c.path(lockFile), flock.SetPermissions(0o600))
	if err := l.Lock(); err != nil {
		return fmt.Errorf("ca: lock %s: %w", l.Path(), err)
	}
	defer l.Close()
	return fn()
}

// withRLock runs fn holding a shared lock, for reads that span several files.
func (c *CA) withRLock(fn func() error) error {
	l := flock.New(c.path(lockFile), flock.SetPermissions(0o600))
	if err := l.RLock(); err != nil {
		return fmt.Errorf("ca: lock %s: %w", l.Path(), err)
	}
	defer l.Close()
	return fn()
}

// writeAtomic replaces path with data of exactly mode perm: the temporary file
// is in the same directory, so the rename never crosses file systems.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(perm))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}

// nextSerial reads the serial file, stores the following number and returns the
// one read. The caller holds the lock.
func (c *CA) nextSerial() (*big.Int, error) {
	data, err := os.ReadFile(c.path(serialFile))
	if err != nil {
		return nil, fmt.Errorf("ca: serial: %w", err)
	}
	serial, ok := new(big.Int).SetString(strings.TrimSpace(string(data)), 16)
	if !ok || serial.Sign() <= 0 {
		return nil, fmt.Errorf("ca: %s: %q is not a positive hexadecimal number", c.path(serialFile), strings.TrimSpace(string(data)))
	}
	next := new(big.Int).Add(serial, big.NewInt(1))
	if err := writeAtomic(c.path(serialFile), []byte(fmt.Sprintf("%04X\n", next)), 0o644); err != nil {
		return nil, fmt.Errorf("ca: serial: %w", err)
	}
	return serial, nil
}

// inventoryLine formats a certificate as a line of Puppet's inventory.txt.
func inventoryLine(cert *x509.Certificate) []byte {
	const layout = "2006-01-02T15:04:05UTC"
	return []byte(fmt.Sprintf("0x%04x %s %s /CN=%s\n", cert.SerialNumber,
		cert.NotBefore.UTC().Format(layout), cert.NotAfter.UTC().Format(layout), cert.Subject.CommonName))
}

// appendInventory adds a line to inventory.txt by rewriting it atomically (the
// file stays small: one line per certificate issued). The caller holds the lock.
func (c *CA) appendInventory(cert *x509.Certificate) error {
	old, err := os.ReadFile(c.path(inventoryFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ca: inventory: %w", err)
	}
	return writeAtomic(c.path(inventoryFile), append(old, inventoryLine(cert)...), 0o644)
}

// subjectKeyID is the SHA-1 of the subject public key bits (RFC 5280 4.2.1.2
// method 1), as OpenSSL computes it.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ca: marshal public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("ca: parse public key: %w", err)
	}
	sum := sha1.Sum(info.PublicKey.Bytes)
	return sum[:], nil
}
