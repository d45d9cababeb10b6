package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gapply/gapply/ca"
)

// caRoutes serves Puppet's CA API (v1) from s.opts.CA. Certificates, the
// CRL and request submission need no certificate, since that is how an
// agent gets its first one; certificate_status (sign, revoke, clean
// remotely) is for admins.
func (s *Server) caRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /puppet-ca/v1/certificate/{name}", s.guard(anyone, s.caCertificate))
	m.HandleFunc("GET /puppet-ca/v1/certificate_request/{name}", s.guard(anyone, s.caGetRequest))
	m.HandleFunc("PUT /puppet-ca/v1/certificate_request/{name}", s.guard(anyone, s.caPutRequest))
	m.HandleFunc("GET /puppet-ca/v1/certificate_revocation_list/ca", s.guard(anyone, s.caCRL))
	m.HandleFunc("GET /puppet-ca/v1/certificate_status/{name}", s.guard(adminOnly, s.caGetStatus))
	m.HandleFunc("PUT /puppet-ca/v1/certificate_status/{name}", s.guard(adminOnly, s.caPutStatus))
	m.HandleFunc("DELETE /puppet-ca/v1/certificate_status/{name}", s.guard(adminOnly, s.caDeleteStatus))
	m.HandleFunc("GET /puppet-ca/v1/certificate_statuses/{any}", s.guard(adminOnly, s.caListStatuses))
}

func writePEM(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(data)
}

// caError maps the CA's errors to HTTP statuses: unknown names are 404,
// conflicts with existing state 409, bad input 400.
func caError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ca.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ca.ErrAlreadySigned), errors.Is(err, ca.ErrRequestPending), errors.Is(err, ca.ErrAlreadyRevoked):
		code = http.StatusConflict
	case errors.Is(err, ca.ErrInvalidName), errors.Is(err, ca.ErrInvalidCSR), errors.Is(err, ca.ErrNameMismatch),
		errors.Is(err, ca.ErrAltNamesNotAllowed), errors.Is(err, ca.ErrInvalidAltName):
		code = http.StatusBadRequest
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		code = http.StatusRequestEntityTooLarge
	}
	httpError(w, code, "%v", err)
}

func (s *Server) caCertificate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var data []byte
	var err error
	if name == "ca" {
		data, err = s.opts.CA.CACertificate()
	} else {
		data, err = s.opts.CA.Certificate(name)
	}
	if err != nil {
		caError(w, err)
		return
	}
	writePEM(w, data)
}

func (s *Server) caGetRequest(w http.ResponseWriter, r *http.Request) {
	data, err := s.opts.CA.Request(r.PathValue("name"))
	if err != nil {
		caError(w, err)
		return
	}
	writePEM(w, data)
}

// maxCSRBody bounds a submitted request (a real one is about 1 KiB).
const maxCSRBody = 64 << 10

func (s *Server) caPutRequest(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxCSRBody)); err != nil {
		caError(w, err)
		return
	}
	entry, err := s.opts.CA.SubmitCSR(r.PathValue("name"), buf.Bytes())
	if err != nil {
		caError(w, err)
		return
	}
	s.log.Info("certificate request", "name", entry.Name, "state", entry.State, "fingerprint", entry.Fingerprint, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "%s %s\n", entry.State, entry.Fingerprint)
}

func (s *Server) caCRL(w http.ResponseWriter, _ *http.Request) {
	data, err := s.opts.CA.CRL()
	if err != nil {
		caError(w, err)
		return
	}
	writePEM(w, data)
}

// CertStatus is the JSON form of a certificate_status answer, with Puppet's
// field names.
type CertStatus struct {
	Name         string   `json:"name"`
	State        string   `json:"state"`
	Fingerprint  string   `json:"fingerprint"`
	DNSAltNames  []string `json:"dns_alt_names"`
	SerialNumber string   `json:"serial_number,omitempty"`
	NotBefore    string   `json:"not_before,omitempty"`
	NotAfter     string   `json:"not_after,omitempty"`
}

func certStatus(e ca.Entry) CertStatus {
	st := CertStatus{Name: e.Name, State: e.State.String(), Fingerprint: e.Fingerprint, DNSAltNames: e.AltNames}
	if st.DNSAltNames == nil {
		st.DNSAltNames = []string{}
	}
	if e.Serial != nil {
		st.SerialNumber = fmt.Sprintf("%X", e.Serial)
		st.NotBefore = e.NotBefore.UTC().Format(time.RFC3339)
		st.NotAfter = e.NotAfter.UTC().Format(time.RFC3339)
	}
	return st
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) caGetStatus(w http.ResponseWriter, r *http.Request) {
	e, err := s.opts.CA.Status(r.PathValue("name"))
	if err != nil {
		caError(w, err)
		return
	}
	writeJSON(w, certStatus(e))
}

func (s *Server) caListStatuses(w http.ResponseWriter, r *http.Request) {
	entries, err := s.opts.CA.List(true)
	if err != nil {
		caError(w, err)
		return
	}
	want := r.URL.Query().Get("state")
	out := []CertStatus{}
	for _, e := range entries {
		if want == "" || strings.EqualFold(want, e.State.String()) {
			out = append(out, certStatus(e))
		}
	}
	writeJSON(w, out)
}

// caPutStatus signs or revokes: {"desired_state": "signed"|"revoked"}.
func (s *Server) caPutStatus(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var body struct {
		DesiredState string `json:"desired_state"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		httpError(w, http.StatusBadRequest, "certificate_status for %s: body is not JSON: %v", name, err)
		return
	}
	var err error
	switch body.DesiredState {
	case "signed":
		_, err = s.opts.CA.Sign(name)
	case "revoked":
		err = s.opts.CA.Revoke(name)
	default:
		httpError(w, http.StatusBadRequest, "certificate_status for %s: desired_state must be signed or revoked, not %q", name, body.DesiredState)
		return
	}
	if err != nil {
		caError(w, err)
		return
	}
	s.log.Info("certificate status changed", "name", name, "state", body.DesiredState, "by", identityOf(r).Certname)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) caDeleteStatus(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.opts.CA.Clean(name); err != nil {
		caError(w, err)
		return
	}
	s.log.Info("certificate cleaned", "name", name, "by", identityOf(r).Certname)
	w.WriteHeader(http.StatusNoContent)
}
