package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// maxMetadatas bounds the entries of one recursive file_metadatas answer.
const maxMetadatas = 20000

// FileMetadata describes one file served for puppet:/// sources, in the
// shape of Puppet's file_metadata answer (checksums are SHA-256).
type FileMetadata struct {
	// Path is the source path the agent asked for: "/modules/NAME/REST".
	Path string `json:"path"`
	// RelativePath is "." for the path itself, and the slash-separated path
	// below it for the entries of a recursive answer.
	RelativePath string `json:"relative_path"`
	// Type is "file", "directory" or "link".
	Type        string   `json:"type"`
	Mode        uint32   `json:"mode"`
	Checksum    Checksum `json:"checksum"`
	Destination string   `json:"destination,omitempty"`
}

// Checksum is {"type": "sha256", "value": "{sha256}hex"}.
type Checksum struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// openSource finds puppet:///modules/NAME/REST in the first module
// directory of the environment that has it. The module's files directory is
// opened as an os.Root, so neither ".." nor a symbolic link committed to the
// repository can reach outside it.
func (s *Server) openSource(w http.ResponseWriter, r *http.Request) (root *os.Root, rel string, snap *snapshot, ok bool) {
	if mount := r.PathValue("mount"); mount != "modules" {
		httpError(w, http.StatusNotFound, "Not Found: no mount point %q (gapply serves puppet:///modules/NAME/PATH)", mount)
		return nil, "", nil, false
	}
	module, rest, _ := strings.Cut(r.PathValue("path"), "/")
	if rest == "" {
		rest = "."
	}
	if !fs.ValidPath(rest) || module == "" || !fs.ValidPath(module) || strings.Contains(module, "/") {
		httpError(w, http.StatusBadRequest, "invalid file path %q", r.PathValue("path"))
		return nil, "", nil, false
	}
	env := r.URL.Query().Get("environment")
	if env == "" {
		env = "production"
	}
	snap, err := s.envs.get(r.Context(), env)
	if err != nil {
		httpError(w, http.StatusNotFound, "%v", err)
		return nil, "", nil, false
	}
	for _, dir := range snap.modulePath {
		root, err := os.OpenRoot(filepath.Join(dir, module, "files"))
		if err != nil {
			continue
		}
		if _, err := root.Lstat(rest); err == nil {
			return root, rest, snap, true
		}
		root.Close()
	}
	httpError(w, http.StatusNotFound, "Not Found: could not find file_metadata modules/%s", r.PathValue("path"))
	return nil, "", nil, false
}

func (s *Server) handleFileMetadata(w http.ResponseWriter, r *http.Request) {
	root, rel, snap, ok := s.openSource(w, r)
	if !ok {
		return
	}
	defer root.Close()
	src := source{root: root, sums: &snap.sums}
	q := r.URL.Query()
	follow := q.Get("links") == "follow"
	base := "/modules/" + r.PathValue("path")
	plural := strings.HasPrefix(r.URL.Path, "/puppet/v3/file_metadatas/")
	var out any
	var err error
	if !plural {
		out, err = src.metadata(rel, ".", base, follow)
	} else {
		out, err = src.metadatas(rel, base, follow, isTrue(q.Get("recurse")))
	}
	if err != nil {
		httpError(w, http.StatusInternalServerError, "file metadata for %s: %v", base, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "inf", "remote":
		return true
	}
	return false
}

// source is a module's files directory in one commit's tree, with the
// checksums already computed in that tree.
type source struct {
	root *os.Root
	sums *sync.Map // path in the tree -> "{sha256}hex"
}

func (src source) metadata(name, relative, base string, follow bool) (FileMetadata, error) {
	root := src.root
	stat := root.Lstat
	if follow {
		stat = root.Stat
	}
	st, err := stat(name)
	if err != nil {
		return FileMetadata{}, err
	}
	m := FileMetadata{Path: base, RelativePath: relative, Mode: uint32(st.Mode().Perm())}
	switch {
	case st.Mode().IsRegular():
		m.Type = "file"
		sum, err := src.checksum(name)
		if err != nil {
			return m, err
		}
		m.Checksum = Checksum{Type: "sha256", Value: sum}
	case st.IsDir():
		m.Type = "directory"
		m.Checksum = Checksum{Type: "ctime", Value: "{ctime}" + st.ModTime().UTC().Format("2006-01-02 15:04:05 -0700")}
	case st.Mode()&fs.ModeSymlink != 0:
		m.Type = "link"
		if m.Destination, err = root.Readlink(name); err != nil {
			return m, err
		}
	default:
		return m, fmt.Errorf("%s is neither a file, a directory nor a link", relative)
	}
	return m, nil
}

// checksum hashes the file name once per commit: a commit's tree never
// changes, and every agent of an environment asks for the same sources on
// every run.
func (src source) checksum(name string) (string, error) {
	key := filepath.Join(src.root.Name(), name)
	if sum, ok := src.sums.Load(key); ok {
		return sum.(string), nil
	}
	f, err := src.root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := "{sha256}" + hex.EncodeToString(h.Sum(nil))
	src.sums.Store(key, sum)
	return sum, nil
}

// metadatas lists rel and, with recurse, everything below it, parents
// before children.
func (src source) metadatas(rel, base string, follow, recurse bool) ([]FileMetadata, error) {
	root := src.root
	top, err := src.metadata(rel, ".", base, follow)
	if err != nil || !recurse || top.Type != "directory" {
		return []FileMetadata{top}, err
	}
	out := []FileMetadata{top}
	err = fs.WalkDir(root.FS(), rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == rel {
			return err
		}
		if len(out) >= maxMetadatas {
			return fmt.Errorf("more than %d files below %s", maxMetadatas, base)
		}
		relative := strings.TrimPrefix(p, rel+"/")
		if rel == "." {
			relative = p
		}
		m, err := src.metadata(p, relative, path.Join(base, relative), follow)
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

func (s *Server) handleFileContent(w http.ResponseWriter, r *http.Request) {
	root, rel, _, ok := s.openSource(w, r)
	if !ok {
		return
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err == nil {
		var st fs.FileInfo
		if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		defer f.Close()
	}
	if err != nil {
		httpError(w, http.StatusNotFound, "Not Found: file_content modules/%s: %v", r.PathValue("path"), err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, f)
}
