package batch

import (
	"encoding/binary"
	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// ICMPv6 errors xlatd originates in answer to IPv6 packets it does not
// translate (RFC 7915 sections 5.1 and 5.4, RFC 4443):
//
//	Time Exceeded 3/0          hop limit expired (the translator is a router)
//	Packet Too Big 2/0         the IPv4 translation, DF set, exceeds the IPv4 MTU
//	Parameter Problem 4/0      Routing header with Segments Left != 0
//	Destination Unreachable 1/1  extension header after the Fragment header
//	Destination Unreachable 1/5  source address without an IPv4 mapping
//
// The error is built in place: the offending packet stays where it is and
// becomes the quote, the new Ethernet, IPv6 and ICMPv6 headers go in the
// 48 bytes of headroom in front of its IPv6 header, and the frame is cut so
// the ICMPv6 packet is at most 1280 bytes (RFC 4443 section 2.4 (c)).

// err6HdrLen is the length of the headers in front of the quote.
const err6HdrLen = header.IPv6Len + header.ICMPLen

// icmp6Error answers the IPv6 packet in f (Ethernet + IPv6, already
// trimmed to its payload length) with an ICMPv6 error of type typ and code
// code whose 32-bit parameter (pointer, MTU) is param, and marks f Back. r
// is why the packet was not translated; it is counted either way. When no
// error may be sent (the packet is itself an ICMPv6 error, its source is
// unspecified or multicast, no source address is configured, the rate
// limit says no) f is dropped instead. noReply is set by callers for
// packets that must not be answered (ICMPv6 errors; for the discards of
// RFC 7915 section 5.4, any ICMPv6 message).
func (t *Translator) icmp6Error(f *Frame, typ header.ICMPv6Type, code header.ICMPv6Code, param uint32, r Reason, noReply bool) {
	ip := f.Buf[f.Off+header.EthernetLen : f.Off+f.Len]
	// RFC 4443 2.4 (e): never in answer to an ICMPv6 error, a packet from
	// the unspecified address, or (except Packet Too Big) to multicast.
	if noReply || ip[header.IPv6Src] == 0xff || allZero6(ip[header.IPv6Src:header.IPv6Src+16]) ||
		(ip[header.IPv6Dst] == 0xff && typ != header.ICMPv6PacketTooBig) {
		t.drop(f, r)
		return
	}
	src := t.cfg.ICMPv6Source
	if !src.Is6() || src.Is4In6() {
		t.drop(f, ReasonNoICMPSource)
		return
	}
	start := f.Off - err6HdrLen
	if start < 0 {
		t.drop(f, ReasonTooBig)
		return
	}
	if !t.allowICMPError() {
		t.drop(f, ReasonICMPRateLimited)
		return
	}
	q := len(ip)
	if q > header.IPv6MinMTU-err6HdrLen {
		q = header.IPv6MinMTU - err6HdrLen
	}
	b := f.Buf[start : f.Off+header.EthernetLen+q]
	// The new Ethernet header: the old one's addresses, swapped. The old
	// Ethernet header (at b[48:62]) is about to be overwritten.
	var mac [12]byte
	copy(mac[:], b[err6HdrLen:err6HdrLen+12])
	copy(b[0:12], mac[:])
	swapMACs(b)
	binary.BigEndian.PutUint16(b[header.EthType:], header.EtherTypeIPv6)

	quote := b[header.EthernetLen+err6HdrLen:] // the offending IPv6 packet
	h := b[header.EthernetLen : header.EthernetLen+header.IPv6Len]
	binary.BigEndian.PutUint32(h[0:], 6<<28) // traffic class 0, flow label 0
	binary.BigEndian.PutUint16(h[header.IPv6PayloadLen:], uint16(header.ICMPLen+q))
	h[header.IPv6NextHeader] = header.ProtoICMPv6
	h[header.IPv6HopLimit] = 64
	s16 := src.As16()
	copy(h[header.IPv6Src:header.IPv6Src+16], s16[:])
	copy(h[header.IPv6Dst:header.IPv6Dst+16], quote[header.IPv6Src:header.IPv6Src+16])

	icmp := b[header.EthernetLen+header.IPv6Len : header.EthernetLen+err6HdrLen+q]
	icmp[header.ICMPType] = uint8(typ)
	icmp[header.ICMPCode] = uint8(code)
	icmp[2], icmp[3] = 0, 0
	binary.BigEndian.PutUint32(icmp[4:], param)
	ph := checksum.PseudoHeader6(h[header.IPv6Src:], h[header.IPv6Dst:], header.ProtoICMPv6, uint32(len(icmp)))
	binary.BigEndian.PutUint16(icmp[header.ICMPCsum:], ^checksum.Checksum(icmp, ph))

	f.Off = start
	f.Len = len(b)
	f.Verdict = Back
	f.Reason = r
	t.Counters.Drops[r]++ // the original was not forwarded; DESIGN.md counts both
	t.Counters.Events[EvICMPErrorSent]++
}

func allZero6(b []byte) bool {
	return binary.BigEndian.Uint32(b[0:])|binary.BigEndian.Uint32(b[4:])|binary.BigEndian.Uint32(b[8:])|binary.BigEndian.Uint32(b[12:]) == 0
}
