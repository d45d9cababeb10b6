package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/charmbracelet/log"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/facts"
	"github.com/gapply/gapply/parser"
)

// manifestOptions are the flags of every command that compiles manifests.
type manifestOptions struct {
	code        string
	modulepath  string
	certname    string
	environment string
	factsDirs   []string
}

func (m *manifestOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&m.code, "execute", "e", "", "compile and apply this code instead of a file")
	fs.StringVar(&m.modulepath, "modulepath", "", "colon-separated directories to load modules from")
	fs.StringVar(&m.certname, "certname", "", "the node's name for node matching (default: the fqdn fact)")
	fs.StringVar(&m.environment, "environment", "production", "the environment the catalog is compiled for")
	fs.StringSliceVar(&m.factsDirs, "external-facts", []string{"/etc/gapply/facts.d"}, "directories of external facts (*.json, *.yaml, *.txt)")
}

// compiled is the outcome of reading, parsing and compiling manifests.
type compiled struct {
	catalog *catalog.Catalog
	sources map[string][]byte // file contents, for diagnostics
	diags   hcl.Diagnostics
}

// compileManifests reads the manifest files (a file, a directory of them,
// or the -e code), parses and compiles them with this node's facts. It
// changes nothing on the machine.
func compileManifests(args []string, m *manifestOptions, logger *log.Logger) (*compiled, error) {
	srcs, order, err := readManifests(args, m.code)
	if err != nil {
		return nil, err
	}
	nodeFacts, err := facts.Gather(facts.Options{ExternalDirs: m.factsDirs})
	if err != nil {
		return nil, err
	}
	out := &compiled{sources: srcs}
	var files []*parser.File
	for _, name := range order {
		f, diags := parser.ParseFile(name, srcs[name])
		out.diags = append(out.diags, diags...)
		if f != nil {
			files = append(files, f)
		}
	}
	if out.diags.HasErrors() {
		return out, nil
	}
	cat, diags := compiler.Compile(files, compiler.Options{
		Node:        m.certname,
		Environment: m.environment,
		Facts:       nodeFacts,
		ModulePath:  filepath.SplitList(m.modulepath),
		Settings:    settings(args),
		Version:     sourcesDigest(srcs, order),
		Log:         logger,
	})
	out.diags = append(out.diags, diags...)
	if !out.diags.HasErrors() {
		out.catalog = cat
	}
	return out, nil
}

// compileOrFail compiles for commands that only read the catalog
// (validate, compile, graph): diagnostics go to stderr, and a manifest that
// does not compile ends the command with exit status 1.
func compileOrFail(args []string, m *manifestOptions, g *globalOptions, s streams) (*catalog.Catalog, error) {
	logger, err := g.logger(s.err)
	if err != nil {
		return nil, err
	}
	c, err := compileManifests(args, m, logger)
	if err != nil {
		return nil, err
	}
	writeDiagnostics(s.err, c.diags, c.sources)
	if c.diags.HasErrors() {
		return nil, exitError{exitFailure}
	}
	return c.catalog, nil
}

// settings are the $settings::name variables a manifest sees. Puppet 7
// says "no_manifest" in $settings::manifest for `puppet apply FILE`; gapply
// gives the manifest's absolute path and its directory (manifestdir), so a
// manifest can find the files beside it.
func settings(args []string) map[string]any {
	manifest, dir := "no_manifest", ""
	if len(args) > 0 {
		if abs, err := filepath.Abs(args[0]); err == nil {
			manifest = abs
			dir = abs
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

// sourcesDigest is the catalog version of a local compile: a digest of the
// manifests' names and contents, so that the same inputs give the same
// catalog bytes (the agent uses the commit id instead).
func sourcesDigest(srcs map[string][]byte, order []string) string {
	h := sha256.New()
	for _, name := range order {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(srcs[name]))
		h.Write(srcs[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// readManifests returns the contents of the manifests to compile and
// their order. A directory contributes every .pp file below it, in
// alphabetical order of their paths, as Puppet reads a manifest directory.
func readManifests(args []string, code string) (map[string][]byte, []string, error) {
	srcs := map[string][]byte{}
	var order []string
	if code != "" {
		if len(args) > 0 {
			return nil, nil, fmt.Errorf("give either -e CODE or a manifest, not both")
		}
		srcs["<code>"] = []byte(code)
		return srcs, []string{"<code>"}, nil
	}
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("no manifest given: gapply apply FILE|DIR, or -e CODE")
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read manifest: %w", err)
		}
		paths := []string{arg}
		if st.IsDir() {
			paths, err = manifestsIn(arg)
			if err != nil {
				return nil, nil, err
			}
			if len(paths) == 0 {
				return nil, nil, fmt.Errorf("no .pp manifests in directory %s", arg)
			}
		}
		for _, p := range paths {
			if _, dup := srcs[p]; dup {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, nil, fmt.Errorf("cannot read manifest: %w", err)
			}
			srcs[p] = data
			order = append(order, p)
		}
	}
	return srcs, order, nil
}

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
		if !d.IsDir() && strings.HasSuffix(path, ".pp") {
			paths = append(paths, path)
		}
		return nil
	})
	sort.Strings(paths)
	return paths, err
}
