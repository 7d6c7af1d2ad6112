package gen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// Payload layout at the start of the UDP payload:
//
//	+--------+----------------+----------------+
//	| magic  | sequence (u64) | timestamp (i64)|
//	|  (2)   |      (8)       |      (8)       |
//	+--------+----------------+----------------+
//
// 18 bytes is exactly what an 84-byte IPv6 frame (RFC 8219 smallest size,
// FCS included) leaves after Ethernet, IPv6 and UDP headers.
const (
	Magic      = 0x7862 // "xb"
	payMagic   = 0
	paySeq     = 2
	payTS      = 10
	PayloadMin = 18

	// FCSLen is counted in the RFC 2544/8219 frame sizes but never
	// handed to AF_XDP or AF_PACKET.
	FCSLen = 4
)

// Flow is one generated UDP stream.
type Flow struct {
	SrcMAC, DstMAC   [6]byte
	Src, Dst         netip.Addr // both IPv4 or both IPv6
	SrcPort, DstPort uint16
	TTL              uint8 // hop limit; 0 means 64
}

// Template is a prebuilt frame (without FCS) plus what Stamp needs to
// rewrite its sequence number, timestamp and UDP checksum in place.
type Template struct {
	Frame   []byte
	payOff  int
	csumOff int
	base    uint16 // folded sum of pseudo-header + UDP header + payload with seq/ts zero
	is4     bool
}

// ErrFrameSize reports a frame too small to carry the payload.
var ErrFrameSize = errors.New("gen: frame too small for the sequence/timestamp payload")

// WireLen converts an RFC 2544 frame size (FCS included) into the number
// of bytes handed to the socket.
func WireLen(frameSize int) int { return frameSize - FCSLen }

// NewTemplate builds a frame of wireLen bytes (Ethernet header included,
// FCS excluded) for flow f.
func NewTemplate(f Flow, wireLen int) (*Template, error) {
	if f.Src.Is4() != f.Dst.Is4() || !f.Src.IsValid() || !f.Dst.IsValid() {
		return nil, fmt.Errorf("gen: flow %v -> %v: addresses must be both IPv4 or both IPv6", f.Src, f.Dst)
	}
	ttl := f.TTL
	if ttl == 0 {
		ttl = 64
	}
	ipLen := header.IPv6Len
	if f.Src.Is4() {
		ipLen = header.IPv4MinLen
	}
	l4 := header.EthernetLen + ipLen
	if wireLen < l4+header.UDPLen+PayloadMin {
		return nil, fmt.Errorf("%w: %d bytes, need %d", ErrFrameSize, wireLen, l4+header.UDPLen+PayloadMin)
	}
	if wireLen > 9000 {
		return nil, fmt.Errorf("gen: frame of %d bytes too large", wireLen)
	}
	b := make([]byte, wireLen)
	copy(b[header.EthDst:], f.DstMAC[:])
	copy(b[header.EthSrc:], f.SrcMAC[:])
	udpLen := wireLen - l4
	ip := b[header.EthernetLen:]
	var ph uint16
	if f.Src.Is4() {
		header.Ethernet(b).SetType(header.EtherTypeIPv4)
		v4 := header.IPv4(ip)
		v4[0] = 0x45
		v4.SetTotalLen(uint16(ipLen + udpLen))
		v4.SetFlagsOffset(header.IPv4FlagDF)
		v4[header.IPv4TTL] = ttl
		v4[header.IPv4Proto] = header.ProtoUDP
		s, d := f.Src.As4(), f.Dst.As4()
		copy(v4.Src(), s[:])
		copy(v4.Dst(), d[:])
		v4.SetChecksum(^checksum.Checksum(v4[:header.IPv4MinLen], 0))
		ph = checksum.PseudoHeader4(s[:], d[:], header.ProtoUDP, uint16(udpLen))
	} else {
		header.Ethernet(b).SetType(header.EtherTypeIPv6)
		v6 := header.IPv6(ip)
		v6.SetVersionTCFlow(0, 0)
		v6.SetPayloadLen(uint16(udpLen))
		v6[header.IPv6NextHeader] = header.ProtoUDP
		v6[header.IPv6HopLimit] = ttl
		s, d := f.Src.As16(), f.Dst.As16()
		copy(v6.Src(), s[:])
		copy(v6.Dst(), d[:])
		ph = checksum.PseudoHeader6(s[:], d[:], header.ProtoUDP, uint32(udpLen))
	}
	udp := b[l4:]
	binary.BigEndian.PutUint16(udp[0:], f.SrcPort)
	binary.BigEndian.PutUint16(udp[2:], f.DstPort)
	binary.BigEndian.PutUint16(udp[header.UDPLength:], uint16(udpLen))
	pay := udp[header.UDPLen:]
	binary.BigEndian.PutUint16(pay[payMagic:], Magic)
	// Fill the rest of the payload with a recognisable pattern.
	for i := PayloadMin; i < len(pay); i++ {
		pay[i] = byte(i)
	}
	t := &Template{Frame: b, payOff: l4 + header.UDPLen, csumOff: l4 + header.UDPCsum, is4: f.Src.Is4()}
	t.base = checksum.Checksum(udp, ph) // seq/ts/checksum are zero here
	t.Stamp(b, 0, 0)
	return t, nil
}

// Stamp writes seq and ts into b (a copy of t.Frame) and fixes the UDP
// checksum incrementally. It does not allocate.
func (t *Template) Stamp(b []byte, seq uint64, ts int64) { t.stamp(b, uint64(t.base), seq, ts) }

// stamp writes seq and ts and the UDP checksum for a frame whose other
// checksummed bytes sum (folded or not) to base.
func (t *Template) stamp(b []byte, base uint64, seq uint64, ts int64) {
	p := b[t.payOff : t.payOff+PayloadMin]
	binary.BigEndian.PutUint64(p[paySeq:], seq)
	binary.BigEndian.PutUint64(p[payTS:], uint64(ts))
	u := uint64(ts)
	s := base +
		seq>>48 + seq>>32&0xffff + seq>>16&0xffff + seq&0xffff +
		u>>48 + u>>32&0xffff + u>>16&0xffff + u&0xffff
	c := ^fold(s)
	if c == 0 {
		c = 0xffff // RFC 768: a computed zero is sent as all ones
	}
	binary.BigEndian.PutUint16(b[t.csumOff:], c)
}

// Len is the frame's length in bytes (FCS excluded).
func (t *Template) Len() int { return len(t.Frame) }

// Parse finds the benchmark payload in an Ethernet frame carrying IPv4 or
// IPv6 UDP and returns its sequence number and timestamp. Frames that are
// not benchmark traffic (ARP, ND, fragments, other payloads) return
// ok=false.
func Parse(frame []byte) (seq uint64, ts int64, ok bool) {
	if len(frame) < header.EthernetLen+header.IPv4MinLen+header.UDPLen+PayloadMin {
		return 0, 0, false
	}
	ip := frame[header.EthernetLen:]
	var off int
	switch binary.BigEndian.Uint16(frame[header.EthType:]) {
	case header.EtherTypeIPv4:
		v4 := header.IPv4(ip)
		if v4.Version() != 4 || v4.Protocol() != header.ProtoUDP || v4.FlagsOffset()&(header.IPv4FlagMF|header.IPv4OffsetMask) != 0 {
			return 0, 0, false
		}
		off = v4.HeaderLen()
		if off < header.IPv4MinLen {
			return 0, 0, false
		}
	case header.EtherTypeIPv6:
		if len(ip) < header.IPv6Len+header.UDPLen+PayloadMin {
			return 0, 0, false
		}
		v6 := header.IPv6(ip)
		if v6.Version() != 6 || v6.NextHeader() != header.ProtoUDP {
			return 0, 0, false
		}
		off = header.IPv6Len
	default:
		return 0, 0, false
	}
	off += header.UDPLen
	if len(ip) < off+PayloadMin {
		return 0, 0, false
	}
	p := ip[off:]
	if binary.BigEndian.Uint16(p[payMagic:]) != Magic {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(p[paySeq:]), int64(binary.BigEndian.Uint64(p[payTS:])), true
}
