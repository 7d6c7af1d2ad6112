// Package checksum implements the Internet checksum (RFC 1071), its
// incremental update (RFC 1624) and the pseudo-header helpers that let a
// translator swap an IPv4 pseudo-header for an IPv6 one (and back) without
// touching the payload, so that a bad L4 checksum stays exactly as bad.
//
// Conventions (as in gVisor's tcpip/checksum): a "sum" is the folded 16-bit
// one's-complement sum of some bytes, not complemented. The value stored in
// a header's checksum field is ^sum.
package checksum

import (
	"encoding/binary"
	"math/bits"
)

// Checksum returns the folded one's-complement sum of buf added to initial.
// Bytes are taken as big-endian 16-bit words; an odd trailing byte is padded
// with zero. RFC 1071 section 1:
//
//	In outline, the Internet checksum algorithm is very simple:
//
//	(1)  Adjacent octets to be checksummed are paired to form 16-bit
//	     integers, and the 1's complement sum of these 16-bit integers is
//	     formed.
//
//	(2)  To generate a checksum, the checksum field itself is cleared,
//	     the 16-bit 1's complement sum is computed over the octets
//	     concerned, and the 1's complement of this sum is placed in the
//	     checksum field.
//
//	(3)  To check a checksum, the 1's complement sum is computed over the
//	     same set of octets, including the checksum field.  If the result
//	     is all 1 bits (-0 in 1's complement arithmetic), the check
//	     succeeds.
//
// So a header's checksum field is ^Checksum(header with field zeroed, 0)
// and a received header is valid when Checksum(header, 0) == 0xffff.
// The result is 0 only when every word summed (and initial) is 0.
// Checksum does not allocate; sums of disjoint pieces can be chained
// through initial as long as every piece but the last has an even length.
func Checksum(buf []byte, initial uint16) uint16 {
	return Fold(sum64(buf, uint64(initial)))
}

// Combine adds two folded sums in one's-complement arithmetic.
func Combine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// Adjust returns a checksum field value after the covered data lost a
// region whose folded sum is remove and gained one whose sum is add: a
// 16-bit word changed from m to m' (Adjust(HC, m, m')), or whole regions
// such as pseudo-headers. RFC 1624 section 3:
//
//	Given the following notation:
//
//	    HC  - old checksum in header
//	    C   - one's complement sum of old header
//	    HC' - new checksum in header
//	    C'  - new one's complement sum of header
//	    m   - old value of a 16-bit field
//	    m'  - new value of a 16-bit field
//
//	    HC' = ~(C + (-m) + m')    --    [Eqn. 3]
//	        = ~(~HC + ~m + m')
//
// Equation 3 is the form RFC 1624 derives to fix the boundary case of
// RFC 1141's update. The result equals a full recomputation except for
// data whose words are all zero after the change: there a recomputation
// gives 0xffff and Adjust 0x0000, the same number (±0) in one's-complement
// arithmetic; real IP, TCP, UDP and ICMP headers are never all zero.
func Adjust(field, remove, add uint16) uint16 {
	return ^Combine(Combine(^field, ^remove), add)
}

// PseudoHeader4 returns the folded sum of the IPv4 pseudo-header
// (RFC 793 / RFC 768): source, destination, zero, protocol, L4 length.
// Big-endian 32-bit values are congruent to the sum of their two 16-bit
// words modulo 2^16-1, so they are added whole.
func PseudoHeader4(src, dst []byte, proto uint8, length uint16) uint16 {
	s := uint64(binary.BigEndian.Uint32(src[:4])) + uint64(binary.BigEndian.Uint32(dst[:4]))
	s += uint64(proto) + uint64(length)
	return Fold(s)
}

// PseudoHeader6 returns the folded sum of the IPv6 pseudo-header
// (RFC 8200 section 8.1): source, destination, upper-layer length, next
// header. Four 64-bit words in one carry chain; does not allocate.
func PseudoHeader6(src, dst []byte, nh uint8, length uint32) uint16 {
	src, dst = src[:16], dst[:16]
	s, c := bits.Add64(binary.BigEndian.Uint64(src[:8]), binary.BigEndian.Uint64(src[8:]), 0)
	s, c = bits.Add64(s, binary.BigEndian.Uint64(dst[:8]), c)
	s, c = bits.Add64(s, binary.BigEndian.Uint64(dst[8:]), c)
	s, c = bits.Add64(s, uint64(length)+uint64(nh), c)
	return Fold(s + c) // a carry leaves s small: no second overflow
}

// Fold reduces a 64-bit one's-complement accumulator (a sum of 16-, 32-
// or 64-bit big-endian words, 2^16 being 1 modulo 2^16-1) to the folded
// 16-bit sum. It is the one fold of the module.
func Fold(s uint64) uint16 {
	lo, c := bits.Add32(uint32(s), uint32(s>>32), 0)
	lo += c                    // no overflow: with a carry, lo <= 2^32-2
	lo = lo>>16 + lo&0xffff    // <= 0x1fffe
	return uint16(lo + lo>>16) // the low half is <= 0xfffe when the high one is 1: no wrap
}
