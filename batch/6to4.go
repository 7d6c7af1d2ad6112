package batch

// IPv6 -> IPv4 (RFC 7915 section 5).
//
// The frame is translated where it lies. Everything a decision needs (the
// extension-header walk, both address mappings, the hop limit, the size of
// the IPv4 result) is worked out first, while the original is intact, so an
// ICMPv6 error can still quote it. Then the IPv4 header is written directly
// in front of the unchanged upper-layer header, over the tail of the IPv6
// header and its extension headers, and the frame start moves forwards:
// the payload is never copied. L4 checksums are updated incrementally
// (RFC 1624) for the pseudo-header change, so a bad checksum stays exactly
// as bad. ICMPv6 errors (icmp6to4.go), fragmentation (frag6to4.go), the
// ICMPv6 errors xlatd originates (errors6.go) and hairpinning (hairpin.go)
// are the slow paths.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
)

// ICMPv4 types and codes produced by the 6->4 path (RFC 792).
const (
	ty4EchoReply    = 0
	ty4DstUnreach   = 3
	ty4EchoRequest  = 8
	ty4TimeExceeded = 11
	ty4ParamProblem = 12

	code4ProtoUnreach = 2
	code4FragNeeded   = 4
)

// df6to4Limit is RFC 7915 section 5.1's DF threshold: "If the size of the
// translated IPv4 packet is less than or equal to 1260 bytes, it is set to
// zero; otherwise, it is set to one."
const df6to4Limit = 1260

// translate64 translates an IPv6 frame to IPv4 (RFC 7915 section 5).
func (t *Translator) translate64(f *Frame) {
	cfg := t.cfg
	if f.Len < header.EthernetLen+header.IPv6Len {
		t.drop(f, ReasonTruncated)
		return
	}
	ip := f.Buf[f.Off+header.EthernetLen : f.Off+f.Len]
	if ip[0]>>4 != 6 {
		t.drop(f, ReasonBadIPv6Header)
		return
	}
	plen := int(binary.BigEndian.Uint16(ip[header.IPv6PayloadLen:]))
	if header.IPv6Len+plen > len(ip) {
		t.drop(f, ReasonBadIPv6Header)
		return
	}
	// Ethernet padding beyond the IPv6 payload length is trimmed.
	f.Len = header.EthernetLen + header.IPv6Len + plen
	ip = ip[:header.IPv6Len+plen]

	var e chain6
	switch nh := ip[header.IPv6NextHeader]; nh {
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment, header.ProtoDestOpts:
		switch r := walkChain6(ip, &e, false); r {
		case ReasonNone:
		case ReasonSegmentsLeft:
			t.icmp6Error(f, ty6ParamProblem, 0, uint32(e.ptr), r, false)
			return
		case ReasonExtAfterFragment:
			t.icmp6Error(f, ty6DstUnreach, code6AdminProhibited, 0, r, false)
			return
		default:
			t.drop(f, r)
			return
		}
	default:
		e.l4, e.proto = header.IPv6Len, nh
	}
	l4 := ip[e.l4:]

	// ICMPv6: errors are translated elsewhere; informational messages
	// other than echo are single-hop or unknown and dropped. RFC 7915
	// section 1.2: "Fragmented ICMP/ICMPv6 packets will not be translated
	// by IP/ICMP translators."
	icmpErr := false
	if e.proto == header.ProtoICMPv6 {
		if e.fragmented() {
			t.drop(f, ReasonICMPFragmented)
			return
		}
		if len(l4) < header.ICMPLen {
			t.drop(f, ReasonBadL4Header)
			return
		}
		icmpErr = l4[0] < 128
	}

	// Fragments (RFC 791, RFC 8200 section 4.5): they carry data and the
	// IPv4 datagram they become ends within 65535 bytes; RFC 1858 section
	// 3.2: a TCP fragment at offset 8 only serves to overwrite the TCP
	// header. Unlike translate46, a non-last fragment whose length is not
	// a multiple of 8 is translated, as Jool does (graybox rows abt3 and
	// cjt1 expect it); the IPv4 receiver trims it to 8-byte units.
	if e.fragmented() {
		n := len(ip) - e.l4
		if n == 0 || header.IPv4MinLen+int(e.fragOff)<<3+n > 65535 ||
			e.fragOff == 1 && e.proto == header.ProtoTCP {
			t.drop(f, ReasonBadFragment)
			return
		}
	}

	// Addresses: EAMT first, then pool6 (RFC 7757 section 3.2).
	var src4, dst4 [4]byte
	m := cfg.Map
	if m == nil {
		t.drop(f, ReasonNoMapping6)
		return
	}
	if r := m.To4((*[16]byte)(ip[header.IPv6Dst:header.IPv6Dst+16]), &dst4); r != mapping.OK {
		t.drop(f, mapReason6(r))
		return
	}
	// RFC 1812 section 5.3.7 and RFC 7915 section 4.1, as on the way in
	// (martian4): no packet leaves with a destination or source in 0/8,
	// 127/8 or 224/3 (multicast, class E, limited broadcast). An ICMPv6
	// error from a router whose address maps to one still reaches the
	// IPv4 host, from the RFC 6791 pool like an unmapped one.
	if martian4(dst4[0]) {
		t.drop(f, ReasonMartian)
		return
	}
	r := m.To4((*[16]byte)(ip[header.IPv6Src:header.IPv6Src+16]), &src4)
	if r == mapping.OK && martian4(src4[0]) {
		if !icmpErr {
			t.drop(f, ReasonMartian)
			return
		}
		r = mapping.NoMatch
	}
	if r != mapping.OK {
		if icmpErr {
			// RFC 6791: ICMPv6 errors from untranslatable sources.
			if !t.rfc6791Src4(&src4) {
				t.drop(f, ReasonNoICMPSource)
				return
			}
		} else if r == mapping.NoMatch {
			// RFC 7915 section 5.1, Source Address: "the translator SHOULD
			// drop the packet and respond with an ICMPv6 "Destination
			// Unreachable, Source address failed ingress/egress policy"
			// (Type 1, Code 5)."
			// Section 5.4: not when "the discarded packet is itself an
			// ICMPv6 message".
			t.icmp6Error(f, ty6DstUnreach, code6SourcePolicy, 0, ReasonNoMapping6, e.proto == header.ProtoICMPv6)
			return
		} else {
			t.drop(f, mapReason6(r))
			return
		}
	}

	// Hop limit: the translator is a router and decrements it once.
	hop := ip[header.IPv6HopLimit]
	if hop <= 1 {
		t.icmp6Error(f, ty6TimeExceeded, 0, 0, ReasonTTLExpired, icmpErr)
		return
	}

	if icmpErr {
		t.icmpError64(f, ip, &e, &src4, &dst4)
		return
	}
	hairpin := hairpinned(m, (*[16]byte)(ip[header.IPv6Dst:header.IPv6Dst+16]), &dst4)

	size4 := header.IPv4MinLen + len(ip) - e.l4
	df := e.frag == 0 && size4 > df6to4Limit
	mtu4 := cfg.mtu4()
	if df && size4 > mtu4 && !hairpin {
		// RFC 7915 section 5.1: "If a translated packet with DF set to 1
		// will be larger than the MTU of the next-hop interface, then the
		// translator MUST drop the packet and send the ICMPv6 Packet Too
		// Big (Type 2, Code 0) error message to the IPv6 host with an
		// adjusted MTU in the ICMPv6 message." The IPv6 host never goes
		// below 1280 (RFC 8201), whose translation has DF=0 and is
		// fragmented here.
		mtu := mtu4 + header.IPv6Len - header.IPv4MinLen
		if mtu < min6MTU {
			mtu = min6MTU
		}
		t.icmp6Error(f, ty6PacketTooBig, 0, uint32(mtu), ReasonPacketTooBig, false)
		return
	}

	// Upper layer, first fragment or whole packet only (RFC 7915 5.5).
	proto := e.proto
	if e.firstOrWhole() {
		switch proto {
		case header.ProtoTCP:
			if len(l4) < header.TCPMinLen {
				t.drop(f, ReasonBadL4Header)
				return
			}
			if !e.fragmented() && isPartial(l4, header.TCPCsum, pseudo6(ip, proto, len(l4))) {
				t.complete(l4, header.TCPCsum, pseudo4(&src4, &dst4, proto, len(l4)))
			} else {
				c := pseudoSwap64(binary.BigEndian.Uint16(l4[header.TCPCsum:]), ip[header.IPv6Src:header.IPv6Src+32], &src4, &dst4)
				binary.BigEndian.PutUint16(l4[header.TCPCsum:], c)
			}
		case header.ProtoUDP:
			if len(l4) < header.UDPLen {
				t.drop(f, ReasonBadL4Header)
				return
			}
			if udpBadLength(int(binary.BigEndian.Uint16(l4[header.UDPLength:])), len(l4), e.mf) {
				t.drop(f, ReasonUDPBadLength)
				return
			}
			if old := binary.BigEndian.Uint16(l4[header.UDPCsum:]); old == 0 && !e.fragmented() {
				t.udp6ZeroChecksum(l4, &src4, &dst4)
			} else if old != 0 && !e.fragmented() && isPartial(l4, header.UDPCsum, pseudo6(ip, proto, len(l4))) {
				t.complete(l4, header.UDPCsum, pseudo4(&src4, &dst4, proto, len(l4)))
			} else if old != 0 {
				c := pseudoSwap64(old, ip[header.IPv6Src:header.IPv6Src+32], &src4, &dst4)
				if c == 0 {
					c = 0xffff
				}
				binary.BigEndian.PutUint16(l4[header.UDPCsum:], c)
			}
		case header.ProtoICMPv6:
			// Echo Request and Echo Reply: "Adjust the Type values to 8 and
			// 0, respectively, and adjust the ICMP checksum both to take
			// the type change into account and to exclude the ICMPv6
			// pseudo-header." (RFC 7915 section 5.2)
			var nt uint8
			switch l4[0] {
			case ty6EchoRequest:
				nt = ty4EchoRequest
			case ty6EchoReply:
				nt = ty4EchoReply
			default: // MLD, ND, unknown informational messages
				t.drop(f, ReasonICMPUntranslatable)
				return
			}
			ph := checksum.PseudoHeader6(ip[header.IPv6Src:], ip[header.IPv6Dst:], header.ProtoICMPv6, uint32(len(l4)))
			old := uint16(l4[0])<<8 | uint16(l4[1])
			c := checksum.Adjust(binary.BigEndian.Uint16(l4[header.ICMPCsum:]),
				checksum.Combine(ph, old), uint16(nt)<<8|uint16(l4[1]))
			l4[0] = nt
			binary.BigEndian.PutUint16(l4[header.ICMPCsum:], c)
			proto = header.ProtoICMP
		}
	} else if proto == header.ProtoICMPv6 {
		proto = header.ProtoICMP // not reached: fragmented ICMPv6 is dropped above
	}

	// The IPv4 header ends where the IPv6 headers ended.
	off := f.Off + e.l4 - header.IPv4MinLen // new Ethernet header offset
	tos := ip[0]<<4 | ip[1]>>4
	if cfg.ResetTOS {
		tos = cfg.TOS
	}
	var id, fo uint16
	if e.frag != 0 {
		// RFC 7915 section 5.1.1.
		id = uint16(e.id)
		fo = e.fragOff
		if e.mf {
			fo |= header.IPv4FlagMF
		}
	} else {
		id = t.nextID()
		if df {
			fo = header.IPv4FlagDF
		}
	}
	hop-- // once, also when hairpinning (translate46 then leaves it alone)
	h := f.Buf[off+header.EthernetLen : off+header.EthernetLen+header.IPv4MinLen]
	writeIPv4(h, tos, uint16(size4), id, fo, hop, proto, &src4, &dst4)
	binary.BigEndian.PutUint16(f.Buf[off+header.EthType:], header.EtherTypeIPv4)
	f.Off = off
	f.Len = header.EthernetLen + size4
	t.finish64(f, hairpin)
}

// udp6ZeroChecksum computes the checksum of a whole IPv6 UDP datagram that
// arrived with none. RFC 8200 section 8.1: "IPv6 receivers MUST discard
// UDP packets containing a zero checksum", except for the tunnel protocols
// of RFC 6935, whose endpoints are configured for it; RFC 6936 section 5
// (requirement 9): "A middlebox implementation MUST allow forwarding of an
// IPv6 UDP datagram with both a zero and a non-zero UDP checksum". xlatd
// is such a middlebox and not the receiver, so it forwards the datagram,
// and with a checksum computed as amend_udp_zero_checksum does for IPv4
// (RFC 7915 section 4.5): an IPv4 receiver then checks at least the rest
// of the way. A first fragment cannot be summed (the rest of the datagram
// is elsewhere); its zero stays zero, "no checksum" in IPv4 (RFC 768).
func (t *Translator) udp6ZeroChecksum(l4 []byte, src4, dst4 *[4]byte) {
	c := ^checksum.Checksum(l4, pseudo4(src4, dst4, header.ProtoUDP, len(l4)))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(l4[header.UDPCsum:], c)
	t.Counters.Events[EvUDP6ChecksumComputed]++
}

// finish64 sends a translated IPv4 frame on: back to IPv6 when its
// destination is an EAMT IPv4 address (hairpinning), through the IPv4
// fragmenter when it exceeds the IPv4 MTU, else straight out.
func (t *Translator) finish64(f *Frame, hairpin bool) {
	if hairpin {
		t.hairpin64(f)
		return
	}
	f.Verdict = To4
	t.Counters.Events[EvTranslated6to4]++
	if f.Len-header.EthernetLen > t.cfg.mtu4() {
		t.fragment64(f)
	}
}

// writeIPv4 writes a 20-byte IPv4 header and its checksum. The checksum
// is summed from the field values, not read back from the bytes just
// stored (which would stall on store-to-load forwarding), and the header
// goes out in three stores.
func writeIPv4(h []byte, tos uint8, total, id, flagsOff uint16, ttl, proto uint8, src, dst *[4]byte) {
	_ = h[19]
	s4 := binary.BigEndian.Uint32(src[:])
	d4 := binary.BigEndian.Uint32(dst[:])
	w0 := 0x45<<8 | uint64(tos)
	w4 := uint64(ttl)<<8 | uint64(proto)
	sum := w0 + uint64(total) + uint64(id) + uint64(flagsOff) + w4 + uint64(s4) + uint64(d4)
	c := ^foldSum(sum)
	binary.BigEndian.PutUint64(h[0:], w0<<48|uint64(total)<<32|uint64(id)<<16|uint64(flagsOff))
	binary.BigEndian.PutUint32(h[8:], uint32(w4)<<16|uint32(c))
	binary.BigEndian.PutUint64(h[12:], uint64(s4)<<32|uint64(d4))
}

// hdrSum4 returns the folded one's-complement sum of a 20-byte IPv4 header.
func hdrSum4(h []byte) uint16 {
	_ = h[19]
	s := uint64(binary.BigEndian.Uint32(h[0:])) + uint64(binary.BigEndian.Uint32(h[4:])) +
		uint64(binary.BigEndian.Uint32(h[8:])) + uint64(binary.BigEndian.Uint32(h[12:])) +
		uint64(binary.BigEndian.Uint32(h[16:]))
	return foldSum(s)
}

// foldSum folds a sum of 32-bit words into a 16-bit one's-complement sum.
func foldSum(s uint64) uint16 {
	s = s>>32 + s&0xffffffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
}

// addrSum6x is the folded sum of 32 bytes: an IPv6 source and destination.
func addrSum6x(a []byte) uint16 {
	_ = a[31]
	s := uint64(binary.BigEndian.Uint32(a[0:])) + uint64(binary.BigEndian.Uint32(a[4:])) +
		uint64(binary.BigEndian.Uint32(a[8:])) + uint64(binary.BigEndian.Uint32(a[12:])) +
		uint64(binary.BigEndian.Uint32(a[16:])) + uint64(binary.BigEndian.Uint32(a[20:])) +
		uint64(binary.BigEndian.Uint32(a[24:])) + uint64(binary.BigEndian.Uint32(a[28:]))
	return foldSum(s)
}

// pseudoSwap64 returns the TCP/UDP checksum field value after the
// pseudo-header's IPv6 addresses a6 (source and destination, 32 bytes) are
// replaced by src and dst (RFC 1624 eq. 3: HC' = ~(~HC + ~m + m')). Length
// and protocol are the same in both pseudo-headers and cancel out.
func pseudoSwap64(field uint16, a6 []byte, src, dst *[4]byte) uint16 {
	s := uint64(^field) + uint64(^addrSum6x(a6)) +
		uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:]))
	return ^foldSum(s)
}

// pseudo6 and pseudo4 are the folded pseudo-header sums of an L4 segment
// of n bytes: IPv6 from the packet's addresses, IPv4 from the translated ones.
// (n < 65536: the payload length field of an IPv6 header without a Jumbo
// option bounds it.)
func pseudo6(ip []byte, proto uint8, n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum6x(ip[header.IPv6Src:header.IPv6Src+32]), uint16(n)), uint16(proto))
}

func pseudo4(src, dst *[4]byte, proto uint8, n int) uint16 {
	s := uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])) + uint64(n) + uint64(proto)
	return foldSum(s)
}

// mapReason6 converts a failed mapping.Result of To4 into a drop reason.
func mapReason6(r mapping.Result) Reason {
	if r == mapping.NonGlobalWKP {
		return ReasonNonGlobalWKP
	}
	return ReasonNoMapping6
}

// mtu4 returns the IPv4 egress MTU (unset: 1500).
func (c *Config) mtu4() int {
	if c.MTU4 <= 0 {
		return 1500
	}
	return c.MTU4
}

// rfc6791Src4 sets src to the source of a translated ICMPv6 error whose
// source has no IPv4 mapping (RFC 6791): an address of Config.RFC6791v4
// (random host bits when the prefix is shorter than /32), else
// Config.ICMPv4Source.
func (t *Translator) rfc6791Src4(src *[4]byte) bool {
	if p := t.cfg.RFC6791v4; p.IsValid() && p.Addr().Is4() {
		b := p.Masked().Addr().As4()
		a := binary.BigEndian.Uint32(b[:])
		if host := 32 - p.Bits(); host > 0 {
			r := uint32(t.nextID())<<16 | uint32(t.nextID())
			a |= r & (1<<host - 1)
		}
		binary.BigEndian.PutUint32(src[:], a)
	} else if s := t.cfg.ICMPv4Source; s.Is4() {
		*src = s.As4()
	} else {
		return false
	}
	t.Counters.Events[EvRFC6791Source]++
	return true
}
