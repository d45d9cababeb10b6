package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/resources"
)

// Test-only resource types, small real implementations of the resource
// interface. Their names are unique to these tests so that they never
// collide with the real types registered by package resources.
//
// Enginetest[title] manages the content of the file named by its "path"
// parameter (none: always in sync) and appends what it does ("check T",
// "apply T", "refresh T") to the file named by "journal". "fail" makes
// "check", "apply", "refresh" or "new" fail ("panic" panics in the check); "delay" (milliseconds) slows
// its check so that parallel runs finish out of order; "say" is logged
// through the Env's logger during the check; "ahead" (true) lets the engine
// check it ahead of its turn (resources.Prechecker). Enginetestplain is the
// same without the ability to refresh.
const (
	testType      = "Enginetest"
	testPlainType = "Enginetestplain"
)

func init() {
	params := []resources.Param{{Name: "path"}, {Name: "content"}, {Name: "journal"},
		{Name: "fail"}, {Name: "delay"}, {Name: "say"}, {Name: "ahead"}}
	resources.Register(&resources.Type{Name: "enginetest", Params: params, New: newTestResource(true)})
	resources.Register(&resources.Type{Name: "enginetestplain", Params: params, New: newTestResource(false)})
}

type testResource struct {
	title, path, content, journal, fail, say string
	delay                                    time.Duration
	ahead                                    bool
}

type refreshingTestResource struct{ *testResource }

func newTestResource(refresh bool) func(r *catalog.Resource) (resources.Resource, error) {
	return func(r *catalog.Resource) (resources.Resource, error) {
		str := func(k string) string { s, _ := r.Parameters[k].(string); return s }
		t := &testResource{title: r.Title, path: str("path"), content: str("content"),
			journal: str("journal"), fail: str("fail"), say: str("say")}
		t.ahead, _ = r.Parameters["ahead"].(bool)
		if d, ok := r.Parameters["delay"].(int); ok {
			t.delay = time.Duration(d) * time.Millisecond
		}
		if t.fail == "new" {
			return nil, errors.New("invalid on purpose")
		}
		if refresh {
			return refreshingTestResource{t}, nil
		}
		return t, nil
	}
}

var journalMu sync.Mutex

func (t *testResource) note(what string) {
	if t.journal == "" {
		return
	}
	journalMu.Lock()
	defer journalMu.Unlock()
	f, err := os.OpenFile(t.journal, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s\n", what, t.title)
}

func (t *testResource) Precheckable() bool { return t.ahead }

func (t *testResource) Check(ctx context.Context, env *resources.Env) ([]resources.Change, error) {
	t.note("check")
	if t.delay > 0 {
		time.Sleep(t.delay)
	}
	if t.say != "" {
		env.Log.Info(t.say, "resource", t.title)
	}
	if t.fail == "panic" {
		panic("bug in a resource type")
	}
	if t.fail == "check" {
		return nil, errors.New("cannot read state")
	}
	if t.path == "" {
		return nil, nil
	}
	cur, err := os.ReadFile(t.path)
	from := string(cur)
	switch {
	case errors.Is(err, os.ErrNotExist):
		from = "absent"
	case err != nil:
		return nil, err
	case from == t.content:
		return nil, nil
	}
	return []resources.Change{{Property: "content", From: from, To: t.content,
		Diff: fmt.Sprintf("-%s\n+%s\n", from, t.content)}}, nil
}

func (t *testResource) Apply(ctx context.Context, env *resources.Env, changes []resources.Change) error {
	t.note("apply")
	if t.fail == "apply" {
		return errors.New("disk on fire")
	}
	return os.WriteFile(t.path, []byte(t.content), 0o600)
}

func (t refreshingTestResource) Refresh(ctx context.Context, env *resources.Env) error {
	t.note("refresh")
	if t.fail == "refresh" {
		return errors.New("restart failed")
	}
	return nil
}

// readJournal returns the lines of a journal, none if it does not exist.
func readJournal(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}
