package checksum

// The pseudo-header swaps of a translator, one per direction: the TCP/UDP
// checksum field after the IPv4 pseudo-header's addresses are replaced by
// IPv6 ones, or the reverse. Lengths and protocol numbers are the same in
// both pseudo-headers and cancel out. Only the pseudo-headers enter the
// computation, never the payload, so a segment whose checksum was wrong by
// some amount is exactly as wrong after translation.
//
// RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), applied to whole 32- and
// 64-bit words at once: ~w is -w modulo 2^16-1 for those too. The words are
// loaded little-endian: the one's-complement sum of byte-swapped words is
// the byte-swapped sum (RFC 1071 section 2 (B)), which spares a byte swap
// per load; the field goes in and out through one 16-bit rotation.

import (
	"encoding/binary"
	"math/bits"
)

// Swap4to6 returns the checksum field value (as read big-endian) after the
// pseudo-header's addresses change from src4/dst4 to src6/dst6.
func Swap4to6(field uint16, src4, dst4 *[4]byte, src6, dst6 *[16]byte) uint16 {
	s := uint64(^bits.ReverseBytes16(field)) +
		uint64(^binary.LittleEndian.Uint32(src4[:])) + uint64(^binary.LittleEndian.Uint32(dst4[:]))
	a, k := bits.Add64(binary.LittleEndian.Uint64(src6[0:]), binary.LittleEndian.Uint64(src6[8:]), 0)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(dst6[0:]), k)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(dst6[8:]), k)
	a, k = bits.Add64(a, s, k)
	a, k = bits.Add64(a, k, 0)
	return bits.ReverseBytes16(^Fold(a + k))
}

// Swap6to4 returns the checksum field value (as read big-endian) after the
// pseudo-header's addresses change from src6/dst6 to src4/dst4.
func Swap6to4(field uint16, src6, dst6 *[16]byte, src4, dst4 *[4]byte) uint16 {
	a, k := bits.Add64(binary.LittleEndian.Uint64(src6[0:]), binary.LittleEndian.Uint64(src6[8:]), 0)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(dst6[0:]), k)
	a, k = bits.Add64(a, binary.LittleEndian.Uint64(dst6[8:]), k)
	a, k = bits.Add64(a, k, 0)
	a += k // the IPv6 addresses' sum, end-around carry folded in
	s := uint64(^bits.ReverseBytes16(field)) +
		uint64(binary.LittleEndian.Uint32(src4[:])) + uint64(binary.LittleEndian.Uint32(dst4[:]))
	a, k = bits.Add64(^a, s, 0) // ^a is -a modulo 2^64-1
	return bits.ReverseBytes16(^Fold(a + k))
}
