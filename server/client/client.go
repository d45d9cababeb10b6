// Package client is the agent's side of catalog mode: it bootstraps the
// node's identity with the CA (key, certificate request, wait for signing),
// then, over mutual TLS, posts the node's facts for its catalog, fetches the
// puppet:/// files the catalog needs, and sends the run report. Run does a
// whole agent run; the agent package's daemon calls it on its schedule.
//
// # SSL directory
//
// The node's credentials live in Config.SSLDir, in Puppet's layout:
//
//	certs/ca.pem                        the CA certificate
//	crl.pem                             the CA's CRL (refreshed every run)
//	private_keys/<certname>.pem         the node's key, mode 0600
//	certificate_requests/<certname>.pem the request sent to the CA
//	certs/<certname>.pem                the signed certificate
//
// private_keys/ is mode 0700. The CA certificate is trusted on first use
// when it is not already there, as Puppet's agent does: its fingerprint is
// logged so that it can be checked against `gapply ca list --all` on the CA.
// Provisioning certs/ca.pem beforehand closes that window.
package client

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/charmbracelet/log"
	"github.com/google/renameio/v2"

	"github.com/gapply/gapply/ca"
)

// Defaults, as Puppet's: masterport 8140, waitforcert 2 minutes between
// polls when waiting is on.
const (
	DefaultPort         = 8140
	DefaultPollInterval = 10 * time.Second
	DefaultTimeout      = 60 * time.Second
	maxResponse         = 64 << 20
)

// ErrNotSigned: the node's certificate request is still pending when
// WaitForCert ran out (or waiting is off).
var ErrNotSigned = errors.New("certificate not signed yet")

// Config are the agent's catalog-mode settings, named as Puppet's.
type Config struct {
	// Certname is the node's certificate name (Puppet's certname).
	Certname string
	// Server and Port are the master, or the balancer in front of masters
	// (server, masterport). Port defaults to 8140.
	Server string
	Port   int
	// CAServer and CAPort are the CA (ca_server, ca_port); default Server and
	// Port, which suits a balancer that routes /puppet-ca/ to the CA.
	CAServer string
	CAPort   int
	// Environment is the environment asked for; default "production".
	Environment string
	// SSLDir holds the node's key and certificates (see the package doc).
	SSLDir string
	// WaitForCert is how long Bootstrap waits for the request to be signed
	// (waitforcert); zero fails at once with ErrNotSigned.
	WaitForCert time.Duration
	// PollInterval is how often Bootstrap asks while waiting; default 10s.
	PollInterval time.Duration
	// Timeout bounds each HTTP request; default 60s.
	Timeout time.Duration
	// Log receives progress; nil discards it.
	Log *log.Logger
}

// Client talks to the CA and the masters for one node.
type Client struct {
	cfg  Config
	log  *log.Logger
	key  crypto.Signer
	cert tls.Certificate
	ver  *ca.Verifier
	http *http.Client
}

// New checks cfg and fills in the defaults. It touches nothing on disk.
func New(cfg Config) (*Client, error) {
	if err := ca.ValidateName(cfg.Certname); err != nil {
		return nil, fmt.Errorf("agent: certname: %w", err)
	}
	if cfg.Server == "" {
		return nil, errors.New("agent: no server configured")
	}
	if cfg.SSLDir == "" {
		return nil, errors.New("agent: no ssldir configured")
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.CAServer == "" {
		cfg.CAServer = cfg.Server
	}
	if cfg.CAPort == 0 {
		cfg.CAPort = cfg.Port
	}
	if cfg.Environment == "" {
		cfg.Environment = "production"
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	l := cfg.Log
	if l == nil {
		l = log.New(io.Discard)
	}
	return &Client{cfg: cfg, log: l}, nil
}

func (c *Client) ssl() SSLDir      { return SSLDir(c.cfg.SSLDir) }
func (c *Client) caPath() string   { return c.ssl().CA() }
func (c *Client) crlPath() string  { return c.ssl().CRL() }
func (c *Client) keyPath() string  { return c.ssl().Key(c.cfg.Certname) }
func (c *Client) csrPath() string  { return c.ssl().CSR(c.cfg.Certname) }
func (c *Client) certPath() string { return c.ssl().Cert(c.cfg.Certname) }

func baseURL(host string, port int) string {
	return "https://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// HTTPError is an answer other than 2xx from the CA or a master.
type HTTPError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), e.Body)
}

// StatusOf returns the HTTP status inside err, or 0.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// do sends a request and returns the body of a 2xx answer.
func do(ctx context.Context, hc *http.Client, method, u, contentType string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json, text/plain")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &HTTPError{Method: method, URL: u, Status: resp.StatusCode, Body: string(bytes.TrimSpace(data))}
	}
	return data, nil
}

// Bootstrap makes sure the node has the CA certificate, a current CRL, a key
// and a signed certificate: it creates the key and request on the first run,
// submits the request, and waits up to WaitForCert for an administrator (or
// the autosign policy) to sign it. After it returns nil, the client speaks
// mutual TLS.
func (c *Client) Bootstrap(ctx context.Context) error {
	caPEM, err := c.caCertificate(ctx)
	if err != nil {
		return err
	}
	caURL := baseURL(c.cfg.CAServer, c.cfg.CAPort)
	anon := c.httpClient(caPEM, nil, nil)
	crlPEM, err := do(ctx, anon, http.MethodGet, caURL+"/puppet-ca/v1/certificate_revocation_list/ca", "", nil)
	if err != nil {
		if prev, rerr := os.ReadFile(c.crlPath()); rerr == nil {
			c.log.Warn("cannot refresh the CRL; using the one from an earlier run", "err", err)
			crlPEM = prev
		} else {
			return fmt.Errorf("agent: fetching the CRL: %w", err)
		}
	}
	ver, err := ca.NewVerifier(caPEM, crlPEM)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := writeFile(c.crlPath(), crlPEM, 0o644); err != nil {
		return err
	}
	c.ver = ver
	anon = c.httpClient(caPEM, ver, nil)
	key, err := c.loadOrCreateKey()
	if err != nil {
		return err
	}
	c.key = key
	certPEM, err := c.waitForCertificate(ctx, anon, caURL)
	if err != nil {
		return err
	}
	keyPEM, err := ca.EncodeKeyPEM(key)
	if err != nil {
		return err
	}
	if c.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("agent: certificate %s: %w", c.certPath(), err)
	}
	c.http = c.httpClient(caPEM, ver, &c.cert)
	return nil
}

// caCertificate returns the CA certificate, fetching it on first use.
func (c *Client) caCertificate(ctx context.Context) ([]byte, error) {
	if data, err := os.ReadFile(c.caPath()); err == nil {
		return data, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("agent: %w", err)
	}
	// Trust on first use: nothing can be verified before the CA is known.
	hc := &http.Client{Timeout: c.cfg.Timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // bootstrap, see the package doc
	}}
	u := baseURL(c.cfg.CAServer, c.cfg.CAPort) + "/puppet-ca/v1/certificate/ca"
	data, err := do(ctx, hc, http.MethodGet, u, "", nil)
	if err != nil {
		return nil, fmt.Errorf("agent: fetching the CA certificate: %w", err)
	}
	cert, err := ca.ParseCertificatePEM(data)
	if err != nil || !cert.IsCA {
		return nil, fmt.Errorf("agent: %s did not return a CA certificate", u)
	}
	c.log.Warn("trusting the CA certificate on first use: compare its fingerprint with the CA's",
		"subject", cert.Subject.CommonName, "fingerprint", ca.Fingerprint(cert.Raw))
	if err := writeFile(c.caPath(), data, 0o644); err != nil {
		return nil, err
	}
	return data, nil
}

// httpClient builds a client that trusts only the CA, checks servers
// against the CRL, and presents cert when given.
func (c *Client) httpClient(caPEM []byte, ver *ca.Verifier, cert *tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if ver != nil {
		tc.VerifyConnection = ver.VerifyServerConnection
	}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	tr := &http.Transport{
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: 15 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 4,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	return &http.Client{Timeout: c.cfg.Timeout, Transport: tr}
}

func (c *Client) loadOrCreateKey() (crypto.Signer, error) {
	data, err := os.ReadFile(c.keyPath())
	if err == nil {
		key, err := ca.ParseKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("agent: %s: %w", c.keyPath(), err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("agent: %w", err)
	}
	key, err := ca.GenerateKey(ca.ECDSAP256)
	if err != nil {
		return nil, err
	}
	pemData, err := ca.EncodeKeyPEM(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(c.keyPath()), 0o700); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if err := writeFile(c.keyPath(), pemData, 0o600); err != nil {
		return nil, err
	}
	c.log.Info("created a private key", "file", c.keyPath())
	return key, nil
}

// waitForCertificate returns the node's certificate: the one on disk if it
// belongs to the key, else the CA's once it has signed the request this
// node submitted.
func (c *Client) waitForCertificate(ctx context.Context, hc *http.Client, caURL string) ([]byte, error) {
	if data, err := os.ReadFile(c.certPath()); err == nil && c.matchesKey(data) {
		return data, nil
	}
	csrPEM, err := c.request()
	if err != nil {
		return nil, err
	}
	certURL := caURL + "/puppet-ca/v1/certificate/" + url.PathEscape(c.cfg.Certname)
	submitted := false
	deadline := time.Now().Add(c.cfg.WaitForCert)
	for {
		data, err := do(ctx, hc, http.MethodGet, certURL, "", nil)
		switch {
		case err == nil && c.matchesKey(data):
			if err := writeFile(c.certPath(), data, 0o644); err != nil {
				return nil, err
			}
			c.log.Info("received the signed certificate", "certname", c.cfg.Certname)
			return data, nil
		case err == nil:
			return nil, fmt.Errorf("agent: the CA holds a certificate for %s that does not match this node's key; clean it on the CA (gapply ca clean %s) or restore the key", c.cfg.Certname, c.cfg.Certname)
		case StatusOf(err) != http.StatusNotFound:
			return nil, fmt.Errorf("agent: fetching the certificate: %w", err)
		}
		if !submitted {
			_, err := do(ctx, hc, http.MethodPut, caURL+"/puppet-ca/v1/certificate_request/"+url.PathEscape(c.cfg.Certname), "text/plain", csrPEM)
			if err != nil {
				return nil, fmt.Errorf("agent: submitting the certificate request: %w", err)
			}
			submitted = true
			continue // autosign may have signed it already
		}
		if !time.Now().Before(deadline) {
			csr, _ := ca.ParseCSRPEM(csrPEM)
			return nil, fmt.Errorf("agent: %w: %s (request fingerprint %s); sign it on the CA with `gapply ca sign %s`",
				ErrNotSigned, c.cfg.Certname, ca.Fingerprint(csr.Raw), c.cfg.Certname)
		}
		c.log.Info("waiting for the certificate to be signed", "certname", c.cfg.Certname, "retry", c.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.cfg.PollInterval):
		}
	}
}

// request returns the node's certificate request, creating it once.
func (c *Client) request() ([]byte, error) {
	if data, err := os.ReadFile(c.csrPath()); err == nil {
		if csr, err := ca.ParseCSRPEM(data); err == nil && samePublicKey(csr.PublicKey, c.key.Public()) {
			return data, nil
		}
	}
	data, err := ca.CreateCSR(c.key, c.cfg.Certname, nil)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(c.csrPath()), 0o755); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return data, writeFile(c.csrPath(), data, 0o644)
}

func (c *Client) matchesKey(certPEM []byte) bool {
	cert, err := ca.ParseCertificatePEM(certPEM)
	return err == nil && samePublicKey(cert.PublicKey, c.key.Public())
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// writeFile replaces path atomically with data at exactly mode perm (umask
// ignored), creating its directory; renameio's temporary file goes beside path
// so the rename never crosses file systems.
func writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := renameio.WriteFile(path, data, perm,
		renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(perm)); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}
