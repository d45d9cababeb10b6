package resources

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// The account databases (/etc/passwd, /etc/group, /etc/shadow) are read
// directly rather than through getent or one process per lookup, so that
// checking fifty users costs three small file reads, not fifty processes.
// A parsed file is kept while its inode, size and modification time stay
// the same: useradd and friends replace the files by rename, so any change
// made by them (or by anyone) is seen by the next Check.

// Paths of the account databases; variables so tests of parsing can point
// them elsewhere.
var (
	passwdPath = "/etc/passwd"
	groupPath  = "/etc/group"
	shadowPath = "/etc/shadow"
)

type passwdEntry struct {
	Name, Home, Shell, Comment string
	UID, GID                   int64
}

type groupEntry struct {
	Name    string
	GID     int64
	Members []string
}

// fileKey identifies one version of a file.
type fileKey struct {
	ino, size int64
	mtime     int64
}

type cachedTable struct {
	key  fileKey
	rows [][]string
}

var (
	etcMu    sync.Mutex
	etcCache = map[string]cachedTable{}
)

// readColonFile returns the colon-separated records of path, from the
// cache when the file has not changed. A missing file has no records.
func readColonFile(path string) ([][]string, error) {
	key, err := statFileKey(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	etcMu.Lock()
	defer etcMu.Unlock()
	if c, ok := etcCache[path]; ok && c.key == key {
		return c.rows, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		rows = append(rows, strings.Split(line, ":"))
	}
	etcCache[path] = cachedTable{key: key, rows: rows}
	return rows, nil
}

// readPasswd returns every user of /etc/passwd in file order.
func readPasswd() ([]passwdEntry, error) {
	rows, err := readColonFile(passwdPath)
	if err != nil {
		return nil, err
	}
	out := make([]passwdEntry, 0, len(rows))
	for _, f := range rows {
		if len(f) < 7 {
			continue
		}
		uid, _ := strconv.ParseInt(f[2], 10, 64)
		gid, _ := strconv.ParseInt(f[3], 10, 64)
		out = append(out, passwdEntry{Name: f[0], UID: uid, GID: gid, Comment: f[4], Home: f[5], Shell: f[6]})
	}
	return out, nil
}

// readGroups returns every group of /etc/group in file order.
func readGroups() ([]groupEntry, error) {
	rows, err := readColonFile(groupPath)
	if err != nil {
		return nil, err
	}
	out := make([]groupEntry, 0, len(rows))
	for _, f := range rows {
		if len(f) < 4 {
			continue
		}
		gid, _ := strconv.ParseInt(f[2], 10, 64)
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m != "" {
				members = append(members, m)
			}
		}
		out = append(out, groupEntry{Name: f[0], GID: gid, Members: members})
	}
	return out, nil
}

// readShadow maps user names to their password hash.
func readShadow() (map[string]string, error) {
	rows, err := readColonFile(shadowPath)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, f := range rows {
		if len(f) >= 2 {
			out[f[0]] = f[1]
		}
	}
	return out, nil
}

// groupGID resolves a group given by name or number to its gid; ok is
// false for a name that does not exist.
func groupGID(groups []groupEntry, nameOrID string) (int64, bool) {
	if n, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		return n, true
	}
	for _, g := range groups {
		if g.Name == nameOrID {
			return g.GID, true
		}
	}
	return 0, false
}
