package resources

import (
	"strings"
	"testing"
)

// TestAnchor: an anchor is always in sync and refuses parameters it does
// not have, like stdlib's.
func TestAnchor(t *testing.T) {
	env := newTestEnv(t)
	r := newRes(t, "anchor", "ntp::begin", nil)
	if changes := mustCheck(t, r, env.Env); len(changes) != 0 {
		t.Errorf("anchor reported changes: %v", changeLines(changes))
	}
	if _, err := newResErr("anchor", "x", map[string]any{"ensure": "present"}); err == nil || !strings.Contains(err.Error(), "ensure") {
		t.Errorf("anchor with ensure: err = %v, want an unknown parameter error", err)
	}
}
