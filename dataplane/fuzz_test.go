package dataplane

import (
	"testing"

	"github.com/xlatd/xlatd/afxdp"
)

// FuzzWorkerChains drives a worker (the jumbo rig: 9000-byte MTUs, chunks
// of 2048 bytes) with programs of four-byte operations, each one frame
// received on either port as a chain of descriptors: UDP of any length up
// to past JumboMax, or a UDP frame with garbage after its Ethernet header,
// cut into descriptors of any size, sometimes left open for the next
// operation to continue (a chain whose end is not on the ring yet),
// sometimes with an empty descriptor inside; then a Step, and the kernel
// completing every transmit. Nothing may panic, and after every Step each
// chunk is accounted for (rings, free stacks, held frames, the
// descriptors of a chain still being collected).
//
//	go test -run '^$' -fuzz '^FuzzWorkerChains$' -fuzztime 5m -parallel 1 ./dataplane/
func FuzzWorkerChains(f *testing.F) {
	f.Add([]byte{0, 31, 16, 0, 1, 31, 16, 0})                             // 8000-byte UDP both ways, whole chunks
	f.Add([]byte{0, 20, 0, 100, 1, 100, 5, 3})                            // a chain of many small descriptors; a 6400-byte IPv4 one
	f.Add([]byte{8, 40, 0, 0, 0, 40, 0, 0})                               // left open, then the next frame continues it
	f.Add([]byte{16, 60, 0, 9, 1, 255, 63, 0, 4, 2, 0, 0})                // an empty descriptor inside; past JumboMax; garbage
	f.Add([]byte{5, 10, 1, 0, 4, 200, 0, 77, 13, 33, 33, 33, 0, 1, 1, 1}) // garbage both ways, small frames
	f.Fuzz(func(t *testing.T, prog []byte) {
		shared := len(prog)%2 == 0
		r := jumboRig(t, shared, nil)
		for step := int64(1); len(prog) >= 4 && step <= 32; step++ {
			op, a, b, c := prog[0], prog[1], prog[2], prog[3]
			prog = prog[4:]
			p := r.p6
			if op&1 == 1 {
				p = r.p4
			}
			size := int(a)<<6 | int(b&63)
			var frame []byte
			if p == r.p6 {
				frame = udp6(h6, h4as6, size)
			} else {
				frame = udp4(h4, h6as4, size)
			}
			if op&4 != 0 { // garbage after the Ethernet header
				x := c | 1
				for i := 14; i < len(frame); i++ {
					x ^= x << 3
					x ^= x >> 5
					frame[i] ^= x
				}
			}
			seg := 1 + (int(c)*7)%(r.m6.fs-afxdp.Headroom)
			if c == 0 {
				seg = r.m6.fs - afxdp.Headroom
			}
			fuzzInject(p, frame, seg, op&8 != 0, op&16 != 0)
			r.w.Step(step)
			r.p6.complete()
			r.p4.complete()
			conservedOpen(t, r)
		}
		// Two more steps settle what the kernel has completed.
		for step := int64(100); step < 102; step++ {
			r.w.Step(step)
			r.p6.complete()
			r.p4.complete()
			conservedOpen(t, r)
		}
	})
}

// fuzzInject plays the kernel receiving frame as descriptors of at most seg
// bytes, as many as the fill ring and the RX ring have room for (the rest
// of the frame is not received: the chain then ends early, as a truncated
// frame); open leaves the chain going on (PktContd on its last
// descriptor), empty puts an empty descriptor after the first.
func fuzzInject(p *fakePort, frame []byte, seg int, open, empty bool) {
	for i := 0; len(frame) > 0 || (empty && i == 1); i++ {
		if p.fillh == len(p.fill) || len(p.rx)-p.rxh >= p.ring {
			break
		}
		c := p.fill[p.fillh]
		p.fillh++
		n := 0
		if !(empty && i == 1) {
			n = copy(p.mem.Frame(c)[afxdp.Headroom:][:seg], frame)
		}
		frame = frame[n:]
		p.rx = append(p.rx, afxdp.Desc{Addr: c + afxdp.Headroom, Len: uint32(n), Opts: afxdp.PktContd})
	}
	if n := len(p.rx); n > 0 && !open {
		p.rx[n-1].Opts &^= afxdp.PktContd
	}
}

// conservedOpen is rig.conserved counting also the chunks of chains a
// port is still collecting (kept until their last descriptor comes).
func conservedOpen(t *testing.T, r *rig) {
	t.Helper()
	total := r.p6.held() + r.p4.held() + r.w.nheld
	for i := 0; i < r.w.nmems; i++ {
		total += r.w.mems[i].free.Len()
	}
	for i := range r.w.ports {
		total += r.w.ports[i].chain.n
	}
	want := r.m6.NumFrames()
	if r.m4 != r.m6 {
		want += r.m4.NumFrames()
	}
	if total != want {
		t.Fatalf("frames accounted: %d, want %d", total, want)
	}
}
