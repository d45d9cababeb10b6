package compiler

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gapply/gapply/catalog"
)

// More stdlib functions, with stdlib's results and messages: count,
// delete_at, num2bool, shell_escape, getparam and strftime. (chomp and
// chop are also Puppet core functions, corefuncs_more.go; stdlib::chomp
// and stdlib::chop call them.)

func init() {
	registerStdlib("count", fnCount)
	registerStdlib("delete_at", fnDeleteAt)
	registerStdlib("num2bool", fnNum2Bool)
	registerStdlib("shell_escape", fnShellEscape)
	registerStdlib("getparam", fnGetparam)
	registerStdlib("strftime", fnStrftime)
	registerStdlib("chomp", functions["chomp"])
	registerStdlib("chop", functions["chop"])
}

// fnCount counts the elements equal to the second argument, or without
// one the elements that are neither undef nor the empty string.
func fnCount(cl *call, args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, cl.errorf("Wrong number of arguments given (%d for 1 or 2)", len(args))
	}
	var elems []any
	switch c := args[0].(type) {
	case []any:
		elems = c
	case *Hash:
		for i, k := range c.Keys() {
			elems = append(elems, []any{k, c.Values()[i]})
		}
	case string:
		elems, _ = iterableElems(c)
	default:
		return nil, cl.errorf("expects an Array, a Hash or a String, got %s", typeName(args[0]))
	}
	n := int64(0)
	for _, x := range elems {
		if len(args) == 2 && same(x, args[1]) || len(args) == 1 && !emptyish(x) {
			n++
		}
	}
	return n, nil
}

// fnDeleteAt removes the element at an index (negative counts from the
// end) from a copy of an array.
func fnDeleteAt(cl *call, args []any) (any, error) {
	if len(args) != 2 {
		return nil, cl.errorf("Wrong number of arguments given (%d for 2)", len(args))
	}
	arr, ok := args[0].([]any)
	if !ok {
		return nil, cl.errorf("Requires array to work with")
	}
	var i int64
	switch n := args[1].(type) {
	case int64:
		i = n
	case string:
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v < 0 {
			return nil, cl.errorf("Requires integer to work with")
		}
		i = v
	default:
		return nil, cl.errorf("Requires integer to work with")
	}
	if i > int64(len(arr))-1 {
		return nil, cl.errorf("Given index exceeds size of array given")
	}
	if i < 0 {
		i += int64(len(arr))
	}
	out := append([]any{}, arr...)
	if i < 0 {
		return out, nil // Ruby's delete_at beyond the start changes nothing
	}
	return append(out[:i], out[i+1:]...), nil
}

// leadingInt is Ruby's String#to_i: the integer at the start of s, 0 when
// there is none.
var leadingInt = regexp.MustCompile(`^\s*[-+]?\d+`)

// fnNum2Bool is true for a number (or numeric string) whose integer part
// is positive.
func fnNum2Bool(cl *call, args []any) (any, error) {
	if len(args) != 1 {
		return nil, cl.errorf("Wrong number of arguments given (%d for 1)", len(args))
	}
	var n float64
	switch v := args[0].(type) {
	case int64:
		n = float64(v)
	case float64:
		n = v
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(v, "_", "")), 64)
		if err != nil {
			return nil, cl.errorf("'%s' does not look like a number", v)
		}
		n = f
	default:
		// stdlib converts anything else with to_s, then to_i.
		i, _ := strconv.ParseInt(strings.TrimSpace(leadingInt.FindString(ToString(v))), 10, 64)
		n = float64(i)
	}
	return int64(n) > 0, nil
}

// fnShellEscape escapes a string for a Bourne shell as Ruby's
// Shellwords.escape does: a backslash before every character that is not
// safe, a newline quoted as '\n', and ” for the empty string.
func fnShellEscape(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	s := ToString(args[0])
	if s == "" {
		return "''", nil
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString("'\n'")
			continue
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.,:+/@", r)):
		default:
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// fnGetparam returns the value of a parameter of a declared resource, ”
// when the resource is not declared or does not set it. gapply reads the
// parameters of the built-in types: for an instance of a defined type it
// fails rather than answer ” for a parameter that may be set.
func fnGetparam(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	ref, ok := args[0].(catalog.Ref)
	if !ok {
		if ref, ok = refString(ToString(args[0])); !ok {
			return nil, cl.errorf("Must specify a reference")
		}
	}
	param, ok := args[1].(string)
	if !ok {
		return nil, cl.errorf("Must specify name of a parameter")
	}
	if param == "" {
		return "", nil
	}
	real, ok := cl.c.resolve(ref)
	if !ok {
		return "", nil
	}
	m := cl.c.metaOf(real)
	if m == nil {
		return nil, cl.errorf("gapply reads the parameters of built-in resource types only, and %s is an instance of a defined type", ref)
	}
	if v, ok := m.res.Parameters[param]; ok && v != nil {
		return FromData(v), nil
	}
	return "", nil
}

// fnStrftime formats the current time with a Ruby strftime format, in the
// local time zone or the one named by the second argument.
func fnStrftime(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	format, ok := args[0].(string)
	if !ok {
		return nil, cl.paramError("format", "a String", args[0])
	}
	now := time.Now()
	if len(args) == 2 && args[1] != nil {
		loc, err := time.LoadLocation(ToString(args[1]))
		if err != nil {
			return nil, cl.errorf("Unknown time zone %s", quoted(args[1]))
		}
		now = now.In(loc)
	}
	return rubyStrftime(now, format), nil
}

// rubyStrftime formats t as Ruby's Time#strftime does, for the
// conversions in use (with the flags '-' for no padding, '_' for spaces
// and '^' for upper case); an unknown conversion is copied as written.
func rubyStrftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		start := i
		i++
		flag := byte(0)
		if strings.IndexByte("-_0^", format[i]) >= 0 && i+1 < len(format) {
			flag = format[i]
			i++
		}
		colon := false
		if format[i] == ':' && i+1 < len(format) && format[i+1] == 'z' {
			colon = true
			i++
		}
		s, ok := strftimeField(t, format[i], colon)
		if !ok {
			b.WriteString(format[start : i+1])
			continue
		}
		switch flag {
		case '-':
			if trimmed := strings.TrimLeft(s, "0 "); trimmed != "" {
				s = trimmed
			} else if s != "" {
				s = "0"
			}
		case '_':
			if n := len(s) - len(strings.TrimLeft(s, "0")); n > 0 && n < len(s) {
				s = strings.Repeat(" ", n) + s[n:]
			}
		case '^':
			s = strings.ToUpper(s)
		}
		b.WriteString(s)
	}
	return b.String()
}

// strftimeField is one conversion of rubyStrftime.
func strftimeField(t time.Time, c byte, colon bool) (string, bool) {
	pad := func(n, width int) string {
		s := strconv.Itoa(n)
		for len(s) < width {
			s = "0" + s
		}
		return s
	}
	space := func(n int) string {
		if n < 10 {
			return " " + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	switch c {
	case 'Y':
		return strconv.Itoa(t.Year()), true
	case 'C':
		return pad(t.Year()/100, 2), true
	case 'y':
		return pad(t.Year()%100, 2), true
	case 'm':
		return pad(int(t.Month()), 2), true
	case 'B':
		return t.Month().String(), true
	case 'b', 'h':
		return t.Month().String()[:3], true
	case 'd':
		return pad(t.Day(), 2), true
	case 'e':
		return space(t.Day()), true
	case 'j':
		return pad(t.YearDay(), 3), true
	case 'H':
		return pad(t.Hour(), 2), true
	case 'k':
		return space(t.Hour()), true
	case 'I':
		return pad(hour12, 2), true
	case 'l':
		return space(hour12), true
	case 'M':
		return pad(t.Minute(), 2), true
	case 'S':
		return pad(t.Second(), 2), true
	case 'L':
		return pad(t.Nanosecond()/1e6, 3), true
	case 'N':
		return pad(t.Nanosecond(), 9), true
	case 'z':
		if colon {
			return t.Format("-07:00"), true
		}
		return t.Format("-0700"), true
	case 'Z':
		return t.Format("MST"), true
	case 'A':
		return t.Weekday().String(), true
	case 'a':
		return t.Weekday().String()[:3], true
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1), true
	case 'w':
		return strconv.Itoa(int(t.Weekday())), true
	case 'p':
		return t.Format("PM"), true
	case 'P':
		return strings.ToLower(t.Format("PM")), true
	case 's':
		return strconv.FormatInt(t.Unix(), 10), true
	case 'G':
		y, _ := t.ISOWeek()
		return strconv.Itoa(y), true
	case 'V':
		_, w := t.ISOWeek()
		return pad(w, 2), true
	case 'U':
		return pad((t.YearDay()+6-int(t.Weekday()))/7, 2), true
	case 'W':
		return pad((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2), true
	case 'n':
		return "\n", true
	case 't':
		return "\t", true
	case '%':
		return "%", true
	case 'c':
		return rubyStrftime(t, "%a %b %e %H:%M:%S %Y"), true
	case 'D', 'x':
		return rubyStrftime(t, "%m/%d/%y"), true
	case 'F':
		return rubyStrftime(t, "%Y-%m-%d"), true
	case 'T', 'X':
		return rubyStrftime(t, "%H:%M:%S"), true
	case 'R':
		return rubyStrftime(t, "%H:%M"), true
	case 'r':
		return rubyStrftime(t, "%I:%M:%S %p"), true
	}
	return "", false
}
