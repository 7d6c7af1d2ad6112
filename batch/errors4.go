package batch

// ICMPv4 errors xlatd originates for IPv4 packets it will not translate
// (RFC 7915 sections 4, 4.1 and 4.5): Time Exceeded, Fragmentation Needed,
// Source Route Failed, Communication Administratively Prohibited (UDP
// checksum zero). The error is built in the same frame, in front of the
// original packet, which already sits where the ICMP payload goes: nothing
// is copied but the Ethernet addresses.

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// error4 answers the IPv4 packet in f (untouched so far) with ICMPv4 error
// typ/code (next-hop MTU mtu for 3/4) and verdict Back, or drops it. r is
// why the packet was not translated; it stays in f.Reason either way.
func (t *Translator) error4(f *Frame, x *pkt46, typ header.ICMPv4Type, code header.ICMPv4Code, mtu uint16, r Reason) {
	// Never in answer to an ICMP error, a non-first fragment or a source
	// that does not designate a single host (RFC 1122 section 3.2.2).
	// While hairpinning, the sender is on the IPv6 side: no IPv4 reply.
	if t.hairpin || x.icmpErr || x.fragOff != 0 || martian4(x.src4[0]) {
		t.drop(f, r)
		return
	}
	src := t.cfg.ICMPv4Source
	if !src.Is4() {
		t.drop(f, ReasonNoICMPSource)
		return
	}
	e := f.Off - header.IPv4MinLen - header.ICMPLen
	if e < 0 {
		t.drop(f, r)
		return
	}
	if !t.allowICMPError() {
		t.drop(f, ReasonICMPRateLimited)
		return
	}
	b := f.Buf
	q := x.tot
	if q > header.ICMPv4ErrorMax-header.IPv4MinLen-header.ICMPLen {
		q = header.ICMPv4ErrorMax - header.IPv4MinLen - header.ICMPLen
	}
	n := header.IPv4MinLen + header.ICMPLen + q

	copy(b[e:e+12], b[f.Off:f.Off+12])
	swapMACs(b[e:])
	binary.BigEndian.PutUint16(b[e+header.EthType:], header.EtherTypeIPv4)

	h := b[e+header.EthernetLen : e+header.EthernetLen+n]
	h[0] = 0x45
	h[header.IPv4TOS] = 0xc0 // internetwork control, as Linux sends its errors
	binary.BigEndian.PutUint16(h[header.IPv4TotalLen:], uint16(n))
	binary.BigEndian.PutUint16(h[header.IPv4ID:], t.nextID())
	binary.BigEndian.PutUint16(h[header.IPv4FlagsOff:], 0)
	h[header.IPv4TTL] = 64
	h[header.IPv4Proto] = header.ProtoICMP
	binary.BigEndian.PutUint16(h[header.IPv4Csum:], 0)
	a := src.As4()
	copy(h[header.IPv4Src:], a[:])
	copy(h[header.IPv4Dst:], x.src4[:])
	binary.BigEndian.PutUint16(h[header.IPv4Csum:], ^sum20((*[header.IPv4MinLen]byte)(h)))

	c := h[header.IPv4MinLen:]
	c[header.ICMPType] = uint8(typ)
	c[header.ICMPCode] = uint8(code)
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], 0)
	binary.BigEndian.PutUint16(c[4:], 0)
	binary.BigEndian.PutUint16(c[6:], mtu)
	binary.BigEndian.PutUint16(c[header.ICMPCsum:], ^checksum.Checksum(c, 0))

	f.Off = e
	f.Len = header.EthernetLen + n
	f.Verdict = Back
	f.Reason = r
	t.Counters.Drops[r]++ // the original was not forwarded; DESIGN.md counts both
	t.Counters.Events[EvICMPErrorSent]++
}
