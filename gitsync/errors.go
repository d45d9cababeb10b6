package gitsync

import (
	"errors"
	"strings"
)

// Sentinel errors. Every error Sync returns is a *SyncError that wraps one of
// these, so callers decide what to do with errors.Is and report the details
// (URL, branch, commit) from the SyncError's fields.
var (
	// ErrInvalidSource means the Source or Syncer options are unusable
	// (no URL, a bad branch name, an unreadable keyring, ...).
	ErrInvalidSource = errors.New("invalid source")
	// ErrFetch means no URL (neither Source.URL nor any mirror) could be
	// fetched from. The SyncError wraps each URL's own error too.
	ErrFetch = errors.New("fetch failed")
	// ErrBranchNotFound means the repository answered but has no such
	// branch: the environment does not exist (or was deleted upstream).
	ErrBranchNotFound = errors.New("branch not found")
	// ErrUnverified means a keyring is configured and the branch head is
	// unsigned or not signed by a key in it.
	ErrUnverified = errors.New("commit signature not verified")
	// ErrCheckout means the commit was fetched but could not be written out
	// as a tree (a submodule that cannot be fetched, a full disk, ...).
	ErrCheckout = errors.New("checkout failed")
	// ErrRejected means Syncer.Accept refused the commit (say, its
	// manifest does not compile).
	ErrRejected = errors.New("commit rejected")
	// ErrNoCurrent means no commit was ever applied in the state directory.
	ErrNoCurrent = errors.New("no current tree")
	// ErrLocked means another process holds the state directory's lock and
	// the context ended before it was released.
	ErrLocked = errors.New("state directory locked")
)

// SyncError says which step failed for which URL, branch and commit. Fields
// that do not apply are empty (Commit is empty when the fetch itself failed).
// Whatever the error, the current tree has not moved.
type SyncError struct {
	Op     string // "validate", "lock", "fetch", "verify", "checkout", "accept", "switch"
	URL    string // the URL (credentials removed) the step was talking to
	Branch string
	Commit string
	Err    error
}

func (e *SyncError) Error() string {
	var b strings.Builder
	b.WriteString("gitsync: ")
	b.WriteString(e.Op)
	if e.Branch != "" {
		b.WriteString(" branch ")
		b.WriteString(quote(e.Branch))
	}
	if e.Commit != "" {
		b.WriteString(" commit ")
		b.WriteString(e.Commit)
	}
	if e.URL != "" {
		b.WriteString(" from ")
		b.WriteString(e.URL)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *SyncError) Unwrap() error { return e.Err }

func quote(s string) string { return `"` + s + `"` }
