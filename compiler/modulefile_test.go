package compiler

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleFileRules: Puppet's rules for module files, on autoload and,
// with ModuleFileRules, on the files given: definitions only, each named
// after its file (a prefix of the lower-cased name, as Puppet checks).
func TestModuleFileRules(t *testing.T) {
	mods := t.TempDir()
	writeTree(t, mods, map[string]string{
		"good/manifests/init.pp":     "class good { }\nclass good::helper { }\n",
		"good/manifests/a/b.pp":      "define good::a::b { }\nclass good::a::b::c { }\n",
		"good/functions/f.pp":        "function good::f() { 1 }\n",
		"good/types/t.pp":            "type Good::T = Integer\n",
		"good/examples/init.pp":      "include good\n",
		"loose/manifests/init.pp":    "class loose { }\nnotify { 'loaded': }\n$x = 1\n",
		"misnamed/manifests/init.pp": "class misnamed { include misnamed::x }\n",
		"misnamed/manifests/x.pp":    "class misnamed::y { }\nclass misnamed::x { }\n",
	})
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the errors, none: compiles
	}{
		{"definitions named after their files", "include good\ngood::a::b { 'x': }\n$v = good::f()\nif $v =~ Good::T { notify { typed: } }", nil},
		{"statements at the top of a module file", "include loose", []string{
			"loose/manifests/init.pp:2:1: This Resource Statement is unacceptable as a top level construct in this location",
			"loose/manifests/init.pp:3:1: This '=' expression is unacceptable as a top level construct in this location"}},
		{"a definition in another's file", "include misnamed", []string{
			"misnamed/manifests/x.pp:1:1: Unacceptable location. The name 'misnamed::y' is unacceptable in file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcs := &Sources{Order: []string{"site.pp"}, Files: map[string][]byte{"site.pp": []byte(tc.src)}}
			_, diags := CompileSources(srcs, Options{Node: "n", ModulePath: []string{mods}})
			var lines []string
			for _, d := range diags {
				lines = append(lines, fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
			}
			got := strings.Join(lines, "\n")
			if len(tc.want) == 0 && diags.HasErrors() {
				t.Fatalf("errors: %v", diags)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("errors %q\nlack %q", got, w)
				}
			}
		})
	}

	// Given files: held to the rules only inside the module path, and only
	// when asked (validate), since `puppet apply mod/examples/init.pp`
	// applies the example as the main manifest.
	example := filepath.Join(mods, "good", "examples", "init.pp")
	for _, rules := range []bool{false, true} {
		srcs, err := ReadSources([]string{example}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, diags := CompileSources(srcs, Options{Node: "n", ModulePath: []string{mods}, ModuleFileRules: rules})
		const msg = "This Function Call is unacceptable as a top level construct"
		if got := strings.Contains(diags.Error(), msg); got != rules {
			t.Errorf("ModuleFileRules=%v: errors %v", rules, diags)
		}
	}
	outside := filepath.Join(t.TempDir(), "site.pp")
	writeTree(t, filepath.Dir(outside), map[string]string{"site.pp": "notify { 'x': }\n"})
	srcs, _ := ReadSources([]string{outside}, "")
	if _, diags := CompileSources(srcs, Options{Node: "n", ModulePath: []string{mods}, ModuleFileRules: true}); diags.HasErrors() {
		t.Errorf("a manifest outside the module path: %v", diags)
	}
}
