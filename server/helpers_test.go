package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/server"
	"github.com/gapply/gapply/server/client"
)

// pki is a CA in a temporary directory with a master certificate "puppet"
// valid for localhost and 127.0.0.1, as `gapply ca generate puppet
// --dns-alt-names localhost,IP:127.0.0.1` makes it.
type pki struct {
	ca                *ca.CA
	dir               string
	certFile, keyFile string
	cert              tls.Certificate
}

func newPKI(t testing.TB, autosign bool) *pki {
	t.Helper()
	dir := t.TempDir()
	opts := ca.InitOptions{CommonName: "gapply test CA"}
	if autosign {
		opts.Autosign = ca.AutosignPolicy{Mode: ca.AutosignOn}
	}
	c, err := ca.Init(filepath.Join(dir, "ca"), opts)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := c.Generate("puppet", []string{"localhost", "IP:127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: c, dir: dir, certFile: filepath.Join(dir, "puppet.pem"), keyFile: filepath.Join(dir, "puppet.key")}
	writeTestFile(t, p.certFile, string(certPEM))
	writeTestFile(t, p.keyFile, string(keyPEM))
	if p.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pki) caFile() string  { return filepath.Join(p.ca.Dir, "ca_crt.pem") }
func (p *pki) crlFile() string { return filepath.Join(p.ca.Dir, "ca_crl.pem") }

// certFor issues a client certificate for name directly, as `gapply ca
// generate` would, and returns a TLS certificate for a raw HTTP client.
func (p *pki) certFor(t testing.TB, name string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := p.ca.Generate(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// httpsClient trusts the test CA and presents cert when given; with local
// set, it connects from that loopback address (127.0.0.2 is a different
// peer address than 127.0.0.1 to the server).
func (p *pki) httpsClient(cert *tls.Certificate, local string) *http.Client {
	v, _ := p.ca.Verifier()
	tc := &tls.Config{RootCAs: v.Pool()}
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, DialContext: d.DialContext}}
}

func writeTestFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newRepo makes a git repository whose production branch holds files.
func newRepo(t testing.TB, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed: apt-get install git")
	}
	dir := t.TempDir()
	for name, content := range files {
		writeTestFile(t, filepath.Join(dir, name), content)
	}
	git(t, dir, "init", "-q", "-b", "production")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "test manifests")
	return dir
}

func git(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// siteManifest writes, for each node, a greeting with its certname, a
// file served from a module and a Sensitive secret, into the directory its
// "outdir" fact names.
var siteManifest = map[string]string{
	"manifests/site.pp": `node default {
  file { "${facts['outdir']}/motd": content => "hello ${trusted['certname']}\n" }
  file { "${facts['outdir']}/data": source => 'puppet:///modules/demo/data.txt' }
  file { "${facts['outdir']}/tree": source => 'puppet:///modules/demo/tree', recurse => true }
  file { "${facts['outdir']}/secret": content => Sensitive("s3cret\n"), mode => '0600' }
}
`,
	"modules/demo/files/data.txt":   "served by the master\n",
	"modules/demo/files/tree/a.txt": "a\n",
	"modules/demo/files/tree/b/c":   "c\n",
}

// master is a running server on a free loopback port.
type master struct {
	srv  *server.Server
	addr string // host:port
	port int
	stop func()
}

func startMaster(t testing.TB, p *pki, opts server.Options) *master {
	t.Helper()
	opts.Certificate = p.cert
	opts.CACertFile, opts.CRLFile = p.caFile(), p.crlFile()
	if opts.CodeDir == "" && opts.Repo.URL != "" {
		opts.CodeDir = t.TempDir()
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	m := &master{srv: s, addr: l.Addr().String(), port: l.Addr().(*net.TCPAddr).Port}
	var once bool
	m.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("master %s: %v", m.addr, err)
		}
	}
	t.Cleanup(m.stop)
	return m
}

// agent returns a bootstrapped client for name talking to host:port, with
// its own ssldir.
func agent(t testing.TB, name, host string, port int, cfg client.Config) *client.Client {
	t.Helper()
	cfg.Certname, cfg.Server, cfg.Port = name, host, port
	if cfg.SSLDir == "" {
		cfg.SSLDir = filepath.Join(t.TempDir(), "ssl")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Bootstrap(ctx); err != nil {
		t.Fatalf("bootstrap %s: %v", name, err)
	}
	return c
}
