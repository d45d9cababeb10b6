package resources

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
)

// The package database is read with one dpkg-query for every package at
// once and kept until dpkg's status file changes, so a run with two
// hundred package resources starts one process, not two hundred. The
// cache is keyed by the status file's inode, size and modification time
// (dpkg replaces the file on every change, whoever makes it), and a
// package resource also drops it after it installs or removes anything.

// dpkgStatusFile is where dpkg records the state of every package.
var dpkgStatusFile = "/var/lib/dpkg/status"

// dpkgPkg is one package as dpkg knows it.
type dpkgPkg struct {
	Version string
	// Status is dpkg's abbreviated status: the desired action
	// (i install, r remove, p purge, h hold, u unknown), the package
	// state (n not-installed, c config-files, i installed, u unpacked,
	// ...) and the error flag.
	Status string
}

// installed reports whether the package is fully installed (triggers
// pending count as installed); a half-installed or unpacked package is
// not, so that ensure => present finishes the job.
func (p dpkgPkg) installed() bool {
	return len(p.Status) >= 2 && strings.ContainsRune("iwt", rune(p.Status[1]))
}

// configOnly reports a removed package whose configuration files remain.
func (p dpkgPkg) configOnly() bool { return len(p.Status) >= 2 && p.Status[1] == 'c' }

var dpkgCache struct {
	sync.Mutex
	key  fileKey
	pkgs map[string]dpkgPkg
}

// dpkgDatabase returns every package dpkg knows, from the cache when the
// status file has not changed since it was read.
func dpkgDatabase(ctx context.Context) (map[string]dpkgPkg, error) {
	var key fileKey
	if fi, err := os.Stat(dpkgStatusFile); err == nil {
		key = fileKey{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			key.ino = int64(st.Ino)
		}
	}
	dpkgCache.Lock()
	defer dpkgCache.Unlock()
	if dpkgCache.pkgs != nil && dpkgCache.key == key {
		return dpkgCache.pkgs, nil
	}
	out, err := runSys(ctx, "dpkg-query", "-W", "-f", `${Package}\t${Version}\t${db:Status-Abbrev}\n`)
	if err != nil {
		return nil, err
	}
	pkgs := parseDpkgQuery(out)
	dpkgCache.key, dpkgCache.pkgs = key, pkgs
	return pkgs, nil
}

// parseDpkgQuery reads dpkg-query's tab-separated lines. A package known
// for several architectures appears once, installed if any of them is.
func parseDpkgQuery(out string) map[string]dpkgPkg {
	pkgs := map[string]dpkgPkg{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || f[0] == "" {
			continue
		}
		p := dpkgPkg{Version: f[1], Status: f[2]}
		if prev, dup := pkgs[f[0]]; dup && prev.installed() {
			continue
		}
		pkgs[f[0]] = p
	}
	return pkgs
}

// invalidateDpkg drops the cached database after a change.
func invalidateDpkg() {
	dpkgCache.Lock()
	dpkgCache.pkgs = nil
	dpkgCache.Unlock()
}
