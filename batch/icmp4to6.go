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
	"github.com/xlatd/xlatd/mapping"
)

// icmp6ErrorMax is the largest translated ICMPv6 error: "as much of
// invoking packet as possible without the ICMPv6 packet exceeding the
// minimum IPv6 MTU" (RFC 4443 section 2.4 (c)), whatever lowest_ipv6_mtu.
const icmp6ErrorMax = 1280

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

// icmpError46 translates the ICMPv4 error in f. x holds the outer header,
// addresses already mapped (the source possibly from the RFC 6791 pool)
// and the hop limit decremented.
func (t *Translator) icmpError46(f *Frame, x *pkt46) {
	b := f.Buf
	if x.mf {
		t.drop(f, ReasonICMPFragmented)
		return
	}
	ic := x.ip + x.ihl
	end := x.ip + x.tot
	if end-ic < header.ICMPLen {
		t.drop(f, ReasonBadL4Header)
		return
	}
	// The checksum is recomputed below: do not turn a corrupt ICMPv4
	// error into a valid ICMPv6 one.
	if checksum.Checksum(b[ic:end], 0) != 0xffff {
		t.drop(f, ReasonICMPBadChecksum)
		return
	}

	// Type and code (RFC 7915 section 4.2).
	typ, code := b[ic+header.ICMPType], b[ic+header.ICMPCode]
	var ntyp, ncode uint8
	var rest uint32
	ext := true // the ICMPv6 counterpart has an RFC 4884 length field
	ptb := false
	switch typ {
	case 3: // Destination Unreachable
		switch code {
		case 0, 1, 5, 6, 7, 8, 11, 12:
			ntyp, ncode = 1, 0 // No route to destination
		case 2: // Protocol Unreachable -> Parameter Problem, Next Header
			ntyp, ncode, rest, ext = 4, 1, header.IPv6NextHeader, false
		case 3:
			ntyp, ncode = 1, 4 // Port unreachable
		case 4: // Fragmentation Needed -> Packet Too Big
			ntyp, ncode, ext, ptb = 2, 0, false, true
		case 9, 10, 13, 15:
			ntyp, ncode = 1, 1 // administratively prohibited
		default: // 14 (Host Precedence Violation) and unknown codes
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
	case 11: // Time Exceeded: code unchanged
		ntyp, ncode = 3, code
	case 12: // Parameter Problem
		if code != 0 && code != 2 {
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
		p := b[ic+4]
		if int(p) >= len(paramPtr46) || paramPtr46[p] == 0xff {
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
		ntyp, ncode, rest, ext = 4, 0, uint32(paramPtr46[p]), false
	default: // Source Quench, Redirect, ...
		t.drop(f, ReasonICMPUntranslatable)
		return
	}

	// The inner IPv4 header (RFC 7915 section 4.3).
	in := ic + header.ICMPLen
	p := b[in:end:end]
	if len(p) < header.IPv4MinLen {
		t.drop(f, ReasonICMPBadInner)
		return
	}
	ihl2 := int(p[0]&0x0f) << 2
	if p[0]>>4 != 4 || ihl2 < header.IPv4MinLen || ihl2 > len(p) {
		t.drop(f, ReasonICMPBadInner)
		return
	}
	tot2 := int(binary.BigEndian.Uint16(p[header.IPv4TotalLen:]))
	if tot2 < ihl2 {
		t.drop(f, ReasonICMPBadInner)
		return
	}
	// RFC 4884 length: 32-bit words of "original datagram" (byte 5).
	ipl := int(b[ic+5]) * 4
	if ipl == len(p) {
		ipl = 0
	}
	if ipl > len(p) || ipl != 0 && ipl < ihl2 {
		t.drop(f, ReasonICMPBadExtension)
		return
	}
	avail := len(p) // bytes of the original datagram present
	if ipl != 0 {
		avail = ipl
	}
	fo2 := binary.BigEndian.Uint16(p[header.IPv4FlagsOff:])
	foff2 := fo2 & header.IPv4OffsetMask
	mf2 := fo2&header.IPv4FlagMF != 0
	proto2 := p[header.IPv4Proto]
	l4 := p[ihl2:avail]
	if proto2 == header.ProtoICMP && foff2 == 0 && len(l4) > 0 {
		if isICMP4Error(l4[0]) {
			t.drop(f, ReasonICMPErrorInError)
			return
		}
		if l4[0] != 8 && l4[0] != 0 {
			t.drop(f, ReasonICMPUntranslatable)
			return
		}
	}
	var isrc4, idst4 [4]byte
	var isrc6, idst6 [16]byte
	copy(isrc4[:], p[header.IPv4Src:header.IPv4Src+4])
	copy(idst4[:], p[header.IPv4Dst:header.IPv4Dst+4])
	m := t.cfg.Map
	if r := m.To6(&isrc4, &isrc6); r != mapping.OK {
		t.drop(f, mapReason(r))
		return
	}
	var r mapping.Result
	if t.hairpin {
		r = m.To6Pool6(&idst4, &idst6)
	} else {
		r = m.To6(&idst4, &idst6)
	}
	if r != mapping.OK {
		t.drop(f, mapReason(r))
		return
	}

	if ptb {
		// RFC 7915 section 4.2: minimum(advertised MTU+20,
		// MTU_of_IPv6_nexthop, (MTU_of_IPv4_nexthop)+20), plateaus when
		// the router sent 0; and never below the IPv6 minimum MTU
		// (RFC 8200 section 5).
		mtu := int(binary.BigEndian.Uint16(b[ic+6:]))
		if mtu == 0 {
			for _, pl := range mtuPlateaus {
				if int(pl) < tot2 {
					mtu = int(pl)
					break
				}
			}
		}
		res := mtu + 20
		if m6 := t.cfg.MTU6; m6 > 0 && m6 < res {
			res = m6
		}
		if m4 := t.cfg.MTU4; m4 > 0 && m4+20 < res {
			res = m4 + 20
		}
		if res < 1280 {
			res = 1280
		}
		rest = uint32(res)
	}

	// Layout of the result.
	fh2 := 0
	if mf2 || foff2 != 0 {
		fh2 = header.IPv6FragmentLen
	}
	l4at := in + ihl2 // inner L4 header: does not move
	i6 := l4at - header.IPv6Len - fh2
	c6 := i6 - header.ICMPLen
	off := c6 - header.IPv6Len - header.EthernetLen
	if off < 0 {
		t.drop(f, ReasonTooBig)
		return
	}
	const room = icmp6ErrorMax - header.IPv6Len - header.ICMPLen
	opOut := avail + header.IPv6Len + fh2 - ihl2 // translated original datagram
	iel := 0                                     // RFC 4884 extension
	if ipl != 0 {
		iel = len(p) - ipl
	}
	outIPL, pad, length := 0, 0, 0
	if ipl == 0 || !ext || iel > room-rfc4884Min {
		// No extension, or one the ICMPv6 type cannot carry, or too
		// large to fit beside 128 bytes of original datagram: removed.
		outIPL = min(opOut, room)
		iel = 0
	} else {
		outIPL = (min(opOut+iel, room) - iel) &^ 7
		if outIPL < rfc4884Min {
			pad = rfc4884Min - outIPL
		}
		length = (outIPL + pad) / 8
	}
	icmpLen := header.ICMPLen + outIPL + pad + iel
	if c6+icmpLen > len(b) {
		t.drop(f, ReasonTooBig)
		return
	}
	if outIPL < opOut || ipl != 0 && iel == 0 {
		t.Counters.Events[EvICMPTruncated]++
	}

	// Inner L4 checksum (only bytes present in the original datagram).
	if foff2 == 0 {
		switch proto2 {
		case header.ProtoTCP:
			if len(l4) >= header.TCPCsum+2 {
				c := binary.BigEndian.Uint16(l4[header.TCPCsum:])
				c = checksum.Adjust(c, addrSum4(&isrc4, &idst4), addrSum6(&isrc6, &idst6))
				binary.BigEndian.PutUint16(l4[header.TCPCsum:], c)
			}
		case header.ProtoUDP:
			if len(l4) >= header.UDPCsum+2 {
				if c := binary.BigEndian.Uint16(l4[header.UDPCsum:]); c != 0 {
					c = checksum.Adjust(c, addrSum4(&isrc4, &idst4), addrSum6(&isrc6, &idst6))
					if c == 0 {
						c = 0xffff
					}
					binary.BigEndian.PutUint16(l4[header.UDPCsum:], c)
				}
			}
		case header.ProtoICMP:
			if len(l4) >= header.ICMPCsum+2 {
				old := binary.BigEndian.Uint16(l4[0:])
				if l4[header.ICMPType] == 8 {
					l4[header.ICMPType] = 128
				} else {
					l4[header.ICMPType] = 129
				}
				add := checksum.Combine(addrSum6(&isrc6, &idst6), uint16(tot2-ihl2))
				add = checksum.Combine(add, header.ProtoICMPv6)
				add = checksum.Combine(add, binary.BigEndian.Uint16(l4[0:]))
				c := checksum.Adjust(binary.BigEndian.Uint16(l4[header.ICMPCsum:]), old, add)
				binary.BigEndian.PutUint16(l4[header.ICMPCsum:], c)
			}
		}
	}

	// Inner header fields, read before anything in front of l4at is
	// overwritten.
	tos2, ttl2 := p[header.IPv4TOS], p[header.IPv4TTL]
	id2 := binary.BigEndian.Uint16(p[header.IPv4ID:])
	nh2 := proto2
	if nh2 == header.ProtoICMP {
		nh2 = header.ProtoICMPv6
	}
	if t.cfg.ResetTrafficClass {
		tos2 = 0
	}

	// Extension behind the (truncated or padded) original datagram.
	if iel != 0 {
		dst := i6 + outIPL + pad
		copy(b[dst:dst+iel], b[in+ipl:in+ipl+iel])
		clear(b[i6+outIPL : dst])
		rest = uint32(length) << 24
	}

	copy(b[off:off+12], b[f.Off:f.Off+12])
	binary.BigEndian.PutUint16(b[off+header.EthType:], header.EtherTypeIPv6)

	// Inner IPv6 header: hop limit unchanged (RFC 7915 section 4.3).
	o := b[i6:l4at]
	binary.BigEndian.PutUint32(o[0:], 6<<28|uint32(tos2)<<20)
	binary.BigEndian.PutUint16(o[header.IPv6PayloadLen:], uint16(tot2-ihl2+fh2))
	o[header.IPv6HopLimit] = ttl2
	copy(o[header.IPv6Src:header.IPv6Src+16], isrc6[:])
	copy(o[header.IPv6Dst:header.IPv6Dst+16], idst6[:])
	if fh2 != 0 {
		o[header.IPv6NextHeader] = header.ProtoFragment
		o[40] = nh2
		o[41] = 0
		fo6 := foff2 << 3
		if mf2 {
			fo6 |= header.IPv6FragMF
		}
		binary.BigEndian.PutUint16(o[42:], fo6)
		binary.BigEndian.PutUint32(o[44:], uint32(id2))
	} else {
		o[header.IPv6NextHeader] = nh2
	}

	// ICMPv6 header.
	c := b[c6 : c6+header.ICMPLen]
	c[header.ICMPType] = ntyp
	c[header.ICMPCode] = ncode
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], 0)
	binary.BigEndian.PutUint32(c[4:], rest)

	// Outer IPv6 header.
	v6 := off + header.EthernetLen
	o = b[v6 : v6+header.IPv6Len]
	tc := x.tos
	if t.cfg.ResetTrafficClass {
		tc = 0
	}
	binary.BigEndian.PutUint32(o[0:], 6<<28|uint32(tc)<<20)
	binary.BigEndian.PutUint16(o[header.IPv6PayloadLen:], uint16(icmpLen))
	o[header.IPv6NextHeader] = header.ProtoICMPv6
	o[header.IPv6HopLimit] = x.ttl
	copy(o[header.IPv6Src:header.IPv6Src+16], x.src6[:])
	copy(o[header.IPv6Dst:header.IPv6Dst+16], x.dst6[:])

	s := checksum.Combine(addrSum6(&x.src6, &x.dst6), uint16(icmpLen))
	s = checksum.Combine(s, header.ProtoICMPv6)
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], ^checksum.Checksum(b[c6:c6+icmpLen], s))

	f.Off = off
	f.Len = header.EthernetLen + header.IPv6Len + icmpLen
	f.Verdict = To6
	t.count46()
}
