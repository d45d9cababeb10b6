// Package engine applies a catalog to the machine.
//
// Apply builds every resource first (resources.Type.New validates without
// touching the system), then the dependency graph (refusing unknown
// references and cycles), and only then walks it, in Puppet's default
// order: a resource runs once everything it depends on is done; among
// resources ready at the same time, the one declared first runs first.
//
// Each resource is checked (read-only) and, if it differs and the run is
// not a no-op, changed with what the check found. A resource whose check,
// change or refresh fails is failed; everything that depends on it,
// directly or not, is skipped; everything else still runs. A resource that
// changed, or was refreshed, sends one event per change along its refresh
// edges (notify, subscribe, ~>); a resource with pending events that can
// be refreshed is refreshed after its own change. In a no-op run the same
// walk happens, but nothing is changed or refreshed: would-be changes are
// reported as out of sync and still send (no-op) events, so the report
// shows which refreshes would have happened.
//
// A sequential walk has the other cores check the next resources ahead of
// their turn until the run changes something (readahead.go), which makes a
// run that changes nothing faster without changing what it does or prints.
//
// With Options.Parallel above one, several resources are checked and
// changed at once, but lines are printed, and the report lists resources,
// in the order of the sequential run: the output does not depend on
// scheduling.
package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/report"
	"github.com/gapply/gapply/resources"
)

// Options control one run.
type Options struct {
	// Noop checks every resource and reports what would change, but never
	// calls Apply or Refresh.
	Noop bool
	// Parallel is the number of resources checked or changed at once;
	// 0 or 1 runs them one by one.
	Parallel int
	// Bucket receives the old content of replaced files.
	Bucket resources.Bucket
	// Log receives one line per change at Info level, failures at Error,
	// skips at Warn and details at Debug. Nil logs nothing.
	Log *log.Logger
	// ShowDiff logs the unified diff of content changes.
	ShowDiff bool
	// ModulePath is passed to resources (resources.Env.ModulePath).
	ModulePath []string
}

// Apply converges the machine to cat. An error before the walk (invalid
// parameters, a reference to a resource that is not in the catalog, a
// cycle) means nothing was touched and no report is returned. Failures of resources during the walk are in the
// report, not in the error; the error is non-nil after the walk only when
// ctx ended it early, and the report then marks the resources that never
// ran as skipped.
func Apply(ctx context.Context, cat *catalog.Catalog, opts Options) (*report.Report, error) {
	cat, err := catalog.ResolveDeferred(cat, nodeFunctions)
	if err != nil {
		return nil, err
	}
	impls, err := build(cat)
	if err != nil {
		return nil, err
	}
	g, err := NewGraph(cat)
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = discard()
	}
	// What resources remember of the machine (account ids) may be stale
	// since the last run, or since the last change of this one.
	resources.InvalidateCaches()
	start := time.Now()
	w := &walker{g: g, cat: cat, opts: opts, impls: impls, st: make([]state, len(g.nodes))}
	rep := &report.Report{
		Host:                 cat.Name,
		ConfigurationVersion: cat.Version,
		Environment:          cat.Environment,
		Time:                 start,
		Noop:                 opts.Noop,
		Resources:            make([]report.ResourceStatus, 0, len(g.nodes)),
	}
	var providerless []string // types without a provider, in run order
	w.walk(ctx, func(i int) {
		w.st[i].rec.replay(opts.Log)
		rep.Resources = append(rep.Resources, w.st[i].status)
		if t := w.st[i].noProvider; t != "" && !slices.Contains(providerless, t) {
			providerless = append(providerless, t)
		}
	})
	// Puppet names a type without a suitable provider once, after the
	// walk, rather than each of its resources (whose dependents already
	// say "Dependency Firewall[x] has failures").
	for _, t := range providerless {
		opts.Log.Error((&resources.NoProviderError{Type: t}).Error())
	}
	// New files are written without an fsync each; one sync of the
	// filesystems the run changed makes them durable before the run
	// counts as done (resources.SyncWrites).
	if !opts.Noop {
		if err := resources.SyncWrites(); err != nil {
			opts.Log.Error("Could not make this run's changes durable: " + err.Error())
			rep.Errors = append(rep.Errors, "could not make this run's changes durable: "+err.Error())
		}
	}
	rep.Metrics.Duration = time.Since(start)
	rep.Finish()
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("run interrupted: %w", err)
	}
	return rep, nil
}

// build constructs every resource of cat, reporting every one that cannot
// be built, before anything runs. A type without an implementation here
// is one the compiler knew from a module's Ruby code: its resources get
// resources.NoProvider and fail in their turn, as in Puppet.
func build(cat *catalog.Catalog) ([]resources.Resource, error) {
	impls := make([]resources.Resource, len(cat.Resources))
	var errs []error
	lookup := typeLookup{}
	for i, r := range cat.Resources {
		t, ok := lookup.get(r.Type)
		if !ok {
			// The compiler accepted the type (a module's Ruby type):
			// the resource fails in its turn, not the whole run.
			impls[i] = resources.NoProvider(r)
			continue
		}
		impl, err := t.New(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", location(r), r.Ref(), err))
			continue
		}
		impls[i] = impl
	}
	return impls, errors.Join(errs...)
}

// state is what the walk knows of one resource. The worker running the
// resource writes it; the walk loop reads it only after the worker is done.
type state struct {
	rec    record
	status report.ResourceStatus
	// events is how many events the resource sends along its refresh
	// edges; noopEvents says they are would-be events of a no-op.
	events     int
	noopEvents bool
	// noProvider is the type of a resource that failed because gapply
	// has no provider for it (resources.NoProviderError).
	noProvider string
	// Incoming events, counted by the walk loop before the resource starts.
	realIn, noopIn int
}

type walker struct {
	g     *Graph
	cat   *catalog.Catalog
	opts  Options
	impls []resources.Resource
	st    []state
	// ahead reads checks ahead in a sequential walk; nil otherwise.
	ahead *readAhead
}

// env is what a resource gets from the run, with slot's logger.
func (w *walker) env(slot *logSlot) *resources.Env {
	return &resources.Env{Bucket: w.opts.Bucket, Log: slot.logger, ModulePath: w.opts.ModulePath, Catalog: w.cat}
}

// walk runs every resource once its dependencies are done, up to
// opts.Parallel at a time, and calls done for each resource in the
// sequential order, as soon as it and all before it in that order are
// finished.
func (w *walker) walk(ctx context.Context, done func(int)) {
	par := max(w.opts.Parallel, 1)
	n := len(w.g.nodes)
	waiting := make([]int, n)
	ready := &minHeap{}
	for i, nd := range w.g.nodes {
		waiting[i] = len(nd.deps)
		if waiting[i] == 0 {
			ready.ints = append(ready.ints, i)
		}
	}
	// free holds the log slots of idle workers: one per possible worker.
	free := make([]*logSlot, min(par, n))
	for k := range free {
		free[k] = newLogSlot(w.opts.Log.GetLevel())
		defer free[k].close()
	}
	type job struct {
		i    int
		slot *logSlot
	}
	// A sequential walk runs each resource itself: handing every
	// resource to another goroutine and back cost a wake-up of an idle
	// thread per resource, a tenth of a no-op run of 10,000 files.
	// Otherwise long-lived workers, rather than a goroutine per resource,
	// keep their grown stacks: a fresh goroutine would grow its stack
	// again for every check.
	sequential := len(free) == 1
	if sequential {
		if w.ahead = startReadAhead(ctx, w); w.ahead != nil {
			defer w.ahead.stop()
		}
	}
	jobs := make(chan job, len(free))
	finishedCh := make(chan job, len(free))
	if !sequential {
		for range len(free) {
			go func() {
				for j := range jobs {
					w.run(ctx, j.i, j.slot)
					finishedCh <- j
				}
			}()
		}
	}
	defer close(jobs)
	finished := make([]bool, n)
	flushed := 0
	for count := 0; count < n; count++ {
		var i int
		if sequential {
			i = popMin(ready)
			w.run(ctx, i, free[0])
		} else {
			for ready.Len() > 0 && len(free) > 0 {
				jobs <- job{popMin(ready), free[len(free)-1]}
				free = free[:len(free)-1]
			}
			r := <-finishedCh
			i = r.i
			free = append(free, r.slot)
		}
		finished[i] = true
		w.sendEvents(i)
		for _, e := range w.g.nodes[i].out {
			if waiting[e.to]--; waiting[e.to] == 0 {
				pushInt(ready, e.to)
			}
		}
		for flushed < n && finished[w.g.order[flushed]] {
			done(w.g.order[flushed])
			flushed++
		}
	}
}

// sendEvents queues the events of finished resource i on the targets of
// its refresh edges.
func (w *walker) sendEvents(i int) {
	s := &w.st[i]
	if s.events == 0 {
		return
	}
	for _, e := range w.g.nodes[i].out {
		if !e.refresh {
			continue
		}
		t := &w.st[e.to]
		if s.noopEvents {
			t.noopIn += s.events
		} else {
			t.realIn += s.events
		}
		s.rec.log(log.DebugLevel, "%s: Scheduling refresh of %s", w.g.nodes[i].ref, w.g.nodes[e.to].ref)
	}
}

// run checks, changes and refreshes resource i, recording what happened.
func (w *walker) run(ctx context.Context, i int, slot *logSlot) {
	nd, s := w.g.nodes[i], &w.st[i]
	ref := nd.ref
	s.status = report.ResourceStatus{
		Ref: ref.String(), Type: nd.res.Type, Title: nd.res.Title, File: nd.res.File, Line: nd.res.Line,
	}
	if w.skip(i) {
		s.status.Skipped = true
		return
	}
	if ctx.Err() != nil {
		s.rec.log(log.WarnLevel, "%s: Skipping because the run was interrupted", ref)
		s.status.Skipped = true
		return
	}
	slot.attach(&s.rec)
	defer slot.attach(nil)
	// A bug in one resource type fails that resource, not the run: the
	// resources that do not depend on it still converge.
	defer func() {
		if p := recover(); p != nil {
			s.rec.log(log.ErrorLevel, "%s: Could not evaluate: panic: %v", ref, p)
			s.rec.log(log.DebugLevel, "%s", debug.Stack())
			s.status.Failed, s.status.Changed, s.status.Restarted = true, false, false
			s.events = 0
		}
	}()
	env := w.env(slot)
	impl := w.impls[i]
	noop := w.opts.Noop || isNoop(nd.res)

	changes, err := w.check(ctx, i, env)
	var np *resources.NoProviderError
	if errors.As(err, &np) {
		s.rec.log(log.DebugLevel, "%s: %v", ref, err)
		s.noProvider = np.Type
		s.status.Failed = true
		return
	}
	if err != nil {
		s.rec.log(log.ErrorLevel, "%s: Could not evaluate: %v", ref, err)
		s.status.Failed = true
		return
	}
	if len(changes) > 0 {
		s.status.OutOfSync = true
		if !w.change(ctx, i, env, impl, changes, noop) {
			return
		}
	}
	w.refresh(ctx, i, env, impl, noop)
}

// check returns what resource i's check finds: read ahead, or checked now.
func (w *walker) check(ctx context.Context, i int, env *resources.Env) ([]resources.Change, error) {
	if w.ahead != nil {
		if r := w.ahead.take(ctx, i); r != nil {
			w.st[i].rec.append(&r.rec)
			return r.changes, r.err
		}
	}
	return w.impls[i].Check(ctx, env)
}

// changing is called before the run changes or refreshes anything.
func (w *walker) changing() {
	if w.ahead != nil {
		w.ahead.changing()
	}
}

// skip reports whether a dependency of i failed or was skipped, logging
// it the way Puppet does.
func (w *walker) skip(i int) bool {
	nd, s := w.g.nodes[i], &w.st[i]
	skip := false
	for _, d := range nd.deps {
		ds := w.st[d].status
		if ds.Failed {
			s.rec.log(log.InfoLevel, "%s: Dependency %s has failures: true", nd.ref, w.g.nodes[d].ref)
		}
		skip = skip || ds.Failed || ds.Skipped
	}
	if skip {
		s.rec.log(log.WarnLevel, "%s: Skipping because of failed dependencies", nd.ref)
	}
	return skip
}

// change applies (or in noop only reports) the changes of resource i and
// reports whether the resource is still good.
func (w *walker) change(ctx context.Context, i int, env *resources.Env, impl resources.Resource, changes []resources.Change, noop bool) bool {
	ref, s := w.g.nodes[i].ref, &w.st[i]
	// What is printed and reported hides sensitive values; Apply gets
	// the changes as they are.
	shown := redact(w.g.nodes[i].res, changes)
	logDiffs := func() {
		for _, c := range shown {
			if w.opts.ShowDiff && c.Diff != "" {
				s.rec.log(log.InfoLevel, "%s/%s:\n%s", changeRef(ref, c), c.Property, strings.TrimSuffix(c.Diff, "\n"))
			}
		}
	}
	event := func(c resources.Change, status, msg string) {
		s.status.Events = append(s.status.Events, report.Event{
			Property: c.Property, PreviousValue: c.From, DesiredValue: c.To, Message: msg, Status: status,
		})
	}
	if noop {
		logDiffs()
		for _, c := range shown {
			msg := fmt.Sprintf("current_value %s, should be %s (noop)", puppetValue(c.From), puppetValue(c.To))
			s.rec.log(log.InfoLevel, "%s/%s: %s", changeRef(ref, c), c.Property, msg)
			event(c, report.EventNoop, msg)
		}
		s.events, s.noopEvents = len(changes), true
		return true
	}
	w.changing()
	err := impl.Apply(ctx, env, changes)
	resources.NoteChange()
	if err != nil {
		// The interface applies all changes at once, so the error
		// cannot be pinned on one property: it is logged against the
		// first, as Puppet stops at its first failing property.
		for k, c := range shown {
			msg := fmt.Sprintf("change from %s to %s failed: %v", puppetValue(c.From), puppetValue(c.To), err)
			if k == 0 {
				s.rec.log(log.ErrorLevel, "%s/%s: %s", changeRef(ref, c), c.Property, msg)
			}
			event(c, report.EventFailure, msg)
		}
		s.status.Failed = true
		return false
	}
	logDiffs()
	for _, c := range shown {
		msg := c.Message
		if msg == "" {
			msg = fmt.Sprintf("changed %s to %s", puppetValue(c.From), puppetValue(c.To))
		}
		s.rec.log(log.InfoLevel, "%s/%s: %s", changeRef(ref, c), c.Property, msg)
		event(c, report.EventSuccess, msg)
	}
	s.status.Changed = true
	s.events = len(changes)
	return true
}

// refresh handles the events pending on resource i once its own changes
// are done. Events that are all would-be events of a no-op, like any event
// on a no-op resource, only say what would have been triggered.
func (w *walker) refresh(ctx context.Context, i int, env *resources.Env, impl resources.Resource, noop bool) {
	ref, s := w.g.nodes[i].ref, &w.st[i]
	total := s.realIn + s.noopIn
	if total == 0 {
		return
	}
	r, ok := impl.(resources.Refresher)
	if !ok {
		s.rec.log(log.DebugLevel, "%s: ignoring %s: the type does not refresh", ref, plural(total, "event"))
		return
	}
	if noop || s.realIn == 0 {
		s.rec.log(log.InfoLevel, "%s: Would have triggered 'refresh' from %s", ref, plural(total, "event"))
		if s.events == 0 {
			s.noopEvents = true
		}
		s.events++
		return
	}
	w.changing()
	err := r.Refresh(ctx, env)
	resources.NoteChange()
	if err != nil {
		s.rec.log(log.ErrorLevel, "%s: Failed to call refresh: %v", ref, err)
		s.status.Failed, s.status.Changed = true, false
		s.events = 0
		return
	}
	s.rec.log(log.InfoLevel, "%s: Triggered 'refresh' from %s", ref, plural(total, "event"))
	s.status.Restarted = true
	s.events++
}

// changeRef names the resource a change is printed against: the resource
// itself, or the one generated from it that the change belongs to.
func changeRef(ref catalog.Ref, c resources.Change) string {
	if c.Resource != "" {
		return c.Resource
	}
	return ref.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// isNoop reads the noop metaparameter, which a catalog may carry as a
// boolean or, from a less careful producer, as the string "true".
func isNoop(r *catalog.Resource) bool {
	switch v := r.Parameters["noop"].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// puppetValue prints a Change value as Puppet does: quoted, unless it is
// already in Puppet's list form (exec's returns: ['0']), see
// resources.Change.
func puppetValue(v string) string {
	if v == redactedValue {
		return v
	}
	if strings.HasPrefix(v, "['") && strings.HasSuffix(v, "']") {
		return v
	}
	return "'" + v + "'"
}
