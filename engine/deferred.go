package engine

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gapply/gapply/catalog"
	"github.com/gapply/gapply/resources"
)

// nodeFunctions are the functions a Deferred value may call: they run on
// the node, when the catalog is applied, so they see the node's files
// and not the compiling machine's. They are the core functions that
// Puppet's documentation of Deferred uses and that make sense on a node:
//
//	file(path, ...)         the content of the first of the absolute paths that exists
//	join(array, sep)        the elements joined by sep
//	sprintf(format, args)   Ruby's format: %s %d %x %o %f %e %g with flags and widths
//	split(string, sep)      split on a literal separator
//	upcase(s), downcase(s)
//	new(Sensitive, value)   value as a Sensitive: the parameter becomes
//	                        sensitive (Puppet's way to defer a secret)
//
// As in Puppet 7, an argument that is Sensitive is not unwrapped for
// the call: sprintf('%s', $secret) gives "Sensitive [value redacted]".
// A Deferred naming anything else fails the run before any resource is
// applied, naming the resource and the parameter.
var nodeFunctions = map[string]catalog.DeferredFunc{
	"file":     deferredFile,
	"join":     deferredJoin,
	"sprintf":  deferredSprintf,
	"split":    deferredSplit,
	"upcase":   deferredString(strings.ToUpper),
	"downcase": deferredString(strings.ToLower),
	"new":      deferredNew,
}

// deferredNew is new(Type, value) for the one type a node needs:
// Sensitive, whose result the catalog's resolver unwraps into a
// sensitive parameter.
func deferredNew(args []any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("expects 2 arguments, got %d", len(args))
	}
	if args[0] != "Sensitive" {
		return nil, fmt.Errorf("only new(Sensitive, value) runs on the node, got type %v", args[0])
	}
	if s, ok := args[1].(*catalog.Sensitive); ok {
		return s, nil
	}
	return &catalog.Sensitive{Value: args[1]}, nil
}

func deferredFile(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("expects at least one path")
	}
	for _, a := range args {
		p, ok := a.(string)
		if !ok || !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("expects absolute paths on the node, got %v", a)
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return string(data), nil
	}
	return nil, fmt.Errorf("could not find any files from %s", joinAny(args, ", "))
}

func deferredJoin(args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, fmt.Errorf("expects 1 or 2 arguments, got %d", len(args))
	}
	list, ok := args[0].([]any)
	if !ok {
		return nil, fmt.Errorf("expects an Array, got %T", args[0])
	}
	sep := ""
	if len(args) == 2 {
		sep = fmt.Sprint(args[1])
	}
	return joinAny(list, sep), nil
}

func joinAny(list []any, sep string) string {
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = plain(e)
	}
	return strings.Join(parts, sep)
}

// plain is a value as Puppet interpolates it: undef is empty.
func plain(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func deferredSplit(args []any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("expects 2 arguments, got %d", len(args))
	}
	parts := strings.Split(plain(args[0]), plain(args[1]))
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func deferredString(f func(string) string) catalog.DeferredFunc {
	return func(args []any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("expects 1 argument, got %d", len(args))
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("expects a String, got %T", args[0])
		}
		return f(s), nil
	}
}

func deferredSprintf(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errors.New("expects a format")
	}
	format, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("expects a String format, got %T", args[0])
	}
	wrapped := make([]any, len(args)-1)
	for i, a := range args[1:] {
		wrapped[i] = rubyArg{a}
	}
	return fmt.Sprintf(format, wrapped...), nil
}

// rubyArg formats a catalog value for a verb as Ruby's format does: %s
// takes any value, %d and the float verbs take numbers or numeric strings.
type rubyArg struct{ v any }

func (a rubyArg) Format(f fmt.State, verb rune) {
	spec := fmtSpec(f, verb)
	switch verb {
	case 'd', 'x', 'X', 'o', 'b':
		if n, ok := toInt(a.v); ok {
			fmt.Fprintf(f, spec, n)
			return
		}
	case 'f', 'e', 'E', 'g', 'G':
		if n, ok := toFloat(a.v); ok {
			fmt.Fprintf(f, spec, n)
			return
		}
	}
	fmt.Fprintf(f, fmtSpec(f, 's'), plain(a.v))
}

// fmtSpec rebuilds the verb with its flags, width and precision.
func fmtSpec(f fmt.State, verb rune) string {
	var b strings.Builder
	b.WriteByte('%')
	for _, fl := range "+-# 0" {
		if f.Flag(int(fl)) {
			b.WriteRune(fl)
		}
	}
	if w, ok := f.Width(); ok {
		b.WriteString(strconv.Itoa(w))
	}
	if p, ok := f.Precision(); ok {
		b.WriteString("." + strconv.Itoa(p))
	}
	b.WriteRune(verb)
	return b.String()
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case string:
		n, err := strconv.ParseInt(x, 0, 64)
		return n, err == nil
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		n, err := strconv.ParseFloat(x, 64)
		return n, err == nil
	}
	return 0, false
}

// redactedValue is how a change to a sensitive parameter prints its old
// and new values, as Puppet does.
const redactedValue = "[redacted]"

// redact hides the values of changes to the sensitive parameters of r:
// logs, reports and diffs see redactedValue. As in Puppet, a file whose
// content is sensitive also hides its ensure change (which would print
// the content's checksum).
func redact(r *catalog.Resource, changes []resources.Change) []resources.Change {
	if len(r.Sensitive) == 0 {
		return changes
	}
	fileContent := r.Type == "File" && r.IsSensitive("content")
	out := make([]resources.Change, len(changes))
	for i, c := range changes {
		if r.IsSensitive(c.Property) || (fileContent && c.Property == "ensure") {
			// No message of its own: the engine prints "changed
			// [redacted] to [redacted]".
			c.From, c.To, c.Diff, c.Message = redactedValue, redactedValue, "", ""
		}
		out[i] = c
	}
	return out
}
