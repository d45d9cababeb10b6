package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// TestSameResultAsPuppet applies each manifest of testdata/compat with the
// real Puppet 7 and with gapply, each into its own fresh root directory
// (the fact $facts['root']), twice, and checks that both leave the same
// files behind, exit with the same detailed exit codes, and report the same
// changes in the same words. Puppet's behaviour is gapply's specification;
// this test is where the two meet.
//
// A case is a txtar archive: manifest.pp, files under root/ that exist
// before the first run, and modules under modules/ (both tools then get
// that directory as --modulepath).
func TestSameResultAsPuppet(t *testing.T) {
	puppet, err := exec.LookPath("puppet")
	if err != nil {
		t.Skip("needs Puppet 7 to compare with: apt-get install -y puppet")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the manifests manage ownership as Puppet does as root")
	}
	gapply, err := exec.LookPath("gapply") // the test binary, as testscript installs it
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob("testdata/compat/*.txtar")
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/compat")
	}
	for _, path := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			// Each case has its own directories and both tools run as
			// processes of their own, so the cases (seconds of Ruby
			// start-up each) overlap.
			t.Parallel()
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Both tools apply in the same order (Puppet's manifest
			// order, lazily evaluated defines included), so the lines
			// are compared in order, unless the case's comment has a line
			// "unordered: WHY".
			unordered := regexp.MustCompile(`(?m)^unordered: `).Match(ar.Comment)
			work := t.TempDir()
			manifest := filepath.Join(work, "manifest.pp")
			puppetRoot := filepath.Join(work, "puppet")
			gapplyRoot := filepath.Join(work, "gapply")
			for _, root := range []string{puppetRoot, gapplyRoot} {
				if err := os.MkdirAll(root, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			var extra []string // --modulepath when the case has modules
			for _, f := range ar.Files {
				var dsts []string
				switch {
				case f.Name == "manifest.pp":
					dsts = []string{manifest}
				case strings.HasPrefix(f.Name, "modules/"):
					dsts = []string{filepath.Join(work, f.Name)}
					extra = []string{"--modulepath", filepath.Join(work, "modules")}
				case strings.HasPrefix(f.Name, "root/"):
					rel := strings.TrimPrefix(f.Name, "root/")
					dsts = []string{filepath.Join(puppetRoot, rel), filepath.Join(gapplyRoot, rel)}
				default:
					t.Fatalf("%s: unexpected file %s", path, f.Name)
				}
				for _, dst := range dsts {
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(dst, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			for run := 1; run <= 2; run++ {
				// --basemodulepath keeps the modules installed on the
				// machine (Debian's /usr/share/puppet/modules) out: Puppet
				// would load their facts and plugins on every run, five
				// times its start-up, and the case's modules are all it
				// may see, as for gapply.
				pCode, pOut := applyWith(t, work, puppetRoot, puppet, append(append([]string{"apply", "--color=false",
					"--vardir", work + "/puppet-state/var", "--confdir", work + "/puppet-state/conf",
					"--codedir", work + "/puppet-state/code", "--basemodulepath", work + "/puppet-state/code/modules",
					"--logdest", "console"}, extra...), manifest)...)
				gCode, gOut := applyWith(t, work, gapplyRoot, gapply, append(append([]string{"apply", "-v",
					"--vardir", filepath.Join(work, "gapply-state")}, extra...), manifest)...)
				if pCode != gCode {
					t.Errorf("run %d: puppet exited %d, gapply %d\npuppet:\n%s\ngapply:\n%s", run, pCode, gCode, pOut, gOut)
				}
				pLines := changeLines(pOut, puppetRoot)
				gLines := changeLines(gOut, gapplyRoot)
				if unordered {
					sort.Strings(pLines)
					sort.Strings(gLines)
				}
				if diff := cmp.Diff(pLines, gLines); diff != "" {
					t.Errorf("run %d: reported changes differ (-puppet +gapply):\n%s", run, diff)
				}
				if diff := cmp.Diff(snapshot(t, puppetRoot), snapshot(t, gapplyRoot)); diff != "" {
					t.Errorf("run %d: resulting files differ (-puppet +gapply):\n%s", run, diff)
				}
			}
		})
	}
}

// applyWith runs "puppet apply" or "gapply apply" with --detailed-exitcodes
// in work, with the fact root set to root, and returns the exit code and
// the combined output.
func applyWith(t *testing.T, work, root, tool string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(tool, append([]string{args[0], "--detailed-exitcodes"}, args[1:]...)...)
	cmd.Env = append(os.Environ(), "FACTER_root="+root)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// changeLines extracts the per-resource lines ("File[ROOT/x]/ensure: created")
// from either tool's output, in order, with the root replaced by ROOT. Puppet's
// containment path (/Stage[main]/Foo::Bar/Mydef[x]/) is dropped: gapply
// names resources without it.
var changeLine = regexp.MustCompile(`(?:/Stage\[main\]/(?:[A-Z][A-Za-z0-9_]*(?:::[A-Z][A-Za-z0-9_]*)*(?:\[[^\]]*\])?/)*)?((?:[A-Z][a-z_]*(?:::[A-Z][a-z_]*)*)\[.*?\](?:/[a-z_]+)?: .*)$`)

func changeLines(out, root string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Facter:") {
			continue
		}
		m := changeLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l := strings.ReplaceAll(m[1], root, "ROOT")
		// Checksums of edited content differ only where the roots do.
		lines = append(lines, l)
	}
	return lines
}

// snapshot describes every file under root: type, mode, owner and content
// or link target, relative to root.
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	var entries []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%s %v", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			desc += " -> " + strings.ReplaceAll(target, root, "ROOT")
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(path)
			desc += fmt.Sprintf(" %q", strings.ReplaceAll(string(data), root, "ROOT"))
		}
		entries = append(entries, desc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
