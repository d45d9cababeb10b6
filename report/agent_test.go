package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// stale is a report of a node that ran its last good commit because the
// branch head did not compile.
func stale() *Report {
	r := sample()
	r.Commit = "0123456789abcdef0123456789abcdef01234567"
	r.FactsDigest = "f00d"
	r.Errors = []string{"commit fedcba987654 does not compile:\nsite.pp:1:1: Syntax error"}
	r.Fallback = &Fallback{
		FailedCommit: "fedcba9876543210fedcba9876543210fedcba98",
		Since:        time.Date(2024, 11, 25, 14, 0, 0, 0, time.UTC),
		Error:        r.Errors[0],
	}
	r.Resources = r.Resources[:1] // only the changed file
	r.Finish()
	return r
}

func TestErrorsFailTheRun(t *testing.T) {
	r := stale()
	if r.Status != StatusFailed || r.ExitCode(false) != 1 || r.ExitCode(true) != 6 {
		t.Errorf("status %q, exit %d/%d; want failed, 1/6", r.Status, r.ExitCode(false), r.ExitCode(true))
	}
}

func TestSummarySaysWhatIsStale(t *testing.T) {
	got := string(stale().SummaryYAML())
	for _, want := range []string{
		"  commit: '0123456789abcdef0123456789abcdef01234567'\n",
		"errors:\n  total: 1\n  failed_commit: 'fedcba9876543210fedcba9876543210fedcba98'\n  failing_since: 1732543200\n" +
			"  last_error: 'commit fedcba987654 does not compile: site.pp:1:1: Syntax error'\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(sample().SummaryYAML()), "errors:") {
		t.Error("a clean report's summary has an errors section")
	}
}

func TestPrometheus(t *testing.T) {
	got := string(stale().Prometheus())
	for _, want := range []string{
		"# TYPE gapply_last_run_resources gauge\n",
		`gapply_last_run_resources{state="changed"} 1` + "\n",
		`gapply_last_run_status{status="failed"} 1` + "\n",
		`gapply_last_run_status{status="changed"} 0` + "\n",
		`gapply_commit_info{commit="0123456789abcdef0123456789abcdef01234567",environment="production"} 1` + "\n",
		`gapply_fallback{failed_commit="fedcba9876543210fedcba9876543210fedcba98"} 1` + "\n",
		"gapply_fallback_since_timestamp_seconds 1732543200\n",
		"gapply_last_run_errors 1\n",
		"gapply_last_run_duration_seconds 0.053\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %q:\n%s", want, got)
		}
	}
	if !strings.Contains(string(sample().Prometheus()), `gapply_fallback{failed_commit=""} 0`) {
		t.Error("a clean report does not export gapply_fallback 0")
	}
	if got := label("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("label escaping: %s", got)
	}
	path := filepath.Join(t.TempDir(), "gapply.prom")
	if err := stale().WritePrometheus(path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("metrics file: %v %v, want mode 0644", st, err)
	}
}

func TestArchiveKeepsLastN(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []*Report
	for i := 0; i < 5; i++ {
		r := stale()
		r.Time = base.Add(time.Duration(i) * time.Hour)
		if err := r.Archive(dir, 3); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	names, err := History(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || !strings.HasSuffix(names[0], "20240101T020000.000000000Z-0123456789ab.json") {
		t.Fatalf("history: %v", names)
	}
	for i, name := range names {
		got, err := LoadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[i+2], got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	stale().WriteText(&b)
	want := `Run of node1.example.com at 2024-11-25T15:49:09Z: failed
  environment production, configuration version abc'123, commit 0123456789abcdef0123456789abcdef01234567
  STALE: running the last good commit 0123456789ab because commit fedcba987654 was refused (failing since 2024-11-25T14:00:00Z)
  error: commit fedcba987654 does not compile:
    site.pp:1:1: Syntax error
  Applied catalog in 0.05 seconds: 1 resource, 1 changed, 0 failed, 0 skipped
  changed File[/etc/motd]
          content: content changed '{sha256}aa' to '{sha256}bb'
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if got, want := stale().Line(), "2024-11-25T15:49:09Z failed    production 0123456789ab 1 resources, 1 changed, 0 failed, 0 skipped (stale): commit fedcba987654 does not compile:"; got != want {
		t.Errorf("Line() = %q, want %q", got, want)
	}
}

// SaveAndArchive, the agent's path, leaves exactly what Save and Archive
// leave, with the report encoded once.
func TestSaveAndArchiveIsSaveThenArchive(t *testing.T) {
	r := stale()
	one, two := t.TempDir(), t.TempDir()
	if err := r.SaveAndArchive(one, 3); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(two); err != nil {
		t.Fatal(err)
	}
	if err := r.Archive(two, 3); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{one, two} {
		if names, err := History(dir); err != nil || len(names) != 1 {
			t.Fatalf("history of %s: %v %v", dir, names, err)
		}
	}
	histOne, _ := History(one)
	histTwo, _ := History(two)
	for _, pair := range [][2]string{
		{filepath.Join(one, ReportFile), filepath.Join(two, ReportFile)},
		{filepath.Join(one, SummaryFile), filepath.Join(two, SummaryFile)},
		{histOne[0], histTwo[0]},
	} {
		a, errA := os.ReadFile(pair[0])
		b, errB := os.ReadFile(pair[1])
		if errA != nil || errB != nil || !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s and %s differ (%v %v)", pair[0], pair[1], errA, errB)
		}
	}
}
