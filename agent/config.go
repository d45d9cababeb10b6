package agent

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/gitsync"
)

// DefaultConfigFile is where `gapply agent` reads its configuration.
const DefaultConfigFile = "/etc/gapply/gapply.hcl"

// Config is the agent's configuration file (/etc/gapply/gapply.hcl). Every
// setting can also be given as a flag or a GAPPLY_* environment variable
// (see package config); Defaults holds the documented defaults.
type Config struct {
	Environment   string        `hcl:"environment" doc:"the environment: the branch of the repository to apply"`
	Certname      string        `hcl:"certname" doc:"the node's name for node matching; the fqdn fact when empty"`
	Manifest      string        `hcl:"manifest" doc:"the manifest file or directory, relative to the repository's top"`
	Modulepath    string        `hcl:"modulepath" doc:"colon-separated module directories, relative to the repository's top"`
	Vardir        string        `hcl:"vardir" doc:"state directory: checkouts, reports, filebucket, run lock"`
	ExternalFacts []string      `hcl:"external_facts" doc:"directories of external facts (*.json, *.yaml, *.txt)"`
	Schedule      string        `hcl:"schedule" doc:"when the daemon runs: a cron expression (5 fields) or @every 30m, @hourly..."`
	Splay         time.Duration `hcl:"splay" doc:"random delay up to this long before each scheduled run, so a fleet does not run at once"`
	OnlyIfChanged bool          `hcl:"only_if_changed" doc:"skip the apply when neither the commit nor the facts changed since the last successful run"`
	Noop          bool          `hcl:"noop" doc:"check only: report what would change, change nothing"`
	Parallel      int           `hcl:"parallel" doc:"resources checked and changed at once"`
	RunTimeout    time.Duration `hcl:"run_timeout" doc:"a run (sync, compile, apply) is interrupted after this long"`

	Repository RepositoryConfig `hcl:"repository,block"`
	Trigger    TriggerConfig    `hcl:"trigger,block"`
	Report     ReportConfig     `hcl:"report,block"`
}

// RepositoryConfig says where the manifests come from (gitsync.Source).
// Secrets are read from files, so the configuration file itself can be
// world-readable and kept in version control.
type RepositoryConfig struct {
	URL                   string   `hcl:"url" doc:"URL of the manifest repository: https://, ssh://, git@host:path, git://, file:// or a path"`
	Mirrors               []string `hcl:"mirrors" doc:"URLs tried in order when url cannot be fetched from"`
	Depth                 int      `hcl:"depth" doc:"commits of history to fetch (0: all); shallow fetches save time and disk"`
	Keep                  int      `hcl:"keep" doc:"checked-out commits kept, the current one included"`
	Keyring               string   `hcl:"keyring" doc:"file of armored OpenPGP public keys; when set, only commits signed by one of them are applied"`
	Username              string   `hcl:"username" doc:"user name for https"`
	PasswordFile          string   `hcl:"password_file" doc:"file holding the https password"`
	TokenFile             string   `hcl:"token_file" doc:"file holding an https access token"`
	CAFile                string   `hcl:"ca_file" doc:"PEM file of extra CA certificates for https"`
	SSHKeyFile            string   `hcl:"ssh_key_file" doc:"private key for ssh URLs"`
	SSHUser               string   `hcl:"ssh_user" doc:"ssh login when the URL names none"`
	KnownHosts            []string `hcl:"known_hosts" doc:"known_hosts files for ssh; ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts when empty"`
	InsecureIgnoreHostKey bool     `hcl:"insecure_ignore_host_key" doc:"turn ssh host key checking off (bootstrap and tests only)"`
}

// TriggerConfig is the HTTP listener that lets a push schedule a run.
type TriggerConfig struct {
	Listen       string        `hcl:"listen" doc:"address to listen on for triggers (host:port); no listener when empty"`
	SecretFile   string        `hcl:"secret_file" doc:"file holding the shared secret triggers are signed with (HMAC-SHA256); required with listen"`
	ReplayWindow time.Duration `hcl:"replay_window" doc:"a trigger older or newer than this is refused, and one seen within it is refused again"`
	RateLimit    int           `hcl:"rate_limit" doc:"triggers accepted per minute; more are answered 429"`
}

// ReportConfig says what a run leaves behind besides the last report.
type ReportConfig struct {
	Keep           int    `hcl:"keep" doc:"reports of past runs kept under vardir/state/reports"`
	PrometheusFile string `hcl:"prometheus_file" doc:"write run metrics here in node_exporter's textfile format (e.g. /var/lib/prometheus/node-exporter/gapply.prom)"`
}

// Defaults returns the configuration every setting starts from.
func Defaults() *Config {
	return &Config{
		Environment:   gitsync.DefaultBranch,
		Manifest:      "manifests",
		Modulepath:    "modules",
		Vardir:        "/var/lib/gapply",
		ExternalFacts: []string{"/etc/gapply/facts.d"},
		Schedule:      "*/30 * * * *",
		Splay:         5 * time.Minute,
		Parallel:      1,
		RunTimeout:    30 * time.Minute,
		Repository:    RepositoryConfig{Depth: 1, Keep: gitsync.DefaultKeep},
		Trigger:       TriggerConfig{ReplayWindow: 5 * time.Minute, RateLimit: 30},
		Report:        ReportConfig{Keep: 10},
	}
}

// Load reads the configuration: path (none when ""), then GAPPLY_*
// variables, then the flags of fs. See config.Load.
func Load(path string, fs flagSet) (*Config, error) {
	cfg := Defaults()
	if diags := config.Load(path, cfg, fs); diags.HasErrors() {
		return nil, &ConfigError{Path: path, Diags: diags}
	}
	return cfg, nil
}

// scheduleParser accepts the five standard fields and the @ descriptors.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckConfig validates settings beyond their types (config.Checker).
func (c *Config) CheckConfig() []config.Problem {
	var ps []config.Problem
	add := func(setting, summary, detail string) {
		ps = append(ps, config.Problem{Setting: setting, Summary: summary, Detail: detail})
	}
	if c.Repository.URL == "" {
		add("repository.url", "No repository URL", "The agent needs the URL of the manifest repository.")
	}
	if _, err := scheduleParser.Parse(c.Schedule); err != nil {
		add("schedule", "Invalid schedule", fmt.Sprintf("%v. Write five cron fields (\"*/30 * * * *\") or a descriptor (\"@every 30m\", \"@hourly\").", err))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"splay", c.Splay}, {"trigger.replay_window", c.Trigger.ReplayWindow}} {
		if d.v < 0 {
			add(d.name, "Negative duration", "")
		}
	}
	if c.RunTimeout <= 0 {
		add("run_timeout", "Run timeout must be positive", "")
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"parallel", c.Parallel}, {"report.keep", c.Report.Keep}, {"trigger.rate_limit", c.Trigger.RateLimit}} {
		if n.v < 1 {
			add(n.name, fmt.Sprintf("%s must be at least 1", n.name), "")
		}
	}
	// The last good commit must survive while a newer one is refused.
	if c.Repository.Keep < 2 {
		add("repository.keep", "repository.keep must be at least 2", "The current commit and a refused newer one are both kept.")
	}
	if c.Repository.Depth < 0 {
		add("repository.depth", "Negative depth", "")
	}
	if c.Environment == "" || strings.ContainsAny(c.Environment, " /\\:~^?*[") {
		add("environment", "Invalid environment name", "An environment is a branch name without slashes or spaces.")
	}
	if c.Trigger.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Trigger.Listen); err != nil {
			add("trigger.listen", "Invalid listen address", err.Error()+`; write host:port, e.g. "0.0.0.0:8150".`)
		}
		if c.Trigger.SecretFile == "" {
			add("trigger.secret_file", "Triggers need a secret", "A trigger listener refuses to run without trigger.secret_file: unsigned triggers would let anyone start runs.")
		}
	}
	return ps
}

// source builds the gitsync source for environment, reading the secret
// files the configuration names.
func (c *Config) source(environment string) (gitsync.Source, error) {
	r := c.Repository
	src := gitsync.Source{
		URL: r.URL, Mirrors: r.Mirrors, Branch: environment, Depth: r.Depth,
		Auth: gitsync.Auth{
			Username: r.Username, SSHKeyFile: r.SSHKeyFile, SSHUser: r.SSHUser,
			KnownHostsFiles: r.KnownHosts, InsecureIgnoreHostKey: r.InsecureIgnoreHostKey,
		},
	}
	for _, f := range []struct {
		path string
		dst  *string
	}{{r.PasswordFile, &src.Auth.Password}, {r.TokenFile, &src.Auth.Token}, {r.Keyring, &src.Keyring}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if err != nil {
			return src, err
		}
		*f.dst = strings.TrimSpace(string(data))
		if f.dst == &src.Keyring {
			*f.dst = string(data)
		}
	}
	if r.CAFile != "" {
		data, err := os.ReadFile(r.CAFile)
		if err != nil {
			return src, err
		}
		src.Auth.CABundle = data
	}
	return src, nil
}

// Paths of the agent's state under Vardir.
func (c *Config) gitDir(environment string) string {
	return filepath.Join(c.Vardir, "git", environment)
}
func (c *Config) stateDir() string  { return filepath.Join(c.Vardir, "state") }
func (c *Config) bucketDir() string { return filepath.Join(c.Vardir, "clientbucket") }
func (c *Config) lockFile() string  { return filepath.Join(c.Vardir, "agent.lock") }
