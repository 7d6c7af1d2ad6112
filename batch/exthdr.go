package batch

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/header"
)

// The IPv6 extension-header walk (RFC 8200 section 4, RFC 7915 sections 1.2
// and 5.1).
//
// RFC 7915 section 5.1, Protocol: "The IPv6 headers HOPOPT (0), IPv6-Route
// (43), and IPv6-Opts (60) are skipped over during processing as they have
// no meaning in IPv4. For the first 'next header' that does not match one
// of the cases above, its Next Header value (which contains the transport
// protocol number) is copied to the protocol field in the IPv4 header."
// So AH, ESP, Mobility, HIP, Shim6 and everything else end the walk and are
// carried as the upper-layer protocol, unchanged.
//
// RFC 7915 section 5.1.1, Total Length: "If the Next Header field of the
// Fragment Header is an extension header (except ESP, but including the
// Authentication Header (AH)), then the packet SHOULD be dropped and
// logged." Section 5.4 makes such a discard answer with ICMPv6 1/1 (what
// Jool does, corpus rows act1-act6).
//
// RFC 7915 section 5.1: "If a Routing header with a non-zero Segments Left
// field is present, then the packet MUST NOT be translated, and an ICMPv6
// "parameter problem/erroneous header field encountered" (Type 4, Code 0)
// error message, with the Pointer field indicating the first byte of the
// Segments Left field, SHOULD be returned to the sender."

// Bounds of the walk: a chain longer than this is dropped (ReasonBadExtHeaders).
const (
	maxExtHeaders = 8
	maxExtBytes   = 512
)

// chain6 is what the walk learnt about one IPv6 packet. Offsets are from the
// start of the IPv6 header.
type chain6 struct {
	l4      int    // offset of the upper-layer header (or fragment data)
	proto   uint8  // upper-layer protocol number
	frag    int    // offset of the Fragment header, 0 when there is none
	fragOff uint16 // fragment offset in 8-byte units
	mf      bool   // More Fragments
	id      uint32 // fragment identification
	ptr     int    // ReasonSegmentsLeft: offset of the Segments Left field
}

// fragmented reports whether the packet is a real fragment (not an atomic one).
func (e *chain6) fragmented() bool { return e.frag != 0 && (e.mf || e.fragOff != 0) }

// firstOrWhole reports whether the packet holds the upper-layer header.
func (e *chain6) firstOrWhole() bool { return e.fragOff == 0 }

// isExtHeader reports whether nh is an IPv6 extension header in the sense
// of RFC 7915 5.1.1 (IANA "IPv6 Extension Header Types", except ESP).
func isExtHeader6(nh uint8) bool {
	switch nh {
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment,
		header.ProtoDestOpts, header.ProtoAH, header.ProtoMobility,
		header.ProtoHIP, header.ProtoShim6, 253, 254:
		return true
	}
	return false
}

// walkChain6 walks the header chain of the IPv6 packet ip (header included,
// trimmed to the payload length for outer packets, possibly truncated for
// the inner packet of an ICMP error) and fills e. It returns ReasonNone,
// ReasonSegmentsLeft (e.ptr set; never for inner packets),
// ReasonExtAfterFragment or ReasonBadExtHeaders.
func walkChain6(ip []byte, e *chain6, inner bool) Reason {
	nh := ip[header.IPv6NextHeader]
	off := header.IPv6Len
	e.frag = 0
	e.fragOff = 0
	e.mf = false
	e.id = 0
	for n := 0; ; n++ {
		if n > maxExtHeaders || off-header.IPv6Len > maxExtBytes {
			return ReasonBadExtHeaders
		}
		switch nh {
		case header.ProtoHopByHop, header.ProtoRouting, header.ProtoDestOpts:
			if e.frag != 0 {
				return ReasonExtAfterFragment
			}
			if nh == header.ProtoHopByHop && off != header.IPv6Len {
				return ReasonBadExtHeaders // RFC 8200 4.3: only right after the IPv6 header
			}
			if off+8 > len(ip) {
				return ReasonBadExtHeaders
			}
			hl := (int(ip[off+1]) + 1) * 8
			if off+hl > len(ip) {
				return ReasonBadExtHeaders
			}
			if nh == header.ProtoHopByHop && !inner && hasJumbo(ip[off+2:off+hl]) {
				// RFC 2675 section 3: a Jumbo Payload option with a
				// non-zero Payload Length is an error (and a real
				// jumbogram, Payload Length 0, never gets here).
				return ReasonBadExtHeaders
			}
			if nh == header.ProtoRouting && ip[off+3] != 0 && !inner {
				e.ptr = off + 3
				return ReasonSegmentsLeft
			}
			nh = ip[off]
			off += hl
		case header.ProtoFragment:
			if e.frag != 0 {
				return ReasonBadExtHeaders // two Fragment headers
			}
			if off+header.IPv6FragmentLen > len(ip) {
				return ReasonBadExtHeaders
			}
			fo := binary.BigEndian.Uint16(ip[off+2:])
			e.frag = off
			e.fragOff = fo >> 3
			e.mf = fo&header.IPv6FragMF != 0
			e.id = binary.BigEndian.Uint32(ip[off+4:])
			nh = ip[off]
			off += header.IPv6FragmentLen
			if nh == header.ProtoFragment {
				return ReasonBadExtHeaders
			}
			if isExtHeader6(nh) {
				return ReasonExtAfterFragment
			}
			e.l4, e.proto = off, nh
			return ReasonNone
		default:
			// Upper layer, or AH/ESP/Mobility/...: not skipped by RFC 7915,
			// carried as the protocol.
			e.l4, e.proto = off, nh
			return ReasonNone
		}
	}
}

// hasJumbo reports whether the options of a Hop-by-Hop header hold a Jumbo
// Payload option (type 0xC2, RFC 2675).
func hasJumbo(opts []byte) bool {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // Pad1
			i++
		case 0xc2:
			return true
		default:
			if i+1 >= len(opts) {
				return false
			}
			i += 2 + int(opts[i+1])
		}
	}
	return false
}
