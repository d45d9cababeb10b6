package agent

import (
	"os"
	"strings"
	"testing"

	"github.com/gapply/gapply/config"
)

// The README's table of agent settings is generated from Defaults and the
// struct tags; this test keeps it from drifting. Regenerate it with
// GAPPLY_UPDATE_README=1 go test ./agent -run README.
func TestREADMESettingsTable(t *testing.T) {
	const begin, end = "<!-- agent-settings:begin -->\n", "<!-- agent-settings:end -->"
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := config.MarkdownTable(Defaults())
	if got := readme[i+len(begin) : j]; got != want {
		if os.Getenv("GAPPLY_UPDATE_README") != "" {
			if err := os.WriteFile("../README.md", []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's agent settings table is out of date; run GAPPLY_UPDATE_README=1 go test ./agent -run README. Want:\n%s", want)
	}
}

// The shipped examples load without a diagnostic.
func TestExamplesLoad(t *testing.T) {
	if _, err := Load("../examples/agent/gapply.hcl", nil); err != nil {
		t.Errorf("examples/agent/gapply.hcl: %v", err)
	}
	inv, _, diags := LoadInventory("../examples/agent/inventory.hcl")
	if diags.HasErrors() {
		t.Fatalf("examples/agent/inventory.hcl: %v", diags)
	}
	if len(inv.Nodes) != 3 || inv.Nodes[2].Environment != "staging" || inv.Nodes[0].Environment != DefaultEnvironment {
		t.Errorf("inventory nodes: %+v", inv.Nodes)
	}
}
