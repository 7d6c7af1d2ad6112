package dataplane

import (
	"unsafe"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
)

// origin is the UMEM chunk a received frame started in, and the address of
// that chunk in memory: the translator may move a frame to another buffer
// (never today, but Step does not rely on it), which a comparison of
// addresses tells.
type origin struct {
	mem   int
	chunk uint64
	ptr   *byte
}

// receive fills the vector from the ports, alternating which goes first.
func (w *Worker) receive() {
	v := &w.vec
	v.Reset()
	first := w.rxTurn
	w.rxTurn ^= 1
	for k := 0; k < w.nports; k++ {
		p := (first + k) % w.nports
		room := w.cfg.Batch - v.N
		if room <= 0 {
			break
		}
		ps := &w.ports[p]
		n := ps.port.Receive(w.descs[:room])
		if n == 0 {
			continue
		}
		ps.rxSeen = true
		side := batch.Side6
		if w.out[batch.Side6] != p {
			side = batch.Side4
		}
		descs := w.descs[:n]
		for len(descs) > 0 {
			if !ps.chain.on {
				// The single-chunk frames up to the first chain.
				k := w.rxFrames(descs, ps.mem, side)
				if descs = descs[k:]; len(descs) == 0 {
					break
				}
			}
			// A frame longer than a chunk (the rest of one cut last
			// time comes first): its chain goes to the jumbo slow path,
			// never into the vector.
			w.rxChainDesc(p, side, descs[0])
			descs = descs[1:]
		}
		if ps.chain.on {
			w.finishChain(p, side)
		}
	}
	if w.jumbo.chains > 0 {
		w.jumboFlush()
	}
}

// rxFrames adds the frames of descs to the vector up to the first one that
// is part of a chain (Opts set), and returns how many descriptors it took.
// Apart from the kernel's options tested on each descriptor, this is the
// receive loop as it was before chains (issue 8), at the same instruction
// count per frame (BenchmarkStep under callgrind): a loop without a call,
// so that nothing is spilled around it, and a local frame count.
func (w *Worker) rxFrames(descs []afxdp.Desc, mi int, side batch.Side) int {
	v := &w.vec
	m := &w.mems[mi]
	nv := v.N
	for i, d := range descs {
		if d.Opts != 0 {
			v.N = nv
			return i
		}
		c := m.chunk(d.Addr)
		if c+m.fs > uint64(len(m.area)) || d.Addr+uint64(d.Len) > c+m.fs {
			w.dp[BadRXDesc]++ // the kernel never does this; do not trust it blindly
			continue
		}
		buf := m.frame(c)
		in := side
		if w.oneArmed {
			in = batch.Side6
			if len(buf) > int(d.Addr-c)+13 && buf[d.Addr-c+12] == 0x08 && buf[d.Addr-c+13] == 0x00 {
				in = batch.Side4
			}
		}
		if in == batch.Side6 {
			w.dp[RX6]++
		} else {
			w.dp[RX4]++
		}
		w.orig[nv] = origin{mem: mi, chunk: c, ptr: unsafe.SliceData(buf)}
		// Field by field: a composite literal is built on the stack
		// and copied with wide loads that cannot be forwarded from
		// its narrow stores (a store-forwarding stall per frame).
		f := &v.Frames[nv]
		f.Buf = buf
		f.Off = int(d.Addr - c)
		f.Len = int(d.Len)
		f.In = in
		f.Verdict = batch.Drop
		f.Reason = batch.ReasonNone
		nv++
	}
	v.N = nv
	return len(descs)
}
