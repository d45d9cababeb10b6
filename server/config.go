package server

import (
	"fmt"
	"os"
	"time"

	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server/client"
)

// Config is the master's configuration file (/etc/gapply/master.hcl); every
// setting is also a flag and a GAPPLY_MASTER_* environment variable (package
// config). Options turns it into the server's Options.
type Config struct {
	Listen         string        `hcl:"listen" doc:"address to serve HTTPS on"`
	Certname       string        `hcl:"certname" doc:"the master's certificate name: ssldir/certs/NAME.pem and ssldir/private_keys/NAME.pem"`
	SSLDir         string        `hcl:"ssldir" doc:"the master's key, certificate, CA certificate (certs/ca.pem) and CRL (crl.pem)"`
	CRLFile        string        `hcl:"crl_file" doc:"the CRL checked on every handshake, reloaded when it changes (default ssldir/crl.pem, or the CA's with ca = true)"`
	CA             bool          `hcl:"ca" doc:"also be the certificate authority, from cadir"`
	CADir          string        `hcl:"cadir" doc:"the CA's directory (with ca = true)"`
	Autosign       string        `hcl:"autosign" doc:"with ca = true: sign requests at once: off, on, or a file of names and globs"`
	DNSAltNames    []string      `hcl:"dns_alt_names" doc:"with ca = true: alt names of the master's own certificate, made at first start"`
	CodeDir        string        `hcl:"codedir" doc:"checkouts of the environments, one directory each"`
	SyncEvery      time.Duration `hcl:"sync_every" doc:"how often an environment is fetched again"`
	Manifest       string        `hcl:"manifest" doc:"the main manifest, relative to an environment's tree"`
	ModuleDirs     []string      `hcl:"module_dirs" doc:"module directories, relative to an environment's tree"`
	Admins         []string      `hcl:"admins" doc:"certificate names (or *.domain globs) allowed every endpoint"`
	TrustedProxies []string      `hcl:"trusted_proxies" doc:"addresses or CIDR prefixes of TLS-terminating balancers whose identity headers are believed"`
	VerifyHeader   string        `hcl:"client_verify_header" doc:"header with the balancer's verification result (SUCCESS)"`
	DNHeader       string        `hcl:"client_dn_header" doc:"header with the client certificate's subject DN"`
	CertHeader     string        `hcl:"client_cert_header" doc:"header with the URL-escaped client certificate"`
	ReportDir      string        `hcl:"reportdir" doc:"where agents' reports are stored, one directory per node (empty: not stored)"`
	CacheSize      int           `hcl:"cache_size" doc:"compiled catalogs kept in memory"`

	Repository Repo `hcl:"repository,block"`
}

// Repo is where the master's manifests come from; an environment is a
// branch.
type Repo struct {
	URL        string   `hcl:"url" doc:"URL of the manifest repository (https://, ssh://, git://, file:// or a path); no catalogs are served without it"`
	Mirrors    []string `hcl:"mirrors" doc:"URLs tried in order when url cannot be fetched from"`
	Depth      int      `hcl:"depth" doc:"commits of history to fetch (0: all)"`
	Keyring    string   `hcl:"keyring" doc:"file of armored OpenPGP public keys; only commits signed by one of them are served"`
	SSHKeyFile string   `hcl:"ssh_key_file" doc:"private key for ssh URLs"`
	KnownHosts []string `hcl:"known_hosts" doc:"known_hosts files for ssh"`
}

// EnvPrefix gives the master variables of its own (config.EnvPrefixer):
// a master is often also an agent, and both have certname, ssldir and
// manifest settings, which must not be one variable.
func (*Config) EnvPrefix() string { return "GAPPLY_MASTER_" }

// Defaults are the settings of a master that nothing configures.
func Defaults() *Config {
	return &Config{
		Listen:     fmt.Sprintf(":%d", DefaultPort),
		Certname:   "puppet",
		SSLDir:     "/etc/gapply/ssl",
		CADir:      "/etc/gapply/ca",
		Autosign:   "off",
		CodeDir:    "/var/lib/gapply/master/code",
		SyncEvery:  30 * time.Second,
		Manifest:   "manifests",
		ModuleDirs: []string{"modules"},
		ReportDir:  "/var/lib/gapply/master/reports",
		CacheSize:  10000,
	}
}

// Source is the gitsync source the repository block describes; the keyring
// file is read here.
func (r Repo) Source() (gitsync.Source, error) {
	src := gitsync.Source{URL: r.URL, Mirrors: r.Mirrors, Depth: r.Depth,
		Auth: gitsync.Auth{SSHKeyFile: r.SSHKeyFile, KnownHostsFiles: r.KnownHosts}}
	if r.Keyring != "" {
		data, err := os.ReadFile(r.Keyring)
		if err != nil {
			return src, fmt.Errorf("repository keyring: %w", err)
		}
		src.Keyring = string(data)
	}
	return src, nil
}

// Options are the server options the configuration gives, with the
// certificate files of a master that is not its own CA (ssldir/certs/ca.pem
// and ssldir/crl.pem, or crl_file); the caller adds the CA, the
// certificate and the logger.
func (c *Config) Options() (Options, error) {
	opts := Options{
		Admins: c.Admins, ReportDir: c.ReportDir, CacheSize: c.CacheSize, CodeDir: c.CodeDir,
		SyncEvery: c.SyncEvery, Manifest: c.Manifest, ModuleDirs: c.ModuleDirs,
		Proxy:      ProxyOptions{VerifyHeader: c.VerifyHeader, DNHeader: c.DNHeader, CertHeader: c.CertHeader},
		CACertFile: client.SSLDir(c.SSLDir).CA(), CRLFile: client.SSLDir(c.SSLDir).CRL(),
	}
	var err error
	if opts.Proxy.Trusted, err = ParseTrusted(c.TrustedProxies); err != nil {
		return opts, err
	}
	if c.Repository.URL != "" {
		if opts.Repo, err = c.Repository.Source(); err != nil {
			return opts, err
		}
	}
	if c.CRLFile != "" {
		opts.CRLFile = c.CRLFile
	}
	return opts, nil
}

// CertFiles are the master's own certificate and key in ssldir.
func (c *Config) CertFiles() (cert, key string) {
	d := client.SSLDir(c.SSLDir)
	return d.Cert(c.Certname), d.Key(c.Certname)
}
