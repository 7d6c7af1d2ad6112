package batch

// IPv4 -> IPv6 (RFC 7915 section 4).
//
// The frame is translated where it lies: the IPv4 header is read into the
// per-packet state (pkt46), then the IPv6 header (and a Fragment header when the packet is or
// becomes a fragment) is written directly in front of the unchanged L4
// header, growing the frame backwards into its headroom. Only the L4
// checksum is touched after that, incrementally (RFC 1624), so a bad
// checksum stays exactly as bad. ICMP errors (icmp4to6.go), fragmentation
// (frag4to6.go) and the ICMPv4 errors xlatd originates (errors4.go) are the
// slow paths; everything a decision needs is known before the first byte of
// the frame is written, so an error can still quote the original.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
)

// pkt46 is the per-packet state of the IPv4 -> IPv6 pipeline, kept on the
// stack and filled step by step: parse46 reads the IPv4 header,
// addresses46 maps the addresses, policy46 decides (options, TTL, L4
// checks, size, DF) and writeIPv6 / l4Checksum46 write the result.
type pkt46 struct {
	addrs46            // addresses, protocol and L4 header: the address step's view
	ip, ihl, tot int   // IPv4 header offset in Buf, header length, total length
	l4off, plen  int   // L4 header offset in Buf and length (tot - ihl)
	tos, ttl     uint8 // ttl is the outgoing hop limit (decremented by policy46)
	nh           uint8 // IPv6 next header of the upper layer (58 for ICMP)
	df           bool  // flag (Identification, offset and MF are in addrs46)
	fh           int   // Fragment header length in the result: 0 or 8
	size         int   // IPv6 packet length of the result
	mpl          int   // nonzero: fragment the result to this size (frag4to6.go)
	amend        bool  // UDP checksum 0 to be computed (RFC 7915 4.5)
}

// addrs46 is what the address step of the IPv4 -> IPv6 direction sees of
// a packet: the outer packet, or the packet inside an ICMPv4 error. SIIT
// reads the addresses only; stateful NAT64 (package nat64) will plug in
// here and also read the ports, ICMP identifier and TCP flags from l4, and
// write translated ports back. See docs/DESIGN.md, "The address step".
type addrs46 struct {
	src4, dst4 [4]byte  // IPv4 addresses as received
	src6, dst6 [16]byte // written by the address step
	proto      uint8    // IPv4 protocol
	icmpErr    bool     // an ICMPv4 error (outer packet, first fragment)
	inner      bool     // the packet inside an ICMPv4 error: it travelled the other way
	first      bool     // holds the L4 header (fragment offset 0)
	l4         []byte   // the L4 header and payload present (ports, ICMP id, TCP flags)
	id         uint16   // Identification: NAT64 matches a packet's fragments by it
	fragOff    uint16   // fragment offset, 8-byte units
	mf         bool     // More Fragments
	nat        natAddrs // stateful NAT64: set by the address step (nat64.go)
}

// translate46 translates an IPv4 frame to IPv6 (RFC 7915 section 4): a
// pipeline of steps over one pkt46. Every decision comes before the first
// byte is written, so an ICMPv4 error xlatd originates can quote the
// untouched original.
func (t *Translator) translate46(f *Frame) {
	var x pkt46
	if r := parse46(f, &x); r != ReasonNone {
		t.drop(f, r)
		return
	}
	if r := t.addresses46(&x.addrs46); r != ReasonNone {
		t.refuse46(f, &x, r)
		return
	}
	if x.nat.stop {
		t.natStop(f, &x.nat) // NAT64: Handoff, or held
		return
	}
	if !t.policy46(f, &x) {
		return
	}
	if x.icmpErr {
		t.icmpError46(f, &x)
		return
	}
	off := x.l4off - x.fh - header.IPv6Len - header.EthernetLen
	if off < 0 {
		t.drop(f, ReasonTooBig)
		return
	}
	t.writeIPv6(f.Buf, f.Off, off, &x)
	if x.first {
		t.l4Checksum46(&x, x.addrs46.l4)
	}
	f.Off = off
	f.Len = header.EthernetLen + x.size
	f.Verdict = To6
	if x.mpl != 0 {
		t.fragment46(f, x.mpl, x.fragOff, x.mf)
		if f.Verdict != To6 {
			return
		}
	}
	t.count46()
}

// refuse46 drops an IPv4 packet the address step refused with r; a UDP or
// ICMP packet no NAT64 mapping admits is answered with port unreachable,
// as Jool does (graybox row icmp-error/bibless), unless it comes from a
// pool4 address (a hairpin handed over by another worker: its sender is
// an IPv6 node).
func (t *Translator) refuse46(f *Frame, x *pkt46, r Reason) {
	if r == ReasonNAT64NoMapping && x.proto != header.ProtoTCP && !x.icmpErr && !t.cfg.NAT64.InPool4(x.src4) {
		t.error4(f, x, header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, 0, r)
		return
	}
	t.drop(f, r)
}

// parse46 checks the IPv4 header of f (version, IHL, total length against
// the frame, header checksum), trims Ethernet padding and fills x.
// Headers are read through fixed-size array views so that constant
// offsets need no bounds checks.
func parse46(f *Frame, x *pkt46) Reason {
	b := f.Buf
	n := f.Len - header.EthernetLen // translate checked Off+Len <= len(Buf)
	if n < header.IPv4MinLen {
		return ReasonTruncated
	}
	x.ip = f.Off + header.EthernetLen
	hp := (*[header.IPv4MinLen]byte)(b[x.ip : x.ip+header.IPv4MinLen])
	vihl := hp[header.IPv4VerIHL]
	x.ihl = int(vihl&0x0f) << 2
	if vihl>>4 != 4 || x.ihl < header.IPv4MinLen {
		return ReasonBadIPv4Header
	}
	if x.ihl > n {
		return ReasonTruncated
	}
	x.tot = int(binary.BigEndian.Uint16(hp[header.IPv4TotalLen:]))
	if x.tot < x.ihl || x.tot > n {
		return ReasonBadIPv4Header
	}
	if x.ihl == header.IPv4MinLen {
		if sum20(hp) != 0xffff {
			return ReasonBadIPv4Checksum
		}
	} else if checksum.Checksum(b[x.ip:x.ip+x.ihl], 0) != 0xffff {
		return ReasonBadIPv4Checksum
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
	x.l4off = x.ip + x.ihl
	x.plen = x.tot - x.ihl
	x.first = x.fragOff == 0
	x.addrs46.l4 = b[x.l4off : x.l4off+x.plen]
	x.icmpErr = x.proto == header.ProtoICMP && x.first && x.plen > 0 && header.ICMPv4Type(b[x.l4off]).IsError()
	return ReasonNone
}

// addresses46 is the address step of the IPv4 -> IPv6 direction: it
// writes a.src6 and a.dst6 for a.src4 and a.dst4 (RFC 7915 section 4.1;
// RFC 7757: EAMT, then pool6). It is the one place where addresses are
// translated, for the outer packet and, mirrored (a.inner), for the packet
// inside an ICMPv4 error, so that stateful NAT64 can replace the SIIT
// mapping here without touching the other steps.
//
// While hairpinning (t.hairpin, RFC 7757 section 4.1) the address on the
// IPv4-source side -- the outer source, the inner destination -- is
// translated with pool6 only.
func (t *Translator) addresses46(a *addrs46) Reason {
	m := t.cfg.Map
	if a.inner {
		if a.nat.err {
			return t.nat64Inner46(a)
		}
		// The packet in error travelled from the IPv6 side: its source
		// is the IPv4 view of the IPv6 node the error goes back to.
		if m == nil {
			return ReasonNoMapping4
		}
		if r := m.To6(&a.src4, &a.src6); r != mapping.OK {
			return mapReason(r)
		}
		r := mapping.OK
		if t.hairpin {
			r = m.To6Pool6(&a.dst4, &a.dst6)
		} else {
			r = m.To6(&a.dst4, &a.dst6)
		}
		if r != mapping.OK {
			return mapReason(r)
		}
		return ReasonNone
	}
	// ICMP errors keep sources such as 127.0.0.1 (a router's error must
	// reach the IPv6 host, as Jool's graybox rows hat1/hat2 expect).
	if martian4(a.dst4[0]) || !a.icmpErr && martian4(a.src4[0]) {
		return ReasonMartian
	}
	if t.cfg.NAT64 != nil && t.cfg.NAT64.InPool4(a.dst4) {
		return t.nat64In(a)
	}
	if m == nil {
		return ReasonNoMapping4
	}
	if r := m.To6(&a.dst4, &a.dst6); r != mapping.OK {
		return mapReason(r)
	}
	r := mapping.OK
	if t.hairpin {
		r = m.To6Pool6(&a.src4, &a.src6)
	} else {
		r = m.To6(&a.src4, &a.src6)
	}
	if r != mapping.OK && !(a.icmpErr && t.rfc6791Src(&a.src6)) {
		return mapReason(r)
	}
	return ReasonNone
}

// policy46 applies RFC 7915 section 4's rules before anything is written:
// IPv4 options, hop limit, the upper layer, size and DF. It answers with an
// ICMPv4 error or drops and returns false, or returns true with x.ttl,
// x.nh, x.fh, x.size, x.mpl and x.amend set.
func (t *Translator) policy46(f *Frame, x *pkt46) bool {
	b := f.Buf
	// IPv4 options are ignored, except an unexpired source route
	// (RFC 7915 section 4.1).
	if x.ihl > header.IPv4MinLen && unexpiredSourceRoute(b[x.ip+header.IPv4MinLen:x.l4off]) {
		t.error4(f, x, header.ICMPv4DstUnreachable, header.ICMPv4SourceRouteFailed, 0, ReasonSourceRoute)
		return false
	}
	// Hop limit: the translator is a router and decrements once. While
	// hairpinning, translate64 already did.
	if !t.hairpin {
		if x.ttl <= 1 {
			t.error4(f, x, header.ICMPv4TimeExceeded, header.ICMPv4TTLExceeded, 0, ReasonTTLExpired)
			return false
		}
		x.ttl--
	}
	if x.icmpErr {
		return true // icmpError46 takes it from here
	}
	if r := t.upper46(f, x); r != ReasonNone {
		if r == ReasonUDPZeroChecksum {
			t.error4(f, x, header.ICMPv4DstUnreachable, header.ICMPv4AdminProhibited, 0, r)
		} else {
			t.drop(f, r)
		}
		return false
	}

	// Size (RFC 7915 section 4): DF packets too big for the IPv6 link are
	// answered with Fragmentation Needed; others larger than
	// lowest_ipv6_mtu are fragmented.
	isFrag := x.mf || x.fragOff != 0
	if isFrag {
		x.fh = header.IPv6FragmentLen
	}
	x.size = header.IPv6Len + x.fh + x.plen
	if x.df {
		if mt := t.cfg.mtu6(); x.size > mt {
			t.error4(f, x, header.ICMPv4DstUnreachable, header.ICMPv4FragNeeded, fragNeededMTU(mt), ReasonFragNeeded)
			return false
		}
	} else if p := t.cfg.mpl46(); x.size > p {
		x.mpl = p
		x.fh = header.IPv6FragmentLen
		x.size = header.IPv6Len + x.fh + x.plen
	}

	// RFC 791: fragments carry data, all but the last a multiple of 8
	// bytes, and end within 65535 bytes. RFC 1858 section 3.2: a TCP
	// fragment at offset 8 can only serve to overwrite the TCP header.
	if isFrag && (x.plen == 0 || x.mf && x.plen&7 != 0 || int(x.fragOff)<<3+x.plen > 65535 ||
		x.fragOff == 1 && x.proto == header.ProtoTCP) {
		t.drop(f, ReasonBadFragment)
		return false
	}
	return true
}

// fragNeededMTU is the next-hop MTU of the Fragmentation Needed xlatd
// sends for a DF packet too big for an IPv6 link of MTU mtu6: the IPv4
// packet that fits, never below 576 (RFC 1812 section 4.3.2.3).
func fragNeededMTU(mtu6 int) uint16 {
	return uint16(max(mtu6-(header.IPv6Len-header.IPv4MinLen), header.ICMPv4ErrorMax))
}

// upper46 checks the upper layer of a (non-error) IPv4 packet and sets
// x.nh and x.amend.
func (t *Translator) upper46(f *Frame, x *pkt46) Reason {
	x.nh = x.proto
	switch x.proto {
	case header.ProtoICMP:
		x.nh = header.ProtoICMPv6
		if x.mf || !x.first {
			// The ICMPv6 checksum covers a pseudo-header holding the
			// whole message length, unknown to a stateless translator
			// that sees one fragment; and the IPv6 side drops every
			// fragment of an ICMPv6 message.
			return ReasonICMPFragmented
		}
	case header.ProtoIGMP:
		// IGMP: single-hop messages RFC 7915 section 4.2 says to drop.
		return ReasonICMPUntranslatable
	}
	if !x.first {
		return ReasonNone
	}
	l4 := x.addrs46.l4
	short := ReasonBadL4Header
	if x.mf {
		short = ReasonBadFragment // a first fragment must hold the L4 header
	}
	switch x.proto {
	case header.ProtoTCP:
		if len(l4) < header.TCPMinLen {
			return short
		}
	case header.ProtoUDP:
		if len(l4) < header.UDPLen {
			return short
		}
		if udpBadLength(int(binary.BigEndian.Uint16(l4[header.UDPLength:])), len(l4), x.mf) {
			return ReasonUDPBadLength
		}
		if l4[header.UDPCsum] == 0 && l4[header.UDPCsum+1] == 0 {
			// RFC 7915 section 4.5.
			if x.mf || !t.cfg.AmendUDPZeroChecksum {
				return ReasonUDPZeroChecksum
			}
			x.amend = true
		}
	case header.ProtoICMP:
		if len(l4) < header.ICMPLen {
			return short
		}
		if typ := header.ICMPv4Type(l4[header.ICMPType]); typ != header.ICMPv4Echo && typ != header.ICMPv4EchoReply {
			// RFC 7915 section 4.2: every other query type is
			// silently dropped.
			return ReasonICMPUntranslatable
		}
	}
	return ReasonNone
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

// l4Checksum46 updates the checksum of the first (or only) fragment's L4
// header l4 for the new pseudo-header (RFC 1624), completes one left for
// offload, computes an amended UDP zero checksum, and turns an echo into
// its ICMPv6 counterpart.
func (t *Translator) l4Checksum46(x *pkt46, l4 []byte) {
	whole := !x.mf // a first fragment: the checksum covers more than l4
	switch x.proto {
	case header.ProtoTCP:
		if whole && isPartial(l4, header.TCPCsum, x.pseudo4(x.proto, len(l4))) {
			x.nat.rewrite(x.proto, l4, false)
			t.complete(l4, header.TCPCsum, x.pseudo6(x.nh, len(l4)))
			return
		}
		x.nat.rewrite(x.proto, l4, true)
		p := l4[header.TCPCsum : header.TCPCsum+2]
		binary.BigEndian.PutUint16(p, x.swap(binary.BigEndian.Uint16(p)))
	case header.ProtoUDP:
		p := l4[header.UDPCsum : header.UDPCsum+2]
		if x.amend {
			x.nat.rewrite(x.proto, l4, false)
			c := ^checksum.Checksum(l4, x.pseudo6(x.nh, len(l4)))
			if c == 0 {
				c = 0xffff
			}
			binary.BigEndian.PutUint16(p, c)
			t.Counters.Events[EvUDPChecksumAmended]++
			return
		}
		if whole && isPartial(l4, header.UDPCsum, x.pseudo4(x.proto, len(l4))) {
			x.nat.rewrite(x.proto, l4, false)
			t.complete(l4, header.UDPCsum, x.pseudo6(x.nh, len(l4)))
			return
		}
		x.nat.rewrite(x.proto, l4, true)
		c := x.swap(binary.BigEndian.Uint16(p))
		if c == 0 {
			c = 0xffff // 0 means "no checksum" in UDP
		}
		binary.BigEndian.PutUint16(p, c)
	case header.ProtoICMP:
		x.nat.rewrite(x.proto, l4, true)
		echo46(l4, x.pseudo6(header.ProtoICMPv6, len(l4)))
	}
}

// echo46 turns an ICMPv4 Echo or Echo Reply (the first bytes of l4) into
// ICMPv6 (8 -> 128, 0 -> 129). The ICMPv6 checksum also covers the
// pseudo-header (folded sum ph6), which ICMPv4's did not (RFC 7915 4.2).
func echo46(l4 []byte, ph6 uint16) {
	ic := (*[header.ICMPLen]byte)(l4[:header.ICMPLen])
	old := binary.BigEndian.Uint16(ic[0:])
	if header.ICMPv4Type(ic[header.ICMPType]) == header.ICMPv4Echo {
		ic[header.ICMPType] = uint8(header.ICMPv6EchoRequest)
	} else {
		ic[header.ICMPType] = uint8(header.ICMPv6EchoReply)
	}
	c := checksum.Adjust(binary.BigEndian.Uint16(ic[header.ICMPCsum:]), old,
		checksum.Combine(ph6, binary.BigEndian.Uint16(ic[0:])))
	binary.BigEndian.PutUint16(ic[header.ICMPCsum:], c)
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
