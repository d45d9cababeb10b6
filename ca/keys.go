package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
)

// KeyAlgorithm names the kind of private key to generate.
type KeyAlgorithm string

// The supported key algorithms; the empty value means ECDSAP256.
const (
	ECDSAP256 KeyAlgorithm = "ecdsa-p256"
	RSA2048   KeyAlgorithm = "rsa-2048"
	RSA4096   KeyAlgorithm = "rsa-4096"
)

// GenerateKey makes a private key of the given algorithm ("" means ECDSAP256).
func GenerateKey(alg KeyAlgorithm) (crypto.Signer, error) {
	switch alg {
	case "", ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("ca: unknown key algorithm %q (want %s, %s or %s)", alg, ECDSAP256, RSA2048, RSA4096)
}

// EncodeKeyPEM encodes a private key as a PKCS#8 "PRIVATE KEY" PEM block, which
// Go, OpenSSL, nginx and Ruby all read whatever the key type.
func EncodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ca: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKeyPEM decodes the first private key in PEM data: PKCS#8, or the older
// PKCS#1 ("RSA PRIVATE KEY", as Puppet writes) and SEC 1 ("EC PRIVATE KEY") forms.
func ParseKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("ca: no private key PEM block found")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ca: parse %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("ca: private key of type %T cannot sign", key)
		}
		return signer, nil
	}
}

// ParseCertificatePEM decodes the first certificate in PEM data.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("ca: no CERTIFICATE PEM block found")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// ParseCSRPEM decodes the first certificate request in PEM data and checks its
// self-signature, which proves the requester holds the private key.
func ParseCSRPEM(data []byte) (*x509.CertificateRequest, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: no CERTIFICATE REQUEST PEM block found", ErrInvalidCSR)
		}
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			continue
		}
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
		}
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("%w: bad signature: %v", ErrInvalidCSR, err)
		}
		return csr, nil
	}
}

// ParseCRLPEM decodes the first CRL in PEM data.
func ParseCRLPEM(data []byte) (*x509.RevocationList, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("ca: no X509 CRL PEM block found")
		}
		if block.Type == "X509 CRL" {
			return x509.ParseRevocationList(block.Bytes)
		}
	}
}

func encodePEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// CreateCSR makes a certificate request for name signed by key, for an agent
// that already has a key. dnsAltNames are requested only if given; the CA
// refuses them unless it allows subject alt names.
func CreateCSR(key crypto.Signer, name string, dnsAltNames []string) ([]byte, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}}
	if len(dnsAltNames) > 0 {
		alts, err := parseAltNames(name, dnsAltNames)
		if err != nil {
			return nil, err
		}
		tmpl.DNSNames, tmpl.IPAddresses = alts.dns, alts.ips
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("ca: create certificate request for %q: %w", name, err)
	}
	return encodePEM("CERTIFICATE REQUEST", der), nil
}

// GenerateKeyAndCSR makes what an agent needs on its first run: a new ECDSA P-256
// private key and a certificate request for name, both PEM encoded. The agent
// keeps the key (mode 0600) and submits the request to the CA.
func GenerateKeyAndCSR(name string, dnsAltNames []string) (keyPEM, csrPEM []byte, err error) {
	if err := ValidateName(name); err != nil {
		return nil, nil, err
	}
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	if csrPEM, err = CreateCSR(key, name, dnsAltNames); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = EncodeKeyPEM(key); err != nil {
		return nil, nil, err
	}
	return keyPEM, csrPEM, nil
}
