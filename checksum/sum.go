package checksum

import (
	"encoding/binary"
	"math/bits"
)

// sum64 adds buf, as big-endian 16-bit words, to the 64-bit one's-complement
// accumulator s and returns the new accumulator (not folded).
//
// The data are read as big-endian 64-bit words and added with an
// end-around carry (bits.Add64 chains, which compile to ADC on amd64 and
// ADCS on arm64). This is the same one's-complement sum as adding 16-bit
// words: 2^16 ≡ 1 (mod 2^16-1), so a big-endian 64-bit word
// w0<<48|w1<<32|w2<<16|w3 is congruent to w0+w1+w2+w3, and the end-around
// carry keeps the accumulator congruent modulo 2^64-1, a multiple of
// 2^16-1 (RFC 1071 section 2, "Parallel Summation"). Every chunk starts at
// an even offset, so the tail can be taken as 32-, 16- and 8-bit pieces in
// the same way; an odd final byte is the high half of a zero-padded word.
//
// 64 bytes per iteration, then one 32-, 16- and 8-byte step each, then the
// sub-word tail. No unsafe: binary.BigEndian.Uint64 compiles to one load and
// a byte swap (MOVBE with GOAMD64=v3), with a single bounds check per block.
func sum64(buf []byte, s uint64) uint64 {
	var c uint64
	for len(buf) >= 64 {
		b := buf[:64:64]
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[8:16]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[16:24]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[24:32]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[32:40]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[40:48]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[48:56]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[56:64]), c)
		buf = buf[64:]
	}
	if len(buf) >= 32 {
		b := buf[:32:32]
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[8:16]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[16:24]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[24:32]), c)
		buf = buf[32:]
	}
	if len(buf) >= 16 {
		b := buf[:16:16]
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.BigEndian.Uint64(b[8:16]), c)
		buf = buf[16:]
	}
	if len(buf) >= 8 {
		s, c = bits.Add64(s, binary.BigEndian.Uint64(buf), c)
		buf = buf[8:]
	}
	// Fewer than 8 bytes remain: gather them into one value with the
	// same congruence (4-byte piece in the high half, then 2, then 1).
	var t uint64
	if len(buf) >= 4 {
		t = uint64(binary.BigEndian.Uint32(buf)) << 32
		buf = buf[4:]
	}
	if len(buf) >= 2 {
		t += uint64(binary.BigEndian.Uint16(buf)) << 16
		buf = buf[2:]
	}
	if len(buf) == 1 {
		t += uint64(buf[0]) << 8
	}
	// t has at most 7 bytes (t <= 2^64-256), so when this add carries, s is
	// at most 2^64-256 afterwards and folding the carry back cannot
	// overflow again.
	s, c = bits.Add64(s, t, c)
	return s + c
}
