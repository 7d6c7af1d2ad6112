package batch

// ICMPv6 error messages -> ICMPv4 (RFC 7915 sections 5.2 and 5.3).
//
// The packet in error is translated one level deep, in place like the
// outer packet: its upper-layer bytes stay where they are, the inner IPv4
// header is written over the tail of the inner IPv6 header, and the ICMPv4
// header, outer IPv4 header and Ethernet type go in front of it. Outer and
// inner header fields are all read before the first write. The ICMPv4
// checksum is recomputed (no pseudo-header); the inner L4 checksum is
// updated incrementally. The result is at most 576 bytes, with the RFC 4884
// extension (if any) kept behind an original-datagram field of at least
// 128 bytes, measured in 4-byte units, as Jool does (corpus ia/ib/ic rows).

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// err4HdrLen is the length of the outer IPv4 and ICMPv4 headers.
const err4HdrLen = header.IPv4MinLen + header.ICMPLen

// icmpError64 translates the ICMPv6 error in x (outer addresses mapped,
// hop limit checked) to an ICMPv4 error: type and code, the packet in
// error through the same parse and address steps (mirrored), the Packet
// Too Big MTU, the inner checksum, then the layout and the headers.
func (t *Translator) icmpError64(f *Frame, x *pkt64) {
	icmp := x.l4

	// The checksum is recomputed below: verify it first, so a corrupted
	// error is not turned into a valid one.
	if checksum.Checksum(icmp, x.pseudo6(header.ProtoICMPv6, len(icmp))) != 0xffff {
		t.drop(f, ReasonICMPBadChecksum)
		return
	}
	typ, code, rest, hasLen, ok := icmpType64(header.ICMP(icmp))
	if !ok {
		t.drop(f, ReasonICMPUntranslatable)
		return
	}

	// The original datagram field and the RFC 4884 extension.
	in := icmp[header.ICMPLen:]
	op, ext := in, in[len(in):]
	if hasLen {
		if ipl := int(icmp[header.ICMPLength6]) * 8; ipl != 0 && ipl != len(in) {
			if ipl > len(in) {
				t.drop(f, ReasonICMPBadExtension)
				return
			}
			op, ext = in[:ipl], in[ipl:]
		}
	}

	// The packet in error: parsed, checked and mapped like the outer one.
	var y pkt64
	ilen, r := parseInner64(op, &y)
	if r == ReasonNone {
		y.nat.err = x.nat.err
		r = t.addresses64(&y.addrs64)
	}
	if r != ReasonNone {
		t.drop(f, r)
		return
	}
	if x.nat.err {
		// NAT64 (RFC 6146 3.5.4): the error comes from the pool4
		// address the quoted packet was sent to.
		if y.nat.handoff {
			t.handoff(f, y.nat.owner)
			return
		}
		x.src4 = y.dst4
	}

	if header.ICMPv6Type(icmp[header.ICMPType]) == header.ICMPv6PacketTooBig {
		mtu, ok := packetTooBig64(binary.BigEndian.Uint32(icmp[header.ICMPRest:]), y.e.frag != 0, t.cfg.mtu4(), t.cfg.MTU6)
		if !ok {
			t.drop(f, ReasonICMPBadMTU)
			return
		}
		binary.BigEndian.PutUint16(rest[2:], mtu)
	}

	if y.first {
		innerChecksum64(&y, ilen)
	}

	if header.IPv4MinLen+ilen > 0xffff {
		t.drop(f, ReasonICMPBadInner) // not representable in IPv4
		return
	}
	// Sizes (Jool's handle_icmp_extension and 576-byte cap).
	op4 := header.IPv4MinLen + len(y.l4) // translated original-datagram field
	out, pad, iel := icmp4Layout(op4, len(ext))
	if iel != 0 {
		rest[1] = uint8((out + pad) / 4)
	}
	// Positions in f.Buf. a is where the inner upper layer starts.
	a := f.Off + header.EthernetLen + x.e.l4 + header.ICMPLen + y.e.l4
	if a-header.IPv4MinLen+out+pad+iel > len(f.Buf) {
		t.drop(f, ReasonTooBig)
		return
	}
	if out < op4 || iel < len(ext) {
		t.Counters.Events[EvICMPTruncated]++
	}
	if iel > 0 {
		// Move the extension behind the (truncated or padded) original
		// datagram field, then zero the padding.
		es := f.Off + header.EthernetLen + len(x.ip) - len(ext)
		ed := a - header.IPv4MinLen + out + pad
		copy(f.Buf[ed:ed+iel], f.Buf[es:es+iel])
		clear(f.Buf[ed-pad : ed])
	}
	t.writeError64(f, x, &y, a, header.IPv4MinLen+ilen, out+pad+iel, typ, code, rest)
	t.finish64(f, y.hairpin)
}

// writeError64 writes the headers of a translated ICMPv6 error in front of
// the inner upper layer, which starts at a in f.Buf: the inner IPv4 header
// (total length itot, hop limit not decremented, RFC 7915 5.3), the
// ICMPv4 header and its checksum over the n bytes of translated original
// datagram (and extension) that follow, and the outer IPv4 header (DF never
// set: the result is at most 576 bytes, RFC 7915 5.1 sets DF above 1260).
func (t *Translator) writeError64(f *Frame, x, y *pkt64, a, itot, n int, typ header.ICMPv4Type, code header.ICMPv4Code, rest [4]byte) {
	iproto := y.proto
	if iproto == header.ProtoICMPv6 {
		iproto = header.ProtoICMP
	}
	var iid, ifo uint16
	if y.e.frag != 0 {
		iid = uint16(y.e.id)
		ifo = y.e.fragOff
		if y.e.mf {
			ifo |= header.IPv4FlagMF
		}
	} else if itot > df6to4Limit {
		ifo = header.IPv4FlagDF
	}
	var id uint16
	if x.e.frag != 0 { // atomic fragment (real fragments were dropped)
		id = uint16(x.e.id)
	} else {
		id = t.nextID()
	}
	// Both TOS values are read before anything is overwritten.
	itos, tos := t.tos64(y.ip), t.tos64(x.ip)
	ittl, hop := y.hop, x.hop-1 // the outer hop limit decremented once, also when hairpinning

	off := a - header.IPv4MinLen - err4HdrLen - header.EthernetLen
	b := f.Buf[off : a-header.IPv4MinLen+n]
	writeIPv4((*[header.IPv4MinLen]byte)(b[header.EthernetLen+err4HdrLen:]),
		itos, uint16(itot), iid, ifo, ittl, iproto, &y.src4, &y.dst4)
	writeIPv4((*[header.IPv4MinLen]byte)(b[header.EthernetLen:]),
		tos, uint16(len(b)-header.EthernetLen), id, 0, hop, header.ProtoICMP, &x.src4, &x.dst4)
	ic := b[header.EthernetLen+header.IPv4MinLen:]
	ic[header.ICMPType] = uint8(typ)
	ic[header.ICMPCode] = uint8(code)
	ic[2], ic[3] = 0, 0
	copy(ic[header.ICMPRest:header.ICMPRest+4], rest[:])
	binary.BigEndian.PutUint16(ic[header.ICMPCsum:], ^checksum.Checksum(ic, 0))
	binary.BigEndian.PutUint16(b[header.EthType:], header.EtherTypeIPv4)
	f.Off = off
	f.Len = len(b)
}

// icmpType64 maps an ICMPv6 error's type and code to ICMPv4 (RFC 7915
// section 5.2) with the first bytes of the rest of the header (the
// Parameter Problem pointer; the Packet Too Big MTU is filled in later).
// hasLen says whether the ICMPv6 message has an RFC 4884 length field.
func icmpType64(icmp header.ICMP) (typ header.ICMPv4Type, code header.ICMPv4Code, rest [4]byte, hasLen, ok bool) {
	switch icmp.Type6() {
	case header.ICMPv6DstUnreachable:
		switch icmp.Code6() {
		case header.ICMPv6NoRoute, header.ICMPv6BeyondScope, header.ICMPv6AddressUnreachable:
			return header.ICMPv4DstUnreachable, header.ICMPv4HostUnreachable, rest, true, true
		case header.ICMPv6AdminProhibited:
			return header.ICMPv4DstUnreachable, header.ICMPv4HostProhibited, rest, true, true
		case header.ICMPv6PortUnreachable:
			return header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, rest, true, true
		}
	case header.ICMPv6PacketTooBig:
		return header.ICMPv4DstUnreachable, header.ICMPv4FragNeeded, rest, false, true
	case header.ICMPv6TimeExceeded: // code unchanged
		return header.ICMPv4TimeExceeded, header.ICMPv4Code(icmp.Code6()), rest, true, true
	case header.ICMPv6ParamProblem:
		switch icmp.Code6() {
		case header.ICMPv6ErroneousHeader:
			p, ok := paramPtr64(binary.BigEndian.Uint32(icmp[header.ICMPRest:]))
			rest[0] = p
			return header.ICMPv4ParamProblem, header.ICMPv4ParamPointer, rest, false, ok
		case header.ICMPv6UnknownNextHeader:
			return header.ICMPv4DstUnreachable, header.ICMPv4ProtoUnreachable, rest, false, true
		}
	}
	return 0, 0, rest, false, false
}

// packetTooBig64 is the MTU of a translated Packet Too Big (RFC 7915
// section 5.2): "The MTU field MUST be adjusted for the difference between
// the IPv4 and IPv6 header sizes, taking into account whether or not the
// packet in error includes a Fragment Header, i.e., minimum(advertised
// MTU-20, MTU_of_IPv4_nexthop, (MTU_of_IPv6_nexthop)-20)." mtu6 <= 0 is
// no IPv6 limit. ok is false when the result is below the 68 bytes every
// IPv4 link carries (RFC 791).
func packetTooBig64(advertised uint32, fragHdr bool, mtu4, mtu6 int) (mtu uint16, ok bool) {
	d := header.IPv6Len - header.IPv4MinLen
	if fragHdr {
		d += header.IPv6FragmentLen
	}
	m := min(int(advertised)-d, mtu4)
	if mtu6 > 0 {
		m = min(m, mtu6-d)
	}
	if m < header.IPv4MinMTU {
		return 0, false
	}
	return uint16(min(m, 0xffff)), true
}

// icmp4Layout sizes a translated ICMPv4 error (Jool's handle_icmp_extension
// and 576-byte cap): op4 bytes of translated original datagram and an RFC
// 4884 extension of extLen bytes become out bytes of original datagram,
// pad bytes of padding and iel bytes of extension (0 when there is none or
// it does not fit beside 128 bytes of original datagram).
func icmp4Layout(op4, extLen int) (out, pad, iel int) {
	const room = header.ICMPv4ErrorMax - err4HdrLen
	if extLen == 0 || extLen > room-rfc4884Min {
		return min(op4, room), 0, 0
	}
	out = min(op4, room-extLen) &^ 3
	if out < rfc4884Min {
		pad = rfc4884Min - out
	}
	return out, pad, extLen
}

// parseInner64 checks the packet inside an ICMPv6 error (op, possibly
// truncated), walks its extension headers and fills y for the address
// step. ilen is the length of its upper layer as its header says.
func parseInner64(op []byte, y *pkt64) (ilen int, r Reason) {
	if len(op) < header.IPv6Len || op[0]>>4 != 6 {
		return 0, ReasonICMPBadInner
	}
	ie := &y.e
	switch nh := op[header.IPv6NextHeader]; nh {
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment, header.ProtoDestOpts:
		if walkChain6(op, ie, true) != ReasonNone {
			return 0, ReasonICMPBadInner
		}
	default:
		ie.l4, ie.proto = header.IPv6Len, nh
	}
	y.ip = op
	y.hop = op[header.IPv6HopLimit]
	y.src6 = (*[16]byte)(op[header.IPv6Src : header.IPv6Src+16])
	y.dst6 = (*[16]byte)(op[header.IPv6Dst : header.IPv6Dst+16])
	y.proto = ie.proto
	y.first = ie.firstOrWhole()
	y.l4 = op[ie.l4:]
	y.inner = true
	ilen = int(binary.BigEndian.Uint16(op[header.IPv6PayloadLen:])) + header.IPv6Len - ie.l4
	if ilen < 0 {
		return 0, ReasonICMPBadInner
	}
	if y.proto == header.ProtoICMPv6 && y.first && len(y.l4) > 0 {
		typ := header.ICMPv6Type(y.l4[header.ICMPType])
		if typ.IsError() {
			// RFC 7915 5.3: "This process MUST stop at the first
			// embedded header and drop the packet if it contains more
			// embedded headers."
			return 0, ReasonICMPErrorInError
		}
		if typ != header.ICMPv6EchoRequest && typ != header.ICMPv6EchoReply {
			return 0, ReasonICMPUntranslatable
		}
	}
	return ilen, ReasonNone
}

// innerChecksum64 updates the upper-layer checksum of the packet in error
// y (first fragment, whose upper layer is ilen bytes long), where the
// quote holds it.
func innerChecksum64(y *pkt64, ilen int) {
	il4 := y.l4
	y.nat.rewrite(y.proto, il4, true)
	switch y.proto {
	case header.ProtoTCP:
		if len(il4) >= header.TCPCsum+2 {
			c := y.swap(binary.BigEndian.Uint16(il4[header.TCPCsum:]))
			binary.BigEndian.PutUint16(il4[header.TCPCsum:], c)
		}
	case header.ProtoUDP:
		if len(il4) >= header.UDPCsum+2 {
			if old := binary.BigEndian.Uint16(il4[header.UDPCsum:]); old != 0 {
				c := y.swap(old)
				if c == 0 {
					c = 0xffff
				}
				binary.BigEndian.PutUint16(il4[header.UDPCsum:], c)
			}
		}
	case header.ProtoICMPv6:
		if len(il4) >= header.ICMPCsum+2 {
			echo64(il4, y.pseudo6(header.ProtoICMPv6, ilen))
		}
	}
}

// paramPtr64 maps an ICMPv6 Parameter Problem pointer to ICMPv4 (RFC 7915
// section 5.2, Figure 6). "If the Original IPv6 Pointer Value is not
// listed or the translated IPv4 Pointer Value is listed as "n/a", silently
// drop the packet."
func paramPtr64(p uint32) (uint8, bool) {
	switch {
	case p == 0: // Version/Traffic Class -> Version/IHL, Type Of Service
		return 0, true
	case p == 1: // Traffic Class/Flow Label -> Type Of Service
		return 1, true
	case p == 2 || p == 3: // Flow Label -> n/a
		return 0, false
	case p == 4 || p == 5: // Payload Length -> Total Length
		return 2, true
	case p == 6: // Next Header -> Protocol
		return 9, true
	case p == 7: // Hop Limit -> Time to Live
		return 8, true
	case p < 24: // Source Address
		return 12, true
	case p < 40: // Destination Address
		return 16, true
	}
	return 0, false
}
