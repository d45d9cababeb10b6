package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gapply/gapply/resources"
)

// Read-ahead of checks. A sequential walk of a run that changes nothing
// spends its time in Check (an lstat and a read per file), one resource
// after the other on one core. As long as the run has changed nothing, a
// check made before its turn finds what it would find in its turn, so
// helpers, one per other core (at most maxReadAhead), check the resources
// that come next in the sequential order, and the walk takes their
// results; when the one it needs is still being checked, the walk checks
// later ones meanwhile. The first change or refresh of the run stops the
// helpers and voids every result not taken yet: from then on each
// resource is checked in its turn, as Puppet does. Only resources whose
// check reads without starting a process are read ahead
// (resources.Prechecker), and lines they log are replayed in their turn,
// so the output is that of a plain sequential run.

// maxReadAhead bounds the helpers: a no-op walk is bound by the kernel's
// path lookups, which stop scaling after a few cores.
const maxReadAhead = 3

type readAhead struct {
	w      *walker
	order  []int         // the walk's sequential order
	cursor atomic.Int64  // next position in order that a checker may claim
	dirty  atomic.Bool   // the run changed something: results are void
	slots  []aheadResult // by node index; nil entries are not read ahead
	// own is the log slot of the walk's own checks ahead of its turn.
	own     *logSlot
	helpers sync.WaitGroup
}

// aheadResult is the check of one resource made ahead of its turn.
type aheadResult struct {
	claimed atomic.Bool
	done    chan struct{} // closed when the check ended
	ok      bool          // the check returned (did not panic)
	changes []resources.Change
	err     error
	rec     record
}

// startReadAhead starts the helpers of a sequential walk, or returns nil
// when there is a single core or nothing to read ahead.
func startReadAhead(ctx context.Context, w *walker) *readAhead {
	helpers := min(runtime.GOMAXPROCS(0)-1, maxReadAhead)
	if helpers < 1 || len(w.g.order) < 2 {
		return nil
	}
	ra := &readAhead{w: w, order: w.g.order, slots: make([]aheadResult, len(w.impls))}
	for i, impl := range w.impls {
		if p, ok := impl.(resources.Prechecker); ok && p.Precheckable() {
			ra.slots[i].done = make(chan struct{})
		}
	}
	level := w.opts.Log.GetLevel()
	ra.own = newLogSlot(level)
	for range helpers {
		slot := newLogSlot(level)
		ra.helpers.Add(1)
		go func() {
			defer ra.helpers.Done()
			defer slot.close()
			for ra.checkNext(ctx, slot) {
			}
		}()
	}
	return ra
}

// stop voids every result and waits for the helpers to return.
func (ra *readAhead) stop() {
	ra.dirty.Store(true)
	ra.helpers.Wait()
	ra.own.close()
}

// changing is called before the run changes or refreshes anything.
func (ra *readAhead) changing() { ra.dirty.Store(true) }

// checkNext claims the next resource of the order that nobody claimed and
// checks it; false when there is nothing left to read ahead.
func (ra *readAhead) checkNext(ctx context.Context, slot *logSlot) bool {
	for !ra.dirty.Load() && ctx.Err() == nil {
		p := ra.cursor.Add(1) - 1
		if p >= int64(len(ra.order)) {
			return false
		}
		i := ra.order[p]
		r := &ra.slots[i]
		if r.done == nil || !r.claimed.CompareAndSwap(false, true) {
			continue
		}
		ra.check(ctx, i, r, slot)
		return true
	}
	return false
}

func (ra *readAhead) check(ctx context.Context, i int, r *aheadResult, slot *logSlot) {
	defer close(r.done)
	// A panic is left for the walk's own check to meet and report.
	defer func() { _ = recover() }()
	slot.attach(&r.rec)
	defer slot.attach(nil)
	r.changes, r.err = ra.w.impls[i].Check(ctx, ra.w.env(slot))
	r.ok = true
}

// take returns the check of resource i made ahead of its turn, waiting
// for it if a helper is on it, or nil when the walk must check i itself.
func (ra *readAhead) take(ctx context.Context, i int) *aheadResult {
	r := &ra.slots[i]
	if r.done == nil || r.claimed.CompareAndSwap(false, true) {
		return nil
	}
	for {
		select {
		case <-r.done:
		default:
			if ra.checkNext(ctx, ra.own) {
				continue
			}
			<-r.done
		}
		break
	}
	if !r.ok || ra.dirty.Load() {
		return nil
	}
	return r
}
