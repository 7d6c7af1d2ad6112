package batch

// Checksum helpers of the two translation paths: the IPv4 header sum, the
// pseudo-header sums and the one-fold pseudo-header swaps (RFC 1624).

import (
	"encoding/binary"
	"math/bits"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// sum20 returns the folded one's-complement sum of a 20-byte IPv4 header.
func sum20(h *[header.IPv4MinLen]byte) uint16 {
	// Little-endian loads: the one's-complement sum of byte-swapped
	// words is the byte-swapped sum (RFC 1071 section 2 (B)).
	a, k := bits.Add64(binary.LittleEndian.Uint64(h[0:]), binary.LittleEndian.Uint64(h[8:]), 0)
	a, k = bits.Add64(a, uint64(binary.LittleEndian.Uint32(h[16:])), k)
	a, k = bits.Add64(a, k, 0)
	a += k
	return bits.ReverseBytes16(fold32(a))
}

// fold32 folds a 64-bit one's-complement accumulator (for example a sum of
// 32-bit big-endian words) to 16 bits: 2^16 = 1 modulo 0xffff, so the
// halves of each word simply add.
func fold32(a uint64) uint16 {
	s, c := bits.Add32(uint32(a), uint32(a>>32), 0)
	s += c // no overflow: with a carry, s <= 2^32-2
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
}

// addrSum4 is the folded sum of the IPv4 pseudo-header's addresses.
func addrSum4(src, dst *[4]byte) uint16 {
	return fold32(uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])))
}

// pseudo4 and pseudo6 are the folded sums of x's IPv4 and IPv6
// pseudo-headers for an L4 segment of n bytes (protocol x.proto, next
// header x.nh).
func (x *pkt46) pseudo4(n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum4(&x.src4, &x.dst4), uint16(n)), uint16(x.proto))
}

func (x *pkt46) pseudo6(n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum6(&x.src6, &x.dst6), uint16(n)), uint16(x.nh))
}

// addrSum6 is the folded sum of the IPv6 pseudo-header's addresses.
func addrSum6(src, dst *[16]byte) uint16 {
	s := uint64(binary.BigEndian.Uint32(src[0:])) + uint64(binary.BigEndian.Uint32(src[4:])) +
		uint64(binary.BigEndian.Uint32(src[8:])) + uint64(binary.BigEndian.Uint32(src[12:])) +
		uint64(binary.BigEndian.Uint32(dst[0:])) + uint64(binary.BigEndian.Uint32(dst[4:])) +
		uint64(binary.BigEndian.Uint32(dst[8:])) + uint64(binary.BigEndian.Uint32(dst[12:]))
	return fold32(s)
}

// csum46 returns the TCP/UDP checksum field c after the pseudo-header's
// addresses changed from x's IPv4 ones to its IPv6 ones (RFC 1624 equation
// 3 over whole 32- and 64-bit words: ~w is -w modulo 0xffff as well): one
// sum, one fold. Lengths and protocol numbers are the same in both
// pseudo-headers. c and the result are little-endian loads of the field:
// the sum runs on byte-swapped words (RFC 1071 section 2 (B)), sparing the
// swaps.
func csum46(c uint16, x *addrs46) uint16 {
	s := uint64(^c) +
		uint64(^binary.LittleEndian.Uint32(x.src4[:])) + uint64(^binary.LittleEndian.Uint32(x.dst4[:]))
	// The IPv6 addresses as four 64-bit words with end-around carry.
	a, k := bits.Add64(binary.LittleEndian.Uint64(x.src6[0:]), binary.LittleEndian.Uint64(x.src6[8:]), 0)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(x.dst6[0:]), k)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(x.dst6[8:]), k)
	a, k = bits.Add64(a, s, k)
	a, k = bits.Add64(a, k, 0)
	a += k
	return ^fold32(a)
}

// hdrSum4 returns the folded one's-complement sum of a 20-byte IPv4 header.
func hdrSum4(h []byte) uint16 {
	_ = h[19]
	s := uint64(binary.BigEndian.Uint32(h[0:])) + uint64(binary.BigEndian.Uint32(h[4:])) +
		uint64(binary.BigEndian.Uint32(h[8:])) + uint64(binary.BigEndian.Uint32(h[12:])) +
		uint64(binary.BigEndian.Uint32(h[16:]))
	return foldSum(s)
}

// foldSum folds a sum of 32-bit words into a 16-bit one's-complement sum.
func foldSum(s uint64) uint16 {
	s = s>>32 + s&0xffffffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
}

// addrSum6x is the folded sum of 32 bytes: an IPv6 source and destination.
func addrSum6x(a []byte) uint16 {
	_ = a[31]
	s := uint64(binary.BigEndian.Uint32(a[0:])) + uint64(binary.BigEndian.Uint32(a[4:])) +
		uint64(binary.BigEndian.Uint32(a[8:])) + uint64(binary.BigEndian.Uint32(a[12:])) +
		uint64(binary.BigEndian.Uint32(a[16:])) + uint64(binary.BigEndian.Uint32(a[20:])) +
		uint64(binary.BigEndian.Uint32(a[24:])) + uint64(binary.BigEndian.Uint32(a[28:]))
	return foldSum(s)
}

// pseudoSwap64 returns the TCP/UDP checksum field value after the
// pseudo-header's IPv6 addresses a6 (source and destination, 32 bytes) are
// replaced by src and dst (RFC 1624 eq. 3: HC' = ~(~HC + ~m + m')). Length
// and protocol are the same in both pseudo-headers and cancel out.
func pseudoSwap64(field uint16, a6 []byte, src, dst *[4]byte) uint16 {
	s := uint64(^field) + uint64(^addrSum6x(a6)) +
		uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:]))
	return ^foldSum(s)
}

// pseudo6 and pseudo4 are the folded pseudo-header sums of an L4 segment
// of n bytes: IPv6 from the packet's addresses, IPv4 from the translated ones.
// (n < 65536: the payload length field of an IPv6 header without a Jumbo
// option bounds it.)
func pseudo6(ip []byte, proto uint8, n int) uint16 {
	return checksum.Combine(checksum.Combine(addrSum6x(ip[header.IPv6Src:header.IPv6Src+32]), uint16(n)), uint16(proto))
}

func pseudo4(src, dst *[4]byte, proto uint8, n int) uint16 {
	s := uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])) + uint64(n) + uint64(proto)
	return foldSum(s)
}
