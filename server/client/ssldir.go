package client

import (
	"fmt"
	"os"
	"path/filepath"
)

// SSLDir is a directory of TLS credentials in Puppet's layout (see the
// package documentation): the agent's, and the master's own, which `gapply
// ca generate` and `gapply master` write.
type SSLDir string

// CA is the CA certificate; CRL the CA's revocation list.
func (d SSLDir) CA() string  { return filepath.Join(string(d), "certs", "ca.pem") }
func (d SSLDir) CRL() string { return filepath.Join(string(d), "crl.pem") }

// Key is the private key of certname, Cert its certificate and CSR its
// request to the CA.
func (d SSLDir) Key(certname string) string {
	return filepath.Join(string(d), "private_keys", certname+".pem")
}
func (d SSLDir) Cert(certname string) string {
	return filepath.Join(string(d), "certs", certname+".pem")
}
func (d SSLDir) CSR(certname string) string {
	return filepath.Join(string(d), "certificate_requests", certname+".pem")
}

// Identity is what a CA issues to a node or a master: its key and
// certificate, with the CA certificate and CRL to check its peers.
type Identity struct {
	Certname          string
	KeyPEM, CertPEM   []byte
	CACertPEM, CRLPEM []byte
}

// WriteIdentity writes id into the directory, each file atomically: the key
// 0600 in private_keys/ (0700), the rest world-readable.
func (d SSLDir) WriteIdentity(id Identity) error {
	if err := os.MkdirAll(filepath.Dir(d.Key(id.Certname)), 0o700); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{d.Key(id.Certname), id.KeyPEM, 0o600},
		{d.Cert(id.Certname), id.CertPEM, 0o644},
		{d.CA(), id.CACertPEM, 0o644},
		{d.CRL(), id.CRLPEM, 0o644},
	} {
		if err := writeFile(f.path, f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}
