package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// debianModules are the public modules of issue 9, by name, with the
// Debian package (puppet-module-NAME) that installs them side by side in
// debianModulePath, at versions that belong together. Voxpupuli's nginx is
// not packaged; camptocamp-systemd is the module now called
// puppet-systemd.
var debianModules = map[string]string{
	"apache": "puppetlabs-apache", "mysql": "puppetlabs-mysql", "postgresql": "puppetlabs-postgresql",
	"ntp": "puppetlabs-ntp", "concat": "puppetlabs-concat", "haproxy": "puppetlabs-haproxy",
	"firewall": "puppetlabs-firewall", "archive": "puppet-archive", "systemd": "camptocamp-systemd",
	"ssh": "saz-ssh", "stdlib": "puppetlabs-stdlib",
}

const debianModulePath = "/usr/share/puppet/modules"

// TestPublicModulesValidateAsPuppet is issue 9's check on real code: every
// manifests/ and examples/ file of the public modules is validated by
// gapply, each on its own, and gapply must accept exactly the files Puppet
// 7's `puppet parser validate` accepts.
func TestPublicModulesValidateAsPuppet(t *testing.T) {
	var files []string
	for m, pkg := range debianModules {
		dir := filepath.Join(debianModulePath, m)
		if _, err := os.Stat(filepath.Join(dir, "manifests")); err != nil {
			t.Skipf("needs the public modules: apt-get install -y puppet-module-%s (and the others .ci/run installs)", pkg)
		}
		// Files are named below the module path, as an operator names
		// them: Puppet's verdict depends on whether a file is in a module.
		for _, sub := range []string{"manifests", "examples"} {
			named := filepath.Join(dir, sub)
			real, err := filepath.EvalSymlinks(named)
			if err != nil {
				continue
			}
			filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".pp") {
					rel, _ := filepath.Rel(real, p)
					files = append(files, filepath.Join(named, rel))
				}
				return err
			})
		}
	}
	sort.Strings(files)
	if len(files) < 200 {
		t.Fatalf("only %d module files found", len(files))
	}

	puppet, err := exec.LookPath("puppet")
	if err != nil {
		t.Skip("needs Puppet 7 to compare with: apt-get install -y puppet")
	}

	// gapply, in this process: each file on its own.
	var out, errOut bytes.Buffer
	run(append([]string{"validate", "-v", "--modulepath", debianModulePath}, files...), strings.NewReader(""), &out, &errOut)
	gapplyRejects := map[string]bool{}
	for _, f := range files {
		gapplyRejects[f] = true
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if f, ok := strings.CutSuffix(line, ": valid"); ok {
			delete(gapplyRejects, f)
		}
	}

	state := t.TempDir()
	cmd := exec.Command(puppet, append([]string{"parser", "validate", "--color=false",
		"--vardir", state + "/var", "--confdir", state + "/conf", "--codedir", state + "/code",
		"--modulepath", debianModulePath}, files...)...)
	puppetOut, _ := cmd.CombinedOutput() // exit status 1 when a file is rejected
	puppetRejects := map[string]bool{}
	for _, m := range regexp.MustCompile(`\(file: ([^,)]+)`).FindAllSubmatch(puppetOut, -1) {
		puppetRejects[string(m[1])] = true
	}
	if len(puppetRejects) == 0 && cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("puppet parser validate failed without naming a file:\n%s", puppetOut)
	}

	t.Logf("%d files: Puppet rejects %d, gapply %d", len(files), len(puppetRejects), len(gapplyRejects))
	if diff := cmp.Diff(puppetRejects, gapplyRejects); diff != "" {
		t.Errorf("files rejected (-puppet +gapply):\n%s\ngapply said:\n%s", diff, errOut.String())
	}
}
