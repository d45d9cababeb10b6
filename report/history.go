package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// HistoryDir is the directory under a state directory where Archive keeps
// the reports of past runs.
const HistoryDir = "reports"

// Archive writes the report into dir/reports/ under a name that sorts by
// time (20060102T150405.000000000Z-<commit>.json) and removes the oldest
// reports beyond keep (keep < 1 keeps one). The history lets an operator
// see when a node started failing, not only that its last run failed.
func (r *Report) Archive(dir string, keep int) error {
	js, err := r.MarshalFile()
	if err != nil {
		return fmt.Errorf("archiving report: %w", err)
	}
	return r.archive(dir, keep, js)
}

// SaveAndArchive is Save then Archive with the report encoded once: an
// agent run writes both, and a large report's encoding is most of the
// cost of writing it.
func (r *Report) SaveAndArchive(dir string, keep int) error {
	js, err := r.MarshalFile()
	if err != nil {
		return err
	}
	if err := r.save(dir, js); err != nil {
		return err
	}
	return r.archive(dir, keep, js)
}

// archive writes js, the encoded report, into the history under dir and
// keeps the newest keep reports there.
func (r *Report) archive(dir string, keep int, js []byte) error {
	hist := filepath.Join(dir, HistoryDir)
	if err := os.MkdirAll(hist, 0o700); err != nil {
		return fmt.Errorf("archiving report: %w", err)
	}
	name := r.Time.UTC().Format("20060102T150405.000000000Z")
	if r.Commit != "" {
		name += "-" + shortCommit(r.Commit)
	}
	if err := writeFile(filepath.Join(hist, name+".json"), js); err != nil {
		return fmt.Errorf("archiving report: %w", err)
	}
	names, err := History(dir)
	if err != nil {
		return err
	}
	if keep < 1 {
		keep = 1
	}
	var errs []error
	for len(names) > keep {
		if err := os.Remove(names[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		names = names[1:]
	}
	return errors.Join(errs...)
}

// History lists the archived reports under dir, oldest first.
func History(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, HistoryDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, filepath.Join(dir, HistoryDir, e.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// LoadFile reads one report file (from History, say).
func LoadFile(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
