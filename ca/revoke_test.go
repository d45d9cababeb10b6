package ca

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func crlOf(t *testing.T, c *CA) *x509.RevocationList {
	t.Helper()
	data, err := c.CRL()
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRLPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(c.CACert()); err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestRevoke(t *testing.T) {
	c := newCA(t, Options{})
	goodPEM, _, _ := c.Generate("good", nil)
	badPEM, _, _ := c.Generate("bad", nil)
	good, bad := mustCert(t, goodPEM), mustCert(t, badPEM)
	before, err := c.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	oldCRL, _ := c.CRL()
	if err := before.VerifyClient(bad); err != nil {
		t.Fatalf("before revocation: %v", err)
	}

	if err := c.Revoke("bad"); err != nil {
		t.Fatal(err)
	}
	crl := crlOf(t, c)
	if crl.Number.Int64() != 1 || len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(bad.SerialNumber) != 0 {
		t.Fatalf("CRL number %v entries %+v", crl.Number, crl.RevokedCertificateEntries)
	}
	after, err := c.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if err := after.VerifyClient(bad); !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("revoked cert: %v, want ErrRevoked", err)
	}
	if err := after.VerifyClient(good); err != nil {
		t.Errorf("unrevoked cert: %v", err)
	}
	newCRL, _ := c.CRL()
	if err := before.SetCRL(newCRL); err != nil {
		t.Fatal(err)
	}
	if err := before.VerifyClient(bad); !errors.Is(err, ErrRevoked) {
		t.Errorf("after SetCRL: %v", err)
	}
	if err := before.SetCRL(oldCRL); !errors.Is(err, ErrBadCRL) {
		t.Errorf("going back to an older CRL: %v, want ErrBadCRL", err)
	}
	foreign := newCA(t, Options{})
	foreignCRL, _ := foreign.CRL()
	if err := before.SetCRL(foreignCRL); !errors.Is(err, ErrBadCRL) {
		t.Errorf("another CA's CRL: %v, want ErrBadCRL", err)
	}
	foreignPEM, _, _ := foreign.Generate("good", nil)
	if err := after.VerifyClient(mustCert(t, foreignPEM)); !errors.Is(err, ErrUntrusted) {
		t.Errorf("another CA's cert: %v, want ErrUntrusted", err)
	}
	after.now = func() time.Time { return time.Now().Add(6 * 365 * 24 * time.Hour) }
	if err := after.VerifyClient(good); !errors.Is(err, ErrBadCRL) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired CRL: %v", err)
	}

	later, _ := Open(c.Dir, Options{Now: after.now})
	if err := later.RefreshCRL(); err != nil {
		t.Fatal(err)
	}
	if crl := crlOf(t, c); crl.Number.Int64() != 2 || len(crl.RevokedCertificateEntries) != 1 {
		t.Errorf("refreshed CRL: number %v, %d entries", crl.Number, len(crl.RevokedCertificateEntries))
	}
	refreshed, _ := c.CRL()
	if err := after.SetCRL(refreshed); err != nil {
		t.Fatal(err)
	}
	if err := after.VerifyClient(bad); !errors.Is(err, ErrRevoked) {
		t.Errorf("refreshed CRL lost the revocation: %v", err)
	}

	if err := c.Revoke("bad"); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("second Revoke: %v", err)
	}
	if err := c.Revoke("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke(nobody): %v", err)
	}
	if st, err := c.Status("bad"); err != nil || st.State != Revoked {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if err := c.Revoke("good"); err != nil {
		t.Fatal(err)
	}
	if crl := crlOf(t, c); crl.Number.Int64() != 3 || len(crl.RevokedCertificateEntries) != 2 {
		t.Errorf("second revocation: number %v, %d entries", crl.Number, len(crl.RevokedCertificateEntries))
	}
	_, csrPEM, _ := GenerateKeyAndCSR("bad", nil)
	if _, err := c.SubmitCSR("bad", csrPEM); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("request for a revoked name: %v, want ErrAlreadySigned", err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "signed", "bad.pem")); err != nil {
		t.Errorf("revoked certificate not kept: %v", err)
	}
}

func TestClean(t *testing.T) {
	c := newCA(t, Options{})
	certPEM, _, _ := c.Generate("node", nil)
	cert := mustCert(t, certPEM)
	_, csrPEM, _ := GenerateKeyAndCSR("pending", nil)
	if _, err := c.SubmitCSR("pending", csrPEM); err != nil {
		t.Fatal(err)
	}

	if err := c.Clean("node"); err != nil {
		t.Fatal(err)
	}
	if crl := crlOf(t, c); len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("clean did not revoke: %+v", crl.RevokedCertificateEntries)
	}
	if _, err := c.Status("node"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Status after clean: %v", err)
	}
	if err := c.Clean("pending"); err != nil {
		t.Fatal(err)
	}
	if crl := crlOf(t, c); crl.Number.Int64() != 1 {
		t.Errorf("cleaning a request changed the CRL: number %v", crl.Number)
	}
	if list, _ := c.List(true); len(list) != 0 {
		t.Errorf("List after clean: %+v", list)
	}
	if err := c.Clean("node"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Clean: %v", err)
	}
	// A revoked then cleaned name can be requested again.
	if err := c.Revoke("node"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke after clean: %v", err)
	}
	_, csrPEM, _ = GenerateKeyAndCSR("node", nil)
	if _, err := c.SubmitCSR("node", csrPEM); err != nil {
		t.Errorf("request after clean: %v", err)
	}
	inv, _ := os.ReadFile(filepath.Join(c.Dir, "inventory.txt"))
	if !strings.Contains(string(inv), "/CN=node\n") {
		t.Errorf("cleaned certificate left the inventory:\n%s", inv)
	}
}

// TestHandshakeRefusesRevoked runs real TLS handshakes on loopback with the
// server configuration the package doc recommends.
func TestHandshakeRefusesRevoked(t *testing.T) {
	c := newCA(t, Options{})
	srvCertPEM, srvKeyPEM, _ := c.Generate("master", []string{"IP:127.0.0.1"})
	srvCert, err := tls.X509KeyPair(srvCertPEM, srvKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]tls.Certificate{}
	for _, name := range []string{"ok-agent", "revoked-agent"} {
		certPEM, keyPEM, _ := c.Generate(name, nil)
		if clients[name], err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Revoke("revoked-agent"); err != nil {
		t.Fatal(err)
	}
	v, err := c.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates:          []tls.Certificate{srvCert},
		ClientAuth:            tls.VerifyClientCertIfGiven,
		ClientCAs:             v.Pool(),
		VerifyPeerCertificate: v.VerifyPeerCertificate,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			tc := conn.(*tls.Conn)
			if tc.Handshake() == nil {
				name := "anonymous"
				if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
					name = pc[0].Subject.CommonName
				}
				io.WriteString(tc, name)
			}
			tc.Close()
		}
	}()
	dial := func(cert *tls.Certificate) (string, error) {
		cfg := &tls.Config{RootCAs: v.Pool(), ServerName: "127.0.0.1", VerifyConnection: v.VerifyServerConnection}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cfg)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(conn)
		return string(b), err
	}
	ok := clients["ok-agent"]
	if got, err := dial(&ok); err != nil || got != "ok-agent" {
		t.Errorf("valid client: %q, %v", got, err)
	}
	if got, err := dial(nil); err != nil || got != "anonymous" {
		t.Errorf("client without certificate: %q, %v", got, err)
	}
	revoked := clients["revoked-agent"]
	if got, err := dial(&revoked); err == nil && got != "" {
		t.Errorf("revoked client was served %q", got)
	}

	// An agent refuses a master whose certificate was revoked.
	if err := c.Revoke("master"); err != nil {
		t.Fatal(err)
	}
	crlPEM, _ := c.CRL()
	if err := v.SetCRL(crlPEM); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(&ok); !errors.Is(err, ErrRevoked) {
		t.Errorf("dialling a revoked master: %v, want ErrRevoked", err)
	}
	ln.Close()
	wg.Wait()
}

func TestConcurrentSignsUniqueSerials(t *testing.T) {
	first := newCA(t, Options{})
	second, err := Open(first.Dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const perCA = 8
	var wg sync.WaitGroup
	serials := make(chan *big.Int, 2*perCA)
	errs := make(chan error, 2*perCA)
	for i, c := range []*CA{first, second, first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perCA / 2 {
				name := fmt.Sprintf("node%d-%d", i, j)
				if j%2 == 0 {
					certPEM, _, err := c.Generate(name, nil)
					if err != nil {
						errs <- err
						continue
					}
					cert, err := ParseCertificatePEM(certPEM)
					if err != nil {
						errs <- err
						continue
					}
					serials <- cert.SerialNumber
					continue
				}
				_, csrPEM, _ := GenerateKeyAndCSR(name, nil)
				if _, err := c.SubmitCSR(name, csrPEM); err != nil {
					errs <- err
					continue
				}
				cert, err := c.Sign(name)
				if err != nil {
					errs <- err
					continue
				}
				serials <- cert.SerialNumber
			}
		}()
	}
	wg.Wait()
	close(serials)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for s := range serials {
		if seen[s.String()] {
			t.Errorf("serial %v issued twice", s)
		}
		seen[s.String()] = true
	}
	if len(seen) != 2*perCA {
		t.Errorf("%d certificates, want %d", len(seen), 2*perCA)
	}
	inv, _ := os.ReadFile(filepath.Join(first.Dir, "inventory.txt"))
	if lines := strings.Split(strings.TrimSpace(string(inv)), "\n"); len(lines) != 2*perCA+1 {
		t.Errorf("inventory has %d lines, want %d:\n%s", len(lines), 2*perCA+1, inv)
	}
	serial, _ := os.ReadFile(filepath.Join(first.Dir, "serial"))
	if want := fmt.Sprintf("%04X\n", 2*perCA+2); string(serial) != want {
		t.Errorf("serial file %q, want %q", serial, want)
	}
}

// copyTree copies a directory as cp -a would (contents and permissions).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestColdStandbyCopy(t *testing.T) {
	primary := newCA(t, Options{})
	firstPEM, _, _ := primary.Generate("before-copy", nil)
	if err := primary.Revoke("before-copy"); err != nil {
		t.Fatal(err)
	}
	standbyDir := filepath.Join(t.TempDir(), "standby")
	copyTree(t, primary.Dir, standbyDir)

	standby, err := Open(standbyDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := standby.Generate("after-failover", nil)
	if err != nil {
		t.Fatal(err)
	}
	cert := mustCert(t, certPEM)
	if cert.SerialNumber.Cmp(mustCert(t, firstPEM).SerialNumber) <= 0 {
		t.Errorf("standby reused serial %v", cert.SerialNumber)
	}
	origCA, _ := primary.CACertificate()
	origCRL, _ := primary.CRL()
	v, err := NewVerifier(origCA, origCRL)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyClient(cert); err != nil {
		t.Errorf("original CA certificate does not verify the standby's certificate: %v", err)
	}
	if err := standby.Revoke("after-failover"); err != nil {
		t.Fatal(err)
	}
	standbyCRL, _ := standby.CRL()
	if err := v.SetCRL(standbyCRL); err != nil {
		t.Fatalf("original verifier refuses the standby's CRL: %v", err)
	}
	if err := v.VerifyClient(cert); !errors.Is(err, ErrRevoked) {
		t.Errorf("after the standby revoked it: %v", err)
	}
	if err := v.VerifyClient(mustCert(t, firstPEM)); !errors.Is(err, ErrRevoked) {
		t.Errorf("revocation made before the copy was lost: %v", err)
	}
}

func TestOpenSSLCrossCheck(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed; cross-check skipped")
	}
	c := newCA(t, Options{})
	dir := t.TempDir()
	certPEM, keyPEM, _ := c.Generate("agent-ossl", []string{"agent-ossl.example.test"})
	certFile := filepath.Join(dir, "agent.pem")
	keyFile := filepath.Join(dir, "agent_key.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	run := func(args ...string) (string, error) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		return string(out), err
	}
	verify := func() (string, error) {
		return run("verify", "-crl_check", "-purpose", "sslclient", "-CAfile", filepath.Join(c.Dir, "ca_crt.pem"),
			"-CRLfile", filepath.Join(c.Dir, "ca_crl.pem"), certFile)
	}
	if out, err := verify(); err != nil || !strings.Contains(out, ": OK") {
		t.Fatalf("openssl verify before revocation: %v\n%s", err, out)
	}
	out, err := run("x509", "-in", certFile, "-noout", "-text")
	if err != nil {
		t.Fatal(err, out)
	}
	for _, want := range []string{"TLS Web Server Authentication, TLS Web Client Authentication", "DNS:agent-ossl, DNS:agent-ossl.example.test", "CA:FALSE", "Authority Key Identifier", "Subject Key Identifier"} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", want, out)
		}
	}
	if out, err := run("x509", "-in", filepath.Join(c.Dir, "ca_crt.pem"), "-noout", "-text"); err != nil || !strings.Contains(out, "Certificate Sign, CRL Sign") || !strings.Contains(out, "CA:TRUE") {
		t.Errorf("CA certificate per openssl: %v\n%s", err, out)
	}
	if out, err := run("pkey", "-in", keyFile, "-noout"); err != nil {
		t.Errorf("openssl cannot read the key: %v\n%s", err, out)
	}
	if err := c.Revoke("agent-ossl"); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil || !strings.Contains(out, "certificate revoked") {
		t.Errorf("openssl verify after revocation: %v\n%s", err, out)
	}
	if out, err := run("crl", "-in", filepath.Join(c.Dir, "ca_crl.pem"), "-noout", "-crlnumber"); err != nil || !strings.Contains(out, "crlNumber=0x01") {
		t.Errorf("openssl crl -crlnumber: %v %s", err, out)
	}
}

// helperEnv makes the test binary act as a separate CA process (see
// TestTwoProcessesShareTheDirectory).
const helperEnv = "GAPPLY_CA_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		c, err := Open(dir, Options{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for i := range 6 {
			certPEM, _, err := c.Generate(fmt.Sprintf("proc%d-%d", os.Getpid(), i), nil)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			cert, _ := ParseCertificatePEM(certPEM)
			fmt.Println(cert.SerialNumber)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTwoProcessesShareTheDirectory(t *testing.T) {
	c := newCA(t, Options{})
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+c.Dir)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	seen := map[string]bool{}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process: %v\n%s", err, outs[i])
		}
		for _, s := range strings.Fields(outs[i].String()) {
			if seen[s] {
				t.Errorf("serial %s issued by both processes", s)
			}
			seen[s] = true
		}
	}
	if len(seen) != 12 {
		t.Errorf("%d distinct serials, want 12", len(seen))
	}
}
