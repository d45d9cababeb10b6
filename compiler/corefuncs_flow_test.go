package compiler

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestCreateResources(t *testing.T) {
	cat := mustCompile(t, `
create_resources('notify', { 'a' => { 'message' => 'm1' }, 'b' => {} }, { 'message' => 'dflt' })
create_resources('@notify', { 'virtual' => {} })
create_resources('class', { 'k' => { 'p' => 'v' } })
class k($p) { notify { "k ${p}": } }
`)
	if got := messages(cat); !slices.Equal(got, []string{"m1", "dflt", "k v"}) {
		t.Errorf("got %q (the virtual one must not be realised)", got)
	}
	_, diags, _ := compileSrc(t, "notify { 'a': }\ncreate_resources('notify', { 'a' => {} })\n")
	if got := diagLines(diags, hcl.DiagError); len(got) != 1 || !strings.Contains(got[0], "Duplicate declaration") {
		t.Errorf("a second declaration: %v", got)
	}
}

func TestDigThenLest(t *testing.T) {
	cat := mustCompile(t, `
$h = { 'a' => [10, { 'b' => 'deep' }], 'n' => undef }
notify { 'm': message => [
  $h.dig('a', 1, 'b'), dig($h, 'a', -2), $h.dig('n', 'x'), $h.dig('nosuch', 0),
  [1, 2].then |$x| { $x[1] }, undef.then |$x| { 'never' },
  undef.lest || { 'fallback' }, 'set'.lest || { 'never' },
].map |$v| { String($v) }.join(' ') }
`)
	if got := messages(cat); !slices.Equal(got, []string{"deep 10   2  fallback set"}) {
		t.Errorf("got %q", got)
	}
}
