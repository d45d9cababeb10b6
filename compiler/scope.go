package compiler

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

// scope holds variables as Puppet scopes them. The top scope holds the
// facts; a class, define or node body gets a local scope whose parent is the
// top scope (Puppet 4+ scoping is static, not dynamic); if, case and
// selector bodies get an ephemeral scope that holds only the match
// variables $0..$9 and passes assignments through to its enclosing scope.
type scope struct {
	parent    *scope
	ephemeral bool
	vars      map[string]variable
	// matches are the groups of the last successful =~ in this scope.
	matches []any
	// defaults are the resource defaults set in this scope, by type name
	// in lower case; they are inherited by nested scopes.
	defaults map[string][]attr
	// dynParent is the scope that declared this class or defined
	// resource: resource defaults follow it rather than parent, since
	// Puppet scopes defaults dynamically (a class's defaults reach the
	// classes it includes) while variables are scoped statically.
	dynParent *scope
	// container is the class or defined resource whose body the scope
	// evaluates (Class[main] at top scope): it contains the resources
	// declared in it, and relationships with it apply to them.
	container catalog.Ref
	// tags are the automatic tags of the resources declared in the scope:
	// the names of the enclosing classes and defined types.
	tags []string
}

// variable is an assigned value and where it was assigned, for the
// reassignment error. The place is a pointer, mostly into the syntax tree,
// because scopes hold many variables and most are never reassigned.
type variable struct {
	value any
	at    *hcl.Range
}

func newScope(parent *scope) *scope {
	return &scope{parent: parent, vars: map[string]variable{}}
}

// newScopeSized is newScope for a scope that will hold about n
// variables, so that its map is not grown as they are assigned.
func newScopeSized(parent *scope, n int) *scope {
	return &scope{parent: parent, vars: make(map[string]variable, n)}
}

// ephemeralChild returns a scope for the body of an if, case or selector,
// where the match variables of its condition live.
func (s *scope) ephemeralChild() *scope {
	return &scope{parent: s, ephemeral: true}
}

// local returns the nearest scope that owns variables.
func (s *scope) local() *scope {
	for s.ephemeral {
		s = s.parent
	}
	return s
}

// top returns the top scope.
func (s *scope) top() *scope {
	for s.parent != nil {
		s = s.parent
	}
	return s
}

// lookup finds a variable. "::name" is the top scope's; a numeric name is a
// match variable, looked up only up to the local scope.
func (s *scope) lookup(name string) (any, bool) {
	if rest, ok := strings.CutPrefix(name, "::"); ok {
		return s.top().lookup(rest)
	}
	if n, ok := matchIndex(name); ok {
		for sc := s; sc != nil; sc = sc.parent {
			if sc.matches != nil {
				if n < len(sc.matches) {
					return sc.matches[n], true
				}
				return nil, true
			}
			if !sc.ephemeral {
				break
			}
		}
		return nil, false
	}
	for sc := s; sc != nil; sc = sc.parent {
		if v, ok := sc.vars[name]; ok {
			return v.value, true
		}
	}
	return nil, false
}

// matchIndex is strconv.Atoi for variable names: the number of a match
// variable ($0..$9). Names that cannot be numbers are refused before
// Atoi, whose error for them would be an allocation on every lookup.
func matchIndex(name string) (int, bool) {
	if name == "" || !(isDigit(name[0]) || name[0] == '+' || name[0] == '-') {
		return 0, false
	}
	n, err := strconv.Atoi(name)
	return n, err == nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// assign sets a variable in the local scope. It returns the earlier
// assignment when the variable is already set there: Puppet variables are
// assigned once per scope.
func (s *scope) assign(name string, v any, at *hcl.Range) (prev hcl.Range, dup bool) {
	l := s.local()
	if old, ok := l.vars[name]; ok {
		if old.at == nil {
			return hcl.Range{}, true
		}
		return *old.at, true
	}
	l.vars[name] = variable{value: v, at: at}
	return hcl.Range{}, false
}

// setMatches records the groups of a successful match in the innermost
// scope, where the body of the if, case or selector sees them.
func (s *scope) setMatches(groups []string, present []bool) {
	m := make([]any, len(groups))
	for i, g := range groups {
		if present[i] {
			m[i] = g
		}
	}
	s.matches = m
}

// addDefault records a resource default for typ in the local scope.
func (s *scope) addDefault(typ string, attrs []attr) {
	l := s.local()
	if l.defaults == nil {
		l.defaults = map[string][]attr{}
	}
	l.defaults[typ] = append(l.defaults[typ], attrs...)
}

// resourceDefaults returns the defaults in effect for typ: inner scopes
// and later statements win.
func (s *scope) resourceDefaults(typ string) []attr {
	if !s.hasDefaults() {
		return nil
	}
	var chain []*scope
	for sc := s; sc != nil; sc = sc.defaultsParent() {
		chain = append(chain, sc)
	}
	var out []attr
	for i := len(chain) - 1; i >= 0; i-- {
		out = append(out, chain[i].defaults[typ]...)
	}
	return out
}

// hasDefaults tells whether any scope resourceDefaults would visit holds
// defaults, so that most declarations, which have none, build no chain.
func (s *scope) hasDefaults() bool {
	for sc := s; sc != nil; sc = sc.defaultsParent() {
		if len(sc.defaults) > 0 {
			return true
		}
	}
	return false
}

// defaultsParent is the next scope whose resource defaults apply: the
// class a class inherits from (whose defaults reach it, as its variables
// do), else the scope that declared the class or define, else the
// enclosing scope.
func (s *scope) defaultsParent() *scope {
	if p := s.parent; p != nil && p.parent != nil && p.container.Type == "Class" {
		return p
	}
	if s.dynParent != nil {
		return s.dynParent
	}
	return s.parent
}

// containerOf returns the container and tags of the local scope.
func (s *scope) containerOf() (catalog.Ref, []string) {
	l := s.local()
	return l.container, l.tags
}
