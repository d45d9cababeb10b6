package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/report"
)

// testCatalog builds catalogs of test resources that work in a temporary
// directory.
type testCatalog struct {
	*catalog.Catalog
	dir, journal string
}

func newCatalog(t *testing.T) *testCatalog {
	dir := t.TempDir()
	return &testCatalog{
		Catalog: &catalog.Catalog{Name: "node.test", Version: "42", Environment: "production"},
		dir:     dir, journal: filepath.Join(dir, "journal"),
	}
}

// add declares Enginetest[title] with parameters from key/value pairs.
func (c *testCatalog) add(title string, kv ...any) *testCatalog {
	return c.addType(testType, title, kv...)
}

func (c *testCatalog) addType(typ, title string, kv ...any) *testCatalog {
	p := map[string]any{"journal": c.journal}
	for i := 0; i < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	c.Resources = append(c.Resources, &catalog.Resource{Type: typ, Title: title, Parameters: p,
		File: "site.pp", Line: len(c.Resources) + 1})
	return c
}

// file declares Enginetest[title] managing dir/title with content.
func (c *testCatalog) file(title, content string, kv ...any) *testCatalog {
	return c.add(title, append([]any{"path", c.path(title), "content", content}, kv...)...)
}

func (c *testCatalog) path(title string) string { return filepath.Join(c.dir, title) }

// before adds src -> dst; notify adds src ~> dst.
func (c *testCatalog) before(src, dst string) *testCatalog { return c.edge(src, dst, false) }
func (c *testCatalog) notify(src, dst string) *testCatalog { return c.edge(src, dst, true) }

func (c *testCatalog) edge(src, dst string, refresh bool) *testCatalog {
	c.Edges = append(c.Edges, catalog.Edge{Source: ref(src), Target: ref(dst), Refresh: refresh})
	return c
}

func ref(title string) catalog.Ref { return catalog.Ref{Type: testType, Title: title} }

// run applies c, returning the report and the lines logged (text, no
// timestamps, at debug level unless opts.Log is set).
func run(t *testing.T, c *testCatalog, opts Options) (*report.Report, string) {
	t.Helper()
	var buf bytes.Buffer
	if opts.Log == nil {
		opts.Log = log.NewWithOptions(&buf, log.Options{Level: log.InfoLevel})
	}
	rep, err := Apply(context.Background(), c.Catalog, opts)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return rep, buf.String()
}

// statuses summarises a report as "Ref:outcome" strings in report order.
func statuses(rep *report.Report) []string {
	var out []string
	for _, r := range rep.Resources {
		s := "unchanged"
		switch {
		case r.Failed:
			s = "failed"
		case r.Skipped:
			s = "skipped"
		case r.Changed:
			s = "changed"
		case r.OutOfSync:
			s = "outofsync"
		}
		if r.Restarted {
			s += "+restarted"
		}
		out = append(out, r.Ref+":"+s)
	}
	return out
}

func assertLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func TestManifestOrder(t *testing.T) {
	c := newCatalog(t).add("a").add("b").add("c").add("d")
	run(t, c, Options{})
	assertLines(t, "journal", readJournal(t, c.journal), []string{"check a", "check b", "check c", "check d"})
}

// Puppet runs b, c, a, d for this manifest: a waits for c; among ready
// resources the first declared goes first.
func TestDependencyOrder(t *testing.T) {
	c := newCatalog(t).add("a").add("b").add("c").add("d").before("c", "a")
	rep, _ := run(t, c, Options{})
	assertLines(t, "journal", readJournal(t, c.journal), []string{"check b", "check c", "check a", "check d"})
	g, err := NewGraph(c.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range g.Order() {
		order = append(order, r.String())
	}
	assertLines(t, "Order()", order, []string{"Enginetest[b]", "Enginetest[c]", "Enginetest[a]", "Enginetest[d]"})
	var reported []string
	for _, r := range rep.Resources {
		reported = append(reported, r.Ref)
	}
	assertLines(t, "report order", reported, order)
}

func TestChangeAndIdempotence(t *testing.T) {
	c := newCatalog(t).file("motd", "hello").add("same", "path", "", "content", "")
	rep, logs := run(t, c, Options{})
	data, err := os.ReadFile(c.path("motd"))
	if err != nil || string(data) != "hello" {
		t.Fatalf("file: %q, %v; want hello", data, err)
	}
	assertLines(t, "logs", lines(logs), []string{"INFO Enginetest[motd]/content: changed 'absent' to 'hello'"})
	assertLines(t, "statuses", statuses(rep), []string{"Enginetest[motd]:changed", "Enginetest[same]:unchanged"})
	want := []report.Event{{Property: "content", PreviousValue: "absent", DesiredValue: "hello",
		Message: "changed 'absent' to 'hello'", Status: report.EventSuccess}}
	if diff := cmp.Diff(want, rep.Resources[0].Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusChanged || rep.ExitCode(true) != 2 {
		t.Errorf("status %q exit %d, want changed and 2", rep.Status, rep.ExitCode(true))
	}
	if rep.Host != "node.test" || rep.ConfigurationVersion != "42" || rep.Environment != "production" {
		t.Errorf("report header %+v", rep)
	}
	rep, logs = run(t, c, Options{})
	if logs != "" || rep.Status != report.StatusUnchanged || rep.ExitCode(true) != 0 {
		t.Errorf("second run: status %q, exit %d, logs %q; want nothing to do", rep.Status, rep.ExitCode(true), logs)
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestShowDiff(t *testing.T) {
	c := newCatalog(t).file("f", "new")
	_, logs := run(t, c, Options{ShowDiff: true})
	want := "INFO Enginetest[f]/content:\n-absent\n+new\n"
	if !strings.HasPrefix(logs, "INFO Enginetest[f]/content:") || !strings.Contains(logs, "-absent") || !strings.Contains(logs, "+new") {
		t.Errorf("logs %q, want the diff first, like %q", logs, want)
	}
	_, logs = run(t, newCatalog(t).file("f", "new"), Options{})
	if strings.Contains(logs, "+new") {
		t.Errorf("diff logged without ShowDiff: %q", logs)
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name string
		cat  *testCatalog
		want string
	}{{
		name: "one",
		cat:  newCatalog(t).add("a").add("b").before("a", "b").before("b", "a"),
		want: "Found 1 dependency cycle:\n(Enginetest[a] => Enginetest[b] => Enginetest[a])",
	}, {
		// Puppet's own example: notify c requires a, b requires c, a
		// requires b.
		name: "three, declared backwards",
		cat:  newCatalog(t).add("c").add("b").add("a").before("a", "c").before("c", "b").before("b", "a"),
		want: "Found 1 dependency cycle:\n(Enginetest[c] => Enginetest[b] => Enginetest[a] => Enginetest[c])",
	}, {
		name: "two disjoint, with a resource outside both",
		cat: newCatalog(t).add("x").add("a").add("out").add("y").add("b").
			before("a", "b").before("b", "a").before("x", "y").before("y", "x").before("out", "a"),
		want: "Found 2 dependency cycles:\n(Enginetest[x] => Enginetest[y] => Enginetest[x])\n" +
			"(Enginetest[a] => Enginetest[b] => Enginetest[a])",
	}, {
		// Two cycles sharing m form one component; the path passes
		// through every member.
		name: "figure eight",
		cat: newCatalog(t).add("m").add("l").add("r").
			before("m", "l").before("l", "m").before("m", "r").before("r", "m"),
		want: "Found 1 dependency cycle:\n(Enginetest[m] => Enginetest[l] => Enginetest[m] => Enginetest[r] => Enginetest[m])",
	}, {
		name: "self",
		cat:  newCatalog(t).add("a").add("s").before("s", "s"),
		want: "Found 1 dependency cycle:\n(Enginetest[s] => Enginetest[s])",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Apply(context.Background(), tt.cat.Catalog, Options{})
			var ce *CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("Apply: err = %v, want a *CycleError", err)
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want+"\n") {
				t.Errorf("error:\n%s\nwant it to start with:\n%s", got, tt.want)
			}
			g, gerr := NewGraph(tt.cat.Catalog)
			if g == nil || !errors.As(gerr, &ce) || !strings.Contains(g.DOT(), "->") {
				t.Errorf("NewGraph on a cycle: graph %v, err %v; want the graph to draw and the error", g, gerr)
			}
			if j := readJournal(t, tt.cat.journal); len(j) != 0 {
				t.Errorf("resources ran despite the cycle: %v", j)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	c := newCatalog(t).file("f", "x").add("bad", "fail", "new")
	c.Resources = append(c.Resources, &catalog.Resource{Type: testType, Title: "bad2", File: "other.pp", Line: 7,
		Parameters: map[string]any{"fail": "new"}})
	_, err := Apply(context.Background(), c.Catalog, Options{})
	if err == nil {
		t.Fatal("Apply succeeded, want errors")
	}
	for _, want := range []string{
		"site.pp:2: Enginetest[bad]: invalid on purpose",
		"other.pp:7: Enginetest[bad2]: invalid on purpose",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, statErr := os.Stat(c.path("f")); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a resource was applied before the build failed: %v", statErr)
	}
}

func TestGraphErrors(t *testing.T) {
	c := newCatalog(t).add("a").before("a", "ghost").edge("a", "a", false)
	c.Edges[1].Source = catalog.Ref{Type: "Nope", Title: "x"}
	_, err := NewGraph(c.Catalog)
	for _, want := range []string{
		"relationship Enginetest[a] => Enginetest[ghost]: Enginetest[ghost] is not in the catalog",
		"relationship Nope[x] => Enginetest[a]: Nope[x] is not in the catalog",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	c = newCatalog(t).add("a").add("a")
	_, err = NewGraph(c.Catalog)
	if err == nil || !strings.Contains(err.Error(), "site.pp:2: Enginetest[a] is declared twice in the catalog (first at site.pp:1: )") {
		t.Errorf("duplicate: err = %v", err)
	}
}

func TestEdgeTypeCase(t *testing.T) {
	// A producer that writes types in lower case still names the same
	// resources.
	c := newCatalog(t).add("a").add("b")
	c.Edges = append(c.Edges, catalog.Edge{Source: catalog.Ref{Type: "enginetest", Title: "b"},
		Target: catalog.Ref{Type: "enginetest", Title: "a"}})
	run(t, c, Options{})
	assertLines(t, "journal", readJournal(t, c.journal), []string{"check b", "check a"})
}

func TestFailureSkipsDependents(t *testing.T) {
	for _, mode := range []string{"check", "apply"} {
		t.Run(mode, func(t *testing.T) {
			// bad -> child -> grandchild; bad ~> listener; other and
			// its dependent are unrelated and run.
			c := newCatalog(t).
				file("bad", "x", "fail", mode).
				file("child", "x").
				file("grandchild", "x").
				file("other", "x").
				file("after-other", "x").
				add("listener").
				before("bad", "child").before("child", "grandchild").notify("bad", "listener").
				before("other", "after-other")
			rep, logs := run(t, c, Options{})
			assertLines(t, "statuses", statuses(rep), []string{
				"Enginetest[bad]:failed",
				"Enginetest[child]:skipped",
				"Enginetest[grandchild]:skipped",
				"Enginetest[other]:changed",
				"Enginetest[after-other]:changed",
				"Enginetest[listener]:skipped",
			})
			failure := "ERRO Enginetest[bad]: Could not evaluate: cannot read state"
			if mode == "apply" {
				failure = "ERRO Enginetest[bad]/content: change from 'absent' to 'x' failed: disk on fire"
			}
			assertLines(t, "logs", lines(logs), []string{
				failure,
				"INFO Enginetest[child]: Dependency Enginetest[bad] has failures: true",
				"WARN Enginetest[child]: Skipping because of failed dependencies",
				"WARN Enginetest[grandchild]: Skipping because of failed dependencies",
				"INFO Enginetest[other]/content: changed 'absent' to 'x'",
				"INFO Enginetest[after-other]/content: changed 'absent' to 'x'",
				"INFO Enginetest[listener]: Dependency Enginetest[bad] has failures: true",
				"WARN Enginetest[listener]: Skipping because of failed dependencies",
			})
			for _, skipped := range []string{"child", "grandchild"} {
				if _, err := os.Stat(c.path(skipped)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("skipped %s was changed: %v", skipped, err)
				}
			}
			for _, j := range readJournal(t, c.journal) {
				if strings.HasSuffix(j, " child") || strings.HasSuffix(j, "grandchild") || strings.HasSuffix(j, "listener") {
					t.Errorf("skipped resource was touched: %s", j)
				}
			}
			m := rep.Metrics
			if m.Total != 6 || m.Failed != 1 || m.Skipped != 3 || m.Changed != 2 {
				t.Errorf("metrics %+v", m)
			}
			if rep.Status != report.StatusFailed || rep.ExitCode(true) != 6 || rep.ExitCode(false) != 1 {
				t.Errorf("status %q exit %d/%d, want failed 6/1", rep.Status, rep.ExitCode(true), rep.ExitCode(false))
			}
		})
	}
}

func TestRefresh(t *testing.T) {
	c := newCatalog(t).
		file("src", "x").                     // changes
		add("listener").                      // src ~> listener: refreshed
		add("ordered").                       // src -> ordered: not refreshed
		add("second").                        // listener ~> second: refreshed by the restart
		add("quiet").                         // in sync ~> quiet2: not refreshed
		add("quiet2").                        //
		file("broken", "x", "fail", "apply"). // failed ~> unreached: skipped
		add("unreached").
		addType(testPlainType, "plain").   // cannot refresh: event ignored
		add("failing", "fail", "refresh"). // src ~> failing: refresh fails
		add("after-failing")               // failing -> after-failing: skipped
	c.notify("src", "listener").before("src", "ordered").notify("listener", "second").
		notify("quiet", "quiet2").notify("broken", "unreached").
		edge("src", "plain", true)
	c.Edges[len(c.Edges)-1].Target = catalog.Ref{Type: testPlainType, Title: "plain"}
	c.notify("src", "failing").before("failing", "after-failing")

	rep, logs := run(t, c, Options{})
	assertLines(t, "statuses", statuses(rep), []string{
		"Enginetest[src]:changed",
		"Enginetest[listener]:unchanged+restarted",
		"Enginetest[ordered]:unchanged",
		"Enginetest[second]:unchanged+restarted",
		"Enginetest[quiet]:unchanged",
		"Enginetest[quiet2]:unchanged",
		"Enginetest[broken]:failed",
		"Enginetest[unreached]:skipped",
		"Enginetestplain[plain]:unchanged",
		"Enginetest[failing]:failed",
		"Enginetest[after-failing]:skipped",
	})
	var refreshed []string
	for _, j := range readJournal(t, c.journal) {
		if strings.HasPrefix(j, "refresh ") {
			refreshed = append(refreshed, j)
		}
	}
	assertLines(t, "refreshes", refreshed, []string{"refresh listener", "refresh second", "refresh failing"})
	for _, want := range []string{
		"INFO Enginetest[listener]: Triggered 'refresh' from 1 event",
		"INFO Enginetest[second]: Triggered 'refresh' from 1 event",
		"ERRO Enginetest[failing]: Failed to call refresh: restart failed",
	} {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if rep.Metrics.Restarted != 2 || rep.ExitCode(true) != 6 {
		t.Errorf("restarted %d, exit %d; want 2 and 6", rep.Metrics.Restarted, rep.ExitCode(true))
	}
}

func TestRefreshCountsEvents(t *testing.T) {
	c := newCatalog(t).file("a", "x").file("b", "y").add("in sync").add("r").
		notify("a", "r").notify("b", "r").notify("in sync", "r").before("a", "r")
	_, logs := run(t, c, Options{})
	if !strings.Contains(logs, "INFO Enginetest[r]: Triggered 'refresh' from 2 events\n") {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestNoop(t *testing.T) {
	c := newCatalog(t).file("f", "new").add("listener").add("second").
		notify("f", "listener").notify("listener", "second")
	rep, logs := run(t, c, Options{Noop: true})
	if _, err := os.Stat(c.path("f")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("noop run created the file: %v", err)
	}
	for _, j := range readJournal(t, c.journal) {
		if !strings.HasPrefix(j, "check ") {
			t.Errorf("noop run did %q", j)
		}
	}
	assertLines(t, "logs", lines(logs), []string{
		"INFO Enginetest[f]/content: current_value 'absent', should be 'new' (noop)",
		"INFO Enginetest[listener]: Would have triggered 'refresh' from 1 event",
		"INFO Enginetest[second]: Would have triggered 'refresh' from 1 event",
	})
	assertLines(t, "statuses", statuses(rep), []string{
		"Enginetest[f]:outofsync", "Enginetest[listener]:unchanged", "Enginetest[second]:unchanged",
	})
	if !rep.Noop || rep.Metrics.OutOfSync != 1 || rep.Metrics.Changed != 0 || rep.Status != report.StatusUnchanged {
		t.Errorf("report %+v", rep)
	}
	if got := rep.Resources[0].Events[0].Status; got != report.EventNoop {
		t.Errorf("event status %q, want noop", got)
	}
	if rep.ExitCode(true) != 0 {
		t.Errorf("noop exit code %d, want 0", rep.ExitCode(true))
	}
}

func TestNoopStillSkipsAfterFailure(t *testing.T) {
	c := newCatalog(t).add("bad", "fail", "check").file("dep", "x").before("bad", "dep")
	rep, _ := run(t, c, Options{Noop: true})
	assertLines(t, "statuses", statuses(rep), []string{"Enginetest[bad]:failed", "Enginetest[dep]:skipped"})
}

func TestPerResourceNoop(t *testing.T) {
	c := newCatalog(t).file("held", "x", "noop", true).file("applied", "y").file("held2", "z", "noop", "true").
		add("listener", "noop", true).notify("applied", "listener")
	rep, logs := run(t, c, Options{})
	for name, want := range map[string]bool{"held": false, "applied": true, "held2": false} {
		_, err := os.Stat(c.path(name))
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", name, exists, want)
		}
	}
	assertLines(t, "statuses", statuses(rep), []string{
		"Enginetest[held]:outofsync", "Enginetest[applied]:changed", "Enginetest[held2]:outofsync",
		"Enginetest[listener]:unchanged",
	})
	if !strings.Contains(logs, "INFO Enginetest[listener]: Would have triggered 'refresh' from 1 event\n") {
		t.Errorf("logs:\n%s", logs)
	}
	for _, j := range readJournal(t, c.journal) {
		if j == "refresh listener" {
			t.Error("a noop resource was refreshed")
		}
	}
}

func TestResourceLogsKeepOrder(t *testing.T) {
	c := newCatalog(t).file("a", "x", "say", "from a").add("b", "say", "from b")
	_, logs := run(t, c, Options{Parallel: 2})
	assertLines(t, "logs", lines(logs), []string{
		"INFO from a resource=a",
		"INFO Enginetest[a]/content: changed 'absent' to 'x'",
		"INFO from b resource=b",
	})
}

func TestDebugLinesFilteredByLevel(t *testing.T) {
	c := newCatalog(t).file("a", "x").add("b").notify("a", "b")
	var buf bytes.Buffer
	run(t, c, Options{Log: log.NewWithOptions(&buf, log.Options{Level: log.DebugLevel})})
	if !strings.Contains(buf.String(), "DEBU Enginetest[a]: Scheduling refresh of Enginetest[b]\n") {
		t.Errorf("debug logs:\n%s", buf.String())
	}
}

func TestCancelled(t *testing.T) {
	c := newCatalog(t).file("a", "x")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Apply(ctx, c.Catalog, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertLines(t, "statuses", statuses(rep), []string{"Enginetest[a]:skipped"})
	if _, err := os.Stat(c.path("a")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled run changed a file: %v", err)
	}
}

func TestDOT(t *testing.T) {
	c := newCatalog(t).add("a").add(`q"uote`).before("a", `q"uote`).notify(`q"uote`, "a")
	c.Edges = c.Edges[:1]
	c.notify("a", `q"uote`) // merges with the plain edge into one refresh edge
	g, err := NewGraph(c.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	want := `digraph "node.test" {
  rankdir=LR;
  node [shape=box];
  "Enginetest[a]";
  "Enginetest[q\"uote]";
  "Enginetest[a]" -> "Enginetest[q\"uote]" [style=bold, label="~>"];
}
`
	if diff := cmp.Diff(want, g.DOT()); diff != "" {
		t.Errorf("DOT (-want +got):\n%s", diff)
	}
}

func TestPanicFailsOnlyThatResource(t *testing.T) {
	c := newCatalog(t).add("buggy", "fail", "panic").file("dep", "x").file("other", "y").before("buggy", "dep")
	rep, logs := run(t, c, Options{Parallel: 2})
	assertLines(t, "statuses", statuses(rep), []string{
		"Enginetest[buggy]:failed", "Enginetest[dep]:skipped", "Enginetest[other]:changed",
	})
	if !strings.HasPrefix(logs, "ERRO Enginetest[buggy]: Could not evaluate: panic: bug in a resource type\n") {
		t.Errorf("logs:\n%s", logs)
	}
}

func TestEmptyCatalog(t *testing.T) {
	rep, logs := run(t, newCatalog(t), Options{Parallel: 4})
	if rep.Metrics.Total != 0 || rep.Status != report.StatusUnchanged || logs != "" {
		t.Errorf("empty catalog: %+v, logs %q", rep, logs)
	}
}
