package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
	"github.com/gapply/gapply/server/client"

	"github.com/gapply/gapply/internal/syncbuf"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// runAgent does a full agent run for c with its output in a fresh directory,
// and checks that it converged.
func runAgent(t *testing.T, c *client.Client, name string) (outdir string, out *client.Outcome) {
	t.Helper()
	outdir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.Run(ctx, client.RunOptions{VarDir: t.TempDir(), Facts: map[string]any{"outdir": outdir}})
	if err != nil {
		t.Fatalf("agent %s: %v", name, err)
	}
	if out.Report.Status == "failed" {
		t.Fatalf("agent %s: run failed: %+v", name, out.Report.Resources)
	}
	if got := readFile(t, filepath.Join(outdir, "motd")); got != "hello "+name+"\n" {
		t.Errorf("agent %s: motd = %q", name, got)
	}
	return outdir, out
}

func TestAgentConvergesAndOnlyGetsItsOwnCatalog(t *testing.T) {
	p := newPKI(t, true)
	repo := newRepo(t, siteManifest)
	reports := t.TempDir()
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca, ReportDir: reports, Admins: []string{"admin.example"}})

	web1 := agent(t, "web1", "127.0.0.1", m.port, client.Config{})
	outdir, out := runAgent(t, web1, "web1")
	if got := readFile(t, filepath.Join(outdir, "data")); got != "served by the master\n" {
		t.Errorf("puppet:/// source: %q", got)
	}
	if got := readFile(t, filepath.Join(outdir, "tree", "b", "c")); got != "c\n" {
		t.Errorf("recursive puppet:/// source: %q", got)
	}
	// A Sensitive value reaches its node in clear, over mutual TLS, and
	// is applied; only printing redacts it.
	if got := readFile(t, filepath.Join(outdir, "secret")); got != "s3cret\n" {
		t.Errorf("Sensitive content applied as %q", got)
	}
	if out.ReportError != nil {
		t.Errorf("report: %v", out.ReportError)
	}
	stored, _ := filepath.Glob(filepath.Join(reports, "web1", "*.json"))
	if len(stored) != 1 {
		t.Errorf("reports stored for web1: %v", stored)
	}

	// web1's certificate does not open db1's catalog, nor lets it send
	// db1's report.
	web1Cert := p.certFor(t, "web1b")
	hc := p.httpsClient(&web1Cert, "")
	base := "https://" + m.addr
	form := url.Values{"facts": {`{"name":"db1","values":{}}`}}
	resp, err := hc.PostForm(base+"/puppet/v3/catalog/db1?environment=production", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"web1b" access to /puppet/v3/catalog/db1`) {
		t.Errorf("other node's catalog: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodPut, base+"/puppet/v3/report/db1", strings.NewReader(`{"host":"db1"}`))
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("other node's report: %d", resp.StatusCode)
	}
	// An admin may fetch any node's catalog.
	admin := p.certFor(t, "admin.example")
	resp, err = p.httpsClient(&admin, "").PostForm(base+"/puppet/v3/catalog/db1?environment=production", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"name": "db1"`) {
		t.Errorf("admin fetching db1's catalog: %d %s", resp.StatusCode, body)
	}
}

func TestWithoutCertificateOnlyCAEndpoints(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, siteManifest)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca})
	hc := p.httpsClient(nil, "")
	base := "https://" + m.addr
	for path, want := range map[string]int{
		"/status/v1/simple":                              200,
		"/puppet-ca/v1/certificate/ca":                   200,
		"/puppet-ca/v1/certificate_revocation_list/ca":   200,
		"/puppet-ca/v1/certificate/puppet":               200,
		"/puppet-ca/v1/certificate/nobody":               404,
		"/puppet-ca/v1/certificate_status/puppet":        403,
		"/puppet-ca/v1/certificate_statuses/any":         403,
		"/puppet/v3/catalog/web1?environment=production": 403,
		"/puppet/v3/file_content/modules/demo/data.txt":  403,
		"/puppet/v3/file_metadata/modules/demo/data.txt": 403,
	} {
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without a certificate: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestFirstRunWaitsForSigningThenRevocationRefuses(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, siteManifest)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca, Admins: []string{"admin"}})

	ssl := filepath.Join(t.TempDir(), "ssl")
	c, err := client.New(client.Config{Certname: "web2", Server: "127.0.0.1", Port: m.port, SSLDir: ssl,
		WaitForCert: time.Minute, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Bootstrap(context.Background()) }()
	// The request arrives, and the agent keeps waiting until it is signed.
	deadline := time.Now().Add(time.Minute) // guards a hang only
	for {
		if e, err := p.ca.Status("web2"); err == nil && e.State == ca.Requested {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent's request never reached the CA")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("bootstrap returned before signing: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	// Sign through the API, as an admin on another host would.
	admin := p.certFor(t, "admin")
	req, _ := http.NewRequest(http.MethodPut, "https://"+m.addr+"/puppet-ca/v1/certificate_status/web2", strings.NewReader(`{"desired_state":"signed"}`))
	resp, err := p.httpsClient(&admin, "").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("signing via certificate_status: %d", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatalf("bootstrap after signing: %v", err)
	}
	st, err := os.Stat(filepath.Join(ssl, "private_keys", "web2.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", st.Mode(), err)
	}
	runAgent(t, c, "web2")

	if err := p.ca.Revoke("web2"); err != nil {
		t.Fatal(err)
	}
	// A fresh connection (the revoked agent's next run) is refused at the handshake.
	c2 := agentWithSSL(t, "web2", m.port, ssl)
	_, _, err = c2.Catalog(context.Background(), map[string]any{})
	if err == nil {
		t.Fatal("a revoked agent got its catalog")
	}
	t.Logf("revoked agent: %v", err)
}

// agentWithSSL opens an existing ssldir (a later run of the same agent).
func agentWithSSL(t *testing.T, name string, port int, ssl string) *client.Client {
	c, err := client.New(client.Config{Certname: name, Server: "127.0.0.1", Port: port, SSLDir: ssl})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProxyHeadersOnlyFromTrustedAddresses(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, siteManifest)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo},
		Proxy: server.ProxyOptions{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, DNHeader: "X-SSL-Subject"}})
	form := url.Values{"facts": {`{"name":"web3","values":{"outdir":"/tmp/x"}}`}}.Encode()
	post := func(local, dn string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "https://"+m.addr+"/puppet/v3/catalog/web3", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Client-Verify", "SUCCESS")
		req.Header.Set("X-SSL-Subject", dn)
		resp, err := p.httpsClient(nil, local).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := post("127.0.0.1", "CN=web3"); code != http.StatusForbidden || !strings.Contains(body, "trusted proxies") {
		t.Errorf("spoofed headers from an untrusted address: %d %s", code, body)
	}
	if code, body := post("127.0.0.2", "CN=web3"); code != http.StatusOK {
		t.Errorf("headers from the trusted proxy: %d %s", code, body)
	}
	if code, _ := post("127.0.0.2", "CN=web4"); code != http.StatusForbidden {
		t.Errorf("trusted proxy, another node's DN: %d", code)
	}
	if code, _ := post("127.0.0.2", "/O=x/CN=web3"); code != http.StatusOK {
		t.Errorf("legacy DN form: %d", code)
	}
}

func TestCompiledCatalogsAreCached(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, map[string]string{"manifests/site.pp": `notify { "n ${facts['x']}": }`})
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}})
	cert := p.certFor(t, "web5")
	hc := p.httpsClient(&cert, "")
	get := func(x string) string {
		resp, err := hc.PostForm("https://"+m.addr+"/puppet/v3/catalog/web5", url.Values{"facts": {`{"values":{"x":"` + x + `"}}`}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		return string(body)
	}
	a1, a2, b := get("a"), get("a"), get("b")
	if a1 != a2 || !strings.Contains(a1, "Notify") || !strings.Contains(a1, "n a") || !strings.Contains(b, "n b") {
		t.Errorf("catalogs: %s\n%s\n%s", a1, a2, b)
	}
	if n := m.srv.CachedCatalogs(); n != 2 {
		t.Errorf("cached catalogs = %d, want 2 (one per facts digest)", n)
	}
}

func TestCompileErrorIs500AndBadRequestsAre4xx(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, map[string]string{"manifests/site.pp": "file { '/x': mdoe => '0644' }\n"})
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, MaxBody: 1 << 10})
	cert := p.certFor(t, "web6")
	hc := p.httpsClient(&cert, "")
	base := "https://" + m.addr + "/puppet/v3/catalog/web6"
	for _, tc := range []struct {
		query, facts string
		want         int
		wantBody     string
	}{
		{"", `{"values":{}}`, 500, "mdoe"},
		{"", `{"values":`, 400, "facts"},
		{"?environment=../x", `{"values":{}}`, 404, "invalid environment"},
		{"?environment=nosuch", `{"values":{}}`, 404, "nosuch"},
		{"", `{"values":{"big":"` + strings.Repeat("x", 2<<10) + `"}}`, 413, ""},
		{"", `{"name":"other","values":{}}`, 400, "other"},
	} {
		resp, err := hc.PostForm(base+tc.query, url.Values{"facts": {tc.facts}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.wantBody) {
			t.Errorf("%s %.40s: %d %s, want %d %q", tc.query, tc.facts, resp.StatusCode, body, tc.want, tc.wantBody)
		}
	}
}

func TestAgentFallsBackToCachedCatalog(t *testing.T) {
	p := newPKI(t, true)
	repo := newRepo(t, siteManifest)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca})
	c := agent(t, "web7", "127.0.0.1", m.port, client.Config{Timeout: 5 * time.Second})
	vardir, outdir := t.TempDir(), t.TempDir()
	run := func() (*client.Outcome, error) {
		return c.Run(context.Background(), client.RunOptions{VarDir: vardir, Facts: map[string]any{"outdir": outdir}, UseCachedCatalog: true})
	}
	if _, err := run(); err != nil {
		t.Fatal(err)
	}
	m.stop()
	if err := os.Remove(filepath.Join(outdir, "data")); err != nil {
		t.Fatal(err)
	}
	out, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if !out.Cached || out.CatalogError == nil || out.ReportError == nil {
		t.Errorf("outcome with the master down: %+v", out)
	}
	if got := readFile(t, filepath.Join(outdir, "data")); got != "served by the master\n" {
		t.Errorf("cached run restored %q", got)
	}
	var he *client.HTTPError
	if errors.As(out.CatalogError, &he) {
		t.Errorf("master down should be a connection error, got HTTP %v", he)
	}
}

// A client revoked after its first handshake cannot resume its TLS session
// past the CRL: the check runs on resumed connections too.
func TestRevokedClientCannotResumeSession(t *testing.T) {
	p := newPKI(t, false)
	m := startMaster(t, p, server.Options{CA: p.ca})
	cert := p.certFor(t, "web8")
	hc := p.httpsClient(&cert, "")
	tr := hc.Transport.(*http.Transport)
	tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	tr.DisableKeepAlives = true
	get := func() (*http.Response, error) { return hc.Get("https://" + m.addr + "/status/v1/simple") }
	for range 2 { // the second connection resumes the first one's session
		resp, err := get()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resumed := false
	tr.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error { resumed = cs.DidResume; return nil }
	if resp, err := get(); err != nil || !resumed {
		t.Fatalf("session resumption does not work here (%v), so the test proves nothing", err)
	} else {
		resp.Body.Close()
	}
	if err := p.ca.Revoke("web8"); err != nil {
		t.Fatal(err)
	}
	resp, err := get()
	if err == nil {
		resp.Body.Close()
		t.Fatalf("revoked client resumed its session (resumed=%v)", resumed)
	}
	t.Logf("refused: %v", err)
}

// TestUnchangedSourcesAreNotFetchedAgain: an agent's second run takes the
// puppet:/// files it fetched before whose checksum the master still gives,
// and downloads only the file that a new commit changed.
func TestUnchangedSourcesAreNotFetchedAgain(t *testing.T) {
	p := newPKI(t, true)
	repo := newRepo(t, siteManifest)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca, SyncEvery: 10 * time.Millisecond})
	logs := &syncbuf.Buffer{}
	c := agent(t, "web1", "127.0.0.1", m.port, client.Config{Log: log.NewWithOptions(logs, log.Options{Level: log.DebugLevel})})
	vardir := t.TempDir()
	apply := func() (outdir, reused string) {
		t.Helper()
		logs.Reset()
		outdir = t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := c.Run(ctx, client.RunOptions{VarDir: vardir, Facts: map[string]any{"outdir": outdir}})
		if err != nil || out.Report.Status == "failed" {
			t.Fatalf("run: %v %+v", err, out)
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "source unchanged since the last run") {
				reused += line[strings.Index(line, "puppet:///"):] + "\n"
			}
		}
		return outdir, reused
	}
	if _, reused := apply(); reused != "" {
		t.Errorf("first run reused %s", reused)
	}
	outdir, reused := apply()
	want := "puppet:///modules/demo/data.txt\npuppet:///modules/demo/tree/a.txt\npuppet:///modules/demo/tree/b/c\n"
	if reused != want {
		t.Errorf("second run reused:\n%swant:\n%s", reused, want)
	}
	if got := readFile(t, filepath.Join(outdir, "tree", "b", "c")); got != "c\n" {
		t.Errorf("reused source applied as %q", got)
	}

	writeTestFile(t, filepath.Join(repo, "modules/demo/files/data.txt"), "changed\n")
	git(t, repo, "commit", "-q", "-am", "change data.txt")
	deadline := time.Now().Add(10 * time.Second)
	for {
		outdir, reused = apply()
		if readFile(t, filepath.Join(outdir, "data")) == "changed\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the master never served the new commit")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want := "puppet:///modules/demo/tree/a.txt\npuppet:///modules/demo/tree/b/c\n"; reused != want {
		t.Errorf("after a commit changing data.txt, reused:\n%swant:\n%s", reused, want)
	}
}
