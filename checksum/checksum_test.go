package checksum

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// refSum is the plain RFC 1071 reference (pktbuild.Sum, the one every
// test of the module uses): 16-bit big-endian words added one at a time,
// odd byte padded with zero, then folded.
func refSum(buf []byte, initial uint16) uint16 { return pktbuild.Sum(buf, uint32(initial)) }

// onesEqual reports whether a and b are the same one's-complement number
// (0x0000 and 0xffff are +0 and -0).
func onesEqual(a, b uint16) bool {
	return a == b || (a == 0 && b == 0xffff) || (a == 0xffff && b == 0)
}

func TestChecksumEveryLengthAndAlignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const maxLen = 2048
	back := make([]byte, maxLen+8)
	for i := range back {
		back[i] = byte(rng.Uint32())
	}
	for align := 0; align < 8; align++ {
		for n := 0; n <= maxLen; n++ {
			buf := back[align : align+n]
			initial := uint16(rng.Uint32())
			if got, want := Checksum(buf, initial), refSum(buf, initial); got != want {
				t.Fatalf("align %d len %d initial %#04x: Checksum = %#04x, reference %#04x", align, n, initial, got, want)
			}
			if got, want := Checksum(buf, 0), refSum(buf, 0); got != want {
				t.Fatalf("align %d len %d: Checksum = %#04x, reference %#04x", align, n, got, want)
			}
		}
	}
}

// Buffers of all 0xff exercise every carry in the 64-bit chain.
func TestChecksumCarries(t *testing.T) {
	for _, fill := range []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff} {
		buf := make([]byte, 9000)
		for i := range buf {
			buf[i] = fill
		}
		for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1499, 1500, 4095, 9000} {
			for _, initial := range []uint16{0, 1, 0x8000, 0xfffe, 0xffff} {
				if got, want := Checksum(buf[:n], initial), refSum(buf[:n], initial); got != want {
					t.Fatalf("fill %#x len %d initial %#x: Checksum = %#04x, reference %#04x", fill, n, initial, got, want)
				}
			}
		}
	}
}

// Large accumulators: sum64 must stay exact when its input accumulator is
// near 2^64 (the end-around carry of the chain).
func TestSum64Accumulator(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		n := rng.IntN(200)
		buf := make([]byte, n)
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		acc := ^uint64(0) - uint64(rng.IntN(1<<20))
		// acc ≡ Fold(acc) in one's-complement arithmetic.
		want := refSum(buf, Fold(acc))
		if got := Fold(sum64(buf, acc)); got != want {
			t.Fatalf("len %d acc %#x: got %#04x want %#04x", n, acc, got, want)
		}
	}
}

// The extreme accumulators with all-ones data, every length up to 80:
// every add in the chain carries.
func TestSum64AllOnes(t *testing.T) {
	buf := make([]byte, 80)
	for i := range buf {
		buf[i] = 0xff
	}
	for _, acc := range []uint64{^uint64(0), ^uint64(0) - 1, ^uint64(0) - 255, 1 << 63, 0} {
		for n := 0; n <= len(buf); n++ {
			want := refSum(buf[:n], Fold(acc))
			if got := Fold(sum64(buf[:n], acc)); got != want {
				t.Fatalf("len %d acc %#x: got %#04x want %#04x", n, acc, got, want)
			}
		}
	}
}

func TestChecksumOddLengths(t *testing.T) {
	// RFC 1071: an odd final byte is the high byte of a zero-padded word.
	if got := Checksum([]byte{0xab}, 0); got != 0xab00 {
		t.Fatalf("Checksum(ab) = %#04x, want 0xab00", got)
	}
	if got := Checksum([]byte{0x12, 0x34, 0x56}, 0); got != 0x1234+0x5600 {
		t.Fatalf("Checksum(123456) = %#04x", got)
	}
	// Chaining: an even-length first piece then an odd piece equals one pass.
	buf := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	for cut := 0; cut <= len(buf); cut += 2 {
		if got, want := Checksum(buf[cut:], Checksum(buf[:cut], 0)), Checksum(buf, 0); got != want {
			t.Fatalf("cut %d: chained %#04x, whole %#04x", cut, got, want)
		}
	}
}

// RFC 1071 section 3 numeric example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to
// ddf2 (folded).
func TestChecksumRFC1071Example(t *testing.T) {
	buf := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Checksum(buf, 0); got != 0xddf2 {
		t.Fatalf("Checksum = %#04x, want 0xddf2", got)
	}
}

// A real IPv4 header (from RFC 791 style example, 192.0.2.1 -> 198.51.100.2)
// must verify to 0xffff once its checksum is written.
func TestChecksumIPv4Header(t *testing.T) {
	h := []byte{
		0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
		192, 0, 2, 1, 198, 51, 100, 2,
	}
	binary.BigEndian.PutUint16(h[10:], ^Checksum(h, 0))
	if got := Checksum(h, 0); got != 0xffff {
		t.Fatalf("verification sum %#04x, want 0xffff", got)
	}
}

func randBuf(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// Adjust (one word, and regions) against full recomputation on random buffers with
// random word changes.
func TestAdjustWordMatchesRecompute(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 20000; iter++ {
		n := 2 + 2*rng.IntN(300)
		buf := randBuf(rng, n)
		if iter%7 == 0 {
			// Sparse data: mostly zero words reach the ±0 corners.
			for i := range buf {
				if rng.IntN(8) != 0 {
					buf[i] = 0
				}
			}
		}
		field := ^Checksum(buf, 0)
		for k := 0; k < 1+rng.IntN(4); k++ {
			off := 2 * rng.IntN(n/2)
			old := binary.BigEndian.Uint16(buf[off:])
			var nw uint16
			switch rng.IntN(4) {
			case 0:
				nw = 0
			case 1:
				nw = 0xffff
			default:
				nw = uint16(rng.Uint32())
			}
			binary.BigEndian.PutUint16(buf[off:], nw)
			field = Adjust(field, old, nw)
			want := ^Checksum(buf, 0)
			if !onesEqual(field, want) {
				t.Fatalf("iter %d: Adjust gave %#04x, recomputation %#04x", iter, field, want)
			}
			if field != want && !allZero(buf) {
				t.Fatalf("iter %d: Adjust gave %#04x, recomputation %#04x (data not all zero)", iter, field, want)
			}
		}
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// Adjust replaces a whole region (here an aligned slice of random length)
// and must match recomputation.
func TestAdjustMatchesRecompute(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 20000; iter++ {
		n := 2 + 2*rng.IntN(200)
		buf := randBuf(rng, n)
		field := ^Checksum(buf, 0)
		a := 2 * rng.IntN(n/2)
		b := a + 2*rng.IntN((n-a)/2+1)
		oldSum := Checksum(buf[a:b], 0)
		copy(buf[a:b], randBuf(rng, b-a))
		newSum := Checksum(buf[a:b], 0)
		got := Adjust(field, oldSum, newSum)
		want := ^Checksum(buf, 0)
		if got != want && !(onesEqual(got, want) && allZero(buf)) {
			t.Fatalf("iter %d [%d:%d]: Adjust %#04x, recomputation %#04x", iter, a, b, got, want)
		}
	}
}

func TestCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 100000; i++ {
		a, b := uint16(rng.Uint32()), uint16(rng.Uint32())
		var buf [4]byte
		binary.BigEndian.PutUint16(buf[0:], a)
		binary.BigEndian.PutUint16(buf[2:], b)
		if got, want := Combine(a, b), refSum(buf[:], 0); got != want {
			t.Fatalf("Combine(%#x, %#x) = %#x, want %#x", a, b, got, want)
		}
	}
}

func TestPseudoHeaders(t *testing.T) {
	src4 := []byte{192, 0, 2, 1}
	dst4 := []byte{198, 51, 100, 2}
	ph4 := []byte{192, 0, 2, 1, 198, 51, 100, 2, 0, 17, 0x05, 0xdc}
	if got, want := PseudoHeader4(src4, dst4, 17, 1500), refSum(ph4, 0); got != want {
		t.Fatalf("PseudoHeader4 = %#04x, want %#04x", got, want)
	}
	src6 := []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	dst6 := []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xee, 0xdd, 0xcc}
	ph6 := make([]byte, 0, 40)
	ph6 = append(ph6, src6...)
	ph6 = append(ph6, dst6...)
	ph6 = append(ph6, 0x00, 0x01, 0x23, 0x45, 0, 0, 0, 6)
	if got, want := PseudoHeader6(src6, dst6, 6, 0x12345), refSum(ph6, 0); got != want {
		t.Fatalf("PseudoHeader6 = %#04x, want %#04x", got, want)
	}
}

// An L4 segment with a deliberately wrong checksum moved from an IPv4
// pseudo-header to an IPv6 one with Adjust stays wrong by exactly the same
// amount: the receiver's verification sum is the same before and after.
func TestPseudoHeaderSwapKeepsError(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for iter := 0; iter < 5000; iter++ {
		n := 8 + rng.IntN(1400) // UDP header + payload, odd lengths included
		seg := randBuf(rng, n)
		binary.BigEndian.PutUint16(seg[4:], uint16(n))
		seg[6], seg[7] = 0, 0
		src4, dst4 := randBuf(rng, 4), randBuf(rng, 4)
		src6, dst6 := randBuf(rng, 16), randBuf(rng, 16)
		ph4 := PseudoHeader4(src4, dst4, 17, uint16(n))
		ph6 := PseudoHeader6(src6, dst6, 17, uint32(n))
		good4 := ^Checksum(seg, ph4)
		// Make it wrong by a random non-zero amount.
		wrong := good4 + uint16(1+rng.IntN(0xfffd))
		binary.BigEndian.PutUint16(seg[6:], wrong)
		verify4 := Checksum(seg, ph4)
		if verify4 == 0xffff {
			continue // the "error" happened to be ±0
		}
		binary.BigEndian.PutUint16(seg[6:], Swap4to6(wrong, (*[4]byte)(src4), (*[4]byte)(dst4), (*[16]byte)(src6), (*[16]byte)(dst6)))
		verify6 := Checksum(seg, ph6)
		if verify6 != verify4 {
			t.Fatalf("iter %d: verification sum %#04x over IPv4, %#04x after the move to IPv6", iter, verify4, verify6)
		}
		// And back again gives the original field.
		back := Swap6to4(binary.BigEndian.Uint16(seg[6:]), (*[16]byte)(src6), (*[16]byte)(dst6), (*[4]byte)(src4), (*[4]byte)(dst4))
		if !onesEqual(back, wrong) {
			t.Fatalf("iter %d: 4->6->4 gave %#04x, want %#04x", iter, back, wrong)
		}
		// A correct checksum stays correct.
		binary.BigEndian.PutUint16(seg[6:], good4)
		binary.BigEndian.PutUint16(seg[6:], Swap4to6(good4, (*[4]byte)(src4), (*[4]byte)(dst4), (*[16]byte)(src6), (*[16]byte)(dst6)))
		if v := Checksum(seg, ph6); v != 0xffff {
			t.Fatalf("iter %d: correct checksum became wrong after the move: %#04x", iter, v)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	buf := make([]byte, 1500)
	a := make([]byte, 16)
	var sink uint16
	allocs := testing.AllocsPerRun(100, func() {
		sink += Checksum(buf, sink)
		sink += Adjust(sink, 3, 4)
		sink += PseudoHeader4(a, a, 6, 20)
		sink += PseudoHeader6(a, a, 6, 20)
		sink += Combine(sink, 7)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run, want 0", allocs)
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte{}, uint16(0), uint8(0))
	f.Add([]byte{0xff}, uint16(0xffff), uint8(1))
	f.Add([]byte{0x45, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2}, uint16(0), uint8(3))
	f.Fuzz(func(t *testing.T, buf []byte, initial uint16, skip uint8) {
		// Start at an arbitrary alignment within the fuzzer's buffer.
		if k := int(skip % 8); k <= len(buf) {
			buf = buf[k:]
		}
		if got, want := Checksum(buf, initial), refSum(buf, initial); got != want {
			t.Fatalf("len %d initial %#04x: Checksum %#04x, reference %#04x", len(buf), initial, got, want)
		}
	})
}

var benchSink uint16

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{20, 40, 64, 128, 256, 512, 1280, 1500, 4096, 9000} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var s uint16
			for b.Loop() {
				s = Checksum(buf, s)
			}
			benchSink = s
		})
	}
}

func BenchmarkChecksumReference(b *testing.B) {
	for _, n := range []int{20, 1500} {
		buf := make([]byte, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			var s uint16
			for b.Loop() {
				s = refSum(buf, s)
			}
			benchSink = s
		})
	}
}

func TestPseudoHeadersRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 100000; i++ {
		a := randBuf(rng, 32)
		if i%5 == 0 {
			for j := range a {
				a[j] = 0xff
			}
		}
		l32, l16, p := rng.Uint32(), uint16(rng.Uint32()), uint8(rng.Uint32())
		ph6 := append(append(append([]byte{}, a...), byte(l32>>24), byte(l32>>16), byte(l32>>8), byte(l32)), 0, 0, 0, p)
		if got, want := PseudoHeader6(a[:16], a[16:], p, l32), refSum(ph6, 0); got != want {
			t.Fatalf("PseudoHeader6(% x, %d, %d) = %#04x, want %#04x", a, p, l32, got, want)
		}
		ph4 := append(append([]byte{}, a[:8]...), 0, p, byte(l16>>8), byte(l16))
		if got, want := PseudoHeader4(a[:4], a[4:8], p, l16), refSum(ph4, 0); got != want {
			t.Fatalf("PseudoHeader4(% x, %d, %d) = %#04x, want %#04x", a[:8], p, l16, got, want)
		}
	}
}

func BenchmarkPseudoHeader6(b *testing.B) {
	a := make([]byte, 32)
	var s uint16
	for b.Loop() {
		s = PseudoHeader6(a[:16], a[16:], 17, uint32(s))
	}
	benchSink = s
}

func BenchmarkAdjust(b *testing.B) {
	var s uint16
	for i := 0; b.Loop(); i++ {
		s = Adjust(s, uint16(i), uint16(i>>3))
	}
	benchSink = s
}

// TestSwaps compares the one-fold pseudo-header swaps with RFC 1624 built
// from Adjust and the pseudo-header sums, over random fields and addresses
// and the all-zero / all-ones extremes (0x0000 and 0xffff are the same
// one's-complement number).
func TestSwaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s4, d4 [4]byte
	var s6, d6 [16]byte
	for i := 0; i < 200000; i++ {
		for _, b := range [][]byte{s4[:], d4[:], s6[:], d6[:]} {
			for j := range b {
				switch i % 7 {
				case 0:
					b[j] = 0xff
				case 1:
					b[j] = 0
				default:
					b[j] = byte(rng.Uint32())
				}
			}
		}
		field := uint16(rng.Uint32())
		ph4 := PseudoHeader4(s4[:], d4[:], 17, 100)
		ph6 := PseudoHeader6(s6[:], d6[:], 17, 100)
		if got, want := Swap4to6(field, &s4, &d4, &s6, &d6), Adjust(field, ph4, ph6); !onesEqual(got, want) {
			t.Fatalf("Swap4to6(%#x, %x %x %x %x) = %#x, want %#x", field, s4, d4, s6, d6, got, want)
		}
		if got, want := Swap6to4(field, &s6, &d6, &s4, &d4), Adjust(field, ph6, ph4); !onesEqual(got, want) {
			t.Fatalf("Swap6to4(%#x, %x %x %x %x) = %#x, want %#x", field, s6, d6, s4, d4, got, want)
		}
	}
}

// TestFold compares Fold with the plain loop (add the 16-bit halves until
// no carry is left) on edge values and random accumulators.
func TestFold(t *testing.T) {
	ref := func(s uint64) uint16 {
		for s>>16 != 0 {
			s = s>>16 + s&0xffff
		}
		return uint16(s)
	}
	vals := []uint64{0, 1, 0xffff, 0x10000, 0x1fffe, 0x1ffff, 0xffffffff, 0x100000000, 0xfffeffff,
		0xffff0000ffff, 1<<64 - 1, 1<<64 - 2, 0xffffffff00000000, 0x00000001ffffffff}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 1000000; i++ {
		vals = append(vals[:14], rng.Uint64(), rng.Uint64()>>uint(rng.IntN(64)))
		for _, v := range vals {
			if got, want := Fold(v), ref(v); got != want {
				t.Fatalf("Fold(%#x) = %#x, want %#x", v, got, want)
			}
		}
	}
}
