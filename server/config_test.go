package server

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigOptions(t *testing.T) {
	c := Defaults()
	c.SSLDir = "/ssl"
	c.TrustedProxies = []string{"127.0.0.2", "10.0.0.0/8"}
	opts, err := c.Options()
	if err != nil {
		t.Fatal(err)
	}
	if opts.CACertFile != "/ssl/certs/ca.pem" || opts.CRLFile != "/ssl/crl.pem" {
		t.Errorf("certificate files: %q %q", opts.CACertFile, opts.CRLFile)
	}
	if len(opts.Proxy.Trusted) != 2 || opts.Proxy.Trusted[0].String() != "127.0.0.2/32" {
		t.Errorf("trusted proxies: %v", opts.Proxy.Trusted)
	}
	if opts.Repo.URL != "" {
		t.Errorf("no repository configured, got %q", opts.Repo.URL)
	}
	if cert, key := c.CertFiles(); cert != "/ssl/certs/puppet.pem" || key != "/ssl/private_keys/puppet.pem" {
		t.Errorf("CertFiles = %q %q", cert, key)
	}

	c.CRLFile = "/elsewhere/crl.pem"
	c.Repository = Repo{URL: "https://git.example/site.git", Keyring: filepath.Join(t.TempDir(), "missing.asc")}
	if _, err := c.Options(); err == nil || !strings.Contains(err.Error(), "missing.asc") {
		t.Errorf("an unreadable keyring: err = %v", err)
	}
	c.Repository.Keyring = ""
	if opts, err = c.Options(); err != nil || opts.CRLFile != "/elsewhere/crl.pem" || opts.Repo.URL != c.Repository.URL {
		t.Errorf("crl_file and repository: %v, %q %q", err, opts.CRLFile, opts.Repo.URL)
	}

	c.TrustedProxies = []string{"not an address"}
	if _, err := c.Options(); err == nil {
		t.Error("a bad trusted proxy address must be refused")
	}
}
