package resources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// sysBuildDeb builds a tiny package with one configuration file, so that
// removing it leaves config-files behind and purging clears them.
func sysBuildDeb(t *testing.T, name, version string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "pkg")
	conf := filepath.Join("etc", name+".conf")
	for path, content := range map[string]string{
		"DEBIAN/control": "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\n" +
			"Maintainer: gapply tests <tests@gapply.invalid>\nDescription: gapply test package\n",
		"DEBIAN/conffiles": "/" + conf + "\n",
		conf:               "setting = " + version + "\n",
	} {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deb := filepath.Join(t.TempDir(), name+"_"+version+"_all.deb")
	sysRun(t, "dpkg-deb", "--root-owner-group", "--build", root, deb)
	return deb
}

func sysTestPackage(t *testing.T) string {
	t.Helper()
	sysNeedRoot(t)
	sysNeedTool(t, "dpkg-deb", "dpkg")
	sysLockDpkg(t)
	name := sysUniqueName(t, "gapply-test-")
	t.Cleanup(func() { _ = runCleanup("dpkg", "--purge", name) })
	return name
}

// sysLockDpkg takes, until the test and its cleanups end, the lock that
// every test installing packages holds (the cmd/gapply sessions too:
// "lock /var/lib/dpkg"): dpkg refuses to run while another dpkg holds its
// own lock, and go test runs packages side by side. It is an flock on
// dpkg's directory, which dpkg itself never takes.
func sysLockDpkg(t *testing.T) {
	t.Helper()
	f, err := os.Open("/var/lib/dpkg")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // closing releases the lock
}

func TestPackageDpkgLifecycle(t *testing.T) {
	name := sysTestPackage(t)
	v1, v2 := sysBuildDeb(t, name, "1.0-1"), sysBuildDeb(t, name, "1.1-1")
	pkg := func(params map[string]any) Resource {
		params["provider"] = "dpkg"
		return sysNew(t, "package", name, params)
	}
	sysWantMessages(t, sysCheck(t, pkg(map[string]any{"source": v1})), "ensure: created")
	sysWantMessages(t, sysConverge(t, pkg(map[string]any{"source": v1, "ensure": "installed"})), "ensure: created")
	if _, err := os.Stat("/etc/" + name + ".conf"); err != nil {
		t.Fatalf("package not installed: %v", err)
	}
	// A newer source with ensure => latest upgrades; present does not.
	sysWantMessages(t, sysCheck(t, pkg(map[string]any{"source": v2})))
	sysWantMessages(t, sysConverge(t, pkg(map[string]any{"source": v2, "ensure": "latest"})), "ensure: ensure changed '1.0-1' to '1.1-1'")

	sysWantMessages(t, sysConverge(t, pkg(map[string]any{"ensure": "absent"})), "ensure: removed")
	db, err := dpkgDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := db[name]; !p.configOnly() {
		t.Fatalf("after removal the package should leave its conffile: status %q", p.Status)
	}
	// Removed with its configuration left: absent is in sync, purged is not.
	sysWantMessages(t, sysCheck(t, pkg(map[string]any{"ensure": "absent"})))
	sysWantMessages(t, sysConverge(t, pkg(map[string]any{"ensure": "purged"})), "ensure: purged")
	if _, err := os.Stat("/etc/" + name + ".conf"); !os.IsNotExist(err) {
		t.Errorf("purge left the conffile: %v", err)
	}
}

func TestPackageAptLocalSource(t *testing.T) {
	if testing.Short() {
		t.Skip("apt-get takes seconds even for a local .deb; skipped with -short")
	}
	name := sysTestPackage(t)
	sysNeedTool(t, "apt-get", "apt")
	deb := sysBuildDeb(t, name, "2.0-1")
	sysWantMessages(t, sysConverge(t, sysNew(t, "package", name, map[string]any{"source": deb})), "ensure: created")
	sysWantMessages(t, sysConverge(t, sysNew(t, "package", name, map[string]any{"ensure": "purged"})), "ensure: purged")
}

// countingRunner counts the commands run through the real runner.
type countingRunner struct {
	commandRunner
	n atomic.Int32
}

func (c *countingRunner) Run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	c.n.Add(1)
	return c.commandRunner.Run(ctx, env, name, args...)
}

// Many package resources share one dpkg-query.
func TestPackageCheckQueriesOnce(t *testing.T) {
	sysNeedTool(t, "dpkg-query", "dpkg")
	counter := &countingRunner{commandRunner: sysRunner}
	sysRunner = counter
	t.Cleanup(func() { sysRunner = counter.commandRunner })
	// Other test binaries of `go test ./...` install and remove packages
	// at the same time, and a new dpkg database rightly costs a new
	// query: the count holds only for checks that saw one version of it.
	for attempt := 0; ; attempt++ {
		invalidateDpkg()
		counter.n.Store(0)
		before := statKey(dpkgStatusFile)
		for _, name := range []string{"dpkg", "bash", "coreutils", "gapply-surely-not-installed"} {
			r := sysNew(t, "package", name, map[string]any{"ensure": "present"})
			msgs := sysCheck(t, r)
			if want := name == "gapply-surely-not-installed"; (len(msgs) == 1) != want {
				t.Errorf("%s: changes %v", name, msgs)
			}
		}
		if statKey(dpkgStatusFile) != before && attempt < 5 {
			continue
		}
		if n := counter.n.Load(); n != 1 {
			t.Errorf("%d commands for four package checks, want one dpkg-query", n)
		}
		return
	}
}

func TestParseDpkgQuery(t *testing.T) {
	db := parseDpkgQuery("a\t1.0\tii \nb\t2.0\trc \nc\t\tun \nlib\t1\tii \nlib\t1\tun \n")
	if !db["a"].installed() || db["a"].Version != "1.0" || !db["b"].configOnly() || db["c"].installed() || !db["lib"].installed() {
		t.Errorf("parsed %+v", db)
	}
}

func TestPackageValidation(t *testing.T) {
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"provider": "dpkg"}, "You cannot install dpkg packages without a source"},
		{map[string]any{"provider": "yum"}, `Invalid value "yum". Valid values are apt, dpkg.`},
		{map[string]any{"source": "x.deb"}, "absolute path"},
		{map[string]any{"ensure": "1.0 2"}, "Invalid value"},
	} {
		err := sysNewErr(t, "package", "p", tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want %q", tc.params, err, tc.want)
		}
	}
	if err := sysNewErr(t, "package", "p", map[string]any{"provider": "dpkg", "ensure": "purged"}); err != nil {
		t.Errorf("dpkg removal needs no source: %v", err)
	}
}
