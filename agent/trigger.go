package agent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gapply/gapply/report"
)

// The trigger protocol. A trigger is an HTTP POST whose body is a JSON
// Message, signed with HMAC-SHA256 of the body under a shared secret in the
// SignatureHeader ("sha256=<hex>", the form GitHub and Gitea use). The
// message's Time must be within the replay window of the agent's clock, and
// its Nonce is remembered for the window, so a captured trigger cannot be
// replayed. A trigger carries no code: it only schedules a normal run, which
// fetches from the configured repository as any run does.
const (
	RunPath         = "/v1/run"
	StatusPath      = "/v1/status"
	SignatureHeader = "X-Gapply-Signature"
	// hubSignatureHeader is what GitHub, Gitea and Forgejo webhooks send.
	hubSignatureHeader = "X-Hub-Signature-256"
	maxBody            = 1 << 20
)

// Message is the signed body of a trigger or status request.
type Message struct {
	Time        int64  `json:"time"` // Unix seconds
	Nonce       string `json:"nonce"`
	Environment string `json:"environment,omitempty"`
	Commit      string `json:"commit,omitempty"`
	// Ref is what git hosting webhooks send ("refs/heads/production").
	Ref string `json:"ref,omitempty"`
}

// NodeStatus is a node's answer to a status request: what its last run
// applied and whether a run is going on.
type NodeStatus struct {
	Environment  string    `json:"environment"`
	Commit       string    `json:"commit"`
	Status       string    `json:"status"`
	Time         time.Time `json:"time"`
	Running      bool      `json:"running"`
	FailedCommit string    `json:"failed_commit,omitempty"`
	Error        string    `json:"error,omitempty"`
}

// Sign returns the signature header value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TriggerServer is the agent's trigger listener as an http.Handler.
type TriggerServer struct {
	Secret      []byte
	Window      time.Duration // replay window
	RateLimit   int           // accepted requests per minute
	Environment string        // triggers for other branches are ignored
	StateDir    string        // where the last report is read for status
	// Schedule is called for an accepted trigger; it must not block.
	Schedule func(reason string)
	// Running reports whether a run is in progress.
	Running func() bool

	mu     sync.Mutex
	nonces map[string]time.Time
	tokens float64
	filled time.Time
	now    func() time.Time
}

func (s *TriggerServer) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// allow takes a token from the bucket: RateLimit per minute, bursts of up
// to RateLimit.
func (s *TriggerServer) allow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	limit := float64(s.RateLimit)
	if s.filled.IsZero() {
		s.tokens = limit
	} else {
		s.tokens = min(limit, s.tokens+now.Sub(s.filled).Minutes()*limit)
	}
	s.filled = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// fresh remembers nonce for the window and reports whether it was new.
func (s *TriggerServer) fresh(nonce string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if s.nonces == nil {
		s.nonces = map[string]time.Time{}
	}
	for n, exp := range s.nonces {
		if now.After(exp) {
			delete(s.nonces, n)
		}
	}
	if _, seen := s.nonces[nonce]; seen {
		return false
	}
	// Twice the window: a message is valid from Time-Window to
	// Time+Window, so its nonce must outlive both edges.
	s.nonces[nonce] = now.Add(2 * s.Window)
	return true
}

func (s *TriggerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path != RunPath && r.URL.Path != StatusPath {
		http.NotFound(w, r)
		return
	}
	// Verify first: an HMAC costs little, and counting unsigned requests
	// would let anyone starve the real triggers.
	msg, err := s.verify(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	// Only triggers are rate limited: a status request starts nothing,
	// and the post-receive hook polls it while it waits.
	if r.URL.Path == RunPath && !s.allow() {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
		return
	}
	if r.URL.Path == StatusPath {
		writeJSON(w, http.StatusOK, s.status())
		return
	}
	env := msg.Environment
	if env == "" {
		env = strings.TrimPrefix(msg.Ref, "refs/heads/")
	}
	if env != "" && env != s.Environment {
		http.Error(w, fmt.Sprintf("this node runs environment %q, not %q", s.Environment, env), http.StatusAccepted)
		return
	}
	s.Schedule("trigger")
	writeJSON(w, http.StatusAccepted, s.status())
}

// verify checks the signature, then the time and the nonce.
func (s *TriggerServer) verify(r *http.Request) (*Message, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, errors.New("unreadable or oversized body")
	}
	sig := r.Header.Get(SignatureHeader)
	hub := sig == ""
	if hub {
		sig = r.Header.Get(hubSignatureHeader)
	}
	if sig == "" || !hmac.Equal([]byte(sig), []byte(Sign(s.Secret, body))) {
		return nil, errors.New("bad or missing signature")
	}
	var msg Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, errors.New("body is not a JSON trigger")
	}
	if hub {
		// Git hosts sign no time; their delivery id is the nonce, which
		// still stops a replay within the window.
		msg.Nonce = r.Header.Get("X-GitHub-Delivery") + r.Header.Get("X-Gitea-Delivery")
		if msg.Nonce == "" {
			return nil, errors.New("webhook without a delivery id")
		}
	} else {
		at := time.Unix(msg.Time, 0)
		if d := s.clock().Sub(at); d > s.Window || d < -s.Window {
			return nil, fmt.Errorf("trigger time %s is outside the replay window of %s", at.UTC().Format(time.RFC3339), s.Window)
		}
		if msg.Nonce == "" {
			return nil, errors.New("trigger without a nonce")
		}
	}
	if !s.fresh(msg.Nonce) {
		return nil, errors.New("replayed trigger")
	}
	return &msg, nil
}

func (s *TriggerServer) status() NodeStatus {
	st := NodeStatus{Environment: s.Environment}
	if s.Running != nil {
		st.Running = s.Running()
	}
	if rep, err := report.Load(s.StateDir); err == nil {
		st.Commit, st.Status, st.Time = rep.Commit, rep.Status, rep.Time
		if f := rep.Fallback; f != nil {
			st.FailedCommit, st.Error = f.FailedCommit, f.Error
		} else if len(rep.Errors) > 0 {
			st.Error = rep.Errors[0]
		}
	}
	return st
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// Client sends signed requests to a node's trigger listener.
type Client struct {
	Secret []byte
	HTTP   *http.Client
}

// Trigger asks the node at base (http://host:port) to schedule a run for
// environment at commit; it returns the node's status as of the request.
func (c *Client) Trigger(ctx context.Context, base, environment, commit string) (NodeStatus, error) {
	return c.post(ctx, base+RunPath, Message{Environment: environment, Commit: commit})
}

// Status asks the node at base what it last applied.
func (c *Client) Status(ctx context.Context, base string) (NodeStatus, error) {
	return c.post(ctx, base+StatusPath, Message{})
}

func (c *Client) post(ctx context.Context, url string, msg Message) (NodeStatus, error) {
	var st NodeStatus
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return st, err
	}
	msg.Time, msg.Nonce = time.Now().Unix(), hex.EncodeToString(nonce)
	body, err := json.Marshal(msg)
	if err != nil {
		return st, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(c.Secret, body))
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode/100 != 2 {
		return st, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, &st); err != nil {
		// An ignored trigger (another environment) answers in text.
		return st, fmt.Errorf("%s", strings.TrimSpace(string(data)))
	}
	return st, nil
}
