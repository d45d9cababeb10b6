package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestStdlibLegacyFunctions(t *testing.T) {
	cat := mustCompile(t, `
validate_absolute_path('/etc', ['/var', 'C:/x'])
validate_string('x', undef)
validate_bool(true, false)
validate_array([1])
validate_hash({})
validate_re('12', ['^\d+$', '^x$'])
notify { 'm': message => "${is_string('x')} ${is_string('12')} ${is_array([])} ${is_integer('7')} ${is_bool(1)} ${fact('os.release.major')} ${fact('no.such')}" }
`)
	if got := messages(cat); !slices.Equal(got, []string{"true false true true false 12 "}) {
		t.Errorf("got %q", got)
	}
	for src, want := range map[string]string{
		"validate_absolute_path('rel')":           "validate_absolute_path(): 'rel' is not an absolute path.",
		"validate_string(1)":                      "validate_string(): 1 is not a string.  It looks to be a Integer",
		"validate_re('ab', '^x', 'custom words')": "custom words",
	} {
		_, diags, _ := compileSrc(t, src+"\n")
		if got := diagLines(diags, hcl.DiagError); len(got) != 1 || !strings.HasSuffix(got[0], want) {
			t.Errorf("%s: got %v, want %q", src, got, want)
		}
	}
}
