package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/report"
)

func newReportCmd(s streams, g *globalOptions) *cobra.Command {
	var last bool
	cmd := &cobra.Command{
		Use:   "report [--last]",
		Short: "Show the reports of past runs",
		Long: `Show the reports the agent (and apply) left in the state directory
(--vardir): one line per archived run, oldest first, or with --last the
last run in full: its commit, why it ran an older commit if it did, its
errors and every resource that changed, failed or was skipped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := filepath.Join(g.stateDir(), "state")
			if last {
				r, err := report.Load(dir)
				if err != nil {
					return fmt.Errorf("no last run report: %w", err)
				}
				r.WriteText(s.out)
				return nil
			}
			names, err := report.History(dir)
			if err != nil {
				return err
			}
			if len(names) == 0 {
				fmt.Fprintf(s.out, "no archived reports in %s\n", filepath.Join(dir, report.HistoryDir))
				return nil
			}
			for _, name := range names {
				r, err := report.LoadFile(name)
				if err != nil {
					fmt.Fprintf(s.err, "warning: %v\n", err)
					continue
				}
				fmt.Fprintln(s.out, r.Line())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&last, "last", false, "show the last run in full")
	return cmd
}
