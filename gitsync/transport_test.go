package gitsync

import (
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on right now (git daemon
// wants a fixed port).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestGitDaemonShallow(t *testing.T) {
	needGit(t)
	root := t.TempDir()
	up := newUpstream(t, filepath.Join(root, "site"), "production")
	up.commit(map[string]string{"a.pp": "one\n"}, nil)
	c2 := up.commit(map[string]string{"a.pp": "two\n"}, nil)

	port := freePort(t)
	daemon := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--base-path="+root, root)
	// "git daemon" runs git-daemon as its child, which forks one process
	// per connection: all are killed together through their process
	// group, or git-daemon would outlive the test.
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { daemon.Wait(); close(exited) }() //nolint:errcheck // test teardown
	t.Cleanup(func() {
		syscall.Kill(-daemon.Process.Pid, syscall.SIGKILL) //nolint:errcheck // test teardown
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second) // guards a hang only
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("git daemon exited: %v", daemon.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("git daemon did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	s := &Syncer{Dir: t.TempDir()}
	src := Source{URL: "git://" + addr + "/site", Depth: 1}
	res := mustSync(t, s, src)
	assertCurrent(t, s, c2, "a.pp", "two\n")
	// Depth 1: the parent of the head was not fetched.
	repo, err := openBare(filepath.Join(s.Dir, "repo.git"))
	if err != nil {
		t.Fatal(err)
	}
	if shallow, _ := repo.Storer.Shallow(); len(shallow) != 1 || shallow[0].String() != c2 {
		t.Fatalf("shallow commits %v, want [%s]", shallow, res.Commit)
	}

	c3 := up.commit(map[string]string{"a.pp": "three\n"}, nil)
	res = mustSync(t, s, src)
	if !res.Changed || res.Commit != c3 {
		t.Fatalf("incremental shallow sync: %+v", res)
	}
	assertCurrent(t, s, c3, "a.pp", "three\n")
}

func TestHTTPSBasicAuthAndToken(t *testing.T) {
	gitBin := needGit(t)
	root := t.TempDir()
	up := newUpstream(t, filepath.Join(root, "site"), "production")
	c1 := up.commit(map[string]string{"a.pp": "one\n"}, nil)

	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !(user == "deploy" && pass == "s3cret" || user == "git" && pass == "tok123") {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused-CA case logs a handshake error
	srv.StartTLS()
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	url := srv.URL + "/site"

	for _, tc := range []struct {
		name string
		auth Auth
	}{
		{"basic", Auth{Username: "deploy", Password: "s3cret", CABundle: ca}},
		{"token", Auth{Token: "tok123", CABundle: ca}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Syncer{Dir: t.TempDir()}
			mustSync(t, s, Source{URL: url, Auth: tc.auth, Depth: 1})
			assertCurrent(t, s, c1, "a.pp", "one\n")
		})
	}

	s := &Syncer{Dir: t.TempDir()}
	se := syncErr(t, s, Source{URL: url, Auth: Auth{Username: "deploy", Password: "wrong", CABundle: ca}}, ErrFetch)
	if !strings.Contains(se.Error(), "authentication") {
		t.Errorf("wrong password: %v", se)
	}
	se = syncErr(t, s, Source{URL: url, Auth: Auth{Token: "tok123"}}, ErrFetch)
	if !strings.Contains(se.Error(), "certificate") {
		t.Errorf("untrusted CA: %v", se)
	}
}
