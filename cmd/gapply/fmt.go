package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
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
		f.source(stdinName, src, func(out []byte) error {
			_, err := f.s.out.Write(out)
			return err
		})
		return
	}
	st, err := os.Stat(arg)
	if err != nil {
		f.fail(err)
		return
	}
	if !st.IsDir() {
		if !strings.HasSuffix(arg, ".hcl") {
			f.fail(fmt.Errorf("%s: gapply fmt formats HCL manifests (.hcl) only", arg))
			return
		}
		f.file(arg)
		return
	}
	err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != arg && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(path, ".hcl") {
			f.file(path)
		}
		return nil
	})
	if err != nil {
		f.fail(err)
	}
}

// file formats one file in place. A link is followed, so that the file it
// points to is rewritten and the link stays a link.
func (f *formatter) file(path string) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		f.fail(err)
		return
	}
	st, err := os.Stat(real)
	if err != nil {
		f.fail(err)
		return
	}
	src, err := os.ReadFile(real)
	if err != nil {
		f.fail(err)
		return
	}
	f.source(path, src, func(out []byte) error {
		if bytes.Equal(out, src) {
			return nil
		}
		if err := renameio.WriteFile(real, out, st.Mode().Perm()); err != nil {
			return err
		}
		fmt.Fprintln(f.s.out, path)
		return nil
	})
}

// source formats src and hands the result to write, unless src does not
// parse (reported, as apply would) or only checking: then the name of a
// source that is not canonical is printed instead.
func (f *formatter) source(name string, src []byte, write func([]byte) error) {
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		writeDiagnostics(f.s.err, diags, map[string][]byte{name: src})
		f.failed = true
		return
	}
	out := hclwrite.Format(src)
	if f.check {
		if !bytes.Equal(out, src) {
			f.changed = true
			fmt.Fprintln(f.s.out, name)
		}
		return
	}
	if !bytes.Equal(out, src) {
		f.changed = true
	}
	if err := write(out); err != nil {
		f.fail(err)
	}
}

func (f *formatter) fail(err error) {
	fmt.Fprintf(f.s.err, "Error: %v\n", err)
	f.failed = true
}
