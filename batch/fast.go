package batch

// The fast path (issue 8): one straight-line function per direction for
// the common packet -- Ethernet, an IPv4 header without options or an
// IPv6 header without extension headers, a whole (unfragmented) TCP or
// UDP segment, addresses under pool6 with no EAMT and no NAT64, nothing
// to fragment, no ICMP error to send. It checks everything the general
// pipeline (translate46 / translate64) would check for such a packet
// before it writes a byte; for anything else, or any doubt, it returns
// false with the frame untouched and the pipeline takes the packet. When
// it returns true, the frame, verdict, reason, counters and the
// identification generator are exactly as the pipeline would have left
// them (FuzzFastPath and TestFastPath* compare the two).
//
// The address mapping is the RFC 6052 layout of mapping.Table as shifts
// and masks on the two 64-bit halves of an IPv6 address, derived once per
// Config (fastCfg.build, checked there against the Table itself); the L4
// checksum is updated by RFC 1624 from the pseudo-header difference, in
// which the pool6 prefix's words are a constant of the configuration.

import (
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
)

// fastCfg is what the fast path needs of a Config, derived once per
// Config (Config values are immutable and replaced whole).
type fastCfg struct {
	cfg *Config // the Config this was built for
	on  bool    // the fast path applies to this Config

	hiP, loP uint64 // pool6 prefix, as two big-endian halves (masked)
	hiM, loM uint64 // the bits an embedded address shares with the prefix, plus u and suffix (must be zero)
	shHi     uint64 // IPv4 bits in the high half: x >> shHi
	loMask   uint64 // IPv4 bits in the low half: (x & loMask) << loShift
	loShift  uint64
	k        uint64 // one's-complement sum of the prefix words of two addresses (src and dst)

	lim46DF, lim46 int        // largest IPv6 result without fragmenting: DF set, DF clear
	mtu4           int        // largest IPv4 result without fragmenting
	tcMask         uint8      // 0 with reset_traffic_class, else 0xff
	tos4           [256]uint8 // the IPv4 TOS for each traffic class: itself, or Config.TOS with reset_tos
	martian        [256]bool  // martian4 of each first octet, as a table (one load)
}

// build derives fc from c; fc.on is false when the fast path does not
// apply (no mapping, no pool6, an EAMT, NAT64, the
// Well-Known Prefix with its non-global rule).
func (fc *fastCfg) build(c *Config) {
	*fc = fastCfg{cfg: c}
	if c == nil || c.Map == nil || c.NAT64 != nil || !c.Map.HasPool6() || len(c.Map.EAMs()) != 0 {
		return
	}
	m := c.Map
	p := m.Pool6().Masked()
	n := p.Bits()
	a := p.Addr().As16()
	fc.hiP = binary.BigEndian.Uint64(a[:8])
	fc.loP = binary.BigEndian.Uint64(a[8:])
	var hiBits uint64
	if n == 96 {
		fc.hiM, fc.loM = ^uint64(0), 0xffffffff_00000000
		fc.shHi, fc.loMask, fc.loShift = 32, 0xffffffff, 0
	} else {
		hiBits = uint64(64 - n) // 32, 24, 16, 8, 0 for /32 to /64
		fc.hiM = ^(1<<hiBits - 1)
		fc.shHi = 32 - hiBits
		fc.loMask = 1<<(32-hiBits) - 1
		fc.loShift = 56 - (32 - hiBits)
		fc.loM = ^(fc.loMask << fc.loShift) // prefix bits (none for /64 and up), u octet and suffix
	}
	fc.k = 2 * (uint64(checksum.Fold(fc.hiP)) + uint64(checksum.Fold(fc.loP)))
	var o6 [16]byte
	if m.To6Pool6(&[4]byte{10, 0, 0, 1}, &o6) == mapping.NonGlobalWKP {
		// 64:ff9b::/96 with RFC 6052 section 3.1's rule: the test of
		// both addresses (a call) costs the other packets more than
		// the fast path saves; the pipeline takes these.
		return
	}
	fc.lim46DF = c.mtu6()
	fc.lim46 = c.mpl46()
	fc.mtu4 = c.mtu4()
	fc.tcMask = 0xff
	if c.ResetTrafficClass {
		fc.tcMask = 0
	}
	for o := range fc.martian {
		fc.martian[o] = martian4(uint8(o))
	}
	for tc := range fc.tos4 {
		fc.tos4[tc] = uint8(tc)
		if c.ResetTOS {
			fc.tos4[tc] = c.TOS
		}
	}
	// The layout must agree with the Table's own: a few addresses both
	// ways (the prefix's first and last IPv4 bits in every position).
	for _, v := range []uint32{0x01020304, 0xc6336401, 0xfffffffe, 0x80000001, 0x7f00ff00} {
		var v4, back [4]byte
		binary.BigEndian.PutUint32(v4[:], v)
		if m.To6Pool6(&v4, &o6) != mapping.OK {
			continue // non-global under the WKP
		}
		hi, lo := fc.hiP|uint64(v)>>fc.shHi, fc.loP|(uint64(v)&fc.loMask)<<fc.loShift
		if binary.BigEndian.Uint64(o6[:8]) != hi || binary.BigEndian.Uint64(o6[8:]) != lo ||
			hi&fc.hiM != fc.hiP || lo&fc.loM != fc.loP || fc.extract(hi, lo) != v ||
			m.To4Pool6(&o6, &back) != mapping.OK || back != v4 {
			return
		}
	}
	fc.on = true
}

// fold35 is checksum.Fold for sums below 2^35 (three 16-bit steps: after
// the first the sum is below 0x1_0000 + 2^19, after the second at most
// 0x1_0007, after the third at most 0xffff).
func fold35(x uint64) uint16 {
	x = x&0xffff + x>>16
	x = x&0xffff + x>>16
	return uint16(x + x>>16)
}

// extract is the IPv4 address embedded in an address under pool6.
func (fc *fastCfg) extract(hi, lo uint64) uint32 {
	return uint32(hi<<(fc.shHi&63) | (lo>>(fc.loShift&63))&fc.loMask)
}

// The fast path reads a frame through one fixed-size view, from fastG
// bytes before the frame (the headroom the IPv4 -> IPv6 result grows
// into) to the end of a TCP header behind an IPv6 header, which may reach
// past the frame's end into the buffer (each direction may read bytes
// of the view beyond the frame before its length tests, but takes a
// frame only when every byte it used is inside); a buffer shorter than
// that, or with less headroom, takes the pipeline.
const (
	fastG    = header.IPv6Len - header.IPv4MinLen // 20: how much the frame grows (4 -> 6) or shrinks (6 -> 4)
	fastView = fastG + header.EthernetLen + header.IPv6Len + header.TCPMinLen
)

// fastVector translates the frames of fr, each on the fast path when it
// can, else through the pipeline. The caller has checked t.fc.on. Each
// direction's function loops over the run of frames it takes from i (one
// call per run, not per frame: a vector of one direction is one call)
// and returns where it stopped; the EtherType of the frame there says
// which function goes on, and a frame the one for its EtherType does not
// take goes to the pipeline. A frame costs one call at most.
func (t *Translator) fastVector(fr []Frame) {
	for i := 0; i < len(fr); {
		j := i
		switch fastEtherType(&fr[i]) {
		case etIPv6LE:
			j = t.fast64(fr, i)
		case etIPv4LE:
			j = t.fast46(fr, i)
		}
		if j == i {
			t.translate(&fr[i])
			j++
		}
		i = j
	}
}

// fastEtherType is f's EtherType read little-endian (etIPv4LE,
// etIPv6LE), or 0 when f is too short or out of its buffer.
func fastEtherType(f *Frame) uint16 {
	o, b := f.Off, f.Buf
	if o < 0 || o > len(b)-header.EthernetLen {
		return 0
	}
	return binary.LittleEndian.Uint16(b[o+header.EthType:])
}

// fastFrame is fastVector for one frame: it translates f on the fast
// path and counts it, or returns false with f untouched. The caller has
// checked t.fc.on.
func (t *Translator) fastFrame(f *Frame) bool {
	fr := unsafe.Slice(f, 1)
	return t.fast64(fr, 0) == 1 || t.fast46(fr, 0) == 1
}

// EtherTypes as the fast path reads them, little-endian.
const (
	etIPv4LE = header.EtherTypeIPv4>>8 | header.EtherTypeIPv4&0xff<<8
	etIPv6LE = header.EtherTypeIPv6>>8 | header.EtherTypeIPv6&0xff<<8
)

// fast46 is the fast path for IPv4 frames: translate46 for the common
// packet, for the frames of fr from i on until one it does not take
// (another EtherType, or anything the pipeline must see), whose index it
// returns. p views a frame from fastG bytes before its offset o; n is its
// length.
//
//go:noinline
func (t *Translator) fast46(fr []Frame, i int) int {
	fc := &t.fc
	i0 := i
loop:
	for ; uint(i) < uint(len(fr)); i++ {
		f := &fr[i]
		o, n, b := f.Off, f.Len, f.Buf
		// The view and the frame inside the buffer (a frame too short
		// for its headers fails the length tests below).
		if o < fastG || o+n > len(b) || o > len(b)-(fastView-fastG) {
			break
		}
		p := (*[fastView]byte)(b[o-fastG : o-fastG+fastView])
		if binary.LittleEndian.Uint16(p[fastG+header.EthType:]) != etIPv4LE {
			break
		}
		const (
			g   = fastG
			ip  = g + header.EthernetLen // IPv4 header in p
			l4o = ip + header.IPv4MinLen // L4 header in p
		)
		h := (*[header.IPv4MinLen]byte)(p[ip:l4o])
		// The header in three loads, fields taken from the words. The
		// header checksum: the one's-complement sum of the header (of
		// byte-swapped words: the same either way) must fold to 0xffff,
		// that is be a nonzero multiple of 0xffff (nonzero: the version
		// is in it); a modulo by a constant is cheaper than the fold.
		w0 := binary.LittleEndian.Uint64(h[0:])
		w1 := binary.LittleEndian.Uint64(h[8:])
		w2 := binary.LittleEndian.Uint32(h[16:])
		// The cheap refusals first (the others pay for them): no
		// options, TCP or UDP, not a fragment (MF and offset, read
		// little-endian).
		proto := uint8(w1 >> 8)
		if uint8(w0) != 0x45 || proto != header.ProtoTCP && proto != header.ProtoUDP || uint16(w0>>48)&0xff3f != 0 {
			break loop
		}
		hs, hk := bits.Add64(w0, w1, 0)
		hs, hk = bits.Add64(hs, uint64(w2), hk)
		if (hs+hk)%0xffff != 0 {
			break loop
		}
		tot := int(bits.ReverseBytes16(uint16(w0 >> 16)))
		ttl := uint8(w1)
		s4 := bits.ReverseBytes32(uint32(w1 >> 32))
		d4 := bits.ReverseBytes32(w2)
		plen := tot - header.IPv4MinLen
		lim := fc.lim46
		if uint8(w0>>48)&(header.IPv4FlagDF>>8) != 0 { // DF, from the flags byte (MF and the offset are 0: tested above)
			lim = fc.lim46DF
		}
		if tot > n-header.EthernetLen || plen < header.UDPLen || ttl <= 1 ||
			fc.martian[uint8(s4>>24)] || fc.martian[uint8(d4>>24)] || header.IPv6Len+plen > lim {
			break loop
		}
		var cp *[2]byte
		switch proto {
		case header.ProtoUDP:
			ulen := int(binary.BigEndian.Uint16(p[l4o+header.UDPLength:]))
			if ulen < header.UDPLen || ulen > plen || binary.LittleEndian.Uint16(p[l4o+header.UDPCsum:]) == 0 {
				break loop
			}
			cp = (*[2]byte)(p[l4o+header.UDPCsum:])
		case header.ProtoTCP:
			if plen < header.TCPMinLen {
				break loop
			}
			// In the frame: tot <= n-14 and plen >= 20.
			cp = (*[2]byte)(p[l4o+header.TCPCsum:])
		default:
			break loop
		}
		field := binary.BigEndian.Uint16(cp[:])
		// A checksum left for offload (partialcsum.go) holds the IPv4
		// pseudo-header sum, folded: the pipeline's business. The sum is
		// nonzero (proto is in it) and below 2^35.
		if field == fold35(uint64(s4)+uint64(d4)+uint64(proto)+uint64(plen)) {
			break loop
		}

		// Decided: write. The Ethernet header and the IPv6 header's first
		// word, the frame and its verdict first (what they need is then
		// free: fewer spills), then the addresses and the checksum. The
		// MACs move first: the first word overwrites the source MAC.
		macs8 := binary.LittleEndian.Uint64(p[g:])
		macs4 := binary.LittleEndian.Uint32(p[g+8:])
		tc := uint8(w0>>8) & fc.tcMask
		binary.LittleEndian.PutUint64(p[0:], macs8)
		binary.LittleEndian.PutUint32(p[8:], macs4)
		binary.BigEndian.PutUint16(p[header.EthType:], header.EtherTypeIPv6)
		o6 := (*[header.IPv6Len]byte)(p[header.EthernetLen:l4o])
		// Next header and hop limit: the TTL and protocol bytes of w1
		// (little-endian: protocol high), less one (ttl > 1: no borrow).
		binary.BigEndian.PutUint64(o6[0:], (6<<28|uint64(tc)<<20)<<32|uint64(plen)<<16|uint64(uint16(w1)-1))
		f.Off = o - g
		f.Len = header.EthernetLen + header.IPv6Len + plen
		f.Verdict = To6
		f.Reason = ReasonNone
		// The IPv6 addresses, as big-endian halves.
		sx, dx := uint64(s4), uint64(d4)
		sh, sl := sx>>(fc.shHi&63), (sx&fc.loMask)<<(fc.loShift&63)
		dh, dl := dx>>(fc.shHi&63), (dx&fc.loMask)<<(fc.loShift&63)
		binary.BigEndian.PutUint64(o6[8:], fc.hiP|sh)
		binary.BigEndian.PutUint64(o6[16:], fc.loP|sl)
		binary.BigEndian.PutUint64(o6[24:], fc.hiP|dh)
		binary.BigEndian.PutUint64(o6[32:], fc.loP|dl)
		// RFC 1624: ~(~field + ~src4 + ~dst4 + src6 + dst6), where src6 and
		// dst6 are the prefix's words (fc.k) plus the embedded bits, which
		// no prefix bit overlaps. Every term is below 2^57: no carry.
		c := ^checksum.Fold(fc.k + sh + sl + dh + dl + uint64(^field) + uint64(^s4) + uint64(^d4))
		if c == 0 && proto == header.ProtoUDP {
			c = 0xffff // 0 means "no checksum" in UDP
		}
		binary.BigEndian.PutUint16(cp[:], c)
	}
	t.Counters.Events[EvTranslated4to6] += uint64(i - i0)
	t.Counters.Verdicts[To6] += uint64(i - i0)
	return i
}

// fast64 is the fast path for IPv6 frames: translate64 for the common
// packet (see fast46).
//
//go:noinline
func (t *Translator) fast64(fr []Frame, i int) int {
	fc := &t.fc
	i0 := i
loop:
	for ; uint(i) < uint(len(fr)); i++ {
		f := &fr[i]
		o, n, b := f.Off, f.Len, f.Buf
		// The view and the frame inside the buffer (a frame too short
		// for its headers fails the length tests below).
		if o < fastG || o+n > len(b) || o > len(b)-(fastView-fastG) {
			break
		}
		p := (*[fastView]byte)(b[o-fastG : o-fastG+fastView])
		// EtherType and IP version in one load (little-endian).
		if binary.LittleEndian.Uint32(p[fastG+header.EthType:])&0xf0ffff != 0x60<<16|etIPv6LE {
			break
		}
		const (
			g   = fastG
			ip  = g + header.EthernetLen // IPv6 header in p
			l4o = ip + header.IPv6Len    // L4 header in p
		)
		h := (*[header.IPv6Len]byte)(p[ip:l4o])
		// Next header and hop limit in one load (little-endian: the hop
		// limit high).
		nh := binary.LittleEndian.Uint16(h[header.IPv6NextHeader:])
		proto := uint8(nh)
		// The cheap refusals first: TCP or UDP right behind the header,
		// hop limit above 1.
		if proto != header.ProtoTCP && proto != header.ProtoUDP || nh < 2<<8 {
			break loop
		}
		plen := int(binary.BigEndian.Uint16(h[header.IPv6PayloadLen:]))
		sh := binary.BigEndian.Uint64(h[header.IPv6Src:])
		sl := binary.BigEndian.Uint64(h[header.IPv6Src+8:])
		dh := binary.BigEndian.Uint64(h[header.IPv6Dst:])
		dl := binary.BigEndian.Uint64(h[header.IPv6Dst+8:])
		size4 := header.IPv4MinLen + plen
		if header.EthernetLen+header.IPv6Len+plen > n || size4 > fc.mtu4 || plen < header.UDPLen ||
			((sh^fc.hiP)|(dh^fc.hiP))&fc.hiM != 0 || ((sl^fc.loP)|(dl^fc.loP))&fc.loM != 0 {
			break loop
		}
		// The embedded IPv4 addresses (fc.extract without its mask: the
		// u octet and the suffix are zero, checked above, and the
		// prefix's bits are shifted out or cut by the conversion).
		s4 := uint32(sh<<(fc.shHi&63) | sl>>(fc.loShift&63))
		d4 := uint32(dh<<(fc.shHi&63) | dl>>(fc.loShift&63))
		// The IPv6 pseudo-header's sum (its L4 length is the payload
		// length here) modulo 2^64-1 (end-around carry), which is a
		// multiple of 0xffff: a 64-bit word is its 16-bit words' sum
		// modulo 0xffff. Nonzero (proto is), so its fold is the
		// one's-complement sum's. Taken here, so that the four halves
		// are free from now on.
		pp := uint64(proto) + uint64(plen)
		x, cy := bits.Add64(sh, sl, 0)
		x, cy = bits.Add64(x, dh, cy)
		x, cy = bits.Add64(x, dl, cy)
		x, cy = bits.Add64(x, pp, cy)
		x += cy // no carry: with cy, x is below pp
		if fc.martian[uint8(s4>>24)] || fc.martian[uint8(d4>>24)] {
			break loop
		}
		var cp *[2]byte
		switch proto {
		case header.ProtoUDP:
			ulen := int(binary.BigEndian.Uint16(p[l4o+header.UDPLength:]))
			if ulen < header.UDPLen || ulen > plen || binary.LittleEndian.Uint16(p[l4o+header.UDPCsum:]) == 0 {
				break loop
			}
			cp = (*[2]byte)(p[l4o+header.UDPCsum:])
		case header.ProtoTCP:
			if plen < header.TCPMinLen {
				break loop
			}
			// In the frame: 54+plen <= n and plen >= 20.
			cp = (*[2]byte)(p[l4o+header.TCPCsum:])
		default:
			break loop
		}
		field := binary.BigEndian.Uint16(cp[:])
		// Folded once: the test for a checksum left for offload
		// (partialcsum.go, the pipeline's business) is then a compare,
		// and the update below sums small terms.
		fx := checksum.Fold(x) // in [1, 0xffff]: x is nonzero
		if field == fx {
			break loop
		}

		// Decided: write. The frame first (fewer registers live).
		f.Off = o + g
		f.Len = header.EthernetLen + size4
		f.Verdict = To4
		f.Reason = ReasonNone
		// RFC 1624: ~(~field - ph6 + ph4), the
		// pseudo-headers' sums, ^fx is -ph6. Nonzero (s4 is), below
		// 2^35.
		sd := uint64(s4) + uint64(d4)
		c := ^fold35(uint64(^fx) + uint64(^field) + sd + pp)
		if c == 0 && proto == header.ProtoUDP {
			c = 0xffff
		}
		tos := fc.tos4[uint8(binary.BigEndian.Uint16(h[0:])>>4)] // a table: one load
		var fo uint64
		if size4 > df6to4Limit {
			fo = header.IPv4FlagDF
		}
		id := uint64(t.nextID())
		w0 := 0x45<<8 | uint64(tos)
		// TTL and protocol: the next header and hop limit read
		// little-endian (hop limit high), less one (hop > 1: no borrow).
		w4 := uint64(binary.LittleEndian.Uint16(h[header.IPv6NextHeader:])) - 1<<8
		hc := ^fold35(w0 + uint64(size4) + id + fo + w4 + sd)
		binary.BigEndian.PutUint16(cp[:], c)
		q := (*[header.EthernetLen + header.IPv4MinLen]byte)(p[g+g : l4o])
		binary.BigEndian.PutUint16(q[header.EthType:], header.EtherTypeIPv4)
		binary.BigEndian.PutUint64(q[header.EthernetLen:], w0<<48|uint64(size4)<<32|id<<16|fo)
		binary.BigEndian.PutUint32(q[header.EthernetLen+8:], uint32(w4)<<16|uint32(hc))
		binary.BigEndian.PutUint64(q[header.EthernetLen+12:], uint64(s4)<<32|uint64(d4))
	}
	t.Counters.Events[EvTranslated6to4] += uint64(i - i0)
	t.Counters.Verdicts[To4] += uint64(i - i0)
	return i
}
