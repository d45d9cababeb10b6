package gitsync

import (
	"errors"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// go-git's own file:// transport runs the git-upload-pack binary, and a node
// must not need git installed. This package therefore installs go-git's
// in-process upload-pack server for the "file" scheme (paths and file://
// URLs) when it is imported. The table is process-wide, which is why this
// happens in init, before any fetch can read it concurrently. The in-process
// server does not do shallow fetches; Source.Depth is ignored for local URLs.
func init() {
	client.InstallProtocol("file", server.NewClient(localLoader{}))
}

// localLoader opens the repository at an endpoint's path, bare or not (go-git's
// default loader treats a working tree's top directory as the git directory).
type localLoader struct{}

func (localLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	r, err := git.PlainOpenWithOptions(ep.Path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, transport.ErrRepositoryNotFound
	}
	if err != nil {
		return nil, err
	}
	return r.Storer, nil
}
