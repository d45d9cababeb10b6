package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/engine"
	"github.com/gapply/gapply/resources/filebucket"
)

// applyOptions are the flags of `gapply apply` (and of the bare `gapply FILE`).
type applyOptions struct {
	global   *globalOptions
	manifest manifestOptions
	noop     bool
	detailed bool
	showDiff bool
	parallel int
	tags     []string
}

func (a *applyOptions) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	a.manifest.addFlags(fs)
	fs.BoolVar(&a.noop, "noop", false, "check only: report what would change and change nothing")
	fs.BoolVar(&a.detailed, "detailed-exitcodes", false, "exit 0 unchanged, 2 changed, 4 failed, 6 changed and failed")
	fs.BoolVar(&a.showDiff, "show-diff", false, "print a unified diff of text content changes")
	fs.IntVar(&a.parallel, "parallel", 1, "resources checked and changed at once (1 keeps Puppet's order)")
	fs.StringSliceVar(&a.tags, "tags", nil, "apply only the resources with one of these tags (class names are tags), as puppet apply --tags")
}

func newApplyCmd(s streams, g *globalOptions) *cobra.Command {
	a := &applyOptions{global: g}
	cmd := &cobra.Command{
		Use:   "apply [flags] FILE|DIR",
		Short: "Compile manifests and converge this machine to them",
		Long: `Compile manifests and converge this machine to them: only what differs is
changed, in dependency order, with refresh events.

Exit status: 0 success, 1 failure or a manifest that does not compile. With
--detailed-exitcodes: 0 nothing changed, 2 changes, 4 failures, 6 changes and
failures (a manifest that does not compile still exits 1).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.run(cmd, s, args) },
	}
	a.addFlags(cmd)
	return cmd
}

func (a *applyOptions) run(cmd *cobra.Command, s streams, args []string) error {
	logger, err := a.global.logger(s.out)
	if err != nil {
		return err
	}
	c, err := compileManifests(args, &a.manifest, logger)
	if err != nil {
		return err
	}
	if c.diags.HasErrors() {
		writeDiagnostics(s.err, c.diags, c.sources)
		return exitError{exitFailure}
	}
	writeDiagnostics(s.err, c.diags, c.sources) // warnings

	// SIGINT and SIGTERM let the resource in progress finish; the
	// engine then skips the rest and the report is still written.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	state := a.global.stateDir()
	cat := c.catalog
	if len(a.tags) > 0 {
		cat = compiler.FilterTags(cat, a.tags)
	}
	rep, err := engine.Apply(ctx, cat, engine.Options{
		Noop:       a.noop,
		Parallel:   a.parallel,
		Bucket:     filebucket.New(filepath.Join(state, "clientbucket")),
		Log:        logger,
		ShowDiff:   a.showDiff,
		ModulePath: filepath.SplitList(a.manifest.modulepath),
	})
	if err != nil && rep == nil {
		// The catalog could not be applied at all (a dependency
		// cycle, say): nothing was changed.
		fmt.Fprintf(s.err, "Error: %v\n", err)
		return exitError{exitFailure}
	}
	if err != nil {
		logger.Error(err.Error())
	}
	if err := rep.Save(filepath.Join(state, "state")); err != nil {
		logger.Warn("could not save the run report", "err", err)
	}
	logger.Print(rep.Summary())
	return exitError{rep.ExitCode(a.detailed)}
}
