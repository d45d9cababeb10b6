package hclmanifest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode runs arbitrary text through everything an HCL manifest goes
// through before the compiler: parsing, variables and locals, resource
// decoding with references, for_each and functions. It must never panic,
// whatever the input; errors are expected.
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 60s ./hclmanifest
func FuzzDecode(f *testing.F) {
	examples, _ := filepath.Glob("../examples/manifests/*.hcl")
	for _, path := range examples {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(string(data))
		}
	}
	for _, seed := range []string{
		"file \"/x\" {\n  content = \"x\"\n  require = [file[\"/y\"]]\n}\n",
		"locals {\n  a = local.b\n  b = [for x in [1, 2] : notify[\"n${x}\"]]\n}\n",
		"variable \"v\" {\n  type = map(string)\n  default = { a = \"b\" }\n}\nnotify \"n\" {\n  for_each = var.v\n  message = each.value\n}\n",
		"notify \"n\" { message = try(fact.os.family, 1) ? file[each.key] : null }\n",
		"vhost \"x\" { y = { z = [vhost[\"w\"]] } }\n",
		"file \"\" {}\nlocals \"x\" {}\n",
	} {
		f.Add(seed)
	}
	cfg := Config{
		Facts:    testFacts,
		Settings: map[string]any{"manifestdir": "/nonexistent"},
		IsType:   func(name string) bool { return name == "vhost" },
		EPP:      func(string, map[string]any) (string, error) { return "", nil },
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, _ := Parse("/nonexistent/fuzz.hcl", []byte(src))
		if file == nil {
			return
		}
		m, _ := Load([]*File{file}, cfg)
		m.Resources(file)
	})
}
