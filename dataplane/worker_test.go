package dataplane

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/neigh"
)

// fakeMem is a UMEM in ordinary memory.
type fakeMem struct {
	area []byte
	fs   int
}

func newFakeMem(n, fs int) *fakeMem { return &fakeMem{area: make([]byte, n*fs), fs: fs} }

func (m *fakeMem) Frame(addr uint64) []byte {
	c := m.Chunk(addr)
	return m.area[c : c+uint64(m.fs) : c+uint64(m.fs)]
}
func (m *fakeMem) Chunk(addr uint64) uint64 { return addr &^ uint64(m.fs-1) }
func (m *fakeMem) FrameSize() int           { return m.fs }
func (m *fakeMem) NumFrames() int           { return len(m.area) / m.fs }

// fakePort is an AF_XDP socket with a fake kernel behind it: fixed-size
// rings as slices with preallocated capacity (no allocation in steady state).
type fakePort struct {
	mem            *fakeMem
	ring           int
	fill, comp     []uint64
	rx, tx         []afxdp.Desc
	fillh, rxh     int  // consumer heads of fill and rx (no shifting per frame)
	shareFill      bool // Fill/Complete return 0 (rings of another socket)
	kicks, wakeups int
}

func newFakePort(m *fakeMem, ring int) *fakePort {
	return &fakePort{mem: m, ring: ring, fill: make([]uint64, 0, ring), comp: make([]uint64, 0, ring),
		rx: make([]afxdp.Desc, 0, ring), tx: make([]afxdp.Desc, 0, ring)}
}

func (p *fakePort) Receive(d []afxdp.Desc) int {
	n := copy(d, p.rx[p.rxh:])
	p.rxh += n
	if p.rxh == len(p.rx) {
		p.rx, p.rxh = p.rx[:0], 0
	}
	return n
}
func (p *fakePort) Transmit(d []afxdp.Desc) int {
	n := min(len(d), p.ring-len(p.tx))
	p.tx = append(p.tx, d[:n]...)
	return n
}
func (p *fakePort) Fill(a []uint64) int {
	if p.shareFill {
		return 0
	}
	p.compactFill()
	n := min(len(a), p.ring-len(p.fill))
	p.fill = append(p.fill, a[:n]...)
	return n
}

func (p *fakePort) compactFill() {
	if p.fillh > 0 {
		p.fill = p.fill[:copy(p.fill, p.fill[p.fillh:])]
		p.fillh = 0
	}
}
func (p *fakePort) Complete(a []uint64) int {
	n := copy(a, p.comp)
	p.comp = p.comp[:copy(p.comp, p.comp[n:])]
	return n
}
func (p *fakePort) FillFree(n int) int {
	if p.shareFill {
		return 0
	}
	return p.ring - (len(p.fill) - p.fillh)
}
func (p *fakePort) TxFree(n int) int  { return p.ring - len(p.tx) }
func (p *fakePort) Kick() error       { p.kicks++; return nil }
func (p *fakePort) WakeupFill() error { p.wakeups++; return nil }
func (p *fakePort) FD() int           { return -1 }

// inject plays the kernel receiving frame b: a fill-ring chunk, the frame
// at headroom 256, a descriptor on the RX ring.
func (p *fakePort) inject(t testing.TB, b []byte) {
	if p.fillh == len(p.fill) {
		t.Fatal("fill ring empty")
	}
	c := p.fill[p.fillh]
	p.fillh++
	copy(p.mem.Frame(c)[afxdp.Headroom:], b)
	p.rx = append(p.rx, afxdp.Desc{Addr: c + afxdp.Headroom, Len: uint32(len(b))})
}

// sent plays the kernel transmitting: returns the frames on the TX ring and
// moves their addresses to the completion ring.
func (p *fakePort) sent() [][]byte {
	var out [][]byte
	for _, d := range p.tx {
		f := p.mem.Frame(d.Addr)
		off := d.Addr - p.mem.Chunk(d.Addr)
		out = append(out, append([]byte(nil), f[off:off+uint64(d.Len)]...))
		p.comp = append(p.comp, d.Addr)
	}
	p.tx = p.tx[:0]
	return out
}

// complete moves the TX ring to the completion ring without copying.
func (p *fakePort) complete() {
	for _, d := range p.tx {
		p.comp = append(p.comp, d.Addr)
	}
	p.tx = p.tx[:0]
}

func (p *fakePort) held() int {
	return len(p.fill) - p.fillh + len(p.comp) + len(p.rx) - p.rxh + len(p.tx)
}

// fakeNeigh is a neighbour snapshot. Like neigh's, it must not change once
// a worker has seen it: tests replace it (rig.setMiss) instead.
type fakeNeigh struct {
	mac     [6]byte
	miss    netip.Addr // this destination misses
	last    netip.Addr // last destination looked up
	lookups int
}

func (n *fakeNeigh) Lookup4(oif int, dst [4]byte) ([6]byte, [16]byte, neigh.Result) {
	n.last = netip.AddrFrom4(dst)
	n.lookups++
	var nh [16]byte
	copy(nh[:], dst[:])
	if netip.AddrFrom4(dst) == n.miss {
		return [6]byte{}, nh, neigh.Miss
	}
	return n.mac, nh, neigh.Found
}

func (n *fakeNeigh) Lookup6(oif int, dst [16]byte) ([6]byte, [16]byte, neigh.Result) {
	n.last = netip.AddrFrom16(dst)
	n.lookups++
	if netip.AddrFrom16(dst) == n.miss {
		return [6]byte{}, dst, neigh.Miss
	}
	return n.mac, dst, neigh.Found
}

var (
	macBox6 = [6]byte{2, 0, 0, 0, 6, 1}
	macBox4 = [6]byte{2, 0, 0, 0, 4, 1}
	macPeer = [6]byte{2, 0, 0, 0, 9, 9}
	h6      = netip.MustParseAddr("2001:db8:1c0:2:21::")
	h4as6   = netip.MustParseAddr("2001:db8:1c6:3364:2::")
	h4      = netip.MustParseAddr("198.51.100.2")
	h6as4   = netip.MustParseAddr("192.0.2.33")
)

func srcSource(t testing.TB) *batch.ConfigSource {
	tbl, err := mapping.NewTable(netip.MustParsePrefix("2001:db8:100::/40"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := batch.DefaultConfig()
	c.Map = tbl
	c.ICMPv4Source = netip.MustParseAddr("198.51.100.1")
	c.ICMPv6Source = netip.MustParseAddr("2001:db8:1c0:2:1::")
	var src batch.ConfigSource
	src.Store(&c)
	return &src
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// udp6 builds Ethernet + IPv6 + UDP with a valid checksum.
func udp6(src, dst netip.Addr, payload int) []byte {
	b := make([]byte, 14+40+8+payload)
	copy(b[0:6], macBox6[:])
	copy(b[6:12], macPeer[:])
	binary.BigEndian.PutUint16(b[12:], 0x86dd)
	ip := b[14:]
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(8+payload))
	ip[6], ip[7] = 17, 64
	s, d := src.As16(), dst.As16()
	copy(ip[8:24], s[:])
	copy(ip[24:40], d[:])
	u := ip[40:]
	binary.BigEndian.PutUint16(u[0:], 1234)
	binary.BigEndian.PutUint16(u[2:], 5678)
	binary.BigEndian.PutUint16(u[4:], uint16(8+payload))
	ph := make([]byte, 0, 40+len(u))
	ph = append(ph, s[:]...)
	ph = append(ph, d[:]...)
	ph = binary.BigEndian.AppendUint32(ph, uint32(len(u)))
	ph = append(ph, 0, 0, 0, 17)
	ph = append(ph, u...)
	binary.BigEndian.PutUint16(u[6:], csum(ph))
	return b
}

// udp4 builds Ethernet + IPv4 + UDP with valid checksums.
func udp4(src, dst netip.Addr, payload int) []byte {
	b := make([]byte, 14+20+8+payload)
	copy(b[0:6], macBox4[:])
	copy(b[6:12], macPeer[:])
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+payload))
	ip[8], ip[9] = 64, 17
	s, d := src.As4(), dst.As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	binary.BigEndian.PutUint16(ip[10:], csum(ip[:20]))
	u := ip[20:]
	binary.BigEndian.PutUint16(u[0:], 1234)
	binary.BigEndian.PutUint16(u[2:], 5678)
	binary.BigEndian.PutUint16(u[4:], uint16(8+payload))
	ph := make([]byte, 0, 12+len(u))
	ph = append(ph, s[:]...)
	ph = append(ph, d[:]...)
	ph = append(ph, 0, 17)
	ph = binary.BigEndian.AppendUint16(ph, uint16(len(u)))
	ph = append(ph, u...)
	binary.BigEndian.PutUint16(u[6:], csum(ph))
	return b
}

type rig struct {
	w        *Worker
	m6, m4   *fakeMem
	p6, p4   *fakePort
	nb       *fakeNeigh
	requests []neigh.Requests
}

func newRig(t testing.TB, shared, forward bool) *rig { return newRigWith(t, shared, forward, nil) }

// newRigWith is newRig with a last word on the worker's configuration.
func newRigWith(t testing.TB, shared, forward bool, edit func(*WorkerConfig)) *rig {
	r := &rig{nb: &fakeNeigh{mac: macPeer}}
	r.m6 = newFakeMem(1024, 2048)
	r.m4 = r.m6
	if !shared {
		r.m4 = newFakeMem(1024, 2048)
	}
	r.p6 = newFakePort(r.m6, 128)
	r.p4 = newFakePort(r.m4, 128)
	wc := WorkerConfig{
		Six:         SideConfig{Port: r.p6, Mem: r.m6, Ifindex: 2, MAC: macBox6},
		Four:        SideConfig{Port: r.p4, Mem: r.m4, Ifindex: 3, MAC: macBox4},
		Config:      srcSource(t),
		ForwardOnly: forward,
		Neigh:       func() NextHops { return r.nb },
		Resolve:     func(q neigh.Requests) { r.requests = append(r.requests, q) },
	}
	if edit != nil {
		edit(&wc)
	}
	r.w = NewWorker(wc)
	return r
}

// conserved checks that no frame was lost or duplicated.
func (r *rig) conserved(t *testing.T) {
	t.Helper()
	total := r.p6.held() + r.p4.held() + r.w.nheld
	for i := 0; i < r.w.nmems; i++ {
		total += r.w.mems[i].free.Len()
	}
	want := r.m6.NumFrames()
	if r.m4 != r.m6 {
		want += r.m4.NumFrames()
	}
	if total != want {
		t.Fatalf("frames accounted: %d, want %d", total, want)
	}
}

// setMiss publishes a new neighbour snapshot in which a misses.
func (r *rig) setMiss(a netip.Addr) {
	nb := *r.nb
	nb.miss = a
	r.nb = &nb
}

func (r *rig) dp(c Counter) uint64 { return r.w.Stats().DP[c].Load() }

func TestTranslateBothWays(t *testing.T) {
	for _, shared := range []bool{true, false} {
		r := newRig(t, shared, false)
		r.conserved(t)
		r.p6.inject(t, udp6(h6, h4as6, 100))
		r.p4.inject(t, udp4(h4, h6as4, 100))
		if n := r.w.Step(1); n != 2 {
			t.Fatalf("Step received %d", n)
		}
		r.conserved(t)
		out4, out6 := r.p4.sent(), r.p6.sent()
		if len(out4) != 1 || len(out6) != 1 {
			t.Fatalf("shared=%v: sent %d to IPv4, %d to IPv6", shared, len(out4), len(out6))
		}
		f := out4[0]
		if [6]byte(f[0:6]) != macPeer || [6]byte(f[6:12]) != macBox4 || binary.BigEndian.Uint16(f[12:]) != 0x0800 ||
			netip.AddrFrom4([4]byte(f[30:34])) != h4 || netip.AddrFrom4([4]byte(f[26:30])) != h6as4 {
			t.Errorf("to IPv4: % x", f[:34])
		}
		f = out6[0]
		if [6]byte(f[0:6]) != macPeer || [6]byte(f[6:12]) != macBox6 || binary.BigEndian.Uint16(f[12:]) != 0x86dd ||
			netip.AddrFrom16([16]byte(f[38:54])) != h6 || netip.AddrFrom16([16]byte(f[22:38])) != h4as6 {
			t.Errorf("to IPv6: % x", f[:54])
		}
		st := r.w.Stats()
		if st.Verdicts[batch.To4].Load() != 1 || st.Verdicts[batch.To6].Load() != 1 || r.dp(RX6) != 1 || r.dp(RX4) != 1 ||
			r.dp(TX4) != 1 || r.dp(TX6) != 1 {
			t.Errorf("counters: to4 %d to6 %d rx %d/%d tx %d/%d", st.Verdicts[batch.To4].Load(), st.Verdicts[batch.To6].Load(),
				r.dp(RX6), r.dp(RX4), r.dp(TX6), r.dp(TX4))
		}
		wantCopies := uint64(0)
		if !shared {
			wantCopies = 2
		}
		if r.dp(Copies) != wantCopies {
			t.Errorf("shared=%v: copies %d, want %d", shared, r.dp(Copies), wantCopies)
		}
		r.w.Step(2) // takes the completions back
		r.conserved(t)
		if r.p4.kicks == 0 || r.p6.kicks == 0 {
			t.Error("no kick after transmit")
		}
	}
}

func TestNeighbourMiss(t *testing.T) {
	r := newRig(t, true, false)
	r.setMiss(h4)
	for i := 0; i < 3; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
	}
	r.w.Step(1)
	r.conserved(t)
	if len(r.p4.sent()) != 0 || r.dp(NeighMiss) != 3 || r.dp(NeighHeld) != 3 {
		t.Fatalf("neigh_miss %d neigh_held %d", r.dp(NeighMiss), r.dp(NeighHeld))
	}
	if len(r.requests) != 1 || r.requests[0].N != 1 || netip.AddrFrom4([4]byte(r.requests[0].Req[0].Addr[:4])) != h4 ||
		!r.requests[0].Req[0].V4 || r.requests[0].Req[0].Oif != 3 {
		t.Fatalf("requests %+v", r.requests)
	}
	// Still unresolved: kept.
	r.w.Step(2)
	if r.w.nheld != 3 || len(r.p4.tx) != 0 {
		t.Fatalf("held %d, tx %d", r.w.nheld, len(r.p4.tx))
	}
	// Resolved: the held frames go out (before the new one), with MACs.
	r.setMiss(netip.Addr{})
	r.p6.inject(t, udp6(h6, h4as6, 10))
	r.w.Step(3)
	r.conserved(t)
	out := r.p4.sent()
	if len(out) != 4 || r.w.nheld != 0 {
		t.Fatalf("sent %d after resolution, %d still held", len(out), r.w.nheld)
	}
	for _, f := range out {
		if [6]byte(f[0:6]) != macPeer || [6]byte(f[6:12]) != macBox4 {
			t.Errorf("MACs % x", f[:12])
		}
	}
	r.w.Step(4)
	r.conserved(t)

	// More misses than the hold queue takes; then they expire.
	r.setMiss(h4)
	for i := 0; i < holdSize+4; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
	}
	r.w.Step(10)
	r.conserved(t)
	if r.w.nheld != holdSize || r.dp(NeighMiss) != 3+holdSize+4 || r.dp(NeighHeld) != 3+holdSize {
		t.Fatalf("held %d, neigh_miss %d, neigh_held %d", r.w.nheld, r.dp(NeighMiss), r.dp(NeighHeld))
	}
	r.w.Step(10 + holdTime)
	r.conserved(t)
	if r.w.nheld != 0 || r.dp(NeighHoldDropped) != holdSize || len(r.p4.tx) != 0 {
		t.Fatalf("after expiry: held %d, dropped %d", r.w.nheld, r.dp(NeighHoldDropped))
	}
}

// TestNextHopCache: a next hop found is looked up once, across vectors,
// until the neighbour snapshot changes; a miss is looked up again in every
// vector, and asks the kernel again.
func TestNextHopCache(t *testing.T) {
	r := newRig(t, true, false)
	var first []byte // sent by the general path (the cache was empty)
	for step := int64(1); step <= 3; step++ {
		for i := 0; i < 8; i++ {
			r.p6.inject(t, udp6(h6, h4as6, 10))
		}
		r.w.Step(step)
		out := r.p4.sent()
		if len(out) != 8 {
			t.Fatalf("vector %d: sent %d", step, len(out))
		}
		if first == nil {
			first = out[0]
		}
		for i, f := range out { // the rest by sendFast: the same bytes but the IPv4 ID and header checksum
			if string(f[:18]) != string(first[:18]) || string(f[20:24]) != string(first[20:24]) || string(f[26:]) != string(first[26:]) {
				t.Fatalf("vector %d frame %d differs from the first:\n% x\n% x", step, i, f, first)
			}
		}
	}
	if [6]byte(first[0:6]) != macPeer || [6]byte(first[6:12]) != macBox4 {
		t.Errorf("MACs % x", first[:12])
	}
	if r.nb.lookups != 1 {
		t.Errorf("%d lookups in 3 vectors of one snapshot, want 1", r.nb.lookups)
	}
	r.setMiss(h4)
	for step := int64(4); step <= 5; step++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
		r.p6.inject(t, udp6(h6, h4as6, 10))
		r.w.Step(step)
	}
	if r.nb.lookups != 1+1+1 { // one per vector that misses
		t.Errorf("%d lookups after the snapshot changed, want 3", r.nb.lookups)
	}
	if len(r.requests) != 2 {
		t.Errorf("%d resolution batches for 2 vectors that missed, want 2", len(r.requests))
	}
	r.setMiss(netip.Addr{})
	r.w.Step(6)
	if n := len(r.p4.sent()); n != 4 || r.w.nheld != 0 {
		t.Errorf("after resolution: sent %d, held %d", n, r.w.nheld)
	}
	r.conserved(t)
}

func TestTXRingFullAndPass(t *testing.T) {
	r := newRig(t, true, false)
	r.p4.ring = 2 // only 2 TX slots (fill ring already primed with more)
	for i := 0; i < 5; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
	}
	arp := make([]byte, 60)
	binary.BigEndian.PutUint16(arp[12:], 0x0806)
	r.p6.inject(t, arp)
	r.w.Step(1)
	r.conserved(t)
	if r.dp(TXRingFull) != 3 || len(r.p4.tx) != 2 || r.dp(PassDropped) != 1 {
		t.Fatalf("tx_ring_full %d, tx %d, pass_dropped %d", r.dp(TXRingFull), len(r.p4.tx), r.dp(PassDropped))
	}
	r.p4.complete()
	r.w.Step(2)
	r.conserved(t)
}

func TestForwardOnly(t *testing.T) {
	r := newRig(t, true, true)
	in := udp6(h6, h4as6, 10)
	r.p6.inject(t, in)
	r.w.Step(1)
	out := r.p4.sent()
	if len(out) != 1 || string(out[0][12:]) != string(in[12:]) || [6]byte(out[0][6:12]) != macBox4 {
		t.Fatalf("forward-only output %x", out)
	}
	if r.w.Stats().Events[batch.EvTranslated6to4].Load() != 0 {
		t.Error("forward-only translated")
	}
	// The next hop is that of the translated destination.
	if r.nb.last != h4 {
		t.Errorf("forward-only looked up %s, want %s", r.nb.last, h4)
	}
	in = udp4(h4, h6as4, 10)
	r.p4.inject(t, in)
	r.w.Step(2)
	out = r.p6.sent()
	if len(out) != 1 || string(out[0][12:]) != string(in[12:]) || [6]byte(out[0][6:12]) != macBox6 || r.nb.last != h6 {
		t.Fatalf("forward-only IPv4 -> IPv6 side: %d frames, lookup %s", len(out), r.nb.last)
	}
}

func TestBatchLimitAndFairness(t *testing.T) {
	r := newRig(t, true, false)
	for i := 0; i < 100; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
		r.p4.inject(t, udp4(h4, h6as4, 10))
	}
	if n := r.w.Step(1); n != batch.Size {
		t.Fatalf("first vector %d frames", n)
	}
	r.p4.complete()
	r.p6.complete()
	if n := r.w.Step(2); n != batch.Size {
		t.Fatalf("second vector %d frames", n)
	}
	if r.dp(RX4) == 0 || r.dp(RX6) == 0 {
		t.Errorf("one side starved: rx6 %d rx4 %d", r.dp(RX6), r.dp(RX4))
	}
	r.conserved(t)
}

// TestStepAllocs: the loop body allocates nothing per vector.
func TestStepAllocs(t *testing.T) {
	for _, shared := range []bool{true, false} {
		r := newRig(t, shared, false)
		f6 := udp6(h6, h4as6, 100)
		f4 := udp4(h4, h6as4, 100)
		now := int64(0)
		allocs := testing.AllocsPerRun(200, func() {
			for i := 0; i < 32; i++ {
				r.p6.inject(t, f6)
				r.p4.inject(t, f4)
			}
			now++
			r.w.Step(now)
			r.p4.complete()
			r.p6.complete()
		})
		if allocs != 0 {
			t.Errorf("shared=%v: %v allocations per vector", shared, allocs)
		}
		r.w.Step(now + 1)
		r.conserved(t)
	}
}

func BenchmarkStep(b *testing.B) {
	b.Run("translate", func(b *testing.B) { benchStep(b, false) })
	b.Run("forward_only", func(b *testing.B) { benchStep(b, true) })
}

func benchStep(b *testing.B, forward bool) {
	r := newRig(b, true, forward)
	f6 := udp6(h6, h4as6, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 64; j++ {
			r.p6.inject(b, f6)
		}
		r.w.Step(int64(i))
		r.p4.complete()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/packet")
}

// TestFragments: the translator fragments an IPv4 packet without DF that is
// larger than lowest_ipv6_mtu; the extra fragments come from the worker's
// allocator and go out after the first, every buffer accounted for.
func TestFragments(t *testing.T) {
	for _, shared := range []bool{true, false} {
		r := newRig(t, shared, false)
		r.p4.inject(t, udp4(h4, h6as4, 1400))
		r.p6.inject(t, udp6(h6, h4as6, 10))
		r.w.Step(1)
		r.conserved(t)
		out6, out4 := r.p6.sent(), r.p4.sent()
		if len(out6) < 2 || len(out4) != 1 {
			t.Fatalf("shared=%v: %d frames to IPv6, %d to IPv4 (drops %v)", shared, len(out6), len(out4), r.w.Stats().Drops[batch.ReasonNoBuffer].Load())
		}
		total := 0
		for _, f := range out6 {
			if len(f) > 14+1280 || binary.BigEndian.Uint16(f[12:]) != 0x86dd || [6]byte(f[0:6]) != macPeer || f[14+6] != 44 {
				t.Errorf("fragment: len %d, % x", len(f), f[:60])
			}
			total += len(f) - 14 - 40 - 8
		}
		if total != 8+1400 {
			t.Errorf("fragments carry %d bytes, want %d", total, 8+1400)
		}
		if r.w.Stats().Events[batch.EvFragmentsCreated].Load() == 0 {
			t.Error("fragments_created not counted")
		}
		r.w.Step(2)
		r.conserved(t)
	}
}

// TestHeldPlusFullVector: held frames released in a vector that is full
// and fragments too still fit the TX batch.
func TestHeldPlusFullVector(t *testing.T) {
	r := newRig(t, true, false)
	r.p6.ring, r.p4.ring = 512, 512
	r.setMiss(h6)
	for i := 0; i < holdSize; i++ {
		r.p4.inject(t, udp4(h4, h6as4, 10))
	}
	r.w.Step(1)
	if r.w.nheld != holdSize {
		t.Fatalf("held %d", r.w.nheld)
	}
	r.setMiss(netip.Addr{})
	for i := 0; i < batch.Size; i++ {
		r.p4.inject(t, udp4(h4, h6as4, 1400)) // each fragmented in two
	}
	r.w.Step(2)
	r.conserved(t)
	if got := len(r.p6.sent()); got < holdSize+batch.Size || r.dp(TXRingFull) != 0 {
		t.Fatalf("sent %d, tx_ring_full %d", got, r.dp(TXRingFull))
	}
	r.w.Step(3)
	r.conserved(t)
}
