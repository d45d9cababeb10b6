package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
)

// $trusted on a master says 'remote' and names the certificate that made the
// request, whatever the posted facts claim; an admin asking for a node's
// catalog is the certname (as on Puppet Server), and that compile is cached
// apart from the node's own.
func TestTrustedComesFromTheCertificate(t *testing.T) {
	p := newPKI(t, false)
	repo := newRepo(t, map[string]string{
		"manifests/site.pp": `notify { 'who': message => "${trusted['authenticated']} ${trusted['certname']}" }` + "\n",
	})
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: repo}, CA: p.ca, Admins: []string{"admin.example"}})
	forged := url.Values{"facts": {`{"name":"web9","values":{"trusted":{"certname":"db1","authenticated":"local"}}}`}}
	ask := func(certname string) string {
		t.Helper()
		cert := p.certFor(t, certname)
		resp, err := p.httpsClient(&cert, "").PostForm("https://"+m.addr+"/puppet/v3/catalog/web9?environment=production", forged)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", certname, resp.StatusCode, body)
		}
		var cat catalog.Catalog
		if err := json.Unmarshal(body, &cat); err != nil {
			t.Fatal(err)
		}
		for _, r := range cat.Resources {
			if r.Type == "Notify" {
				return r.Parameters["message"].(string)
			}
		}
		t.Fatalf("%s: no notify in %s", certname, body)
		return ""
	}
	if got := ask("web9"); got != "remote web9" {
		t.Errorf("the node's own catalog: $trusted = %q, want %q", got, "remote web9")
	}
	if got := ask("admin.example"); got != "remote admin.example" {
		t.Errorf("an admin's request: $trusted = %q, want %q", got, "remote admin.example")
	}
}
