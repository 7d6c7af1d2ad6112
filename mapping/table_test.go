package mapping

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// ---- slow reference -------------------------------------------------------

// refLookup4 is a linear scan with longest-prefix match over eams.
func refLookup4(eams []EAM, v4 netip.Addr) (EAM, bool) {
	best, ok := EAM{}, false
	for _, m := range eams {
		if m.IPv4.Contains(v4) && (!ok || m.IPv4.Bits() > best.IPv4.Bits()) {
			best, ok = m, true
		}
	}
	return best, ok
}

func refLookup6(eams []EAM, v6 netip.Addr) (EAM, bool) {
	best, ok := EAM{}, false
	for _, m := range eams {
		if m.IPv6.Contains(v6) && (!ok || m.IPv6.Bits() > best.IPv6.Bits()) {
			best, ok = m, true
		}
	}
	return best, ok
}

func bit(b []byte, i int) byte { return b[i/8] >> (7 - i%8) & 1 }

func setBit(b []byte, i int, v byte) {
	if v != 0 {
		b[i/8] |= 1 << (7 - i%8)
	} else {
		b[i/8] &^= 1 << (7 - i%8)
	}
}

// refTo6 copies the IPv4 suffix bit by bit after the IPv6 prefix.
func refTo6(m EAM, v4 netip.Addr) netip.Addr {
	out := m.IPv6.Masked().Addr().As16()
	in := v4.As4()
	l4, l6 := m.IPv4.Bits(), m.IPv6.Bits()
	for i := 0; i < 32-l4; i++ {
		setBit(out[:], l6+i, bit(in[:], l4+i))
	}
	return netip.AddrFrom16(out)
}

func refTo4(m EAM, v6 netip.Addr) netip.Addr {
	out := m.IPv4.Masked().Addr().As4()
	in := v6.As16()
	l4, l6 := m.IPv4.Bits(), m.IPv6.Bits()
	for i := 0; i < 32-l4; i++ {
		setBit(out[:], l4+i, bit(in[:], l6+i))
	}
	return netip.AddrFrom4(out)
}

// refTable translates like Table, slowly.
type refTable struct {
	pool6 netip.Prefix
	eams  []EAM
}

func (r refTable) to4(v6 netip.Addr) (netip.Addr, Result) {
	if m, ok := refLookup6(r.eams, v6); ok {
		return refTo4(m, v6), OK
	}
	if !r.pool6.IsValid() || !r.pool6.Contains(v6) {
		return netip.Addr{}, NoMatch
	}
	v4, err := Extract(r.pool6, v6)
	if err != nil {
		panic(err)
	}
	// RFC 6052 section 2.2: the u octet and the suffix are zero; an
	// address that is not Embed's output is not IPv4-embedded.
	if e, _ := Embed(r.pool6, v4); e != v6 {
		return netip.Addr{}, NoMatch
	}
	if r.pool6 == WellKnownPrefix && !refGlobal4(v4) {
		return netip.Addr{}, NonGlobalWKP
	}
	return v4, OK
}

func (r refTable) to6(v4 netip.Addr) (netip.Addr, Result) {
	if m, ok := refLookup4(r.eams, v4); ok {
		return refTo6(m, v4), OK
	}
	if !r.pool6.IsValid() {
		return netip.Addr{}, NoMatch
	}
	if r.pool6 == WellKnownPrefix && !refGlobal4(v4) {
		return netip.Addr{}, NonGlobalWKP
	}
	v6, err := Embed(r.pool6, v4)
	if err != nil {
		panic(err)
	}
	return v6, OK
}

// ---- fixed examples -------------------------------------------------------

func mustTable(t testing.TB, pool6 string, pairs ...string) *Table {
	t.Helper()
	var p netip.Prefix
	if pool6 != "" {
		p = netip.MustParsePrefix(pool6)
	}
	var eams []EAM
	for i := 0; i+1 < len(pairs); i += 2 {
		m, err := ParseEAM(pairs[i], pairs[i+1])
		if err != nil {
			t.Fatalf("ParseEAM(%s, %s): %v", pairs[i], pairs[i+1], err)
		}
		eams = append(eams, m)
	}
	tab, err := NewTable(p, eams)
	if err != nil {
		t.Fatalf("NewTable: %v", err)
	}
	return tab
}

func to4(t *testing.T, tab *Table, s string) (string, Result) {
	t.Helper()
	in := netip.MustParseAddr(s).As16()
	var out [4]byte
	r := tab.To4(&in, &out)
	if r != OK {
		return "", r
	}
	return netip.AddrFrom4(out).String(), r
}

func to6(t *testing.T, tab *Table, s string) (string, Result) {
	t.Helper()
	in := netip.MustParseAddr(s).As4()
	var out [16]byte
	r := tab.To6(&in, &out)
	if r != OK {
		return "", r
	}
	return netip.AddrFrom16(out).String(), r
}

func TestEAMTranslation(t *testing.T) {
	tab := mustTable(t, "2001:db8:100::/40",
		"2001:db8:6::/120", "192.0.2.0/24",
		"2001:db8:aaaa::1", "203.0.113.7",
		"2001:db8:bbbb::/125", "198.51.100.8/29",
		"2001:db8:cccc::/62", "203.0.113.128/29",
		"2001:db8:1c6:3364::/72", "198.51.100.16/28",
	)
	pairs := []struct{ v6, v4 string }{
		{"2001:db8:6::5", "192.0.2.5"},
		{"2001:db8:6::", "192.0.2.0"},
		{"2001:db8:6::ff", "192.0.2.255"},
		{"2001:db8:aaaa::1", "203.0.113.7"},
		{"2001:db8:bbbb::", "198.51.100.8"},
		{"2001:db8:bbbb::7", "198.51.100.15"},
		{"2001:db8:cccc:2:8000::", "203.0.113.133"}, // 5 = 101b at bits 62-64: straddles the halves
		{"2001:db8:cccc:3:8000::", "203.0.113.135"}, // 7 = 111b
		{"2001:db8:cccc::", "203.0.113.128"},
		{"2001:db8:1c6:3364:20::", "198.51.100.18"}, // 4-bit suffix 2 at bits 72-75, rest zero
		{"2001:db8:1c6:3364:f0::", "198.51.100.31"},
		{"2001:db8:1c6:3364::", "198.51.100.16"},
	}
	for _, p := range pairs {
		if got, r := to6(t, tab, p.v4); r != OK || got != netip.MustParseAddr(p.v6).String() {
			t.Errorf("To6(%s) = %s %v, want %s", p.v4, got, r, p.v6)
		}
		if got, r := to4(t, tab, p.v6); r != OK || got != p.v4 {
			t.Errorf("To4(%s) = %s %v, want %s", p.v6, got, r, p.v4)
		}
	}
	// 6->4 ignores the IPv6 bits after the copied suffix.
	if got, _ := to4(t, tab, "2001:db8:1c6:3364:2f:ffff:ffff:ffff"); got != "198.51.100.18" {
		t.Errorf("trailing IPv6 bits not ignored: %s", got)
	}
	// Outside every EAM: pool6 (/40).
	if got, _ := to6(t, tab, "192.0.3.1"); got != "2001:db8:1c0:3:1::" {
		t.Errorf("pool6 fallback To6 = %s", got)
	}
	if got, _ := to4(t, tab, "2001:db8:1c0:3:1::"); got != "192.0.3.1" {
		t.Errorf("pool6 fallback To4 = %s", got)
	}
	// Outside EAMT and pool6.
	if _, r := to4(t, tab, "2001:db9::1"); r != NoMatch {
		t.Errorf("To4 outside = %v", r)
	}
}

// The EAMs of Jool's graybox run with pool6 = null (INDEX.md section 3):
// IPv6 suffixes of 56 bits carrying 8-bit IPv4 suffixes give the same
// addresses as the /40 pool6 of the other runs.
func TestGrayboxEAMs(t *testing.T) {
	tab := mustTable(t, "",
		"2001:db8:3::/120", "1.0.0.0/24",
		"2001:db8:2::/120", "10.0.0.0/24",
		"2001:db8:1c6:3364::/72", "198.51.100.0/24",
		"2001:db8:1c0:2::/72", "192.0.2.0/24")
	for _, p := range []struct{ v6, v4 string }{
		{"2001:db8:1c6:3364:2::", "198.51.100.2"},
		{"2001:db8:1c0:2:21::", "192.0.2.33"},
		{"2001:db8:3::60", "1.0.0.96"},
		{"2001:db8:2::60", "10.0.0.96"},
	} {
		if got, r := to6(t, tab, p.v4); r != OK || got != p.v6 {
			t.Errorf("To6(%s) = %s %v, want %s", p.v4, got, r, p.v6)
		}
		if got, r := to4(t, tab, p.v6); r != OK || got != p.v4 {
			t.Errorf("To4(%s) = %s %v, want %s", p.v6, got, r, p.v4)
		}
		// Same as RFC 6052 with the /40 prefix the other runs use.
		if p.v4[0] != '1' {
			if e, _ := Embed(netip.MustParsePrefix("2001:db8:100::/40"), netip.MustParseAddr(p.v4)); e.String() != p.v6 {
				t.Errorf("Embed /40 %s = %s", p.v4, e)
			}
		}
	}
}

// RFC 7757 section 3.2: the EAMT is consulted before pool6 even where
// pool6 covers the address too.
func TestEAMTBeforePool6(t *testing.T) {
	tab := mustTable(t, "2001:db8:100::/40",
		"2001:db8:1c0:2:21::/128", "198.51.100.77/32")
	if got, _ := to4(t, tab, "2001:db8:1c0:2:21::"); got != "198.51.100.77" {
		t.Errorf("To4 = %s, want the EAM's 198.51.100.77", got)
	}
	if got, _ := to6(t, tab, "198.51.100.77"); got != "2001:db8:1c0:2:21::" {
		t.Errorf("To6 = %s", got)
	}
	// Pool6-only methods skip the EAMT.
	in := netip.MustParseAddr("2001:db8:1c0:2:21::").As16()
	var out [4]byte
	if r := tab.To4Pool6(&in, &out); r != OK || netip.AddrFrom4(out).String() != "192.0.2.33" {
		t.Errorf("To4Pool6 = %v %s", r, netip.AddrFrom4(out))
	}
}

func TestHairpinHelpers(t *testing.T) {
	tab := mustTable(t, "", "2001:db8:3::/120", "1.0.0.0/24")
	for _, c := range []struct {
		v4  string
		in4 bool
	}{{"1.0.0.9", true}, {"1.0.0.0", true}, {"1.0.0.255", true}, {"1.0.1.0", false}, {"0.255.255.255", false}} {
		a := netip.MustParseAddr(c.v4).As4()
		if tab.InEAMT4(&a) != c.in4 {
			t.Errorf("InEAMT4(%s) = %v", c.v4, !c.in4)
		}
	}
	for _, c := range []struct {
		v6  string
		in6 bool
	}{{"2001:db8:3::8", true}, {"2001:db8:3::100", false}, {"2001:db8:2:ffff:ffff:ffff:ffff:ffff", false}} {
		a := netip.MustParseAddr(c.v6).As16()
		if tab.InEAMT6(&a) != c.in6 {
			t.Errorf("InEAMT6(%s) = %v", c.v6, !c.in6)
		}
	}
	if !tab.HasPool6() == false || tab.Pool6().IsValid() {
		t.Errorf("no pool6 expected")
	}
	if _, r := to6(t, tab, "192.0.2.1"); r != NoMatch {
		t.Errorf("To6 without pool6 = %v", r)
	}
	if m, ok := tab.LookupEAM4(netip.MustParseAddr("1.0.0.7")); !ok || m.IPv6.String() != "2001:db8:3::/120" {
		t.Errorf("LookupEAM4 = %v %v", m, ok)
	}
	if m, ok := tab.LookupEAM6(netip.MustParseAddr("2001:db8:3::7")); !ok || m.IPv4.String() != "1.0.0.0/24" {
		t.Errorf("LookupEAM6 = %v %v", m, ok)
	}
}

// ---- validation -----------------------------------------------------------

func TestNewTableErrors(t *testing.T) {
	P := netip.MustParsePrefix
	cases := []struct {
		name string
		eams []EAM
		sent error
		idx  int
		oth  int
		text string
	}{
		{"v4 on v6 side", []EAM{{P("192.0.2.0/24"), P("192.0.2.0/24")}}, ErrEAMFamily, 0, -1, "IPv6 side 192.0.2.0/24 is not an IPv6 prefix"},
		{"v6 on v4 side", []EAM{{P("2001:db8::/120"), P("2001:db8::/120")}}, ErrEAMFamily, 0, -1, "IPv4 side"},
		{"mapped v6", []EAM{{P("::ffff:192.0.2.0/120"), P("192.0.2.0/24")}}, ErrEAMFamily, 0, -1, "overlaps the IPv4-mapped range"},
		{"covers mapped", []EAM{{P("::/64"), P("0.0.0.0/0")}}, ErrEAMFamily, 0, -1, "IPv6 side ::/64 overlaps the IPv4-mapped range"},
		{"zero", []EAM{{}}, ErrEAMFamily, 0, -1, "not an IPv6 prefix"},
		{"suffix", []EAM{{P("2001:db8:6::/120"), P("192.0.2.0/23")}}, ErrEAMSuffix, 0, -1,
			"ipv4 192.0.2.0/23 leaves 9 bits, ipv6 2001:db8:6::/120 only 8"},
		{"dup v4", []EAM{{P("2001:db8:6::/120"), P("192.0.2.0/24")}, {P("2001:db8:7::/120"), P("192.0.2.0/24")}}, ErrEAMOverlap, 1, 0,
			"entry 1 (2001:db8:7::/120 <-> 192.0.2.0/24): IPv4 prefix 192.0.2.0/24 is the same as that of entry 0 (2001:db8:6::/120 <-> 192.0.2.0/24)"},
		{"nested v4", []EAM{{P("2001:db8:6::/120"), P("192.0.2.0/24")}, {P("2001:db8:7::/121"), P("192.0.2.128/25")}}, ErrEAMOverlap, 1, 0,
			"IPv4 prefix 192.0.2.128/25 lies inside that of entry 0"},
		{"containing v4", []EAM{{P("2001:db8:7::/121"), P("192.0.2.128/25")}, {P("2001:db8:6::/120"), P("192.0.2.0/24")}}, ErrEAMOverlap, 1, 0,
			"IPv4 prefix 192.0.2.0/24 contains that of entry 0"},
		{"nested v6", []EAM{{P("2001:db8:6::/120"), P("192.0.2.0/24")}, {P("2001:db8:6::80/121"), P("198.51.100.0/25")}}, ErrEAMOverlap, 1, 0,
			"IPv6 prefix 2001:db8:6::80/121 lies inside that of entry 0"},
		{"far apart overlap", []EAM{
			{P("2001:db8:1::/104"), P("10.0.0.0/8")},
			{P("2001:db8:2::/120"), P("11.0.0.0/24")},
			{P("2001:db8:3::/120"), P("10.200.0.0/24")},
		}, ErrEAMOverlap, 2, 0, "lies inside"},
	}
	for _, c := range cases {
		_, err := NewTable(netip.Prefix{}, c.eams)
		var ee *EAMError
		if !errors.As(err, &ee) || !errors.Is(err, c.sent) {
			t.Errorf("%s: error %v, want *EAMError wrapping %v", c.name, err, c.sent)
			continue
		}
		if ee.Index != c.idx || ee.Other != c.oth || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: index %d other %d %q; want %d %d containing %q", c.name, ee.Index, ee.Other, err, c.idx, c.oth, c.text)
		}
	}
	// Adjacent, non-overlapping prefixes are fine.
	if _, err := NewTable(netip.Prefix{}, []EAM{
		{P("2001:db8:6::/121"), P("192.0.2.0/25")},
		{P("2001:db8:6::80/121"), P("192.0.2.128/25")},
	}); err != nil {
		t.Errorf("adjacent halves: %v", err)
	}
}

func TestParseEAM(t *testing.T) {
	m, err := ParseEAM("2001:db8:6::/120", "192.0.2.0/24")
	if err != nil || m.IPv6 != netip.MustParsePrefix("2001:db8:6::/120") || m.IPv4 != netip.MustParsePrefix("192.0.2.0/24") {
		t.Fatalf("ParseEAM = %v, %v", m, err)
	}
	m, err = ParseEAM(" 2001:db8::1 ", "192.0.2.1")
	if err != nil || m.IPv6.Bits() != 128 || m.IPv4.Bits() != 32 {
		t.Fatalf("bare addresses: %v, %v", m, err)
	}
	for _, c := range []struct{ v6, v4, text string }{
		{"192.0.2.0/24", "192.0.2.0/24", "ipv6: 192.0.2.0/24 is not an IPv6 prefix"},
		{"2001:db8::/120", "2001:db8::/120", "ipv4: 2001:db8::/120 is not an IPv4 prefix"},
		{"2001:db8::1/120", "192.0.2.0/24", "has bits set beyond the prefix length (did you mean 2001:db8::/120?)"},
		{"2001:db8::/120", "192.0.2.0/23", "leaves 9 bits"},
		{"nope", "192.0.2.0/24", "ipv6: "},
		{"fe80::1%eth0", "192.0.2.1", "carries a zone"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24", "IPv4-mapped"},
	} {
		if _, err := ParseEAM(c.v6, c.v4); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("ParseEAM(%q, %q) = %v, want error containing %q", c.v6, c.v4, err, c.text)
		}
	}
}

// ---- random tables against the reference ----------------------------------

func randPrefix6(rng *rand.Rand, bits int) netip.Prefix {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	for i := 4; i < 16; i++ {
		a[i] = byte(rng.Uint32())
	}
	if rng.IntN(4) == 0 { // cluster some prefixes to make neighbours likely
		for i := 4; i < 10; i++ {
			a[i] = 0
		}
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked()
}

func randPrefix4(rng *rand.Rand, bits int) netip.Prefix {
	v := rng.Uint32()
	if rng.IntN(4) == 0 {
		v = 192<<24 | v&0xffff
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits).Masked()
}

// randEAMs builds up to n non-overlapping EAMs with random lengths,
// including IPv6 suffixes longer than the IPv4 ones.
func randEAMs(rng *rand.Rand, n int) []EAM {
	var out []EAM
	for tries := 0; len(out) < n && tries < 20*n; tries++ {
		l4 := 8 + rng.IntN(25) // /8../32
		s4 := 32 - l4
		s6 := s4
		if rng.IntN(3) == 0 {
			s6 += rng.IntN(40)
		}
		m := EAM{IPv6: randPrefix6(rng, 128-s6), IPv4: randPrefix4(rng, l4)}
		ok := true
		for _, o := range out {
			if o.IPv4.Overlaps(m.IPv4) || o.IPv6.Overlaps(m.IPv6) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

func randAddrIn4(rng *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	host := uint32(uint64(1)<<(32-p.Bits()) - 1)
	switch rng.IntN(4) {
	case 0: // first
	case 1:
		v |= host // last
	case 2:
		v = v - 1 + uint32(rng.IntN(2))*(host+2) // just outside (or wrapped)
	default:
		v |= rng.Uint32() & host
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func randAddrIn6(rng *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	n := p.Bits()
	switch rng.IntN(4) {
	case 0: // first
	case 1:
		for i := n; i < 128; i++ {
			setBit(a[:], i, 1)
		}
	case 2: // just before the prefix: decrement
		for i := 15; i >= 0; i-- {
			a[i]--
			if a[i] != 0xff {
				break
			}
		}
	default:
		for i := n; i < 128; i++ {
			setBit(a[:], i, byte(rng.IntN(2)))
		}
	}
	return netip.AddrFrom16(a)
}

func TestRandomTablesAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	pools := []string{"", "2001:db8:100::/40", "64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "2001:db8:122:344::/64", "2001:db8:122:300::/56", "2001:db8:122:344::/96"}
	for iter := 0; iter < 300; iter++ {
		size := 1 + rng.IntN(60)
		if iter%50 == 0 {
			size = 1500 // deep radix index and longer windows
		}
		eams := randEAMs(rng, size)
		var pool6 netip.Prefix
		if s := pools[rng.IntN(len(pools))]; s != "" {
			pool6 = netip.MustParsePrefix(s)
		}
		tab, err := NewTable(pool6, eams)
		if err != nil {
			t.Fatalf("NewTable: %v", err)
		}
		ref := refTable{pool6: pool6, eams: eams}
		for k := 0; k < 400; k++ {
			var v4, v6 netip.Addr
			switch rng.IntN(3) {
			case 0:
				m := eams[rng.IntN(len(eams))]
				v4, v6 = randAddrIn4(rng, m.IPv4), randAddrIn6(rng, m.IPv6)
			case 1:
				v4 = randPrefix4(rng, 32).Addr()
				v6 = randPrefix6(rng, 128).Addr()
			default:
				v4 = randPrefix4(rng, 32).Addr()
				if pool6.IsValid() {
					v6, _ = Embed(pool6, v4)
				} else {
					v6 = randPrefix6(rng, 128).Addr()
				}
			}
			b4, b6 := v4.As4(), v6.As16()
			var o4 [4]byte
			var o6 [16]byte
			w6, wr6 := ref.to6(v4)
			if r := tab.To6(&b4, &o6); r != wr6 || (r == OK && netip.AddrFrom16(o6) != w6) {
				t.Fatalf("pool6 %s eams %v\nTo6(%s) = %v %s, reference %v %s", pool6, eams, v4, r, netip.AddrFrom16(o6), wr6, w6)
			}
			w4, wr4 := ref.to4(v6)
			if r := tab.To4(&b6, &o4); r != wr4 || (r == OK && netip.AddrFrom4(o4) != w4) {
				t.Fatalf("pool6 %s eams %v\nTo4(%s) = %v %s, reference %v %s", pool6, eams, v6, r, netip.AddrFrom4(o4), wr4, w4)
			}
			_, in4 := refLookup4(eams, v4)
			_, in6 := refLookup6(eams, v6)
			if tab.InEAMT4(&b4) != in4 || tab.InEAMT6(&b6) != in6 {
				t.Fatalf("InEAMT4(%s) = %v want %v; InEAMT6(%s) = %v want %v", v4, tab.InEAMT4(&b4), in4, v6, tab.InEAMT6(&b6), in6)
			}
			// Round trip through an EAM.
			if in4 {
				var back [4]byte
				if tab.To4(&o6, &back) != OK || back != b4 {
					t.Fatalf("EAM round trip %s -> %s -> %s", v4, netip.AddrFrom16(o6), netip.AddrFrom4(back))
				}
			}
		}
	}
}

// Random EAM sets with overlaps must be refused exactly when the reference
// sees an overlap.
func TestRandomOverlapDetection(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for iter := 0; iter < 3000; iter++ {
		n := 2 + rng.IntN(6)
		eams := make([]EAM, n)
		for i := range eams {
			l4 := 22 + rng.IntN(11)
			v4 := 192<<24 | 2<<8 | rng.Uint32()&0x3ff
			v6 := [16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(rng.IntN(4)), 15: byte(rng.Uint32())}
			eams[i] = EAM{
				IPv6: netip.PrefixFrom(netip.AddrFrom16(v6), 128-(32-l4)-rng.IntN(2)).Masked(),
				IPv4: netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v4 >> 24), byte(v4 >> 16), byte(v4 >> 8), byte(v4)}), l4).Masked(),
			}
		}
		overlap := false
		for i := range eams {
			for j := i + 1; j < n; j++ {
				if eams[i].IPv4.Overlaps(eams[j].IPv4) || eams[i].IPv6.Overlaps(eams[j].IPv6) {
					overlap = true
				}
			}
		}
		_, err := NewTable(netip.Prefix{}, eams)
		if overlap != errors.Is(err, ErrEAMOverlap) {
			t.Fatalf("eams %v: overlap %v, NewTable error %v", eams, overlap, err)
		}
		if err != nil {
			var ee *EAMError
			errors.As(err, &ee)
			a, b := eams[ee.Index], eams[ee.Other]
			if !a.IPv4.Overlaps(b.IPv4) && !a.IPv6.Overlaps(b.IPv6) || ee.Other >= ee.Index {
				t.Fatalf("error names entries %d and %d which do not overlap: %v", ee.Index, ee.Other, err)
			}
		}
	}
}

// ---- Well-Known Prefix ----------------------------------------------------

func TestWKPNonGlobal(t *testing.T) {
	wkp := mustTable(t, "64:ff9b::/96")
	lwkp := mustTable(t, "64:ff9b:1::/48")
	for _, c := range []struct {
		v4     string
		global bool
	}{
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"192.0.2.33", false}, {"10.1.2.3", false},
		{"127.0.0.1", false}, {"0.0.0.0", false}, {"100.64.0.1", false}, {"100.128.0.1", true},
		{"169.254.1.1", false}, {"172.16.0.1", false}, {"172.32.0.1", true},
		{"192.0.0.1", false}, {"192.0.0.9", true}, {"192.0.0.10", true}, {"192.0.0.170", false},
		{"192.88.99.1", false}, {"192.168.1.1", false}, {"198.18.0.1", false}, {"198.19.255.255", false},
		{"198.20.0.1", true}, {"198.51.100.1", false}, {"203.0.113.1", false}, {"224.0.0.1", false},
		{"239.255.255.255", false}, {"240.0.0.1", false}, {"255.255.255.255", false},
		{"192.31.196.1", true}, {"192.52.193.1", true}, {"192.175.48.1", true}, {"223.255.255.255", true},
	} {
		v4 := netip.MustParseAddr(c.v4)
		b4 := v4.As4()
		want := OK
		if !c.global {
			want = NonGlobalWKP
		}
		var o6 [16]byte
		var o4 [4]byte
		if r := wkp.To6(&b4, &o6); r != want {
			t.Errorf("WKP To6(%s) = %v, want %v", v4, r, want)
		}
		if r := wkp.To6Pool6(&b4, &o6); r != want {
			t.Errorf("WKP To6Pool6(%s) = %v, want %v", v4, r, want)
		}
		b6 := netip.MustParseAddr("64:ff9b::" + c.v4).As16()
		if r := wkp.To4(&b6, &o4); r != want || (r == OK && o4 != b4) {
			t.Errorf("WKP To4(%s) = %v, want %v", v4, r, want)
		}
		if r := wkp.To4Pool6(&b6, &o4); r != want {
			t.Errorf("WKP To4Pool6(%s) = %v, want %v", v4, r, want)
		}
		// RFC 8215's 64:ff9b:1::/48 is a Network-Specific Prefix: no rule.
		if r := lwkp.To6(&b4, &o6); r != OK {
			t.Errorf("64:ff9b:1::/48 To6(%s) = %v", v4, r)
		}
		l6, _ := Embed(netip.MustParsePrefix("64:ff9b:1::/48"), v4)
		lb6 := l6.As16()
		if r := lwkp.To4(&lb6, &o4); r != OK || o4 != b4 {
			t.Errorf("64:ff9b:1::/48 To4(%s) = %v", l6, r)
		}
	}
	// An EAM for a non-global address under the WKP is fine: the EAMT is
	// not RFC 6052.
	tab := mustTable(t, "64:ff9b::/96", "64:ff9b::c000:200/120", "192.0.2.0/24")
	if got, r := to4(t, tab, "64:ff9b::192.0.2.33"); r != OK || got != "192.0.2.33" {
		t.Errorf("EAM under the WKP: %s %v", got, r)
	}
}

// refNonGlobal is written independently of specials4.
var refNonGlobal = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"255.255.255.255/32",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var refGlobalExceptions = []netip.Addr{netip.MustParseAddr("192.0.0.9"), netip.MustParseAddr("192.0.0.10")}

func refGlobal4(a netip.Addr) bool {
	for _, e := range refGlobalExceptions {
		if a == e {
			return true
		}
	}
	for _, p := range refNonGlobal {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func TestIsGlobal4AgainstReference(t *testing.T) {
	// Every /16 at a handful of offsets, plus every boundary of the list.
	check := func(v uint32) {
		b := [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		if got, want := isGlobal4(b), refGlobal4(netip.AddrFrom4(b)); got != want {
			t.Fatalf("isGlobal4(%s) = %v, want %v", netip.AddrFrom4(b), got, want)
		}
	}
	for hi := uint32(0); hi < 1<<16; hi++ {
		for _, lo := range []uint32{0, 1, 9, 10, 99 << 8, 100 << 8, 113 << 8, 0x7fff, 0xfffe, 0xffff} {
			check(hi<<16 | lo)
		}
	}
	for _, p := range refNonGlobal {
		a := p.Addr().As4()
		v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
		last := v | uint32(uint64(1)<<(32-p.Bits())-1)
		for _, x := range []uint32{v - 1, v, v + 1, last - 1, last, last + 1} {
			check(x)
		}
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for i := 0; i < 1_000_000; i++ {
		check(rng.Uint32())
	}
}

// ---- allocations and benchmarks -------------------------------------------

func TestZeroAllocsTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	eams := randEAMs(rng, 100)
	tab, err := NewTable(netip.MustParsePrefix("64:ff9b::/96"), eams)
	if err != nil {
		t.Fatal(err)
	}
	in4 := eams[3].IPv4.Addr().As4()
	in6 := eams[5].IPv6.Addr().As16()
	g4 := [4]byte{8, 8, 8, 8}
	g6 := netip.MustParseAddr("64:ff9b::8.8.8.8").As16()
	var o4 [4]byte
	var o6 [16]byte
	var hits int
	allocs := testing.AllocsPerRun(1000, func() {
		if tab.To6(&in4, &o6) == OK {
			hits++
		}
		if tab.To4(&in6, &o4) == OK {
			hits++
		}
		if tab.To6(&g4, &o6) == OK {
			hits++
		}
		if tab.To4(&g6, &o4) == OK {
			hits++
		}
		tab.To4Pool6(&g6, &o4)
		tab.To6Pool6(&g4, &o6)
		if tab.InEAMT4(&in4) && tab.InEAMT6(&in6) {
			hits++
		}
		if isGlobal4(g4) {
			hits++
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run, want 0", allocs)
	}
	if hits == 0 {
		t.Fatal("nothing translated")
	}
}

// bench1000 returns a table with 1000 /120<->/24 EAMs and pool6, and
// addresses hitting random EAMs.
func bench1000(b *testing.B, pool6 string) (*Table, [][4]byte, [][16]byte) {
	var eams []EAM
	for i := 0; i < 1000; i++ {
		v6 := [16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0xee, 12: byte(i >> 8), 13: byte(i), 14: 0, 15: 0}
		eams = append(eams, EAM{
			IPv6: netip.PrefixFrom(netip.AddrFrom16(v6), 120),
			IPv4: netip.PrefixFrom(netip.AddrFrom4([4]byte{11, byte(i >> 8), byte(i), 0}), 24),
		})
	}
	tab, err := NewTable(netip.MustParsePrefix(pool6), eams)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	a4 := make([][4]byte, 1024)
	a6 := make([][16]byte, 1024)
	for i := range a4 {
		m := eams[rng.IntN(len(eams))]
		a4[i] = randAddrIn4(rng, m.IPv4).As4()
		a6[i] = m.IPv6.Addr().As16()
		a6[i][15] = byte(rng.Uint32())
	}
	return tab, a4, a6
}

func BenchmarkTo4(b *testing.B) {
	b.Run("pool6", func(b *testing.B) {
		tab, _ := NewTable(netip.MustParsePrefix("2001:db8:100::/40"), nil)
		in := netip.MustParseAddr("2001:db8:1c0:2:21::").As16()
		var out [4]byte
		for b.Loop() {
			tab.To4(&in, &out)
		}
	})
	b.Run("pool6-wkp", func(b *testing.B) {
		tab, _ := NewTable(WellKnownPrefix, nil)
		in := netip.MustParseAddr("64:ff9b::8.8.8.8").As16()
		var out [4]byte
		for b.Loop() {
			tab.To4(&in, &out)
		}
	})
	b.Run("eamt1000-hit", func(b *testing.B) {
		tab, _, a6 := bench1000(b, "2001:db8:100::/40")
		var out [4]byte
		i := 0
		for b.Loop() {
			tab.To4(&a6[i&1023], &out)
			i++
		}
	})
	b.Run("eamt1000-miss-pool6", func(b *testing.B) {
		tab, _, _ := bench1000(b, "2001:db8:100::/40")
		in := netip.MustParseAddr("2001:db8:1c0:2:21::").As16()
		var out [4]byte
		for b.Loop() {
			tab.To4(&in, &out)
		}
	})
}

func BenchmarkTo6(b *testing.B) {
	b.Run("pool6", func(b *testing.B) {
		tab, _ := NewTable(netip.MustParsePrefix("2001:db8:100::/40"), nil)
		in := [4]byte{192, 0, 2, 33}
		var out [16]byte
		for b.Loop() {
			tab.To6(&in, &out)
		}
	})
	b.Run("pool6-wkp", func(b *testing.B) {
		tab, _ := NewTable(WellKnownPrefix, nil)
		in := [4]byte{8, 8, 8, 8}
		var out [16]byte
		for b.Loop() {
			tab.To6(&in, &out)
		}
	})
	b.Run("eamt1000-hit", func(b *testing.B) {
		tab, a4, _ := bench1000(b, "2001:db8:100::/40")
		var out [16]byte
		i := 0
		for b.Loop() {
			tab.To6(&a4[i&1023], &out)
			i++
		}
	})
	b.Run("eamt1000-miss-pool6", func(b *testing.B) {
		tab, _, _ := bench1000(b, "2001:db8:100::/40")
		in := [4]byte{192, 0, 2, 33}
		var out [16]byte
		for b.Loop() {
			tab.To6(&in, &out)
		}
	})
}

func BenchmarkIsGlobal4(b *testing.B) {
	for _, s := range []string{"8.8.8.8", "192.0.2.1", "10.0.0.1"} {
		a := netip.MustParseAddr(s).As4()
		b.Run(s, func(b *testing.B) {
			n := 0
			for b.Loop() {
				if isGlobal4(a) {
					n++
				}
			}
			_ = fmt.Sprint(n)
		})
	}
}

// FuzzTable builds an EAMT from the input (22 bytes per entry: IPv6
// address, IPv6 length selector, IPv4 address, IPv4 length; entries that
// overlap earlier ones are dropped) and checks both directions against the
// linear reference for the addresses in the last 20 bytes.
func FuzzTable(f *testing.F) {
	f.Add([]byte("\x20\x01\x0d\xb8\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x78\xc0\x00\x02\x00\x18" +
		"\x20\x01\x0d\xb8\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\xc0\x00\x02\x05"))
	f.Add(make([]byte, 22*3+20))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 20 {
			return
		}
		q, data := data[len(data)-20:], data[:len(data)-20]
		var eams []EAM
		for ; len(data) >= 22 && len(eams) < 64; data = data[22:] {
			l4 := int(data[21]) % 33
			s4 := 32 - l4
			l6 := int(data[16]) % (128 - s4 + 1)
			m := EAM{
				IPv6: netip.PrefixFrom(netip.AddrFrom16([16]byte(data[:16])), l6).Masked(),
				IPv4: netip.PrefixFrom(netip.AddrFrom4([4]byte(data[17:21])), l4).Masked(),
			}
			if m.IPv6.Overlaps(mappedPrefix) {
				continue
			}
			ok := true
			for _, o := range eams {
				if o.IPv4.Overlaps(m.IPv4) || o.IPv6.Overlaps(m.IPv6) {
					ok = false
				}
			}
			if ok {
				eams = append(eams, m)
			}
		}
		pool6 := netip.MustParsePrefix("64:ff9b::/96")
		tab, err := NewTable(pool6, eams)
		if err != nil {
			t.Fatalf("NewTable(%v): %v", eams, err)
		}
		ref := refTable{pool6: pool6, eams: eams}
		v6 := netip.AddrFrom16([16]byte(q[:16]))
		v4 := netip.AddrFrom4([4]byte(q[16:20]))
		b4, b6 := v4.As4(), v6.As16()
		var o4 [4]byte
		var o6 [16]byte
		w6, wr6 := ref.to6(v4)
		if r := tab.To6(&b4, &o6); r != wr6 || (r == OK && netip.AddrFrom16(o6) != w6) {
			t.Fatalf("eams %v: To6(%s) = %v %s, reference %v %s", eams, v4, r, netip.AddrFrom16(o6), wr6, w6)
		}
		w4, wr4 := ref.to4(v6)
		if r := tab.To4(&b6, &o4); r != wr4 || (r == OK && netip.AddrFrom4(o4) != w4) {
			t.Fatalf("eams %v: To4(%s) = %v %s, reference %v %s", eams, v6, r, netip.AddrFrom4(o4), wr4, w4)
		}
	})
}

func TestPrefixLists(t *testing.T) {
	tab := mustTable(t, "64:ff9b::/96", "2001:db8:6::/120", "192.0.2.0/24", "2001:db8:7::1", "198.51.100.1")
	if got := fmt.Sprint(tab.Prefixes6()); got != "[64:ff9b::/96 2001:db8:6::/120 2001:db8:7::1/128]" {
		t.Errorf("Prefixes6 = %s", got)
	}
	if got := fmt.Sprint(tab.Prefixes4()); got != "[192.0.2.0/24 198.51.100.1/32]" {
		t.Errorf("Prefixes4 = %s", got)
	}
	if got := fmt.Sprint(tab.EAMs()); got != "[2001:db8:6::/120 <-> 192.0.2.0/24 2001:db8:7::1/128 <-> 198.51.100.1/32]" {
		t.Errorf("EAMs = %s", got)
	}
}
