package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"
)

type repo struct {
	URL     string   `hcl:"url" doc:"repository URL"`
	Mirrors []string `hcl:"mirrors" doc:"mirror URLs"`
}

type settings struct {
	Schedule string        `hcl:"schedule" doc:"cron schedule"`
	Splay    time.Duration `hcl:"splay" doc:"random delay"`
	Noop     bool          `hcl:"noop" doc:"check only"`
	Keep     int           `hcl:"keep" doc:"reports kept"`
	Vardir   string        `hcl:"vardir" flag:"state" env:"MY_STATE" doc:"state directory"`
	Repo     repo          `hcl:"repository,block"`
	internal string
}

func defaults() *settings {
	return &settings{Schedule: "*/30 * * * *", Splay: 5 * time.Minute, Keep: 10, Vardir: "/var/lib/x", internal: "kept"}
}

// CheckConfig refuses a negative keep and an empty URL.
func (s *settings) CheckConfig() []Problem {
	var ps []Problem
	if s.Keep < 1 {
		ps = append(ps, Problem{Setting: "keep", Summary: "keep must be at least 1"})
	}
	if s.Repo.URL == "" {
		ps = append(ps, Problem{Setting: "repository.url", Summary: "No repository URL"})
	}
	return ps
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gapply.hcl")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newFlags(into any) *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs, into)
	return fs
}

func TestDescribe(t *testing.T) {
	got := Describe(defaults())
	var names []string
	for _, s := range got {
		names = append(names, s.Name+" "+s.Flag+" "+s.Env+" "+s.Type+" "+s.Default)
	}
	want := []string{
		`schedule schedule GAPPLY_SCHEDULE string "*/30 * * * *"`,
		`splay splay GAPPLY_SPLAY duration "5m0s"`,
		`noop noop GAPPLY_NOOP bool false`,
		`keep keep GAPPLY_KEEP int 10`,
		`vardir state MY_STATE string "/var/lib/x"`,
		`repository.url repository-url GAPPLY_REPOSITORY_URL string ""`,
		`repository.mirrors repository-mirrors GAPPLY_REPOSITORY_MIRRORS list of strings []`,
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestPrecedence(t *testing.T) {
	path := writeFile(t, `
schedule = "0 * * * *"
splay    = "30s"
keep     = 3
noop     = true
repository {
  url     = "https://git.example.com/site.git"
  mirrors = ["https://m1/site.git", "https://m2/site.git"]
}
`)
	t.Setenv("GAPPLY_SPLAY", "1m")
	t.Setenv("GAPPLY_KEEP", "4")
	t.Setenv("MY_STATE", "/env/state")
	cfg := defaults()
	fs := newFlags(cfg)
	if err := fs.Parse([]string{"--keep", "7", "--repository-mirrors", "a,b", "--repository-mirrors", "c"}); err != nil {
		t.Fatal(err)
	}
	if diags := Load(path, cfg, fs); diags.HasErrors() {
		t.Fatal(diags)
	}
	want := &settings{
		Schedule: "0 * * * *",  // file beats default
		Splay:    time.Minute,  // env beats file
		Noop:     true,         // file
		Keep:     7,            // flag beats env and file
		Vardir:   "/env/state", // env beats default, custom name
		Repo:     repo{URL: "https://git.example.com/site.git", Mirrors: []string{"a", "b", "c"}},
		internal: "kept",
	}
	if diff := cmp.Diff(want, cfg, cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestNoFileKeepsDefaults(t *testing.T) {
	cfg := defaults()
	t.Setenv("GAPPLY_REPOSITORY_URL", "file:///srv/git/site.git")
	if diags := Load("", cfg, nil); diags.HasErrors() {
		t.Fatal(diags)
	}
	want := defaults()
	want.Repo.URL = "file:///srv/git/site.git"
	if diff := cmp.Diff(want, cfg, cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

// diagLines renders diagnostics as "line:col: summary: detail" for tables.
func diagLines(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		loc := "-"
		if d.Subject != nil {
			loc = fmt.Sprintf("%d:%d", d.Subject.Start.Line, d.Subject.Start.Column)
		}
		out = append(out, loc+": "+d.Summary+": "+d.Detail)
	}
	sort.Strings(out)
	return out
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		flags      []string
		want       []string
	}{
		{
			name: "unknown setting with suggestion",
			file: "schedul = \"x\"\nrepository {\n  ulr = \"y\"\n}\n",
			want: []string{
				`1:1: Unsupported argument: An argument named "schedul" is not expected here. Did you mean "schedule"?`,
				`3:3: Unsupported argument: An argument named "ulr" is not expected here. Did you mean "url"?`,
			},
		},
		{
			name: "unknown block",
			file: "repo {\n}\n",
			want: []string{`1:1: Unsupported block type: Blocks of type "repo" are not expected here.`},
		},
		{
			name: "wrong types",
			file: "keep = \"many\"\nnoop = 3\nsplay = \"soon\"\nrepository {\n  url = \"u\"\n  mirrors = \"m\"\n}\n",
			want: []string{
				`1:8: Invalid value for keep: A whole number is required, not string.`,
				`2:8: Invalid value for noop: A bool is required, not number.`,
				`3:9: Invalid value for splay: "soon" is not a duration (like "90s", "5m" or "1h30m")`,
				`6:13: Invalid value for repository.mirrors: A list of strings is required, not string.`,
			},
		},
		{
			name: "fractional int",
			file: "keep = 1.5\nrepository {\n  url = \"u\"\n}\n",
			want: []string{`1:8: Invalid value for keep: A whole number is required.`},
		},
		{
			name: "duplicate block",
			file: "repository {\n  url = \"u\"\n}\nrepository {\n}\n",
			want: []string{`4:1: Duplicate repository block: A repository block was already defined at gapply.hcl:1,1-11; merge them into one.`},
		},
		{
			name: "syntax error",
			file: "keep = = 3\n",
			want: []string{`1:8: Invalid expression: Expected the start of an expression, but found an invalid expression token.`},
		},
		{
			name: "checker problem located in the file",
			file: "keep = 0\nrepository {\n  url = \"u\"\n}\n",
			want: []string{`1:8: keep must be at least 1: `},
		},
		{
			name: "checker problem from a default",
			file: "keep = 2\n",
			want: []string{`-: No repository URL: The setting "repository.url" has its default value; set it in the configuration file, with --repository-url or with $GAPPLY_REPOSITORY_URL.`},
		},
		{
			name: "checker problem from the environment",
			file: "repository {\n  url = \"u\"\n}\n",
			env:  map[string]string{"GAPPLY_KEEP": "-1"},
			want: []string{`-: keep must be at least 1: Set by environment variable GAPPLY_KEEP.`},
		},
		{
			name:  "bad flag and bad environment variable",
			file:  "repository {\n  url = \"u\"\n}\n",
			env:   map[string]string{"GAPPLY_NOOP": "maybe"},
			flags: []string{"--splay=fast"},
			want: []string{
				`-: Invalid value for noop: environment variable GAPPLY_NOOP: "maybe" is not true or false`,
				`-: Invalid value for splay: flag --splay: "fast" is not a duration (like "90s", "5m" or "1h30m")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg := defaults()
			fs := newFlags(cfg)
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, tt.file)
			diags := Load(path, cfg, fs)
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Filename != path {
					t.Errorf("diagnostic names file %q, want %q", d.Subject.Filename, path)
				}
			}
			got := diagLines(diags)
			for i := range got {
				got[i] = strings.ReplaceAll(got[i], path, "gapply.hcl")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	diags := Load(filepath.Join(t.TempDir(), "nope.hcl"), defaults(), nil)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "nope.hcl") {
		t.Errorf("missing file: %v, want an error naming it", diags)
	}
}

func TestFlagUsage(t *testing.T) {
	fs := newFlags(defaults())
	usage := fs.FlagUsages()
	for _, want := range []string{
		`--splay duration`, `random delay (default "5m0s") [$GAPPLY_SPLAY]`,
		`--state string`, `[$MY_STATE]`, `--noop `, `--repository-mirrors strings`,
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage lacks %q:\n%s", want, usage)
		}
	}
	// A bare boolean flag means true.
	if err := fs.Parse([]string{"--noop"}); err != nil {
		t.Fatal(err)
	}
	cfg := defaults()
	cfg.Repo.URL = "u"
	if diags := Load("", cfg, fs); diags.HasErrors() || !cfg.Noop {
		t.Errorf("--noop: noop=%v diags=%v", cfg.Noop, diags)
	}
}

func TestMarkdownTable(t *testing.T) {
	got := MarkdownTable(defaults())
	for _, want := range []string{
		"| `splay` | `--splay` | `GAPPLY_SPLAY` | `\"5m0s\"` | random delay |",
		"| `repository.url` | `--repository-url` | `GAPPLY_REPOSITORY_URL` | (none) | repository URL |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
