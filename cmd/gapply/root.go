package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"
)

// Exit statuses that do not come from a run report.
const (
	exitOK      = 0
	exitFailure = 1
)

// exitError carries an exit status out of a command; its message, if any,
// has already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// streams are the command's standard files, so that tests run the CLI
// in-process with their own buffers.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globalOptions are the flags every command accepts.
type globalOptions struct {
	verbose   bool
	debug     bool
	logFormat string
	vardir    string
}

// logger builds the run's logger: warnings and errors by default, one line
// per change with -v, everything with --debug.
func (g *globalOptions) logger(w io.Writer) (*log.Logger, error) {
	l := log.NewWithOptions(w, log.Options{Level: log.WarnLevel})
	switch g.logFormat {
	case "", "text":
		l.SetFormatter(log.TextFormatter)
	case "json":
		l.SetFormatter(log.JSONFormatter)
	case "logfmt":
		l.SetFormatter(log.LogfmtFormatter)
	default:
		return nil, fmt.Errorf("invalid --log-format %q: want text, json or logfmt", g.logFormat)
	}
	if g.verbose {
		l.SetLevel(log.InfoLevel)
	}
	if g.debug {
		l.SetLevel(log.DebugLevel)
	}
	return l, nil
}

// stateDir is where gapply keeps its filebucket and reports: --vardir, or
// /var/lib/gapply for root and ~/.gapply/var for anybody else, as Puppet
// does with /opt/puppetlabs/puppet/cache and ~/.puppetlabs.
func (g *globalOptions) stateDir() string {
	if g.vardir != "" {
		return g.vardir
	}
	if os.Geteuid() == 0 {
		return "/var/lib/gapply"
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".gapply", "var")
	}
	return filepath.Join(os.TempDir(), "gapply")
}

func run(args []string, in io.Reader, out, errw io.Writer) int {
	s := streams{in: in, out: out, err: errw}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ee exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(errw, "Error: %v\n", err)
		return exitFailure
	}
}

func newRootCmd(s streams) *cobra.Command {
	g := &globalOptions{}
	apply := &applyOptions{global: g}
	root := &cobra.Command{
		Use:   "gapply [flags] FILE|DIR",
		Short: "Apply Puppet-language and HCL manifests to this machine",
		Long: `gapply compiles manifests written in the Puppet language (.pp) or HCL
(.hcl) into a catalog of resources and converges this machine to it.

"gapply FILE" is shorthand for "gapply apply FILE".`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && apply.manifest.code == "" {
				return cmd.Help()
			}
			return apply.run(cmd, s, args)
		},
	}
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetIn(s.in)
	pf := root.PersistentFlags()
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "print one line per change")
	pf.BoolVarP(&g.debug, "debug", "d", false, "print everything")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text, json or logfmt")
	pf.StringVar(&g.vardir, "vardir", "", "state directory for the filebucket and reports (default /var/lib/gapply as root)")
	apply.addFlags(root)

	root.AddCommand(
		newApplyCmd(s, g),
		newValidateCmd(s, g),
		newCompileCmd(s, g),
		newGraphCmd(s, g),
		newFactsCmd(s, g),
		newFilebucketCmd(s, g),
		newFmtCmd(s),
		newAgentCmd(s, g), newHookCmd(s, g), newReportCmd(s, g),
		newResourceCmd(s),
		newCACmd(s, g), newMasterCmd(s, g),
	)
	return root
}
