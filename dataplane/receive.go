package dataplane

import (
	"unsafe"

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
		m := &w.mems[ps.mem]
		side := batch.Side6
		if w.out[batch.Side6] != p {
			side = batch.Side4
		}
		i := 0
		for ; ps.chain.on && i < n; i++ {
			w.rxChainDesc(p, side, w.descs[i]) // the rest of a chain cut last time
		}
		for ; i < n; i++ {
			d := w.descs[i]
			if d.Opts != 0 {
				// A frame longer than a chunk: its chain goes to the
				// jumbo slow path, never into the vector.
				w.rxChainDesc(p, side, d)
				for ps.chain.on && i+1 < n {
					i++
					w.rxChainDesc(p, side, w.descs[i])
				}
				continue
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
			w.orig[v.N] = origin{mem: ps.mem, chunk: c, ptr: unsafe.SliceData(buf)}
			// Field by field: a composite literal is built on the stack
			// and copied with wide loads that cannot be forwarded from
			// its narrow stores (a store-forwarding stall per frame).
			f := &v.Frames[v.N]
			f.Buf = buf
			f.Off = int(d.Addr - c)
			f.Len = int(d.Len)
			f.In = in
			f.Verdict = batch.Drop
			f.Reason = batch.ReasonNone
			v.N++
		}
		if ps.chain.on {
			w.finishChain(p, side)
		}
	}
}
