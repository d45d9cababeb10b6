package client

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/engine"
	"github.com/gapply/gapply/facts"
	"github.com/gapply/gapply/report"
	"github.com/gapply/gapply/resources/filebucket"
)

func (c *Client) masterURL() string { return baseURL(c.cfg.Server, c.cfg.Port) }

func (c *Client) ready() error {
	if c.http == nil {
		return errors.New("agent: Bootstrap has not succeeded")
	}
	return nil
}

// Catalog posts the node's facts and returns its catalog as the master
// compiled it, with its JSON.
func (c *Client) Catalog(ctx context.Context, nodeFacts map[string]any) (*catalog.Catalog, []byte, error) {
	if err := c.ready(); err != nil {
		return nil, nil, err
	}
	doc, err := json.Marshal(map[string]any{"name": c.cfg.Certname, "values": nodeFacts})
	if err != nil {
		return nil, nil, fmt.Errorf("agent: encoding facts: %w", err)
	}
	form := url.Values{"facts_format": {"application/json"}, "facts": {string(doc)}}
	u := fmt.Sprintf("%s/puppet/v3/catalog/%s?environment=%s", c.masterURL(), url.PathEscape(c.cfg.Certname), url.QueryEscape(c.cfg.Environment))
	data, err := do(ctx, c.http, http.MethodPost, u, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil && StatusOf(err) == 0 && !handshakeRefused(err) && !dialFailed(err) {
		// Connected, then cut off. A master that rejects the certificate
		// in a TLS 1.3 handshake may close the connection before the
		// client has read its alert; ask again in TLS 1.2, where the
		// verdict is part of the handshake.
		if perr := c.probeHandshake(ctx); handshakeRefused(perr) {
			err = perr
		}
	}
	if handshakeRefused(err) {
		return nil, nil, fmt.Errorf("agent: the master refused the certificate of %s in the TLS handshake (revoked? `gapply ca list --all` on the CA tells): %w", c.cfg.Certname, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("agent: retrieving the catalog: %w", err)
	}
	cat, err := catalog.Unmarshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	if cat.Name != c.cfg.Certname {
		return nil, nil, fmt.Errorf("agent: the master sent the catalog of %q", cat.Name)
	}
	return cat, data, nil
}

// SendReport sends a run report to the master.
func (c *Client) SendReport(ctx context.Context, rep *report.Report) error {
	if err := c.ready(); err != nil {
		return err
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	u := fmt.Sprintf("%s/puppet/v3/report/%s?environment=%s", c.masterURL(), url.PathEscape(c.cfg.Certname), url.QueryEscape(c.cfg.Environment))
	if _, err := do(ctx, c.http, http.MethodPut, u, "application/json", data); err != nil {
		return fmt.Errorf("agent: sending the report: %w", err)
	}
	return nil
}

// FileMetadata is the master's description of a served file (see package
// server); only the fields the agent uses.
type FileMetadata struct {
	RelativePath string `json:"relative_path"`
	Type         string `json:"type"`
	Checksum     struct {
		Value string `json:"value"`
	} `json:"checksum"`
	Destination string `json:"destination"`
}

// FetchFiles downloads every puppet:///modules/ source the catalog's file
// resources name, with everything below source directories, into
// dir/NAME/files/..., the layout of a module directory: the returned
// module path lets the file type resolve those sources locally. A source the
// master does not have is skipped; the resource then fails as in Puppet.
// The metadata of every source is asked for on every run, but a file that
// the last run fetched to the same place with the checksum the master
// gives now is kept rather than downloaded again: most runs change no
// source, and every agent of a fleet runs every half hour.
func (c *Client) FetchFiles(ctx context.Context, cat *catalog.Catalog, dir string) ([]string, error) {
	if err := c.ready(); err != nil {
		return nil, err
	}
	f := fetch{dir: dir, previous: dir + ".previous"}
	if err := os.RemoveAll(f.previous); err != nil {
		return nil, err
	}
	if err := os.Rename(dir, f.previous); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	defer os.RemoveAll(f.previous)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range cat.Resources {
		if r.Type != "File" {
			continue
		}
		for _, src := range sourcesOf(r.Parameters["source"]) {
			rel, ok := moduleSource(src)
			if !ok || seen[rel] {
				continue
			}
			seen[rel] = true
			if err := c.fetchTree(ctx, rel, f); err != nil {
				return nil, err
			}
		}
	}
	return []string{dir}, nil
}

func sourcesOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// moduleSource returns "NAME/REST" for puppet:///modules/NAME/REST (any
// server named in the URL: the agent always asks its own master).
func moduleSource(src string) (string, bool) {
	u, err := url.Parse(src)
	if err != nil || u.Scheme != "puppet" {
		return "", false
	}
	rel, ok := strings.CutPrefix(path.Clean(u.Path), "/modules/")
	if !ok || !strings.Contains(rel, "/") {
		return "", false
	}
	return rel, true
}

// fetch is where FetchFiles puts the files of this run, and where the last
// run's are until it ends.
type fetch struct {
	dir, previous string
}

// fetchTree fetches the metadata of modules/rel (recursively) and the
// content of each file in it.
func (c *Client) fetchTree(ctx context.Context, rel string, f fetch) error {
	q := url.Values{"environment": {c.cfg.Environment}, "recurse": {"true"}, "links": {"manage"}}
	u := c.masterURL() + "/puppet/v3/file_metadatas/modules/" + escapePath(rel) + "?" + q.Encode()
	data, err := do(ctx, c.http, http.MethodGet, u, "", nil)
	if StatusOf(err) == http.StatusNotFound {
		c.log.Debug("source not on the master", "source", "puppet:///modules/"+rel)
		return nil
	}
	if err != nil {
		return fmt.Errorf("agent: file metadata: %w", err)
	}
	var metas []FileMetadata
	if err := json.Unmarshal(data, &metas); err != nil {
		return fmt.Errorf("agent: file metadata for %s: %w", rel, err)
	}
	module, rest, _ := strings.Cut(rel, "/")
	base := filepath.Join(module, "files", filepath.FromSlash(rest))
	for _, m := range metas {
		if !filepathLocal(m.RelativePath) {
			return fmt.Errorf("agent: the master sent an unsafe path %q for %s", m.RelativePath, rel)
		}
		local := filepath.Join(base, filepath.FromSlash(m.RelativePath))
		sub := path.Join(rel, m.RelativePath)
		if err := c.fetchOne(ctx, m, sub, f, local); err != nil {
			return err
		}
	}
	return nil
}

// reuse moves the file the last run fetched to local into this run's
// tree if its content has the checksum want, and reports whether it did.
// Only a regular file reached through real directories is reused: the last
// run's tree holds the master's symbolic links (links=manage), and one that
// became a directory on the master must not lead the rename to a file of
// the node.
func (f fetch) reuse(local, want string) bool {
	old := f.previous
	for _, part := range strings.Split(local, string(filepath.Separator)) {
		old = filepath.Join(old, part)
		st, err := os.Lstat(old)
		if err != nil || st.Mode()&fs.ModeSymlink != 0 {
			return false
		}
	}
	data, err := os.ReadFile(old)
	if err != nil || want != sha256Sum(data) {
		return false
	}
	target := filepath.Join(f.dir, local)
	return os.MkdirAll(filepath.Dir(target), 0o755) == nil && os.Rename(old, target) == nil
}

func sha256Sum(data []byte) string {
	sum := sha256.Sum256(data)
	return "{sha256}" + hex.EncodeToString(sum[:])
}

func filepathLocal(p string) bool { return p == "." || filepath.IsLocal(filepath.FromSlash(p)) }

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func (c *Client) fetchOne(ctx context.Context, m FileMetadata, rel string, f fetch, local string) error {
	target := filepath.Join(f.dir, local)
	switch m.Type {
	case "directory":
		return os.MkdirAll(target, 0o755)
	case "link":
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.Symlink(m.Destination, target)
	case "file":
		if want := m.Checksum.Value; want != "" && f.reuse(local, want) {
			c.log.Debug("source unchanged since the last run", "source", "puppet:///modules/"+rel)
			return nil
		}
		u := c.masterURL() + "/puppet/v3/file_content/modules/" + escapePath(rel) + "?environment=" + url.QueryEscape(c.cfg.Environment)
		data, err := do(ctx, c.http, http.MethodGet, u, "", nil)
		if err != nil {
			return fmt.Errorf("agent: file content: %w", err)
		}
		if want := m.Checksum.Value; want != "" && want != sha256Sum(data) {
			return fmt.Errorf("agent: content of puppet:///modules/%s does not match its checksum %s (changed on the master during the run?)", rel, want)
		}
		// This run's tree starts empty: a plain write, without
		// writeFile's fsync and rename, which only a file that is
		// replaced needs.
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	}
	return fmt.Errorf("agent: puppet:///modules/%s has unknown type %q", rel, m.Type)
}

// RunOptions configure one agent run.
type RunOptions struct {
	// VarDir holds the cached catalog, fetched files, filebucket and reports.
	VarDir string
	// Facts are the facts sent to the master; nil gathers them with
	// FactsOptions.
	Facts        map[string]any
	FactsOptions facts.Options
	// UseCachedCatalog applies the last catalog received when the master
	// cannot be reached or fails to compile (Puppet's usecacheonfailure).
	// A refusal (4xx) never falls back: a revoked or unknown node must not
	// go on as if nothing happened.
	UseCachedCatalog bool
	// Engine are the apply options; Bucket and ModulePath are set by Run.
	Engine engine.Options
	// Record, when set, records the applied run in place of saving the
	// report under VarDir/state, before the report is sent: the agent
	// completes the report there (a cached catalog is a fallback, which
	// its history, summary and metrics show) so that the master gets the
	// same report. Its error is returned by Run.
	Record func(*Outcome) error
}

// Outcome is what Run did.
type Outcome struct {
	Report *report.Report
	// Cached says the catalog applied was the cached one, and CatalogError
	// why the master's could not be had.
	Cached       bool
	CatalogError error
	// ReportError is set when the report could not be sent.
	ReportError error
}

// Run does one agent run: facts, catalog (or the cached one), files, apply,
// report saved under VarDir/state and sent to the master. An error means
// nothing was applied.
func (c *Client) Run(ctx context.Context, opts RunOptions) (*Outcome, error) {
	if opts.VarDir == "" {
		return nil, errors.New("agent: no vardir")
	}
	nodeFacts := opts.Facts
	if nodeFacts == nil {
		var err error
		if nodeFacts, err = facts.Gather(opts.FactsOptions); err != nil {
			return nil, err
		}
	}
	out := &Outcome{}
	cachePath := filepath.Join(opts.VarDir, "client_data", "catalog", c.cfg.Certname+".json")
	cat, data, err := c.Catalog(ctx, nodeFacts)
	switch {
	case err == nil:
		if werr := writeFile(cachePath, data, 0o600); werr != nil {
			c.log.Warn("cannot cache the catalog", "err", werr)
		}
	case !opts.UseCachedCatalog || Refused(err):
		return nil, err
	default:
		out.Cached, out.CatalogError = true, err
		cached, rerr := os.ReadFile(cachePath)
		if rerr != nil {
			return nil, fmt.Errorf("%w; and there is no cached catalog to fall back on", err)
		}
		if cat, err = catalog.Unmarshal(cached); err != nil {
			return nil, fmt.Errorf("agent: cached catalog %s: %w", cachePath, err)
		}
		c.log.Warn("using the cached catalog", "version", cat.Version, "err", out.CatalogError)
	}
	filesDir := filepath.Join(opts.VarDir, "client_data", "files")
	eopts := opts.Engine
	eopts.Bucket = filebucket.New(filepath.Join(opts.VarDir, "clientbucket"))
	if out.Cached {
		eopts.ModulePath = []string{filesDir} // the files fetched with the cached catalog
	} else if eopts.ModulePath, err = c.FetchFiles(ctx, cat, filesDir); err != nil {
		return nil, err
	}
	rep, err := engine.Apply(ctx, cat, eopts)
	if rep == nil {
		return nil, err
	}
	out.Report = rep
	var recordErr error
	if opts.Record != nil {
		recordErr = opts.Record(out)
	} else if err := rep.Save(filepath.Join(opts.VarDir, "state")); err != nil {
		c.log.Warn("cannot save the run report", "err", err)
	}
	if out.ReportError = c.SendReport(ctx, rep); out.ReportError != nil {
		c.log.Warn("cannot send the report", "err", out.ReportError)
	}
	return out, errors.Join(err, recordErr)
}

// Refused says the CA or master was reached and turned this node away: an
// answer 4xx (forbidden, unknown node) or a TLS alert in the handshake (a
// revoked certificate, or one from another CA). A node that was refused
// must not go on with its cached catalog as if the master were merely down.
func Refused(err error) bool {
	return StatusOf(err)/100 == 4 || handshakeRefused(err)
}

// dialFailed says the connection could not even be made (refused, no
// route, unknown host, dial timeout): the master cannot be reached.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// probeHandshake connects to the master with TLS 1.2 at most and returns
// the handshake's error: in TLS 1.2 the server's verdict on the client
// certificate arrives before the handshake completes, so a rejection is
// always seen as the master's alert.
func (c *Client) probeHandshake(ctx context.Context) error {
	tr, ok := c.http.Transport.(*http.Transport)
	if !ok {
		return nil
	}
	tc := tr.TLSClientConfig.Clone()
	tc.MaxVersion = tls.VersionTLS12
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: tc}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(c.cfg.Server, strconv.Itoa(c.cfg.Port)))
	if err == nil {
		conn.Close()
	}
	return err
}

// handshakeRefused says the peer ended the TLS connection with an alert,
// which crypto/tls reports as a net.OpError "remote error".
func handshakeRefused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}
