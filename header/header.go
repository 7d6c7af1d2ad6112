// Package header provides typed views over packet bytes, in the manner of
// gVisor's tcpip/header: `type IPv4 []byte` with one-line accessors and
// offsets as named constants under the RFC's header diagram. Accessors do
// not check bounds beyond Go's own; callers check lengths first.
package header

import "encoding/binary"

// Ethernet (IEEE 802.3) header.
//
//	+--------+--------+-----------+
//	| dst(6) | src(6) | type(2)   |
//	+--------+--------+-----------+
const (
	EthernetLen   = 14
	EthDst        = 0
	EthSrc        = 6
	EthType       = 12
	EtherTypeIPv4 = 0x0800
	EtherTypeIPv6 = 0x86DD
	EtherTypeARP  = 0x0806
	EtherTypeVLAN = 0x8100
)

// Ethernet is a view of an Ethernet header.
type Ethernet []byte

func (b Ethernet) Type() uint16     { return binary.BigEndian.Uint16(b[EthType:]) }
func (b Ethernet) SetType(t uint16) { binary.BigEndian.PutUint16(b[EthType:], t) }
func (b Ethernet) Dst() []byte      { return b[EthDst : EthDst+6] }
func (b Ethernet) Src() []byte      { return b[EthSrc : EthSrc+6] }

// IPv4 header (RFC 791 section 3.1).
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	|         Identification        |Flags|      Fragment Offset    |
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	|                       Source Address                          |
//	|                    Destination Address                        |
//	|                    Options                    |    Padding    |
const (
	IPv4MinLen   = 20
	IPv4VerIHL   = 0
	IPv4TOS      = 1
	IPv4TotalLen = 2
	IPv4ID       = 4
	IPv4FlagsOff = 6
	IPv4TTL      = 8
	IPv4Proto    = 9
	IPv4Csum     = 10
	IPv4Src      = 12
	IPv4Dst      = 16

	IPv4FlagDF     = 0x4000
	IPv4FlagMF     = 0x2000
	IPv4OffsetMask = 0x1fff
)

// IPv4 is a view of an IPv4 header and what follows it.
type IPv4 []byte

func (b IPv4) Version() uint8       { return b[0] >> 4 }
func (b IPv4) HeaderLen() int       { return int(b[0]&0xf) * 4 }
func (b IPv4) TOS() uint8           { return b[IPv4TOS] }
func (b IPv4) TotalLen() uint16     { return binary.BigEndian.Uint16(b[IPv4TotalLen:]) }
func (b IPv4) ID() uint16           { return binary.BigEndian.Uint16(b[IPv4ID:]) }
func (b IPv4) FlagsOffset() uint16  { return binary.BigEndian.Uint16(b[IPv4FlagsOff:]) }
func (b IPv4) DF() bool             { return b.FlagsOffset()&IPv4FlagDF != 0 }
func (b IPv4) MF() bool             { return b.FlagsOffset()&IPv4FlagMF != 0 }
func (b IPv4) FragOffset() uint16   { return b.FlagsOffset() & IPv4OffsetMask } // in 8-byte units
func (b IPv4) TTL() uint8           { return b[IPv4TTL] }
func (b IPv4) Protocol() uint8      { return b[IPv4Proto] }
func (b IPv4) Checksum() uint16     { return binary.BigEndian.Uint16(b[IPv4Csum:]) }
func (b IPv4) Src() []byte          { return b[IPv4Src : IPv4Src+4] }
func (b IPv4) Dst() []byte          { return b[IPv4Dst : IPv4Dst+4] }
func (b IPv4) SetTotalLen(n uint16) { binary.BigEndian.PutUint16(b[IPv4TotalLen:], n) }
func (b IPv4) SetFlagsOffset(v uint16) {
	binary.BigEndian.PutUint16(b[IPv4FlagsOff:], v)
}
func (b IPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[IPv4Csum:], v) }

// IPv6 header (RFC 8200 section 3).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version| Traffic Class |           Flow Label                  |
//	|         Payload Length        |  Next Header  |   Hop Limit   |
//	|                         Source Address (16)                   |
//	|                      Destination Address (16)                 |
const (
	IPv6Len        = 40
	IPv6PayloadLen = 4
	IPv6NextHeader = 6
	IPv6HopLimit   = 7
	IPv6Src        = 8
	IPv6Dst        = 24

	IPv6FragmentLen = 8 // Fragment extension header (RFC 8200 section 4.5)
	IPv6FragMF      = 1
)

// IPv6 is a view of an IPv6 header and what follows it.
type IPv6 []byte

func (b IPv6) Version() uint8         { return b[0] >> 4 }
func (b IPv6) TrafficClass() uint8    { return b[0]<<4 | b[1]>>4 }
func (b IPv6) FlowLabel() uint32      { return binary.BigEndian.Uint32(b[0:]) & 0xfffff }
func (b IPv6) PayloadLen() uint16     { return binary.BigEndian.Uint16(b[IPv6PayloadLen:]) }
func (b IPv6) NextHeader() uint8      { return b[IPv6NextHeader] }
func (b IPv6) HopLimit() uint8        { return b[IPv6HopLimit] }
func (b IPv6) Src() []byte            { return b[IPv6Src : IPv6Src+16] }
func (b IPv6) Dst() []byte            { return b[IPv6Dst : IPv6Dst+16] }
func (b IPv6) SetPayloadLen(n uint16) { binary.BigEndian.PutUint16(b[IPv6PayloadLen:], n) }

// SetVersionTCFlow writes version 6, traffic class tc and flow label fl.
func (b IPv6) SetVersionTCFlow(tc uint8, fl uint32) {
	binary.BigEndian.PutUint32(b[0:], 6<<28|uint32(tc)<<20|fl&0xfffff)
}

// IP protocol / IPv6 next-header numbers.
const (
	ProtoHopByHop = 0
	ProtoICMP     = 1
	ProtoIGMP     = 2
	ProtoTCP      = 6
	ProtoUDP      = 17
	ProtoRouting  = 43
	ProtoFragment = 44
	ProtoAH       = 51
	ProtoICMPv6   = 58
	ProtoNoNext   = 59
	ProtoDestOpts = 60
	ProtoMobility = 135
	ProtoHIP      = 139
	ProtoShim6    = 140
)

// UDP (RFC 768) and TCP (RFC 9293) checksum offsets.
const (
	UDPLen    = 8
	UDPLength = 4
	UDPCsum   = 6
	TCPMinLen = 20
	TCPCsum   = 16
	ICMPLen   = 8 // type, code, checksum, 4 bytes of rest
	ICMPType  = 0
	ICMPCode  = 1
	ICMPCsum  = 2
)
