package compiler

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/parser"
)

func TestModuleAutoload(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, src string) { writeTree(t, dir, map[string]string{rel: src}) }
	write("motd/manifests/init.pp", "class motd($text = 'hello') {\n  include motd::extra\n  notify { 'motd': message => $text }\n}\n")
	write("motd/manifests/extra.pp", "class motd::extra {\n  motd::line { 'x': }\n}\n")
	write("motd/manifests/line.pp", "define motd::line {\n  notify { \"line ${title}\": }\n}\n")
	write("broken/manifests/init.pp", "class broken {\n  notify { 'x': \n")

	f, diags := parser.ParseFile("site.pp", []byte("include motd\nnotify { 'dir': message => $settings::manifestdir }\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cat, diags := Compile([]*parser.File{f}, Options{
		ModulePath: []string{filepath.Join(dir, "nonexistent"), dir},
		Settings:   map[string]any{"manifestdir": "/srv/manifests"},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The define's body runs after the classes and the main manifest.
	if got := messages(cat); !slices.Equal(got, []string{"hello", "/srv/manifests", "line x"}) {
		t.Errorf("messages: %q", got)
	}
	if got := cat.Resources[len(cat.Resources)-1].File; got != filepath.Join(dir, "motd/manifests/line.pp") {
		t.Errorf("file of the define's resource: %q", got)
	}

	f, _ = parser.ParseFile("site.pp", []byte("include broken\n"))
	_, diags = Compile([]*parser.File{f}, Options{ModulePath: []string{dir}})
	var files []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			files = append(files, filepath.Base(d.Subject.Filename))
		}
	}
	if len(files) < 2 || files[0] != "init.pp" || files[len(files)-1] != "site.pp" {
		t.Errorf("want the syntax error in init.pp, then the missing class at site.pp; got %v", diags)
	}
}
