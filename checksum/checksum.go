// Package checksum implements the Internet checksum (RFC 1071), its
// incremental update (RFC 1624) and the pseudo-header helpers that let a
// translator swap an IPv4 pseudo-header for an IPv6 one (and back) without
// touching the payload, so that a bad L4 checksum stays exactly as bad.
//
// Conventions (as in gVisor's tcpip/checksum): a "sum" is the folded 16-bit
// one's-complement sum of some bytes, not complemented. The value stored in
// a header's checksum field is ^sum.
package checksum

// Checksum returns the folded one's-complement sum of buf added to initial.
// Bytes are taken as big-endian 16-bit words; an odd trailing byte is padded
// with zero, as RFC 1071 says.
func Checksum(buf []byte, initial uint16) uint16 {
	return fold(sum64(buf, uint64(initial)))
}

// Combine adds two folded sums in one's-complement arithmetic.
func Combine(a, b uint16) uint16 {
	s := uint32(a) + uint32(b)
	return uint16(s + s>>16)
}

// Update returns a checksum field value after one 16-bit word covered by it
// changed from old to new. RFC 1624, equation 3:
//
//	HC' = ~(~HC + ~m + m')
func Update(field, old, new uint16) uint16 {
	return ^Combine(Combine(^field, ^old), new)
}

// Adjust returns a checksum field value after the covered data lost a
// region whose folded sum is remove and gained one whose sum is add
// (RFC 1624 generalised to whole regions such as pseudo-headers).
func Adjust(field, remove, add uint16) uint16 {
	return ^Combine(Combine(^field, ^remove), add)
}

// PseudoHeader4 returns the folded sum of the IPv4 pseudo-header
// (RFC 793 / RFC 768): source, destination, zero, protocol, L4 length.
func PseudoHeader4(src, dst []byte, proto uint8, length uint16) uint16 {
	s := uint64(uint16(src[0])<<8|uint16(src[1])) + uint64(uint16(src[2])<<8|uint16(src[3]))
	s += uint64(uint16(dst[0])<<8|uint16(dst[1])) + uint64(uint16(dst[2])<<8|uint16(dst[3]))
	s += uint64(proto) + uint64(length)
	return fold(s)
}

// PseudoHeader6 returns the folded sum of the IPv6 pseudo-header
// (RFC 8200 section 8.1): source, destination, upper-layer length, next header.
func PseudoHeader6(src, dst []byte, nh uint8, length uint32) uint16 {
	s := sum64(src[:16], 0)
	s = sum64(dst[:16], s)
	s += uint64(length>>16) + uint64(length&0xffff) + uint64(nh)
	return fold(s)
}

// Sum4to6 returns the checksum field value of an L4 header whose
// pseudo-header changes from an IPv4 one to an IPv6 one.
func Sum4to6(field uint16, ph4, ph6 uint16) uint16 { return Adjust(field, ph4, ph6) }

func fold(s uint64) uint16 {
	s = (s >> 32) + (s & 0xffffffff)
	s = (s >> 32) + (s & 0xffffffff)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return uint16(s)
}
