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

// df6to4Limit is RFC 7915 section 5.1's DF threshold: "If the size of the
// translated IPv4 packet is less than or equal to 1260 bytes, it is set to
// zero; otherwise, it is set to one."
const df6to4Limit = 1260

// pkt64 is the per-packet state of the IPv6 -> IPv4 pipeline: parse64
// reads the IPv6 header and its extension-header chain, addresses64 maps
// the addresses, policy64 decides (hop limit, upper layer, size, DF),
// l4Checksum64 updates the upper layer while the IPv6 addresses are still
// in place, and writeIPv4 writes over the end of the IPv6 headers.
type pkt64 struct {
	addrs64
	ip    []byte // the IPv6 packet, trimmed to its payload length
	e     chain6 // its extension-header chain
	hop   uint8  // hop limit as received
	size4 int    // length of the IPv4 result
	df    bool   // DF of the IPv4 result
}

// addrs64 is what the address step of the IPv6 -> IPv4 direction sees of
// a packet: the outer packet, or the packet inside an ICMPv6 error. As
// addrs46, it is where stateful NAT64 will plug in (ports, ICMP
// identifier and TCP flags are in l4).
type addrs64 struct {
	src6, dst6  *[16]byte // IPv6 addresses, in the packet
	src4, dst4  [4]byte   // written by the address step
	proto       uint8     // upper-layer protocol (after the extension headers)
	icmpErr     bool      // an ICMPv6 error (outer packet)
	inner       bool      // the packet inside an ICMPv6 error: it travelled the other way
	first       bool      // holds the upper-layer header (fragment offset 0)
	l4          []byte    // the upper layer as present
	hairpin     bool      // set by the address step: RFC 7757 hairpinning (hairpin.go)
	srcUnmapped bool      // set by the address step: the source has no mapping (answered 1/5)
	frag        bool      // a fragment (MF or offset): NAT64 matches the others to the first
	fragID      uint32    // its Fragment header's Identification
	nat         natAddrs  // stateful NAT64: set by the address step (nat64.go)
}

// translate64 translates an IPv6 frame to IPv4 (RFC 7915 section 5): a
// pipeline of steps over one pkt64. Everything a decision needs is worked
// out while the original is intact, so an ICMPv6 error can still quote it.
func (t *Translator) translate64(f *Frame) {
	var x pkt64
	if r := parse64(f, &x); r != ReasonNone {
		t.refuse64(f, &x, r)
		return
	}
	if r := t.addresses64(&x.addrs64); r != ReasonNone {
		t.refuse64(f, &x, r)
		return
	}
	if x.nat.stop {
		t.natStop(f, &x.nat) // NAT64: Handoff, or held
		return
	}
	if !t.policy64(f, &x) {
		return
	}
	if x.icmpErr {
		t.icmpError64(f, &x)
		return
	}
	proto := x.proto
	if x.first {
		t.l4Checksum64(&x)
	}
	if proto == header.ProtoICMPv6 {
		proto = header.ProtoICMP
	}
	// The IPv4 header ends where the IPv6 headers ended.
	off := f.Off + x.e.l4 - header.IPv4MinLen // new Ethernet header offset
	var id, fo uint16
	if x.e.frag != 0 {
		// RFC 7915 section 5.1.1.
		id = uint16(x.e.id)
		fo = x.e.fragOff
		if x.e.mf {
			fo |= header.IPv4FlagMF
		}
	} else {
		id = t.nextID()
		if x.df {
			fo = header.IPv4FlagDF
		}
	}
	// Hop limit: decremented once, also when hairpinning (translate46 then
	// leaves it alone).
	h := (*[header.EthernetLen + header.IPv4MinLen]byte)(f.Buf[off : off+header.EthernetLen+header.IPv4MinLen])
	writeIPv4((*[header.IPv4MinLen]byte)(h[header.EthernetLen:]), t.tos64(x.ip), uint16(x.size4), id, fo, x.hop-1, proto, &x.src4, &x.dst4)
	binary.BigEndian.PutUint16(h[header.EthType:], header.EtherTypeIPv4)
	f.Off = off
	f.Len = header.EthernetLen + x.size4
	t.finish64(f, x.hairpin)
}

// tos64 is the IPv4 TOS for an IPv6 packet ip: its traffic class, or
// Config.TOS with reset_tos (RFC 7915 section 5.1).
func (t *Translator) tos64(ip []byte) uint8 {
	if t.cfg.ResetTOS {
		return t.cfg.TOS
	}
	return ip[0]<<4 | ip[1]>>4
}

// refuse64 answers or drops an IPv6 packet a step refused with r: the
// refusals RFC 7915 section 5 answers with an ICMPv6 error get it, the
// others are dropped.
func (t *Translator) refuse64(f *Frame, x *pkt64, r Reason) {
	if t.refuseNAT64(f, x, r) {
		return
	}
	switch {
	case r == ReasonSegmentsLeft:
		t.icmp6Error(f, header.ICMPv6ParamProblem, header.ICMPv6ErroneousHeader, uint32(x.e.ptr), r, false)
	case r == ReasonExtAfterFragment:
		t.icmp6Error(f, header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, r, false)
	case r == ReasonNoMapping6 && x.srcUnmapped:
		// RFC 7915 section 5.1, Source Address: "the translator SHOULD
		// drop the packet and respond with an ICMPv6 "Destination
		// Unreachable, Source address failed ingress/egress policy"
		// (Type 1, Code 5)." Section 5.4: not when "the discarded packet
		// is itself an ICMPv6 message".
		t.icmp6Error(f, header.ICMPv6DstUnreachable, header.ICMPv6SourcePolicy, 0, r, x.proto == header.ProtoICMPv6)
	default:
		t.drop(f, r)
	}
}

// parse64 checks the IPv6 header of f (length, version, payload length),
// trims Ethernet padding, walks the extension headers when the first Next
// Header calls for it and fills x.
func parse64(f *Frame, x *pkt64) Reason {
	if f.Len < header.EthernetLen+header.IPv6Len {
		return ReasonTruncated
	}
	ip := f.Buf[f.Off+header.EthernetLen : f.Off+f.Len]
	if ip[0]>>4 != 6 {
		return ReasonBadIPv6Header
	}
	plen := int(binary.BigEndian.Uint16(ip[header.IPv6PayloadLen:]))
	if header.IPv6Len+plen > len(ip) {
		return ReasonBadIPv6Header
	}
	// Ethernet padding beyond the IPv6 payload length is trimmed.
	f.Len = header.EthernetLen + header.IPv6Len + plen
	ip = ip[:header.IPv6Len+plen]
	x.ip = ip
	x.hop = ip[header.IPv6HopLimit]
	x.src6 = (*[16]byte)(ip[header.IPv6Src : header.IPv6Src+16])
	x.dst6 = (*[16]byte)(ip[header.IPv6Dst : header.IPv6Dst+16])
	e := &x.e
	switch nh := ip[header.IPv6NextHeader]; nh {
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment, header.ProtoDestOpts:
		if r := walkChain6(ip, e, false); r != ReasonNone {
			return r
		}
	default:
		e.l4, e.proto = header.IPv6Len, nh
	}
	x.proto = e.proto
	x.first = e.firstOrWhole()
	x.l4 = ip[e.l4:]
	x.frag, x.fragID = e.fragmented(), e.id

	// ICMPv6: errors are translated elsewhere; informational messages
	// other than echo are single-hop or unknown and dropped. RFC 7915
	// section 1.2: "Fragmented ICMP/ICMPv6 packets will not be translated
	// by IP/ICMP translators."
	if x.proto == header.ProtoICMPv6 {
		if e.fragmented() {
			return ReasonICMPFragmented
		}
		if len(x.l4) < header.ICMPLen {
			return ReasonBadL4Header
		}
		x.icmpErr = header.ICMPv6Type(x.l4[header.ICMPType]).IsError()
	}

	// Fragments (RFC 791, RFC 8200 section 4.5): they carry data and the
	// IPv4 datagram they become ends within 65535 bytes; RFC 1858 section
	// 3.2: a TCP fragment at offset 8 only serves to overwrite the TCP
	// header. Unlike translate46, a non-last fragment whose length is not
	// a multiple of 8 is translated, as Jool does (graybox rows abt3 and
	// cjt1 expect it); the IPv4 receiver trims it to 8-byte units.
	if e.fragmented() {
		n := len(x.l4)
		if n == 0 || header.IPv4MinLen+int(e.fragOff)<<3+n > 65535 ||
			e.fragOff == 1 && e.proto == header.ProtoTCP {
			return ReasonBadFragment
		}
	}
	return ReasonNone
}

// addresses64 is the address step of the IPv6 -> IPv4 direction: it writes
// a.src4 and a.dst4 for a.src6 and a.dst6 (RFC 7915 section 5.1; RFC
// 7757: EAMT first, then pool6) and decides hairpinning. It is the one
// place where addresses are translated, for the outer packet and,
// mirrored (a.inner), for the packet inside an ICMPv6 error, so that
// stateful NAT64 can replace the SIIT mapping here without touching the
// other steps.
func (t *Translator) addresses64(a *addrs64) Reason {
	m := t.cfg.Map
	if m == nil {
		return ReasonNoMapping6
	}
	if a.inner {
		if a.nat.err {
			return t.nat64Inner64(a)
		}
		if r := m.To4(a.src6, &a.src4); r != mapping.OK {
			return mapReason6(r)
		}
		if r := m.To4(a.dst6, &a.dst4); r != mapping.OK {
			return mapReason6(r)
		}
		// The packet in error travelled the other way: it is
		// hairpinned when its source went through pool6 into an EAMT
		// IPv4 range.
		a.hairpin = hairpinned(m, a.src6, &a.src4)
		return ReasonNone
	}
	if r := m.To4(a.dst6, &a.dst4); r != mapping.OK {
		return mapReason6(r)
	}
	// RFC 1812 section 5.3.7 and RFC 7915 section 4.1, as on the way in
	// (martian4): no packet leaves with a destination or source in 0/8,
	// 127/8 or 224/3 (multicast, class E, limited broadcast). An ICMPv6
	// error from a router whose address maps to one still reaches the
	// IPv4 host, from the RFC 6791 pool like an unmapped one.
	if martian4(a.dst4[0]) {
		return ReasonMartian
	}
	if t.cfg.NAT64 != nil && t.stateful6(m, a.src6, a.dst6) {
		return t.nat64Out(a)
	}
	r := m.To4(a.src6, &a.src4)
	if r == mapping.OK && martian4(a.src4[0]) {
		if !a.icmpErr {
			return ReasonMartian
		}
		r = mapping.NoMatch
	}
	switch {
	case r == mapping.OK:
	case a.icmpErr:
		// RFC 6791: ICMPv6 errors from untranslatable sources.
		if !t.rfc6791Src4(&a.src4) {
			return ReasonNoICMPSource
		}
	case r == mapping.NoMatch:
		a.srcUnmapped = true
		return ReasonNoMapping6
	default:
		return mapReason6(r)
	}
	if !a.icmpErr {
		a.hairpin = hairpinned(m, a.dst6, &a.dst4)
	}
	return ReasonNone
}

// policy64 applies RFC 7915 section 5's rules before anything is written:
// hop limit, upper layer, size and DF. It answers with an ICMPv6 error or
// drops and returns false, or returns true with x.size4 and x.df set.
func (t *Translator) policy64(f *Frame, x *pkt64) bool {
	// Hop limit: the translator is a router and decrements it once.
	if x.hop <= 1 {
		t.icmp6Error(f, header.ICMPv6TimeExceeded, header.ICMPv6HopLimitExceeded, 0, ReasonTTLExpired, x.icmpErr)
		return false
	}
	if x.icmpErr {
		return true // icmpError64 takes it from here
	}
	x.size4 = header.IPv4MinLen + len(x.ip) - x.e.l4
	x.df = x.e.frag == 0 && x.size4 > df6to4Limit
	if mtu4 := t.cfg.mtu4(); x.df && x.size4 > mtu4 && !x.hairpin {
		// RFC 7915 section 5.1: "If a translated packet with DF set to 1
		// will be larger than the MTU of the next-hop interface, then the
		// translator MUST drop the packet and send the ICMPv6 Packet Too
		// Big (Type 2, Code 0) error message to the IPv6 host with an
		// adjusted MTU in the ICMPv6 message." The IPv6 host never goes
		// below 1280 (RFC 8201), whose translation has DF=0 and is
		// fragmented here.
		t.icmp6Error(f, header.ICMPv6PacketTooBig, 0, packetTooBigMTU(mtu4), ReasonPacketTooBig, false)
		return false
	}
	if x.first {
		if r := upper64(x); r != ReasonNone {
			t.drop(f, r)
			return false
		}
	}
	return true
}

// packetTooBigMTU is the MTU of the Packet Too Big xlatd sends for a DF
// packet too big for an IPv4 link of MTU mtu4: the IPv6 packet that fits,
// never below the IPv6 minimum MTU.
func packetTooBigMTU(mtu4 int) uint32 {
	return uint32(max(mtu4+header.IPv6Len-header.IPv4MinLen, header.IPv6MinMTU))
}

// upper64 checks the upper layer of a first fragment or whole packet
// (RFC 7915 section 5.5).
func upper64(x *pkt64) Reason {
	a := &x.addrs64
	switch a.proto {
	case header.ProtoTCP:
		if len(a.l4) < header.TCPMinLen {
			return ReasonBadL4Header
		}
	case header.ProtoUDP:
		if len(a.l4) < header.UDPLen {
			return ReasonBadL4Header
		}
		if udpBadLength(int(binary.BigEndian.Uint16(a.l4[header.UDPLength:])), len(a.l4), x.e.mf) {
			return ReasonUDPBadLength
		}
	case header.ProtoICMPv6:
		// Echo Request and Echo Reply only: MLD, ND and unknown
		// informational messages are single-hop or meaningless in IPv4.
		if typ := header.ICMPv6Type(a.l4[header.ICMPType]); typ != header.ICMPv6EchoRequest && typ != header.ICMPv6EchoReply {
			return ReasonICMPUntranslatable
		}
	}
	return ReasonNone
}

// l4Checksum64 updates the upper-layer checksum of a first fragment or
// whole packet for the new pseudo-header (RFC 1624), completes one left
// for offload, computes a UDP zero checksum, and turns an echo into its
// ICMPv4 counterpart. It reads the IPv6 addresses, so it runs before
// writeIPv4 overwrites them.
func (t *Translator) l4Checksum64(x *pkt64) {
	l4 := x.l4
	whole := !x.e.fragmented()
	switch x.proto {
	case header.ProtoTCP:
		if whole && isPartial(l4, header.TCPCsum, x.pseudo6(x.proto, len(l4))) {
			x.nat.rewrite(x.proto, l4, false)
			t.complete(l4, header.TCPCsum, x.pseudo4(x.proto, len(l4)))
			return
		}
		x.nat.rewrite(x.proto, l4, true)
		c := x.swap(binary.BigEndian.Uint16(l4[header.TCPCsum:]))
		binary.BigEndian.PutUint16(l4[header.TCPCsum:], c)
	case header.ProtoUDP:
		old := binary.BigEndian.Uint16(l4[header.UDPCsum:])
		switch {
		case old == 0 && whole:
			x.nat.rewrite(x.proto, l4, false)
			t.udp6ZeroChecksum(l4, &x.addrs64)
		case old == 0:
			// A first fragment's 0 stays 0 (udp6ZeroChecksum).
			x.nat.rewrite(x.proto, l4, false)
		case whole && isPartial(l4, header.UDPCsum, x.pseudo6(x.proto, len(l4))):
			x.nat.rewrite(x.proto, l4, false)
			t.complete(l4, header.UDPCsum, x.pseudo4(x.proto, len(l4)))
		default:
			x.nat.rewrite(x.proto, l4, true)
			c := x.swap(binary.BigEndian.Uint16(l4[header.UDPCsum:]))
			if c == 0 {
				c = 0xffff
			}
			binary.BigEndian.PutUint16(l4[header.UDPCsum:], c)
		}
	case header.ProtoICMPv6:
		x.nat.rewrite(x.proto, l4, true)
		echo64(l4, x.pseudo6(header.ProtoICMPv6, len(l4)))
	}
}

// echo64 turns an ICMPv6 Echo Request or Echo Reply into ICMPv4: "Adjust
// the Type values to 8 and 0, respectively, and adjust the ICMP checksum
// both to take the type change into account and to exclude the ICMPv6
// pseudo-header" (RFC 7915 section 5.2), whose folded sum is ph6.
func echo64(l4 []byte, ph6 uint16) {
	nt := header.ICMPv4Echo
	if header.ICMPv6Type(l4[header.ICMPType]) == header.ICMPv6EchoReply {
		nt = header.ICMPv4EchoReply
	}
	old := binary.BigEndian.Uint16(l4[0:])
	c := checksum.Adjust(binary.BigEndian.Uint16(l4[header.ICMPCsum:]),
		checksum.Combine(ph6, old), uint16(nt)<<8|uint16(l4[header.ICMPCode]))
	l4[header.ICMPType] = uint8(nt)
	binary.BigEndian.PutUint16(l4[header.ICMPCsum:], c)
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
func (t *Translator) udp6ZeroChecksum(l4 []byte, a *addrs64) {
	c := ^checksum.Checksum(l4, a.pseudo4(header.ProtoUDP, len(l4)))
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
