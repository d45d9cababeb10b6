package main

import (
	"github.com/spf13/cobra"
)

func newCompileCmd(s streams, g *globalOptions) *cobra.Command {
	var m manifestOptions
	cmd := &cobra.Command{
		Use:   "compile [flags] FILE|DIR",
		Short: "Print the catalog compiled from manifests, as JSON",
		Long: `Compile manifests for a node (--certname, default this machine) and print
the catalog as JSON, in the stable form documented in package catalog.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := compileOrFail(args, &m, g, s)
			if err != nil {
				return err
			}
			data, err := cat.MarshalIndent()
			if err != nil {
				return err
			}
			_, err = s.out.Write(data)
			return err
		},
	}
	m.addFlags(cmd.Flags())
	cmd.Flags().Lookup("certname").Usage = "the node to compile for (default: this machine's fqdn)"
	cmd.Flags().StringVar(&m.certname, "node", "", "alias of --certname")
	return cmd
}
