package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newCA(t *testing.T, opts Options) *CA {
	t.Helper()
	c, err := Init(filepath.Join(t.TempDir(), "ca"), InitOptions{Options: opts, CommonName: "gapply CA: test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func sameKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInitOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cert := c.CACert()
	host, _ := os.Hostname()
	if want := "gapply CA: " + host; cert.Subject.CommonName != want {
		t.Errorf("CN = %q, want %q", cert.Subject.CommonName, want)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid || cert.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA cert: IsCA=%v KeyUsage=%v", cert.IsCA, cert.KeyUsage)
	}
	if len(cert.SubjectKeyId) == 0 || !bytes.Equal(cert.SubjectKeyId, cert.AuthorityKeyId) {
		t.Errorf("SKI %x, AKI %x", cert.SubjectKeyId, cert.AuthorityKeyId)
	}
	if life := time.Until(cert.NotAfter); life < 15*365*24*time.Hour-time.Hour || life > 15*365*24*time.Hour+time.Hour {
		t.Errorf("CA validity ends in %v, want 15 years", life)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	for path, want := range map[string]fs.FileMode{
		dir: 0o700, filepath.Join(dir, "ca_key.pem"): 0o600, filepath.Join(dir, "requests"): 0o700,
		filepath.Join(dir, "signed"): 0o700, filepath.Join(dir, "ca_crt.pem"): 0o644,
	} {
		if got := mode(t, path); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	serial, _ := os.ReadFile(filepath.Join(dir, "serial"))
	if string(serial) != "0002\n" {
		t.Errorf("serial file = %q", serial)
	}
	crlPEM, _ := c.CRL()
	crl, err := ParseCRLPEM(crlPEM)
	if err != nil || crl.Number.Int64() != 0 || len(crl.RevokedCertificateEntries) != 0 || crl.CheckSignatureFrom(cert) != nil {
		t.Errorf("initial CRL: %v number %v entries %d", err, crl.Number, len(crl.RevokedCertificateEntries))
	}

	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !o.CACert().Equal(cert) {
		t.Error("Open read a different CA certificate")
	}

	if _, err := Init(dir, InitOptions{}); !errors.Is(err, ErrExists) {
		t.Errorf("second Init: %v, want ErrExists", err)
	}
	if _, err := Open(t.TempDir(), Options{}); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("Open of empty dir: %v, want ErrNotInitialized", err)
	}
	other := newCA(t, Options{})
	key, _ := os.ReadFile(filepath.Join(other.Dir, "ca_key.pem"))
	if err := os.WriteFile(filepath.Join(dir, "ca_key.pem"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("Open with another CA's key: %v", err)
	}
}

func TestGenerateWithAltNames(t *testing.T) {
	c := newCA(t, Options{})
	certPEM, keyPEM, err := c.Generate("puppet", []string{"lb.example.test", "DNS:Master1.example.test", "IP:127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cert := mustCert(t, certPEM)
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !sameKey(key.Public(), cert.PublicKey) {
		t.Error("key does not match certificate")
	}
	if want := []string{"puppet", "lb.example.test", "master1.example.test"}; strings.Join(cert.DNSNames, ",") != strings.Join(want, ",") {
		t.Errorf("DNS names %v, want %v", cert.DNSNames, want)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.CACert())
	for _, host := range []string{"puppet", "lb.example.test", "master1.example.test", "127.0.0.1"} {
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("verify for %s usage %v: %v", host, usage, err)
			}
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "other.example.test"}); err == nil {
		t.Error("certificate verified for a name it does not carry")
	}
	if cert.IsCA || !bytes.Equal(cert.AuthorityKeyId, c.CACert().SubjectKeyId) || len(cert.SubjectKeyId) == 0 {
		t.Errorf("IsCA=%v AKI=%x SKI=%x", cert.IsCA, cert.AuthorityKeyId, cert.SubjectKeyId)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("key usage %v for an ECDSA key", cert.KeyUsage)
	}
	if _, _, err := c.Generate("puppet", nil); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("second Generate: %v, want ErrAlreadySigned", err)
	}
	for _, bad := range []string{"*.example.test", "IP:300.1.1.1", "URI:http://x", "DNS:../x"} {
		if _, _, err := c.Generate("web", []string{bad}); !errors.Is(err, ErrInvalidAltName) {
			t.Errorf("alt name %q: %v, want ErrInvalidAltName", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "signed", "web.pem")); err == nil {
		t.Error("a refused Generate left a certificate")
	}
}

func TestRSAKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	c, err := Init(dir, InitOptions{CAKeyAlgorithm: RSA2048, Options: Options{KeyAlgorithm: RSA2048}})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _, err := c.Generate("master", nil)
	if err != nil {
		t.Fatal(err)
	}
	cert := mustCert(t, certPEM)
	if cert.PublicKeyAlgorithm != x509.RSA || cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("algorithm %v key usage %v", cert.PublicKeyAlgorithm, cert.KeyUsage)
	}
	if err := cert.CheckSignatureFrom(c.CACert()); err != nil {
		t.Error(err)
	}
	if _, err := GenerateKey("dsa"); err == nil {
		t.Error("unknown key algorithm accepted")
	}
}

func TestCSRSubmitListSign(t *testing.T) {
	c := newCA(t, Options{})
	keyPEM, csrPEM, err := GenerateKeyAndCSR("agent1.example.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSRPEM(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.SubmitCSR("agent1.example.test", csrPEM)
	if err != nil || e.State != Requested {
		t.Fatalf("SubmitCSR: %+v, %v", e, err)
	}
	if mode(t, filepath.Join(c.Dir, "requests", "agent1.example.test.pem")) != 0o644 {
		t.Error("request file mode")
	}
	if _, err := c.SubmitCSR("agent1.example.test", csrPEM); err != nil {
		t.Errorf("resubmitting the same request: %v", err)
	}
	_, other, _ := GenerateKeyAndCSR("agent1.example.test", nil)
	if _, err := c.SubmitCSR("agent1.example.test", other); !errors.Is(err, ErrRequestPending) {
		t.Errorf("a different request: %v, want ErrRequestPending", err)
	}
	list, err := c.List(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "agent1.example.test" || list[0].Fingerprint != Fingerprint(csr.Raw) || list[0].State != Requested {
		t.Fatalf("List = %+v", list)
	}
	if fp := list[0].Fingerprint; len(fp) != 95 || strings.ToUpper(fp) != fp {
		t.Errorf("fingerprint %q is not colon-separated uppercase SHA-256", fp)
	}
	if got, err := c.Request("agent1.example.test"); err != nil || !bytes.Contains(got, []byte("CERTIFICATE REQUEST")) {
		t.Errorf("Request: %v", err)
	}

	cert, err := c.Sign("agent1.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "agent1.example.test" || len(cert.DNSNames) != 0 || cert.SerialNumber.Int64() != 2 {
		t.Errorf("signed CN %q DNS %v serial %v", cert.Subject.CommonName, cert.DNSNames, cert.SerialNumber)
	}
	key, _ := ParseKeyPEM(keyPEM)
	if !sameKey(key.Public(), cert.PublicKey) {
		t.Error("certificate is not for the agent's key")
	}
	st, err := c.Status("agent1.example.test")
	if err != nil || st.State != Signed || st.Serial.Int64() != 2 || st.Fingerprint != Fingerprint(cert.Raw) {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if list, _ := c.List(false); len(list) != 0 {
		t.Errorf("pending after sign: %+v", list)
	}
	if list, _ := c.List(true); len(list) != 1 || list[0].State != Signed {
		t.Errorf("List(all) = %+v", list)
	}
	got, err := c.Certificate("agent1.example.test")
	if err != nil || !mustCert(t, got).Equal(cert) {
		t.Errorf("Certificate: %v", err)
	}
	if caPEM, _ := c.Certificate("ca"); !mustCert(t, caPEM).Equal(c.CACert()) {
		t.Error(`Certificate("ca") is not the CA certificate`)
	}
	v, err := c.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyClient(cert); err != nil {
		t.Errorf("VerifyClient: %v", err)
	}
	inv, _ := os.ReadFile(filepath.Join(c.Dir, "inventory.txt"))
	if lines := strings.Split(strings.TrimSpace(string(inv)), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "0x0002 ") || !strings.HasSuffix(lines[1], " /CN=agent1.example.test") {
		t.Errorf("inventory:\n%s", inv)
	}

	if _, err := c.Sign("agent1.example.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Sign without request: %v, want ErrNotFound", err)
	}
	if _, err := c.SubmitCSR("agent1.example.test", other); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("request for a signed name: %v, want ErrAlreadySigned", err)
	}
	if _, err := c.Status("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Status(nobody): %v", err)
	}
	if _, err := c.Certificate("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Certificate(nobody): %v", err)
	}
}

func TestCSRRefused(t *testing.T) {
	c := newCA(t, Options{})
	_, csrPEM, _ := GenerateKeyAndCSR("agent2", nil)
	if _, err := c.SubmitCSR("agent3", csrPEM); !errors.Is(err, ErrNameMismatch) {
		t.Errorf("CN mismatch: %v", err)
	}
	if _, err := c.SubmitCSR("agent2", []byte("not a request")); !errors.Is(err, ErrInvalidCSR) {
		t.Errorf("garbage: %v", err)
	}
	tampered := bytes.Replace(csrPEM, []byte("agent2"), []byte("agent2"), 1)
	block := strings.Split(string(tampered), "\n")
	block[3] = strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return r
	}, block[3])
	if _, err := c.SubmitCSR("agent2", []byte(strings.Join(block, "\n"))); !errors.Is(err, ErrInvalidCSR) {
		t.Errorf("tampered request: %v", err)
	}
	if _, err := c.SubmitCSR("../agent2", csrPEM); !errors.Is(err, ErrInvalidName) {
		t.Errorf("path traversal: %v", err)
	}

	_, altPEM, err := GenerateKeyAndCSR("web3", []string{"www.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitCSR("web3", altPEM); !errors.Is(err, ErrAltNamesNotAllowed) || !strings.Contains(err.Error(), "DNS:www.example.test") {
		t.Errorf("alt names by default: %v", err)
	}
	allowing, err := Open(c.Dir, Options{AllowSubjectAltNames: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := allowing.SubmitCSR("web3", altPEM); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sign("web3"); !errors.Is(err, ErrAltNamesNotAllowed) {
		t.Errorf("Sign by a CA that does not allow alt names: %v", err)
	}
	cert, err := allowing.Sign("web3")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cert.DNSNames, ",") != "web3,www.example.test" {
		t.Errorf("DNS names %v", cert.DNSNames)
	}
}

func TestAutosign(t *testing.T) {
	policy, err := ParseAutosign(strings.NewReader("# agents\n\n*.web.example.test\n  db1.example.test  \n"), "autosign.conf")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"a.web.example.test": true, "a.b.web.example.test": true, "web.example.test": false,
		"xweb.example.test": false, "db1.example.test": true, "db2.example.test": false,
	} {
		if got := policy.Allows(name); got != want {
			t.Errorf("Allows(%q) = %v, want %v", name, got, want)
		}
	}
	if !(AutosignPolicy{Mode: AutosignOn}).Allows("x") || (AutosignPolicy{}).Allows("x") {
		t.Error("on/off policies")
	}
	if all, err := NewAllowlist("*"); err != nil || !all.Allows("anything.test") {
		t.Errorf("'*': %v", err)
	}
	for _, bad := range []string{"web*.example.test", "a.*.test", "db1 # comment", "UP/per"} {
		_, err := ParseAutosign(strings.NewReader("ok.test\n"+bad+"\n"), "autosign.conf")
		if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), "autosign.conf:2:") {
			t.Errorf("%q: %v, want ErrInvalidPolicy at autosign.conf:2", bad, err)
		}
	}
	conf := filepath.Join(t.TempDir(), "autosign.conf")
	os.WriteFile(conf, []byte("*.web.example.test\n"), 0o644)
	for setting, mode := range map[string]AutosignMode{"true": AutosignOn, "false": AutosignOff, conf: AutosignAllowlist} {
		if p, err := ParseAutosignSetting(setting); err != nil || p.Mode != mode {
			t.Errorf("setting %q: %v %v", setting, p.Mode, err)
		}
	}
	if _, err := ParseAutosignSetting(conf + ".missing"); err == nil {
		t.Error("missing autosign file accepted")
	}

	c := newCA(t, Options{Autosign: policy})
	_, csr1, _ := GenerateKeyAndCSR("n1.web.example.test", nil)
	if e, err := c.SubmitCSR("n1.web.example.test", csr1); err != nil || e.State != Signed || e.Serial == nil {
		t.Errorf("allowed name: %+v, %v", e, err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "requests", "n1.web.example.test.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("autosigned request left pending")
	}
	_, csr2, _ := GenerateKeyAndCSR("mail.example.test", nil)
	if e, err := c.SubmitCSR("mail.example.test", csr2); err != nil || e.State != Requested {
		t.Errorf("name not in the allowlist: %+v, %v", e, err)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"agent1", "web-1.example.com", "a_b", "x", "puppet"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for name, why := range map[string]string{
		"": "empty", "../x": "start with", "a/../b": "not contain", "a/b": "'/'", "Agent": "lowercase",
		"ca": "CA's own", ".hidden": "start with", "-x": "start with", "a b": "' '", "é": "'é'",
		strings.Repeat("a", 254): "longer", "a\x00b": `'\x00'`,
	} {
		err := ValidateName(name)
		if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: %v, want ErrInvalidName mentioning %q", name, err, why)
		}
	}
	c := newCA(t, Options{})
	if _, _, err := c.Generate("../escape", nil); !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), `"../escape"`) {
		t.Errorf("Generate(../escape): %v", err)
	}
	for _, op := range []func(string) error{c.Revoke, c.Clean, func(n string) error { _, err := c.Sign(n); return err }} {
		if err := op("../escape"); !errors.Is(err, ErrInvalidName) {
			t.Errorf("traversal accepted: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(c.Dir), "escape.pem")); err == nil {
		t.Error("a file escaped the CA directory")
	}
}

func TestExpiredCertificateMayBeRenewed(t *testing.T) {
	c := newCA(t, Options{CertTTL: time.Hour})
	if _, _, err := c.Generate("short", nil); err != nil {
		t.Fatal(err)
	}
	later, err := Open(c.Dir, Options{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	_, csrPEM, _ := GenerateKeyAndCSR("short", nil)
	if _, err := later.SubmitCSR("short", csrPEM); err != nil {
		t.Errorf("renewing an expired certificate: %v", err)
	}
	if list, _ := later.List(true); len(list) != 2 || list[0].State != Requested || list[1].State != Signed {
		t.Errorf("List(all) = %+v", list)
	}
}
