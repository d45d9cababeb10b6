package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// Sources are the manifests of one compile: their contents by file name
// (diagnostics print snippets from them) and the order they are read in.
type Sources struct {
	Files map[string][]byte
	Order []string
}

// CodeName is the file name of code given on the command line (-e).
const CodeName = "<code>"

// ReadSources reads the manifests that paths name: a file, or a directory
// of them, every .pp and .hcl file below it in alphabetical order of their
// paths, as Puppet reads a manifest directory (hidden files and directories are
// skipped). Code, when not empty, is compiled instead of any path.
func ReadSources(paths []string, code string) (*Sources, error) {
	srcs := &Sources{Files: map[string][]byte{}}
	if code != "" {
		if len(paths) > 0 {
			return nil, fmt.Errorf("give either code or a manifest, not both")
		}
		srcs.add(CodeName, []byte(code))
		return srcs, nil
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no manifest given")
	}
	for _, arg := range paths {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("cannot read manifest: %w", err)
		}
		files := []string{arg}
		if st.IsDir() {
			if files, err = manifestsIn(arg); err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("no manifests in directory %s", arg)
			}
		}
		for _, p := range files {
			if _, dup := srcs.Files[p]; dup {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("cannot read manifest: %w", err)
			}
			srcs.add(p, data)
		}
	}
	return srcs, nil
}

func (s *Sources) add(name string, data []byte) {
	s.Files[name] = data
	s.Order = append(s.Order, name)
}

// manifestExtensions are the files a manifest directory contributes.
var manifestExtensions = []string{".pp", ".hcl"}

func manifestsIn(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isManifest(path) {
			paths = append(paths, path)
		}
		return nil
	})
	sort.Strings(paths)
	return paths, err
}

func isManifest(path string) bool {
	for _, ext := range manifestExtensions {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// Digest identifies the sources: a digest of their names and contents, so
// that the same inputs give the same catalog bytes when it is used as the
// catalog version (a git checkout uses the commit id instead).
func (s *Sources) Digest() string {
	h := sha256.New()
	for _, name := range s.Order {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(s.Files[name]))
		h.Write(s.Files[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ManifestSettings are the $settings::manifest and $settings::manifestdir
// variables for a compile of path. Puppet 7 says "no_manifest" for `puppet
// apply FILE`; gapply gives the manifest's absolute path and its directory,
// so that a manifest can find the files beside it. Without a path (code
// given inline) manifestdir is the working directory.
func ManifestSettings(path string) map[string]any {
	manifest, dir := "no_manifest", ""
	if path != "" {
		if abs, err := filepath.Abs(path); err == nil {
			manifest, dir = abs, abs
			if st, err := os.Stat(abs); err == nil && !st.IsDir() {
				dir = filepath.Dir(abs)
			}
		}
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return map[string]any{"manifest": manifest, "manifestdir": dir}
}

// CompileSources parses every source and compiles them into one catalog.
// Nothing is compiled when a file does not parse: all parse errors are
// reported at once.
func CompileSources(srcs *Sources, opts Options) (*catalog.Catalog, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var files []Manifest
	for _, name := range srcs.Order {
		f, d := ParseManifest(name, srcs.Files[name])
		diags = append(diags, d...)
		if opts.ModuleFileRules && f.PP != nil && !d.HasErrors() {
			diags = append(diags, checkModuleFile(f.PP, name, opts.ModulePath)...)
		}
		files = append(files, f)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	cat, d := CompileManifests(files, opts)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	return cat, diags
}
