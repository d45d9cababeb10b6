// Package config loads gapply's own configuration files (the agent's and the
// master's /etc/gapply/gapply.hcl) into tagged Go structs, with one rule for
// every setting: a flag beats an environment variable, which beats the file,
// which beats the default.
//
// The schema is the struct itself, so the file, the flags, the environment
// variables and the documentation cannot disagree:
//
//	type Settings struct {
//		Schedule string        `hcl:"schedule" doc:"cron schedule of runs"`
//		Splay    time.Duration `hcl:"splay" doc:"random delay before a run"`
//		Repo     Repository    `hcl:"repository,block"`
//	}
//
// A field tagged `hcl:"name"` is a setting; `hcl:"name,block"` is a nested
// block (a struct) whose settings are named "block.name". The default is the
// value the field holds when Load is called, so callers fill the struct with
// their defaults first. The flag is --block-name and the environment variable
// GAPPLY_BLOCK_NAME, unless the tags `flag:"..."` or `env:"..."` name others.
// Settings are strings, bools, ints, durations (written "90s", "5m") and lists
// of strings (comma-separated in flags and environment variables).
//
// Errors are hcl.Diagnostics located in the file: an unknown setting or block
// (with a suggestion of the closest known name), a value of the wrong type,
// and whatever the struct's CheckConfig method reports. A bad flag or
// environment variable is reported with the variable's or flag's name.
package config

import (
	"fmt"
	"math/big"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/spf13/pflag"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EnvPrefix starts the name of every setting's environment variable,
// unless the struct is an EnvPrefixer.
const EnvPrefix = "GAPPLY_"

// EnvPrefixer is implemented by a configuration struct whose environment
// variables start with another prefix than EnvPrefix. Two commands that
// run on one host and share setting names (the agent's and the master's
// certname and ssldir) then read different variables, so exporting one's
// settings never reconfigures the other.
type EnvPrefixer interface {
	EnvPrefix() string
}

// Problem is an invalid setting found by a Checker after loading. Setting is
// the dotted name ("repository.url"); Load turns the problem into a
// diagnostic located where that setting's value came from.
type Problem struct {
	Setting string
	Summary string
	Detail  string
}

// Checker is implemented by configuration structs that validate settings
// beyond their types (a cron expression, a URL, a positive count). Load calls
// it once every source has been applied.
type Checker interface {
	CheckConfig() []Problem
}

// Setting describes one setting of a configuration struct, for flags,
// environment variables and documentation.
type Setting struct {
	Name    string // dotted name, as written in the file: "repository.url"
	Flag    string // flag name without dashes: "repository-url"
	Env     string // environment variable: "GAPPLY_REPOSITORY_URL"
	Type    string // "string", "bool", "int", "duration" or "list of strings"
	Default string // the default, as it would be written in the file
	Doc     string

	field reflect.Value
	attr  string // the attribute name inside its block
}

var durationType = reflect.TypeFor[time.Duration]()

// Describe lists the settings of the struct into points to, in declaration
// order, with the values it holds as defaults. It panics on a struct it cannot
// handle (an unsupported field type), which is a programming error.
func Describe(into any) []Setting {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("config: want a pointer to a struct, got %T", into))
	}
	env := EnvPrefix
	if p, ok := into.(EnvPrefixer); ok {
		env = p.EnvPrefix()
	}
	return describe(v.Elem(), "", env)
}

func describe(v reflect.Value, prefix, env string) []Setting {
	var out []Setting
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("hcl")
		if !ok {
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		if kind == "block" {
			if f.Type.Kind() != reflect.Struct {
				panic(fmt.Sprintf("config: block %s must be a struct", prefix+name))
			}
			out = append(out, describe(v.Field(i), prefix+name+".", env)...)
			continue
		}
		full := prefix + name
		s := Setting{
			Name:  full,
			Flag:  strings.ReplaceAll(strings.ReplaceAll(full, ".", "-"), "_", "-"),
			Env:   env + strings.ToUpper(strings.ReplaceAll(full, ".", "_")),
			Type:  typeName(f.Type, full),
			Doc:   f.Tag.Get("doc"),
			field: v.Field(i),
			attr:  name,
		}
		if fl := f.Tag.Get("flag"); fl != "" {
			s.Flag = fl
		}
		if e := f.Tag.Get("env"); e != "" {
			s.Env = e
		}
		s.Default = format(s.field)
		out = append(out, s)
	}
	return out
}

func typeName(t reflect.Type, name string) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Int:
		return "int"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list of strings"
	}
	panic(fmt.Sprintf("config: setting %s has unsupported type %s", name, t))
}

// format writes a value the way it is written in a configuration file.
func format(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return strconv.Quote(time.Duration(v.Int()).String())
	case v.Kind() == reflect.String:
		return strconv.Quote(v.String())
	case v.Kind() == reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = strconv.Quote(v.Index(i).String())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		return fmt.Sprint(v.Interface())
	}
}

// rawFlag is the flag.Value of a setting: it keeps what was given, unparsed,
// so that flags and environment variables share one parser and one error
// message, and a flag given on the command line is told apart from a default.
type rawFlag struct {
	typ    string
	values []string
}

func (f *rawFlag) String() string { return strings.Join(f.values, ",") }
func (f *rawFlag) Type() string {
	if f.typ == "list of strings" {
		return "strings"
	}
	return f.typ
}
func (f *rawFlag) Set(s string) error {
	if f.typ != "list of strings" {
		f.values = f.values[:0]
	}
	f.values = append(f.values, s)
	return nil
}

// AddFlags defines a flag for every setting of the struct into points to on
// fs, with the setting's doc and default as usage. A flag whose name fs
// already has is left as it is, and its value is still honoured by Load.
func AddFlags(fs *pflag.FlagSet, into any) {
	for _, s := range Describe(into) {
		if fs.Lookup(s.Flag) != nil {
			continue
		}
		usage := s.Doc
		if s.Default != `""` && s.Default != "[]" && s.Default != "false" {
			usage += " (default " + s.Default + ")"
		}
		usage += " [$" + s.Env + "]"
		f := fs.VarPF(&rawFlag{typ: s.Type}, s.Flag, "", usage)
		if s.Type == "bool" {
			f.NoOptDefVal = "true"
		}
	}
}

// origin records where a setting's value came from, to locate problems.
type origin struct {
	rng  *hcl.Range
	from string // "environment variable GAPPLY_X", "flag --x"
}

// Load fills the struct into points to, whose current values are the
// defaults, from the HCL file at path (none when path is ""), then from
// GAPPLY_* (or its EnvPrefix) environment variables, then from the flags of fs that were set on
// the command line (fs may be nil). It returns every problem found; the
// struct is only partly filled when there are errors.
func Load(path string, into any, fs *pflag.FlagSet) hcl.Diagnostics {
	settings := Describe(into)
	origins := map[string]origin{}
	var diags hcl.Diagnostics
	if path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: err.Error()}}
		}
		diags = append(diags, loadFile(path, src, reflect.ValueOf(into).Elem(), "", origins)...)
	}
	for _, s := range settings {
		if raw, ok := os.LookupEnv(s.Env); ok {
			from := "environment variable " + s.Env
			diags = append(diags, setText(s, []string{raw}, from)...)
			origins[s.Name] = origin{from: from}
		}
	}
	if fs != nil {
		for _, s := range settings {
			f := fs.Lookup(s.Flag)
			if f == nil || !f.Changed {
				continue
			}
			values := []string{f.Value.String()}
			if rf, ok := f.Value.(*rawFlag); ok {
				values = rf.values
			} else if sv, ok := f.Value.(pflag.SliceValue); ok {
				values = sv.GetSlice()
			}
			from := "flag --" + s.Flag
			diags = append(diags, setText(s, values, from)...)
			origins[s.Name] = origin{from: from}
		}
	}
	if diags.HasErrors() {
		return diags
	}
	if c, ok := into.(Checker); ok {
		for _, p := range c.CheckConfig() {
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.Summary, Detail: p.Detail}
			o, ok := origins[p.Setting]
			switch {
			case !ok:
				d.Detail = joinDetail(d.Detail, fmt.Sprintf("The setting %q has its default value; set it in the configuration file, with --%s or with $%s.",
					p.Setting, flagOf(settings, p.Setting), envOf(settings, p.Setting)))
			case o.rng != nil:
				d.Subject = o.rng
			default:
				d.Detail = joinDetail(d.Detail, "Set by "+o.from+".")
			}
			diags = append(diags, d)
		}
	}
	return diags
}

func joinDetail(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

func flagOf(settings []Setting, name string) string {
	for _, s := range settings {
		if s.Name == name {
			return s.Flag
		}
	}
	return name
}

func envOf(settings []Setting, name string) string {
	for _, s := range settings {
		if s.Name == name {
			return s.Env
		}
	}
	return name
}

// loadFile decodes one HCL body into the struct v, whose settings are named
// with prefix. hclsyntax reports unknown arguments and blocks with a
// suggestion, and duplicated ones.
func loadFile(path string, src []byte, v reflect.Value, prefix string, origins map[string]origin) hcl.Diagnostics {
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	return decodeBody(file.Body, v, prefix, origins)
}

func decodeBody(body hcl.Body, v reflect.Value, prefix string, origins map[string]origin) hcl.Diagnostics {
	schema := &hcl.BodySchema{}
	t := v.Type()
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag, ok := t.Field(i).Tag.Lookup("hcl")
		if !ok {
			continue
		}
		name, kind, _ := strings.Cut(tag, ",")
		fields[name] = i
		if kind == "block" {
			schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: name})
		} else {
			schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: name})
		}
	}
	content, diags := body.Content(schema)
	for name, attr := range content.Attributes {
		s := Setting{Name: prefix + name, field: v.Field(fields[name])}
		s.Type = typeName(s.field.Type(), s.Name)
		diags = append(diags, setExpr(s, attr)...)
		rng := attr.Expr.Range()
		origins[s.Name] = origin{rng: &rng}
	}
	seen := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		if first, dup := seen[b.Type]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate " + b.Type + " block",
				Detail:  fmt.Sprintf("A %s block was already defined at %s; merge them into one.", b.Type, first),
				Subject: b.DefRange.Ptr(),
			})
			continue
		}
		seen[b.Type] = b.DefRange
		if len(b.Labels) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Unexpected block label",
				Detail:  fmt.Sprintf("A %s block takes no label.", b.Type),
				Subject: b.LabelRanges[0].Ptr(),
			})
			continue
		}
		diags = append(diags, decodeBody(b.Body, v.Field(fields[b.Type]), prefix+b.Type+".", origins)...)
	}
	return diags
}

// setExpr evaluates a setting's expression (constants only: a configuration
// file has no variables) and stores it.
func setExpr(s Setting, attr *hcl.Attribute) hcl.Diagnostics {
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for " + s.Name,
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
			Context:  attr.Range.Ptr(),
		}}
	}
	if val.IsNull() {
		return bad("The value must not be null.")
	}
	want := map[string]cty.Type{
		"string": cty.String, "duration": cty.String, "bool": cty.Bool, "int": cty.Number,
		"list of strings": cty.List(cty.String),
	}[s.Type]
	conv, err := convert.Convert(val, want)
	if err != nil {
		return bad(fmt.Sprintf("A %s is required, not %s.", article(s.Type), val.Type().FriendlyName()))
	}
	if !conv.IsWhollyKnown() {
		return bad("The value must be known.")
	}
	var text []string
	switch s.Type {
	case "list of strings":
		for _, e := range conv.AsValueSlice() {
			text = append(text, e.AsString())
		}
		s.field.Set(reflect.ValueOf(text))
		if text == nil {
			s.field.Set(reflect.ValueOf([]string{}))
		}
		return nil
	case "int":
		bf := conv.AsBigFloat()
		n, acc := bf.Int64()
		if !bf.IsInt() || acc != big.Exact {
			return bad("A whole number is required.")
		}
		text = []string{strconv.FormatInt(n, 10)}
	case "bool":
		text = []string{strconv.FormatBool(conv.True())}
	default:
		text = []string{conv.AsString()}
	}
	if err := parseInto(s, text); err != nil {
		return bad(err.Error())
	}
	return nil
}

func article(typ string) string {
	switch typ {
	case "int":
		return "whole number"
	case "list of strings":
		return "list of strings"
	case "duration":
		return "duration string (like \"90s\" or \"5m\")"
	}
	return typ
}

// setText stores a setting given as text (an environment variable or flag).
func setText(s Setting, values []string, from string) hcl.Diagnostics {
	if err := parseInto(s, values); err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for " + s.Name,
			Detail:   fmt.Sprintf("%s: %v", from, err),
		}}
	}
	return nil
}

// parseInto parses text into the setting's field. A list given as one
// string is split at commas.
func parseInto(s Setting, values []string) error {
	one := strings.Join(values, ",")
	switch s.Type {
	case "list of strings":
		var list []string
		for _, v := range values {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					list = append(list, part)
				}
			}
		}
		if list == nil {
			list = []string{}
		}
		s.field.Set(reflect.ValueOf(list))
	case "duration":
		d, err := time.ParseDuration(one)
		if err != nil {
			return fmt.Errorf("%q is not a duration (like \"90s\", \"5m\" or \"1h30m\")", one)
		}
		s.field.SetInt(int64(d))
	case "bool":
		b, err := strconv.ParseBool(one)
		if err != nil {
			return fmt.Errorf("%q is not true or false", one)
		}
		s.field.SetBool(b)
	case "int":
		n, err := strconv.Atoi(one)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", one)
		}
		s.field.SetInt(int64(n))
	default:
		s.field.SetString(one)
	}
	return nil
}

// MarkdownTable documents the settings of the struct into points to (holding
// its defaults) as a Markdown table: setting, flag, environment variable,
// default and meaning. READMEs embed it, and a test keeps them in step.
func MarkdownTable(into any) string {
	var b strings.Builder
	b.WriteString("| setting | flag | environment | default | meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, s := range Describe(into) {
		def := "`" + strings.ReplaceAll(s.Default, "|", `\|`) + "`"
		if s.Default == `""` || s.Default == "[]" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | `%s` | %s | %s |\n", s.Name, s.Flag, s.Env, def, s.Doc)
	}
	return b.String()
}
