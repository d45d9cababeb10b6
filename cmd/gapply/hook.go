package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/agent"
)

func newHookCmd(s streams, g *globalOptions) *cobra.Command {
	hook := &cobra.Command{
		Use:   "hook",
		Short: "Git server hooks that fan a push out to the nodes",
	}
	var (
		inventory   string
		opts        agent.FanOutOptions
		concurrency int
		timeout     time.Duration
	)
	pr := &cobra.Command{
		Use:   "post-receive",
		Short: "Trigger the nodes whose environment was pushed (install as hooks/post-receive)",
		Long: `Read the pushed refs from standard input ("<old> <new> <ref>" lines, as git
gives a post-receive hook), select the nodes of the inventory whose
environment (branch) was pushed, send each a signed trigger with bounded
concurrency and a timeout, and print a table of who answered. With --wait,
wait until each node's run applied the pushed commit, or refused it.

Exit status: 0 when every node converged (or, without --wait, accepted the
trigger), 1 otherwise. Git ignores a post-receive hook's status: the push
has happened either way.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, sources, diags := agent.LoadInventory(inventory)
			writeDiagnostics(s.err, diags, sources)
			if diags.HasErrors() {
				return exitError{exitFailure}
			}
			pushes, err := agent.ParsePushes(s.in)
			if err != nil {
				return err
			}
			if len(pushes) == 0 {
				fmt.Fprintln(s.out, "no branch pushed; no node to trigger")
				return nil
			}
			opts.Concurrency, opts.Timeout = concurrency, timeout
			results := agent.FanOut(cmd.Context(), pushes, inv, opts)
			if len(results) == 0 {
				fmt.Fprintln(s.out, "no node of the inventory runs the pushed environments")
				return nil
			}
			agent.WriteTable(s.out, results)
			if !agent.OK(results) {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	fs := pr.Flags()
	fs.StringVar(&inventory, "inventory", agent.DefaultInventoryFile, "the inventory of nodes (HCL)")
	fs.BoolVar(&opts.Wait, "wait", false, "wait until every node applied the pushed commit")
	fs.IntVar(&concurrency, "concurrency", 0, fmt.Sprintf("nodes triggered at once (default: the inventory's, else %d)", agent.DefaultConcurrency))
	fs.DurationVar(&timeout, "timeout", 0, fmt.Sprintf("time allowed per node (default: the inventory's, else %s)", agent.DefaultHookTimeout))
	hook.AddCommand(pr)
	return hook
}
