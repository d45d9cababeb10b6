package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
)

// Fuzz targets for everything the master parses from the network. They run
// their seeds with go test; `go test -fuzz FuzzX ./server` explores further.

func FuzzParseDN(f *testing.F) {
	for _, s := range []string{"CN=web1", "CN=web1,O=x", "/O=x/CN=web1", `CN=a\,b,O=y`, `CN=\41`, "cn=x+CN=y", `CN=\`, "", "/", "CN=", "O=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		cn, err := server.ParseDN(dn)
		if err == nil && cn == "" {
			t.Fatalf("ParseDN(%q) returned an empty CN without error", dn)
		}
	})
}

// fuzzServer is a master with a CA whose requests are served in-process.
func fuzzServer(f *testing.F) (*server.Server, *x509.Certificate) {
	p := newPKI(f, false)
	repo := newRepo(f, map[string]string{"manifests/site.pp": "notify { \"x ${facts['a']}\": }\n"})
	s, err := server.New(server.Options{Certificate: p.cert, CACertFile: p.caFile(), CRLFile: p.crlFile(), CA: p.ca,
		Repo: gitsync.Source{URL: repo}, CodeDir: f.TempDir(), MaxBody: 64 << 10,
		Proxy: server.ProxyOptions{Trusted: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}}})
	if err != nil {
		f.Fatal(err)
	}
	c := p.certFor(f, "web1")
	leaf, _ := x509.ParseCertificate(c.Certificate[0])
	return s, leaf
}

func FuzzCatalogRequest(f *testing.F) {
	s, leaf := fuzzServer(f)
	f.Add("application/x-www-form-urlencoded", "facts_format=application/json&facts=%7B%22values%22%3A%7B%22a%22%3A1%7D%7D", "production")
	f.Add("application/json", `{"name":"web1","values":{"a":[1,2.5,{"b":null}]}}`, "production")
	f.Add("application/json", `{"values":{"a":1e400}}`, "x")
	f.Add("text/plain", "facts=", "")
	f.Fuzz(func(t *testing.T, contentType, body, env string) {
		req := httptest.NewRequest(http.MethodPost, "/puppet/v3/catalog/web1", strings.NewReader(body))
		if q := req.URL.Query(); env != "" {
			q.Set("environment", env)
			req.URL.RawQuery = q.Encode()
		}
		req.Header.Set("Content-Type", contentType)
		req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError && !strings.Contains(w.Body.String(), "Server Error") {
			t.Fatalf("unexpected 500: %s", w.Body)
		}
	})
}

func FuzzCSRUpload(f *testing.F) {
	s, _ := fuzzServer(f)
	_, csr, err := ca.GenerateKeyAndCSR("web2", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("web2", string(csr))
	f.Add("web3", string(csr))
	f.Add("web2", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
	f.Add("..", "")
	f.Fuzz(func(t *testing.T, name, body string) {
		req := httptest.NewRequest(http.MethodPut, "/", strings.NewReader(body))
		req.URL.Path = "/puppet-ca/v1/certificate_request/" + name
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("CSR %q: 500 %s", name, w.Body)
		}
	})
}

func FuzzProxyHeaders(f *testing.F) {
	s, _ := fuzzServer(f)
	f.Add("192.0.2.1:5555", "SUCCESS", "CN=web1", "")
	f.Add("192.0.2.1:5555", "SUCCESS", "/CN=web1", "%ZZ")
	f.Add("198.51.100.7:5555", "SUCCESS", "CN=web1", "")
	f.Add("garbage", "NONE", "", "")
	f.Fuzz(func(t *testing.T, remote, verify, dn, cert string) {
		req := httptest.NewRequest(http.MethodGet, "/puppet/v3/file_metadata/modules/x/y", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Client-Verify", verify)
		req.Header.Set("X-Client-DN", dn)
		req.Header.Set("X-Client-Cert", cert)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		ip, err := netip.ParseAddr(host)
		trusted := err == nil && ip.Unmap() == netip.MustParseAddr("192.0.2.1")
		if !trusted && (verify != "" || dn != "" || cert != "") && w.Code != http.StatusForbidden {
			t.Fatalf("identity headers from untrusted %q accepted: %d", remote, w.Code)
		}
	})
}
