package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/engine"
)

func newGraphCmd(s streams, g *globalOptions) *cobra.Command {
	var m manifestOptions
	cmd := &cobra.Command{
		Use:   "graph [flags] FILE|DIR",
		Short: "Print the resource graph as Graphviz DOT",
		Long: `Compile manifests and print the graph the engine walks, as Graphviz DOT:
one node per resource, an edge from each resource to those that follow it
(dashed where refresh events flow). Render it with: gapply graph site.pp | dot -Tsvg`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := compileOrFail(args, &m, g, s)
			if err != nil {
				return err
			}
			// A cyclic graph is still drawn, so the cycle can be seen;
			// the command then fails with the cycle named.
			graph, err := engine.NewGraph(cat)
			if graph != nil {
				if _, werr := io.WriteString(s.out, graph.DOT()); werr != nil {
					return werr
				}
			}
			return err
		},
	}
	m.addFlags(cmd.Flags())
	return cmd
}
