package dataplane

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/neigh"
)

// injectChain plays the kernel receiving frame b on a multi-buffer socket:
// pieces of at most seg bytes, each in a fill-ring chunk at headroom 256,
// all descriptors but the last flagged PktContd. With seg <= 0 a piece
// fills what a chunk holds after the headroom (as the kernel does).
func (p *fakePort) injectChain(t testing.TB, b []byte, seg int) {
	t.Helper()
	if seg <= 0 {
		seg = p.mem.fs - afxdp.Headroom
	}
	for len(b) > 0 {
		if p.fillh == len(p.fill) {
			t.Fatal("fill ring empty")
		}
		c := p.fill[p.fillh]
		p.fillh++
		n := copy(p.mem.Frame(c)[afxdp.Headroom:][:seg], b)
		b = b[n:]
		d := afxdp.Desc{Addr: c + afxdp.Headroom, Len: uint32(n)}
		if len(b) > 0 {
			d.Opts = afxdp.PktContd
		}
		p.rx = append(p.rx, d)
	}
}

// sentFrames is sent with chains joined: one entry per frame, and how many
// descriptors each took.
func (p *fakePort) sentFrames(t testing.TB) (frames [][]byte, descs []int) {
	t.Helper()
	var cur []byte
	n := 0
	for _, d := range p.tx {
		c := p.mem.Chunk(d.Addr)
		if d.Addr+uint64(d.Len) > c+uint64(p.mem.fs) {
			t.Fatalf("TX descriptor %+v crosses its chunk", d)
		}
		cur = append(cur, p.mem.Frame(d.Addr)[d.Addr-c:][:d.Len]...)
		n++
		p.comp = append(p.comp, d.Addr)
		if d.Opts&afxdp.PktContd == 0 {
			frames, descs = append(frames, cur), append(descs, n)
			cur, n = nil, 0
		}
	}
	if n != 0 {
		t.Fatalf("TX ring ends inside a chain of %d descriptors", n)
	}
	p.tx = p.tx[:0]
	return frames, descs
}

// setMTU gives the rig's translator 9000-byte egress MTUs.
func setMTU(t testing.TB, src *batch.ConfigSource) {
	c := *src.Load()
	c.MTU4, c.MTU6 = 9000, 9000
	src.Store(&c)
}

func jumboRig(t testing.TB, shared bool, edit func(*WorkerConfig)) *rig {
	return newRigWith(t, shared, false, func(wc *WorkerConfig) {
		setMTU(t, wc.Config)
		if edit != nil {
			edit(wc)
		}
	})
}

// withDF sets DF on an IPv4 frame from udp4 (and fixes the checksum).
func withDF(b []byte) []byte {
	ip := b[14:34]
	ip[6] |= 0x40
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], csum(ip))
	return b
}

// pattern fills the UDP payload of a frame from udp4 or udp6 with bytes
// that differ from one position to the next and fixes the UDP checksum.
func pattern(b []byte, k int) []byte {
	l3 := 14
	var ph []byte
	var u []byte
	if binary.BigEndian.Uint16(b[12:]) == 0x0800 {
		u = b[l3+20:]
		ph = append(ph, b[l3+12:l3+20]...)
		ph = append(ph, 0, 17)
		ph = binary.BigEndian.AppendUint16(ph, uint16(len(u)))
	} else {
		u = b[l3+40:]
		ph = append(ph, b[l3+8:l3+40]...)
		ph = binary.BigEndian.AppendUint32(ph, uint32(len(u)))
		ph = append(ph, 0, 0, 0, 17)
	}
	for i := 8; i < len(u); i++ {
		u[i] = byte(i * k)
	}
	u[6], u[7] = 0, 0
	binary.BigEndian.PutUint16(u[6:], csum(append(ph, u...)))
	return b
}

// TestJumboBothWays: 8000-byte UDP datagrams received as chains are
// translated both ways and sent whole, as TX chains of whole chunks, with
// the payload intact; every chunk comes back.
func TestJumboBothWays(t *testing.T) {
	for _, shared := range []bool{true, false} {
		r := jumboRig(t, shared, nil)
		in6 := pattern(udp6(h6, h4as6, 8000), 7)
		in4 := withDF(pattern(udp4(h4, h6as4, 8000), 13))
		r.p6.injectChain(t, in6, 0)
		r.p4.injectChain(t, in4, 0)
		r.p6.inject(t, udp6(h6, h4as6, 100)) // and a small one behind
		if n := r.w.Step(1); n != 3 {
			t.Fatalf("shared=%v: Step received %d, want 3 (two chains, one frame)", shared, n)
		}
		r.conserved(t)
		out4, d4 := r.p4.sentFrames(t)
		out6, d6 := r.p6.sentFrames(t)
		if len(out4) != 2 || len(out6) != 1 {
			t.Fatalf("shared=%v: sent %d to IPv4, %d to IPv6", shared, len(out4), len(out6))
		}
		f := out4[0]
		if len(f) != 14+20+8+8000 || d4[0] != (len(f)+2047)/2048 || [6]byte(f[0:6]) != macPeer || [6]byte(f[6:12]) != macBox4 ||
			netip.AddrFrom4([4]byte(f[30:34])) != h4 || csum(f[14:34]) != 0 || !bytes.Equal(f[14+28:], in6[14+48:]) {
			t.Errorf("to IPv4: %d bytes in %d descriptors: % x", len(f), d4[0], f[:42])
		}
		if len(out4[1]) != 14+20+8+100 || d4[1] != 1 {
			t.Errorf("the small frame: %d bytes, %d descriptors", len(out4[1]), d4[1])
		}
		f = out6[0]
		if len(f) != 14+40+8+8000 || d6[0] != (len(f)+2047)/2048 || [6]byte(f[6:12]) != macBox6 ||
			netip.AddrFrom16([16]byte(f[38:54])) != h6 || !bytes.Equal(f[14+48:], in4[14+28:]) {
			t.Errorf("to IPv6: %d bytes in %d descriptors: % x", len(f), d6[0], f[:62])
		}
		if r.dp(RXChains) != 2 || r.dp(TXChains) != 2 || r.dp(JumboSent) != 2 || r.dp(RX6) != 2 || r.dp(RX4) != 1 ||
			r.dp(TX4) != 2 || r.dp(TX6) != 1 {
			t.Errorf("counters: rx_chains %d tx_chains %d jumbo_sent %d rx %d/%d tx %d/%d", r.dp(RXChains), r.dp(TXChains),
				r.dp(JumboSent), r.dp(RX6), r.dp(RX4), r.dp(TX6), r.dp(TX4))
		}
		r.w.Step(2)
		r.conserved(t)
	}
}

// TestJumboFragments: an 8000-byte IPv4 packet without DF becomes IPv6
// fragments of at most lowest_ipv6_mtu (1280) bytes, each in one chunk.
func TestJumboFragments(t *testing.T) {
	r := jumboRig(t, true, nil)
	in := pattern(udp4(h4, h6as4, 8000), 5)
	r.p4.injectChain(t, in, 0)
	r.w.Step(1)
	r.conserved(t)
	out, descs := r.p6.sentFrames(t)
	if len(out) != 7 {
		t.Fatalf("%d fragments, want 7", len(out))
	}
	var payload []byte
	for i, f := range out {
		if descs[i] != 1 || len(f)-14 > 1280 || f[14+6] != 44 {
			t.Errorf("fragment %d: %d bytes of IPv6 in %d descriptors, next header %d", i, len(f)-14, descs[i], f[14+6])
		}
		off := int(binary.BigEndian.Uint16(f[14+42:]) &^ 7)
		if off != len(payload) {
			t.Fatalf("fragment %d at offset %d, want %d", i, off, len(payload))
		}
		payload = append(payload, f[14+48:]...)
	}
	if !bytes.Equal(payload[8:], in[14+28:]) || len(payload) != 8008 {
		t.Errorf("reassembled %d bytes, not the datagram", len(payload))
	}
	if r.dp(TXChains) != 0 || r.dp(JumboSent) != 7 {
		t.Errorf("tx_chains %d jumbo_sent %d", r.dp(TXChains), r.dp(JumboSent))
	}
	r.w.Step(2)
	r.conserved(t)
}

// TestJumboChainNotSplit: a chain cut by the vector's room is completed
// from the ring in the same Step and never enters the vector; a chain
// whose end has not arrived yet waits for it across Steps; the frames
// around it are translated as usual. The slow path transmits during
// receive: a jumbo frame goes out ahead of the small frames of its vector.
func TestJumboChainNotSplit(t *testing.T) {
	r := jumboRig(t, true, func(wc *WorkerConfig) { wc.Batch = 4 })
	for i := 0; i < 3; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
	}
	r.p6.injectChain(t, udp6(h6, h4as6, 8900), 1000) // 9 descriptors
	r.p6.inject(t, udp6(h6, h4as6, 20))
	if n := r.w.Step(1); n != 4 {
		t.Fatalf("Step took %d, want 3 frames and the chain", n)
	}
	out, descs := r.p4.sentFrames(t)
	if len(out) != 4 || len(out[0]) != 14+20+8+8900 || descs[0] != 5 {
		t.Fatalf("sent %d frames (%v descriptors)", len(out), descs)
	}
	if r.w.Step(2) != 1 {
		t.Fatal("the frame behind the chain was not received next")
	}
	if out, _ := r.p4.sentFrames(t); len(out) != 1 || len(out[0]) != 14+20+8+20 {
		t.Fatalf("then sent %d frames", len(out))
	}
	r.w.Step(3)
	r.conserved(t)

	// Only the first half of a chain on the ring: kept, completed later.
	whole := udp6(h6, h4as6, 5000)
	r.p6.injectChain(t, whole[:3000], 1000)
	r.p6.rx[len(r.p6.rx)-1].Opts = afxdp.PktContd // the chain goes on
	if n := r.w.Step(4); n != 0 || !r.w.ports[0].chain.on {
		t.Fatalf("half a chain: Step %d, collecting %v", n, r.w.ports[0].chain.on)
	}
	r.p6.injectChain(t, whole[3000:], 1000)
	r.p6.inject(t, udp6(h6, h4as6, 30))
	if n := r.w.Step(5); n != 2 {
		t.Fatalf("rest of the chain: Step %d", n)
	}
	out, _ = r.p4.sentFrames(t)
	if len(out) != 2 || len(out[0]) != 14+20+8+5000 || len(out[1]) != 14+20+8+30 {
		t.Fatalf("sent %d frames", len(out))
	}
	r.w.Step(6)
	r.conserved(t)
}

// TestJumboMalformed: a chain with a descriptor outside the UMEM, one with
// more descriptors than the kernel makes and one longer than JumboMax are
// dropped whole, counted, their chunks back on the free stack; the next
// frame goes through.
func TestJumboMalformed(t *testing.T) {
	r := jumboRig(t, true, nil)
	r.p6.injectChain(t, udp6(h6, h4as6, 3000), 0)
	r.p6.rx[len(r.p6.rx)-2].Addr = uint64(len(r.m6.area)) + afxdp.Headroom // not a chunk of ours
	r.w.Step(1)
	if r.dp(JumboBadChain) != 1 || r.dp(BadRXDesc) != 1 || len(r.p4.tx) != 0 {
		t.Fatalf("bad descriptor: jumbo_bad_chain %d bad_rx_desc %d tx %d", r.dp(JumboBadChain), r.dp(BadRXDesc), len(r.p4.tx))
	}
	// The kernel will not give the chunk back: count it as lost.
	lost := 1

	r.p6.injectChain(t, udp6(h6, h4as6, 3000), 100) // 31 descriptors
	r.p6.injectChain(t, udp6(h6, h4as6, JumboMax), 0)
	r.p6.inject(t, udp6(h6, h4as6, 10))
	r.w.Step(2)
	if r.dp(JumboBadChain) != 2 || r.dp(JumboTooLong) != 1 || r.dp(RXChains) != 3 {
		t.Fatalf("jumbo_bad_chain %d jumbo_too_long %d rx_chains %d", r.dp(JumboBadChain), r.dp(JumboTooLong), r.dp(RXChains))
	}
	if out, _ := r.p4.sentFrames(t); len(out) != 1 {
		t.Fatalf("sent %d frames, want the small one", len(out))
	}
	r.w.Step(3)
	total := r.p6.held() + r.p4.held() + r.w.mems[0].free.Len() + lost
	if total != r.m6.NumFrames() {
		t.Fatalf("frames accounted %d, want %d", total, r.m6.NumFrames())
	}
}

// TestJumboCannotFinish: what the slow path does not hold or retry is
// dropped and counted: a next hop not resolved yet (and resolution is
// asked for), a TX ring without room for the whole chain.
func TestJumboCannotFinish(t *testing.T) {
	r := jumboRig(t, true, nil)
	r.setMiss(h4)
	r.p6.injectChain(t, udp6(h6, h4as6, 8000), 0)
	r.w.Step(1)
	r.conserved(t)
	if r.dp(JumboNeighMiss) != 1 || len(r.p4.tx) != 0 || r.w.nheld != 0 || len(r.requests) != 1 {
		t.Fatalf("jumbo_neigh_miss %d, tx %d, held %d, requests %d", r.dp(JumboNeighMiss), len(r.p4.tx), r.w.nheld, len(r.requests))
	}
	r.setMiss(netip.Addr{})
	// Fill the IPv4 TX ring but for six slots: of two 4-descriptor chains
	// the first goes on it, the second not at all.
	for len(r.p4.tx) < r.p4.ring-6 {
		r.p4.tx = append(r.p4.tx, afxdp.Desc{Addr: 0, Len: 1})
	}
	r.p6.injectChain(t, udp6(h6, h4as6, 8000), 0)
	r.p6.injectChain(t, udp6(h6, h4as6, 8000), 0)
	r.w.Step(2)
	if r.dp(JumboTXFull) != 1 || r.dp(JumboSent) != 2 || len(r.p4.tx) != r.p4.ring-2 {
		t.Fatalf("jumbo_tx_full %d, jumbo_sent %d, tx %d", r.dp(JumboTXFull), r.dp(JumboSent), len(r.p4.tx))
	}
	r.p4.tx = r.p4.tx[:copy(r.p4.tx, r.p4.tx[r.p4.ring-6:])]
	if out, descs := r.p4.sentFrames(t); len(out) != 1 || descs[0] != 4 || len(out[0]) != 8042 {
		t.Fatalf("on the ring: %d frames %v", len(out), descs)
	}
	r.w.Step(3)
	r.conserved(t)
}

// TestJumboOneKick: the chains of one receive go on the TX ring together,
// with one kick.
func TestJumboOneKick(t *testing.T) {
	r := jumboRig(t, true, nil)
	for i := 0; i < 5; i++ {
		r.p6.injectChain(t, udp6(h6, h4as6, 8000), 0)
	}
	kicks := r.p4.kicks
	if n := r.w.Step(1); n != 5 {
		t.Fatalf("Step took %d chains", n)
	}
	if out, _ := r.p4.sentFrames(t); len(out) != 5 || r.p4.kicks != kicks+1 {
		t.Fatalf("sent %d frames with %d kicks", len(out), r.p4.kicks-kicks)
	}
	r.w.Step(2)
	r.conserved(t)
}

// TestJumboNoAllocs: after the first chain (which allocates the jumbo
// buffer), the slow path allocates nothing.
func TestJumboNoAllocs(t *testing.T) {
	r := jumboRig(t, true, nil)
	in := udp6(h6, h4as6, 8000)
	r.p6.injectChain(t, in, 0)
	r.w.Step(1)
	r.p4.complete()
	now := int64(2)
	allocs := testing.AllocsPerRun(50, func() {
		r.p6.injectChain(t, in, 0)
		r.w.Step(now)
		r.p4.complete()
		now++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per jumbo Step", allocs)
	}
}

// TestWarnMTU: the start-up MTU warning names what is dropped: nothing at
// MTU 9000 with multi-buffer sockets, frames beyond JumboMax with them,
// frames beyond a chunk without them.
func TestWarnMTU(t *testing.T) {
	for _, c := range []struct {
		mtu  int
		mb   bool
		want string
	}{
		{9000, true, ""},
		{1500, false, ""},
		{3826, false, ""},
		{9000, false, "refused multi-buffer"},
		{20000, true, "max_mtu=16370"},
	} {
		var buf bytes.Buffer
		d := &Datapath{log: slog.New(slog.NewTextHandler(&buf, nil)),
			if6: &neigh.Iface{Name: "six", MTU: c.mtu}, if4: &neigh.Iface{Name: "four", MTU: 1500}}
		d.info.MultiBuffer = c.mb
		d.warnMTU(4096)
		got := buf.String()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("MTU %d multi-buffer %v: logged %q, want %q", c.mtu, c.mb, got, c.want)
		}
	}
}

// TestJumboVerdicts: a jumbo frame NAT64 assigns to another worker is not
// handed off but dropped and counted; one left to the kernel likewise;
// nothing is queued.
func TestJumboVerdicts(t *testing.T) {
	r := jumboRig(t, true, nil)
	b := udp6(h6, h4as6, 8000)
	f := batch.Frame{Buf: b, Len: len(b), In: batch.Side6, Verdict: batch.Handoff}
	r.w.jumboOut(&f)
	f.Verdict = batch.Pass
	r.w.jumboOut(&f)
	if r.w.dp[JumboHandoffDropped] != 1 || r.w.dp[PassDropped] != 1 || r.w.ports[0].njtx+r.w.ports[1].njtx != 0 {
		t.Fatalf("jumbo_handoff_dropped %d pass_dropped %d queued %d", r.w.dp[JumboHandoffDropped], r.w.dp[PassDropped],
			r.w.ports[0].njtx+r.w.ports[1].njtx)
	}
	r.conserved(t)
}

// TestJumboForwardOnly: in forward-only mode a chain leaves the other side
// unchanged (but for the MAC addresses), as a chain.
func TestJumboForwardOnly(t *testing.T) {
	r := newRig(t, true, true)
	in := pattern(udp6(h6, h4as6, 8000), 3)
	r.p6.injectChain(t, in, 0)
	r.w.Step(1)
	out, descs := r.p4.sentFrames(t)
	if len(out) != 1 || descs[0] < 2 || !bytes.Equal(out[0][12:], in[12:]) || [6]byte(out[0][6:12]) != macBox4 {
		t.Fatalf("sent %d frames %v", len(out), descs)
	}
	r.w.Step(2)
	r.conserved(t)
}

// TestJumboFragmentsBeyondChunk pins a limit: fragments after the first
// come from the allocator, one chunk each, so with lowest_ipv6_mtu above
// what a chunk holds a jumbo IPv4 packet without DF is dropped
// (no_buffer), and every chunk comes back.
func TestJumboFragmentsBeyondChunk(t *testing.T) {
	r := jumboRig(t, true, func(wc *WorkerConfig) {
		c := *wc.Config.Load()
		c.LowestIPv6MTU = 4000 // the rig's chunks are 2048 bytes
		wc.Config.Store(&c)
	})
	r.p4.injectChain(t, udp4(h4, h6as4, 8000), 0)
	r.w.Step(1)
	// One packet, one no_buffer (the buffer batch gives back is not counted).
	if out, _ := r.p6.sentFrames(t); len(out) != 0 || r.w.Stats().Drops[batch.ReasonNoBuffer].Load() != 1 {
		t.Fatalf("sent %d frames, no_buffer %d", len(out), r.w.Stats().Drops[batch.ReasonNoBuffer].Load())
	}
	r.w.Step(2)
	r.conserved(t)
}

// TestJumboQueueFull: when a port's jumbo TX list is full, what it holds
// (whole frames) goes on the TX ring before more is queued.
func TestJumboQueueFull(t *testing.T) {
	r := jumboRig(t, true, nil)
	p := r.w.out[batch.Side4]
	b := udp4(h4, h6as4, 100)
	for i := 0; i < jtxSize+3; i++ {
		if !r.w.jumboQueue(p, b) {
			t.Fatalf("frame %d not queued", i)
		}
	}
	if len(r.p4.tx) != jtxSize || r.w.ports[p].njtx != 3 || r.p4.kicks != 1 {
		t.Fatalf("tx ring %d, queued %d, kicks %d", len(r.p4.tx), r.w.ports[p].njtx, r.p4.kicks)
	}
	if out, _ := r.p4.sentFrames(t); len(out) != jtxSize {
		t.Fatalf("%d frames sent first", len(out))
	}
	r.w.jumboFlush()
	if out, _ := r.p4.sentFrames(t); len(out) != 3 || r.w.dp[JumboTXFull] != 0 {
		t.Fatalf("%d frames sent then, jumbo_tx_full %d", len(out), r.w.dp[JumboTXFull])
	}
	r.w.Step(1)
	r.conserved(t)
}
