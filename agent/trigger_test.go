package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// triggerRig is a TriggerServer on a fixed clock that counts scheduled runs.
type triggerRig struct {
	srv       *TriggerServer
	now       time.Time
	scheduled int
}

func newTriggerRig(t *testing.T) *triggerRig {
	rig := &triggerRig{now: time.Unix(1_700_000_000, 0)}
	rig.srv = &TriggerServer{
		Secret: []byte("0123456789abcdef-secret"), Window: time.Minute, RateLimit: 3,
		Environment: "production", StateDir: t.TempDir(),
		Schedule: func(string) { rig.scheduled++ },
		now:      func() time.Time { return rig.now },
	}
	return rig
}

// post sends body to path signed with secret under header (none when
// secret is nil) and returns the status code and body.
func (rig *triggerRig) post(path, body string, secret []byte, headers map[string]string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if secret != nil {
		req.Header.Set(SignatureHeader, Sign(secret, []byte(body)))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	rig.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (rig *triggerRig) message(nonce string, at time.Time, env string) string {
	data, _ := json.Marshal(Message{Time: at.Unix(), Nonce: nonce, Environment: env})
	return string(data)
}

func TestTriggerVerification(t *testing.T) {
	rig := newTriggerRig(t)
	secret := rig.srv.Secret
	now := rig.now
	tests := []struct {
		name      string
		path      string
		body      string
		secret    []byte
		headers   map[string]string
		code      int
		msg       string
		scheduled int
	}{
		{"good trigger", RunPath, rig.message("n1", now, "production"), secret, nil, 202, `"environment":"production"`, 1},
		{"replayed", RunPath, rig.message("n1", now, "production"), secret, nil, 401, "replayed trigger", 1},
		{"unsigned", RunPath, rig.message("n2", now, ""), nil, nil, 401, "bad or missing signature", 1},
		{"wrong secret", RunPath, rig.message("n3", now, ""), []byte("another secret, long enough"), nil, 401, "bad or missing signature", 1},
		{"too old", RunPath, rig.message("n4", now.Add(-2*time.Minute), ""), secret, nil, 401, "outside the replay window", 1},
		{"from the future", RunPath, rig.message("n5", now.Add(2*time.Minute), ""), secret, nil, 401, "outside the replay window", 1},
		{"no nonce", RunPath, rig.message("", now, ""), secret, nil, 401, "without a nonce", 1},
		{"not JSON", RunPath, "run please", secret, nil, 401, "not a JSON trigger", 1},
		{"other environment", RunPath, rig.message("n6", now, "feature_x"), secret, nil, 202, `not "feature_x"`, 1},
		{"status schedules nothing", StatusPath, rig.message("n7", now, ""), secret, nil, 200, `"running":false`, 1},
		{"third trigger", RunPath, rig.message("n8", now, ""), secret, nil, 202, `"environment"`, 2},
		{"rate limited", RunPath, rig.message("n10", now, ""), secret, nil, 429, "rate limit", 2},
		{"unknown path", "/v1/other", "{}", secret, nil, 404, "not found", 2},
	}
	for _, tt := range tests {
		code, body := rig.post(tt.path, tt.body, tt.secret, tt.headers)
		if code != tt.code || !strings.Contains(body, tt.msg) || rig.scheduled != tt.scheduled {
			t.Errorf("%s: %d %q, %d runs scheduled; want %d %q, %d runs", tt.name, code, body, rig.scheduled, tt.code, tt.msg, tt.scheduled)
		}
	}
	// The bucket refills with time: a minute later triggers pass again.
	rig.now = rig.now.Add(time.Minute)
	if code, body := rig.post(RunPath, rig.message("n9", rig.now, ""), secret, nil); code != 202 || rig.scheduled != 3 {
		t.Errorf("after refill: %d %s", code, body)
	}
}

func TestGitHostWebhook(t *testing.T) {
	rig := newTriggerRig(t)
	body := `{"ref":"refs/heads/production","after":"abc"}`
	hub := map[string]string{hubSignatureHeader: Sign(rig.srv.Secret, []byte(body)), "X-GitHub-Delivery": "d-1"}
	if code, got := rig.post(RunPath, body, nil, hub); code != 202 || rig.scheduled != 1 {
		t.Fatalf("webhook: %d %s", code, got)
	}
	if code, got := rig.post(RunPath, body, nil, hub); code != 401 || !strings.Contains(got, "replayed") {
		t.Errorf("redelivered webhook: %d %s", code, got)
	}
	other := `{"ref":"refs/heads/staging"}`
	hub = map[string]string{hubSignatureHeader: Sign(rig.srv.Secret, []byte(other)), "X-Gitea-Delivery": "d-2"}
	if code, _ := rig.post(RunPath, other, nil, hub); code != 202 || rig.scheduled != 1 {
		t.Errorf("webhook for another branch scheduled a run: %d", code)
	}
	hub = map[string]string{hubSignatureHeader: Sign(rig.srv.Secret, []byte(body))}
	if code, got := rig.post(RunPath, body, nil, hub); code != 401 || !strings.Contains(got, "delivery id") {
		t.Errorf("webhook without delivery id: %d %s", code, got)
	}
}

func TestClientAgainstServer(t *testing.T) {
	rig := newTriggerRig(t)
	rig.srv.now = nil // real clock: the client stamps real time
	ts := httptest.NewServer(rig.srv)
	defer ts.Close()
	c := &Client{Secret: rig.srv.Secret}
	if _, err := c.Trigger(t.Context(), ts.URL, "production", "abc"); err != nil || rig.scheduled != 1 {
		t.Fatalf("trigger: %v, %d runs", err, rig.scheduled)
	}
	if _, err := (&Client{Secret: []byte("wrong")}).Trigger(t.Context(), ts.URL, "production", "abc"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := c.Trigger(t.Context(), ts.URL, "staging", "abc"); err == nil || !strings.Contains(err.Error(), `not "staging"`) {
		t.Errorf("other environment: %v", err)
	}
}
