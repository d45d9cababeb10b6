package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/gapply/gapply/hclmanifest"
)

// stdinName is how fmt names standard input in its messages.
const stdinName = "<stdin>"

func newFmtCmd(s streams) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt [--check] FILE.hcl|DIR|-...",
		Short: "Rewrite HCL manifests in canonical form",
		Long: `Rewrite HCL manifests in the canonical layout (hclwrite's, as terraform fmt)
and print the name of each file that changed. A directory means every .hcl
file below it; "-" formats standard input to standard output; no argument
means the current directory. Files are replaced atomically, keeping their
mode; a file with a syntax error is left alone and reported.

With --check nothing is written: the files that are not canonical are
listed and the exit status is 1, for CI.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			f := &formatter{s: s, check: check}
			for _, arg := range args {
				f.arg(arg)
			}
			if f.failed || (check && f.changed) {
				return exitError{exitFailure}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "list the files that are not canonical and exit 1 if any; write nothing")
	return cmd
}

// formatter formats files one by one and remembers how it went, so that
// one broken file does not stop the others.
type formatter struct {
	s       streams
	check   bool
	changed bool // a file was (or, with check, would be) rewritten
	failed  bool // a file could not be read, parsed or written
}

func (f *formatter) arg(arg string) {
	if arg == "-" {
		src, err := io.ReadAll(f.s.in)
		if err != nil {
			f.fail(err)
			return
		}
		out, diags := hclmanifest.Format(stdinName, src)
		if diags.HasErrors() {
			f.syntaxError(stdinName, src, diags)
			return
		}
		f.changed = f.changed || !bytes.Equal(out, src)
		if f.check {
			if !bytes.Equal(out, src) {
				fmt.Fprintln(f.s.out, stdinName)
			}
			return
		}
		if _, err := f.s.out.Write(out); err != nil {
			f.fail(err)
		}
		return
	}
	if err := hclmanifest.ManifestFiles(arg, f.file); err != nil {
		f.fail(err)
	}
}

// file formats one file in place and prints its name if it changed (or,
// with check, would change).
func (f *formatter) file(path string) {
	changed, src, err := hclmanifest.FormatFile(path, f.check)
	var diags hcl.Diagnostics
	switch {
	case errors.As(err, &diags):
		f.syntaxError(path, src, diags)
	case err != nil:
		f.fail(err)
	case changed:
		f.changed = true
		fmt.Fprintln(f.s.out, path)
	}
}

// syntaxError reports a source that does not parse, as apply would.
func (f *formatter) syntaxError(name string, src []byte, diags hcl.Diagnostics) {
	writeDiagnostics(f.s.err, diags, map[string][]byte{name: src})
	f.failed = true
}

func (f *formatter) fail(err error) {
	fmt.Fprintf(f.s.err, "Error: %v\n", err)
	f.failed = true
}
