package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sample() *Report {
	r := &Report{
		Host:                 "node1.example.com",
		ConfigurationVersion: "abc'123",
		Environment:          "production",
		Time:                 time.Date(2024, 11, 25, 15, 49, 9, 968824054, time.UTC),
		Resources: []ResourceStatus{
			{Ref: "File[/etc/motd]", Type: "File", Title: "/etc/motd", File: "site.pp", Line: 3,
				Changed: true, OutOfSync: true, Events: []Event{{
					Property: "content", PreviousValue: "{sha256}aa", DesiredValue: "{sha256}bb",
					Message: "content changed '{sha256}aa' to '{sha256}bb'", Status: EventSuccess,
				}}},
			{Ref: "Exec[a]", Type: "Exec", Title: "a", Failed: true, OutOfSync: true, Events: []Event{{
				Property: "returns", PreviousValue: "notrun", DesiredValue: "0",
				Message: "returned 1 instead of one of [0]", Status: EventFailure,
			}}},
			{Ref: "Exec[b]", Type: "Exec", Title: "b", Skipped: true},
			{Ref: "Exec[c]", Type: "Exec", Title: "c", Restarted: true},
			{Ref: "Notify[x]", Type: "Notify", Title: "x"},
		},
		Metrics: Metrics{Duration: 53 * time.Millisecond},
	}
	r.Finish()
	return r
}

func TestFinish(t *testing.T) {
	r := sample()
	want := Metrics{Total: 5, Changed: 1, Failed: 1, Skipped: 1, OutOfSync: 2, Restarted: 1, Duration: 53 * time.Millisecond}
	if diff := cmp.Diff(want, r.Metrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if r.Status != StatusFailed {
		t.Errorf("status = %q, want %q", r.Status, StatusFailed)
	}
	if got, want := r.Summary(), "Applied catalog in 0.05 seconds: 5 resources, 1 changed, 1 failed, 1 skipped"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	one := &Report{Metrics: Metrics{Total: 1, Changed: 1, Duration: 10 * time.Millisecond}}
	if got, want := one.Summary(), "Applied catalog in 0.01 seconds: 1 resource, 1 changed, 0 failed, 0 skipped"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name            string
		status          ResourceStatus
		noop            bool
		plain, detailed int
	}{
		{"in sync", ResourceStatus{}, false, 0, 0},
		{"changed", ResourceStatus{Changed: true, OutOfSync: true}, false, 0, 2},
		{"refreshed only", ResourceStatus{Restarted: true}, false, 0, 2},
		{"failed", ResourceStatus{Failed: true, OutOfSync: true}, false, 1, 4},
		{"skipped only", ResourceStatus{Skipped: true}, false, 0, 0},
		{"noop out of sync", ResourceStatus{OutOfSync: true}, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Noop: tt.noop, Resources: []ResourceStatus{tt.status}}
			r.Finish()
			if got := r.ExitCode(false); got != tt.plain {
				t.Errorf("ExitCode(false) = %d, want %d", got, tt.plain)
			}
			if got := r.ExitCode(true); got != tt.detailed {
				t.Errorf("ExitCode(true) = %d, want %d", got, tt.detailed)
			}
		})
	}
	// Changes and failures together.
	r := &Report{Resources: []ResourceStatus{{Changed: true}, {Failed: true}}}
	r.Finish()
	if got := r.ExitCode(true); got != 6 {
		t.Errorf("changed+failed: ExitCode(true) = %d, want 6", got)
	}
	if got := r.ExitCode(false); got != 1 {
		t.Errorf("changed+failed: ExitCode(false) = %d, want 1", got)
	}
}

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		rs   []ResourceStatus
		want string
	}{
		{nil, StatusUnchanged},
		{[]ResourceStatus{{OutOfSync: true}}, StatusUnchanged},
		{[]ResourceStatus{{Changed: true}}, StatusChanged},
		{[]ResourceStatus{{Changed: true}, {Failed: true}}, StatusFailed},
	} {
		r := &Report{Resources: tt.rs}
		r.Finish()
		if r.Status != tt.want {
			t.Errorf("%+v: status %q, want %q", tt.rs, r.Status, tt.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sample()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"configuration_version"`, `"out_of_sync"`, `"previous_value"`, `"metrics"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks key %s: %s", key, data)
		}
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	// A summary left by an earlier run with looser permissions must end
	// up 0600 too.
	if err := os.WriteFile(filepath.Join(dir, SummaryFile), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sample()
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ReportFile, SummaryFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("Load after Save (-want +got):\n%s", diff)
	}
	summary, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	want := `---
version:
  config: 'abc''123'
resources:
  changed: 1
  failed: 1
  out_of_sync: 2
  restarted: 1
  skipped: 1
  total: 5
time:
  total: 0.053
  last_run: 1732549749
changes:
  total: 1
events:
  failure: 1
  success: 1
  total: 2
`
	if diff := cmp.Diff(want, string(summary)); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want 2: %v", len(entries), entries)
	}
}

func TestSaveCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "state")
	if err := sample().Save(dir); err != nil {
		t.Fatalf("Save into a new state dir: %v", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode = %v, want 0700", st.Mode().Perm())
	}
}

func TestSaveUnwritableDirNamesThePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := sample().Save(file)
	if err == nil || !strings.Contains(err.Error(), "not-a-dir") {
		t.Errorf("Save under a regular file: err = %v, want one naming the path", err)
	}
}

// TestMarshalFileSameDocument: the file layout (a resource per line) is
// the same JSON document as encoding/json makes of a Report, whatever the
// strings hold, with or without resources.
func TestMarshalFileSameDocument(t *testing.T) {
	odd := sample()
	odd.Resources[0].Title = "/etc/a \"quoted\"\n  \"resources\": null <&> \u2028 \xff"
	odd.Errors = []string{"line one\n  \"resources\": null"}
	for name, r := range map[string]*Report{"sample": sample(), "odd": odd, "nil": {Host: "h"}, "empty": {Host: "h", Resources: []ResourceStatus{}}} {
		got, err := r.MarshalFile()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v in\n%s", name, err, got)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("%s (-encoding/json +MarshalFile):\n%s", name, diff)
		}
		if n := strings.Count(string(got), "\n    {\"ref\":"); n != len(r.Resources) {
			t.Errorf("%s: %d resource lines, want %d:\n%s", name, n, len(r.Resources), got)
		}
	}
}

// TestAppendStatusSameBytes: the hand-written encoding of a resource
// without events is byte for byte encoding/json's, whatever its strings
// hold and whichever optional fields are empty.
func TestAppendStatusSameBytes(t *testing.T) {
	statuses := []ResourceStatus{
		{},
		{Ref: "File[/etc/motd]", Type: "File", Title: "/etc/motd", File: "/m/site.pp", Line: 12, OutOfSync: true},
		{Ref: "Exec[x]", Type: "Exec", Title: "x", Changed: true, Restarted: true, Line: -3},
		{Ref: "Notify[<&>]", Type: "Notify", Title: "a \"q\" \\ \t\n\u2028 \u00e9 \xff \x7f", Failed: true, Skipped: true},
	}
	// appendStatus writes the fields one by one: a field added to
	// ResourceStatus must be set by a case here, or it would be dropped
	// from saved reports unnoticed. Events go through encoding/json.
	typ := reflect.TypeFor[ResourceStatus]()
	for k := range typ.NumField() {
		if f := typ.Field(k); f.Name != "Events" && !slices.ContainsFunc(statuses, func(rs ResourceStatus) bool {
			return !reflect.ValueOf(rs).Field(k).IsZero()
		}) {
			t.Errorf("no case sets ResourceStatus.%s", f.Name)
		}
	}
	for _, rs := range statuses {
		var got bytes.Buffer
		appendStatus(&got, &rs)
		want, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("appendStatus(%+v)\n got %s\nwant %s", rs, got.Bytes(), want)
		}
	}
}
