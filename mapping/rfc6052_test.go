package mapping

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// RFC 6052 section 2.4, Table 1 (Network-Specific Prefixes) and Table 2
// (the Well-Known Prefix): every row of the RFC's own examples.
var rfc6052Table = []struct {
	prefix, v4, v6 string
}{
	{"2001:db8::/32", "192.0.2.33", "2001:db8:c000:221::"},
	{"2001:db8:100::/40", "192.0.2.33", "2001:db8:1c0:2:21::"},
	{"2001:db8:122::/48", "192.0.2.33", "2001:db8:122:c000:2:2100::"},
	{"2001:db8:122:300::/56", "192.0.2.33", "2001:db8:122:3c0:0:221::"},
	{"2001:db8:122:344::/64", "192.0.2.33", "2001:db8:122:344:c0:2:2100:0"},
	{"2001:db8:122:344::/96", "192.0.2.33", "2001:db8:122:344::192.0.2.33"},
	{"64:ff9b::/96", "192.0.2.33", "64:ff9b::192.0.2.33"},
}

func TestRFC6052Table(t *testing.T) {
	for _, r := range rfc6052Table {
		p := netip.MustParsePrefix(r.prefix)
		v4 := netip.MustParseAddr(r.v4)
		v6 := netip.MustParseAddr(r.v6)
		got, err := Embed(p, v4)
		if err != nil || got != v6 {
			t.Errorf("Embed(%s, %s) = %s, %v; want %s", p, v4, got, err, v6)
		}
		back, err := Extract(p, v6)
		if err != nil || back != v4 {
			t.Errorf("Extract(%s, %s) = %s, %v; want %s", p, v6, back, err, v4)
		}
		// The hot path agrees (pool6 only, no WKP rule for the NSPs;
		// the WKP row uses a non-global address and must be refused).
		tab, err := NewTable(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		b4, b6 := v4.As4(), v6.As16()
		var o6 [16]byte
		var o4 [4]byte
		want := OK
		if p == WellKnownPrefix {
			want = NonGlobalWKP
		}
		if res := tab.To6(&b4, &o6); res != want || (res == OK && o6 != b6) {
			t.Errorf("%s: To6(%s) = %v %s", p, v4, res, netip.AddrFrom16(o6))
		}
		if res := tab.To4(&b6, &o4); res != want || (res == OK && o4 != b4) {
			t.Errorf("%s: To4(%s) = %v %s", p, v6, res, netip.AddrFrom4(o4))
		}
	}
}

// Every prefix length: the IPv4 bits land where the RFC's Figure 1 puts
// them, bits 64-71 and the suffix are zero, and Extract ignores u and the
// suffix.
func TestEveryPrefixLength(t *testing.T) {
	v4 := netip.MustParseAddr("198.51.100.7")
	for _, n := range []int{32, 40, 48, 56, 64, 96} {
		p := netip.PrefixFrom(netip.MustParseAddr("2001:db8:aaaa:bbbb::"), n).Masked()
		got, err := Embed(p, v4)
		if err != nil {
			t.Fatalf("/%d: %v", n, err)
		}
		a := got.As16()
		if !p.Contains(got) {
			t.Errorf("/%d: %s outside %s", n, got, p)
		}
		if a[8] != 0 {
			t.Errorf("/%d: u octet %#x", n, a[8])
		}
		// Reassemble the IPv4 bits by skipping octet 8.
		var bitsOut []byte
		for i := n / 8; len(bitsOut) < 4; i++ {
			if i == 8 {
				continue
			}
			bitsOut = append(bitsOut, a[i])
		}
		if [4]byte(bitsOut) != v4.As4() {
			t.Errorf("/%d: embedded %v", n, bitsOut)
		}
		last := n/8 + 4
		if n <= 64 {
			last++ // the u octet sits inside
		}
		for i := last; i < 16; i++ {
			if a[i] != 0 {
				t.Errorf("/%d: suffix byte %d = %#x", n, i, a[i])
			}
		}
		// Extract ignores u and the suffix.
		if n != 96 {
			a[8] = 0xff
		}
		for i := last; i < 16; i++ {
			a[i] = 0xee
		}
		back, err := Extract(p, netip.AddrFrom16(a))
		if err != nil || back != v4 {
			t.Errorf("/%d: Extract with u/suffix set = %s, %v", n, back, err)
		}
	}
}

func TestInvalidPrefixLengths(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	for n := 0; n <= 128; n++ {
		p := netip.PrefixFrom(netip.MustParseAddr("2001:db8::"), n)
		_, err := Embed(p, v4)
		_, err2 := Extract(p, netip.MustParseAddr("2001:db8::1"))
		_, err3 := NewTable(p, nil)
		if validLen(n) {
			if err != nil || err3 != nil {
				t.Errorf("/%d: Embed %v, NewTable %v", n, err, err3)
			}
			continue
		}
		for _, e := range []error{err, err2, err3} {
			if !errors.Is(e, ErrPrefixLength) {
				t.Errorf("/%d: error %v does not wrap ErrPrefixLength", n, e)
			}
		}
		want := fmt.Sprintf("prefix length %d is not one of 32,40,48,56,64,96", n)
		if err3 == nil || err3.Error() != want {
			t.Errorf("/%d: NewTable error %q, want %q", n, err3, want)
		}
	}
}

func TestBadInputs(t *testing.T) {
	p := netip.MustParsePrefix("2001:db8::/96")
	cases := []struct {
		name   string
		prefix netip.Prefix
		v4, v6 netip.Addr
		sent   error
		text   string
	}{
		{"v4 prefix", netip.MustParsePrefix("192.0.2.0/24"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), ErrNotIPv6Prefix, "192.0.2.0/24 is not an IPv6 prefix"},
		{"zero prefix", netip.Prefix{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), ErrNotIPv6Prefix, "not an IPv6 prefix"},
		{"mapped prefix", netip.MustParsePrefix("::ffff:0:0/96"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:192.0.2.1"), ErrNotIPv6Prefix, "IPv4-mapped range"},
		{"prefix covering mapped", netip.MustParsePrefix("::/64"), netip.MustParseAddr("0.0.255.255"), netip.MustParseAddr("::ffff:0.0.0.0"), ErrNotIPv6Prefix, "IPv4-mapped range"},
		{"u octet", netip.MustParsePrefix("2001:db8:0:0:100::/96"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8:0:0:100::1"), ErrReservedBits, `"u" octet`},
	}
	for _, c := range cases {
		_, err := Embed(c.prefix, c.v4)
		_, err2 := Extract(c.prefix, c.v6)
		_, err3 := NewTable(c.prefix, nil)
		errs := []error{err, err2, err3}
		if !c.prefix.IsValid() {
			errs = errs[:2] // NewTable: the zero Prefix means "no pool6"
		}
		for _, e := range errs {
			if !errors.Is(e, c.sent) || !strings.Contains(e.Error(), c.text) {
				t.Errorf("%s: error %v, want %v containing %q", c.name, e, c.sent, c.text)
			}
		}
	}
	addrCases := []struct {
		name string
		v4   netip.Addr // for Embed
		v6   netip.Addr // for Extract
		sent error
	}{
		{"embed v6 as v4", netip.MustParseAddr("2001:db8::1"), netip.Addr{}, ErrAddress},
		{"embed mapped", netip.MustParseAddr("::ffff:192.0.2.1"), netip.Addr{}, ErrAddress},
		{"embed zero", netip.Addr{}, netip.Addr{}, ErrAddress},
		{"extract v4", netip.Addr{}, netip.MustParseAddr("192.0.2.1"), ErrAddress},
		{"extract mapped", netip.Addr{}, netip.MustParseAddr("::ffff:192.0.2.1"), ErrAddress},
		{"extract zone", netip.Addr{}, netip.MustParseAddr("2001:db8::c000:201%eth0"), ErrAddress},
		{"extract outside", netip.Addr{}, netip.MustParseAddr("2001:db9::c000:201"), ErrNotInPrefix},
	}
	for _, c := range addrCases {
		var err error
		if strings.HasPrefix(c.name, "embed") {
			_, err = Embed(p, c.v4)
		} else {
			_, err = Extract(p, c.v6)
		}
		if !errors.Is(err, c.sent) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.sent)
		}
	}
}

// Host bits of the prefix are ignored, not copied.
func TestEmbedMasksPrefix(t *testing.T) {
	got, err := Embed(netip.MustParsePrefix("2001:db8:ffff:ffff:ffff::/32"), netip.MustParseAddr("192.0.2.33"))
	if err != nil || got != netip.MustParseAddr("2001:db8:c000:221::") {
		t.Fatalf("got %s, %v", got, err)
	}
}

func TestZeroAllocsRFC6052(t *testing.T) {
	p := netip.MustParsePrefix("2001:db8:100::/40")
	v4 := netip.MustParseAddr("192.0.2.33")
	v6 := netip.MustParseAddr("2001:db8:1c0:2:21::")
	allocs := testing.AllocsPerRun(1000, func() {
		a, err := Embed(p, v4)
		if err != nil || a != v6 {
			panic("embed")
		}
		b, err := Extract(p, v6)
		if err != nil || b != v4 {
			panic("extract")
		}
	})
	if allocs != 0 {
		t.Fatalf("Embed+Extract: %v allocations, want 0", allocs)
	}
}

var validLens = []int{32, 40, 48, 56, 64, 96}

func FuzzEmbedExtract(f *testing.F) {
	f.Add([]byte{0x20, 0x01, 0x0d, 0xb8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(1), []byte{192, 0, 2, 33})
	f.Add([]byte{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(5), []byte{198, 51, 100, 1})
	f.Fuzz(func(t *testing.T, p []byte, li uint8, v []byte) {
		if len(p) < 16 || len(v) < 4 {
			return
		}
		n := validLens[int(li)%len(validLens)]
		var pa [16]byte
		copy(pa[:], p)
		if n == 96 {
			pa[8] = 0
		}
		prefix := netip.PrefixFrom(netip.AddrFrom16(pa), n)
		if prefix.Overlaps(mappedPrefix) {
			return
		}
		v4 := netip.AddrFrom4([4]byte(v[:4]))
		v6, err := Embed(prefix, v4)
		if err != nil {
			t.Fatalf("Embed(%s, %s): %v", prefix, v4, err)
		}
		if !prefix.Contains(v6) {
			t.Fatalf("Embed(%s, %s) = %s outside the prefix", prefix, v4, v6)
		}
		if v6.As16()[8] != 0 {
			t.Fatalf("Embed(%s, %s) = %s: u octet not zero", prefix, v4, v6)
		}
		back, err := Extract(prefix, v6)
		if err != nil || back != v4 {
			t.Fatalf("Extract(%s, %s) = %s, %v; want %s", prefix, v6, back, err, v4)
		}
		// Table agrees with the netip functions.
		tab, err := NewTable(prefix, nil)
		if err != nil {
			t.Fatal(err)
		}
		b4 := v4.As4()
		var o6 [16]byte
		if prefix.Masked() == WellKnownPrefix && !refGlobal4(v4) {
			if r := tab.To6Pool6(&b4, &o6); r != NonGlobalWKP {
				t.Fatalf("To6Pool6(%s) under the WKP = %v", v4, r)
			}
			return
		}
		if tab.To6Pool6(&b4, &o6) != OK || o6 != v6.As16() {
			t.Fatalf("To6Pool6 %s != Embed %s", netip.AddrFrom16(o6), v6)
		}
		// And Table's shift-based extraction agrees with Extract.
		var o4 [4]byte
		b6 := v6.As16()
		if r := tab.To4Pool6(&b6, &o4); r != OK || o4 != b4 {
			t.Fatalf("To4Pool6(%s) = %v %s, want %s", v6, r, netip.AddrFrom4(o4), v4)
		}
		// With a bit of u or of the suffix set it is no IPv4-embedded
		// address (RFC 6052 section 2.2; Extract ignores them).
		if n != 96 {
			// u is bits 64-71, the suffix bits n+40 to 127.
			bit := int(v[0]^v[3]) % (96 - n)
			pos := 64 + bit
			if bit >= 8 {
				pos = n + 40 + bit - 8
			}
			junk := v6.As16()
			junk[pos/8] |= 0x80 >> (pos % 8)
			if r := tab.To4Pool6(&junk, &o4); r != NoMatch {
				t.Fatalf("To4Pool6(%s) with bit %d set = %v %s, want no-match", netip.AddrFrom16(junk), pos, r, netip.AddrFrom4(o4))
			}
		}
	})
}

func TestFuzzSeedsRandom(t *testing.T) {
	// A quick randomized pass over the fuzz property for plain `go test`.
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20000; i++ {
		var pa [16]byte
		for j := range pa {
			pa[j] = byte(rng.Uint32())
		}
		n := validLens[rng.IntN(len(validLens))]
		if n == 96 {
			pa[8] = 0
		}
		prefix := netip.PrefixFrom(netip.AddrFrom16(pa), n)
		if prefix.Overlaps(mappedPrefix) {
			continue
		}
		v4 := netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		v6, err := Embed(prefix, v4)
		if err != nil || !prefix.Contains(v6) || v6.As16()[8] != 0 {
			t.Fatalf("Embed(%s, %s) = %s, %v", prefix, v4, v6, err)
		}
		if back, err := Extract(prefix, v6); err != nil || back != v4 {
			t.Fatalf("Extract(%s, %s) = %s, %v", prefix, v6, back, err)
		}
	}
}
