package compiler

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// More of Puppet's core functions (and stdlib's range and reverse, which
// stdlib.go does not have), with Puppet's results and its wording for a
// wrong argument: 'versioncmp' parameter 'a' expects a String value. They
// register before stdlib.go's init runs, so a core function shadows
// stdlib's function of the same name, as in Puppet.

func init() {
	functions["strip"] = trimmer(strings.TrimSpace)
	functions["lstrip"] = trimmer(func(s string) string { return strings.TrimLeft(s, " \t\r\n\v\f") })
	functions["rstrip"] = trimmer(func(s string) string { return strings.TrimRight(s, " \t\r\n\v\f") })
	functions["merge"] = fnCoreMerge
	functions["flatten"] = fnFlatten
	functions["unique"] = fnCoreUnique
	functions["sort"] = fnSort
	functions["reverse"] = fnReverse
	functions["range"] = fnRange
	functions["versioncmp"] = fnVersioncmp
	functions["regsubst"] = fnRegsubst
	functions["match"] = fnMatch
	functions["empty"] = fnCoreEmpty
	functions["with"] = fnWith
	lambdaFunctions["sort"] = true
}

// paramError is Puppet's message for an argument of the wrong type.
func (cl *call) paramError(param, want string, v any) error {
	if !strings.HasPrefix(want, "a value of type") {
		want += " value"
	}
	return errorf(cl.expr.Range(), "'%s' parameter '%s' expects %s, got %s", cl.name, param, want, typeName(v))
}

// trimmer applies f to a string or to each string of an array; numbers
// pass through, as in Puppet.
func trimmer(f func(string) string) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 1); err != nil {
			return nil, err
		}
		switch v := args[0].(type) {
		case string:
			return f(v), nil
		case int64, float64:
			return v, nil
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, cl.paramError("arg", "a String", x)
				}
				out[i] = f(s)
			}
			return out, nil
		}
		return nil, cl.paramError("arg", "a value of type String, Numeric or Array", args[0])
	}
}

// fnCoreMerge merges hashes left to right (later keys win); undef and empty
// string arguments are skipped, as stdlib's merge does. (stdlib.go adds the
// lambda form.)
func fnCoreMerge(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	out := NewHash()
	for _, a := range args {
		switch h := a.(type) {
		case nil:
		case string:
			if h != "" {
				return nil, cl.paramError("args", "a Hash", a)
			}
		case *Hash:
			for i, k := range h.Keys() {
				out.Set(k, h.Values()[i])
			}
		default:
			return nil, cl.paramError("args", "a Hash", a)
		}
	}
	return out, nil
}

func fnFlatten(cl *call, args []any) (any, error) {
	out := []any{}
	for _, a := range args {
		out = append(out, flatten(a)...)
	}
	return out, nil
}

func fnCoreUnique(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case string:
		var b strings.Builder
		seen := map[rune]bool{}
		for _, r := range v {
			if !seen[r] {
				seen[r] = true
				b.WriteRune(r)
			}
		}
		return b.String(), nil
	case []any:
		out := []any{}
		seen := map[string]bool{}
		for _, x := range v {
			if k := hashKey(x); !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
		return out, nil
	}
	return nil, cl.paramError("arg", "a value of type String or Array", args[0])
}

// fnSort sorts strings bytewise (so 'A' before 'a') and numbers by value,
// or by a lambda |$a, $b| returning a negative, zero or positive Integer.
func fnSort(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	var items []any
	_, isStr := args[0].(string)
	switch v := args[0].(type) {
	case string:
		for _, r := range v {
			items = append(items, string(r))
		}
	case []any:
		items = slices.Clone(v)
	default:
		return nil, cl.paramError("array_value", "an Array", args[0])
	}
	var failure error
	slices.SortStableFunc(items, func(a, b any) int {
		if failure != nil {
			return 0
		}
		if cl.expr.Lambda != nil {
			r, err := cl.callLambda(a, b)
			n, ok := r.(int64)
			if err == nil && !ok {
				err = cl.errorf("the lambda must return an Integer, got %s", typeName(r))
			}
			failure = err
			return int(n)
		}
		as, aok := a.(string)
		bs, bok := b.(string)
		if aok && bok {
			return strings.Compare(as, bs)
		}
		af, aNum := asFloat(a)
		bf, bNum := asFloat(b)
		if aNum && bNum {
			return cmp.Compare(af, bf)
		}
		failure = cl.errorf("cannot compare %s with %s", typeName(a), typeName(b))
		return 0
	})
	if failure != nil {
		return nil, failure
	}
	if isStr {
		var b strings.Builder
		for _, x := range items {
			b.WriteString(x.(string))
		}
		return b.String(), nil
	}
	return items, nil
}

func fnReverse(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case string:
		r := []rune(v)
		slices.Reverse(r)
		return string(r), nil
	case []any:
		out := slices.Clone(v)
		slices.Reverse(out)
		return out, nil
	}
	return nil, cl.paramError("arg", "a value of type String or Array", args[0])
}

// rangeEnd splits 'host01' into 'host', 1 and the digits' width, for
// ranges of names.
var rangeEnd = regexp.MustCompile(`^(.*?)(\d+)$`)

// fnRange is stdlib's range: integers (with a step), single letters, or
// names with a numeric suffix ('web01', 'web03').
func fnRange(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 3); err != nil {
		return nil, err
	}
	step := int64(1)
	if len(args) == 3 {
		s, ok := toNumber(args[2]).(int64)
		if !ok || s == 0 {
			return nil, cl.errorf("the step must be a non-zero Integer, got %s", quoted(args[2]))
		}
		step = max(s, -s)
	}
	lo, lok := toNumber(args[0]).(int64)
	hi, hok := toNumber(args[1]).(int64)
	if lok && hok {
		out := []any{}
		if lo <= hi {
			for i := lo; i <= hi; i += step {
				out = append(out, i)
			}
		} else {
			for i := lo; i >= hi; i -= step {
				out = append(out, i)
			}
		}
		return out, nil
	}
	a, aok := args[0].(string)
	b, bok := args[1].(string)
	if !aok || !bok {
		return nil, cl.errorf("expects two Integers or two Strings, got %s and %s", typeName(args[0]), typeName(args[1]))
	}
	if utf8.RuneCountInString(a) == 1 && utf8.RuneCountInString(b) == 1 {
		out := []any{}
		ra, _ := utf8.DecodeRuneInString(a)
		rb, _ := utf8.DecodeRuneInString(b)
		for r := ra; r <= rb; r += rune(step) {
			out = append(out, string(r))
		}
		return out, nil
	}
	ma, mb := rangeEnd.FindStringSubmatch(a), rangeEnd.FindStringSubmatch(b)
	if ma == nil || mb == nil || ma[1] != mb[1] {
		return nil, cl.errorf("cannot make a range from %s to %s", quoted(a), quoted(b))
	}
	from, _ := strconv.ParseInt(ma[2], 10, 64)
	to, _ := strconv.ParseInt(mb[2], 10, 64)
	out := []any{}
	for i := from; i <= to; i += step {
		n := strconv.FormatInt(i, 10)
		if pad := len(ma[2]) - len(n); pad > 0 {
			n = strings.Repeat("0", pad) + n
		}
		out = append(out, ma[1]+n)
	}
	return out, nil
}

var versionToken = regexp.MustCompile(`[-.]|\d+|[^-.\d]+`)

// fnVersioncmp compares versions as Puppet does: by tokens of digits,
// words and separators; numbers numerically unless one has a leading 0.
func fnVersioncmp(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	a, ok := args[0].(string)
	if !ok {
		return nil, cl.paramError("a", "a String", args[0])
	}
	b, ok := args[1].(string)
	if !ok {
		return nil, cl.paramError("b", "a String", args[1])
	}
	return int64(versioncmp(a, b)), nil
}

func versioncmp(a, b string) int {
	ax, bx := versionToken.FindAllString(a, -1), versionToken.FindAllString(b, -1)
	for len(ax) > 0 && len(bx) > 0 {
		x, y := ax[0], bx[0]
		ax, bx = ax[1:], bx[1:]
		switch {
		case x == y:
			continue
		case x == "-":
			return -1
		case y == "-":
			return 1
		case x == ".":
			return -1
		case y == ".":
			return 1
		}
		xn, xerr := strconv.ParseUint(x, 10, 64)
		yn, yerr := strconv.ParseUint(y, 10, 64)
		if xerr == nil && yerr == nil && x[0] != '0' && y[0] != '0' {
			return cmp.Compare(xn, yn)
		}
		return strings.Compare(strings.ToUpper(x), strings.ToUpper(y))
	}
	return strings.Compare(a, b)
}

// fnRegsubst replaces the first match (every match with flag G) of a
// pattern in a string or in each string of an array; \0..\9 in the
// replacement are the groups. Flags: G global, I ignore case, M multiline,
// E extended (ignored).
func fnRegsubst(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 3, 5); err != nil {
		return nil, err
	}
	flags := ""
	if len(args) >= 4 {
		flags = ToString(args[3])
	}
	var re *regexp.Regexp
	switch p := args[1].(type) {
	case string:
		prefix := ""
		if strings.Contains(flags, "I") {
			prefix += "(?i)"
		}
		if strings.Contains(flags, "M") {
			prefix += "(?s)"
		}
		r, err := cl.c.regexp(prefix+p, cl.expr.Range())
		if err != nil {
			return nil, err
		}
		re = r.Re
	case *Regexp:
		re = p.Re
	default:
		return nil, cl.paramError("pattern", "a value of type String or Regexp", args[1])
	}
	repl, ok := args[2].(string)
	if !ok {
		return nil, cl.paramError("replacement", "a String", args[2])
	}
	global := strings.Contains(flags, "G")
	subst := func(s string) string {
		done := false
		return re.ReplaceAllStringFunc(s, func(m string) string {
			if done {
				return m
			}
			done = !global
			return expandReplacement(re, m, repl)
		})
	}
	return cl.stringOrStrings(args[0], "target", "a value of type Array or String", func(s string) any { return subst(s) })
}

// stringOrStrings applies f to a String, or to each String of an Array;
// anything else is a type error of the parameter param, which wants want.
func (cl *call) stringOrStrings(arg any, param, want string, f func(string) any) (any, error) {
	switch v := arg.(type) {
	case string:
		return f(v), nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, cl.paramError(param, want, arg)
			}
			out[i] = f(s)
		}
		return out, nil
	}
	return nil, cl.paramError(param, want, arg)
}

// expandReplacement substitutes \0..\9 and \\ in a replacement for one
// match.
func expandReplacement(re *regexp.Regexp, match, repl string) string {
	groups := re.FindStringSubmatch(match)
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		ch := repl[i]
		if ch == '\\' && i+1 < len(repl) {
			next := repl[i+1]
			if next >= '0' && next <= '9' {
				if n := int(next - '0'); n < len(groups) {
					b.WriteString(groups[n])
				}
				i++
				continue
			}
			if next == '\\' {
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// fnMatch returns the match and its groups, or undef; for an array, one
// result per element.
func fnMatch(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	switch p := args[1].(type) {
	case string:
		r, err := cl.c.regexp(p, cl.expr.Range())
		if err != nil {
			return nil, err
		}
		re = r.Re
	case *Regexp:
		re = p.Re
	case TypeRef:
		if p.Name == "Pattern" || p.Name == "Regexp" {
			for _, x := range flatten(p.Params) {
				if r, ok := x.(*Regexp); ok {
					re = r.Re
				}
			}
		}
	}
	if re == nil {
		return nil, cl.paramError("pattern", "a value of type String, Regexp or Pattern", args[1])
	}
	one := func(s string) any {
		idx := re.FindStringSubmatchIndex(s)
		if idx == nil {
			return nil
		}
		out := make([]any, len(idx)/2)
		for i := range out {
			if idx[2*i] >= 0 {
				out[i] = s[idx[2*i]:idx[2*i+1]]
			}
		}
		return out
	}
	return cl.stringOrStrings(args[0], "string", "a value of type String or Array", one)
}

func fnCoreEmpty(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	switch v := args[0].(type) {
	case nil:
		return true, nil
	case string:
		return v == "", nil
	case []any:
		return len(v) == 0, nil
	case *Hash:
		return v.Len() == 0, nil
	case int64, float64, bool:
		return false, nil
	}
	return nil, cl.paramError("collection", "a value of type Collection, String, Numeric or Undef", args[0])
}

// fnWith calls its lambda with its arguments.
func fnWith(cl *call, args []any) (any, error) {
	if cl.expr.Lambda == nil {
		return nil, cl.errorf("expects a lambda")
	}
	return cl.callLambda(args...)
}
