package agent

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gapply/gapply/config"
	"github.com/gapply/gapply/gitsync"
	"github.com/gapply/gapply/server/client"
)

// DefaultConfigFile is where `gapply agent` reads its configuration.
const DefaultConfigFile = "/etc/gapply/gapply.hcl"

// DefaultSSLDir holds the node's credentials in catalog mode; `gapply ca`
// and `gapply master` default to the same directory, as Puppet's agent and
// server share one ssldir (each under its own certname).
const DefaultSSLDir = "/etc/gapply/ssl"

// Config is the agent's configuration file (/etc/gapply/gapply.hcl). Every
// setting can also be given as a flag or a GAPPLY_* environment variable
// (see package config); Defaults holds the documented defaults.
type Config struct {
	Environment   string        `hcl:"environment" doc:"the environment: the branch of the repository to apply (in catalog mode, the one asked of the master)"`
	Certname      string        `hcl:"certname" doc:"the node's name for node matching, and its certificate's in catalog mode; the fqdn fact when empty"`
	Manifest      string        `hcl:"manifest" doc:"the manifest file or directory, relative to the repository's top (git mode)"`
	Modulepath    string        `hcl:"modulepath" doc:"colon-separated module directories, relative to the repository's top (git mode)"`
	Vardir        string        `hcl:"vardir" doc:"state directory: checkouts, reports, filebucket, run lock"`
	ExternalFacts []string      `hcl:"external_facts" doc:"directories of external facts (*.json, *.yaml, *.txt)"`
	Schedule      string        `hcl:"schedule" doc:"when the daemon runs: a cron expression (5 fields) or @every 30m, @hourly..."`
	Splay         time.Duration `hcl:"splay" doc:"random delay up to this long before each scheduled run, so a fleet does not run at once"`
	OnlyIfChanged bool          `hcl:"only_if_changed" doc:"skip the apply when neither the commit nor the facts changed since the last successful run (git mode)"`
	Noop          bool          `hcl:"noop" doc:"check only: report what would change, change nothing"`
	Parallel      int           `hcl:"parallel" doc:"resources checked and changed at once"`
	RunTimeout    time.Duration `hcl:"run_timeout" doc:"a run (sync, compile, apply) is interrupted after this long"`

	// Catalog mode (DESIGN.md section 7), with Puppet's setting names: a
	// non-empty Server switches the agent from its git checkout to
	// catalogs compiled by masters.
	Server            string        `hcl:"server" doc:"catalog mode: the master (or the balancer in front of the masters) that compiles this node's catalog; when set, repository, manifest and modulepath are not used"`
	CAServer          string        `hcl:"ca_server" doc:"catalog mode: the certificate authority's host; server when empty"`
	MasterPort        int           `hcl:"masterport" doc:"catalog mode: the HTTPS port of server"`
	CAPort            int           `hcl:"ca_port" doc:"catalog mode: the HTTPS port of ca_server; masterport when 0"`
	SSLDir            string        `hcl:"ssldir" doc:"catalog mode: the node's key (0600), certificate request, certificate, CA certificate and CRL, in Puppet's layout"`
	WaitForCert       time.Duration `hcl:"waitforcert" doc:"catalog mode: while the node's certificate request is not signed, ask the CA again this often; 0 fails the run at once"`
	MaxWaitForCert    time.Duration `hcl:"maxwaitforcert" doc:"catalog mode: stop waiting for the signature after this long and fail the run; 0 waits as long as run_timeout allows"`
	UseCacheOnFailure bool          `hcl:"usecacheonfailure" doc:"catalog mode: when the master cannot be reached or fails to compile, apply the last catalog it sent, and say so in the report, summary and metrics; a refusal (revoked, forbidden) never falls back"`

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
		Environment:       gitsync.DefaultBranch,
		Manifest:          "manifests",
		Modulepath:        "modules",
		Vardir:            "/var/lib/gapply",
		ExternalFacts:     []string{"/etc/gapply/facts.d"},
		Schedule:          "*/30 * * * *",
		Splay:             5 * time.Minute,
		Parallel:          1,
		RunTimeout:        30 * time.Minute,
		MasterPort:        client.DefaultPort,
		SSLDir:            DefaultSSLDir,
		WaitForCert:       2 * time.Minute,
		UseCacheOnFailure: true,
		Repository:        RepositoryConfig{Depth: 1, Keep: gitsync.DefaultKeep},
		Trigger:           TriggerConfig{ReplayWindow: 5 * time.Minute, RateLimit: 30},
		Report:            ReportConfig{Keep: 10},
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
	if c.Server == "" && c.Repository.URL == "" {
		add("repository.url", "No repository URL", "The agent needs the URL of the manifest repository, or a server to get catalogs from (catalog mode).")
	}
	ps = append(ps, c.checkCatalogMode()...)
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
	// Secrets lose the newline an editor leaves; a keyring and a CA bundle
	// are kept as written.
	for _, f := range []struct {
		path string
		trim bool
		dst  func([]byte)
	}{
		{r.PasswordFile, true, func(b []byte) { src.Auth.Password = string(b) }},
		{r.TokenFile, true, func(b []byte) { src.Auth.Token = string(b) }},
		{r.Keyring, false, func(b []byte) { src.Keyring = string(b) }},
		{r.CAFile, false, func(b []byte) { src.Auth.CABundle = b }},
	} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if err != nil {
			return src, err
		}
		if f.trim {
			data = bytes.TrimSpace(data)
		}
		f.dst(data)
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
