// Package ca is the certificate authority of gapply's optional catalog mode: it
// creates the CA, signs agents' certificate requests (by hand or by an autosign
// policy), generates certificates for masters and load balancers, revokes them and
// publishes a CRL, and verifies peers against that CRL during TLS handshakes.
//
// It uses crypto/x509 only; nothing runs openssl.
//
// # Keys
//
// Keys are ECDSA P-256 by default, for the CA and for every key this package
// generates. Puppet uses RSA 4096; we chose P-256 because a key is made in
// microseconds instead of seconds, handshakes cost a fraction of the CPU (which is
// what bounds a master's requests per second under mutual TLS), and Go, OpenSSL,
// nginx and Ruby's openssl all support it. InitOptions.CAKeyAlgorithm (the CA key)
// and Options.KeyAlgorithm (keys made by Generate) select RSA 4096 or RSA 2048 for
// sites that need RSA. Agents may submit RSA (2048 bits or more), ECDSA or Ed25519
// requests whatever the CA's own key is.
//
// # Directory layout
//
// The CA directory holds all of the CA's state and nothing else:
//
//	ca_crt.pem        the self-signed CA certificate (public)
//	ca_key.pem        the CA private key, mode 0600
//	ca_crl.pem        the current CRL, re-signed with a higher CRL number on every
//	                  revocation (and by RefreshCRL); valid for 5 years
//	serial            the next serial number, in hexadecimal (as Puppet's serial file)
//	inventory.txt     one line per certificate ever issued: serial, validity, subject
//	requests/<name>.pem  pending certificate requests
//	signed/<name>.pem    issued certificates (revoked ones stay until cleaned)
//	lock              the lock file that serialises writers
//
// The directory and its subdirectories are mode 0700 because the CA key lives in
// it. Every file is replaced atomically (written to a temporary file, synced,
// renamed), so a crash leaves either the old or the new content, and every change
// happens under an exclusive flock on the lock file, so goroutines and processes
// that share the directory never hand out one serial twice. Private keys made by
// Generate are returned to the caller and never stored here.
//
// # Cold standby
//
// Because the directory is the whole state, a copy of it (cp -a, rsync -a, a
// backup) on another host is a cold standby: Open the copy and it signs
// certificates that every node already trusts, with the same CA certificate, CRL
// and serial counter. Only one copy may be active at a time: two copies that both
// sign would hand out the same serial numbers. Copy again after each change, or
// copy once and switch over when the primary is lost.
//
// # Verification
//
// A master does not need the CA directory: it needs ca_crt.pem and ca_crl.pem (the
// CA serves both). Verifier checks a peer's chain, its extended key usage and the
// CRL; see Verifier.VerifyPeerCertificate for use in a tls.Config.
package ca
