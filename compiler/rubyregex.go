package compiler

import (
	"fmt"
	"slices"
	"strings"
)

// Puppet's regular expressions are Ruby's (Onigmo), and modules write
// them for Ruby: stdlib's Stdlib::Cron::* types call named groups as
// subroutines, its X509 types use {,n}, others use \h. Go's RE2 reads
// some of that differently without an error, so rubyToRE2 rewrites the
// spellings that differ into RE2 with the meaning Ruby gives them:
//
//   - ^ and $ always match at line boundaries in Ruby: (?m) is prefixed;
//   - Ruby's (?m) flag is RE2's (?s) (dot matches newline);
//   - x{,n} is x{0,n} (RE2 would read the braces literally);
//   - \h and \H are hexadecimal digit classes;
//   - \g<name> and \g'name' call a named group's pattern; the group's
//     text is put in its place (as a group that captures nothing), which
//     is what the call matches when it is not recursive.
//
// Constructs RE2 cannot match at all (look-around, atomic groups,
// recursive calls, back-references) stay errors: gapply refuses them
// rather than match something else.
func rubyToRE2(src string) (string, error) {
	t := reTranslator{src: src, groups: namedGroups(src)}
	out, err := t.translate(src, false)
	if err != nil {
		return "", err
	}
	return "(?m)" + out, nil
}

// reTranslator holds the source being translated and the bodies of its
// named groups, for subroutine calls.
type reTranslator struct {
	src     string
	groups  map[string]string
	calling []string // the groups whose bodies are being put in place
}

// translate rewrites s. inlined is true for the body of a called group,
// whose own groups must not capture (their names would be defined twice).
func (t *reTranslator) translate(s string, inlined bool) (string, error) {
	var b strings.Builder
	b.Grow(len(s) + 8)
	inClass := false
	var open []string // named groups open at this point ("" for others)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s):
			next := s[i+1]
			switch {
			case next == 'h' && inClass:
				b.WriteString("0-9a-fA-F")
			case next == 'h':
				b.WriteString("[0-9a-fA-F]")
			case next == 'H' && !inClass:
				b.WriteString("[^0-9a-fA-F]")
			case next == 'g' && !inClass && i+2 < len(s) && (s[i+2] == '<' || s[i+2] == '\''):
				name, end, ok := groupRef(s, i+2)
				if !ok {
					b.WriteString(s[i : i+2])
					break
				}
				body, known := t.groups[name]
				if !known {
					return "", fmt.Errorf("undefined name <%s> reference in \\g<%s>", name, name)
				}
				if slices.Contains(open, name) || slices.Contains(t.calling, name) {
					return "", fmt.Errorf("recursive subroutine call \\g<%s> is not supported", name)
				}
				t.calling = append(t.calling, name)
				inner, err := t.translate(body, true)
				t.calling = t.calling[:len(t.calling)-1]
				if err != nil {
					return "", err
				}
				b.WriteString("(?:" + inner + ")")
				i = end
				continue
			default:
				b.WriteString(s[i : i+2])
			}
			i++
		case inClass:
			if ch == '[' && strings.HasPrefix(s[i:], "[:") {
				if end := strings.Index(s[i:], ":]"); end > 0 {
					b.WriteString(s[i : i+end+2])
					i += end + 1
					continue
				}
			}
			if ch == ']' {
				inClass = false
			}
			b.WriteByte(ch)
		case ch == '[':
			inClass = true
			b.WriteByte(ch)
			// A ] right after [ or [^ is a literal member.
			if strings.HasPrefix(s[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
			if strings.HasPrefix(s[i+1:], "]") {
				b.WriteByte(']')
				i++
			}
		case ch == '(':
			for _, p := range unsupportedGroups {
				if strings.HasPrefix(s[i:], p) {
					return "", fmt.Errorf("%s...) groups (look-around, atomic) are not supported", p)
				}
			}
			name, bodyAt := groupOpening(s, i)
			open = append(open, name)
			switch {
			case name != "" && inlined:
				b.WriteString("(?:")
				i = bodyAt - 1
			case name != "":
				b.WriteString("(?P<" + name + ">") // RE2 has no (?'name'
				i = bodyAt - 1
			case name == "" && bodyAt > i+1:
				flags := s[i+2 : bodyAt]
				b.WriteString("(?" + rubyFlags(flags))
				i = bodyAt - 1
			default:
				b.WriteByte(ch)
			}
		case ch == ')':
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
			b.WriteByte(ch)
		case ch == '{' && strings.HasPrefix(s[i+1:], ","):
			if j := strings.IndexByte(s[i:], '}'); j > 2 && allDigits(s[i+2:i+j]) {
				b.WriteString("{0" + s[i+1:i+j+1])
				i += j
				continue
			}
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// unsupportedGroups open groups that RE2 has no way to match.
var unsupportedGroups = []string{"(?=", "(?!", "(?<=", "(?<!", "(?>"}

// groupOpening looks at the group opened at s[i] == '('. For a named
// group, (?<name> or (?'name', it returns the name and where the body
// starts. For a flag group, (?flags) or (?flags:, it returns "" and the
// index of the ')' or ':' that ends the flags, so the caller can rewrite
// them. Any other group gives "" and i+1.
func groupOpening(s string, i int) (string, int) {
	rest := s[i+1:]
	if !strings.HasPrefix(rest, "?") {
		return "", i + 1
	}
	if len(rest) > 2 && (rest[1] == '<' || rest[1] == '\'') && rest[2] != '=' && rest[2] != '!' {
		if name, end, ok := groupRef(s, i+2); ok {
			return name, end + 1
		}
	}
	j := 1
	for j < len(rest) && strings.IndexByte("imx-", rest[j]) >= 0 {
		j++
	}
	if j > 1 && j < len(rest) && (rest[j] == ')' || rest[j] == ':') {
		return "", i + 1 + j
	}
	return "", i + 1
}

// rubyFlags rewrites the inline flags of a Ruby group for RE2: Ruby's m
// (dot matches newline) is RE2's s. Ruby's x stays and RE2 reports it.
func rubyFlags(flags string) string {
	return strings.ReplaceAll(flags, "m", "s")
}

// groupRef reads <name> or 'name' starting at s[i], answering the name
// and the index of the closing delimiter.
func groupRef(s string, i int) (string, int, bool) {
	closer := byte('>')
	if s[i] == '\'' {
		closer = '\''
	}
	end := strings.IndexByte(s[i+1:], closer)
	if end <= 0 {
		return "", 0, false
	}
	name := s[i+1 : i+1+end]
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", 0, false
		}
	}
	return name, i + 1 + end, true
}

// namedGroups maps the name of every named group of src to its body.
func namedGroups(src string) map[string]string {
	if !strings.Contains(src, "\\g") {
		return nil // bodies are only needed for calls
	}
	groups := map[string]string{}
	type opened struct {
		name string
		body int
	}
	var stack []opened
	inClass := false
	for i := 0; i < len(src); i++ {
		switch ch := src[i]; {
		case ch == '\\':
			i++
		case inClass:
			inClass = ch != ']'
		case ch == '[':
			inClass = true
			if strings.HasPrefix(src[i+1:], "]") {
				i++
			}
		case ch == '(':
			name, body := groupOpening(src, i)
			stack = append(stack, opened{name, body})
		case ch == ')' && len(stack) > 0:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if top.name != "" {
				groups[top.name] = src[top.body:i]
			}
		}
	}
	return groups
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
