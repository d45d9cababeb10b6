package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
)

// DefaultMasterConfig is where `gapply master` reads its settings.
const DefaultMasterConfig = "/etc/gapply/master.hcl"

// masterSettings are the master's configuration file; every setting is also
// a flag and a GAPPLY_MASTER_* environment variable (package config).
type masterSettings struct {
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

	Repository masterRepo `hcl:"repository,block"`
}

// masterRepo is where the master's manifests come from; an environment is
// a branch.
type masterRepo struct {
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
func (*masterSettings) EnvPrefix() string { return "GAPPLY_MASTER_" }

func masterDefaults() *masterSettings {
	return &masterSettings{
		Listen:     fmt.Sprintf(":%d", server.DefaultPort),
		Certname:   "puppet",
		SSLDir:     DefaultSSLDir,
		CADir:      DefaultCADir,
		Autosign:   "off",
		CodeDir:    "/var/lib/gapply/master/code",
		SyncEvery:  30 * time.Second,
		Manifest:   "manifests",
		ModuleDirs: []string{"modules"},
		ReportDir:  "/var/lib/gapply/master/reports",
		CacheSize:  10000,
	}
}

func newMasterCmd(s streams, g *globalOptions) *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "master [--config FILE]",
		Short: "Serve compiled catalogs to agents over mutual TLS (catalog mode)",
		Long: `Serve catalogs to agents over HTTPS with mutual TLS: compile each agent's
catalog from the master's own checkout of the manifest repository (an
environment is a branch) with the facts the agent sends, and serve the files
of puppet:///modules/ sources and a health check (/status/v1/simple). With
--ca, also be the certificate authority. Masters are stateless: run several
behind a load balancer (examples/nginx).

Every setting can be given in the file, as a flag or as a GAPPLY_MASTER_*
environment variable (GAPPLY_MASTER_CERTNAME, not the agent's
GAPPLY_CERTNAME): flag beats environment beats file beats default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := masterDefaults()
			if err := loadSettings(cmd, s, configFile, st); err != nil {
				return err
			}
			return serveMaster(cmd, s, g, st, nil)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", DefaultMasterConfig, "the configuration file (HCL)")
	config.AddFlags(cmd.Flags(), masterDefaults())
	return cmd
}

// newCAServeCmd is `gapply ca serve`: the CA API alone, for a CA that runs
// apart from the masters.
func newCAServeCmd(s streams, g *globalOptions, o *caOptions) *cobra.Command {
	st := masterDefaults()
	st.CA = true
	cmd := &cobra.Command{
		Use:   "serve [--listen :8140]",
		Short: "Serve the CA API (/puppet-ca/v1/) over HTTPS",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st.CADir, st.Autosign, st.Repository.URL = o.dir, o.autosign, ""
			return serveMaster(cmd, s, g, st, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&st.Listen, "listen", st.Listen, "address to serve HTTPS on")
	fs.StringVar(&st.Certname, "certname", "ca", "the CA server's certificate name, made at first start if missing")
	fs.StringVar(&st.SSLDir, "ssldir", st.SSLDir, "the server's key and certificate")
	fs.StringSliceVar(&st.DNSAltNames, "dns-alt-names", nil, "alt names of the server's certificate, made at first start")
	fs.StringSliceVar(&st.Admins, "admins", nil, "certificate names allowed certificate_status (sign, revoke, clean remotely)")
	fs.StringSliceVar(&st.TrustedProxies, "trusted-proxies", nil, "balancers whose identity headers are believed")
	return cmd
}

// configPath is the configuration file to read: the default one may be
// missing (everything can come from flags and the environment), then none
// is read; a file named with --config may not.
func configPath(cmd *cobra.Command, path string) string {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !cmd.Flags().Changed("config") {
		return ""
	}
	return path
}

// loadSettings reads the file (see configPath), then the environment and
// flags, and prints located diagnostics.
func loadSettings(cmd *cobra.Command, s streams, path string, into any) error {
	path = configPath(cmd, path)
	diags := config.Load(path, into, cmd.Flags())
	if diags.HasErrors() {
		sources := map[string][]byte{}
		if data, err := os.ReadFile(path); err == nil {
			sources[path] = data
		}
		writeDiagnostics(s.err, diags, sources)
		return exitError{exitFailure}
	}
	return nil
}

func serveMaster(cmd *cobra.Command, s streams, g *globalOptions, st *masterSettings, co *caOptions) error {
	logger, err := g.logger(s.err)
	if err != nil {
		return err
	}
	if !g.debug && !g.verbose {
		logger.SetLevel(log.InfoLevel) // a server logs requests' outcomes
	}
	opts := server.Options{
		Admins: st.Admins, ReportDir: st.ReportDir, CacheSize: st.CacheSize, CodeDir: st.CodeDir,
		SyncEvery: st.SyncEvery, Manifest: st.Manifest, ModuleDirs: st.ModuleDirs, Log: logger,
		Proxy:      server.ProxyOptions{VerifyHeader: st.VerifyHeader, DNHeader: st.DNHeader, CertHeader: st.CertHeader},
		CACertFile: filepath.Join(st.SSLDir, "certs", "ca.pem"), CRLFile: filepath.Join(st.SSLDir, "crl.pem"),
	}
	if opts.Proxy.Trusted, err = server.ParseTrusted(st.TrustedProxies); err != nil {
		return err
	}
	if st.Repository.URL != "" {
		if opts.Repo, err = st.Repository.source(); err != nil {
			return err
		}
	}
	certFile := filepath.Join(st.SSLDir, "certs", st.Certname+".pem")
	keyFile := filepath.Join(st.SSLDir, "private_keys", st.Certname+".pem")
	if st.CA {
		if co == nil {
			co = &caOptions{dir: st.CADir, autosign: st.Autosign}
		}
		if opts.CA, err = co.open(); err != nil {
			return err
		}
		opts.CACertFile, opts.CRLFile = filepath.Join(st.CADir, "ca_crt.pem"), filepath.Join(st.CADir, "ca_crl.pem")
		if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
			certPEM, keyPEM, err := opts.CA.Generate(st.Certname, st.DNSAltNames)
			if err != nil {
				return err
			}
			if err := writeSSLDir(opts.CA, st.SSLDir, st.Certname, certPEM, keyPEM); err != nil {
				return err
			}
			logger.Info("generated the server's certificate", "certname", st.Certname, "ssldir", st.SSLDir)
		}
	}
	if st.CRLFile != "" {
		opts.CRLFile = st.CRLFile
	}
	if opts.Certificate, err = tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		return fmt.Errorf("the server's certificate: %w (make it with gapply ca generate %s --dns-alt-names ...)", err, st.Certname)
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", st.Listen)
	if err != nil {
		return err
	}
	// The bound address, so that "--listen 127.0.0.1:0" is usable.
	logger.Info("serving", "address", l.Addr().String(), "ca", st.CA, "repository", st.Repository.URL)
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, l)
}

func (r masterRepo) source() (gitsync.Source, error) {
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
