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
	"github.com/xlatd/xlatd/mapping"
)

const (
	icmp4Max     = 576 // RFC 1812 4.3.2.3: an ICMPv4 error is at most 576 bytes
	rfc4884MinOP = 128 // RFC 4884 section 4: original datagram field of at least 128 bytes
	err4HdrLen   = header.IPv4MinLen + header.ICMPLen
)

// icmpError64 translates the ICMPv6 error in f (ip is its IPv6 packet, e
// its header chain) to an ICMPv4 error from src4 to dst4.
func (t *Translator) icmpError64(f *Frame, ip []byte, e *chain6, src4, dst4 *[4]byte) {
	cfg := t.cfg
	icmp := ip[e.l4:]

	// The checksum is recomputed below: verify it first, so a corrupted
	// error is not turned into a valid one.
	ph := checksum.PseudoHeader6(ip[header.IPv6Src:], ip[header.IPv6Dst:], header.ProtoICMPv6, uint32(len(icmp)))
	if checksum.Checksum(icmp, ph) != 0xffff {
		t.drop(f, ReasonICMPBadChecksum)
		return
	}

	// Type and code (RFC 7915 section 5.2).
	var typ, code uint8
	var rest [4]byte
	hasLen := false // RFC 4884 length field
	switch icmp[0] {
	case ty6DstUnreach:
		typ = ty4DstUnreach
		hasLen = true
		switch icmp[1] {
		case 0, 2, 3: // no route, beyond scope, address unreachable
			code = 1 // host unreachable
		case 1: // administratively prohibited
			code = 10 // host administratively prohibited
		case 4: // port unreachable
			code = 3
		default:
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
	case ty6PacketTooBig:
		typ, code = ty4DstUnreach, code4FragNeeded // MTU filled in below
	case ty6TimeExceeded:
		typ, code = ty4TimeExceeded, icmp[1]
		hasLen = true
	case ty6ParamProblem:
		switch icmp[1] {
		case 0:
			p, ok := paramPtr64(binary.BigEndian.Uint32(icmp[4:]))
			if !ok {
				t.drop(f, ReasonICMPUntranslatable)
				return
			}
			typ, code = ty4ParamProblem, 0
			rest[0] = p
		case 1: // unrecognized Next Header
			typ, code = ty4DstUnreach, code4ProtoUnreach
		default:
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
	default:
		t.drop(f, ReasonICMPUntranslatable)
		return
	}

	// The original datagram field and the RFC 4884 extension.
	in := icmp[header.ICMPLen:]
	op, ext := in, in[len(in):]
	if hasLen {
		if ipl := int(icmp[4]) * 8; ipl != 0 && ipl != len(in) {
			if ipl > len(in) {
				t.drop(f, ReasonICMPBadExtension)
				return
			}
			op, ext = in[:ipl], in[ipl:]
		}
	}

	// The packet in error.
	if len(op) < header.IPv6Len || op[0]>>4 != 6 {
		t.drop(f, ReasonICMPBadInner)
		return
	}
	var ie chain6
	switch nh := op[header.IPv6NextHeader]; nh {
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment, header.ProtoDestOpts:
		if walkChain6(op, &ie, true) != ReasonNone {
			t.drop(f, ReasonICMPBadInner)
			return
		}
	default:
		ie.l4, ie.proto = header.IPv6Len, nh
	}
	il4 := op[ie.l4:]
	iproto := ie.proto
	// Length of the inner upper layer as the inner header says (the quote
	// may be truncated).
	ilen := int(binary.BigEndian.Uint16(op[header.IPv6PayloadLen:])) + header.IPv6Len - ie.l4
	if ilen < 0 {
		t.drop(f, ReasonICMPBadInner)
		return
	}
	if iproto == header.ProtoICMPv6 {
		iproto = header.ProtoICMP
		if ie.firstOrWhole() && len(il4) > 0 {
			if il4[0] < 128 {
				// RFC 7915 5.3: "This process MUST stop at the first
				// embedded header and drop the packet if it contains more
				// embedded headers."
				t.drop(f, ReasonICMPErrorInError)
				return
			}
			if il4[0] != ty6EchoRequest && il4[0] != ty6EchoReply {
				t.drop(f, ReasonICMPUntranslatable)
				return
			}
		}
	}

	var isrc4, idst4 [4]byte
	m := cfg.Map
	if r := m.To4((*[16]byte)(op[header.IPv6Src:header.IPv6Src+16]), &isrc4); r != mapping.OK {
		t.drop(f, mapReason6(r))
		return
	}
	if r := m.To4((*[16]byte)(op[header.IPv6Dst:header.IPv6Dst+16]), &idst4); r != mapping.OK {
		t.drop(f, mapReason6(r))
		return
	}
	// The packet in error travelled the other way: it is hairpinned when
	// its source was translated through pool6 into an EAMT IPv4 range.
	hairpin := hairpinned(m, (*[16]byte)(op[header.IPv6Src:header.IPv6Src+16]), &isrc4)

	if icmp[0] == ty6PacketTooBig {
		// RFC 7915 5.2: "The MTU field MUST be adjusted for the difference
		// between the IPv4 and IPv6 header sizes, taking into account
		// whether or not the packet in error includes a Fragment Header,
		// i.e., minimum(advertised MTU-20, MTU_of_IPv4_nexthop,
		// (MTU_of_IPv6_nexthop)-20)."
		d := header.IPv6Len - header.IPv4MinLen
		if ie.frag != 0 {
			d += header.IPv6FragmentLen
		}
		mtu := int(binary.BigEndian.Uint32(icmp[4:])) - d
		if m4 := cfg.mtu4(); m4 < mtu {
			mtu = m4
		}
		if m6 := cfg.MTU6; m6 > 0 && m6-d < mtu {
			mtu = m6 - d
		}
		if mtu < 68 { // RFC 791: every IPv4 link carries 68 bytes
			t.drop(f, ReasonICMPBadMTU)
			return
		}
		if mtu > 0xffff {
			mtu = 0xffff
		}
		binary.BigEndian.PutUint16(rest[2:], uint16(mtu))
	}

	// Inner upper-layer checksum, incrementally (first fragment only).
	if ie.firstOrWhole() {
		switch ie.proto {
		case header.ProtoTCP:
			if len(il4) >= header.TCPCsum+2 {
				c := pseudoSwap64(binary.BigEndian.Uint16(il4[header.TCPCsum:]), op[header.IPv6Src:header.IPv6Src+32], &isrc4, &idst4)
				binary.BigEndian.PutUint16(il4[header.TCPCsum:], c)
			}
		case header.ProtoUDP:
			if len(il4) >= header.UDPCsum+2 {
				if old := binary.BigEndian.Uint16(il4[header.UDPCsum:]); old != 0 {
					c := pseudoSwap64(old, op[header.IPv6Src:header.IPv6Src+32], &isrc4, &idst4)
					if c == 0 {
						c = 0xffff
					}
					binary.BigEndian.PutUint16(il4[header.UDPCsum:], c)
				}
			}
		case header.ProtoICMPv6:
			if len(il4) >= header.ICMPCsum+2 {
				nt := uint8(ty4EchoRequest)
				if il4[0] == ty6EchoReply {
					nt = ty4EchoReply
				}
				iph := checksum.PseudoHeader6(op[header.IPv6Src:], op[header.IPv6Dst:], header.ProtoICMPv6, uint32(ilen))
				old := uint16(il4[0])<<8 | uint16(il4[1])
				c := checksum.Adjust(binary.BigEndian.Uint16(il4[header.ICMPCsum:]),
					checksum.Combine(iph, old), uint16(nt)<<8|uint16(il4[1]))
				il4[0] = nt
				binary.BigEndian.PutUint16(il4[header.ICMPCsum:], c)
			}
		}
	}

	// Inner IPv4 header fields, read before anything is overwritten.
	itos := op[0]<<4 | op[1]>>4
	if cfg.ResetTOS {
		itos = cfg.TOS
	}
	itot := header.IPv4MinLen + ilen
	if itot > 0xffff {
		t.drop(f, ReasonICMPBadInner) // not representable in IPv4
		return
	}
	var iid, ifo uint16
	if ie.frag != 0 {
		iid = uint16(ie.id)
		ifo = ie.fragOff
		if ie.mf {
			ifo |= header.IPv4FlagMF
		}
	} else if itot > df6to4Limit {
		ifo = header.IPv4FlagDF
	}
	ittl := op[header.IPv6HopLimit] // RFC 7915 5.3: not decremented

	// Outer fields.
	tos := ip[0]<<4 | ip[1]>>4
	if cfg.ResetTOS {
		tos = cfg.TOS
	}
	hop := ip[header.IPv6HopLimit]
	hop-- // once, also when hairpinning (translate46 then leaves it alone)
	// DF: at most 576 bytes, so never set (RFC 7915 5.1: DF iff > 1260).
	var id, fo uint16
	if e.frag != 0 { // atomic fragment (real fragments were dropped)
		id = uint16(e.id)
	} else {
		id = t.nextID()
	}
	// Sizes (Jool's handle_icmp_extension and 576-byte cap).
	op4 := header.IPv4MinLen + len(il4) // translated original-datagram field
	out, pad, iel := op4, 0, 0
	if len(ext) == 0 {
		if out > icmp4Max-err4HdrLen {
			out = icmp4Max - err4HdrLen
		}
	} else if len(ext) > icmp4Max-err4HdrLen-rfc4884MinOP {
		// The extension does not fit: removed.
		if out > icmp4Max-err4HdrLen {
			out = icmp4Max - err4HdrLen
		}
	} else {
		iel = len(ext)
		if out > icmp4Max-err4HdrLen-iel {
			out = icmp4Max - err4HdrLen - iel
		}
		out &^= 3
		if out < rfc4884MinOP {
			pad = rfc4884MinOP - out
		}
		rest[1] = uint8((out + pad) / 4)
	}
	if out < op4 || iel < len(ext) {
		t.Counters.Events[EvICMPTruncated]++
	}

	// Positions in f.Buf. a is where the inner upper layer starts.
	a := f.Off + header.EthernetLen + e.l4 + header.ICMPLen + ie.l4
	off := a - header.IPv4MinLen - err4HdrLen - header.EthernetLen
	end := a - header.IPv4MinLen + out + pad + iel
	if end > len(f.Buf) {
		t.drop(f, ReasonTooBig)
		return
	}
	if iel > 0 {
		// Move the extension behind the (truncated or padded) original
		// datagram field, then zero the padding.
		es := f.Off + header.EthernetLen + len(ip) - len(ext)
		ed := a - header.IPv4MinLen + out + pad
		copy(f.Buf[ed:ed+iel], f.Buf[es:es+iel])
		clear(f.Buf[ed-pad : ed])
	}
	total := end - off - header.EthernetLen

	b := f.Buf[off:end]
	writeIPv4(b[header.EthernetLen+err4HdrLen:header.EthernetLen+err4HdrLen+header.IPv4MinLen],
		itos, uint16(itot), iid, ifo, ittl, iproto, &isrc4, &idst4)
	writeIPv4(b[header.EthernetLen:header.EthernetLen+header.IPv4MinLen],
		tos, uint16(total), id, fo, hop, header.ProtoICMP, src4, dst4)
	ic := b[header.EthernetLen+header.IPv4MinLen:]
	ic[0] = typ
	ic[1] = code
	ic[2], ic[3] = 0, 0
	copy(ic[4:8], rest[:])
	binary.BigEndian.PutUint16(ic[2:], ^checksum.Checksum(ic, 0))
	binary.BigEndian.PutUint16(b[header.EthType:], header.EtherTypeIPv4)

	f.Off = off
	f.Len = len(b)
	t.finish64(f, hairpin)
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
