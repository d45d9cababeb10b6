package agent

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/internal/syncbuf"
)

// waitFor polls cond for up to a minute: a guard against hangs on a loaded
// machine, not a statement about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemonReloadsConfig is SIGHUP's path: a configuration that does not
// load is refused and the old one kept; one that loads replaces it, and its
// schedule takes effect at once.
func TestDaemonReloadsConfig(t *testing.T) {
	rig := newRepoRig(t)
	rig.commit(rig.manifest("v1"))
	logs := &syncbuf.Buffer{}
	rig.agent.Log = log.NewWithOptions(logs, log.Options{Level: log.InfoLevel})
	rig.agent.Config.Schedule = "@yearly" // no scheduled run during the test
	rig.agent.Config.Splay = 0

	reload := make(chan struct{})
	next := make(chan func() (*Config, error), 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- rig.agent.Daemon(ctx, DaemonOptions{
			Reload:     reload,
			LoadConfig: func() (*Config, error) { return (<-next)() },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Daemon: %v", err)
		}
	})
	waitFor(t, "the daemon to start", func() bool { return strings.Contains(logs.String(), "agent started") })

	// A broken configuration: logged, the old one kept, nothing runs.
	next <- func() (*Config, error) { return nil, errors.New("gapply.hcl:3,1: unsupported argument") }
	reload <- struct{}{}
	waitFor(t, "the refused reload to be logged", func() bool {
		return strings.Contains(logs.String(), "configuration not reloaded; keeping the old one")
	})
	if rig.agent.Config.Schedule != "@yearly" {
		t.Errorf("schedule after a refused reload = %q, want the old @yearly", rig.agent.Config.Schedule)
	}
	if got := rig.out(); got != "" {
		t.Fatalf("something ran before any run was due: %q", got)
	}

	// A good configuration with a schedule that is due every second.
	cfg := *rig.agent.Config
	cfg.Schedule = "@every 1s"
	next <- func() (*Config, error) { return &cfg, nil }
	reload <- struct{}{}
	waitFor(t, "the reload to be logged", func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	waitFor(t, "a run on the reloaded schedule", func() bool { return rig.out() == "v1 web\n" })
}
