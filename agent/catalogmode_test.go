package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/report"
)

// Catalog mode needs no repository, and refuses a server written as a URL
// or with a port, a bad port and negative waits.
func TestCatalogModeSettings(t *testing.T) {
	problems := func(c *Config) string {
		var s []string
		for _, p := range c.CheckConfig() {
			s = append(s, p.Setting+": "+p.Summary)
		}
		return strings.Join(s, "; ")
	}
	c := Defaults()
	c.Server = "puppet.example.com"
	if got := problems(c); got != "" {
		t.Errorf("catalog mode without a repository: %s", got)
	}
	c.Server, c.CAServer, c.MasterPort, c.CAPort, c.WaitForCert = "https://puppet:8140", "ca:8141", 0, -1, -time.Second
	want := "server: Invalid host name; ca_server: Invalid host name; masterport: masterport must be a port number (1-65535); " +
		"ca_port: ca_port must be a port number (1-65535), or 0 for masterport; waitforcert: Negative duration"
	if got := problems(c); got != want {
		t.Errorf("problems:\n got %s\nwant %s", got, want)
	}
	c = Defaults()
	c.Server, c.CAServer = "::1", "10.0.0.1"
	if got := problems(c); got != "" {
		t.Errorf("IP addresses are hosts: %s", got)
	}
	if got := problems(Defaults()); !strings.Contains(got, "repository.url: No repository URL") {
		t.Errorf("git mode without a repository: %q", got)
	}
	// Puppet's defaults.
	d := Defaults()
	if d.MasterPort != 8140 || d.WaitForCert != 2*time.Minute || !d.UseCacheOnFailure || d.SSLDir != DefaultSSLDir {
		t.Errorf("defaults: %+v", d)
	}
	for _, s := range config.Describe(d) {
		if s.Doc == "" {
			t.Errorf("setting %s is not documented", s.Name)
		}
	}
}

// waitforcert is the interval between asks and maxwaitforcert the whole
// wait, bounded by the run; waitforcert 0 does not wait.
func TestClientConfigWaits(t *testing.T) {
	c := Defaults()
	c.Server, c.WaitForCert, c.RunTimeout = "m", 5*time.Second, time.Hour
	r := &run{cfg: c, env: "production"}
	if cc := c.clientConfig(r, "n"); cc.PollInterval != 5*time.Second || cc.WaitForCert != time.Hour || cc.Port != 8140 {
		t.Errorf("unbounded: %+v", cc)
	}
	c.MaxWaitForCert = time.Minute
	if cc := c.clientConfig(r, "n"); cc.WaitForCert != time.Minute {
		t.Errorf("maxwaitforcert: %v", cc.WaitForCert)
	}
	c.WaitForCert = 0
	if cc := c.clientConfig(r, "n"); cc.WaitForCert != 0 {
		t.Errorf("waitforcert 0: %v", cc.WaitForCert)
	}
}

// A master that cannot be reached on the first run leaves a failed report
// (nothing cached to fall back on), and the failure streak starts.
func TestCatalogModeUnreachableFirstRun(t *testing.T) {
	c := Defaults()
	dir := t.TempDir()
	c.Server, c.MasterPort, c.Certname, c.Vardir, c.SSLDir = "127.0.0.1", 1, "node1.test", filepath.Join(dir, "var"), filepath.Join(dir, "ssl")
	c.ExternalFacts = nil
	out, err := (&Agent{Config: c}).Run(context.Background(), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep := out.Report
	if rep == nil || rep.Status != report.StatusFailed || rep.Host != "node1.test" || len(rep.Errors) != 1 ||
		!strings.Contains(rep.Errors[0], "fetching the CA certificate") {
		t.Fatalf("report: %+v", rep)
	}
	if rep.ExitCode(false) != 1 {
		t.Errorf("exit code %d", rep.ExitCode(false))
	}
	saved, err := report.Load(c.stateDir())
	if err != nil || saved.Status != report.StatusFailed {
		t.Errorf("saved report: %+v %v", saved, err)
	}
	if st := loadState(c.stateDir()); st.Failure == nil || st.Failure.Since.IsZero() {
		t.Errorf("failure streak not recorded: %+v", st)
	}
}
