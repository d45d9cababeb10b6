package main

import (
	"path/filepath"

	"github.com/charmbracelet/log"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/facts"
)

// manifestOptions are the flags of every command that compiles manifests.
type manifestOptions struct {
	code        string
	modulepath  string
	certname    string
	environment string
	factsDirs   []string
	hieraConfig string
	// moduleFileRules: validate checks the files it is given that lie in
	// the module path as module files, as puppet parser validate does.
	moduleFileRules bool
}

func (m *manifestOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&m.code, "execute", "e", "", "compile and apply this code instead of a file")
	fs.StringVar(&m.modulepath, "modulepath", "", "colon-separated directories to load modules from")
	fs.StringVar(&m.certname, "certname", "", "the node's name for node matching (default: the fqdn fact)")
	fs.StringVar(&m.environment, "environment", "production", "the environment the catalog is compiled for")
	fs.StringSliceVar(&m.factsDirs, "external-facts", []string{"/etc/gapply/facts.d"}, "directories of external facts (*.json, *.yaml, *.txt)")
	fs.StringVar(&m.hieraConfig, "hiera-config", "", "the hiera.yaml for lookup() and class parameters (default: hiera.yaml beside the manifest)")
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
	srcs, err := compiler.ReadSources(args, m.code)
	if err != nil {
		return nil, err
	}
	nodeFacts, err := facts.Gather(facts.Options{ExternalDirs: m.factsDirs})
	if err != nil {
		return nil, err
	}
	manifest := ""
	if len(args) > 0 {
		manifest = args[0]
	}
	cat, diags := compiler.CompileSources(srcs, compiler.Options{
		Node:            m.certname,
		Environment:     m.environment,
		Facts:           nodeFacts,
		ModulePath:      filepath.SplitList(m.modulepath),
		Settings:        compiler.ManifestSettings(manifest),
		Version:         srcs.Digest(),
		HieraConfig:     m.hieraConfig,
		ModuleFileRules: m.moduleFileRules,
		Log:             logger,
	})
	return &compiled{catalog: cat, sources: srcs.Files, diags: diags}, nil
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
