package mapping

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Result says why an address did or did not translate.
type Result uint8

const (
	OK           Result = iota
	NoMatch             // neither the EAMT nor pool6 covers the address
	NonGlobalWKP        // 64:ff9b::/96 with a non-global IPv4 address (RFC 6052 section 3.1)
)

func (r Result) String() string {
	switch r {
	case OK:
		return "ok"
	case NoMatch:
		return "no-match"
	case NonGlobalWKP:
		return "non-global-wkp"
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// WellKnownPrefix is 64:ff9b::/96 (RFC 6052 section 2.1). The local-use
// prefix 64:ff9b:1::/48 of RFC 8215 is a Network-Specific Prefix: the
// non-global rule of RFC 6052 section 3.1 does not apply to it.
var WellKnownPrefix = netip.MustParsePrefix("64:ff9b::/96")

// Table is the immutable address-translation state the hot path reads:
// the EAMT, consulted first, then pool6. RFC 7757 section 3 places the
// EAM algorithm ahead of RFC 6052's: an address covered by an EAM is
// translated by it even when pool6 covers it too.
//
// A Table is built once by NewTable and never modified, so any number of
// goroutines read it without locks; reconfiguration builds a new Table and
// swaps the pointer (batch.Config is swapped whole through an
// atomic.Pointer). The To* and InEAMT* methods do not allocate.
type Table struct {
	pool6    netip.Prefix // invalid when there is no pool6
	pool6b   [16]byte
	pool6u   u128 // pool6 as bits, and its mask
	pool6m   u128
	pool6len int
	// RFC 6052 layout as shifts and masks on the two 64-bit halves (see
	// setLayout); Embed and Extract keep the byte-wise form, and the tests
	// check one against the other.
	hiBits  uint8  // IPv4 bits stored in the high half (its low end)
	loShift uint8  // where the rest of the IPv4 bits sit in the low half
	hiMask  uint64 // 1<<hiBits - 1
	loMask  uint64 // 1<<(32-hiBits) - 1
	wkp     bool
	// zeroLo: bits of the low half that are the "u" octet or the suffix
	// (RFC 6052 section 2.2), zero in every IPv4-embedded address.
	zeroLo uint64
	eams   []EAM
	eamt   eamt
}

// NewTable validates and builds a Table. pool6 may be the zero Prefix (EAMT
// only); otherwise it must pass ValidatePrefix (bits beyond its length are
// ignored). Each EAM must have an IPv6 prefix on the IPv6 side and an IPv4
// prefix on the IPv4 side, an IPv4 suffix no longer than the IPv6 suffix,
// and no two IPv4 prefixes and no two IPv6 prefixes may overlap; errors on
// EAMs are *EAMError values naming both entries involved.
//
// Overlapping EAMs are refused although RFC 7757's longest-prefix match
// could order nested ones: a nested entry is far more often a typo than
// intent (Jool likewise refuses overlaps unless forced), and with disjoint
// prefixes at most one EAM can match, so that one is the longest match and
// the lookup stays a single search.
func NewTable(pool6 netip.Prefix, eams []EAM) (*Table, error) {
	t := &Table{}
	if pool6.IsValid() {
		if err := ValidatePrefix(pool6); err != nil {
			return nil, err
		}
		t.pool6 = pool6.Masked()
		t.pool6b = t.pool6.Addr().As16()
		t.pool6u = u128From(&t.pool6b)
		t.pool6m = mask128(t.pool6.Bits())
		t.pool6len = t.pool6.Bits()
		t.setLayout()
		t.wkp = t.pool6 == WellKnownPrefix
	}
	et, err := buildEAMT(eams)
	if err != nil {
		return nil, err
	}
	t.eamt = et
	t.eams = make([]EAM, len(eams))
	for i, m := range eams {
		t.eams[i] = EAM{IPv6: m.IPv6.Masked(), IPv4: m.IPv4.Masked()}
	}
	return t, nil
}

// Pool6 returns the RFC 6052 prefix, or the zero Prefix.
func (t *Table) Pool6() netip.Prefix { return t.pool6 }

// HasPool6 reports whether the table has an RFC 6052 prefix.
func (t *Table) HasPool6() bool { return t.pool6.IsValid() }

// EAMs returns the table's explicit mappings in configuration order, with
// bits beyond the prefix lengths cleared (do not modify).
func (t *Table) EAMs() []EAM { return t.eams }

// To4 translates an IPv6 address to IPv4: EAMT first (longest prefix
// match), then pool6.
func (t *Table) To4(v6 *[16]byte, out *[4]byte) Result {
	a := u128From(v6)
	if len(t.eamt.keys6) != 0 {
		if i := t.eamt.find6(a); i >= 0 {
			binary.BigEndian.PutUint32(out[:], t.eamt.ents6[i].to4(a))
			return OK
		}
	}
	return t.to4Pool6(a, out)
}

// To6 translates an IPv4 address to IPv6: EAMT first (longest prefix
// match), then pool6.
func (t *Table) To6(v4 *[4]byte, out *[16]byte) Result {
	if len(t.eamt.keys4) != 0 {
		if i := t.eamt.find4(binary.BigEndian.Uint32(v4[:])); i >= 0 {
			a := t.eamt.ents4[i].to6(binary.BigEndian.Uint32(v4[:]))
			binary.BigEndian.PutUint64(out[:8], a.hi)
			binary.BigEndian.PutUint64(out[8:], a.lo)
			return OK
		}
	}
	return t.To6Pool6(v4, out)
}

// To4Pool6 translates with pool6 only (no EAMT).
func (t *Table) To4Pool6(v6 *[16]byte, out *[4]byte) Result {
	return t.to4Pool6(u128From(v6), out)
}

func (t *Table) to4Pool6(a u128, out *[4]byte) Result {
	// The u octet and the suffix are checked with the prefix, in the same
	// comparison: an address with either set is not an IPv4-embedded
	// address (RFC 6052 section 2.2: bits 64-71 "MUST be set to zero"),
	// and taking it for one would let every host of a /64 under a /32-/56
	// pool6 speak for its neighbours' IPv4 addresses.
	if t.pool6len == 0 || a.hi&t.pool6m.hi != t.pool6u.hi || a.lo&(t.pool6m.lo|t.zeroLo) != t.pool6u.lo {
		return NoMatch
	}
	// Shift counts are below 64; "&63" lets the compiler drop its
	// oversized-shift handling.
	x := uint32((a.hi&t.hiMask)<<((32-t.hiBits)&63) | (a.lo>>(t.loShift&63))&t.loMask)
	if t.wkp && !isGlobal32(x) {
		return NonGlobalWKP
	}
	binary.BigEndian.PutUint32(out[:], x)
	return OK
}

// setLayout turns the RFC 6052 section 2.2 layout into shifts: for /32 to
// /64, the first hiBits = 64-len IPv4 bits end the high half (bytes 4-7)
// and the other 32-hiBits follow the "u" octet (byte 8) at the top of the
// low half; for /96 all 32 bits end the low half.
func (t *Table) setLayout() {
	n := t.pool6len
	if n == 96 {
		t.hiBits, t.loShift = 0, 0
	} else {
		t.hiBits = uint8(64 - n) // 32, 24, 16, 8, 0 for /32../64
		t.loShift = 56 - (32 - t.hiBits)
	}
	t.hiMask = 1<<t.hiBits - 1
	t.loMask = 1<<(32-t.hiBits) - 1
	t.zeroLo = 0
	if n < 96 {
		t.zeroLo = ^(t.loMask << t.loShift)
	}
}

// To6Pool6 translates with pool6 only (no EAMT).
func (t *Table) To6Pool6(v4 *[4]byte, out *[16]byte) Result {
	if t.pool6len == 0 {
		return NoMatch
	}
	x := uint64(binary.BigEndian.Uint32(v4[:]))
	if t.wkp && !isGlobal32(uint32(x)) {
		return NonGlobalWKP
	}
	// x>>32 is 0, as /64 and /96 need.
	binary.BigEndian.PutUint64(out[:8], t.pool6u.hi|x>>((32-t.hiBits)&63))
	binary.BigEndian.PutUint64(out[8:], t.pool6u.lo|(x&t.loMask)<<(t.loShift&63))
	return OK
}

// InEAMT4 reports whether an EAM's IPv4 prefix covers v4 (for RFC 7757
// hairpinning of traffic between two EAM addresses).
func (t *Table) InEAMT4(v4 *[4]byte) bool {
	return len(t.eamt.keys4) != 0 && t.eamt.find4(binary.BigEndian.Uint32(v4[:])) >= 0
}

// InEAMT6 reports whether an EAM's IPv6 prefix covers v6.
func (t *Table) InEAMT6(v6 *[16]byte) bool {
	return len(t.eamt.keys6) != 0 && t.eamt.find6(u128From(v6)) >= 0
}

// LookupEAM4 returns the EAM whose IPv4 prefix covers v4 (for logs and
// diagnostics; not on the hot path).
func (t *Table) LookupEAM4(v4 netip.Addr) (EAM, bool) {
	if !v4.Is4() {
		return EAM{}, false
	}
	b := v4.As4()
	if i := t.eamt.find4(binary.BigEndian.Uint32(b[:])); i >= 0 {
		return t.eams[t.eamt.ents4[i].idx], true
	}
	return EAM{}, false
}

// LookupEAM6 returns the EAM whose IPv6 prefix covers v6.
func (t *Table) LookupEAM6(v6 netip.Addr) (EAM, bool) {
	if !v6.Is6() || v6.Is4In6() || v6.Zone() != "" {
		return EAM{}, false
	}
	b := v6.As16()
	if i := t.eamt.find6(u128From(&b)); i >= 0 {
		return t.eams[t.eamt.ents6[i].idx], true
	}
	return EAM{}, false
}

// Prefixes6 returns the IPv6 destinations the table translates: pool6 (if
// any) and every EAM's IPv6 prefix, e.g. for the XDP program's capture
// list. It allocates; not for the hot path.
func (t *Table) Prefixes6() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(t.eams)+1)
	if t.pool6.IsValid() {
		out = append(out, t.pool6)
	}
	for _, m := range t.eams {
		out = append(out, m.IPv6)
	}
	return out
}

// Prefixes4 returns every EAM's IPv4 prefix (pool6 translates any IPv4
// destination, so it adds nothing here).
func (t *Table) Prefixes4() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(t.eams))
	for _, m := range t.eams {
		out = append(out, m.IPv4)
	}
	return out
}

// WithoutWKPRule returns a copy of t that translates non-global IPv4
// addresses under the Well-Known Prefix too, ignoring RFC 6052 section 3.1.
// It exists for replaying Jool's graybox corpus, whose NAT64 half uses
// 64:ff9b::/96 with documentation addresses (192.0.2.0/24, 203.0.113.0/24);
// the daemon never uses it.
func (t *Table) WithoutWKPRule() *Table {
	c := *t
	c.wkp = false
	return &c
}
