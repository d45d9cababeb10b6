package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/agent"
	"github.com/gapply/gapply/config"
)

// agentOptions are the flags of `gapply agent` that are not settings of the
// configuration file (those come from config.AddFlags).
type agentOptions struct {
	configFile string
	once       bool
	test       bool
	detailed   bool
}

func newAgentCmd(s streams, g *globalOptions) *cobra.Command {
	o := &agentOptions{}
	cmd := &cobra.Command{
		Use:   "agent [--config FILE] [--once|--test] [--environment NAME] [--only-if-changed]",
		Short: "Run the agent: sync, compile, apply, report (or get catalogs from a master)",
		Long: `Run the agent: fetch the manifest repository's branch (the environment),
compile the manifest with this node's facts and apply it, on a cron schedule
with a random splay, and whenever a signed trigger arrives.

A commit that fails to fetch, verify or compile is never applied: the node
keeps its last good commit, and its report, summary and metrics say so.

With --server (catalog mode), a master compiles the catalog instead: the
first run makes a key and a certificate request in --ssldir and waits for
the CA to sign it (--waitforcert between asks, --maxwaitforcert in all);
every run posts the facts, applies the catalog, and sends the report. When
the master cannot be reached, the last catalog it sent is applied
(--usecacheonfailure) and the report, summary and metrics say so.

--once does one run and exits (0 success, 1 failure; with
--detailed-exitcodes 0/2/4/6). --test does one verbose run, with diffs and
detailed exit codes, as "puppet agent --test". SIGHUP reloads the
configuration; SIGTERM ends the run after the resource in progress.

Every setting of the configuration file can also be given as a flag or a
GAPPLY_* environment variable: flag beats environment beats file beats
default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, s, g) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.configFile, "config", agent.DefaultConfigFile, "the configuration file (HCL)")
	fs.BoolVar(&o.once, "once", false, "do one run and exit")
	fs.BoolVar(&o.test, "test", false, "do one verbose run in the foreground with diffs and detailed exit codes")
	fs.BoolVar(&o.detailed, "detailed-exitcodes", false, "with --once: exit 0 unchanged, 2 changed, 4 failed, 6 changed and failed")
	config.AddFlags(fs, agent.Defaults())
	return cmd
}

// loadConfig reads the configuration like the master's (loadSettings):
// agent.Load is Defaults then config.Load.
func (o *agentOptions) loadConfig(cmd *cobra.Command, s streams) (*agent.Config, error) {
	cfg := agent.Defaults()
	if err := loadSettings(cmd, s, o.configFile, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (o *agentOptions) run(cmd *cobra.Command, s streams, g *globalOptions) error {
	cfg, err := o.loadConfig(cmd, s)
	if err != nil {
		return err
	}
	if o.test || !o.once {
		g.verbose = true // --test and the daemon log what they do
	}
	logger, err := g.logger(s.out)
	if err != nil {
		return err
	}
	a := &agent.Agent{Config: cfg, Log: logger}
	// SIGINT and SIGTERM let the resource in progress finish; the run
	// then skips the rest and still writes its report.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if o.once || o.test {
		out, err := a.Run(ctx, agent.RunOptions{ShowDiff: o.test, Reason: "manual"})
		if errors.Is(err, agent.ErrBusy) {
			// Like puppet agent: a run in progress is not this run's
			// failure, except for --test, which was asked to run now.
			if o.test {
				return exitError{exitFailure}
			}
			return nil
		}
		if out != nil && out.Report != nil {
			logger.Print(out.Summary())
		}
		if err != nil {
			return err
		}
		if out.Report == nil { // skipped: nothing changed
			return nil
		}
		return exitError{out.Report.ExitCode(o.test || o.detailed)}
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	return a.Daemon(ctx, agent.DaemonOptions{
		Reload: reload,
		LoadConfig: func() (*agent.Config, error) {
			return agent.Load(configPath(cmd, o.configFile), cmd.Flags())
		},
	})
}
