package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server"
	"github.com/gapply/gapply/server/client"
)

// A revoked node is turned away at the handshake, and that is a refusal:
// even with usecacheonfailure it does not go on with its cached catalog.
func TestRevokedAgentDoesNotFallBackToItsCache(t *testing.T) {
	p := newPKI(t, true)
	m := startMaster(t, p, server.Options{Repo: gitsync.Source{URL: newRepo(t, siteManifest)}, CA: p.ca})
	ssl := filepath.Join(t.TempDir(), "ssl")
	c := agent(t, "web10", "127.0.0.1", m.port, client.Config{SSLDir: ssl})
	vardir, outdir := t.TempDir(), t.TempDir()
	opts := client.RunOptions{VarDir: vardir, Facts: map[string]any{"outdir": outdir}, UseCachedCatalog: true}
	if _, err := c.Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if err := p.ca.Revoke("web10"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(outdir, "motd")); err != nil {
		t.Fatal(err)
	}
	out, err := agentWithSSL(t, "web10", m.port, ssl).Run(context.Background(), opts)
	if err == nil || !client.Refused(err) {
		t.Fatalf("revoked agent's run: outcome %+v, error %v (want a refusal)", out, err)
	}
	if _, serr := os.Stat(filepath.Join(outdir, "motd")); serr == nil {
		t.Error("the revoked agent applied its cached catalog")
	}
	t.Logf("refused: %v", err)
}
