package gitsync

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
)

// DefaultBranch is the branch synced when Source.Branch is empty. Branches
// are environments (as with r10k), and Puppet's default environment is
// "production", so a node that names no environment gets that branch.
const DefaultBranch = "production"

// Source says where a manifest repository comes from. It is the options
// struct of Syncer.Sync; Validate checks it and fills defaults.
type Source struct {
	// URL of the repository: https://, http://, ssh://, git@host:path,
	// git://, file:// or a local path.
	URL string
	// Mirrors are tried in order when URL cannot be fetched from (down,
	// refused, timing out). A branch missing on a reachable server is not a
	// reason to try the next one: a stale mirror would otherwise resurrect
	// a deleted environment.
	Mirrors []string
	// Branch is the environment to sync; DefaultBranch when empty.
	Branch string
	// Auth holds credentials and transport security settings; they apply to
	// every URL (mirrors and submodules included) that uses the matching
	// transport.
	Auth Auth
	// Keyring, when not empty, holds armored OpenPGP public keys, and the
	// branch head must carry a valid signature by one of them. Submodule
	// commits are pinned by hash in the verified tree, so they are not
	// verified separately.
	Keyring string
	// Depth, when positive, fetches only that many commits of history
	// where the transport supports it (git://, https, ssh). The local
	// file transport always copies the full history. Submodules are always
	// fetched in full, because a pinned commit need not be a branch tip.
	Depth int
}

// Auth holds credentials per transport. Fields that do not apply to a URL's
// transport are ignored for that URL.
type Auth struct {
	// Username and Password are sent as HTTP basic auth over https/http.
	Username string
	Password string
	// Token is an access token sent as the HTTP basic-auth password, with
	// Username (or "git" when empty) as the user name: the form GitHub,
	// GitLab, Gitea and Bitbucket all accept for git over https.
	Token string
	// CABundle is PEM data with extra CA certificates trusted for https,
	// on top of the system roots (an internal git server's CA).
	CABundle []byte
	// InsecureSkipTLS turns https certificate checking off. Only for tests.
	InsecureSkipTLS bool

	// SSHKeyFile is the private key used for ssh URLs (required for them);
	// SSHKeyPassphrase decrypts it when it is encrypted.
	SSHKeyFile       string
	SSHKeyPassphrase string
	// SSHUser is the ssh login when the URL names none; "git" by default.
	SSHUser string
	// KnownHostsFiles are checked for the server's host key; when empty,
	// $SSH_KNOWN_HOSTS or ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.
	// An unknown or changed host key is refused.
	KnownHostsFiles []string
	// InsecureIgnoreHostKey turns host key checking off. It exists for
	// bootstrap and tests; a node that uses it can be fed any manifest by
	// whoever sits between it and the server.
	InsecureIgnoreHostKey bool
}

// Validate checks the source and fills defaults (Branch). It parses every URL
// and the keyring, so that a typo is reported before anything is fetched.
func (s *Source) Validate() error {
	if s.Branch == "" {
		s.Branch = DefaultBranch
	}
	if err := plumbing.NewBranchReferenceName(s.Branch).Validate(); err != nil || strings.HasPrefix(s.Branch, "refs/") {
		return fmt.Errorf("%w: bad branch name %q", ErrInvalidSource, s.Branch)
	}
	if s.URL == "" {
		return fmt.Errorf("%w: no repository URL", ErrInvalidSource)
	}
	if s.Depth < 0 {
		return fmt.Errorf("%w: negative depth %d", ErrInvalidSource, s.Depth)
	}
	for _, u := range s.urls() {
		ep, err := transport.NewEndpoint(u)
		if err != nil {
			return fmt.Errorf("%w: bad URL %s: %v", ErrInvalidSource, redact(u), err)
		}
		if ep.Protocol == "ssh" && s.Auth.SSHKeyFile == "" {
			return fmt.Errorf("%w: ssh URL %s needs Auth.SSHKeyFile", ErrInvalidSource, redact(u))
		}
	}
	if s.Keyring != "" {
		if _, err := openpgp.ReadArmoredKeyRing(strings.NewReader(s.Keyring)); err != nil {
			return fmt.Errorf("%w: keyring: %v", ErrInvalidSource, err)
		}
	}
	return nil
}

// urls lists URL then the mirrors, in the order they are tried.
func (s *Source) urls() []string {
	return append([]string{s.URL}, s.Mirrors...)
}

// method builds the go-git auth method for one endpoint. Credentials written
// into an https URL (https://user:pass@host/) are honoured by go-git itself
// when no Auth applies.
func (a *Auth) method(ep *transport.Endpoint) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		switch {
		case a.Token != "":
			user := a.Username
			if user == "" {
				user = "git"
			}
			return &githttp.BasicAuth{Username: user, Password: a.Token}, nil
		case a.Username != "" || a.Password != "":
			return &githttp.BasicAuth{Username: a.Username, Password: a.Password}, nil
		}
		return nil, nil
	case "ssh":
		user := ep.User
		if user == "" {
			user = a.SSHUser
		}
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, a.SSHKeyFile, a.SSHKeyPassphrase)
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w", a.SSHKeyFile, err)
		}
		if a.InsecureIgnoreHostKey {
			keys.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // explicit opt-in, documented
			return keys, nil
		}
		db, err := gitssh.NewKnownHostsDb(a.KnownHostsFiles...)
		if err != nil {
			return nil, fmt.Errorf("known_hosts: %w", err)
		}
		keys.HostKeyCallback = db.HostKeyCallback()
		// Offer only the host key types known_hosts has for this host, so
		// the server does not pick a type we cannot check.
		port := ep.Port
		if port == 0 {
			port = 22
		}
		keys.HostKeyAlgorithms = db.HostKeyAlgorithms(net.JoinHostPort(ep.Host, fmt.Sprint(port)))
		return keys, nil
	}
	return nil, nil
}

// redact removes a password or token written into a URL, so errors and
// results can be logged.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// isLocal reports whether the URL is served by the in-process file
// transport (a path or file://).
func isLocal(ep *transport.Endpoint) bool { return ep.Protocol == "file" }

// exists reports whether path exists; other stat errors count as existing so
// that callers go on and report the real error.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}
