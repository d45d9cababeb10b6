package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gapply/gapply/resources/filebucket"
)

func newFilebucketCmd(s streams, g *globalOptions) *cobra.Command {
	bucket := func() *filebucket.Bucket {
		return filebucket.New(filepath.Join(g.stateDir(), "clientbucket"))
	}
	cmd := &cobra.Command{
		Use:   "filebucket",
		Short: "List and restore file contents that runs replaced or removed",
		Long: `Every file content that gapply replaces or removes is first kept in the
local filebucket, by checksum. List it, print a content, or restore it.

SUM is "{sha256}HEX", the bare HEX digest, or a unique prefix of at least
4 hex digits (with or without "{sha256}"), as git abbreviates commits.`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the stored contents, newest first: checksum, time, original path",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := bucket().List()
			if err != nil {
				return err
			}
			for _, e := range entries {
				fmt.Fprintf(s.out, "%s %s %s\n", e.Sum, e.Time.Local().Format(time.DateTime), e.Path)
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "get SUM",
		Short: "Print a stored content (SUM may be a unique prefix)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := bucket().Get(args[0])
			if err != nil {
				return err
			}
			_, err = s.out.Write(data)
			return err
		},
	}, &cobra.Command{
		Use:   "restore PATH SUM",
		Short: "Put a stored content back at PATH, atomically (SUM may be a unique prefix)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return bucket().Restore(args[1], args[0])
		},
	})
	return cmd
}
