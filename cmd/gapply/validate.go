package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/engine"
)

func newValidateCmd(s streams, g *globalOptions) *cobra.Command {
	var m manifestOptions
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE|DIR...",
		Short: "Parse and compile manifests without applying them",
		Long: `Parse and compile manifests, and check every resource against its type,
without touching the machine. Exit 0 when they are valid, 1 with located
diagnostics otherwise.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := compileOrFail(args, &m, g, s)
			if err != nil {
				return err
			}
			// The graph is part of validity: a dependency cycle can
			// never be applied.
			if _, err := engine.NewGraph(cat); err != nil {
				fmt.Fprintf(s.err, "Error: %v\n", err)
				return exitError{exitFailure}
			}
			if g.verbose {
				fmt.Fprintf(s.out, "%s: valid\n", strings.Join(args, " "))
			}
			return nil
		},
	}
	m.addFlags(cmd.Flags())
	return cmd
}
