package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/resources"
)

func newResourceCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "resource TYPE [TITLE]",
		Short: "Print the machine's current state of resources as manifest code",
		Long: `Print the current state of every resource of TYPE on this machine, or of
the one named TITLE, as Puppet manifest code (as "puppet resource" does):

  gapply resource user root
  gapply resource package
  gapply resource file /etc/motd

Types that list their instances: cron, group, host, package, service, user.
file and exec describe one TITLE. A TITLE that does not exist prints
ensure => 'absent'. Nothing is changed.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			title := ""
			if len(args) == 2 {
				title = args[1]
			}
			list, err := resources.Describe(cmd.Context(), args[0], title)
			if err != nil {
				return err
			}
			for _, r := range list {
				fmt.Fprint(s.out, resources.Manifest(r))
			}
			return nil
		},
	}
}
