//lint:file-ignore ST1005 error messages are Puppet's, which are capitalised

package resources

import (
	"fmt"
	"strconv"
	"strings"
)

// fileMode is the desired mode of a file: either absolute (octal, "0644")
// or symbolic ("u=rw,go=r", "a+x"), which is relative to the current mode
// and so can only be resolved against what is on disk.
type fileMode struct {
	spec     string // as written, for messages
	symbolic bool
	abs      uint32       // absolute mode, 07777 bits
	clauses  []modeClause // symbolic mode
}

type modeClause struct {
	who uint32 // mask of the classes affected: 0700, 0070, 0007 bits combined
	ops []modeOp
}

type modeOp struct {
	op    byte   // '+', '-' or '='
	perms string // rwxXst, or one of ugo to copy a class
}

// parseFileMode accepts octal modes of one to four digits and chmod(1)'s
// symbolic modes. The error is Puppet's.
func parseFileMode(s string) (*fileMode, error) {
	// The error is made only when needed: every file resource with a mode
	// comes through here when a catalog is compiled.
	bad := func() error { return fmt.Errorf("The file mode specification is invalid: %q", s) }
	if s == "" {
		return nil, bad()
	}
	if s[0] >= '0' && s[0] <= '9' {
		if len(s) > 4 {
			return nil, bad()
		}
		n, err := strconv.ParseUint(s, 8, 32)
		if err != nil {
			return nil, bad()
		}
		return &fileMode{spec: s, abs: uint32(n)}, nil
	}
	m := &fileMode{spec: s, symbolic: true}
	for _, part := range strings.Split(s, ",") {
		var c modeClause
		i := 0
		for ; i < len(part) && strings.IndexByte("ugoa", part[i]) >= 0; i++ {
			c.who |= classMask(part[i])
		}
		if c.who == 0 {
			c.who = 0o777 // no class means all, as in Puppet (umask ignored)
		}
		if i == len(part) {
			return nil, bad()
		}
		for i < len(part) {
			op := part[i]
			if op != '+' && op != '-' && op != '=' {
				return nil, bad()
			}
			i++
			j := i
			for j < len(part) && strings.IndexByte("rwxXstugo", part[j]) >= 0 {
				j++
			}
			perms := part[i:j]
			if strings.ContainsAny(perms, "ugo") && len(perms) != 1 {
				return nil, bad()
			}
			c.ops = append(c.ops, modeOp{op: op, perms: perms})
			i = j
		}
		m.clauses = append(m.clauses, c)
	}
	return m, nil
}

func classMask(who byte) uint32 {
	switch who {
	case 'u':
		return 0o700
	case 'g':
		return 0o070
	case 'o':
		return 0o007
	}
	return 0o777
}

// resolve returns the mode to set on a file whose current mode is cur
// (07777 bits). A directory gets an execute bit for every read bit, as
// Puppet does, so that `mode => '0644'` on a directory means 0755.
func (m *fileMode) resolve(cur uint32, isDir bool) uint32 {
	mode := m.abs
	if m.symbolic {
		mode = cur & 0o7777
		for _, c := range m.clauses {
			for _, op := range c.ops {
				mode = op.apply(mode, c.who, isDir)
			}
		}
	}
	if isDir {
		mode |= (mode & 0o444) >> 2
	}
	return mode
}

func (op modeOp) apply(mode, who uint32, isDir bool) uint32 {
	var bits uint32 // rwx bits for every class, masked by who below
	var special uint32
	if len(op.perms) == 1 && strings.IndexByte("ugo", op.perms[0]) >= 0 {
		src := mode & classMask(op.perms[0])
		switch op.perms[0] {
		case 'u':
			src >>= 6
		case 'g':
			src >>= 3
		}
		bits = src * 0o111
	} else {
		for _, p := range op.perms {
			switch p {
			case 'r':
				bits |= 0o444
			case 'w':
				bits |= 0o222
			case 'x':
				bits |= 0o111
			case 'X':
				if isDir || mode&0o111 != 0 {
					bits |= 0o111
				}
			case 's':
				if who&0o700 != 0 {
					special |= 0o4000
				}
				if who&0o070 != 0 {
					special |= 0o2000
				}
			case 't':
				special |= 0o1000
			}
		}
	}
	bits &= who
	switch op.op {
	case '+':
		return mode | bits | special
	case '-':
		return mode &^ (bits | special)
	}
	// '=': clear the classes named, and their set-id bits, then set.
	clear := who
	if who&0o700 != 0 {
		clear |= 0o4000
	}
	if who&0o070 != 0 {
		clear |= 0o2000
	}
	return mode&^clear | bits | special
}

// formatMode prints a mode as Puppet does: four octal digits.
func formatMode(m uint32) string {
	return fmt.Sprintf("%04o", m&0o7777)
}
