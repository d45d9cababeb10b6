package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gapply/gapply/internal/syncbuf"
)

// siteRepo is the manifest repository's working copy on the "developer's
// machine": commits are made and signed with go-git, and pushed with the
// real git CLI to a bare repository that has the post-receive hook.
type siteRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
}

func newSiteRepo(t *testing.T, dir, bare string) *siteRepo {
	t.Helper()
	runGit(t, "", "init", "-q", "--bare", "-b", "production", bare)
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("production")},
	})
	if err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "remote", "add", "origin", bare)
	return &siteRepo{t: t, dir: dir, repo: repo}
}

// commit writes files and commits them signed with key.
func (s *siteRepo) commit(files map[string]string, key *openpgp.Entity) string {
	s.t.Helper()
	for name, content := range files {
		p := filepath.Join(s.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	wt, err := s.repo.Worktree()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		s.t.Fatal(err)
	}
	h, err := wt.Commit("change", &git.CommitOptions{
		Author:  &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Now()},
		SignKey: key,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return h.String()
}

// push runs git push and returns its output, which holds the hook's.
func (s *siteRepo) push() string {
	s.t.Helper()
	return runGit(s.t, s.dir, "push", "-q", "origin", "production")
}

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// signingKey makes an OpenPGP key and returns it with its armored public
// key, the keyring a node trusts.
func signingKey(t *testing.T, name string) (*openpgp.Entity, []byte) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "e2e", name+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	aw, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	aw.Close()
	return e, pub.Bytes()
}

// node is one agent with its own state directory and target root.
type node struct {
	name, dir, root, vardir, config string
	daemon                          *exec.Cmd
	log                             syncbuf.Buffer // written by the daemon while the test reads it
}

func newNode(t *testing.T, base, name, bare, keyring, secret string) *node {
	t.Helper()
	n := &node{name: name, dir: filepath.Join(base, name)}
	n.root, n.vardir, n.config = filepath.Join(n.dir, "root"), filepath.Join(n.dir, "var"), filepath.Join(n.dir, "gapply.hcl")
	if err := os.MkdirAll(n.root, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`vardir         = %q
certname       = %q
external_facts = []
schedule       = "@every 1h"
splay          = "0s"
repository {
  url     = "file://%s"
  keyring = %q
}
trigger {
  listen      = "127.0.0.1:0"
  secret_file = %q
}
`, n.vardir, name, bare, keyring, secret)
	if err := os.WriteFile(n.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// command runs gapply for this node: its own target root as a fact.
func (n *node) command(gapply string, args ...string) *exec.Cmd {
	cmd := exec.Command(gapply, args...)
	cmd.Env = append(os.Environ(), "FACTER_target_root="+n.root)
	return cmd
}

func (n *node) motd(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(n.root, "motd"))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(data)
}

func (n *node) lastReport(t *testing.T, gapply string) string {
	t.Helper()
	out, err := n.command(gapply, "report", "--last", "--vardir", n.vardir).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: gapply report --last: %v\n%s", n.name, err, out)
	}
	return string(out)
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func motdManifest(text string) string {
	return fmt.Sprintf("file { \"${facts['target_root']}/motd\": content => %q }\n", text)
}

// TestAgentEndToEnd runs the git-distributed mode for real: a bare
// repository with the post-receive hook installed, agents as separate
// processes with their own state and target roots, pushes with git push.
// Commits must be signed by a trusted key.
func TestAgentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	gapply, err := exec.LookPath("gapply") // the test binary, as testscript installs it
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	bare := filepath.Join(base, "site.git")
	site := newSiteRepo(t, filepath.Join(base, "work"), bare)
	trusted, pub := signingKey(t, "release")
	untrusted, _ := signingKey(t, "mallory")
	keyring, secret := filepath.Join(base, "trusted.asc"), filepath.Join(base, "trigger.secret")
	if err := os.WriteFile(keyring, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("e2e-shared-secret-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("SIGKILL during a sync", func(t *testing.T) {
		start := time.Now()
		// A repository big enough that its checkout takes a while, made
		// with the git CLI (unsigned: this node verifies nothing).
		big, bigBare := filepath.Join(base, "big"), filepath.Join(base, "big.git")
		for i := 0; i < 1000; i++ {
			p := filepath.Join(big, "data", fmt.Sprint(i%50), fmt.Sprintf("file%04d.txt", i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("filler %d\n", i)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(big, "site.pp"), []byte(motdManifest("big\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		runGit(t, "", "init", "-q", "-b", "production", big)
		runGit(t, big, "add", "-A")
		runGit(t, big, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "big")
		c1 := strings.TrimSpace(runGit(t, big, "rev-parse", "HEAD"))
		runGit(t, "", "clone", "-q", "--bare", big, bigBare)
		t.Logf("repository made in %v", time.Since(start))
		k := newNode(t, base, "killed", bigBare, "", secret)
		cmd := k.command(gapply, "agent", "--once", "--config", k.config, "--manifest", "site.pp")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		trees := filepath.Join(k.vardir, "git", "production", "trees")
		caught := false
		waitFor(t, "the sync to write a tree", time.Minute, func() bool {
			entries, _ := os.ReadDir(trees)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					caught = true
					return true
				}
			}
			return len(entries) > 0
		})
		cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have exited
		cmd.Wait()                          //nolint:errcheck // killed
		t.Logf("killed after %v", time.Since(start))
		if !caught {
			t.Log("the tree was complete before the kill; checking recovery anyway")
		}
		out, err := k.command(gapply, "agent", "--once", "--config", k.config, "--manifest", "site.pp").CombinedOutput()
		if err != nil {
			t.Fatalf("run after SIGKILL: %v\n%s", err, out)
		}
		t.Logf("recovered after %v", time.Since(start))
		if got := k.motd(t); got != "big\n" {
			t.Errorf("motd after recovery = %q", got)
		}
		entries, _ := os.ReadDir(trees)
		if len(entries) != 1 || entries[0].Name() != c1 {
			t.Errorf("trees after recovery: %v, want only %s", entries, c1)
		}
		data, err := os.ReadFile(filepath.Join(trees, c1, "data/49/file0999.txt"))
		if err != nil || string(data) != "filler 999\n" {
			t.Errorf("recovered tree is incomplete: %q %v", data, err)
		}
	})

	// Agents as daemons, each with its own trigger listener.
	var nodes []*node
	var inv strings.Builder
	fmt.Fprintf(&inv, "secret_file = %q\nconcurrency = 4\n", secret)
	for i := 0; i < 3; i++ {
		n := newNode(t, base, fmt.Sprintf("node%d", i), bare, keyring, secret)
		n.daemon = n.command(gapply, "agent", "--config", n.config)
		n.daemon.Stdout, n.daemon.Stderr = &n.log, &n.log
		if err := n.daemon.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.daemon.Process.Kill(); n.daemon.Wait() }) //nolint:errcheck // already gone when the test passed
		addrFile := filepath.Join(n.vardir, "trigger.addr")
		waitFor(t, n.name+"'s trigger listener", time.Minute, func() bool {
			data, err := os.ReadFile(addrFile)
			return err == nil && strings.HasSuffix(string(data), "\n")
		})
		addr, _ := os.ReadFile(addrFile)
		fmt.Fprintf(&inv, "node %q {\n  url = \"http://%s\"\n}\n", n.name, strings.TrimSpace(string(addr)))
		nodes = append(nodes, n)
	}
	invFile := filepath.Join(base, "inventory.hcl")
	if err := os.WriteFile(invFile, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := fmt.Sprintf("#!/bin/sh\nexec %s hook post-receive --inventory %s --wait --timeout 20s\n", gapply, invFile)
	if err := os.WriteFile(filepath.Join(bare, "hooks", "post-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}

	// push checks the hook's table: one line per node in the wanted state.
	push := func(commit, state string) {
		t.Helper()
		start := time.Now()
		out := site.push()
		t.Logf("push of %s took %v:\n%s", commit[:12], time.Since(start), out)
		for _, n := range nodes {
			re := regexp.MustCompile(`(?m)^remote: ` + n.name + `\s+production\s+` + state + `\s`)
			if !re.MatchString(out) {
				t.Errorf("hook output has no %q line for %s:\n%s\n%s's log:\n%s", state, n.name, out, n.name, n.log.String())
			}
		}
	}
	t.Run("push converges every node", func(t *testing.T) {
		c2 := site.commit(map[string]string{"manifests/site.pp": motdManifest("v2\n")}, trusted)
		push(c2, "converged")
		for _, n := range nodes {
			if got := n.motd(t); got != "v2\n" {
				t.Errorf("%s: motd = %q, want v2", n.name, got)
			}
			if rep := n.lastReport(t, gapply); !strings.Contains(rep, "commit "+c2) && !strings.Contains(rep, c2) {
				t.Errorf("%s: last report does not name %s:\n%s", n.name, c2, rep)
			}
		}
	})
	t.Run("broken manifest keeps the last good commit", func(t *testing.T) {
		c3 := site.commit(map[string]string{"manifests/site.pp": "file { 'x': mdoe => \n"}, trusted)
		push(c3, "refused")
		for _, n := range nodes {
			if got := n.motd(t); got != "v2\n" {
				t.Errorf("%s: motd = %q, want v2 still", n.name, got)
			}
			rep := n.lastReport(t, gapply)
			for _, want := range []string{"failed", "STALE", "commit " + c3[:12] + " was refused", "accept of commit " + c3[:12] + " failed: commit rejected: the manifest does not compile", "manifests/site.pp"} {
				if !strings.Contains(rep, want) {
					t.Errorf("%s: report lacks %q:\n%s", n.name, want, rep)
				}
			}
			summary, _ := os.ReadFile(filepath.Join(n.vardir, "state", "last_run_summary.yaml"))
			if !strings.Contains(string(summary), "failed_commit: '"+c3+"'") {
				t.Errorf("%s: summary does not name the refused commit:\n%s", n.name, summary)
			}
		}
	})
	t.Run("commit signed by an untrusted key is refused", func(t *testing.T) {
		c4 := site.commit(map[string]string{"manifests/site.pp": motdManifest("owned\n")}, untrusted)
		push(c4, "refused")
		for _, n := range nodes {
			if got := n.motd(t); got != "v2\n" {
				t.Errorf("%s: motd = %q, want v2 still", n.name, got)
			}
			if rep := n.lastReport(t, gapply); !strings.Contains(rep, "commit signature not verified") {
				t.Errorf("%s: report does not say why:\n%s", n.name, rep)
			}
		}
	})
	t.Run("SIGTERM stops the daemons", func(t *testing.T) {
		for _, n := range nodes {
			n.daemon.Process.Signal(syscall.SIGTERM) //nolint:errcheck // checked by Wait
		}
		for _, n := range nodes {
			done := make(chan error, 1)
			go func() { done <- n.daemon.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%s exited with %v:\n%s", n.name, err, n.log.String())
				}
			case <-time.After(time.Minute):
				t.Errorf("%s did not stop on SIGTERM", n.name)
			}
		}
	})
}
