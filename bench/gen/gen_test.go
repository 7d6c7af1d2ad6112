package gen

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

var (
	flow6 = Flow{
		SrcMAC: [6]byte{2, 0, 0, 0, 0, 1}, DstMAC: [6]byte{2, 0, 0, 0, 0, 2},
		Src: netip.MustParseAddr("2001:db8:1::2"), Dst: netip.MustParseAddr("2001:db8:64::c633:6402"),
		SrcPort: 1024, DstPort: 9,
	}
	flow4 = Flow{
		SrcMAC: [6]byte{2, 0, 0, 0, 0, 3}, DstMAC: [6]byte{2, 0, 0, 0, 0, 4},
		Src: netip.MustParseAddr("198.51.100.2"), Dst: netip.MustParseAddr("192.0.2.2"),
		SrcPort: 1024, DstPort: 9,
	}
)

// udpValid recomputes the UDP checksum over pseudo-header and datagram.
func udpValid(t *testing.T, f []byte) bool {
	t.Helper()
	ip := f[header.EthernetLen:]
	switch header.Ethernet(f).Type() {
	case header.EtherTypeIPv6:
		v6 := header.IPv6(ip)
		udp := ip[header.IPv6Len:]
		if int(v6.PayloadLen()) != len(udp) {
			t.Fatalf("payload length %d, have %d", v6.PayloadLen(), len(udp))
		}
		ph := checksum.PseudoHeader6(v6.Src(), v6.Dst(), header.ProtoUDP, uint32(len(udp)))
		return checksum.Checksum(udp, ph) == 0xffff
	case header.EtherTypeIPv4:
		v4 := header.IPv4(ip)
		if checksum.Checksum(v4[:20], 0) != 0xffff {
			t.Fatal("bad IPv4 header checksum")
		}
		udp := ip[20:]
		if int(v4.TotalLen()) != len(ip) {
			t.Fatalf("total length %d, have %d", v4.TotalLen(), len(ip))
		}
		ph := checksum.PseudoHeader4(v4.Src(), v4.Dst(), header.ProtoUDP, uint16(len(udp)))
		return checksum.Checksum(udp, ph) == 0xffff
	}
	t.Fatal("not IP")
	return false
}

func TestTemplateStampParse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, fl := range []Flow{flow6, flow4} {
		for _, size := range []int{84, 85, 128, 256, 512, 1024, 1280, 1518} {
			wl := WireLen(size)
			if fl.Src.Is4() {
				wl -= 20
			}
			tp, err := NewTemplate(fl, wl)
			if err != nil {
				t.Fatal(size, err)
			}
			if tp.Len() != wl {
				t.Fatalf("len %d want %d", tp.Len(), wl)
			}
			b := slices.Clone(tp.Frame)
			for i := 0; i < 2000; i++ {
				seq, ts := r.Uint64(), int64(r.Uint64())
				if i < 4 {
					seq, ts = uint64(i)*0xffff, -int64(i)
				}
				tp.Stamp(b, seq, ts)
				if !udpValid(t, b) {
					t.Fatalf("%v size %d seq %x ts %x: bad UDP checksum", fl.Src, size, seq, ts)
				}
				s2, ts2, ok := Parse(b)
				if !ok || s2 != seq || ts2 != ts {
					t.Fatalf("parse: %v %x %x, want %x %x", ok, s2, ts2, seq, ts)
				}
			}
		}
	}
}

func TestTemplateTooSmall(t *testing.T) {
	if _, err := NewTemplate(flow6, WireLen(83)); err == nil {
		t.Fatal("83-byte IPv6 frame accepted")
	}
	if _, err := NewTemplate(flow4, WireLen(63)); err == nil {
		t.Fatal("63-byte IPv4 frame accepted")
	}
	bad := flow6
	bad.Dst = netip.MustParseAddr("192.0.2.1")
	if _, err := NewTemplate(bad, 200); err == nil {
		t.Fatal("mixed families accepted")
	}
}

func TestParseRejects(t *testing.T) {
	tp, _ := NewTemplate(flow6, 80)
	b := slices.Clone(tp.Frame)
	for _, mut := range []func([]byte){
		func(b []byte) { b[12], b[13] = 0x08, 0x06 }, // ARP
		func(b []byte) { b[14+6] = header.ProtoTCP }, // not UDP
		func(b []byte) { b[14+40+8] = 0 },            // magic
		func(b []byte) { b[14] = 0x40 },              // version
	} {
		c := slices.Clone(b)
		mut(c)
		if _, _, ok := Parse(c); ok {
			t.Fatal("mutated frame parsed")
		}
	}
	if _, _, ok := Parse(b[:40]); ok {
		t.Fatal("short frame parsed")
	}
	tp4, _ := NewTemplate(flow4, 60)
	c := slices.Clone(tp4.Frame)
	binary.BigEndian.PutUint16(c[14+6:], header.IPv4FlagMF)
	if _, _, ok := Parse(c); ok {
		t.Fatal("fragment parsed")
	}
}

func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h Histogram
	var ref []int64
	for i := 0; i < 100000; i++ {
		v := int64(r.ExpFloat64() * 20000)
		if i%1000 == 0 {
			v = int64(r.IntN(50)) // exact region
		}
		h.Record(v)
		ref = append(ref, v)
	}
	slices.Sort(ref)
	for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999} {
		want := ref[int(float64(len(ref))*q+0.5)-1]
		got := h.Quantile(q)
		tol := float64(want)/32 + 1
		if d := float64(got - want); d > tol || d < -tol {
			t.Errorf("q%.3f: got %d want %d (tol %.0f)", q, got, want, tol)
		}
	}
	if h.Quantile(0) != ref[0] || h.Quantile(1) != ref[len(ref)-1] {
		t.Errorf("min/max %d %d want %d %d", h.Quantile(0), h.Quantile(1), ref[0], ref[len(ref)-1])
	}
	var total uint64
	for _, b := range h.Buckets() {
		total += b.Count
	}
	if total != h.N {
		t.Fatalf("buckets hold %d of %d", total, h.N)
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value lands in a bucket whose range contains it, buckets are
	// contiguous and the largest value fits.
	prevHi := int64(-1)
	for i := 0; i < histBuckets; i++ {
		lo, hi := bucketRange(i)
		if int64(lo) != prevHi+1 && i > 0 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d,%d] maps to %d/%d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = int64(hi)
		if hi == 1<<63-1 || hi == ^uint64(0) {
			break
		}
	}
	var h Histogram
	h.Record(1<<63 - 1)
	h.Record(-5)
	if h.Min != 0 || h.N != 2 {
		t.Fatal("negative value not clamped")
	}
}

func TestSeqTracker(t *testing.T) {
	var s SeqTracker
	s.Reset(10)
	for _, q := range []uint64{0, 1, 3, 2, 2, 5, 4, 9, 11} {
		s.Add(q)
	}
	if s.Unique != 7 || s.Dup != 1 || s.Reordered != 2 || s.OutOfRange != 1 {
		t.Fatalf("%+v", s)
	}
	if l := s.Lost(10); l != 3 {
		t.Fatalf("lost %d want 3", l)
	}
	s.Reset(5)
	if s.Unique != 0 || s.Dup != 0 {
		t.Fatal("reset kept counts")
	}
	s.Add(3)
	s.Add(3)
	if s.Dup != 1 {
		t.Fatal("bitmap not cleared or dup missed")
	}
	s.ResetBase(1<<40, 4)
	s.Add(2) // a late frame of an earlier trial
	s.Add(1<<40 + 1)
	s.Add(1<<40 + 4)
	if s.Unique != 1 || s.OutOfRange != 2 {
		t.Fatalf("base: %+v", s)
	}
}

func TestTokenBucket(t *testing.T) {
	b := NewTokenBucket(1e6, 64, 0) // 1 Mpps = 1 token per µs
	if b.Take(0, 64) != 64 {
		t.Fatal("bucket does not start full")
	}
	if b.Take(1000, 64) != 0 {
		t.Fatal("took 64 after 1µs")
	}
	if w := b.Wait(1000, 64); w < 62000 || w > 64000 {
		t.Fatalf("wait %d", w)
	}
	sent := 0
	for now := int64(0); now < 1e9; now += 500 {
		sent += b.Take(now, 64)
	}
	if sent < 990000 || sent > 1010000 {
		t.Fatalf("1 s at 1 Mpps sent %d", sent)
	}
}

// fakePipe is a TX port that delivers into an RX port through a lossy,
// reordering "DUT".
type fakePipe struct {
	tmpl      []byte
	free      [][]byte
	taken     [][]byte
	queue     [][]byte
	dropEvery int // drop every n-th frame (0: none)
	swapEvery int // swap each n-th frame with the next
	n         int
	cap       int
}

func newFakePipe(tmpl []byte, frames int) *fakePipe {
	p := &fakePipe{tmpl: tmpl, cap: frames}
	for i := 0; i < frames; i++ {
		p.free = append(p.free, slices.Clone(tmpl))
	}
	return p
}

func (p *fakePipe) Next(bufs [][]byte) int {
	k := 0
	for k < len(bufs) && len(p.free) > 0 {
		bufs[k] = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		k++
	}
	p.taken = append(p.taken[:0], bufs[:k]...)
	return k
}

func (p *fakePipe) Submit(n int) int {
	for i, b := range p.taken {
		if i >= n {
			p.free = append(p.free, b)
			continue
		}
		p.n++
		if p.dropEvery > 0 && p.n%p.dropEvery == 0 {
			p.free = append(p.free, b)
			continue
		}
		p.queue = append(p.queue, b)
		if l := len(p.queue); p.swapEvery > 0 && p.n%p.swapEvery == 0 && l >= 2 {
			p.queue[l-1], p.queue[l-2] = p.queue[l-2], p.queue[l-1]
		}
	}
	return n
}

func (p *fakePipe) Flush() error { return nil }

// deliver hands queued frames to the sink and recycles them.
func (p *fakePipe) deliver(s *Sink) {
	s.Process(p.queue, Now())
	p.free = append(p.free, p.queue...)
	p.queue = p.queue[:0]
}

type syncPort struct {
	p *fakePipe
	s *Sink
}

func (sp syncPort) Next(b [][]byte) int { return sp.p.Next(b) }
func (sp syncPort) Submit(n int) int {
	k := sp.p.Submit(n)
	sp.p.deliver(sp.s)
	return k
}
func (sp syncPort) Flush() error { return nil }

func TestGenerateIntoSink(t *testing.T) {
	tp, _ := NewTemplate(flow6, 80)
	p := newFakePipe(tp.Frame, 256)
	p.dropEvery = 100
	p.swapEvery = 7
	var s Sink
	s.Reset(10000)
	res, err := Generate(syncPort{p, &s}, tp, GenConfig{Count: 10000, Batch: 64}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 10000 {
		t.Fatalf("sent %d", res.Sent)
	}
	if lost := s.Seq.Lost(res.Sent); lost != 100 {
		t.Fatalf("lost %d want 100", lost)
	}
	if s.Seq.Reordered == 0 || s.Seq.Dup != 0 || s.Foreign != 0 {
		t.Fatalf("sink %+v", s.Seq)
	}
	if s.Latency.N != 9900 || s.Latency.Min < 0 {
		t.Fatalf("latency n=%d min=%d", s.Latency.N, s.Latency.Min)
	}
}

func TestGenerateRateAndBounds(t *testing.T) {
	tp, _ := NewTemplate(flow4, 60)
	p := newFakePipe(tp.Frame, 256)
	var s Sink
	s.Reset(1 << 20)
	// 200 kpps for 100 ms: about 20000 packets.
	res, err := Generate(syncPort{p, &s}, tp, GenConfig{Rate: 200e3, Duration: 100 * time.Millisecond, Batch: 32}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The pacer must never exceed the rate; on a loaded 2-core box it may
	// fall short, which the result reports honestly.
	if res.Sent > 21000 {
		t.Fatalf("sent %d in 100ms at 200 kpps", res.Sent)
	}
	if r := res.Rate(); r > 215e3 || res.Sent == 0 {
		t.Fatalf("rate %.0f", r)
	}
	var stop atomic.Bool
	stop.Store(true)
	res, _ = Generate(syncPort{p, &s}, tp, GenConfig{Duration: time.Second}, &stop)
	if res.Sent != 0 {
		t.Fatal("stop ignored")
	}
	if _, err := Generate(syncPort{p, &s}, tp, GenConfig{}, nil); err != ErrUnbounded {
		t.Fatal("unbounded run accepted")
	}
}

func TestNoAllocs(t *testing.T) {
	tp, _ := NewTemplate(flow6, 80)
	b := slices.Clone(tp.Frame)
	var s Sink
	s.Reset(1 << 16)
	frames := [][]byte{b, b, b}
	seq := uint64(0)
	a := testing.AllocsPerRun(1000, func() {
		tp.Stamp(b, seq, Now())
		seq++
		s.Process(frames, Now())
	})
	if a != 0 {
		t.Fatalf("%v allocations per stamp+process", a)
	}
}

type chanRx struct{ ch chan []byte }

func (c chanRx) Receive(b [][]byte) (int, error) {
	select {
	case f := <-c.ch:
		b[0] = f
		return 1, nil
	case <-time.After(time.Millisecond):
		return 0, nil
	}
}

func TestSinkRun(t *testing.T) {
	tp, _ := NewTemplate(flow6, 80)
	c := chanRx{make(chan []byte)}
	var s Sink
	s.Reset(100)
	var stop atomic.Bool
	done := make(chan error)
	go func() { done <- s.Run(c, 8, &stop) }()
	for i := 0; i < 100; i++ {
		b := slices.Clone(tp.Frame)
		tp.Stamp(b, uint64(i), Now())
		c.ch <- b
	}
	stop.Store(true)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s.Seq.Unique != 100 || s.Seq.Lost(100) != 0 || s.PDV() < 0 {
		t.Fatalf("%+v", s.Seq)
	}
	// The wrong family does not count as received.
	s.Reset(100)
	s.Want = header.EtherTypeIPv4
	s.Process([][]byte{tp.Frame}, Now())
	if s.Wrong != 1 || s.Seq.Unique != 0 {
		t.Fatalf("wrong %d unique %d", s.Wrong, s.Seq.Unique)
	}
}
