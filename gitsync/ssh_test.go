package gitsync

import (
	"bytes"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshGitServer is a minimal ssh server on loopback that accepts one client
// key and runs `git upload-pack` for go-git's exec requests, as sshd with a
// git user would. sshd itself is not installed on every CI image; the client
// side under test (go-git's ssh transport, key auth, known_hosts) is the same.
type sshGitServer struct {
	addr    string
	hostKey ssh.PublicKey
}

func startSSHGitServer(t *testing.T, gitBin string, client ssh.PublicKey) *sshGitServer {
	t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if bytes.Equal(k.Marshal(), client.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("key not authorized")
	}}
	cfg.AddHostKey(host)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSHConn(c, cfg, gitBin)
		}
	}()
	return &sshGitServer{addr: l.Addr().String(), hostKey: host.PublicKey()}
}

func serveSSHConn(c net.Conn, cfg *ssh.ServerConfig, gitBin string) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "sessions only") //nolint:errcheck // test server
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go serveSSHSession(ch, chReqs, gitBin)
	}
}

func serveSSHSession(ch ssh.Channel, reqs <-chan *ssh.Request, gitBin string) {
	defer ch.Close()
	for req := range reqs {
		var exe struct{ Command string }
		if req.Type != "exec" || ssh.Unmarshal(req.Payload, &exe) != nil || !strings.HasPrefix(exe.Command, "git-upload-pack ") {
			req.Reply(false, nil) //nolint:errcheck // test server
			continue
		}
		req.Reply(true, nil) //nolint:errcheck // test server
		repo := strings.Trim(strings.TrimPrefix(exe.Command, "git-upload-pack "), "'")
		cmd := exec.Command(gitBin, "upload-pack", repo)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return
		}
		cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
		status := uint32(0)
		if err := cmd.Start(); err != nil {
			status = 127
		} else {
			go func() { io.Copy(stdin, ch); stdin.Close() }() //nolint:errcheck // ends with the channel
			if err := cmd.Wait(); err != nil {
				status = 1
			}
		}
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status})) //nolint:errcheck // test server
		return
	}
}

func TestSSHKnownHosts(t *testing.T) {
	gitBin := needGit(t)
	dir := t.TempDir()
	up := newUpstream(t, filepath.Join(dir, "site"), "production")
	c1 := up.commit(map[string]string{"a.pp": "one\n"}, nil)

	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	clientPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	srv := startSSHGitServer(t, gitBin, clientPub)
	impostor := startSSHGitServer(t, gitBin, clientPub)

	writeKnownHosts := func(name string, key ssh.PublicKey) string {
		p := filepath.Join(dir, name)
		line := knownhosts.Line([]string{knownhosts.Normalize(srv.addr)}, key) + "\n"
		if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	known := writeKnownHosts("known_hosts", srv.hostKey)
	wrong := writeKnownHosts("wrong_known_hosts", impostor.hostKey)
	other := filepath.Join(dir, "other_known_hosts")
	if err := os.WriteFile(other, []byte(knownhosts.Line([]string{"[192.0.2.1]:22"}, srv.hostKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "ssh://git@" + srv.addr + up.dir

	s := &Syncer{Dir: t.TempDir()}
	se := syncErr(t, s, Source{URL: url, Auth: Auth{SSHKeyFile: keyFile, KnownHostsFiles: []string{other}}}, ErrFetch)
	if !strings.Contains(se.Error(), "key is unknown") {
		t.Errorf("unknown host: %v", se)
	}
	se = syncErr(t, s, Source{URL: url, Auth: Auth{SSHKeyFile: keyFile, KnownHostsFiles: []string{wrong}}}, ErrFetch)
	if !strings.Contains(se.Error(), "key mismatch") {
		t.Errorf("changed host key: %v", se)
	}
	if _, _, err := s.Current(); !errors.Is(err, ErrNoCurrent) {
		t.Fatalf("a refused host moved current: %v", err)
	}

	mustSync(t, s, Source{URL: url, Auth: Auth{SSHKeyFile: keyFile, KnownHostsFiles: []string{known}}})
	assertCurrent(t, s, c1, "a.pp", "one\n")

	c2 := up.commit(map[string]string{"a.pp": "two\n"}, nil)
	mustSync(t, s, Source{URL: url, Auth: Auth{SSHKeyFile: keyFile, KnownHostsFiles: []string{other}, InsecureIgnoreHostKey: true}})
	assertCurrent(t, s, c2, "a.pp", "two\n")
}
