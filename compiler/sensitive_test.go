package compiler

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/gapply/gapply/catalog"
)

func TestSensitiveValues(t *testing.T) {
	cat, diags, logs := compileSrc(t, `
$s = Sensitive('s3cret')
notice($s)
notice("in ${s}")
notice(type($s))
notice($s =~ Sensitive[String], $s =~ Sensitive[Integer], 's3cret' =~ Sensitive)
notice(unwrap($s), $s.unwrap |$v| { "${v}!" }, unwrap('plain'))
file { '/tmp/x': content => $s, mode => '0600' }
exec { 'e': command => '/bin/true', environment => Sensitive('B=hash') }
notify { 'nested': message => ['a', Sensitive('hash')] }
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, want := range []string{
		"Sensitive [value redacted]\n", "in Sensitive [value redacted]\n", "Sensitive[String]\n",
		"true false false\n", "s3cret s3cret! plain\n",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	file := cat.Lookup(catalog.Ref{Type: "File", Title: "/tmp/x"})
	if file.Parameters["content"] != "s3cret" || !slices.Equal(file.Sensitive, []string{"content"}) {
		t.Errorf("file: parameters %v, sensitive %v; want the plain content, listed as sensitive", file.Parameters, file.Sensitive)
	}
	exec := cat.Lookup(catalog.Ref{Type: "Exec", Title: "e"})
	if !exec.IsSensitive("environment") || exec.IsSensitive("command") {
		t.Errorf("exec: sensitive %v, want [environment]", exec.Sensitive)
	}
	nested := cat.Lookup(catalog.Ref{Type: "Notify", Title: "nested"})
	if diff := cmp.Diff([]any{"a", catalog.Redacted}, nested.Parameters["message"]); diff != "" || nested.Sensitive != nil {
		t.Errorf("a nested Sensitive is its redaction, as in Puppet (-want +got):\n%s", diff)
	}
	out, err := cat.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") || strings.Contains(string(out), "hash") {
		t.Errorf("the printed catalog shows a secret:\n%s", out)
	}
	if out, _ := cat.MarshalIndentSensitive(); !strings.Contains(string(out), "s3cret") {
		t.Errorf("the agent's catalog lost the secret:\n%s", out)
	}
}

func TestDeferredValues(t *testing.T) {
	cat := mustCompile(t, `
$d = Deferred('join', [['a', $facts['kernel']], '-'])
notice($d)
file { '/tmp/d': content => $d }
`)
	got := cat.Lookup(catalog.Ref{Type: "File", Title: "/tmp/d"}).Parameters["content"]
	want := &catalog.Deferred{Name: "join", Arguments: []any{[]any{"a", "Linux"}, "-"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	_, diags, _ := compileSrc(t, "$d = Deferred(['join'])\n")
	if got := diagLines(diags, hcl.DiagError); len(got) != 1 || !strings.Contains(got[0], "'Deferred' parameter 'name' expects a String value, got Array") {
		t.Errorf("a Deferred without a name: %v", got)
	}
}

// TestModuleData: a module's own hiera.yaml and data/ give its class
// parameters, below the environment's data, for its own keys only.
func TestModuleData(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) { writeTree(t, dir, map[string]string{rel: text}) }
	write("mods/tz/manifests/init.pp", "class tz (String $zone, Array[String] $servers, Optional[String] $extra) {\n  notify { \"${zone} ${servers} ${extra}\": }\n}\n")
	write("mods/tz/hiera.yaml", "version: 5\nhierarchy:\n  - name: family\n    path: '%{facts.os.family}.yaml'\n  - name: common\n    path: common.yaml\n")
	write("mods/tz/data/common.yaml", "tz::zone: UTC\ntz::servers: [a, b]\ntz::extra: ~\nother::key: never\n")
	write("mods/tz/data/Debian.yaml", "tz::servers: [deb]\n")
	write("env/hiera.yaml", "version: 5\nhierarchy:\n  - name: common\n    path: common.yaml\n")
	write("env/data/common.yaml", "tz::zone: Europe/Paris\n")
	site := "include tz\nnotice(lookup('other::key', undef, undef, 'none'))\n"
	write("env/site.pp", site)
	cat, diags := compileIn(t, filepath.Join(dir, "env/site.pp"), site, filepath.Join(dir, "mods"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := messages(cat); !slices.Equal(got, []string{"Europe/Paris [deb] "}) {
		t.Errorf("got %q", got)
	}
}

// TestConcatModuleDefinesSetAside: with puppetlabs-concat in the module
// path, its defines give way to gapply's native concat.
func TestConcatModuleDefinesSetAside(t *testing.T) {
	cat := mustCompile(t, `
define concat($path = $name) { notify { 'the define ran': } }
define concat::fragment($target) { }
concat { '/tmp/c': }
concat::fragment { 'f': target => '/tmp/c', content => 'x' }
`)
	if got := messages(cat); len(got) != 0 {
		t.Errorf("the module's define ran: %v", got)
	}
	if cat.Lookup(catalog.Ref{Type: "Concat", Title: "/tmp/c"}) == nil {
		t.Error("no native Concat[/tmp/c]")
	}
}
