package batch

// IPv4 -> IPv6 (RFC 7915 section 4).
//
// The frame is translated where it lies: the IPv4 header is read into
// locals, then the IPv6 header (and a Fragment header when the packet is or
// becomes a fragment) is written directly in front of the unchanged L4
// header, growing the frame backwards into its headroom. Only the L4
// checksum is touched after that, incrementally (RFC 1624), so a bad
// checksum stays exactly as bad. ICMP errors (icmp4to6.go), fragmentation
// (frag4to6.go) and the ICMPv4 errors xlatd originates (errors4.go) are the
// slow paths; everything a decision needs is known before the first byte of
// the frame is written, so an error can still quote the original.

import (
	"encoding/binary"
	"math/bits"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
)

// pkt46 is what translate46 learned from an IPv4 header, kept on the stack.
type pkt46 struct {
	ip, ihl, tot int    // IPv4 header offset in Buf, header length, total length
	tos, ttl     uint8  // ttl is the outgoing hop limit (already decremented)
	proto        uint8  // IPv4 protocol
	id           uint16 // Identification
	fragOff      uint16 // fragment offset, 8-byte units
	mf, df       bool   // flags
	icmpErr      bool   // an ICMPv4 error message (types 3, 4, 5, 11, 12), first fragment
	src4, dst4   [4]byte
	src6, dst6   [16]byte
}

// isICMP4Error reports whether an ICMPv4 type is an error message
// (RFC 792; RFC 1122 section 3.2.2).
func isICMP4Error(typ uint8) bool {
	return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
}

// martian4 reports whether an IPv4 address with first octet o is one no
// translated packet may carry: "this network" 0/8, loopback 127/8,
// multicast, reserved and broadcast 224/3 (RFC 7915 section 4.1: "If the
// translator gets an illegal source address (e.g., 0.0.0.0, 127.0.0.1,
// etc.), the translator SHOULD silently drop the packet"). o-1 wraps 0 to
// 255, so one comparison covers 0/8 and 224/3.
func martian4(o uint8) bool { return o-1 >= 223 || o == 127 }

// mapReason converts a failed mapping.Result to a drop reason.
func mapReason(r mapping.Result) Reason {
	if r == mapping.NonGlobalWKP {
		return ReasonNonGlobalWKP
	}
	return ReasonNoMapping4
}

// sum20 returns the folded one's-complement sum of a 20-byte IPv4 header.
func sum20(h *[header.IPv4MinLen]byte) uint16 {
	// Little-endian loads: the one's-complement sum of byte-swapped
	// words is the byte-swapped sum (RFC 1071 section 2 (B)).
	a, k := bits.Add64(binary.LittleEndian.Uint64(h[0:]), binary.LittleEndian.Uint64(h[8:]), 0)
	a, k = bits.Add64(a, uint64(binary.LittleEndian.Uint32(h[16:])), k)
	a, k = bits.Add64(a, k, 0)
	a += k
	return bits.ReverseBytes16(fold32(a))
}

// fold32 folds a 64-bit one's-complement accumulator (for example a sum of
// 32-bit big-endian words) to 16 bits: 2^16 = 1 modulo 0xffff, so the
// halves of each word simply add.
func fold32(a uint64) uint16 {
	s, c := bits.Add32(uint32(a), uint32(a>>32), 0)
	s += c // no overflow: with a carry, s <= 2^32-2
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
}

// addrSum4 is the folded sum of the IPv4 pseudo-header's addresses.
func addrSum4(src, dst *[4]byte) uint16 {
	return fold32(uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])))
}

// pseudo4 and pseudo6 are the folded sums of x's IPv4 and IPv6
// pseudo-headers for an L4 segment of n bytes of protocol x.proto.
func (x *pkt46) pseudo4(n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum4(&x.src4, &x.dst4), uint16(n)), uint16(x.proto))
}

func (x *pkt46) pseudo6(n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum6(&x.src6, &x.dst6), uint16(n)), uint16(x.proto))
}

// addrSum6 is the folded sum of the IPv6 pseudo-header's addresses.
func addrSum6(src, dst *[16]byte) uint16 {
	s := uint64(binary.BigEndian.Uint32(src[0:])) + uint64(binary.BigEndian.Uint32(src[4:])) +
		uint64(binary.BigEndian.Uint32(src[8:])) + uint64(binary.BigEndian.Uint32(src[12:])) +
		uint64(binary.BigEndian.Uint32(dst[0:])) + uint64(binary.BigEndian.Uint32(dst[4:])) +
		uint64(binary.BigEndian.Uint32(dst[8:])) + uint64(binary.BigEndian.Uint32(dst[12:]))
	return fold32(s)
}

// csum46 returns the TCP/UDP checksum field c after the pseudo-header's
// addresses changed from x's IPv4 ones to its IPv6 ones (RFC 1624 equation
// 3 over whole 32- and 64-bit words: ~w is -w modulo 0xffff as well): one
// sum, one fold. Lengths and protocol numbers are the same in both
// pseudo-headers. c and the result are little-endian loads of the field:
// the sum runs on byte-swapped words (RFC 1071 section 2 (B)), sparing the
// swaps.
func csum46(c uint16, x *pkt46) uint16 {
	s := uint64(^c) +
		uint64(^binary.LittleEndian.Uint32(x.src4[:])) + uint64(^binary.LittleEndian.Uint32(x.dst4[:]))
	// The IPv6 addresses as four 64-bit words with end-around carry.
	a, k := bits.Add64(binary.LittleEndian.Uint64(x.src6[0:]), binary.LittleEndian.Uint64(x.src6[8:]), 0)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(x.dst6[0:]), k)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(x.dst6[8:]), k)
	a, k = bits.Add64(a, s, k)
	a, k = bits.Add64(a, k, 0)
	a += k
	return ^fold32(a)
}

// mtu6 returns the IPv6 egress MTU (unset = no limit below 65535).
func (c *Config) mtu6() int {
	if c.MTU6 <= 0 {
		return 65535
	}
	return c.MTU6
}

// mpl46 returns the largest IPv6 packet xlatd sends for an IPv4 packet
// without DF: lowest_ipv6_mtu, never above the egress MTU, never below 1280
// (RFC 7915 section 4: fragments sized for the minimum IPv6 MTU).
func (c *Config) mpl46() int {
	m := c.LowestIPv6MTU
	if m <= 0 {
		m = 1280
	}
	if mt := c.mtu6(); mt < m {
		m = mt
	}
	if m < 1280 {
		m = 1280
	}
	return m
}

// rfc6791Src sets src to the RFC 6791 source of translated ICMP errors
// whose source has no mapping: Config.RFC6791v6, else Config.ICMPv6Source.
// A pool wider than one address gives a random address from it, as RFC
// 6791 section 3 suggests ("randomly selected ... to minimize the chance
// of creating a hot spot" in the IPv4 case).
func (t *Translator) rfc6791Src(src *[16]byte) bool {
	if p := t.cfg.RFC6791v6; p.IsValid() && p.Addr().Is6() {
		*src = p.Addr().As16()
		if n := p.Bits(); n < 128 {
			*src = p.Masked().Addr().As16()
			hi := binary.BigEndian.Uint64(src[:8])
			lo := binary.BigEndian.Uint64(src[8:])
			r1, r2 := t.rand64(), t.rand64()
			if n < 64 {
				hi |= r1 >> n
				lo = r2
			} else {
				lo |= r2 >> (n - 64)
			}
			binary.BigEndian.PutUint64(src[:8], hi)
			binary.BigEndian.PutUint64(src[8:], lo)
		}
	} else if a := t.cfg.ICMPv6Source; a.Is6() {
		*src = a.As16()
	} else {
		return false
	}
	t.Counters.Events[EvRFC6791Source]++
	return true
}

// rand64 returns a pseudo-random number (xorshift64*, sharing t.rng with
// nextID).
func (t *Translator) rand64() uint64 {
	x := t.rng
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	t.rng = x
	return x * 0x2545F4914F6CDD1D
}

// translate46 translates an IPv4 frame to IPv6 (RFC 7915 section 4).
//
// Headers are read and written through fixed-size array views
// (*[20]byte, *[40]byte) so that constant offsets need no bounds checks.
func (t *Translator) translate46(f *Frame) {
	b := f.Buf
	n := f.Len - header.EthernetLen // translate checked Off+Len <= len(Buf)
	if n < header.IPv4MinLen {
		t.drop(f, ReasonTruncated)
		return
	}
	var x pkt46
	x.ip = f.Off + header.EthernetLen
	in := (*[header.EthernetLen + header.IPv4MinLen]byte)(b[f.Off : f.Off+header.EthernetLen+header.IPv4MinLen])
	hp := (*[header.IPv4MinLen]byte)(in[header.EthernetLen:])
	vihl := hp[header.IPv4VerIHL]
	x.ihl = int(vihl&0x0f) << 2
	if vihl>>4 != 4 || x.ihl < header.IPv4MinLen {
		t.drop(f, ReasonBadIPv4Header)
		return
	}
	if x.ihl > n {
		t.drop(f, ReasonTruncated)
		return
	}
	x.tot = int(binary.BigEndian.Uint16(hp[header.IPv4TotalLen:]))
	if x.tot < x.ihl || x.tot > n {
		t.drop(f, ReasonBadIPv4Header)
		return
	}
	if x.ihl == header.IPv4MinLen {
		if sum20(hp) != 0xffff {
			t.drop(f, ReasonBadIPv4Checksum)
			return
		}
	} else if checksum.Checksum(b[x.ip:x.ip+x.ihl], 0) != 0xffff {
		t.drop(f, ReasonBadIPv4Checksum)
		return
	}
	f.Len = header.EthernetLen + x.tot // Ethernet padding trimmed

	fo := binary.BigEndian.Uint16(hp[header.IPv4FlagsOff:])
	x.fragOff = fo & header.IPv4OffsetMask
	x.mf = fo&header.IPv4FlagMF != 0
	x.df = fo&header.IPv4FlagDF != 0
	x.tos = hp[header.IPv4TOS]
	x.ttl = hp[header.IPv4TTL]
	x.proto = hp[header.IPv4Proto]
	x.id = binary.BigEndian.Uint16(hp[header.IPv4ID:])
	x.src4 = [4]byte(hp[header.IPv4Src : header.IPv4Src+4])
	x.dst4 = [4]byte(hp[header.IPv4Dst : header.IPv4Dst+4])
	l4 := x.ip + x.ihl // L4 header offset in b
	plen := x.tot - x.ihl
	x.icmpErr = x.proto == header.ProtoICMP && x.fragOff == 0 && plen > 0 && isICMP4Error(b[l4])

	// Addresses (RFC 7915 section 4.1; RFC 7757: EAMT, then pool6).
	// ICMP errors keep sources such as 127.0.0.1 (a router's error must
	// reach the IPv6 host, as Jool's graybox rows hat1/hat2 expect).
	if martian4(x.dst4[0]) || !x.icmpErr && martian4(x.src4[0]) {
		t.drop(f, ReasonMartian)
		return
	}
	m := t.cfg.Map
	if m == nil {
		t.drop(f, ReasonNoMapping4)
		return
	}
	if r := m.To6(&x.dst4, &x.dst6); r != mapping.OK {
		t.drop(f, mapReason(r))
		return
	}
	var r mapping.Result
	if t.hairpin {
		r = m.To6Pool6(&x.src4, &x.src6)
	} else {
		r = m.To6(&x.src4, &x.src6)
	}
	if r != mapping.OK && !(x.icmpErr && t.rfc6791Src(&x.src6)) {
		t.drop(f, mapReason(r))
		return
	}

	// IPv4 options are ignored, except an unexpired source route
	// (RFC 7915 section 4.1).
	if x.ihl > header.IPv4MinLen && unexpiredSourceRoute(b[x.ip+header.IPv4MinLen:l4]) {
		t.error4(f, &x, 3, 5, 0, ReasonSourceRoute)
		return
	}

	// Hop limit: the translator is a router and decrements once. While
	// hairpinning, translate64 already did.
	if !t.hairpin {
		if x.ttl <= 1 {
			t.error4(f, &x, 11, 0, 0, ReasonTTLExpired)
			return
		}
		x.ttl--
	}

	if x.icmpErr {
		t.icmpError46(f, &x)
		return
	}

	// L4 checks, before anything is written.
	if x.proto == 2 {
		// IGMP: single-hop messages RFC 7915 section 4.2 says to drop.
		t.drop(f, ReasonICMPUntranslatable)
		return
	}
	nh := x.proto
	amend := false
	if x.fragOff == 0 {
		short := ReasonBadL4Header
		if x.mf {
			short = ReasonBadFragment // a first fragment must hold the L4 header
		}
		switch x.proto {
		case header.ProtoTCP:
			if plen < header.TCPMinLen {
				t.drop(f, short)
				return
			}
		case header.ProtoUDP:
			if plen < header.UDPLen {
				t.drop(f, short)
				return
			}
			if udpBadLength(int(binary.BigEndian.Uint16(b[l4+header.UDPLength:])), plen, x.mf) {
				t.drop(f, ReasonUDPBadLength)
				return
			}
			if b[l4+header.UDPCsum] == 0 && b[l4+header.UDPCsum+1] == 0 {
				// RFC 7915 section 4.5.
				if x.mf || !t.cfg.AmendUDPZeroChecksum {
					t.error4(f, &x, 3, 13, 0, ReasonUDPZeroChecksum)
					return
				}
				amend = true
			}
		case header.ProtoICMP:
			nh = header.ProtoICMPv6
			if x.mf {
				// The ICMPv6 checksum covers a pseudo-header holding
				// the whole message length, unknown to a stateless
				// translator that sees only the first fragment.
				t.drop(f, ReasonICMPFragmented)
				return
			}
			if plen < header.ICMPLen {
				t.drop(f, short)
				return
			}
			if typ := b[l4+header.ICMPType]; typ != 8 && typ != 0 {
				// RFC 7915 section 4.2: every other query type is
				// silently dropped.
				t.drop(f, ReasonICMPUntranslatable)
				return
			}
		}
	} else if x.proto == header.ProtoICMP {
		// Later fragments too: the first was dropped above, and the IPv6
		// side drops every fragment of an ICMPv6 message.
		t.drop(f, ReasonICMPFragmented)
		return
	}

	// Size (RFC 7915 section 4): DF packets too big for the IPv6 link are
	// answered with Fragmentation Needed; others larger than
	// lowest_ipv6_mtu are fragmented.
	isFrag := x.mf || x.fragOff != 0
	fh := 0
	if isFrag {
		fh = header.IPv6FragmentLen
	}
	size := header.IPv6Len + fh + plen
	mpl := 0
	if x.df {
		if mt := t.cfg.mtu6(); size > mt {
			mtu := mt - 20
			if mtu < 576 {
				mtu = 576
			}
			t.error4(f, &x, 3, 4, uint16(mtu), ReasonFragNeeded)
			return
		}
	} else if p := t.cfg.mpl46(); size > p {
		mpl = p
		fh = header.IPv6FragmentLen
		size = header.IPv6Len + fh + plen
	}

	// RFC 791: fragments carry data, all but the last a multiple of 8
	// bytes, and end within 65535 bytes. RFC 1858 section 3.2: a TCP
	// fragment at offset 8 can only serve to overwrite the TCP header.
	if isFrag && (plen == 0 || x.mf && plen&7 != 0 || int(x.fragOff)<<3+plen > 65535 ||
		x.fragOff == 1 && x.proto == header.ProtoTCP) {
		t.drop(f, ReasonBadFragment)
		return
	}

	off := l4 - header.IPv6Len - fh - header.EthernetLen
	if off < 0 {
		t.drop(f, ReasonTooBig)
		return
	}

	// Write. Ethernet: MACs kept (the dataplane rewrites them).
	macs8 := binary.LittleEndian.Uint64(in[0:])
	macs4 := binary.LittleEndian.Uint32(in[8:])
	e := (*[header.EthernetLen + header.IPv6Len]byte)(b[off : off+header.EthernetLen+header.IPv6Len])
	binary.LittleEndian.PutUint64(e[0:], macs8)
	binary.LittleEndian.PutUint32(e[8:], macs4)
	binary.BigEndian.PutUint16(e[header.EthType:], header.EtherTypeIPv6)
	o := (*[header.IPv6Len]byte)(e[header.EthernetLen:])
	tc := x.tos
	if t.cfg.ResetTrafficClass {
		tc = 0
	}
	binary.BigEndian.PutUint32(o[0:], 6<<28|uint32(tc)<<20)
	binary.BigEndian.PutUint16(o[header.IPv6PayloadLen:], uint16(size-header.IPv6Len))
	o[header.IPv6HopLimit] = x.ttl
	*(*[16]byte)(o[header.IPv6Src:]) = x.src6
	*(*[16]byte)(o[header.IPv6Dst:]) = x.dst6
	if fh != 0 {
		o[header.IPv6NextHeader] = header.ProtoFragment
		fr := (*[header.IPv6FragmentLen]byte)(b[l4-header.IPv6FragmentLen : l4])
		fr[0] = nh
		fr[1] = 0
		fo6 := x.fragOff << 3
		if x.mf {
			fo6 |= header.IPv6FragMF
		}
		binary.BigEndian.PutUint16(fr[2:], fo6)
		binary.BigEndian.PutUint32(fr[4:], uint32(x.id))
	} else {
		o[header.IPv6NextHeader] = nh
	}

	// L4 checksum: swap the pseudo-header (RFC 1624), or compute it.
	if x.fragOff == 0 {
		switch x.proto {
		case header.ProtoTCP:
			p := l4 + header.TCPCsum
			if !isFrag && isPartial(b[l4:l4+plen], header.TCPCsum, x.pseudo4(plen)) {
				t.complete(b[l4:l4+plen], header.TCPCsum, x.pseudo6(plen))
			} else {
				binary.LittleEndian.PutUint16(b[p:], csum46(binary.LittleEndian.Uint16(b[p:]), &x))
			}
		case header.ProtoUDP:
			p := l4 + header.UDPCsum
			if !amend && !isFrag && isPartial(b[l4:l4+plen], header.UDPCsum, x.pseudo4(plen)) {
				t.complete(b[l4:l4+plen], header.UDPCsum, x.pseudo6(plen))
				break
			}
			if amend {
				s := checksum.Combine(addrSum6(&x.src6, &x.dst6), uint16(plen))
				s = checksum.Combine(s, header.ProtoUDP)
				c := ^checksum.Checksum(b[l4:l4+plen], s)
				if c == 0 {
					c = 0xffff
				}
				binary.BigEndian.PutUint16(b[p:], c)
				t.Counters.Events[EvUDPChecksumAmended]++
			} else {
				c := csum46(binary.LittleEndian.Uint16(b[p:]), &x)
				if c == 0 {
					c = 0xffff // 0 means "no checksum" in UDP
				}
				binary.LittleEndian.PutUint16(b[p:], c)
			}
		case header.ProtoICMP:
			// Echo 8 -> 128, Echo Reply 0 -> 129; the ICMPv6 checksum
			// also covers the pseudo-header, which ICMPv4's did not.
			ic := (*[header.ICMPLen]byte)(b[l4 : l4+header.ICMPLen])
			old := binary.BigEndian.Uint16(ic[0:])
			if ic[header.ICMPType] == 8 {
				ic[header.ICMPType] = 128
			} else {
				ic[header.ICMPType] = 129
			}
			add := checksum.Combine(addrSum6(&x.src6, &x.dst6), uint16(plen))
			add = checksum.Combine(add, header.ProtoICMPv6)
			add = checksum.Combine(add, binary.BigEndian.Uint16(ic[0:]))
			c := checksum.Adjust(binary.BigEndian.Uint16(ic[header.ICMPCsum:]), old, add)
			binary.BigEndian.PutUint16(ic[header.ICMPCsum:], c)
		}
	}

	f.Off = off
	f.Len = header.EthernetLen + size
	f.Verdict = To6
	if mpl != 0 {
		t.fragment46(f, mpl, x.fragOff, x.mf)
		if f.Verdict != To6 {
			return
		}
	}
	t.count46()
}

// udpBadLength reports whether a UDP length field ulen is impossible for a
// datagram whose IP payload here is n bytes (RFC 768): below the 8-byte
// header, or, unless this is a first fragment (more: the datagram goes on
// in later fragments, which the length covers), beyond the payload. A
// length below the payload is allowed (trailing bytes; Linux trims them),
// and so is a first fragment's length equal to its own payload (graybox
// rows abt3 and ect1 send such fragments and Jool translates them).
func udpBadLength(ulen, n int, more bool) bool {
	return ulen < header.UDPLen || ulen > n && !more
}

// count46 counts one packet translated to IPv6 (or hairpinned).
func (t *Translator) count46() {
	if t.hairpin {
		t.Counters.Events[EvHairpinned]++
	} else {
		t.Counters.Events[EvTranslated4to6]++
	}
}

// unexpiredSourceRoute reports whether IPv4 options opts hold a Loose or
// Strict Source Route (RFC 791) whose pointer has not passed its length.
func unexpiredSourceRoute(opts []byte) bool {
	for i := 0; i < len(opts); {
		switch typ := opts[i]; typ {
		case 0: // End of Option List
			return false
		case 1: // No Operation
			i++
		default:
			if i+1 >= len(opts) {
				return false
			}
			l := int(opts[i+1])
			if typ == 131 || typ == 137 { // LSRR, SSRR
				return i+2 < len(opts) && int(opts[i+2]) <= l
			}
			if l < 2 {
				return false
			}
			i += l
		}
	}
	return false
}
