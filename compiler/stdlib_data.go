package compiler

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// stdlib's serialisation functions. Their output must be byte for byte
// what Ruby's JSON and Psych print, since it usually becomes a file's
// content and any difference is a change on every run after a switch
// from Puppet: so the writers are gapply's own, keeping hash order, and
// printing floats and strings as Ruby does.

func init() {
	registerStdlib("to_json", fnToJSON)
	registerStdlib("to_json_pretty", fnToJSONPretty)
	registerStdlib("to_yaml", fnToYAML)
	registerStdlib("parsejson", parser2(parseJSONValue))
	registerStdlib("parseyaml", parser2(parseYAMLValue))
}

func fnToJSON(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 1); err != nil {
		return nil, err
	}
	var b strings.Builder
	writeJSON(&b, args[0], "", "")
	return b.String(), nil
}

// fnToJSONPretty is Ruby's JSON.pretty_generate plus a final newline;
// skip_undef drops the undef values of the top-level hash or array, and
// opts may change the indent.
func fnToJSONPretty(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 3); err != nil {
		return nil, err
	}
	data := args[0]
	if len(args) >= 2 && args[1] == true {
		data = compact(data)
	}
	indent := "  "
	if len(args) == 3 {
		if h, ok := args[2].(*Hash); ok {
			if s, ok := h.Get("indent"); ok {
				indent = ToString(s)
			}
		}
	}
	var b strings.Builder
	writeJSON(&b, data, indent, "\n")
	b.WriteByte('\n')
	return b.String(), nil
}

// compact drops the undef elements of an array or values of a hash.
func compact(v any) any {
	switch c := v.(type) {
	case []any:
		out := []any{}
		for _, x := range c {
			if x != nil {
				out = append(out, x)
			}
		}
		return out
	case *Hash:
		out := NewHash()
		for i, k := range c.Keys() {
			if c.Values()[i] != nil {
				out.Set(k, c.Values()[i])
			}
		}
		return out
	}
	return v
}

// writeJSON writes v as Ruby's JSON generator does; with an indent it is
// pretty_generate's layout (empty collections stay [] and {}).
func writeJSON(b *strings.Builder, v any, indent, prefix string) {
	pretty := indent != ""
	open := func(ch byte, n int) string {
		b.WriteByte(ch)
		if pretty && n > 0 {
			return prefix + indent
		}
		return ""
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(formatFloat(x))
	case string:
		writeJSONString(b, x)
	case []any:
		if pretty && len(x) == 0 {
			b.WriteString("[\n" + prefix + "]") // Ruby's json 2.6 layout
			return
		}
		inner := open('[', len(x))
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(inner)
			writeJSON(b, e, indent, inner)
		}
		if pretty && len(x) > 0 {
			b.WriteString(prefix)
		}
		b.WriteByte(']')
	case *Hash:
		if pretty && x.Len() == 0 {
			b.WriteString("{" + prefix + "}")
			return
		}
		inner := open('{', x.Len())
		for i, k := range x.Keys() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(inner)
			writeJSONString(b, ToString(k))
			b.WriteByte(':')
			if pretty {
				b.WriteByte(' ')
			}
			writeJSON(b, x.Values()[i], indent, inner)
		}
		if pretty && x.Len() > 0 {
			b.WriteString(prefix)
		}
		b.WriteByte('}')
	default:
		writeJSONString(b, ToString(ToData(v)))
	}
}

// writeJSONString quotes as Ruby's generator: only ", \ and control
// characters are escaped; UTF-8 and / are written as they are.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(r)&15, 16))
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func fnToYAML(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 2); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("---")
	writeYAML(&b, args[0], 0, true)
	return b.String(), nil
}

// writeYAML writes v after a key or a dash as Psych does: scalars on the
// same line, a hash or array on the next lines, arrays in a hash not
// indented, hashes in an array starting on the dash's line.
func writeYAML(b *strings.Builder, v any, depth int, afterKey bool) {
	pad := strings.Repeat("  ", depth)
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		if afterKey {
			b.WriteByte('\n')
		}
		for _, e := range x {
			b.WriteString(pad + "-")
			writeYAML(b, e, depth+1, false)
		}
	case *Hash:
		if x.Len() == 0 {
			b.WriteString(" {}\n")
			return
		}
		first := !afterKey
		if afterKey {
			b.WriteByte('\n')
		}
		for i, k := range x.Keys() {
			if first {
				b.WriteByte(' ')
				first = false
			} else {
				b.WriteString(pad)
			}
			b.WriteString(yamlScalar(k, depth))
			b.WriteByte(':')
			val := x.Values()[i]
			if arr, ok := val.([]any); ok && len(arr) > 0 {
				b.WriteByte('\n')
				writeYAML(b, val, depth, false)
				continue
			}
			writeYAML(b, val, depth+1, true)
		}
	case nil:
		b.WriteString("\n")
	default:
		b.WriteString(" " + yamlScalar(v, depth) + "\n")
	}
}

// yamlPlainUnsafe are the strings Psych quotes because YAML would read
// them as something else, or could not read them at all.
var yamlPlainUnsafe = regexp.MustCompile(`(?i)^(~|null|true|false|yes|no|on|off|y|n|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)(e[-+]?\d+)?|0x[0-9a-f]+|0o?[0-7]+|[-+]?\.(inf|nan)|\d{4}-\d\d?-\d\d?.*|[\d:]+:\d\d(\.\d*)?)$`)

// yamlScalar formats a scalar as Psych does: plain when YAML would read
// it back as the same string, single-quoted otherwise, double-quoted when
// it holds characters only escapes can write; text with line breaks is a
// literal block.
func yamlScalar(v any, depth int) string {
	s, ok := v.(string)
	if !ok {
		switch x := v.(type) {
		case nil:
			return ""
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return map[bool]string{true: ".inf", false: ".nan"}[math.IsInf(x, 1)]
			}
			return formatFloat(x)
		case int64, bool:
			return quoted(x)
		}
		s = ToString(ToData(v))
	}
	switch {
	case strings.Contains(s, "\n") && !strings.ContainsAny(s, "\t\r") && strings.TrimSpace(s) != "":
		head := "|-"
		body := s
		if strings.HasSuffix(s, "\n") {
			head, body = "|", strings.TrimSuffix(s, "\n")
		}
		if strings.HasPrefix(s, " ") {
			head = head[:1] + "2" + head[1:]
		}
		pad := strings.Repeat("  ", depth)
		lines := strings.Split(body, "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = pad + l
			}
		}
		return head + "\n" + strings.Join(lines, "\n")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }),
		s != "" && strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@` "), s == "~", strings.EqualFold(s, "y"), strings.EqualFold(s, "n"):
		var b strings.Builder
		writeJSONString(&b, s)
		return b.String()
	case s == "" || yamlPlainUnsafe.MatchString(s) || strings.HasSuffix(s, " ") || strings.HasSuffix(s, ":") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #"):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

// parser2 makes parsejson and parseyaml: parse the string, or return the
// second argument (when given) if it does not parse.
func parser2(parse func(string) (any, error)) function {
	return func(cl *call, args []any) (any, error) {
		if err := cl.arity(args, 1, 2); err != nil {
			return nil, err
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, cl.errorf("expects a String, got %s", typeName(args[0]))
		}
		v, err := parse(s)
		if err != nil {
			if len(args) == 2 {
				return args[1], nil
			}
			return nil, cl.errorf("%v", err)
		}
		return v, nil
	}
}

// parseJSONValue decodes JSON keeping the order of object keys.
func parseJSONValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeJSON(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			out := []any{}
			for dec.More() {
				v, err := decodeJSON(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		}
		h := NewHash()
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeJSON(dec)
			if err != nil {
				return nil, err
			}
			h.Set(k, v)
		}
		_, err := dec.Token()
		return h, err
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i, nil
		}
		return t.Float64()
	}
	return tok, nil // string, bool, nil
}

// parseYAMLValue decodes YAML keeping the order of mapping keys.
func parseYAMLValue(s string) (any, error) {
	var n yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader([]byte(s))).Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	return fromYAML(n.Content[0]) // hiera.go's converter keeps key order
}
