package server

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gapply/gapply/ca"
	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/compiler"
)

// FactsDoc is the facts document an agent sends, as Puppet's agent does in
// the "facts" form field: the node's name and its facts.
type FactsDoc struct {
	Name   string         `json:"name"`
	Values map[string]any `json:"values"`
}

// CatalogRequest is a parsed catalog request.
type CatalogRequest struct {
	Environment string
	Facts       FactsDoc
}

// ParseCatalogRequest reads a catalog request the way Puppet's agent sends
// it: a form (in the POST body, or the query of a GET) with
// facts_format=application/json and facts holding the facts document, and
// environment in the query or the form. A POST with Content-Type
// application/json carries the facts document alone. Numbers in facts keep
// the compiler's types (int64 or float64).
func ParseCatalogRequest(r *http.Request) (CatalogRequest, error) {
	req := CatalogRequest{Environment: r.URL.Query().Get("environment")}
	var factsJSON []byte
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method == http.MethodPost && ct == "application/json" {
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(r.Body); err != nil {
			return req, fmt.Errorf("reading the request body: %w", err)
		}
		factsJSON = buf.Bytes()
	} else {
		if err := r.ParseForm(); err != nil {
			return req, fmt.Errorf("reading the request form: %w", err)
		}
		switch f := r.Form.Get("facts_format"); f {
		case "", "json", "pson", "application/json":
		default:
			return req, fmt.Errorf("unsupported facts_format %q (want application/json)", f)
		}
		if req.Environment == "" {
			req.Environment = r.Form.Get("environment")
		}
		facts := r.Form.Get("facts")
		if facts == "" {
			return req, errors.New("no facts in the request")
		}
		// Puppet's agent URL-escapes the document once more inside the form.
		if strings.HasPrefix(facts, "%7B") || strings.HasPrefix(facts, "%7b") {
			if u, err := url.QueryUnescape(facts); err == nil {
				facts = u
			}
		}
		factsJSON = []byte(facts)
	}
	if req.Environment == "" {
		req.Environment = "production"
	}
	doc, err := decodeFacts(factsJSON)
	if err != nil {
		return req, err
	}
	req.Facts = doc
	return req, nil
}

func decodeFacts(data []byte) (FactsDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc FactsDoc
	if err := dec.Decode(&doc); err != nil {
		return doc, fmt.Errorf("facts are not a JSON facts document: %v", err)
	}
	if dec.More() {
		return doc, errors.New("facts: trailing data after the JSON document")
	}
	if doc.Values == nil {
		doc.Values = map[string]any{}
	}
	for k, v := range doc.Values {
		doc.Values[k] = catalog.NormalizeNumbers(v)
	}
	return doc, nil
}

// factsDigest identifies a set of facts: encoding/json sorts map keys, so
// equal facts give equal digests whatever order the agent sent them in.
func factsDigest(values map[string]any) (string, error) {
	data, err := json.Marshal(values)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func (s *Server) handleCatalog(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("node")
	if err := ca.ValidateName(node); err != nil {
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	}
	req, err := ParseCatalogRequest(r)
	if err != nil {
		code := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		httpError(w, code, "catalog request for %s: %v", node, err)
		return
	}
	if req.Facts.Name != "" && req.Facts.Name != node {
		httpError(w, http.StatusBadRequest, "catalog request for %s carries the facts of %q", node, req.Facts.Name)
		return
	}
	snap, err := s.envs.get(r.Context(), req.Environment)
	if err != nil {
		httpError(w, http.StatusNotFound, "%v", err)
		return
	}
	body, err := s.compiled(snap, node, identityOf(r).Certname, req)
	if err != nil {
		s.log.Error("catalog compile failed", "node", node, "environment", req.Environment, "commit", snap.commit, "err", err)
		httpError(w, http.StatusInternalServerError, "Server Error: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Gapply-Commit", snap.commit)
	_, _ = w.Write(body)
}

// compiled returns the catalog's JSON for (commit, node, certname, facts),
// from the cache or compiled once however many requests ask at the same
// time. certname is the requester's certified name: $trusted['certname'],
// which differs from node only when an admin asks for a node's catalog.
func (s *Server) compiled(snap *snapshot, node, certname string, req CatalogRequest) ([]byte, error) {
	digest, err := factsDigest(req.Facts.Values)
	if err != nil {
		return nil, err
	}
	key := req.Environment + "\x00" + snap.commit + "\x00" + node + "\x00" + certname + "\x00" + digest
	return s.cache.get(key, func() ([]byte, error) {
		return compileCatalog(snap, node, certname, req)
	})
}

func compileCatalog(snap *snapshot, node, certname string, req CatalogRequest) (body []byte, err error) {
	// A compiler bug must fail this request, not leave the requests
	// waiting on the same cache key hanging.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while compiling: %v", p)
		}
	}()
	if snap.parseDiags.HasErrors() {
		return nil, snap.parseDiags
	}
	cat, diags := compiler.Compile(snap.files, compiler.Options{
		Node:        node,
		Environment: req.Environment,
		Facts:       req.Facts.Values,
		Version:     snap.commit,
		ModulePath:  snap.modulePath,
		Settings:    snap.settings,
		// $trusted comes from the certificate, as on Puppet Server:
		// facts are the agent's word, the certificate is the CA's.
		Authenticated:   "remote",
		TrustedCertname: certname,
	})
	if diags.HasErrors() {
		return nil, diags
	}
	// The node needs the real values of Sensitive parameters to apply
	// them; the catalog travels only to that node, over mutual TLS.
	return cat.MarshalIndentSensitive()
}

// catalogCache keeps compiled catalogs, least recently used out first, and
// runs one compile per key at a time: a hundred agents with the same facts
// that ask at once cost one compile. Errors are not cached.
type catalogCache struct {
	max int

	mu       sync.Mutex
	lru      *list.List // of *cacheEntry, most recent first
	entries  map[string]*list.Element
	inflight map[string]*call
}

type cacheEntry struct {
	key  string
	body []byte
}

type call struct {
	done chan struct{}
	body []byte
	err  error
}

func newCatalogCache(max int) *catalogCache {
	if max <= 0 {
		max = defaultCacheSize
	}
	return &catalogCache{max: max, lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*call{}}
}

func (c *catalogCache) get(key string, compile func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		body := el.Value.(*cacheEntry).body
		c.mu.Unlock()
		return body, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.body, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()

	cl.body, cl.err = compile()

	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil {
		c.entries[key] = c.lru.PushFront(&cacheEntry{key: key, body: cl.body})
		for c.lru.Len() > c.max {
			old := c.lru.Back()
			c.lru.Remove(old)
			delete(c.entries, old.Value.(*cacheEntry).key)
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.body, cl.err
}

// len returns the number of cached catalogs.
func (c *catalogCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
