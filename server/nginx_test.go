package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
	"github.com/gapply/gapply/server/client"
)

// The balancer connects to the masters from 127.0.0.2 (proxy_bind), the
// only address they trust for identity headers; tests and agents connect
// from 127.0.0.1.
const balancerAddr = "127.0.0.2"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startNginx runs nginx in the foreground with the example configuration
// snippet (after the replacements, each of which must apply) included in
// the http or stream context, and stops it when the test ends.
func startNginx(t *testing.T, example string, stream bool, port int, repl ...string) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed: apt-get install nginx (and libnginx-mod-stream)")
	}
	data, err := os.ReadFile(filepath.Join("..", "examples", "nginx", example))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(data)
	for i := 0; i < len(repl); i += 2 {
		if !strings.Contains(conf, repl[i]) {
			t.Fatalf("%s no longer contains %q: update the test", example, repl[i])
		}
		conf = strings.ReplaceAll(conf, repl[i], repl[i+1])
	}
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "gapply.conf"), conf)
	var main strings.Builder
	if os.Geteuid() == 0 {
		main.WriteString("user root;\n") // workers must read the temp dir
	}
	fmt.Fprintf(&main, "daemon off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log info;\n", dir, dir)
	if stream {
		mod := "/usr/lib/nginx/modules/ngx_stream_module.so"
		out, _ := exec.Command(bin, "-V").CombinedOutput()
		switch {
		case strings.Contains(string(out), "--with-stream=dynamic"):
			if _, err := os.Stat(mod); err != nil {
				t.Skip("nginx stream module missing: apt-get install libnginx-mod-stream")
			}
			fmt.Fprintf(&main, "load_module %s;\n", mod)
		case !strings.Contains(string(out), "--with-stream"):
			t.Skip("this nginx has no stream module")
		}
	}
	main.WriteString("events { worker_connections 512; }\n")
	tmp := ""
	for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		tmp += fmt.Sprintf("  %s_temp_path %s/%s;\n", d, dir, d)
	}
	fmt.Fprintf(&main, "http {\n  access_log %s/access.log;\n%s", dir, tmp)
	if !stream {
		fmt.Fprintf(&main, "  include %s/gapply.conf;\n", dir)
	}
	main.WriteString("}\n")
	if stream {
		fmt.Fprintf(&main, "include %s/gapply.conf;\n", dir)
	}
	writeTestFile(t, filepath.Join(dir, "nginx.conf"), main.String())
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", logs)
		}
	})
	deadline := time.Now().Add(time.Minute) // guards a hang only
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited:\n%s", logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %d", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cluster is a CA, two masters and nginx in front of them.
type cluster struct {
	p       *pki
	caSrv   *master
	masters []*master
	lbPort  int
	// caHost/caPort are what agents use as ca_server.
	caPort int
}

func newCluster(t *testing.T, passthrough bool) *cluster {
	p := newPKI(t, false)
	repo := newRepo(t, siteManifest)
	proxy := server.ProxyOptions{Trusted: []netip.Prefix{netip.MustParsePrefix(balancerAddr + "/32")}}
	cl := &cluster{p: p, lbPort: freePort(t)}
	cl.caSrv = startMaster(t, p, server.Options{CA: p.ca, Proxy: proxy})
	for range 2 {
		cl.masters = append(cl.masters, startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, Proxy: proxy, Admins: []string{"admin"}}))
	}
	repl := []string{
		"10.0.0.11:8140", cl.masters[0].addr,
		"10.0.0.12:8140", cl.masters[1].addr,
	}
	if passthrough {
		repl = append(repl, "listen 8140;", fmt.Sprintf("listen 127.0.0.1:%d;", cl.lbPort))
		cl.caPort = cl.caSrv.port
		startNginx(t, "gapply-passthrough.conf", true, cl.lbPort, repl...)
		return cl
	}
	caCert := p.caFile()
	repl = append(repl,
		"10.0.0.10:8140", cl.caSrv.addr,
		"listen 8140 ssl;", fmt.Sprintf("listen 127.0.0.1:%d ssl;", cl.lbPort),
		"/etc/gapply/ssl/certs/puppet.pem", p.certFile,
		"/etc/gapply/ssl/private_keys/puppet.pem", p.keyFile,
		"/etc/gapply/ssl/certs/ca.pem", caCert,
		"/etc/gapply/ssl/crl.pem", p.crlFile(),
		"    proxy_http_version            1.1;", "    proxy_http_version 1.1;\n    proxy_bind "+balancerAddr+";",
	)
	cl.caPort = cl.lbPort
	startNginx(t, "gapply-terminating.conf", false, cl.lbPort, repl...)
	return cl
}

// bootstrap brings up an agent through the balancer: its first run waits
// until the request is signed.
func (cl *cluster) bootstrap(t *testing.T, name string) (*client.Client, string) {
	t.Helper()
	ssl := filepath.Join(t.TempDir(), "ssl")
	c, err := client.New(client.Config{Certname: name, Server: "127.0.0.1", Port: cl.lbPort,
		CAServer: "127.0.0.1", CAPort: cl.caPort, SSLDir: ssl, Timeout: 10 * time.Second,
		WaitForCert: time.Minute, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Bootstrap(context.Background()) }()
	deadline := time.Now().Add(time.Minute) // guards a hang only
	for {
		if _, err := cl.p.ca.Request(name); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no certificate request reached the CA", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("%s: bootstrap ended before its request was signed: %v", name, err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := cl.p.ca.Sign(name); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("%s: bootstrap: %v", name, err)
	}
	return c, ssl
}

// tlsCertFrom loads an agent's certificate from its ssldir.
func tlsCertFrom(t *testing.T, ssl, name string) *tls.Certificate {
	c, err := tls.LoadX509KeyPair(filepath.Join(ssl, "certs", name+".pem"), filepath.Join(ssl, "private_keys", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func (cl *cluster) lbURL(path string) string {
	return fmt.Sprintf("https://127.0.0.1:%d%s", cl.lbPort, path)
}

func postCatalog(t *testing.T, hc *http.Client, u string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(url.Values{"facts": {`{"values":{"outdir":"/nonexistent"}}`}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestNginxCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx")
	}
	for _, mode := range []string{"terminating", "passthrough"} {
		t.Run(mode, func(t *testing.T) {
			cl := newCluster(t, mode == "passthrough")
			web1, ssl1 := cl.bootstrap(t, "web1")
			db1, ssl2 := cl.bootstrap(t, "db1")
			runAgent(t, web1, "web1")
			runAgent(t, db1, "db1")

			// web1 cannot fetch db1's catalog through the balancer.
			asWeb1 := cl.p.httpsClient(tlsCertFrom(t, ssl1, "web1"), "")
			if code, body := postCatalog(t, asWeb1, cl.lbURL("/puppet/v3/catalog/db1"), nil); code != http.StatusForbidden {
				t.Errorf("web1 asking for db1's catalog: %d %s", code, body)
			}
			// A client without a certificate gets the CA endpoints only,
			// whatever headers it sends.
			anon := cl.p.httpsClient(nil, "")
			spoof := map[string]string{"X-Client-Verify": "SUCCESS", "X-Client-DN": "CN=web1"}
			if code, body := postCatalog(t, anon, cl.lbURL("/puppet/v3/catalog/web1"), spoof); code != http.StatusForbidden {
				t.Errorf("anonymous client with spoofed headers through the balancer: %d %s", code, body)
			}
			resp, err := anon.Get(fmt.Sprintf("https://127.0.0.1:%d/puppet-ca/v1/certificate/ca", cl.caPort))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("CA certificate without a client certificate: %d", resp.StatusCode)
			}
			// Straight to a master from an address that is not the balancer,
			// identity headers are refused.
			direct := "https://" + cl.masters[0].addr + "/puppet/v3/catalog/web1"
			if code, body := postCatalog(t, anon, direct, spoof); code != http.StatusForbidden || !strings.Contains(body, "trusted proxies") {
				t.Errorf("spoofed X-Client-DN from an untrusted address: %d %s", code, body)
			}

			// One master dies: every agent keeps converging through the other.
			cl.masters[0].stop()
			for range 3 {
				runAgent(t, web1, "web1")
				runAgent(t, db1, "db1")
			}

			// db1 is revoked: refused from its next connection on.
			if err := cl.p.ca.Revoke("db1"); err != nil {
				t.Fatal(err)
			}
			c2, err := client.New(client.Config{Certname: "db1", Server: "127.0.0.1", Port: cl.lbPort,
				CAServer: "127.0.0.1", CAPort: cl.caPort, SSLDir: ssl2, Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := c2.Bootstrap(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c2.Catalog(context.Background(), map[string]any{}); err == nil {
				t.Error("a revoked agent got its catalog through the balancer")
			} else {
				t.Logf("revoked agent refused: %v", err)
			}
			runAgent(t, web1, "web1")
		})
	}
}
