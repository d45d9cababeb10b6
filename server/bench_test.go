package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
)

// The load generator behind bench/master_bench.sh: distinct agents (one
// certificate and one keep-alive connection each) post their facts to one
// master over mutual TLS for a catalog of 100 resources. "cached" sends the
// same facts every time (cache hits after the first request of each agent);
// "uncached" changes a fact on every request, so each one is a compile;
// "handshake" is "cached" with a new connection (a full handshake, CRL
// check included) for every request.

const benchAgents = 32

// hundredResources is a site manifest that compiles to 100 resources for
// every node, with facts, a define, a class and relationships.
func hundredResources() map[string]string {
	var b strings.Builder
	b.WriteString("define app::conf($port) {\n  file { \"/tmp/bench/${title}.conf\": content => \"port=${port} node=${trusted['certname']} n=${facts['n']}\\n\", mode => '0644' }\n}\n")
	b.WriteString("class base {\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  file { '/tmp/bench/base%d': ensure => file, content => \"%d ${facts['os']['family']}\\n\" }\n", i, i)
	}
	b.WriteString("}\nnode default {\n  include base\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  app::conf { 'app%d': port => %d }\n", i, 8000+i)
	}
	for i := range 30 {
		fmt.Fprintf(&b, "  notify { 'n%d': message => \"${facts['n']}\", require => Class['base'] }\n", i)
	}
	b.WriteString("}\n")
	return map[string]string{"manifests/site.pp": b.String()}
}

func benchMaster(b *testing.B, mode string) {
	p := newPKI(b, false)
	m := startMaster(b, p, server.Options{Repo: gitsync.Source{URL: newRepo(b, hundredResources())}})
	clients := make([]*http.Client, benchAgents)
	for i := range clients {
		cert := p.certFor(b, fmt.Sprintf("agent%02d", i))
		hc := p.httpsClient(&cert, "")
		if mode == "handshake" {
			// A new connection and a full mutual-TLS handshake per
			// request, as each run of a real agent makes.
			hc.Transport.(*http.Transport).DisableKeepAlives = true
		}
		clients[i] = hc
	}
	var seq atomic.Int64
	check := true // parse the catalogs of the warm-up requests only: the generator must stay cheap
	post := func(i int) error {
		n := "1"
		if mode == "uncached" {
			n = fmt.Sprint(seq.Add(1))
		}
		facts := fmt.Sprintf(`{"values":{"n":%q,"os":{"family":"Debian"}}}`, n)
		resp, err := clients[i].PostForm(fmt.Sprintf("https://%s/puppet/v3/catalog/agent%02d", m.addr, i), url.Values{"facts": {facts}})
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
		}
		if !check {
			return nil
		}
		if cat, err := catalog.Unmarshal(body); err != nil || len(cat.Resources) != 100 {
			return fmt.Errorf("not a 100-resource catalog (%v): %.300s", err, body)
		}
		return nil
	}
	for i := range clients { // connect and warm the cache
		if err := post(i); err != nil {
			b.Fatal(err)
		}
	}
	check = false
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchAgents)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := post(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkMasterCachedCatalog(b *testing.B)    { benchMaster(b, "cached") }
func BenchmarkMasterUncachedCatalog(b *testing.B)  { benchMaster(b, "uncached") }
func BenchmarkMasterHandshakeCatalog(b *testing.B) { benchMaster(b, "handshake") }
