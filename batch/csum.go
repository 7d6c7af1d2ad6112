package batch

// Checksum helpers of the two translation paths. The arithmetic itself
// (fold, pseudo-header sums and swaps) is package checksum's.

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
	return bits.ReverseBytes16(checksum.Fold(a + k))
}

// pseudo4 and pseudo6 are the folded sums of a's IPv4 and IPv6
// pseudo-headers for an L4 segment of n bytes of protocol (next header) p
// (checksum.PseudoHeader4/6 on fixed-size arrays, which the compiler
// inlines without bounds checks: these run for every TCP/UDP packet, for
// the test of partialcsum.go).
func (a *addrs46) pseudo4(p uint8, n int) uint16 { return pseudoSum4(&a.src4, &a.dst4, p, n) }
func (a *addrs46) pseudo6(p uint8, n int) uint16 { return pseudoSum6(&a.src6, &a.dst6, p, n) }
func (a *addrs64) pseudo4(p uint8, n int) uint16 { return pseudoSum4(&a.src4, &a.dst4, p, n) }
func (a *addrs64) pseudo6(p uint8, n int) uint16 { return pseudoSum6(a.src6, a.dst6, p, n) }

func pseudoSum4(src, dst *[4]byte, p uint8, n int) uint16 {
	return checksum.Fold(uint64(binary.BigEndian.Uint32(src[:])) + uint64(binary.BigEndian.Uint32(dst[:])) +
		uint64(p) + uint64(uint32(n)))
}

func pseudoSum6(src, dst *[16]byte, p uint8, n int) uint16 {
	s, c := bits.Add64(binary.BigEndian.Uint64(src[:8]), binary.BigEndian.Uint64(src[8:]), 0)
	s, c = bits.Add64(s, binary.BigEndian.Uint64(dst[:8]), c)
	s, c = bits.Add64(s, binary.BigEndian.Uint64(dst[8:]), c)
	s, c = bits.Add64(s, uint64(uint32(n))+uint64(p), c)
	return checksum.Fold(s + c)
}

// swap46 and swap64 are the TCP/UDP checksum field after a's pseudo-header
// swap (RFC 1624), 4 -> 6 and 6 -> 4.
func (a *addrs46) swap(field uint16) uint16 {
	return checksum.Swap4to6(field, &a.src4, &a.dst4, &a.src6, &a.dst6)
}

func (a *addrs64) swap(field uint16) uint16 {
	return checksum.Swap6to4(field, a.src6, a.dst6, &a.src4, &a.dst4)
}
