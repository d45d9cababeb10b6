package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/engine"
)

func newValidateCmd(s streams, g *globalOptions) *cobra.Command {
	m := manifestOptions{moduleFileRules: true}
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE|DIR...",
		Short: "Parse and compile manifests without applying them",
		Long: `Parse and compile manifests, and check every resource against its type,
without touching the machine. Each argument is validated on its own, as
puppet parser validate checks each file: a file, or a directory whose
manifests form one set. A file inside the module path is held to Puppet's
rules for module files: definitions only, each named after its file. Exit 0 when all are valid, 1 with located
diagnostics otherwise.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sets := [][]string{args}
			if len(args) > 1 {
				sets = sets[:0]
				for _, arg := range args {
					sets = append(sets, []string{arg})
				}
			}
			failed := false
			for _, set := range sets {
				err := validate(set, &m, g, s)
				var ee exitError
				switch {
				case errors.As(err, &ee):
					failed = true
				case err != nil:
					// A file that cannot be read fails, the others are
					// still validated.
					fmt.Fprintf(s.err, "Error: %v\n", err)
					failed = true
				}
			}
			if failed {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	m.addFlags(cmd.Flags())
	return cmd
}

// validate compiles one manifest set and builds its graph.
func validate(args []string, m *manifestOptions, g *globalOptions, s streams) error {
	cat, err := compileOrFail(args, m, g, s)
	if err != nil {
		return err
	}
	// The graph is part of validity: a dependency cycle can never be
	// applied.
	if _, err := engine.NewGraph(cat); err != nil {
		fmt.Fprintf(s.err, "Error: %v\n", err)
		return exitError{exitFailure}
	}
	if g.verbose {
		fmt.Fprintf(s.out, "%s: valid\n", strings.Join(args, " "))
	}
	return nil
}
