package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/gitsync"
)

// DefaultPort is Puppet's masterport, which gapply keeps.
const DefaultPort = 8140

// Limits on what a client may send. A catalog request carries the node's
// facts (tens of KiB on a real machine), a report one entry per resource.
const (
	DefaultMaxBody     = 8 << 20
	maxHeaderBytes     = 64 << 10
	readHeaderTimeout  = 10 * time.Second
	readTimeout        = 60 * time.Second
	writeTimeout       = 120 * time.Second
	idleTimeout        = 120 * time.Second
	defaultSyncEvery   = 30 * time.Second
	defaultCacheSize   = 10000
	defaultReportsKept = 10
)

// Options configure a Server. The zero value of every optional field is a
// sensible default; Validate checks them.
type Options struct {
	// Certificate is the server's own TLS certificate (for the names agents
	// and the balancer dial).
	Certificate tls.Certificate
	// CACertFile and CRLFile are the CA certificate that client certificates
	// must chain to and the CRL checked on every handshake. The CRL file is
	// re-read whenever it changes, so a revocation written by the CA (or
	// copied from it) takes effect on the next connection.
	CACertFile, CRLFile string

	// CA, when set, makes this server also serve the CA API (/puppet-ca/v1/),
	// as `gapply master --ca` and `gapply ca serve` do.
	CA *ca.CA

	// Repo is where manifests come from; each environment is a branch of it
	// (Repo.Branch is ignored). Empty Repo.URL serves no catalogs (a CA-only
	// server).
	Repo gitsync.Source
	// CodeDir keeps one gitsync state directory per environment.
	CodeDir string
	// SyncEvery is how old an environment's checkout may get before a
	// request fetches it again; default 30s. Requests in between are served
	// from the checkout they have, and a failed fetch keeps the last good
	// commit.
	SyncEvery time.Duration
	// Manifest is the main manifest file or directory inside an environment's
	// tree; default "manifests" (Puppet's environment layout).
	Manifest string
	// ModuleDirs are the module directories inside an environment's tree;
	// default ["modules"].
	ModuleDirs []string

	// Admins are certificate names (or globs as in autosign: "*.admin.example")
	// allowed every endpoint: other nodes' catalogs, and certificate_status.
	Admins []string
	// Proxy configures trust in TLS-terminating balancers.
	Proxy ProxyOptions
	// ReportDir receives reports, one directory per node; empty discards them.
	ReportDir string
	// ReportsKept is how many reports are kept per node; default 10.
	ReportsKept int
	// CacheSize bounds the number of compiled catalogs kept; default 10000.
	CacheSize int
	// MaxBody bounds request bodies; default DefaultMaxBody.
	MaxBody int64
	// Log receives one line per request at debug level, and errors.
	Log *log.Logger
}

// Server is a master: the HTTP handler plus the TLS settings it must be
// served with. Its methods are safe for concurrent use.
type Server struct {
	opts     Options
	proxy    ProxyOptions
	admins   ca.AutosignPolicy
	verifier *crlWatcher
	envs     *environments
	cache    *catalogCache
	log      *log.Logger
	mux      *http.ServeMux
}

// New checks opts and returns a server. It reads the CA certificate and CRL
// at once, so a missing file is reported before anything listens.
func New(opts Options) (*Server, error) {
	if len(opts.Certificate.Certificate) == 0 {
		return nil, errors.New("server: no TLS certificate")
	}
	if opts.CACertFile == "" || opts.CRLFile == "" {
		return nil, errors.New("server: the CA certificate and CRL files are required")
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.ReportsKept <= 0 {
		opts.ReportsKept = defaultReportsKept
	}
	if opts.Log == nil {
		opts.Log = log.New(io.Discard)
	}
	admins, err := ca.NewAllowlist(opts.Admins...)
	if err != nil {
		return nil, fmt.Errorf("server: admins: %w", err)
	}
	if len(opts.Admins) == 0 {
		admins = ca.AutosignPolicy{}
	}
	w, err := newCRLWatcher(opts.CACertFile, opts.CRLFile, opts.Log)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		opts:     opts,
		proxy:    opts.Proxy.withDefaults(),
		admins:   admins,
		verifier: w,
		cache:    newCatalogCache(opts.CacheSize),
		log:      opts.Log,
	}
	if opts.Repo.URL != "" {
		if s.envs, err = newEnvironments(opts); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	s.routes()
	return s, nil
}

// TLSConfig is the configuration the server must be served with: a client
// certificate is optional (the CA endpoints serve clients without one), but
// one that is presented must chain to the CA and not be in the current CRL,
// or the handshake fails.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		Certificates:     []tls.Certificate{s.opts.Certificate},
		ClientAuth:       tls.VerifyClientCertIfGiven,
		ClientCAs:        s.verifier.Pool(),
		VerifyConnection: s.verifier.VerifyConnection,
	}
}

// HTTPServer returns an http.Server for the handler with bounded header
// sizes and timeouts, so a slow or hostile client cannot hold a connection
// or memory for long.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          s.log.StandardLog(log.StandardLogOptions{ForceLevel: log.DebugLevel}),
	}
}

// Serve accepts TLS connections on l until ctx ends, then shuts down,
// letting requests in progress finish for up to five seconds.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := s.HTTPServer()
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(l, "", "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP authenticates the request and dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	id, err := s.identify(r)
	if err != nil {
		s.log.Warn("refused client identity", "remote", r.RemoteAddr, "path", r.URL.Path, "err", err)
		httpError(rw, http.StatusForbidden, "Forbidden request: %v", err)
	} else {
		r.Body = http.MaxBytesReader(rw, r.Body, s.opts.MaxBody)
		s.mux.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	}
	s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "client", id.Certname,
		"remote", r.RemoteAddr, "status", rw.status, "ms", time.Since(start).Milliseconds())
}

type identityKey struct{}

func identityOf(r *http.Request) Identity {
	id, _ := r.Context().Value(identityKey{}).(Identity)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// httpError writes a plain-text error, as Puppet Server does.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}

// access is who may use an endpoint, following Puppet Server's default
// auth.conf.
type access int

const (
	anyone        access = iota // no certificate needed (CA bootstrap, health checks)
	authenticated               // any node with a valid certificate
	ownNode                     // the node named in the path, or an admin
	adminOnly                   // an allowlisted admin certificate
)

// guard wraps h with the access rule; for ownNode, the node is the path
// value "node".
func (s *Server) guard(a access, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := identityOf(r)
		var ok bool
		switch a {
		case anyone:
			ok = true
		case authenticated:
			ok = id.Authenticated()
		case ownNode:
			ok = id.Authenticated() && (id.Certname == r.PathValue("node") || s.admins.Allows(id.Certname))
		case adminOnly:
			ok = id.Authenticated() && s.admins.Allows(id.Certname)
		}
		if !ok {
			who := "an unauthenticated client"
			if id.Authenticated() {
				who = fmt.Sprintf("%q", id.Certname)
			}
			httpError(w, http.StatusForbidden, "Forbidden request: %s access to %s (method %s)", who, r.URL.Path, r.Method)
			return
		}
		h(w, r)
	}
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /status/v1/simple", s.guard(anyone, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "running")
	}))
	if s.envs != nil {
		m.HandleFunc("POST /puppet/v3/catalog/{node}", s.guard(ownNode, s.handleCatalog))
		m.HandleFunc("GET /puppet/v3/catalog/{node}", s.guard(ownNode, s.handleCatalog))
		m.HandleFunc("GET /puppet/v3/file_metadata/{mount}/{path...}", s.guard(authenticated, s.handleFileMetadata))
		m.HandleFunc("GET /puppet/v3/file_metadatas/{mount}/{path...}", s.guard(authenticated, s.handleFileMetadata))
		m.HandleFunc("GET /puppet/v3/file_content/{mount}/{path...}", s.guard(authenticated, s.handleFileContent))
		m.HandleFunc("PUT /puppet/v3/report/{node}", s.guard(ownNode, s.handleReport))
	}
	if s.opts.CA != nil {
		s.caRoutes(m)
	}
	s.mux = m
}

// CachedCatalogs returns the number of compiled catalogs in the cache.
func (s *Server) CachedCatalogs() int { return s.cache.len() }
