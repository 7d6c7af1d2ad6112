package header

// ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages.
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	|             rest of header (pointer, MTU, length, id)         |
//	|                         message body ...                      |

// ICMPv4Type is an ICMPv4 message type.
type ICMPv4Type uint8

// ICMPv4 types xlatd reads or writes.
const (
	ICMPv4EchoReply      ICMPv4Type = 0
	ICMPv4DstUnreachable ICMPv4Type = 3
	ICMPv4SourceQuench   ICMPv4Type = 4
	ICMPv4Redirect       ICMPv4Type = 5
	ICMPv4Echo           ICMPv4Type = 8
	ICMPv4TimeExceeded   ICMPv4Type = 11
	ICMPv4ParamProblem   ICMPv4Type = 12
)

// IsError reports whether t is an ICMPv4 error message (RFC 1122 section
// 3.2.2: Destination Unreachable, Source Quench, Redirect, Time Exceeded,
// Parameter Problem).
func (t ICMPv4Type) IsError() bool {
	return t == ICMPv4DstUnreachable || t == ICMPv4SourceQuench || t == ICMPv4Redirect ||
		t == ICMPv4TimeExceeded || t == ICMPv4ParamProblem
}

// ICMPv4Code is an ICMPv4 code; its meaning depends on the type.
type ICMPv4Code uint8

// Destination Unreachable codes (RFC 792, RFC 1122, RFC 1812).
const (
	ICMPv4NetUnreachable     ICMPv4Code = 0
	ICMPv4HostUnreachable    ICMPv4Code = 1
	ICMPv4ProtoUnreachable   ICMPv4Code = 2
	ICMPv4PortUnreachable    ICMPv4Code = 3
	ICMPv4FragNeeded         ICMPv4Code = 4
	ICMPv4SourceRouteFailed  ICMPv4Code = 5
	ICMPv4DstNetUnknown      ICMPv4Code = 6
	ICMPv4DstHostUnknown     ICMPv4Code = 7
	ICMPv4SrcHostIsolated    ICMPv4Code = 8
	ICMPv4NetProhibited      ICMPv4Code = 9
	ICMPv4HostProhibited     ICMPv4Code = 10
	ICMPv4NetUnreachableTOS  ICMPv4Code = 11
	ICMPv4HostUnreachableTOS ICMPv4Code = 12
	ICMPv4AdminProhibited    ICMPv4Code = 13
	ICMPv4PrecedenceCutoff   ICMPv4Code = 15
	ICMPv4TTLExceeded        ICMPv4Code = 0 // Time Exceeded
	ICMPv4ParamPointer       ICMPv4Code = 0 // Parameter Problem: the pointer indicates the error
	ICMPv4ParamBadLength     ICMPv4Code = 2 // Parameter Problem: bad length
)

// ICMPv6Type is an ICMPv6 message type.
type ICMPv6Type uint8

// ICMPv6 types xlatd reads or writes.
const (
	ICMPv6DstUnreachable ICMPv6Type = 1
	ICMPv6PacketTooBig   ICMPv6Type = 2
	ICMPv6TimeExceeded   ICMPv6Type = 3
	ICMPv6ParamProblem   ICMPv6Type = 4
	ICMPv6EchoRequest    ICMPv6Type = 128
	ICMPv6EchoReply      ICMPv6Type = 129
)

// IsError reports whether t is an ICMPv6 error message (RFC 4443 section
// 2.1: types 0-127).
func (t ICMPv6Type) IsError() bool { return t < 128 }

// ICMPv6Code is an ICMPv6 code; its meaning depends on the type.
type ICMPv6Code uint8

// ICMPv6 codes (RFC 4443 section 3).
const (
	ICMPv6NoRoute            ICMPv6Code = 0 // Destination Unreachable
	ICMPv6AdminProhibited    ICMPv6Code = 1
	ICMPv6BeyondScope        ICMPv6Code = 2
	ICMPv6AddressUnreachable ICMPv6Code = 3
	ICMPv6PortUnreachable    ICMPv6Code = 4
	ICMPv6SourcePolicy       ICMPv6Code = 5
	ICMPv6HopLimitExceeded   ICMPv6Code = 0 // Time Exceeded
	ICMPv6ErroneousHeader    ICMPv6Code = 0 // Parameter Problem
	ICMPv6UnknownNextHeader  ICMPv6Code = 1
)

// Offsets in an ICMP header's second word.
const (
	ICMPRest       = 4 // the 32-bit "rest of header"
	ICMPPointer4   = 4 // ICMPv4 Parameter Problem pointer (8 bits)
	ICMPLength4    = 5 // ICMPv4 RFC 4884 length, in 32-bit words
	ICMPNextHopMTU = 6 // ICMPv4 Fragmentation Needed: next-hop MTU (16 bits)
	ICMPLength6    = 4 // ICMPv6 RFC 4884 length, in 64-bit words
)

// Size limits.
const (
	IPv4MinMTU     = 68   // RFC 791: every IPv4 link carries 68-byte datagrams
	ICMPv4ErrorMax = 576  // RFC 1812 section 4.3.2.3: an ICMPv4 error is at most 576 bytes
	IPv6MinMTU     = 1280 // RFC 8200 section 5; also the largest ICMPv6 error (RFC 4443 2.4 (c))
)

// ICMP is a view of an ICMPv4 or ICMPv6 header and what follows it.
type ICMP []byte

func (b ICMP) Type4() ICMPv4Type { return ICMPv4Type(b[ICMPType]) }
func (b ICMP) Code4() ICMPv4Code { return ICMPv4Code(b[ICMPCode]) }
func (b ICMP) Type6() ICMPv6Type { return ICMPv6Type(b[ICMPType]) }
func (b ICMP) Code6() ICMPv6Code { return ICMPv6Code(b[ICMPCode]) }
