package mapping

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
)

// EAM is one RFC 7757 explicit address mapping.
type EAM struct {
	IPv6 netip.Prefix
	IPv4 netip.Prefix
}

// String formats m as "2001:db8:6::/120 <-> 192.0.2.0/24".
func (m EAM) String() string { return m.IPv6.String() + " <-> " + m.IPv4.String() }

// Sentinel errors of NewTable (inside an *EAMError) and ParseEAM; match
// them with errors.Is.
var (
	ErrEAMFamily  = errors.New("wrong address family")
	ErrEAMSuffix  = errors.New("IPv4 suffix longer than IPv6 suffix")
	ErrEAMOverlap = errors.New("overlapping EAMs")
)

// EAMError describes an EAMT entry NewTable refuses. Index is the entry's
// position in the slice given to NewTable; Other is the position of the
// entry it collides with, or -1.
type EAMError struct {
	Index int
	EAM   EAM
	Other int
	With  EAM
	Err   error // ErrEAMFamily, ErrEAMSuffix or ErrEAMOverlap
	msg   string
}

func (e *EAMError) Error() string {
	s := fmt.Sprintf("entry %d (%s): %s", e.Index, e.EAM, e.msg)
	if e.Other >= 0 {
		s += fmt.Sprintf(" entry %d (%s)", e.Other, e.With)
	}
	return s
}

func (e *EAMError) Unwrap() error { return e.Err }

// ParseEAM parses one mapping as written in the config ("2001:db8:6::/120",
// "192.0.2.0/24"). A bare address stands for a /128 or /32. Bits beyond the
// prefix lengths must be zero, and the entry must pass the checks NewTable
// makes on a single entry.
func ParseEAM(v6, v4 string) (EAM, error) {
	p6, err := parsePrefix(v6, 128)
	if err != nil {
		return EAM{}, fmt.Errorf("ipv6: %w", err)
	}
	p4, err := parsePrefix(v4, 32)
	if err != nil {
		return EAM{}, fmt.Errorf("ipv4: %w", err)
	}
	m := EAM{IPv6: p6, IPv4: p4}
	if err := checkEAM(m); err != nil {
		return EAM{}, err
	}
	return m, nil
}

func parsePrefix(s string, full int) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, err
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%s carries a zone", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().BitLen() != full {
		if full == 128 {
			return netip.Prefix{}, fmt.Errorf("%s is not an IPv6 prefix", s)
		}
		return netip.Prefix{}, fmt.Errorf("%s is not an IPv4 prefix", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%s has bits set beyond the prefix length (did you mean %s?)", s, m)
	}
	return p, nil
}

// checkEAM validates one entry on its own. RFC 7757 section 3 copies
// the IPv4 suffix into the IPv6 address right after the IPv6 prefix, so
// the IPv6 suffix must have room for it; a longer IPv6 suffix is allowed
// and its remaining bits are zero (4->6) or ignored (6->4), as in Jool and
// in Jool's graybox tests (2001:db8:1c0:2::/72 <-> 192.0.2.0/24).
func checkEAM(m EAM) *entryError {
	switch {
	case !m.IPv6.IsValid() || !m.IPv6.Addr().Is6():
		return &entryError{ErrEAMFamily, fmt.Sprintf("IPv6 side %s is not an IPv6 prefix", m.IPv6)}
	case m.IPv6.Overlaps(mappedPrefix):
		return &entryError{ErrEAMFamily, fmt.Sprintf("IPv6 side %s overlaps the IPv4-mapped range ::ffff:0:0/96", m.IPv6)}
	case !m.IPv4.IsValid() || !m.IPv4.Addr().Is4():
		return &entryError{ErrEAMFamily, fmt.Sprintf("IPv4 side %s is not an IPv4 prefix", m.IPv4)}
	}
	if s4, s6 := 32-m.IPv4.Bits(), 128-m.IPv6.Bits(); s4 > s6 {
		return &entryError{ErrEAMSuffix, fmt.Sprintf("IPv4 suffix longer than IPv6 suffix: ipv4 %s leaves %d bits, ipv6 %s only %d (RFC 7757 section 3)",
			m.IPv4, s4, m.IPv6, s6)}
	}
	return nil
}

// entryError is a single-entry problem: a message and its sentinel.
type entryError struct {
	sentinel error
	msg      string
}

func (e *entryError) Error() string { return e.msg }
func (e *entryError) Unwrap() error { return e.sentinel }

// u128 is an IPv6 address as two big-endian halves.
type u128 struct{ hi, lo uint64 }

func u128From(a *[16]byte) u128 {
	return u128{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) lessEq(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo <= b.lo }

// mask128 returns the network mask of length n (0..128).
func mask128(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{^uint64(0) << (64 - n), 0}
	case n == 64:
		return u128{^uint64(0), 0}
	case n < 128:
		return u128{^uint64(0), ^uint64(0) << (128 - n)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

// shl128 returns s<<n as 128 bits (n < 128). Go defines shifts of 64 or
// more as 0, which the n == 0 case relies on.
func shl128(s uint64, n uint) u128 {
	if n >= 64 {
		return u128{s << (n - 64), 0}
	}
	return u128{s >> (64 - n), s << n}
}

// shr128 returns the low 64 bits of a>>n (n < 128).
func shr128(a u128, n uint) uint64 {
	if n >= 64 {
		return a.hi >> (n - 64)
	}
	return a.lo>>n | a.hi<<(64-n)
}

// ent4 is an EAM as seen from the IPv4 side (sorted by IPv4 start).
type ent4 struct {
	last  uint32 // last address of the IPv4 prefix
	mask  uint32 // IPv4 suffix (host) bits
	p6    u128   // IPv6 prefix, masked
	shift uint8  // 128 - len6 - suffix4: where the IPv4 suffix lands
	idx   int32  // position in Table.eams
}

// ent6 is an EAM as seen from the IPv6 side (sorted by IPv6 start).
type ent6 struct {
	last  u128   // last address of the IPv6 prefix
	p4    uint32 // IPv4 prefix, masked
	mask  uint32 // IPv4 suffix bits
	shift uint8
	idx   int32
}

// eamt is the immutable lookup structure. NewTable rejects overlapping
// prefixes on either side, so the prefixes of one side are disjoint
// intervals; sorted by first address, the only prefix that can contain an
// address is the last one starting at or before it, found by one binary
// search over a dense key array. The unique containing prefix is also the
// longest matching one, which is the lookup RFC 7757 section 3 asks for
// ("longest prefix match").
//
// To keep the binary search short for big tables, a radix index narrows
// it first: all keys of a side share their first c bits (c = common
// prefix of the smallest and the largest key); the next b bits
// (b ≈ log2(n)+1) of an address select a bucket, and idx[bucket] is the
// number of keys in lower buckets. The predecessor of an address in bucket
// k is among keys[idx[k]-1 : idx[k+1]], on average one or two keys.
type eamt struct {
	keys4 []uint32 // first address of each IPv4 prefix, ascending
	ents4 []ent4
	keys6 []u128 // first address of each IPv6 prefix, ascending
	ents6 []ent6

	c4, b4 uint8 // radix index of the IPv4 side
	idx4   []int32
	c6, b6 uint8 // radix index of the IPv6 side
	idx6   []int32
}

// radixBits returns how many index bits to use for n keys whose
// variable part is w bits wide.
func radixBits(n, w int) uint8 {
	b := bits.Len(uint(n)) + 1
	b = min(b, 16, w)
	return uint8(max(b, 0))
}

func (t *eamt) bucket4(v uint32) uint32 {
	if t.b4 == 0 {
		return 0
	}
	return v << t.c4 >> (32 - t.b4)
}

func (t *eamt) bucket6(a u128) uint64 {
	if t.b6 == 0 {
		return 0
	}
	var v uint64
	if c := uint(t.c6); c < 64 {
		v = a.hi<<c | a.lo>>(64-c)
	} else {
		v = a.lo << (c - 64)
	}
	return v >> (64 - t.b6)
}

func (t *eamt) buildIndex() {
	n := len(t.keys4)
	if n == 0 {
		return
	}
	t.c4 = uint8(bits.LeadingZeros32(t.keys4[0] ^ t.keys4[n-1]))
	t.b4 = radixBits(n, 32-int(t.c4))
	t.idx4 = make([]int32, 1<<t.b4+1)
	for i, k := range t.keys4 {
		t.idx4[t.bucket4(k)+1] = int32(i + 1)
	}
	for i := 1; i < len(t.idx4); i++ {
		t.idx4[i] = max(t.idx4[i], t.idx4[i-1])
	}
	f, l := t.keys6[0], t.keys6[n-1]
	c := bits.LeadingZeros64(f.hi ^ l.hi)
	if c == 64 {
		c += bits.LeadingZeros64(f.lo ^ l.lo)
	}
	t.c6 = uint8(min(c, 127))
	t.b6 = radixBits(n, 128-int(t.c6))
	t.idx6 = make([]int32, 1<<t.b6+1)
	for i, k := range t.keys6 {
		t.idx6[t.bucket6(k)+1] = int32(i + 1)
	}
	for i := 1; i < len(t.idx6); i++ {
		t.idx6[i] = max(t.idx6[i], t.idx6[i-1])
	}
}

func buildEAMT(eams []EAM) (eamt, error) {
	var t eamt
	n := len(eams)
	if n == 0 {
		return t, nil
	}
	type row4 struct {
		key uint32
		e   ent4
	}
	type row6 struct {
		key u128
		e   ent6
	}
	r4 := make([]row4, n)
	r6 := make([]row6, n)
	for i, m := range eams {
		if err := checkEAM(m); err != nil {
			return t, &EAMError{Index: i, EAM: m, Other: -1, Err: err.sentinel, msg: err.msg}
		}
		len4, len6 := m.IPv4.Bits(), m.IPv6.Bits()
		s4 := 32 - len4
		hostMask := uint32(uint64(1)<<s4 - 1)
		a4 := m.IPv4.Masked().Addr().As4()
		p4 := binary.BigEndian.Uint32(a4[:])
		a6 := m.IPv6.Masked().Addr().As16()
		p6 := u128From(&a6)
		m6 := mask128(len6)
		last6 := u128{p6.hi | ^m6.hi, p6.lo | ^m6.lo}
		shift := uint8(128 - len6 - s4)
		r4[i] = row4{p4, ent4{last: p4 | hostMask, mask: hostMask, p6: p6, shift: shift, idx: int32(i)}}
		r6[i] = row6{p6, ent6{last: last6, p4: p4, mask: hostMask, shift: shift, idx: int32(i)}}
	}
	slices.SortStableFunc(r4, func(a, b row4) int {
		// Equal starts: the shorter (bigger) prefix first; it contains the other.
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(b.e.last, a.e.last))
	})
	slices.SortStableFunc(r6, func(a, b row6) int {
		if c := cmp.Or(cmp.Compare(a.key.hi, b.key.hi), cmp.Compare(a.key.lo, b.key.lo)); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(b.e.last.hi, a.e.last.hi), cmp.Compare(b.e.last.lo, a.e.last.lo))
	})
	// Prefixes are nested or disjoint, so sorted by start they overlap
	// iff some prefix starts inside its predecessor.
	for i := 1; i < n; i++ {
		if prev, cur := r4[i-1], r4[i]; cur.key <= prev.e.last {
			return t, overlapErr(eams, int(prev.e.idx), int(cur.e.idx), "IPv4")
		}
	}
	for i := 1; i < n; i++ {
		if prev, cur := r6[i-1], r6[i]; cur.key.lessEq(prev.e.last) {
			return t, overlapErr(eams, int(prev.e.idx), int(cur.e.idx), "IPv6")
		}
	}
	t.keys4 = make([]uint32, n)
	t.ents4 = make([]ent4, n)
	t.keys6 = make([]u128, n)
	t.ents6 = make([]ent6, n)
	for i := range n {
		t.keys4[i], t.ents4[i] = r4[i].key, r4[i].e
		t.keys6[i], t.ents6[i] = r6[i].key, r6[i].e
	}
	t.buildIndex()
	return t, nil
}

// overlapErr names the later entry (in config order) and the earlier one.
func overlapErr(eams []EAM, a, b int, side string) error {
	if a > b {
		a, b = b, a
	}
	var p, q netip.Prefix
	if side == "IPv4" {
		p, q = eams[b].IPv4, eams[a].IPv4
	} else {
		p, q = eams[b].IPv6, eams[a].IPv6
	}
	verb := "overlaps"
	switch {
	case p.Masked() == q.Masked():
		verb = "is the same as that of"
	case p.Bits() > q.Bits():
		verb = "lies inside that of"
	case p.Bits() < q.Bits():
		verb = "contains that of"
	}
	return &EAMError{
		Index: b, EAM: eams[b], Other: a, With: eams[a], Err: ErrEAMOverlap,
		msg: fmt.Sprintf("%s prefix %s %s", side, p, verb),
	}
}

// find4 returns the index in ents4 of the prefix containing v, or -1.
// The search is branch-free (the comparison becomes a borrow turned into
// a mask), so random addresses cost no branch mispredictions.
func (t *eamt) find4(v uint32) int {
	k := t.keys4
	n := len(k)
	if n == 0 || v < k[0] {
		return -1
	}
	var base int
	if v >= k[n-1] {
		base = n - 1
	} else {
		// k[0] <= v < k[n-1]: v shares the keys' common prefix.
		b := t.bucket4(v)
		lo, hi := int(t.idx4[b]), int(t.idx4[b+1])
		base = max(lo-1, 0)
		for w := hi - base; w > 1; {
			half := w >> 1
			// borrow is 0 when k[base+half] <= v.
			_, borrow := bits.Sub64(uint64(v), uint64(k[base+half]), 0)
			base += half & (int(borrow) - 1)
			w -= half
		}
	}
	if v > t.ents4[base].last {
		return -1
	}
	return base
}

// find6 returns the index in ents6 of the prefix containing a, or -1.
func (t *eamt) find6(a u128) int {
	k := t.keys6
	n := len(k)
	if n == 0 || a.less(k[0]) {
		return -1
	}
	var base int
	if k[n-1].lessEq(a) {
		base = n - 1
	} else {
		b := t.bucket6(a)
		lo, hi := int(t.idx6[b]), int(t.idx6[b+1])
		base = max(lo-1, 0)
		for w := hi - base; w > 1; {
			half := w >> 1
			x := &k[base+half]
			_, c := bits.Sub64(a.lo, x.lo, 0)
			_, borrow := bits.Sub64(a.hi, x.hi, c) // 0 when x <= a
			base += half & (int(borrow) - 1)
			w -= half
		}
	}
	if t.ents6[base].last.less(a) {
		return -1
	}
	return base
}

// to6 copies the IPv4 suffix (host bits) of v into the EAM's IPv6 prefix,
// right after it (RFC 7757 section 3); remaining IPv6 bits stay zero.
func (e *ent4) to6(v uint32) u128 {
	s := shl128(uint64(v&e.mask), uint(e.shift))
	return u128{e.p6.hi | s.hi, e.p6.lo | s.lo}
}

// to4 reads the IPv4 suffix from the bits right after the IPv6 prefix and
// appends it to the EAM's IPv4 prefix; IPv6 bits after it are ignored.
func (e *ent6) to4(a u128) uint32 {
	return e.p4 | uint32(shr128(a, uint(e.shift)))&e.mask
}
