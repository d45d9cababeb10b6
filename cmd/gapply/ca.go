package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/server/client"
)

// DefaultCADir is the CA's directory: all of its state (see package ca).
const DefaultCADir = "/etc/gapply/ca"

// DefaultSSLDir holds a master's or agent's key and certificates, in
// Puppet's layout (certs/, private_keys/, crl.pem).
const DefaultSSLDir = "/etc/gapply/ssl"

type caOptions struct {
	dir           string
	autosign      string
	allowAltNames bool
	keyAlgorithm  string
}

func (o *caOptions) caOpts() (ca.Options, error) {
	policy, err := ca.ParseAutosignSetting(o.autosign)
	if err != nil {
		return ca.Options{}, err
	}
	return ca.Options{Autosign: policy, AllowSubjectAltNames: o.allowAltNames, KeyAlgorithm: ca.KeyAlgorithm(o.keyAlgorithm)}, nil
}

func (o *caOptions) open() (*ca.CA, error) {
	opts, err := o.caOpts()
	if err != nil {
		return nil, err
	}
	return ca.Open(o.dir, opts)
}

func newCACmd(s streams, g *globalOptions) *cobra.Command {
	o := &caOptions{}
	cmd := &cobra.Command{
		Use:   "ca init|generate|list|sign|revoke|clean|serve",
		Short: "The certificate authority of catalog mode",
		Long: `Manage the certificate authority that agents and masters trust in catalog
mode. Its directory (--cadir) is all of its state: a copy of it on another
host is a cold standby that signs with the same CA (keep only one active).`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.dir, "cadir", DefaultCADir, "the CA's directory")
	pf.StringVar(&o.autosign, "autosign", "off", "sign requests at once: off, on, or a file of names and globs (*.example.com)")
	pf.BoolVar(&o.allowAltNames, "allow-subject-alt-names", false, "let agents' requests carry DNS/IP alt names")
	pf.StringVar(&o.keyAlgorithm, "key-algorithm", "", "keys made by init and generate: ecdsa-p256 (default), rsa-2048, rsa-4096")
	cmd.AddCommand(
		o.initCmd(s), o.generateCmd(s), o.listCmd(s),
		o.eachCmd(s, "sign", "Sign pending certificate requests", func(c *ca.CA, n string) error { _, err := c.Sign(n); return err }),
		o.eachCmd(s, "revoke", "Revoke certificates (the CRL is updated)", (*ca.CA).Revoke),
		o.eachCmd(s, "clean", "Revoke certificates and remove them and their requests", (*ca.CA).Clean),
		newCAServeCmd(s, g, o),
	)
	return cmd
}

func (o *caOptions) initCmd(s streams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the CA: key, self-signed certificate, empty CRL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := o.caOpts()
			if err != nil {
				return err
			}
			c, err := ca.Init(o.dir, ca.InitOptions{Options: opts, CommonName: name, CAKeyAlgorithm: ca.KeyAlgorithm(o.keyAlgorithm)})
			if err != nil {
				return err
			}
			cert := c.CACert()
			fmt.Fprintf(s.out, "Created CA %q in %s\nFingerprint (SHA-256): %s\n", cert.Subject.CommonName, o.dir, ca.Fingerprint(cert.Raw))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "common-name", "", `the CA certificate's name (default "gapply CA: <hostname>")`)
	return cmd
}

func (o *caOptions) generateCmd(s streams) *cobra.Command {
	var alts []string
	var ssldir string
	cmd := &cobra.Command{
		Use:   "generate NAME [--dns-alt-names a,b,IP:10.0.0.1]",
		Short: "Make a key and signed certificate for a master or load balancer",
		Long: `Make a key and a certificate for NAME, signed at once, and write them to
--ssldir in Puppet's layout: certs/NAME.pem, private_keys/NAME.pem (0600),
with the CA certificate (certs/ca.pem) and CRL (crl.pem) that a master needs.
All masters behind a balancer may share one name ("puppet"), with every host
name agents use as alt names.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.open()
			if err != nil {
				return err
			}
			certPEM, keyPEM, err := c.Generate(args[0], alts)
			if err != nil {
				return err
			}
			if err := writeSSLDir(c, ssldir, args[0], certPEM, keyPEM); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "Generated certificate for %s in %s\n", args[0], ssldir)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&alts, "dns-alt-names", nil, "alt names: host names, or IP:addr")
	cmd.Flags().StringVar(&ssldir, "ssldir", DefaultSSLDir, "where to write the key and certificates")
	return cmd
}

// writeSSLDir writes a key, its certificate, the CA certificate and the CRL
// in Puppet's ssldir layout (client.SSLDir).
func writeSSLDir(c *ca.CA, dir, name string, certPEM, keyPEM []byte) error {
	caPEM, err := c.CACertificate()
	if err != nil {
		return err
	}
	crlPEM, err := c.CRL()
	if err != nil {
		return err
	}
	return client.SSLDir(dir).WriteIdentity(client.Identity{
		Certname: name, KeyPEM: keyPEM, CertPEM: certPEM, CACertPEM: caPEM, CRLPEM: crlPEM,
	})
}

func (o *caOptions) listCmd(s streams) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--all]",
		Short: "List pending requests (with --all, signed and revoked certificates too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.open()
			if err != nil {
				return err
			}
			entries, err := c.List(all)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				if all {
					fmt.Fprintln(s.out, "No certificates or requests.")
				} else {
					fmt.Fprintln(s.out, "No pending certificate requests.")
				}
				return nil
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STATE\tNAME\tFINGERPRINT (SHA-256)\tALT NAMES")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.State, e.Name, e.Fingerprint, strings.Join(e.AltNames, ","))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also list signed and revoked certificates")
	return cmd
}

// eachCmd is a command that applies op to every NAME argument and goes on
// after a failure, exiting 1 if any failed.
func (o *caOptions) eachCmd(s streams, verb, short string, op func(*ca.CA, string) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " NAME...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.open()
			if err != nil {
				return err
			}
			failed := false
			for _, name := range args {
				if err := op(c, name); err != nil {
					fmt.Fprintf(s.err, "Error: %v\n", err)
					failed = true
					continue
				}
				fmt.Fprintf(s.out, "%s: %s\n", name, pastTense(verb))
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
}

func pastTense(verb string) string {
	switch verb {
	case "sign":
		return "signed"
	case "clean":
		return "cleaned"
	}
	return verb + "d"
}
