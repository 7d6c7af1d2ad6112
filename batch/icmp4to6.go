package batch

// ICMPv4 error messages to ICMPv6 (RFC 7915 sections 4.2 and 4.3, RFC 4884).
//
// In place: the outer IPv4 header, the ICMPv4 header and the inner IPv4
// header are replaced by the outer IPv6 header, the ICMPv6 header and the
// inner IPv6 header (plus a Fragment header when the inner packet was a
// fragment), all written in front of the inner L4 header, which does not
// move. The message is then cut to 1280 bytes (RFC 4443 section 2.4 (c))
// and an RFC 4884 extension, if any, moved behind the translated original
// datagram, re-padded to 8-byte units.
//
// Echo and Echo Reply, the only query messages RFC 7915 translates, are on
// the fast path in 4to6.go.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// rfc4884Min is the smallest "original datagram" field of an ICMP message
// with extensions (RFC 4884 section 4.1: "at least 128 octets").
const rfc4884Min = 128

// mtuPlateaus are RFC 1191 section 7's plateaus, used when a router sent
// Fragmentation Needed with a zero MTU (RFC 7915 section 4.2).
var mtuPlateaus = [...]uint16{65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68}

// paramPtr46 is RFC 7915 Figure 3: IPv4 Parameter Problem pointer ->
// IPv6 pointer; 0xff = "n/a" (the message is silently dropped).
var paramPtr46 = [20]uint8{
	0, 1, 4, 4, // Version/IHL, TOS, Total Length
	0xff, 0xff, 0xff, 0xff, // Identification, Flags/Fragment Offset
	7, 6, 0xff, 0xff, // TTL, Protocol, Header Checksum
	8, 8, 8, 8, // Source Address
	24, 24, 24, 24, // Destination Address
}

// icmpType46 maps an ICMPv4 error's type and code to ICMPv6 (RFC 7915
// section 4.2) with the 32-bit rest of the header (the Parameter Problem
// pointer; the Packet Too Big MTU is filled in later). ext says whether
// the ICMPv6 message can carry an RFC 4884 extension, ptb whether it is
// Packet Too Big.
func icmpType46(icmp header.ICMP) (typ header.ICMPv6Type, code header.ICMPv6Code, rest uint32, ext, ptb, ok bool) {
	switch icmp.Type4() {
	case header.ICMPv4DstUnreachable:
		switch icmp.Code4() {
		case header.ICMPv4NetUnreachable, header.ICMPv4HostUnreachable, header.ICMPv4SourceRouteFailed,
			header.ICMPv4DstNetUnknown, header.ICMPv4DstHostUnknown, header.ICMPv4SrcHostIsolated,
			header.ICMPv4NetUnreachableTOS, header.ICMPv4HostUnreachableTOS:
			return header.ICMPv6DstUnreachable, header.ICMPv6NoRoute, 0, true, false, true
		case header.ICMPv4ProtoUnreachable: // -> Parameter Problem, Next Header
			return header.ICMPv6ParamProblem, header.ICMPv6UnknownNextHeader, header.IPv6NextHeader, false, false, true
		case header.ICMPv4PortUnreachable:
			return header.ICMPv6DstUnreachable, header.ICMPv6PortUnreachable, 0, true, false, true
		case header.ICMPv4FragNeeded:
			return header.ICMPv6PacketTooBig, 0, 0, false, true, true
		case header.ICMPv4NetProhibited, header.ICMPv4HostProhibited, header.ICMPv4AdminProhibited,
			header.ICMPv4PrecedenceCutoff:
			return header.ICMPv6DstUnreachable, header.ICMPv6AdminProhibited, 0, true, false, true
		}
		// Host Precedence Violation and unknown codes: dropped.
	case header.ICMPv4TimeExceeded: // code unchanged
		return header.ICMPv6TimeExceeded, header.ICMPv6Code(icmp.Code4()), 0, true, false, true
	case header.ICMPv4ParamProblem:
		if c := icmp.Code4(); c != header.ICMPv4ParamPointer && c != header.ICMPv4ParamBadLength {
			break
		}
		if p := icmp[header.ICMPPointer4]; int(p) < len(paramPtr46) && paramPtr46[p] != 0xff {
			return header.ICMPv6ParamProblem, header.ICMPv6ErroneousHeader, uint32(paramPtr46[p]), false, false, true
		}
	}
	// Source Quench, Redirect, ...
	return 0, 0, 0, false, false, false
}

// packetTooBig46 is the MTU of a translated Fragmentation Needed (RFC 7915
// section 4.2): "minimum(advertised MTU+20, MTU_of_IPv6_nexthop,
// (MTU_of_IPv4_nexthop)+20)", with RFC 1191's plateaus below the quoted
// packet's length tot when the router sent 0, and never below the IPv6
// minimum MTU (RFC 8200 section 5). mtu4, mtu6 <= 0 are no limit.
func packetTooBig46(advertised uint16, tot, mtu4, mtu6 int) uint32 {
	mtu := int(advertised)
	if mtu == 0 {
		for _, pl := range mtuPlateaus {
			if int(pl) < tot {
				mtu = int(pl)
				break
			}
		}
	}
	res := mtu + header.IPv6Len - header.IPv4MinLen
	if mtu6 > 0 {
		res = min(res, mtu6)
	}
	if mtu4 > 0 {
		res = min(res, mtu4+header.IPv6Len-header.IPv4MinLen)
	}
	return uint32(max(res, header.IPv6MinMTU))
}

// icmp6Layout sizes a translated ICMPv6 error: opOut bytes of translated
// original datagram and an RFC 4884 extension of extLen bytes (0: none)
// become out bytes of original datagram, pad bytes of padding and iel
// bytes of extension, within 1280 bytes (RFC 4443 section 2.4 (c)). The
// extension is removed when the ICMPv6 type cannot carry one (ext false)
// or it does not fit beside 128 bytes of original datagram.
func icmp6Layout(opOut, extLen int, ext bool) (out, pad, iel int) {
	const room = header.IPv6MinMTU - header.IPv6Len - header.ICMPLen
	if extLen == 0 || !ext || extLen > room-rfc4884Min {
		return min(opOut, room), 0, 0
	}
	out = (min(opOut+extLen, room) - extLen) &^ 7
	if out < rfc4884Min {
		pad = rfc4884Min - out
	}
	return out, pad, extLen
}

// inner46 is the packet inside an ICMPv4 error.
type inner46 struct {
	addrs46
	ihl, tot int // its header length and total length
	ipl      int // RFC 4884 length of the original datagram field (0: no extension)
	avail    int // bytes of the original datagram present
	fragOff  uint16
	mf       bool
}

// parseInner46 checks the packet inside an ICMPv4 error (p: from its IPv4
// header to the end of the message) and fills y for the address step.
// ipl4884 is the message's RFC 4884 length field, in bytes.
func parseInner46(p []byte, ipl4884 int, y *inner46) Reason {
	if len(p) < header.IPv4MinLen {
		return ReasonICMPBadInner
	}
	y.ihl = int(p[0]&0x0f) << 2
	if p[0]>>4 != 4 || y.ihl < header.IPv4MinLen || y.ihl > len(p) {
		return ReasonICMPBadInner
	}
	y.tot = int(binary.BigEndian.Uint16(p[header.IPv4TotalLen:]))
	if y.tot < y.ihl {
		return ReasonICMPBadInner
	}
	y.ipl = ipl4884
	if y.ipl == len(p) {
		y.ipl = 0
	}
	if y.ipl > len(p) || y.ipl != 0 && y.ipl < y.ihl {
		return ReasonICMPBadExtension
	}
	y.avail = len(p)
	if y.ipl != 0 {
		y.avail = y.ipl
	}
	fo := binary.BigEndian.Uint16(p[header.IPv4FlagsOff:])
	y.fragOff = fo & header.IPv4OffsetMask
	y.mf = fo&header.IPv4FlagMF != 0
	y.proto = p[header.IPv4Proto]
	y.first = y.fragOff == 0
	y.l4 = p[y.ihl:y.avail]
	y.inner = true
	if y.proto == header.ProtoICMP && y.first && len(y.l4) > 0 {
		typ := header.ICMPv4Type(y.l4[header.ICMPType])
		if typ.IsError() {
			return ReasonICMPErrorInError
		}
		if typ != header.ICMPv4Echo && typ != header.ICMPv4EchoReply {
			return ReasonICMPUntranslatable
		}
	}
	y.src4 = [4]byte(p[header.IPv4Src : header.IPv4Src+4])
	y.dst4 = [4]byte(p[header.IPv4Dst : header.IPv4Dst+4])
	return ReasonNone
}

// innerChecksum46 updates the upper-layer checksum of the packet in error
// y, where the quote holds it (first fragment only).
func innerChecksum46(y *inner46) {
	l4 := y.l4
	y.nat.rewrite(y.proto, l4, true)
	switch y.proto {
	case header.ProtoTCP:
		if len(l4) >= header.TCPCsum+2 {
			p := l4[header.TCPCsum : header.TCPCsum+2]
			binary.BigEndian.PutUint16(p, y.swap(binary.BigEndian.Uint16(p)))
		}
	case header.ProtoUDP:
		if len(l4) >= header.UDPCsum+2 {
			p := l4[header.UDPCsum : header.UDPCsum+2]
			if c := binary.BigEndian.Uint16(p); c != 0 {
				c = y.swap(c)
				if c == 0 {
					c = 0xffff
				}
				binary.BigEndian.PutUint16(p, c)
			}
		}
	case header.ProtoICMP:
		if len(l4) >= header.ICMPCsum+2 {
			echo46(l4, y.pseudo6(header.ProtoICMPv6, y.tot-y.ihl))
		}
	}
}

// icmpError46 translates the ICMPv4 error in f. x holds the outer header,
// addresses already mapped (the source possibly from the RFC 6791 pool)
// and the hop limit decremented: type and code, the packet in error
// through the same parse and address steps (mirrored), the Packet Too Big
// MTU, the layout, the inner checksum, then the headers.
func (t *Translator) icmpError46(f *Frame, x *pkt46) {
	b := f.Buf
	if x.mf {
		t.drop(f, ReasonICMPFragmented)
		return
	}
	ic := x.l4off
	end := x.ip + x.tot
	if x.plen < header.ICMPLen {
		t.drop(f, ReasonBadL4Header)
		return
	}
	// The checksum is recomputed below: do not turn a corrupt ICMPv4
	// error into a valid ICMPv6 one.
	if checksum.Checksum(b[ic:end], 0) != 0xffff {
		t.drop(f, ReasonICMPBadChecksum)
		return
	}
	ntyp, ncode, rest, ext, ptb, ok := icmpType46(header.ICMP(b[ic:end]))
	if !ok {
		t.drop(f, ReasonICMPUntranslatable)
		return
	}

	// The inner IPv4 packet (RFC 7915 section 4.3).
	in := ic + header.ICMPLen
	var y inner46
	r := parseInner46(b[in:end:end], int(b[ic+header.ICMPLength4])*4, &y)
	if r == ReasonNone {
		y.nat.err = x.nat.err
		r = t.addresses46(&y.addrs46)
	}
	if r != ReasonNone {
		t.drop(f, r)
		return
	}
	if x.nat.err {
		// NAT64 (RFC 6146 3.5.4): the error goes to the IPv6 node the
		// quoted packet came from.
		if y.nat.handoff {
			t.handoff(f, y.nat.owner)
			return
		}
		x.dst6 = y.src6
	}
	if ptb {
		rest = packetTooBig46(binary.BigEndian.Uint16(b[ic+header.ICMPNextHopMTU:]), y.tot, t.cfg.MTU4, t.cfg.MTU6)
	}

	var l layout46
	if r := layoutError46(x, &y, ext, len(b), &l); r != ReasonNone {
		t.drop(f, r)
		return
	}
	if l.truncated {
		t.Counters.Events[EvICMPTruncated]++
	}
	if y.first {
		innerChecksum46(&y)
	}
	t.writeError46(f, x, &y, &l, ntyp, ncode, rest)
	t.count46()
}

// layout46 is where the parts of a translated ICMPv4 error go, as offsets
// in the frame's buffer: the inner upper layer (l4at) does not move, the
// inner IPv6 header (i6), the ICMPv6 header (c6) and the outer headers
// (off, the new frame start) go in front of it.
type layout46 struct {
	in, end       int // the inner IPv4 header and the end of the ICMPv4 message
	l4at, i6, c6  int
	off           int
	fh            int  // Fragment header of the inner packet: 0 or 8
	out, pad, iel int  // original datagram, its padding, RFC 4884 extension (icmp6Layout)
	icmpLen       int  // length of the ICMPv6 message
	truncated     bool // original datagram cut or extension removed
}

// layoutError46 places the translated ICMPv4 error in x, with the packet in
// error y, in a buffer of n bytes (ext: the ICMPv6 type can carry an RFC
// 4884 extension).
func layoutError46(x *pkt46, y *inner46, ext bool, n int, l *layout46) Reason {
	l.in = x.l4off + header.ICMPLen
	l.end = x.ip + x.tot
	if y.mf || y.fragOff != 0 {
		l.fh = header.IPv6FragmentLen
	}
	l.l4at = l.in + y.ihl
	l.i6 = l.l4at - header.IPv6Len - l.fh
	l.c6 = l.i6 - header.ICMPLen
	l.off = l.c6 - header.IPv6Len - header.EthernetLen
	if l.off < 0 {
		return ReasonTooBig
	}
	opOut := y.avail + header.IPv6Len + l.fh - y.ihl // translated original datagram
	extLen := 0
	if y.ipl != 0 {
		extLen = l.end - l.in - y.ipl
	}
	l.out, l.pad, l.iel = icmp6Layout(opOut, extLen, ext)
	l.icmpLen = header.ICMPLen + l.out + l.pad + l.iel
	if l.c6+l.icmpLen > n {
		return ReasonTooBig
	}
	l.truncated = l.out < opOut || y.ipl != 0 && l.iel == 0
	return ReasonNone
}

// writeError46 writes the translated ICMPv4 error laid out in l: the RFC
// 4884 extension moved behind the original datagram, the inner IPv6 header
// (hop limit unchanged, RFC 7915 section 4.3), the ICMPv6 header, the outer
// IPv6 header and the ICMPv6 checksum.
func (t *Translator) writeError46(f *Frame, x *pkt46, y *inner46, l *layout46, typ header.ICMPv6Type, code header.ICMPv6Code, rest uint32) {
	b := f.Buf
	// Inner header fields, read before anything in front of l4at is
	// overwritten.
	p := b[l.in:l.end]
	tos2, ttl2 := p[header.IPv4TOS], p[header.IPv4TTL]
	id2 := binary.BigEndian.Uint16(p[header.IPv4ID:])
	nh2 := y.proto
	if nh2 == header.ProtoICMP {
		nh2 = header.ProtoICMPv6
	}

	// Extension behind the (truncated or padded) original datagram.
	if l.iel != 0 {
		dst := l.i6 + l.out + l.pad
		copy(b[dst:dst+l.iel], b[l.in+y.ipl:l.in+y.ipl+l.iel])
		clear(b[l.i6+l.out : dst])
		rest = uint32((l.out+l.pad)/8) << 24
	}

	copy(b[l.off:l.off+12], b[f.Off:f.Off+12])
	binary.BigEndian.PutUint16(b[l.off+header.EthType:], header.EtherTypeIPv6)

	o := (*[header.IPv6Len]byte)(b[l.i6 : l.i6+header.IPv6Len])
	if l.fh != 0 {
		putIPv6(o, t.tc46(tos2), uint16(y.tot-y.ihl+l.fh), header.ProtoFragment, ttl2, &y.src6, &y.dst6)
		writeFragment6((*[header.IPv6FragmentLen]byte)(b[l.i6+header.IPv6Len:l.l4at]), nh2, y.fragOff, y.mf, id2)
	} else {
		putIPv6(o, t.tc46(tos2), uint16(y.tot-y.ihl), nh2, ttl2, &y.src6, &y.dst6)
	}

	c := b[l.c6 : l.c6+header.ICMPLen]
	c[header.ICMPType] = uint8(typ)
	c[header.ICMPCode] = uint8(code)
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], 0)
	binary.BigEndian.PutUint32(c[header.ICMPRest:], rest)

	v6 := l.off + header.EthernetLen
	putIPv6((*[header.IPv6Len]byte)(b[v6:v6+header.IPv6Len]), t.tc46(x.tos), uint16(l.icmpLen), header.ProtoICMPv6, x.ttl, &x.src6, &x.dst6)
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], ^checksum.Checksum(b[l.c6:l.c6+l.icmpLen], x.pseudo6(header.ProtoICMPv6, l.icmpLen)))

	f.Off = l.off
	f.Len = header.EthernetLen + header.IPv6Len + l.icmpLen
	f.Verdict = To6
}
