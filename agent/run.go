// Package agent is gapply's git-distributed agent: one run (sync the
// manifest repository, gather facts, compile, apply, report), the daemon
// that runs it on a cron schedule and on triggers, the trigger listener, and
// the post-receive hook that fans a push out to the nodes. With Config.Server
// set, a run gets its catalog from a master instead (catalog mode, see
// catalogmode.go), with the same lock, reports, metrics and daemon.
//
// A run never applies a commit that failed to fetch, verify or compile: the
// compile happens before the commit becomes current (gitsync.Syncer.Accept),
// and the run then applies the current commit, the newest good one. When
// that is not the branch head, the report, the summary and the metrics say
// so (report.Fallback), with the refused commit and since when the node has
// been failing, so that a stale node is never silent.
package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/gofrs/flock"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler"
	"github.com/gapply/gapply/engine"
	"github.com/gapply/gapply/facts"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/report"
	"github.com/gapply/gapply/resources/filebucket"
)

type flagSet = *pflag.FlagSet

// ErrBusy means another run (cron, triggered or manual, in this process or
// another) holds the run lock; the run was skipped.
var ErrBusy = errors.New("another gapply agent run is in progress")

// Agent runs the configuration it holds. Its zero Log discards output.
type Agent struct {
	Config *Config
	Log    *log.Logger
}

// RunOptions change one run.
type RunOptions struct {
	// Environment, when not empty, overrides Config.Environment for this
	// run only (`--environment feature_x` tries a branch once).
	Environment string
	// OnlyIfChanged skips the apply when the commit and the facts are the
	// same as in the last successful run (or Config.OnlyIfChanged).
	OnlyIfChanged bool
	// Noop checks only (or Config.Noop).
	Noop bool
	// ShowDiff logs unified diffs of content changes.
	ShowDiff bool
	// Reason is logged at the start of the run ("schedule", "trigger").
	Reason string
}

// Outcome is what a run did. Report is nil when the run was skipped.
type Outcome struct {
	Report *report.Report
	// Skipped says why nothing was applied: "" (it was), "unchanged"
	// (only-if-changed found nothing new).
	Skipped string
	// Commit is the commit the run applied (or would have).
	Commit string
}

// Run does one run: lock, facts, sync with compile-before-switch, apply the
// current commit, report. It returns ErrBusy (wrapped) when another run
// holds the lock. Failures of the run itself (fetch, verify, compile) are
// in the report, which is saved, not in the error: the error is for runs
// that could not even record what happened.
func (a *Agent) Run(ctx context.Context, opts RunOptions) (*Outcome, error) {
	cfg := a.Config
	logger := a.Log
	if logger == nil {
		logger = log.New(discard{})
	}
	if err := os.MkdirAll(cfg.Vardir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock := flock.New(cfg.lockFile())
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("run lock: %w", err)
	}
	if !ok {
		logger.Warn("another run holds the lock; skipping this one", "lock", cfg.lockFile())
		return nil, fmt.Errorf("%w (lock %s)", ErrBusy, cfg.lockFile())
	}
	defer lock.Unlock() //nolint:errcheck // closing the descriptor releases it anyway

	ctx, cancel := context.WithTimeout(ctx, cfg.RunTimeout)
	defer cancel()
	r := &run{cfg: cfg, log: logger, opts: opts, env: cfg.Environment}
	if opts.Environment != "" {
		r.env = opts.Environment
	}
	if reason := opts.Reason; reason != "" {
		logger.Info("starting run", "reason", reason, "environment", r.env)
	}
	return r.do(ctx)
}

// run is the state of one run.
type run struct {
	cfg    *Config
	log    *log.Logger
	opts   RunOptions
	env    string
	facts  map[string]any
	digest string
	errors []string
}

func (r *run) do(ctx context.Context) (*Outcome, error) {
	state := loadState(r.cfg.stateDir())
	start := time.Now()
	var err error
	r.facts, err = facts.Gather(facts.Options{ExternalDirs: r.cfg.ExternalFacts})
	if err != nil {
		return r.finish(state, r.failed(start, "", fmt.Errorf("gathering facts: %w", err)), nil)
	}
	r.digest = factsDigest(r.facts)
	if r.cfg.Server != "" {
		return r.catalogRun(ctx, state, start)
	}

	// Sync; the new commit is compiled before it may become current.
	var cat *catalog.Catalog
	syncer := &gitsync.Syncer{Dir: r.cfg.gitDir(r.env), Keep: r.cfg.Repository.Keep,
		Accept: func(commit, tree string) error {
			var err error
			cat, err = r.compile(commit, tree)
			return err
		}}
	src, err := r.cfg.source(r.env)
	var res gitsync.Result
	if err == nil {
		res, err = syncer.Sync(ctx, src)
	}
	var fallback *report.Fallback
	if err != nil {
		r.log.Error("sync failed; staying on the last good commit", "err", err)
		msg := describe(err)
		r.errors = append(r.errors, msg)
		cat = nil // compiled, but not current: never applied
		fallback = state.failing(r.env, failedCommit(err), msg, start)
	} else {
		state.Failure = nil
	}
	commit, tree, cerr := syncer.Current()
	if cerr != nil {
		// Nothing good was ever synced: there is nothing to apply.
		return r.finish(state, r.failed(start, "", nil), fallback)
	}
	if err == nil {
		commit, tree = res.Commit, res.Tree
		if res.Changed {
			r.log.Info("synced", "commit", commit, "previous", res.Previous, "url", res.URL)
		}
	}
	if ctx.Err() != nil {
		return r.finish(state, r.failed(start, commit, fmt.Errorf("run interrupted: %w", context.Cause(ctx))), fallback)
	}

	onlyIfChanged := r.opts.OnlyIfChanged || r.cfg.OnlyIfChanged
	if onlyIfChanged && fallback == nil && state.Success.Environment == r.env &&
		state.Success.Commit == commit && state.Success.FactsDigest == r.digest {
		r.log.Info("commit and facts unchanged since the last successful run; not applying",
			"commit", commit, "last_success", state.Success.Time.Format(time.RFC3339))
		return &Outcome{Skipped: "unchanged", Commit: commit}, nil
	}
	if cat == nil {
		// The commit was accepted by an earlier run; compile it again with
		// today's facts.
		if cat, err = r.compile(commit, tree); err != nil {
			err = fmt.Errorf("commit %s: %w", short(commit), err)
			r.errors = append(r.errors, err.Error())
			r.log.Error(err.Error())
			return r.finish(state, r.failed(start, commit, nil), fallback)
		}
	}

	rep, err := engine.Apply(ctx, cat, engine.Options{
		Noop:       r.opts.Noop || r.cfg.Noop,
		Parallel:   r.cfg.Parallel,
		Bucket:     filebucket.New(r.cfg.bucketDir()),
		Log:        r.log,
		ShowDiff:   r.opts.ShowDiff,
		ModulePath: r.modulePath(tree),
	})
	if rep == nil {
		// Refused before touching anything (a cycle, an unknown type).
		return r.finish(state, r.failed(start, commit, err), fallback)
	}
	if err != nil {
		r.errors = append(r.errors, err.Error())
	}
	rep.Commit = commit
	return r.finish(state, rep, fallback)
}

// failed builds the report of a run that applied nothing.
func (r *run) failed(start time.Time, commit string, err error) *report.Report {
	if err != nil {
		r.errors = append(r.errors, err.Error())
		r.log.Error(err.Error())
	}
	host, _ := r.facts["fqdn"].(string)
	if r.cfg.Certname != "" {
		host = r.cfg.Certname
	}
	return &report.Report{Host: host, ConfigurationVersion: commit, Environment: r.env, Time: start,
		Noop: r.opts.Noop || r.cfg.Noop, Resources: []report.ResourceStatus{}, Commit: commit}
}

// finish completes the report with the run's errors and fallback, saves it
// (last report, summary, history, metrics) and the agent's state.
func (r *run) finish(state *runState, rep *report.Report, fallback *report.Fallback) (*Outcome, error) {
	rep.FactsDigest = r.digest
	rep.Errors = append(rep.Errors, r.errors...)
	rep.Fallback = fallback
	rep.Finish()
	if rep.Status != report.StatusFailed && rep.Commit != "" {
		state.Success = success{Environment: r.env, Commit: rep.Commit, FactsDigest: r.digest, Time: rep.Time}
	}
	dir := r.cfg.stateDir()
	var errs []error
	if err := rep.SaveAndArchive(dir, r.cfg.Report.Keep); err != nil {
		errs = append(errs, err)
	}
	if p := r.cfg.Report.PrometheusFile; p != "" {
		if err := rep.WritePrometheus(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := state.save(dir); err != nil {
		errs = append(errs, err)
	}
	if fallback != nil {
		r.log.Warn("running a stale commit", "commit", rep.Commit, "failed_commit", fallback.FailedCommit,
			"failing_since", fallback.Since.Format(time.RFC3339))
	}
	return &Outcome{Report: rep, Commit: rep.Commit}, errors.Join(errs...)
}

// compile compiles the manifest of the tree of commit. The catalog version
// is the commit id, so that every node reports which commit it runs.
func (r *run) compile(commit, tree string) (*catalog.Catalog, error) {
	manifest := filepath.Join(tree, r.cfg.Manifest)
	srcs, err := compiler.ReadSources([]string{manifest}, "")
	if err != nil {
		return nil, err
	}
	cat, diags := compiler.CompileSources(srcs, compiler.Options{
		Node:        r.cfg.Certname,
		Environment: r.env,
		Facts:       r.facts,
		ModulePath:  r.modulePath(tree),
		Settings:    compiler.ManifestSettings(manifest),
		Version:     commit,
		Log:         r.log,
	})
	if diags.HasErrors() {
		return nil, &CompileError{Commit: commit, Text: diagnosticsText(diags, srcs.Files, tree)}
	}
	return cat, nil
}

func (r *run) modulePath(tree string) []string {
	var dirs []string
	for _, d := range filepath.SplitList(r.cfg.Modulepath) {
		if !filepath.IsAbs(d) {
			d = filepath.Join(tree, d)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// CompileError is a commit whose manifest does not compile; Text holds the
// diagnostics with their source lines, file names relative to the
// repository.
type CompileError struct {
	Commit string
	Text   string
}

func (e *CompileError) Error() string {
	return "the manifest does not compile:\n" + strings.TrimRight(e.Text, "\n")
}

// diagnosticsText renders diagnostics with HCL's writer (which prints a
// snippet for any source) with file names made relative to the tree.
func diagnosticsText(diags hcl.Diagnostics, sources map[string][]byte, tree string) string {
	files := map[string]*hcl.File{}
	rel := func(name string) string {
		if r, err := filepath.Rel(tree, name); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return name
	}
	for name, src := range sources {
		files[rel(name)] = &hcl.File{Bytes: src}
	}
	var out hcl.Diagnostics
	for _, d := range diags {
		c := *d
		if c.Subject != nil {
			s := *c.Subject
			s.Filename = rel(s.Filename)
			c.Subject = &s
		}
		if c.Context != nil {
			s := *c.Context
			s.Filename = rel(s.Filename)
			c.Context = &s
		}
		out = append(out, &c)
	}
	var b strings.Builder
	w := hcl.NewDiagnosticTextWriter(&b, files, 0, false)
	w.WriteDiagnostics(out) //nolint:errcheck // a strings.Builder does not fail
	return b.String()
}

// describe words a sync error for reports and the trigger status: the step,
// the commit and the cause, without the URL (logged) that makes the line
// too long to read in a table.
func describe(err error) string {
	var se *gitsync.SyncError
	if !errors.As(err, &se) {
		return err.Error()
	}
	what := se.Op
	if se.Commit != "" {
		what += " of commit " + short(se.Commit)
	}
	return fmt.Sprintf("%s failed: %v", what, se.Err)
}

// failedCommit is the commit a sync error refers to, "" when the fetch
// failed before the head was known.
func failedCommit(err error) string {
	var se *gitsync.SyncError
	if errors.As(err, &se) {
		return se.Commit
	}
	return ""
}

// volatileFacts change by themselves between runs (Facter's names); the
// facts digest leaves them out, or only-if-changed would never skip. A
// manifest that reads them is therefore not re-applied just because the
// machine has been up longer or uses more memory.
var volatileFacts = []string{
	"system_uptime", "uptime", "uptime_seconds", "uptime_hours", "uptime_days",
	"memoryfree", "memoryfree_mb", "swapfree", "swapfree_mb", "load_averages",
}

// factsDigest identifies the facts: a SHA-256 of their JSON form (object
// keys sorted), so the same facts give the same digest on every run. Of
// the memory facts only the totals count.
func factsDigest(all map[string]any) string {
	f := make(map[string]any, len(all))
	for k, v := range all {
		f[k] = v
	}
	for _, k := range volatileFacts {
		delete(f, k)
	}
	if mem, ok := f["memory"].(map[string]any); ok {
		totals := map[string]any{}
		for kind, v := range mem {
			if m, ok := v.(map[string]any); ok {
				totals[kind] = map[string]any{"total": m["total"], "total_bytes": m["total_bytes"]}
			}
		}
		f["memory"] = totals
	}
	data, err := json.Marshal(f)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
