package compiler

import (
	"crypto/md5"
	"encoding/hex"
	"math/big"
	"math/bits"
	"strings"
)

// fqdn_rand, fqdn_rotate and seeded_rand must give the numbers Puppet
// gives, or a fleet moved from Puppet to gapply would move every cron job
// and every rotated server list: Puppet seeds Ruby's Random (MT19937)
// with the MD5 of a string and draws one integer, so this file is a port
// of what Ruby does for Random.new(seed).rand(max).

func init() {
	functions["fqdn_rand"] = fnFqdnRand
	registerStdlib("fqdn_rotate", fnFqdnRotate)
	registerStdlib("seeded_rand", fnSeededRand)
}

// mt is Ruby's MT19937 state.
type mt struct {
	state [624]uint32
	left  int
	next  int
}

func (m *mt) initGenrand(s uint32) {
	m.state[0] = s
	for j := 1; j < 624; j++ {
		m.state[j] = 1812433253*(m.state[j-1]^(m.state[j-1]>>30)) + uint32(j)
	}
	m.left, m.next = 1, 624
}

func (m *mt) initByArray(key []uint32) {
	m.initGenrand(19650218)
	i, j := 1, 0
	k := max(624, len(key))
	for ; k > 0; k-- {
		m.state[i] = (m.state[i] ^ ((m.state[i-1] ^ (m.state[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			m.state[0] = m.state[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = 623; k > 0; k-- {
		m.state[i] = (m.state[i] ^ ((m.state[i-1] ^ (m.state[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			m.state[0] = m.state[623]
			i = 1
		}
	}
	m.state[0] = 0x80000000
	m.left, m.next = 1, 624
}

func (m *mt) nextState() {
	const upper, lower, matrix = 0x80000000, 0x7fffffff, 0x9908b0df
	mix := func(u, v uint32) uint32 {
		y := (u & upper) | (v & lower)
		r := y >> 1
		if v&1 != 0 {
			r ^= matrix
		}
		return r
	}
	for i := 0; i < 624; i++ {
		m.state[i] = m.state[(i+397)%624] ^ mix(m.state[i], m.state[(i+1)%624])
	}
	m.left, m.next = 624, 0
}

func (m *mt) uint32() uint32 {
	m.left--
	if m.left <= 0 {
		m.nextState()
	}
	y := m.state[m.next]
	m.next++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	return y ^ (y >> 18)
}

// rubyRand is Random.new(seed).rand(n) for 0 < n < 2^63: the seed's
// 32-bit words (least significant first) seed the generator, and a draw
// masked to the bits of n-1 is retried until it is below n.
func rubyRand(seed *big.Int, n int64) int64 {
	var key []uint32
	for _, w := range seed.Bits() {
		for k := 0; k < bits.UintSize/32; k++ {
			key = append(key, uint32(uint64(w)>>(32*k)))
		}
	}
	for len(key) > 1 && key[len(key)-1] == 0 {
		key = key[:len(key)-1]
	}
	if len(key) == 0 {
		key = []uint32{0}
	}
	m := &mt{}
	if len(key) == 1 {
		m.initGenrand(key[0]) // as Ruby does for a seed of one word
	} else {
		m.initByArray(key)
	}
	limit := uint64(n - 1)
	if limit == 0 {
		return 0
	}
	mask := limit
	for s := 1; s < 64; s *= 2 {
		mask |= mask >> s
	}
retry:
	var val uint64
	for i := 1; i >= 0; i-- {
		if (mask>>(32*i))&0xffffffff != 0 {
			val |= uint64(m.uint32()) << (32 * i)
			val &= mask
			if limit < val {
				goto retry
			}
		}
	}
	return int64(val)
}

// md5Seed is Ruby's Digest::MD5.hexdigest(s).hex.
func md5Seed(s string) *big.Int {
	sum := md5.Sum([]byte(s))
	n, _ := new(big.Int).SetString(hex.EncodeToString(sum[:]), 16)
	return n
}

// fqdn is the node's fully qualified name as fqdn_rand sees it.
func (cl *call) fqdn() string {
	if f, ok := cl.c.top.vars["facts"].value.(*Hash); ok {
		if nw, ok := f.Get("networking"); ok {
			if h, ok := nw.(*Hash); ok {
				if v, ok := h.Get("fqdn"); ok {
					return ToString(v)
				}
			}
		}
	}
	return ToString(cl.c.top.vars["fqdn"].value)
}

// rubyJoin is Ruby's Array#join(':'): a nested array is joined first
// and counts as one element, so an empty one still adds its separator.
func rubyJoin(parts ...any) string {
	strs := make([]string, len(parts))
	for i, p := range parts {
		if arr, ok := p.([]any); ok {
			strs[i] = rubyJoin(arr...)
		} else {
			strs[i] = ToString(p)
		}
	}
	return strings.Join(strs, ":")
}

// fnFqdnRand is Puppet's fqdn_rand(max, seed, downcase): a number in
// [0, max) that depends only on the node's fqdn (downcased when asked),
// max and the seed.
func fnFqdnRand(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, 3); err != nil {
		return nil, err
	}
	n, ok := toNumber(args[0]).(int64)
	if !ok || n <= 0 {
		return nil, cl.errorf("expects a positive Integer max, got %s", quoted(args[0]))
	}
	var seed any
	if len(args) > 1 {
		seed = args[1]
	}
	fqdn := cl.fqdn()
	if len(args) > 2 && truthy(args[2]) {
		fqdn = strings.ToLower(fqdn)
	}
	return rubyRand(md5Seed(rubyJoin(fqdn, n, seed)), n), nil
}

// fnFqdnRotate rotates an array (or a string's characters) left by an
// fqdn-dependent amount.
func fnFqdnRotate(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 1, -1); err != nil {
		return nil, err
	}
	var elems []any
	_, isStr := args[0].(string)
	switch v := args[0].(type) {
	case string:
		for _, r := range v {
			elems = append(elems, string(r))
		}
	case []any:
		elems = v
	default:
		return nil, cl.errorf("expects a String or an Array, got %s", typeName(args[0]))
	}
	if len(elems) <= 1 {
		return args[0], nil
	}
	off := rubyRand(md5Seed(rubyJoin(cl.fqdn(), args[1:])), int64(len(elems)))
	out := append(append([]any{}, elems[off:]...), elems[:off]...)
	if isStr {
		var b strings.Builder
		for _, e := range out {
			b.WriteString(e.(string))
		}
		return b.String(), nil
	}
	return out, nil
}

// fnSeededRand is seeded_rand(max, seed): fqdn_rand with only the seed.
func fnSeededRand(cl *call, args []any) (any, error) {
	if err := cl.arity(args, 2, 2); err != nil {
		return nil, err
	}
	n, ok := toNumber(args[0]).(int64)
	if !ok || n <= 0 {
		return nil, cl.errorf("expects a positive Integer max, got %s", quoted(args[0]))
	}
	return rubyRand(md5Seed(ToString(args[1])), n), nil
}
