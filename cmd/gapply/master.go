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

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/server"
)

// DefaultMasterConfig is where `gapply master` reads its settings.
const DefaultMasterConfig = "/etc/gapply/master.hcl"

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
			st := server.Defaults()
			if err := loadSettings(cmd, s, configFile, st); err != nil {
				return err
			}
			return serveMaster(cmd, s, g, st, nil)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", DefaultMasterConfig, "the configuration file (HCL)")
	config.AddFlags(cmd.Flags(), server.Defaults())
	return cmd
}

// newCAServeCmd is `gapply ca serve`: the CA API alone, for a CA that runs
// apart from the masters.
func newCAServeCmd(s streams, g *globalOptions, o *caOptions) *cobra.Command {
	st := server.Defaults()
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

func serveMaster(cmd *cobra.Command, s streams, g *globalOptions, st *server.Config, co *caOptions) error {
	logger, err := g.logger(s.err)
	if err != nil {
		return err
	}
	if !g.debug && !g.verbose {
		logger.SetLevel(log.InfoLevel) // a server logs requests' outcomes
	}
	opts, err := st.Options()
	if err != nil {
		return err
	}
	opts.Log = logger
	certFile, keyFile := st.CertFiles()
	if st.CA {
		if co == nil {
			co = &caOptions{dir: st.CADir, autosign: st.Autosign}
		}
		if opts.CA, err = co.open(); err != nil {
			return err
		}
		opts.CACertFile = filepath.Join(st.CADir, "ca_crt.pem")
		if st.CRLFile == "" {
			opts.CRLFile = filepath.Join(st.CADir, "ca_crl.pem")
		}
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
