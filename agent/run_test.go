package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/gofrs/flock"

	"github.com/gapply/gapply/report"
)

// repoRig is a manifest repository and an agent configured to apply it to
// a target directory, all under t.TempDir().
type repoRig struct {
	t      *testing.T
	dir    string
	repo   *git.Repository
	target string
	facts  string
	agent  *Agent
}

func newRepoRig(t *testing.T) *repoRig {
	t.Helper()
	base := t.TempDir()
	rig := &repoRig{t: t, dir: filepath.Join(base, "site"), target: filepath.Join(base, "target"), facts: filepath.Join(base, "facts.d")}
	var err error
	rig.repo, err = git.PlainInitWithOptions(rig.dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("production")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{rig.target, rig.facts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rig.setFact("web")
	cfg := Defaults()
	cfg.Vardir = filepath.Join(base, "var")
	cfg.ExternalFacts = []string{rig.facts}
	cfg.Repository.URL = rig.dir
	cfg.Repository.Depth = 0
	rig.agent = &Agent{Config: cfg}
	return rig
}

// setFact sets the external fact "role", which the manifest writes out.
func (rig *repoRig) setFact(role string) {
	rig.t.Helper()
	if err := os.WriteFile(filepath.Join(rig.facts, "role.txt"), []byte("role="+role+"\n"), 0o644); err != nil {
		rig.t.Fatal(err)
	}
}

// commit commits manifests/site.pp with a file resource writing text and
// the role fact into target/out.
func (rig *repoRig) commit(manifest string) string {
	rig.t.Helper()
	p := filepath.Join(rig.dir, "manifests", "site.pp")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		rig.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(manifest), 0o644); err != nil {
		rig.t.Fatal(err)
	}
	wt, _ := rig.repo.Worktree()
	if _, err := wt.Add("manifests/site.pp"); err != nil {
		rig.t.Fatal(err)
	}
	h, err := wt.Commit("c", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.com", When: time.Now()}})
	if err != nil {
		rig.t.Fatal(err)
	}
	return h.String()
}

func (rig *repoRig) manifest(text string) string {
	return fmt.Sprintf("file { '%s/out': content => \"%s ${facts['role']}\\n\" }\n", rig.target, text)
}

func (rig *repoRig) out() string {
	data, _ := os.ReadFile(filepath.Join(rig.target, "out"))
	return string(data)
}

func (rig *repoRig) run(opts RunOptions) *Outcome {
	rig.t.Helper()
	out, err := rig.agent.Run(context.Background(), opts)
	if err != nil {
		rig.t.Fatalf("Run: %v", err)
	}
	return out
}

func TestRunOnlyIfChanged(t *testing.T) {
	rig := newRepoRig(t)
	c1 := rig.commit(rig.manifest("one"))
	out := rig.run(RunOptions{OnlyIfChanged: true})
	if out.Report == nil || out.Report.Status != report.StatusChanged || out.Report.Commit != c1 || rig.out() != "one web\n" {
		t.Fatalf("first run: %+v, out %q", out, rig.out())
	}
	if out.Report.ConfigurationVersion != c1 || out.Report.FactsDigest == "" {
		t.Errorf("report: version %q digest %q", out.Report.ConfigurationVersion, out.Report.FactsDigest)
	}
	// Nothing changed: skipped, decided by commit and facts digest.
	if out := rig.run(RunOptions{OnlyIfChanged: true}); out.Skipped != "unchanged" || out.Report != nil {
		t.Errorf("second run: %+v", out)
	}
	// Without the option the catalog is applied (and finds nothing to do).
	if out := rig.run(RunOptions{}); out.Report == nil || out.Report.Status != report.StatusUnchanged {
		t.Errorf("plain run: %+v", out)
	}
	// A fact changed: applied.
	rig.setFact("db")
	if out := rig.run(RunOptions{OnlyIfChanged: true}); out.Report == nil || rig.out() != "one db\n" {
		t.Errorf("run after a fact changed: %+v, out %q", out, rig.out())
	}
	// A new commit: applied.
	c2 := rig.commit(rig.manifest("two"))
	if out := rig.run(RunOptions{OnlyIfChanged: true}); out.Report == nil || out.Commit != c2 || rig.out() != "two db\n" {
		t.Errorf("run after a commit: %+v, out %q", out, rig.out())
	}
	names, _ := report.History(rig.agent.Config.stateDir())
	if len(names) != 4 {
		t.Errorf("%d archived reports, want 4 (skipped runs leave none)", len(names))
	}
}

func TestRunFallsBackToLastGoodCommit(t *testing.T) {
	rig := newRepoRig(t)
	good := rig.commit(rig.manifest("good"))
	rig.run(RunOptions{})
	prom := filepath.Join(t.TempDir(), "gapply.prom")
	rig.agent.Config.Report.PrometheusFile = prom

	// A commit that does not compile is never applied.
	bad := rig.commit("file { 'x': content => }\n")
	os.Remove(filepath.Join(rig.target, "out")) // drift the run must repair
	out := rig.run(RunOptions{})
	rep := out.Report
	if rep.Commit != good || rep.Fallback == nil || rep.Fallback.FailedCommit != bad || rep.Status != report.StatusFailed {
		t.Fatalf("run with a broken head: commit %s, fallback %+v, status %s", rep.Commit, rep.Fallback, rep.Status)
	}
	if rig.out() != "good web\n" {
		t.Errorf("the last good commit was not applied: out %q", rig.out())
	}
	if !strings.Contains(rep.Errors[0], "manifests/site.pp:1") && !strings.Contains(rep.Errors[0], "manifests/site.pp line 1") {
		t.Errorf("error does not locate the problem in the repository: %q", rep.Errors[0])
	}
	since := rep.Fallback.Since
	metrics, _ := os.ReadFile(prom)
	if !strings.Contains(string(metrics), `gapply_fallback{failed_commit="`+bad+`"} 1`) {
		t.Errorf("metrics do not name the refused commit:\n%s", metrics)
	}

	// The repository goes away: still the good commit, same streak.
	if err := os.Rename(rig.dir, rig.dir+".gone"); err != nil {
		t.Fatal(err)
	}
	rep = rig.run(RunOptions{}).Report
	if rep.Commit != good || rep.Fallback == nil || rep.Fallback.FailedCommit != "" || !rep.Fallback.Since.Equal(since) {
		t.Errorf("run with the repository gone: commit %s, fallback %+v (since %v)", rep.Commit, rep.Fallback, since)
	}
	if err := os.Rename(rig.dir+".gone", rig.dir); err != nil {
		t.Fatal(err)
	}

	// Fixed: applied, and the streak ends.
	fixed := rig.commit(rig.manifest("fixed"))
	rep = rig.run(RunOptions{}).Report
	if rep.Commit != fixed || rep.Fallback != nil || rep.Status != report.StatusChanged || rig.out() != "fixed web\n" {
		t.Errorf("run after the fix: commit %s, fallback %+v, status %s, out %q", rep.Commit, rep.Fallback, rep.Status, rig.out())
	}
	metrics, _ = os.ReadFile(prom)
	if !strings.Contains(string(metrics), `gapply_fallback{failed_commit=""} 0`) {
		t.Errorf("metrics still report a fallback:\n%s", metrics)
	}
}

func TestRunNothingGoodYet(t *testing.T) {
	rig := newRepoRig(t)
	rig.commit("file { 'x': content => }\n")
	out := rig.run(RunOptions{})
	if out.Report.Status != report.StatusFailed || out.Report.Commit != "" || len(out.Report.Errors) != 1 {
		t.Errorf("first run on a broken repository: %+v", out.Report)
	}
	if _, err := os.Stat(filepath.Join(rig.target, "out")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("something was applied: %v", err)
	}
}

func TestRunLockSkips(t *testing.T) {
	rig := newRepoRig(t)
	rig.commit(rig.manifest("one"))
	if err := os.MkdirAll(rig.agent.Config.Vardir, 0o700); err != nil {
		t.Fatal(err)
	}
	other := flock.New(rig.agent.Config.lockFile())
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if _, err := rig.agent.Run(context.Background(), RunOptions{}); !errors.Is(err, ErrBusy) {
		t.Errorf("Run with the lock held: %v, want ErrBusy", err)
	}
	if rig.out() != "" {
		t.Error("a run happened while the lock was held")
	}
	other.Unlock() //nolint:errcheck // test cleanup
	rig.run(RunOptions{})
	if rig.out() != "one web\n" {
		t.Errorf("run after the lock was released: out %q", rig.out())
	}
}

func TestEnvironmentOverrideTriesABranchOnce(t *testing.T) {
	rig := newRepoRig(t)
	rig.commit(rig.manifest("prod"))
	wt, _ := rig.repo.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("feature_x"), Create: true}); err != nil {
		t.Fatal(err)
	}
	rig.commit(rig.manifest("feature"))
	if out := rig.run(RunOptions{Environment: "feature_x"}); out.Report.Environment != "feature_x" || rig.out() != "feature web\n" {
		t.Errorf("feature run: env %q out %q", out.Report.Environment, rig.out())
	}
	if out := rig.run(RunOptions{}); out.Report.Environment != "production" || rig.out() != "prod web\n" {
		t.Errorf("next run: env %q out %q", out.Report.Environment, rig.out())
	}
}

func TestFactsDigestIgnoresVolatileFacts(t *testing.T) {
	facts := func(uptime, free int) map[string]any {
		return map[string]any{
			"hostname":      "web1",
			"system_uptime": map[string]any{"seconds": uptime},
			"memory":        map[string]any{"system": map[string]any{"total_bytes": 1000, "available_bytes": free, "used_bytes": 1000 - free}},
		}
	}
	a, b := factsDigest(facts(10, 500)), factsDigest(facts(20, 400))
	if a != b {
		t.Errorf("uptime and free memory changed the digest: %s != %s", a, b)
	}
	other := facts(10, 500)
	other["hostname"] = "web2"
	if factsDigest(other) == a {
		t.Error("a changed hostname did not change the digest")
	}
	bigger := facts(10, 500)
	bigger["memory"].(map[string]any)["system"].(map[string]any)["total_bytes"] = 2000
	if factsDigest(bigger) == a {
		t.Error("a changed memory total did not change the digest")
	}
}
