package rings

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// The tests simulate the kernel with the opposite ring type over the same
// memory: the kernel consumes the fill ring like a completion ring, produces
// the RX ring like a TX ring, and so on.

var testOff = Offsets{Producer: 0, Consumer: 64, Flags: 128, Desc: 192}

func mem(size uint32, elem int, start uint32) []byte {
	m := make([]byte, 192+int(size)*elem)
	binary.NativeEndian.PutUint32(m[testOff.Producer:], start)
	binary.NativeEndian.PutUint32(m[testOff.Consumer:], start)
	return m
}

func setFlags(m []byte, v uint32) { binary.NativeEndian.PutUint32(m[testOff.Flags:], v) }

func TestNewErrors(t *testing.T) {
	m := mem(8, 8, 0)
	for _, n := range []uint32{0, 3, 6, 12} {
		if _, err := NewFill(m, testOff, n); !errors.Is(err, ErrSize) {
			t.Errorf("size %d: err %v, want ErrSize", n, err)
		}
	}
	if _, err := NewFill(m, testOff, 16); !errors.Is(err, ErrShort) {
		t.Errorf("short memory: err %v, want ErrShort", err)
	}
	if _, err := NewRX(m, testOff, 8); !errors.Is(err, ErrShort) {
		t.Errorf("RX on 8-byte-element memory: err %v, want ErrShort", err)
	}
	if _, err := NewFill(m, Offsets{Producer: 2, Consumer: 64, Flags: 128, Desc: 192}, 8); err == nil {
		t.Error("misaligned producer accepted")
	}
}

// addrPair returns a user-side fill ring and the kernel-side consumer.
func addrPair(t testing.TB, size, start uint32) (*Fill, *Completion, []byte) {
	m := mem(size, 8, start)
	f, err := NewFill(m, testOff, size)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewCompletion(m, testOff, size)
	if err != nil {
		t.Fatal(err)
	}
	return f, k, m
}

func descPair(t testing.TB, size, start uint32) (*TX, *RX, []byte) {
	m := mem(size, DescSize, start)
	p, err := NewTX(m, testOff, size)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewRX(m, testOff, size)
	if err != nil {
		t.Fatal(err)
	}
	return p, c, m
}

func TestFullEmpty(t *testing.T) {
	f, k, _ := addrPair(t, 8, 0)
	out := make([]uint64, 16)
	if n := k.Consume(out); n != 0 {
		t.Fatalf("empty ring gave %d", n)
	}
	in := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if n := f.Produce(in); n != 8 {
		t.Fatalf("Produce into empty 8-ring = %d, want 8", n)
	}
	if n := f.Produce(in); n != 0 {
		t.Fatalf("Produce into full ring = %d, want 0", n)
	}
	if p := f.Pending(); p != 8 {
		t.Fatalf("Pending = %d, want 8", p)
	}
	if n := k.Consume(out[:3]); n != 3 || out[0] != 1 || out[2] != 3 {
		t.Fatalf("Consume 3 = %d %v", n, out[:3])
	}
	if n := f.Produce(in[8:]); n != 2 {
		t.Fatalf("Produce after 3 freed = %d, want 2", n)
	}
	if n := k.Consume(out); n != 7 {
		t.Fatalf("Consume rest = %d, want 7", n)
	}
	want := []uint64{4, 5, 6, 7, 8, 9, 10}
	for i, w := range want {
		if out[i] != w {
			t.Fatalf("out[%d] = %d, want %d (%v)", i, out[i], w, out[:7])
		}
	}
	if n := k.Consume(out); n != 0 {
		t.Fatalf("drained ring gave %d", n)
	}
}

func TestCachedIndices(t *testing.T) {
	f, k, _ := addrPair(t, 8, 0)
	f.Produce([]uint64{1, 2, 3, 4})
	k.Consume(make([]uint64, 4)) // kernel frees 4 slots
	// 4 slots are known free without reading the shared consumer index...
	if n := f.Free(4); n != 4 {
		t.Fatalf("Free(4) = %d, want cached 4", n)
	}
	// ...asking for more refreshes it.
	if n := f.Free(8); n != 8 {
		t.Fatalf("Free(8) = %d, want 8 after refresh", n)
	}
	// The consumer caches the producer index likewise.
	f.Produce([]uint64{5, 6})
	if n := k.Avail(1); n != 1 {
		t.Fatalf("Avail(1) = %d", n)
	}
	f.Produce([]uint64{7})
	// 2 are known ready: no refresh, the third stays unseen...
	if n := k.Avail(2); n != 2 {
		t.Fatalf("Avail(2) = %d, want the cached 2", n)
	}
	if n := k.Consume(make([]uint64, 2)); n != 2 {
		t.Fatalf("Consume(2) = %d", n)
	}
	// ...until more are asked for than are known.
	if n := k.Avail(8); n != 1 {
		t.Fatalf("Avail(8) after draining the cache = %d, want 1 after refresh", n)
	}
}

// TestWraparound runs the indices across 2^32 and the slots around the ring
// many times with uneven batch sizes, checking order and contents.
func TestWraparound(t *testing.T) {
	for _, start := range []uint32{0, 1<<32 - 5, 1<<31 - 3} {
		f, k, _ := addrPair(t, 16, start)
		tx, rx, _ := descPair(t, 16, start)
		var next, expect uint64
		in := make([]uint64, 13)
		din := make([]Desc, 13)
		out := make([]uint64, 7)
		dout := make([]Desc, 7)
		for round := 0; round < 1000; round++ {
			b := 1 + round%13
			for i := range in[:b] {
				in[i] = next + uint64(i)
				din[i] = Desc{Addr: next + uint64(i), Len: uint32(next+uint64(i)) & 0xffff, Opts: 0}
			}
			n := f.Produce(in[:b])
			if m := tx.Produce(din[:b]); m != n {
				t.Fatalf("start %#x round %d: fill took %d, tx %d", start, round, n, m)
			}
			next += uint64(n)
			c := 1 + round%7
			got := k.Consume(out[:c])
			if g := rx.Consume(dout[:c]); g != got {
				t.Fatalf("start %#x round %d: consumed %d and %d", start, round, got, g)
			}
			for i := 0; i < got; i++ {
				if out[i] != expect || dout[i].Addr != expect || dout[i].Len != uint32(expect)&0xffff {
					t.Fatalf("start %#x round %d: got %d / %+v, want %d", start, round, out[i], dout[i], expect)
				}
				expect++
			}
		}
		if next < 3000 || expect < 3000 {
			t.Fatalf("start %#x: only %d produced, %d consumed", start, next, expect)
		}
	}
}

func TestNeedWakeup(t *testing.T) {
	f, _, m := addrPair(t, 8, 0)
	if f.NeedWakeup() {
		t.Fatal("NeedWakeup set on zero flags")
	}
	setFlags(m, NeedWakeup)
	if !f.NeedWakeup() {
		t.Fatal("NeedWakeup not seen")
	}
	setFlags(m, 2) // other bits do not count
	if f.NeedWakeup() {
		t.Fatal("NeedWakeup from another bit")
	}
}

// TestConcurrent moves a sequence through a small ring between two
// goroutines, as with the kernel on another CPU (run with -race).
func TestConcurrent(t *testing.T) {
	tx, rx, _ := descPair(t, 64, 1<<32-100)
	const total = 200000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		batch := make([]Desc, 32)
		var next uint64
		for next < total {
			b := batch[:min(uint64(len(batch)), total-next)]
			for i := range b {
				b[i] = Desc{Addr: next + uint64(i), Len: 64}
			}
			n := tx.Produce(b)
			if n == 0 {
				runtime.Gosched()
			}
			next += uint64(n)
		}
	}()
	out := make([]Desc, 64)
	var expect uint64
	for expect < total {
		n := rx.Consume(out)
		if n == 0 {
			runtime.Gosched()
		}
		for i := 0; i < n; i++ {
			if out[i].Addr != expect || out[i].Len != 64 {
				t.Errorf("got %+v, want addr %d", out[i], expect)
				wg.Wait()
				return
			}
			expect++
		}
	}
	wg.Wait()
}

func TestNoAllocs(t *testing.T) {
	f, k, _ := addrPair(t, 2048, 0)
	in := make([]uint64, 64)
	out := make([]uint64, 64)
	a := testing.AllocsPerRun(100, func() {
		f.Produce(in)
		k.Consume(out)
	})
	if a != 0 {
		t.Fatalf("%v allocations per batch", a)
	}
}

func BenchmarkFillCompletion64(b *testing.B) {
	f, k, _ := addrPair(b, 2048, 0)
	in := make([]uint64, 64)
	out := make([]uint64, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f.Produce(in)
		k.Consume(out)
	}
	reportPerDesc(b, uint64(b.N)*64)
}

func BenchmarkTXRX64(b *testing.B) {
	tx, rx, _ := descPair(b, 2048, 0)
	in := make([]Desc, 64)
	out := make([]Desc, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tx.Produce(in)
		rx.Consume(out)
	}
	reportPerDesc(b, uint64(b.N)*64)
}

// BenchmarkTXRXConcurrent has a producer and a consumer on two goroutines.
func BenchmarkTXRXConcurrent(b *testing.B) {
	tx, rx, _ := descPair(b, 2048, 0)
	total := uint64(b.N) * 64
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		in := make([]Desc, 64)
		for sent := uint64(0); sent < total; {
			n := tx.Produce(in[:min(64, total-sent)])
			if n == 0 {
				runtime.Gosched() // ring full: let the consumer run on a loaded box
			}
			sent += uint64(n)
		}
		close(done)
	}()
	out := make([]Desc, 64)
	for got := uint64(0); got < total; {
		n := rx.Consume(out)
		if n == 0 {
			runtime.Gosched()
		}
		got += uint64(n)
	}
	<-done
	reportPerDesc(b, total)
}

func reportPerDesc(b *testing.B, descs uint64) {
	ns := float64(b.Elapsed().Nanoseconds())
	b.ReportMetric(ns/float64(descs), "ns/desc")
	b.ReportMetric(float64(descs)/ns, "desc/ns")
}
