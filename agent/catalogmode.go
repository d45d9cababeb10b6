package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/engine"
	"github.com/gapply/gapply/report"
	"github.com/gapply/gapply/server/client"
)

// A run in catalog mode (Config.Server set) keeps everything of a git-mode
// run but where the catalog comes from: the same run lock, timeout, facts,
// report history, last-run summary, Prometheus metrics and exit codes. The
// node's certificate is made and signed on its first run (Bootstrap: key,
// request, waiting for `gapply ca sign`), then every run posts the facts
// to the master, applies the catalog it answers with and sends it the
// report.
//
// When the master cannot be reached or fails to compile, the run applies
// the catalog of the last run that got one (usecacheonfailure, as Puppet
// does), and that is never silent: the report carries a Fallback (the
// error, and since when the master has been failing), which the summary
// line, last_run_summary.yaml, `gapply report` and the gapply_fallback
// metric show. A refusal (a 4xx answer, a certificate rejected in the TLS
// handshake) applies nothing: a revoked node must notice.

// checkCatalogMode validates the catalog-mode settings (part of
// CheckConfig).
func (c *Config) checkCatalogMode() []config.Problem {
	var ps []config.Problem
	add := func(setting, summary, detail string) {
		ps = append(ps, config.Problem{Setting: setting, Summary: summary, Detail: detail})
	}
	for _, h := range []struct{ name, v string }{{"server", c.Server}, {"ca_server", c.CAServer}} {
		if net.ParseIP(h.v) == nil && strings.ContainsAny(h.v, ":/[] ") {
			add(h.name, "Invalid host name", fmt.Sprintf("%q: write the host name or address alone; the port is masterport (or ca_port).", h.v))
		}
	}
	if c.MasterPort < 1 || c.MasterPort > 65535 {
		add("masterport", "masterport must be a port number (1-65535)", "")
	}
	if c.CAPort < 0 || c.CAPort > 65535 {
		add("ca_port", "ca_port must be a port number (1-65535), or 0 for masterport", "")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"waitforcert", c.WaitForCert}, {"maxwaitforcert", c.MaxWaitForCert}} {
		if d.v < 0 {
			add(d.name, "Negative duration", "")
		}
	}
	return ps
}

// clientConfig is the catalog-mode client's configuration for certname.
func (c *Config) clientConfig(r *run, certname string) client.Config {
	cc := client.Config{
		Certname: certname, Environment: r.env, SSLDir: c.SSLDir,
		Server: c.Server, Port: c.MasterPort, CAServer: c.CAServer, CAPort: c.CAPort,
		PollInterval: c.WaitForCert, Log: r.log,
	}
	// Puppet's waitforcert is the interval between asks; 0 means do not
	// wait. How long in all is maxwaitforcert, bounded by the run's
	// timeout.
	switch {
	case c.WaitForCert == 0:
		cc.WaitForCert = 0
	case c.MaxWaitForCert > 0:
		cc.WaitForCert = c.MaxWaitForCert
	default:
		cc.WaitForCert = c.RunTimeout
	}
	return cc
}

// catalogRun does the part of a run that follows the facts in catalog mode.
func (r *run) catalogRun(ctx context.Context, state *runState, start time.Time) (*Outcome, error) {
	certname := r.cfg.Certname
	if certname == "" {
		certname = fqdn(r.facts)
	}
	// Failures before anything is applied are recorded as the git mode's
	// are: a failed report, and the failure streak a later cached run
	// reports as its start.
	refuse := func(err error) (*Outcome, error) {
		if err == nil {
			err = errors.New("the run applied nothing and gave no reason") // never expected
		}
		state.failing(r.env, "", err.Error(), start)
		rep := r.failed(start, "", err)
		rep.Host = certname
		return r.finish(state, rep, nil)
	}
	c, err := client.New(r.cfg.clientConfig(r, certname))
	if err != nil {
		return refuse(err)
	}
	if err := c.Bootstrap(ctx); err != nil {
		return refuse(err)
	}
	var outcome *Outcome
	var finishErr error
	_, err = c.Run(ctx, client.RunOptions{
		VarDir:           r.cfg.Vardir,
		Facts:            r.facts,
		UseCachedCatalog: r.cfg.UseCacheOnFailure,
		Engine: engine.Options{
			Noop:     r.opts.Noop || r.cfg.Noop,
			Parallel: r.cfg.Parallel,
			Log:      r.log,
			ShowDiff: r.opts.ShowDiff,
		},
		Record: func(out *client.Outcome) error {
			rep := out.Report
			rep.Commit = rep.ConfigurationVersion // the master's commit
			var fallback *report.Fallback
			if out.Cached {
				// The client has logged it; finish warns of the stale run.
				fallback = state.failing(r.env, "", "no catalog from the master, applied the cached one: "+out.CatalogError.Error(), start)
			} else {
				state.Failure = nil
			}
			outcome, finishErr = r.finish(state, rep, fallback)
			return finishErr
		},
	})
	if outcome == nil {
		// Nothing was applied: refused, no catalog and no cache, files
		// that could not be fetched, or a catalog the engine refused.
		return refuse(err)
	}
	if err != nil && finishErr == nil {
		// The apply itself was cut short (interrupted); the report,
		// already saved, has what was done.
		r.log.Error("run ended early", "err", err)
	}
	return outcome, finishErr
}

// fqdn is the node's certname by default, as in Puppet: the fqdn fact.
func fqdn(facts map[string]any) string {
	if n, ok := facts["networking"].(map[string]any); ok {
		if s, ok := n["fqdn"].(string); ok && s != "" {
			return s
		}
	}
	s, _ := facts["fqdn"].(string)
	return s
}

// Summary is the line that ends a run: the report's summary and, when the
// run applied something older than wanted (the last good commit, a cached
// catalog), since when and why, so that a stale run never reads as a good
// one. It is "" for a skipped run.
func (o *Outcome) Summary() string {
	if o.Report == nil {
		return ""
	}
	s := o.Report.Summary()
	if f := o.Report.Fallback; f != nil {
		first, _, _ := strings.Cut(f.Error, "\n")
		s += fmt.Sprintf("; STALE: ran %s, failing since %s: %s", orUnknown(short(o.Report.Commit)), f.Since.UTC().Format(time.RFC3339), first)
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown version)"
	}
	return s
}
