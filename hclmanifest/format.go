package hclmanifest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in the canonical layout (hclwrite's, as terraform fmt
// writes it). A source that does not parse is not formatted: its
// diagnostics are returned, as apply would report them.
func Format(name string, src []byte) ([]byte, hcl.Diagnostics) {
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// FormatFile formats the manifest at path in place, atomically and keeping
// its mode; a link is followed, so the file it points to is rewritten and
// the link stays a link. It reports whether the file was not canonical;
// with check, nothing is written. A syntax error leaves the file alone and
// comes back as hcl.Diagnostics, with src to print them.
func FormatFile(path string, check bool) (changed bool, src []byte, err error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false, nil, err
	}
	st, err := os.Stat(real)
	if err != nil {
		return false, nil, err
	}
	if src, err = os.ReadFile(real); err != nil {
		return false, nil, err
	}
	out, diags := Format(path, src)
	if diags.HasErrors() {
		return false, src, diags
	}
	if bytes.Equal(out, src) {
		return false, src, nil
	}
	if !check {
		err = renameio.WriteFile(real, out, st.Mode().Perm())
	}
	return true, src, err
}

// ManifestFiles calls fn for the HCL manifest at path, or for every .hcl
// file below the directory at path, skipping hidden files and directories
// (.git). A file that is not .hcl is an error.
func ManifestFiles(path string, fn func(path string)) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		if !strings.HasSuffix(path, ".hcl") {
			return fmt.Errorf("%s is not an HCL manifest (.hcl)", path)
		}
		fn(path)
		return nil
	}
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(p, ".hcl") {
			fn(p)
		}
		return nil
	})
}
