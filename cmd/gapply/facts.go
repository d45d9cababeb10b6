package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/facts"
)

func newFactsCmd(s streams, g *globalOptions) *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "facts [NAME]",
		Short: "Print the facts a manifest sees, as JSON",
		Long: `Print this node's facts as JSON: all of them, or the one NAME names.
A dotted NAME reaches into structured facts: gapply facts os.family`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := facts.Gather(facts.Options{ExternalDirs: dirs})
			if err != nil {
				return err
			}
			var v any = all
			if len(args) == 1 {
				for _, key := range strings.Split(args[0], ".") {
					m, ok := v.(map[string]any)
					if !ok {
						v = nil
						break
					}
					v = m[key]
				}
				if v == nil {
					return fmt.Errorf("no fact named %q", args[0])
				}
			}
			enc := json.NewEncoder(s.out)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		},
	}
	cmd.Flags().StringSliceVar(&dirs, "external-facts", []string{"/etc/gapply/facts.d"}, "directories of external facts (*.json, *.yaml, *.txt)")
	return cmd
}
