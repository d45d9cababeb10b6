package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/report"
)

// stateFile is where the agent remembers its last successful run and the
// failure streak it is in, under vardir/state.
const stateFile = "agent_state.json"

// runState is what a run needs from the runs before it: what the last
// successful run applied (for only-if-changed) and since when syncs have
// been failing (for the fallback report).
type runState struct {
	Success success  `json:"last_success"`
	Failure *failure `json:"failure,omitempty"`
}

type success struct {
	Environment string    `json:"environment"`
	Commit      string    `json:"commit"`
	FactsDigest string    `json:"facts_digest"`
	Time        time.Time `json:"time"`
}

type failure struct {
	Environment string    `json:"environment"`
	Commit      string    `json:"commit,omitempty"`
	Since       time.Time `json:"since"`
	Error       string    `json:"error"`
}

// loadState reads the state; a missing or unreadable file is an empty
// state (the worst outcome is one apply that only-if-changed would have
// skipped).
func loadState(dir string) *runState {
	var s runState
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err == nil {
		_ = json.Unmarshal(data, &s)
	}
	return &s
}

func (s *runState) save(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(filepath.Join(dir, stateFile), append(data, '\n'), 0o600)
}

// failing records a failed sync and returns the fallback to report: the
// streak starts at the first failure in this environment.
func (s *runState) failing(env, commit, msg string, now time.Time) *report.Fallback {
	if s.Failure == nil || s.Failure.Environment != env {
		s.Failure = &failure{Environment: env, Since: now}
	}
	s.Failure.Commit, s.Failure.Error = commit, msg
	return &report.Fallback{FailedCommit: commit, Since: s.Failure.Since, Error: msg}
}

// ConfigError is a configuration that does not load; Diags are located in
// the file at Path.
type ConfigError struct {
	Path  string
	Diags hcl.Diagnostics
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("configuration %s: %v", e.Path, e.Diags.Error())
}
