// Package pktbuild builds IPv4 and IPv6 packets for tests, benchmarks and
// end-to-end checks: IPv4 (with options and fragment fields), IPv6 (with
// extension headers and Fragment headers), UDP, TCP, ICMPv4 and ICMPv6,
// with correct lengths and checksums unless told otherwise. It has no
// dependencies beyond the standard library and no cleverness: every field
// is written where RFC 791 / RFC 8200 / RFC 768 / RFC 9293 / RFC 792 /
// RFC 4443 put it.
//
// Typical use:
//
//	ip := pktbuild.IPv4{Src: a, Dst: b, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(2000, 4000, payload))
//	frame := pktbuild.Ethernet(dstMAC, srcMAC, ip)
package pktbuild

import (
	"encoding/binary"
	"net/netip"
)

// Protocol numbers.
const (
	ProtoHopByHop = 0
	ProtoICMP     = 1
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoICMPv6   = 58
	ProtoNoNext   = 59
	ProtoDestOpts = 60
)

// TCP flags.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
)

// Sum returns the folded one's-complement sum (RFC 1071) of b added to
// initial. It is deliberately the plain byte-pair loop.
func Sum(b []byte, initial uint32) uint16 {
	s := initial
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func pseudo4(src, dst netip.Addr, proto uint8, n int) uint32 {
	s4, d4 := src.As4(), dst.As4()
	return uint32(Sum(s4[:], 0)) + uint32(Sum(d4[:], 0)) + uint32(proto) + uint32(n)
}

func pseudo6(src, dst netip.Addr, nh uint8, n int) uint32 {
	s6, d6 := src.As16(), dst.As16()
	return uint32(Sum(s6[:], 0)) + uint32(Sum(d6[:], 0)) + uint32(n>>16) + uint32(n&0xffff) + uint32(nh)
}

// l4CsumOffset returns the checksum offset of proto's header, or -1.
func l4CsumOffset(proto uint8) int {
	switch proto {
	case ProtoTCP:
		return 16
	case ProtoUDP:
		return 6
	case ProtoICMP, ProtoICMPv6:
		return 2
	}
	return -1
}

// setL4Checksum computes the checksum of an L4 segment in place. ph is the
// pseudo-header sum (0 for ICMPv4). A computed UDP checksum of 0 is sent
// as 0xffff (RFC 768).
func setL4Checksum(l4 []byte, proto uint8, ph uint32) {
	o := l4CsumOffset(proto)
	if o < 0 || len(l4) < o+2 {
		return
	}
	l4[o], l4[o+1] = 0, 0
	c := ^Sum(l4, ph)
	if proto == ProtoUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(l4[o:], c)
}

// UDP returns a UDP header and payload (checksum 0 until an IP Build
// computes it).
func UDP(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
	copy(b[8:], payload)
	return b
}

// TCP returns a 20-byte TCP header (window 65535) and payload.
func TCP(sport, dport uint16, seq, ack uint32, flags uint8, payload []byte) []byte {
	b := make([]byte, 20+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	copy(b[20:], payload)
	return b
}

// ICMP returns an ICMPv4 or ICMPv6 message: type, code, checksum, the
// 4-byte "rest of header" and body (for errors: the quoted packet).
func ICMP(typ, code uint8, rest uint32, body []byte) []byte {
	b := make([]byte, 8+len(body))
	b[0], b[1] = typ, code
	binary.BigEndian.PutUint32(b[4:], rest)
	copy(b[8:], body)
	return b
}

// Echo returns an ICMP echo request/reply body: identifier, sequence and data.
func Echo(typ uint8, id, seq uint16, data []byte) []byte {
	return ICMP(typ, 0, uint32(id)<<16|uint32(seq), data)
}

// Payload returns n bytes of a recognisable pattern.
func Payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// IPv4 describes an IPv4 header (RFC 791). Zero values mean: TTL 64, IHL
// from Options, total length from the payload, valid checksums.
type IPv4 struct {
	Src, Dst netip.Addr
	TOS      uint8
	ID       uint16
	DF, MF   bool
	FragOff  int // in bytes (a multiple of 8)
	TTL      uint8
	Proto    uint8
	Options  []byte // padded with zeros (End of Options) to 4 bytes

	// Overrides, to build malformed packets.
	IHL        int  // if nonzero, the header length (32-bit words) written instead of the real one
	TotalLen   int  // if nonzero, written instead of the real total length
	BadCsum    bool // header checksum off by one
	KeepL4Csum bool // do not compute the L4 checksum (e.g. UDP checksum 0)
}

// Build returns the IPv4 packet carrying l4. The L4 checksum is computed
// over l4 when the packet is not a fragment (offset 0, MF clear) and
// KeepL4Csum is false.
func (h IPv4) Build(l4 []byte) []byte {
	opts := h.Options
	if len(opts)%4 != 0 {
		opts = append(append([]byte(nil), opts...), make([]byte, 4-len(opts)%4)...)
	}
	hl := 20 + len(opts)
	b := make([]byte, hl+len(l4))
	copy(b[hl:], l4)
	if !h.KeepL4Csum && h.FragOff == 0 && !h.MF {
		ph := pseudo4(h.Src, h.Dst, h.Proto, len(l4))
		if h.Proto == ProtoICMP {
			ph = 0
		}
		setL4Checksum(b[hl:], h.Proto, ph)
	}
	ihl := hl / 4
	if h.IHL != 0 {
		ihl = h.IHL
	}
	b[0] = 4<<4 | byte(ihl&0xf)
	b[1] = h.TOS
	tl := len(b)
	if h.TotalLen != 0 {
		tl = h.TotalLen
	}
	binary.BigEndian.PutUint16(b[2:], uint16(tl))
	binary.BigEndian.PutUint16(b[4:], h.ID)
	fo := uint16(h.FragOff/8) & 0x1fff
	if h.DF {
		fo |= 0x4000
	}
	if h.MF {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], fo)
	b[8] = h.TTL
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = h.Proto
	s4, d4 := h.Src.As4(), h.Dst.As4()
	copy(b[12:16], s4[:])
	copy(b[16:20], d4[:])
	copy(b[20:hl], opts)
	c := ^Sum(b[:hl], 0)
	if h.BadCsum {
		c++
	}
	binary.BigEndian.PutUint16(b[10:], c)
	return b
}

// Fragments computes the L4 checksum over the whole l4 segment, then
// splits it into IPv4 fragments carrying at most size bytes of payload
// each (size is rounded down to a multiple of 8).
func (h IPv4) Fragments(l4 []byte, size int) [][]byte {
	l4 = append([]byte(nil), l4...)
	if !h.KeepL4Csum {
		ph := pseudo4(h.Src, h.Dst, h.Proto, len(l4))
		if h.Proto == ProtoICMP {
			ph = 0
		}
		setL4Checksum(l4, h.Proto, ph)
	}
	size &^= 7
	var out [][]byte
	for off := 0; off < len(l4); off += size {
		end := min(off+size, len(l4))
		f := h
		f.KeepL4Csum = true
		f.FragOff = h.FragOff + off
		f.MF = end < len(l4) || h.MF
		out = append(out, f.Build(l4[off:end]))
	}
	return out
}

// Ext is an IPv6 extension header (Hop-by-Hop, Destination Options,
// Routing): its type and the bytes after the Next Header and Hdr Ext Len
// octets. Build pads Data with a PadN option / zeros to a multiple of 8.
type Ext struct {
	Type uint8
	Data []byte
	Len  int // if nonzero, Hdr Ext Len written instead of the real one (malformed)
}

// HopByHop returns an empty Hop-by-Hop Options header (PadN).
func HopByHop() Ext { return Ext{Type: ProtoHopByHop} }

// DestOpts returns an empty Destination Options header (PadN).
func DestOpts() Ext { return Ext{Type: ProtoDestOpts} }

// Routing returns a Routing header of type 0 with segLeft segments left and
// n addresses (RFC 8200 section 4.4 layout; type 0 is deprecated but the
// translator only looks at Segments Left).
func Routing(segLeft uint8, addrs ...netip.Addr) Ext {
	d := make([]byte, 6+16*len(addrs))
	d[0] = 0 // routing type
	d[1] = segLeft
	for i, a := range addrs {
		a16 := a.As16()
		copy(d[6+16*i:], a16[:])
	}
	return Ext{Type: ProtoRouting, Data: d}
}

func (e Ext) bytes(next uint8) []byte {
	d := e.Data
	if e.Type != ProtoRouting && (2+len(d))%8 != 0 {
		// PadN option (type 1) filling to the next multiple of 8.
		pad := 8 - (2+len(d))%8
		p := make([]byte, pad)
		if pad >= 2 {
			p[0], p[1] = 1, byte(pad-2)
		}
		d = append(append([]byte(nil), d...), p...)
	} else if (2+len(d))%8 != 0 {
		d = append(append([]byte(nil), d...), make([]byte, 8-(2+len(d))%8)...)
	}
	b := make([]byte, 2+len(d))
	b[0] = next
	b[1] = byte(len(b)/8 - 1)
	if e.Len != 0 {
		b[1] = byte(e.Len)
	}
	copy(b[2:], d)
	return b
}

// Frag is an IPv6 Fragment header (RFC 8200 section 4.5).
type Frag struct {
	Offset int // in bytes (a multiple of 8)
	M      bool
	ID     uint32
}

func (f Frag) bytes(next uint8) []byte {
	b := make([]byte, 8)
	b[0] = next
	v := uint16(f.Offset) &^ 7
	if f.M {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	binary.BigEndian.PutUint32(b[4:], f.ID)
	return b
}

// IPv6 describes an IPv6 header (RFC 8200) and its extension headers:
// Ext, then the Fragment header if Frag is set, then ExtAfterFrag (which
// RFC 7915 section 5.1 does not allow), then the upper layer NextHeader.
type IPv6 struct {
	Src, Dst     netip.Addr
	TC           uint8
	Flow         uint32
	HopLimit     uint8 // 0 means 64
	NextHeader   uint8 // upper-layer protocol
	Ext          []Ext
	Frag         *Frag
	ExtAfterFrag []Ext

	PayloadLen int  // if nonzero, written instead of the real payload length (malformed)
	KeepL4Csum bool // do not compute the L4 checksum
}

// Build returns the IPv6 packet carrying l4. The L4 checksum is computed
// over l4 unless the packet is a real fragment (Frag with offset != 0 or
// M set) or KeepL4Csum is set.
func (h IPv6) Build(l4 []byte) []byte {
	type hdr struct {
		typ uint8
		b   func(next uint8) []byte
	}
	var chain []hdr
	for _, e := range h.Ext {
		chain = append(chain, hdr{e.Type, e.bytes})
	}
	if h.Frag != nil {
		chain = append(chain, hdr{ProtoFragment, h.Frag.bytes})
	}
	for _, e := range h.ExtAfterFrag {
		chain = append(chain, hdr{e.Type, e.bytes})
	}
	var ext []byte
	for i, c := range chain {
		next := h.NextHeader
		if i+1 < len(chain) {
			next = chain[i+1].typ
		}
		ext = append(ext, c.b(next)...)
	}
	b := make([]byte, 40+len(ext)+len(l4))
	copy(b[40:], ext)
	copy(b[40+len(ext):], l4)
	isFrag := h.Frag != nil && (h.Frag.Offset != 0 || h.Frag.M)
	if !h.KeepL4Csum && !isFrag {
		setL4Checksum(b[40+len(ext):], h.NextHeader, pseudo6(h.Src, h.Dst, h.NextHeader, len(l4)))
	}
	binary.BigEndian.PutUint32(b[0:], 6<<28|uint32(h.TC)<<20|h.Flow&0xfffff)
	pl := len(b) - 40
	if h.PayloadLen != 0 {
		pl = h.PayloadLen
	}
	binary.BigEndian.PutUint16(b[4:], uint16(pl))
	b[6] = h.NextHeader
	if len(chain) > 0 {
		b[6] = chain[0].typ
	}
	b[7] = h.HopLimit
	if b[7] == 0 {
		b[7] = 64
	}
	s6, d6 := h.Src.As16(), h.Dst.As16()
	copy(b[8:24], s6[:])
	copy(b[24:40], d6[:])
	return b
}

// Fragments computes the L4 checksum over the whole l4 segment, then
// splits it into IPv6 fragments (Fragment header with id) carrying at most
// size bytes of fragmentable payload each (rounded down to a multiple of 8).
func (h IPv6) Fragments(l4 []byte, size int, id uint32) [][]byte {
	l4 = append([]byte(nil), l4...)
	if !h.KeepL4Csum {
		setL4Checksum(l4, h.NextHeader, pseudo6(h.Src, h.Dst, h.NextHeader, len(l4)))
	}
	size &^= 7
	var out [][]byte
	for off := 0; off < len(l4); off += size {
		end := min(off+size, len(l4))
		f := h
		f.KeepL4Csum = true
		f.Frag = &Frag{Offset: off, M: end < len(l4), ID: id}
		out = append(out, f.Build(l4[off:end]))
	}
	return out
}

// Ethernet returns dst, src, the EtherType for ip's version, then ip.
func Ethernet(dst, src [6]byte, ip []byte) []byte {
	b := make([]byte, 14+len(ip))
	copy(b[0:], dst[:])
	copy(b[6:], src[:])
	et := uint16(0x0800)
	if len(ip) > 0 && ip[0]>>4 == 6 {
		et = 0x86DD
	}
	binary.BigEndian.PutUint16(b[12:], et)
	copy(b[14:], ip)
	return b
}

// ValidL4Checksum4 reports whether the L4 checksum of an unfragmented IPv4
// packet verifies (TCP, UDP with a non-zero checksum, ICMP).
func ValidL4Checksum4(ip []byte) bool {
	hl := int(ip[0]&0xf) * 4
	src, _ := netip.AddrFromSlice(ip[12:16])
	dst, _ := netip.AddrFromSlice(ip[16:20])
	tl := int(binary.BigEndian.Uint16(ip[2:]))
	l4 := ip[hl:tl]
	ph := pseudo4(src, dst, ip[9], len(l4))
	if ip[9] == ProtoICMP {
		ph = 0
	}
	return Sum(l4, ph) == 0xffff
}

// ValidL4Checksum6 reports whether the L4 checksum of an IPv6 packet whose
// upper-layer header starts at offset l4off verifies (proto is its type).
func ValidL4Checksum6(ip []byte, l4off int, proto uint8) bool {
	src, _ := netip.AddrFromSlice(ip[8:24])
	dst, _ := netip.AddrFromSlice(ip[24:40])
	l4 := ip[l4off:]
	return Sum(l4, pseudo6(src, dst, proto, len(l4))) == 0xffff
}
