package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/log"

	"github.com/gapply/gapply/ca"
)

// crlWatcher is a ca.Verifier whose CRL follows a file: every handshake
// stats the file (a microsecond, against the milliseconds of a handshake)
// and reloads it when its size or modification time changed. A file that
// cannot be read or holds a bad CRL is logged and the previous CRL stays in
// force, so a half-copied file never un-revokes anybody.
type crlWatcher struct {
	*ca.Verifier
	file string
	log  *log.Logger

	mu    sync.Mutex
	size  int64
	mtime time.Time
}

func newCRLWatcher(caFile, crlFile string, logger *log.Logger) (*crlWatcher, error) {
	v, err := ca.LoadVerifier(caFile, crlFile)
	if err != nil {
		return nil, err
	}
	w := &crlWatcher{Verifier: v, file: crlFile, log: logger}
	if st, err := os.Stat(crlFile); err == nil {
		w.size, w.mtime = st.Size(), st.ModTime()
	}
	return w, nil
}

// refresh reloads the CRL file if it changed since the last look.
func (w *crlWatcher) refresh() {
	st, err := os.Stat(w.file)
	if err != nil {
		w.log.Error("cannot read the CRL; keeping the one loaded", "file", w.file, "err", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if st.Size() == w.size && st.ModTime().Equal(w.mtime) {
		return
	}
	data, err := os.ReadFile(w.file)
	if err == nil {
		err = w.SetCRL(data)
	}
	if err != nil {
		w.log.Error("cannot load the changed CRL; keeping the one loaded", "file", w.file, "err", err)
		return
	}
	w.size, w.mtime = st.Size(), st.ModTime()
	w.log.Info("loaded CRL", "file", w.file, "number", w.CRLNumber())
}

// VerifyConnection is the handshake check (tls.Config.VerifyConnection):
// the current CRL, then the chain, usage and revocation of the client's
// certificate, if it showed one. Unlike VerifyPeerCertificate, it also runs
// on resumed sessions, so a client revoked since its first handshake cannot
// resume its way past the CRL.
func (w *crlWatcher) VerifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	w.refresh()
	return w.Verify(cs.PeerCertificates, x509.ExtKeyUsageClientAuth, "")
}

// VerifyClient checks a certificate a trusted proxy forwarded.
func (w *crlWatcher) VerifyClient(cert *x509.Certificate) error {
	w.refresh()
	if err := w.Verifier.VerifyClient(cert); err != nil {
		return fmt.Errorf("forwarded client certificate: %w", err)
	}
	return nil
}
