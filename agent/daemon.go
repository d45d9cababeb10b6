package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// TriggerAddressFile, under Vardir, holds the address the trigger listener
// is bound to (useful with port 0, and for checking which port a node uses).
const TriggerAddressFile = "trigger.addr"

// DaemonOptions connect the daemon to its process.
type DaemonOptions struct {
	// Reload receives a value when the configuration must be read again
	// (SIGHUP); LoadConfig reads it. A configuration that does not load
	// is logged and the old one kept.
	Reload     <-chan struct{}
	LoadConfig func() (*Config, error)
}

// Daemon runs the agent until ctx ends: on the schedule, each run delayed
// by a random splay, and whenever a trigger arrives. Runs never overlap:
// they happen one at a time here, and the run lock keeps out runs of other
// processes (a skipped run is logged). Triggers that arrive during a run are
// coalesced into one run after it. When ctx ends during a run, the run stops
// after the resource in progress and writes its report.
func (a *Agent) Daemon(ctx context.Context, opts DaemonOptions) error {
	logger := a.Log
	sched, err := scheduleParser.Parse(a.Config.Schedule)
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	pending := make(chan string, 1)
	var running atomic.Bool
	schedule := func(reason string) {
		select {
		case pending <- reason:
		default: // a run is already pending
		}
	}
	lst := &listener{}
	if err := lst.start(a.Config, schedule, running.Load); err != nil {
		return err
	}
	defer lst.stop()

	next := func() time.Time {
		at := sched.Next(time.Now())
		if s := a.Config.Splay; s > 0 {
			at = at.Add(rand.N(s))
		}
		logger.Debug("next scheduled run", "at", at.Format(time.RFC3339))
		return at
	}
	at := next()
	timer := time.NewTimer(time.Until(at))
	defer timer.Stop()
	logger.Info("agent started", "environment", a.Config.Environment, "schedule", a.Config.Schedule, "splay", a.Config.Splay)
	for {
		var reason string
		select {
		case <-ctx.Done():
			logger.Info("agent stopping")
			return nil
		case <-timer.C:
			reason = "schedule"
			at = next()
			timer.Reset(time.Until(at))
		case reason = <-pending:
		case <-opts.Reload:
			cfg, err := opts.LoadConfig()
			if err != nil {
				logger.Error("configuration not reloaded; keeping the old one", "err", err)
				continue
			}
			s, err := scheduleParser.Parse(cfg.Schedule)
			if err != nil { // CheckConfig already refused it; be safe
				logger.Error("configuration not reloaded", "err", err)
				continue
			}
			if cfg.Trigger != a.Config.Trigger || cfg.Vardir != a.Config.Vardir {
				lst.stop()
				if err := lst.start(cfg, schedule, running.Load); err != nil {
					logger.Error("trigger listener not restarted", "err", err)
				}
			}
			a.Config, sched = cfg, s
			at = next()
			timer.Reset(time.Until(at))
			logger.Info("configuration reloaded")
			continue
		}
		running.Store(true)
		out, err := a.Run(ctx, RunOptions{Reason: reason})
		running.Store(false)
		switch {
		case errors.Is(err, ErrBusy):
		case err != nil:
			logger.Error("run failed", "err", err)
		case out.Report != nil:
			logger.Info(out.Summary(), "commit", short(out.Commit), "status", out.Report.Status)
		}
	}
}

// listener is the daemon's trigger listener, restarted on reload when its
// settings change.
type listener struct {
	srv  *http.Server
	done chan struct{}
}

func (l *listener) start(cfg *Config, schedule func(string), running func() bool) error {
	t := cfg.Trigger
	if t.Listen == "" {
		return nil
	}
	secret, err := os.ReadFile(t.SecretFile)
	if err != nil {
		return fmt.Errorf("trigger secret: %w", err)
	}
	secret = []byte(strings.TrimSpace(string(secret)))
	if len(secret) < 16 {
		return fmt.Errorf("trigger secret in %s is shorter than 16 bytes", t.SecretFile)
	}
	ln, err := net.Listen("tcp", t.Listen)
	if err != nil {
		return fmt.Errorf("trigger listener: %w", err)
	}
	addrFile := filepath.Join(cfg.Vardir, TriggerAddressFile)
	if err := os.MkdirAll(cfg.Vardir, 0o700); err != nil {
		ln.Close()
		return fmt.Errorf("trigger listener: %w", err)
	}
	if err := os.WriteFile(addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return fmt.Errorf("trigger listener: %w", err)
	}
	l.srv = &http.Server{
		Handler: &TriggerServer{
			Secret: secret, Window: t.ReplayWindow, RateLimit: t.RateLimit,
			Environment: cfg.Environment, StateDir: cfg.stateDir(),
			Schedule: schedule, Running: running,
		},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		l.srv.Serve(ln) //nolint:errcheck // ErrServerClosed on stop
	}()
	return nil
}

func (l *listener) stop() {
	if l.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.srv.Shutdown(ctx) //nolint:errcheck // closing anyway
	<-l.done
	l.srv = nil
}
