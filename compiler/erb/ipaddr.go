package erb

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// This file is Ruby's IPAddr (the ipaddr library of Ruby 3.1) as far as
// templates use it: IPAddr.new(string) accepting and refusing exactly the
// addresses Ruby does, with the same exceptions, and ipv4?, ipv6?, to_s.
// haproxy's _bind.erb decides whether a listen address is an IP address
// by whether IPAddr.new raises.

// ipAddr is an IPAddr value: the address with its prefix mask applied.
type ipAddr struct {
	v6   bool
	addr *big.Int
	mask *big.Int
	zone string // %zone of an IPv6 address
}

var (
	reIPv4Like         = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)\.(\d+)$`)
	reIPv6Full         = regexp.MustCompile(`(?i)^(?:(?:[\da-f]{1,4}:){7}[\da-f]{1,4}|((?:[\da-f]{1,4}:){6})(\d+)\.(\d+)\.(\d+)\.(\d+))$`)
	reIPv6Compress     = regexp.MustCompile(`(?i)^((?:(?:[\da-f]{1,4}:)*[\da-f]{1,4})?)::((?:((?:[\da-f]{1,4}:)*)(?:[\da-f]{1,4}|(\d+)\.(\d+)\.(\d+)\.(\d+)))?)$`)
	reBracketed        = regexp.MustCompile(`^\[(.*)\]$`)
	reZone             = regexp.MustCompile(`^(.*)(%\w+)$`)
	rePrefixLen        = regexp.MustCompile(`^(0|[1-9]+\d*)$`)
	reDigits           = regexp.MustCompile(`^\d+$`)
	reLeadingZeros     = regexp.MustCompile(`(?i)\b0{1,3}([\da-f]+)\b`)
	reV4Compatible     = regexp.MustCompile(`(?i)^::(ffff:)?([\da-f]{1,4}):([\da-f]{1,4})$`)
	reColonsToFold     = regexp.MustCompile(`:{3,}`)
	reZeroRunsV6       []*regexp.Regexp
	errInvalidAddr     = ipError{"IPAddr::InvalidAddressError", "invalid address: "}
	ipv4Full, ipv6Full = allOnes(32), allOnes(128)
)

func init() {
	// Ruby folds the longest run of zero groups first: all eight, then
	// seven, down to two, each at its first occurrence.
	reZeroRunsV6 = append(reZeroRunsV6, regexp.MustCompile(`^0:0:0:0:0:0:0:0$`))
	for k := 7; k >= 2; k-- {
		reZeroRunsV6 = append(reZeroRunsV6, regexp.MustCompile(`\b`+strings.Repeat("0:", k-1)+`0\b`))
	}
}

// ipError is an exception IPAddr raises, before it is located.
type ipError struct{ class, msg string }

func allOnes(bits uint) *big.Int {
	return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
}

// newIPAddr is IPAddr.new(v) with one argument.
func (ev *evaluator) newIPAddr(n node, v any) (any, error) {
	s, ok := v.(string)
	if !ok { // Ruby wants a family with an Integer, and has none here
		return nil, ev.raise(n, "IPAddr::AddressFamilyError", "address family must be specified")
	}
	ip, e := parseIPAddr(s)
	if e != nil {
		return nil, ev.raise(n, e.class, "%s", e.msg)
	}
	return ip, nil
}

// parseIPAddr follows IPAddr#initialize for a String: [addr] or addr,
// an optional %zone (IPv6), an optional /prefix (a length or a mask).
func parseIPAddr(s string) (*ipAddr, *ipError) {
	prefix, prefixLen, hasLen := strings.Cut(s, "/")
	only6 := false
	if m := reBracketed.FindStringSubmatch(prefix); m != nil {
		prefix, only6 = m[1], true
	}
	ip := &ipAddr{}
	if m := reZone.FindStringSubmatch(prefix); m != nil {
		prefix, ip.zone, only6 = m[1], m[2], true
	}
	if !only6 {
		if m := reIPv4Like.FindStringSubmatch(prefix); m != nil {
			a, err := octets(m[1:5])
			if err != nil {
				return nil, err
			}
			ip.addr = a
		}
	}
	if ip.addr == nil {
		a, err := ipv6Value(prefix)
		if err != nil {
			return nil, err
		}
		ip.addr, ip.v6 = a, true
	}
	ip.mask = ip.full()
	if hasLen {
		return ip, ip.setMask(prefixLen)
	}
	return ip, nil
}

// octets is IPAddr#in_addr over four decimal strings.
func octets(parts []string) (*big.Int, *ipError) {
	v := new(big.Int)
	for _, p := range parts {
		if len(strings.TrimLeft(p, "0")) > 3 || leadingInt(p) > 255 {
			return nil, &errInvalidAddr
		}
		if len(p) > 1 && p[0] == '0' {
			return nil, &ipError{"IPAddr::InvalidAddressError", "zero-filled number in IPv4 address is ambiguous: "}
		}
		v.Lsh(v, 8).Or(v, big.NewInt(leadingInt(p)))
	}
	return v, nil
}

// ipv6Value is IPAddr#in6_addr: the full form, or the form with '::',
// either ending in an IPv4 address.
func ipv6Value(s string) (*big.Int, *ipError) {
	var left, right string
	low := new(big.Int)
	if m := reIPv6Full.FindStringSubmatch(s); m != nil {
		left = s
		if m[2] != "" {
			a, err := octets(m[2:6])
			if err != nil {
				return nil, err
			}
			low, left = a, m[1]+":"
		}
	} else if m := reIPv6Compress.FindStringSubmatch(s); m != nil {
		limit := 7
		if m[4] != "" {
			limit = 6
		} else if m[1] == "" || m[2] == "" {
			limit = 8
		}
		if strings.Count(s, ":") > limit {
			return nil, &errInvalidAddr
		}
		left, right = m[1], m[2]
		if m[4] != "" {
			a, err := octets(m[4:8])
			if err != nil {
				return nil, err
			}
			low, right = a, m[3]+"0:0"
		}
	} else {
		return nil, &errInvalidAddr
	}
	l, r := rubySplit(left, ":"), rubySplit(right, ":")
	rest := 8 - len(l) - len(r)
	if rest < 0 {
		return nil, &errInvalidAddr
	}
	groups := append(append(l, make([]string, rest)...), r...)
	v := new(big.Int)
	for _, g := range groups {
		var x big.Int
		x.SetString("0"+g, 16)
		v.Lsh(v, 16).Or(v, &x)
	}
	return v.Or(v, low), nil
}

// rubySplit is String#split(sep): trailing empty fields dropped, and
// nothing for an empty string.
func rubySplit(s, sep string) []string {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func (ip *ipAddr) full() *big.Int {
	if ip.v6 {
		return ipv6Full
	}
	return ipv4Full
}

func (ip *ipAddr) bits() uint {
	if ip.v6 {
		return 128
	}
	return 32
}

// setMask is IPAddr#mask! with a String: a prefix length, or a netmask
// address whose ones are contiguous. The address keeps the network part.
func (ip *ipAddr) setMask(s string) *ipError {
	var mask *big.Int
	switch {
	case rePrefixLen.MatchString(s):
		n := leadingInt(s)
		if len(s) > 4 || n > int64(ip.bits()) {
			return &ipError{"IPAddr::InvalidPrefixError", "invalid length: " + ip.addr.String()}
		}
		host := ip.bits() - uint(n)
		mask = new(big.Int).Lsh(new(big.Int).Rsh(ip.full(), host), host)
	case reDigits.MatchString(s):
		return &ipError{"IPAddr::InvalidPrefixError", "leading zeros in prefix"}
	default:
		m, err := parseIPAddr(s)
		if err != nil {
			return err
		}
		if m.v6 != ip.v6 {
			return &ipError{"IPAddr::InvalidPrefixError", "address family is not same: " + ip.addr.String()}
		}
		hostBits := new(big.Int).Xor(m.addr, m.mask)
		if new(big.Int).And(new(big.Int).Add(hostBits, big.NewInt(1)), hostBits).Sign() != 0 {
			return &ipError{"IPAddr::InvalidPrefixError", fmt.Sprintf("invalid mask %s: %s", s, ip.addr)}
		}
		mask = m.addr
	}
	ip.mask = mask
	ip.addr = new(big.Int).And(ip.addr, mask)
	return nil
}

// plain is IPAddr#_to_string: dotted IPv4, or eight groups of four hex
// digits.
func (ip *ipAddr) plain(v *big.Int) string {
	if !ip.v6 {
		b := v.FillBytes(make([]byte, 4))
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	hex := fmt.Sprintf("%032x", v)
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = hex[4*i : 4*i+4]
	}
	return strings.Join(groups, ":")
}

// String is IPAddr#to_s: IPv6 compressed as Ruby does it, with regexps
// over the full form (leading zeros, then the longest run of zero
// groups, then the IPv4-compatible and -mapped forms), zone kept.
func (ip *ipAddr) String() string {
	s := ip.plain(ip.addr)
	if !ip.v6 {
		return s
	}
	s = reLeadingZeros.ReplaceAllString(s+ip.zone, "$1")
	for i, re := range reZeroRunsV6 {
		if loc := re.FindStringIndex(s); loc != nil {
			fold := ":"
			if i == 0 { // all zeros
				fold = "::"
			}
			s = s[:loc[0]] + fold + s[loc[1]:]
			break
		}
	}
	if loc := reColonsToFold.FindStringIndex(s); loc != nil {
		s = s[:loc[0]] + "::" + s[loc[1]:]
	}
	if m := reV4Compatible.FindStringSubmatch(s); m != nil {
		var a, b big.Int
		a.SetString(m[2], 16)
		b.SetString(m[3], 16)
		x, y := a.Int64(), b.Int64()
		s = fmt.Sprintf("::%s%d.%d.%d.%d", m[1], x/256, x%256, y/256, y%256)
	}
	return s
}

// inspect is IPAddr#inspect.
func (ip *ipAddr) inspect() string {
	family := "IPv4"
	if ip.v6 {
		family = "IPv6"
	}
	return fmt.Sprintf("#<IPAddr: %s:%s%s/%s>", family, ip.plain(ip.addr), ip.zone, ip.plain(ip.mask))
}

// ipMethod is the methods of an IPAddr value.
func ipMethod(name string, ip *ipAddr, args []any) (any, bool) {
	switch name {
	case "ipv4?":
		return !ip.v6, len(args) == 0
	case "ipv6?":
		return ip.v6, len(args) == 0
	case "to_s":
		return ip.String(), len(args) == 0
	}
	return nil, false
}
