package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gapply/gapply/internal/syncbuf"
)

// catalogAgent is one node in catalog mode: its own ssldir, vardir and
// target root (a fact the manifest writes under).
type catalogAgent struct {
	name, dir, root string
}

func (a *catalogAgent) path(parts ...string) string {
	return filepath.Join(append([]string{a.dir}, parts...)...)
}

// command is `gapply agent --once` against the master on port, with an
// empty configuration file so that nothing of the machine's is read.
func (a *catalogAgent) command(gapply, port string, extra ...string) *exec.Cmd {
	args := append([]string{"agent", "--once", "--config", a.path("gapply.hcl"),
		"--server", "127.0.0.1", "--masterport", port, "--certname", a.name,
		"--ssldir", a.path("ssl"), "--vardir", a.path("var"), "--external-facts", "",
		"--report-prometheus-file", a.path("gapply.prom"),
		"--waitforcert", "100ms", "--maxwaitforcert", "20s"}, extra...)
	cmd := exec.Command(gapply, args...)
	cmd.Env = append(os.Environ(), "FACTER_target_root="+a.root)
	return cmd
}

// run runs the agent once and returns its exit code and output.
func (a *catalogAgent) run(t *testing.T, gapply, port string, extra ...string) (int, string) {
	t.Helper()
	out, err := a.command(gapply, port, extra...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("%s: %v", a.name, err)
	return 0, ""
}

func (a *catalogAgent) motd() string {
	data, err := os.ReadFile(filepath.Join(a.root, "motd"))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(data)
}

func newCatalogAgent(t *testing.T, base, name string) *catalogAgent {
	t.Helper()
	a := &catalogAgent{name: name, dir: filepath.Join(base, name)}
	a.root = a.path("root")
	if err := os.MkdirAll(a.root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a.path("gapply.hcl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCatalogModeEndToEnd runs catalog mode with the real binary: a CA, a
// master serving it (`gapply master --ca`) from a git repository, and
// agents as separate processes that bootstrap, wait for `gapply ca sign`,
// converge, are refused another node's catalog, are refused once revoked,
// and fall back (loudly) to their cached catalog when the master is gone.
func TestCatalogModeEndToEnd(t *testing.T) {
	gapply := endToEnd(t)
	start := time.Now()
	base := t.TempDir()
	cadir := filepath.Join(base, "ca")
	ca := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(gapply, append([]string{"ca", "--cadir", cadir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("gapply ca %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	ca("init", "--common-name", "e2e CA")

	repo := filepath.Join(base, "site")
	if err := os.MkdirAll(filepath.Join(repo, "manifests"), 0o755); err != nil {
		t.Fatal(err)
	}
	site := `file { "${facts['target_root']}/motd": content => "hello ${trusted['certname']} (${trusted['authenticated']})\n" }` + "\n"
	if err := os.WriteFile(filepath.Join(repo, "manifests", "site.pp"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	runGit(t, "", "init", "-q", "-b", "production", repo)
	runGit(t, repo, "add", "-A")
	runGit(t, repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "site")

	var masterLog syncbuf.Buffer
	master := exec.Command(gapply, "master", "--config", filepath.Join(base, "master.hcl"), "--ca", "--cadir", cadir,
		"--listen", "127.0.0.1:0", "--ssldir", filepath.Join(base, "master-ssl"), "--dns-alt-names", "localhost,IP:127.0.0.1",
		"--codedir", filepath.Join(base, "code"), "--reportdir", filepath.Join(base, "reports"), "--repository-url", repo)
	if err := os.WriteFile(filepath.Join(base, "master.hcl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	master.Stdout, master.Stderr = &masterLog, &masterLog
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stopMaster := func() {
		if !stopped {
			stopped = true
			master.Process.Kill() //nolint:errcheck // it may have exited
			master.Wait()         //nolint:errcheck // killed
		}
	}
	t.Cleanup(stopMaster)
	addr := regexp.MustCompile(`address=127\.0\.0\.1:(\d+)`)
	var port string
	waitFor(t, "the master to listen", time.Minute, func() bool {
		if m := addr.FindStringSubmatch(masterLog.String()); m != nil {
			port = m[1]
			return true
		}
		return false
	})

	a := newCatalogAgent(t, base, "agent-a.test")
	b := newCatalogAgent(t, base, "agent-b.test")
	t.Run("first run waits for signing, then converges", func(t *testing.T) {
		var out syncbuf.Buffer
		cmd := a.command(gapply, port, "--detailed-exitcodes")
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		waitFor(t, "agent-a's certificate request", time.Minute, func() bool {
			return strings.Contains(ca("list"), a.name)
		})
		select {
		case err := <-done:
			t.Fatalf("the agent did not wait for signing: %v\n%s", err, out.String())
		case <-time.After(300 * time.Millisecond):
		}
		ca("sign", a.name)
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			t.Fatalf("agent-a did not finish after signing:\n%s", out.String())
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("agent-a's first run: %v, want exit 2 (changes):\n%s", err, out.String())
		}
		if got := a.motd(); got != "hello agent-a.test (remote)\n" {
			t.Errorf("agent-a's motd = %q", got)
		}
		if st, err := os.Stat(a.path("ssl", "private_keys", a.name+".pem")); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("agent-a's key: %v", err)
		}
		reports, _ := filepath.Glob(filepath.Join(base, "reports", a.name, "*.json"))
		if len(reports) != 1 {
			t.Errorf("reports stored on the master for agent-a: %v", reports)
		}
	})

	t.Run("a node gets only its own catalog", func(t *testing.T) {
		// Told not to wait, an unsigned agent fails at once and says how
		// to sign it.
		code, out := b.run(t, gapply, port, "--waitforcert", "0")
		if code != 1 || !strings.Contains(out, "gapply ca sign agent-b.test") || !strings.Contains(ca("list"), b.name) {
			t.Fatalf("agent-b's unsigned run: exit %d:\n%s", code, out)
		}
		ca("sign", b.name)
		if code, out := b.run(t, gapply, port); code != 0 || b.motd() != "hello agent-b.test (remote)\n" {
			t.Fatalf("agent-b: exit %d, motd %q:\n%s", code, b.motd(), out)
		}
		// agent-b's own certificate does not open agent-a's catalog.
		hc := clientFromSSLDir(t, b.path("ssl"), b.name)
		form := url.Values{"facts": {`{"name":"agent-a.test","values":{}}`}}
		resp, err := hc.PostForm("https://127.0.0.1:"+port+"/puppet/v3/catalog/agent-a.test?environment=production", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("agent-b asking for agent-a's catalog: %d %s", resp.StatusCode, body)
		}
		// A new node claiming agent-a's name gets no certificate for it.
		impostor := newCatalogAgent(t, base, "impostor")
		impostor.name = a.name
		code, out = impostor.run(t, gapply, port)
		if code != 1 || !strings.Contains(out, "does not match this node's key") {
			t.Errorf("impostor: exit %d:\n%s", code, out)
		}
		if got := impostor.motd(); !strings.HasPrefix(got, "<") {
			t.Errorf("the impostor applied a catalog: motd %q", got)
		}
	})

	t.Run("a revoked node is refused at the handshake", func(t *testing.T) {
		ca("revoke", a.name)
		if err := os.Remove(filepath.Join(a.root, "motd")); err != nil {
			t.Fatal(err)
		}
		code, out := a.run(t, gapply, port)
		if code != 1 || !strings.Contains(out, "refused the certificate of agent-a.test in the TLS handshake") {
			t.Errorf("revoked agent: exit %d:\n%s", code, out)
		}
		t.Logf("revoked agent's run:\n%s", out)
		if got := a.motd(); !strings.HasPrefix(got, "<") {
			t.Errorf("the revoked agent applied its cached catalog: motd %q", got)
		}
	})

	t.Run("with the master gone, the cached catalog runs and says so", func(t *testing.T) {
		stopMaster()
		if err := os.Remove(filepath.Join(b.root, "motd")); err != nil {
			t.Fatal(err)
		}
		code, out := b.run(t, gapply, port)
		if code != 0 || b.motd() != "hello agent-b.test (remote)\n" {
			t.Fatalf("agent-b without a master: exit %d, motd %q:\n%s", code, b.motd(), out)
		}
		if !regexp.MustCompile(`Applied catalog in .*1 changed.*; STALE: ran [0-9a-f]{12}, failing since .*: no catalog from the master, applied the cached one`).MatchString(out) {
			t.Errorf("the run's summary does not say it used the cached catalog:\n%s", out)
		}
		t.Logf("run without a master:\n%s", out)
		summary, _ := os.ReadFile(b.path("var", "state", "last_run_summary.yaml"))
		if !strings.Contains(string(summary), "last_error: 'no catalog from the master, applied the cached one") {
			t.Errorf("last_run_summary.yaml:\n%s", summary)
		}
		prom, _ := os.ReadFile(b.path("gapply.prom"))
		if !regexp.MustCompile(`(?m)^gapply_fallback\{failed_commit=""\} 1$`).Match(prom) {
			t.Errorf("metrics do not show the fallback:\n%s", prom)
		}
	})
	t.Logf("catalog mode end to end in %v", time.Since(start))
}

// endToEnd skips an end-to-end test under -short or without git, and
// returns the gapply binary (the test binary, as testscript installs it).
func endToEnd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	gapply, err := exec.LookPath("gapply")
	if err != nil {
		t.Fatal(err)
	}
	return gapply
}

// clientFromSSLDir is an HTTPS client with the credentials an agent keeps
// in its ssldir.
func clientFromSSLDir(t *testing.T, ssldir, name string) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(ssldir, "certs", name+".pem"), filepath.Join(ssldir, "private_keys", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(ssldir, "certs", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
	}}
}
