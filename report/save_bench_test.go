package report

import (
	"fmt"
	"testing"
	"time"
)

// bigReport is the report of a no-op run of n files: every resource in
// sync, none with events, as a run every half hour writes it.
func bigReport(n int) *Report {
	r := &Report{Host: "node1.example.com", ConfigurationVersion: "1732546149", Environment: "production",
		Time: time.Date(2024, 11, 25, 15, 49, 9, 0, time.UTC)}
	for i := range n {
		title := fmt.Sprintf("/srv/bench/app%04d/data/file%03d.txt", i/20, i%20)
		r.Resources = append(r.Resources, ResourceStatus{Ref: "File[" + title + "]", Type: "File", Title: title,
			File: "/srv/manifests/site.pp", Line: 3})
	}
	r.Finish()
	return r
}

// BenchmarkSave is saving the report of a 10,000-resource run: both files,
// written and synced.
func BenchmarkSave(b *testing.B) {
	r := bigReport(10000)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Save(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalFile is the encoding alone, without the writes.
func BenchmarkMarshalFile(b *testing.B) {
	r := bigReport(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.MarshalFile(); err != nil {
			b.Fatal(err)
		}
	}
}
