package engine

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// A resource of a type gapply has no implementation of (a module's Ruby
// type) fails in its turn; its dependents are skipped, the rest converges,
// and the type is named once after the walk, as Puppet 7 does.
func TestResourceWithoutProvider(t *testing.T) {
	for _, noop := range []bool{false, true} {
		c := newCatalog(t).
			file("before", "x").
			addType("Firewall", "100 ssh").
			addType("Firewall", "200 web").
			file("dependent", "x").
			file("unrelated", "x").
			before("before", "100 ssh").before("100 ssh", "dependent")
		c.Edges[0].Target.Type, c.Edges[1].Source.Type = "Firewall", "Firewall"
		rep, logs := run(t, c, Options{Noop: noop})
		wantStatus := []string{
			"Enginetest[before]:changed",
			"Firewall[100 ssh]:failed",
			"Firewall[200 web]:failed",
			"Enginetest[dependent]:skipped",
			"Enginetest[unrelated]:changed",
		}
		change := "INFO Enginetest[%s]/content: changed 'absent' to 'x'"
		if noop {
			wantStatus[0], wantStatus[4] = "Enginetest[before]:outofsync", "Enginetest[unrelated]:outofsync"
			change = "INFO Enginetest[%s]/content: current_value 'absent', should be 'x' (noop)"
		}
		assertLines(t, "statuses", statuses(rep), wantStatus)
		assertLines(t, "logs", lines(logs), []string{
			fmt.Sprintf(change, "before"),
			"INFO Enginetest[dependent]: Dependency Firewall[100 ssh] has failures: true",
			"WARN Enginetest[dependent]: Skipping because of failed dependencies",
			fmt.Sprintf(change, "unrelated"),
			"ERRO Could not find a suitable provider for firewall",
		})
		if _, err := os.Stat(c.path("dependent")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the dependent was changed: %v", err)
		}
		if _, err := os.Stat(c.path("unrelated")); (err == nil) == noop {
			t.Errorf("noop %v: unrelated file: %v", noop, err)
		}
	}
}
