package facts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOSFactsFromOSRelease(t *testing.T) {
	tests := []struct {
		name, osRelease, debianVersion string
		wantName, wantFamily, wantFull string
	}{
		{"debian", "ID=debian\nVERSION_ID=\"12\"\n", "12.11\n", "Debian", "Debian", "12.11"},
		{"ubuntu", "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\n", "", "Ubuntu", "Debian", "22.04"},
		{"rocky", "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "", "Rocky", "RedHat", "9.3"},
		{"derivative", "ID=pop\nNAME=\"Pop!_OS\"\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=22.04\n", "", "Pop!_OS", "Debian", "22.04"},
		{"debian testing", "ID=debian\n", "trixie/sid\n", "Debian", "Debian", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "etc/os-release"), tt.osRelease)
			if tt.debianVersion != "" {
				writeFile(t, filepath.Join(root, "etc/debian_version"), tt.debianVersion)
			}
			f, err := Gather(Options{Root: root, Environ: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			osf := f["os"].(map[string]any)
			rel := osf["release"].(map[string]any)
			got := []string{osf["name"].(string), osf["family"].(string), rel["full"].(string)}
			want := []string{tt.wantName, tt.wantFamily, tt.wantFull}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("os facts (-want +got):\n%s", diff)
			}
			if f["osfamily"] != tt.wantFamily {
				t.Errorf("legacy osfamily = %v, want %v", f["osfamily"], tt.wantFamily)
			}
		})
	}
}

func TestCoreFactsDescribeThisMachine(t *testing.T) {
	f, err := Gather(Options{Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	net := f["networking"].(map[string]any)
	if net["hostname"] == "" || len(host) < len(net["hostname"].(string)) {
		t.Errorf("networking.hostname = %q, os.Hostname() = %q", net["hostname"], host)
	}
	if f["kernel"] != "Linux" || f["kernelrelease"] == "" {
		t.Errorf("kernel facts: %v %v", f["kernel"], f["kernelrelease"])
	}
	if f["hostname"] != net["hostname"] || f["fqdn"] != net["fqdn"] {
		t.Errorf("legacy facts differ from structured ones: %v/%v vs %v/%v", f["hostname"], f["fqdn"], net["hostname"], net["fqdn"])
	}
	if id := f["identity"].(map[string]any); id["uid"] != int64(os.Getuid()) {
		t.Errorf("identity.uid = %v, want %d", id["uid"], os.Getuid())
	}
}

func TestExternalFacts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "# comment\nrole = web\n\ndatacenter=ams1\n")
	writeFile(t, filepath.Join(dir, "b.json"), `{"rack": {"row": 4, "slot": 1.5}, "role": "db"}`)
	writeFile(t, filepath.Join(dir, "c.yaml"), "tier: gold\nports: [80, 443]\n")
	writeFile(t, filepath.Join(dir, "ignored.md"), "not = a fact\n")

	f, err := Gather(Options{
		ExternalDirs: []string{dir, filepath.Join(dir, "missing")},
		Environ:      []string{"FACTER_Tier=platinum", "FACTER_=x", "PATH=/bin", "facter_lower=yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"role":       "db", // b.json sorts after a.txt and wins
		"datacenter": "ams1",
		"rack":       map[string]any{"row": int64(4), "slot": 1.5},
		"tier":       "platinum", // environment beats facts.d
		"ports":      []any{int64(80), int64(443)},
		"lower":      "yes",
	}
	for k, w := range want {
		if diff := cmp.Diff(w, f[k]); diff != "" {
			t.Errorf("fact %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := f["ignored"]; ok {
		t.Error("a .md file was read as facts")
	}
}

func TestMalformedExternalFactsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.json")
	writeFile(t, bad, `{"role": `)
	_, err := Gather(Options{ExternalDirs: []string{dir}, Environ: []string{}})
	if err == nil {
		t.Fatal("want an error for malformed JSON facts")
	}
	if got := err.Error(); !contains(got, bad) {
		t.Errorf("error %q does not name %s", got, bad)
	}
	writeFile(t, bad, `{}`)
	writeFile(t, filepath.Join(dir, "x.txt"), "no equals sign\n")
	if _, err := Gather(Options{ExternalDirs: []string{dir}, Environ: []string{}}); err == nil || !contains(err.Error(), "x.txt: line 1") {
		t.Errorf("want a located error for x.txt, got %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
