package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/report"
)

// handleReport stores an agent's run report as ReportDir/<node>/<time>.json
// and keeps the last ReportsKept of them. The report must be a gapply
// report for the node it is sent for.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("node")
	if err := ca.ValidateName(node); err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		httpError(w, code, "report for %s: %v", node, err)
		return
	}
	var rep report.Report
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		httpError(w, http.StatusBadRequest, "report for %s is not a JSON report: %v", node, err)
		return
	}
	if rep.Host != node {
		httpError(w, http.StatusBadRequest, "report sent for %s is the report of %q", node, rep.Host)
		return
	}
	if s.opts.ReportDir != "" {
		if err := s.saveReport(node, buf.Bytes()); err != nil {
			s.log.Error("cannot store report", "node", node, "err", err)
			httpError(w, http.StatusInternalServerError, "Server Error: cannot store the report")
			return
		}
	}
	s.log.Info("report", "node", node, "status", rep.Status, "changed", rep.Metrics.Changed, "failed", rep.Metrics.Failed)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, "[]")
}

func (s *Server) saveReport(node string, data []byte) error {
	dir := filepath.Join(s.opts.ReportDir, node)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + ".json"
	tmp := filepath.Join(dir, "."+name)
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var reports []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			reports = append(reports, e.Name())
		}
	}
	sort.Strings(reports) // the names sort by time
	for len(reports) > s.opts.ReportsKept {
		_ = os.Remove(filepath.Join(dir, reports[0]))
		reports = reports[1:]
	}
	return nil
}
