package dataplane

import (
	"unsafe"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/neigh"
)

// This file holds the worker's transmit side: where each frame goes after
// translation, the per-port TX batch, the copy between UMEMs that do not
// share, and the kicks.

// portState is one AF_XDP socket of the worker and the descriptors queued
// for it in the current vector.
type portState struct {
	port Port
	mem  int
	tx   [batch.Size + batch.ExtraSize + holdSize]afxdp.Desc
	ntx  int
	// kickPending: the last Kick failed, so descriptors may sit on the TX
	// ring with nobody to wake the kernel for them (copy mode transmits
	// only on sendto). Step retries the kick, once per vector, until it
	// succeeds; otherwise a worker whose frames are all on the TX ring
	// would starve its fill ring and never receive again.
	kickPending bool

	// The jumbo slow path (jumbo.go): a chain being received, and the
	// descriptors of one chain's output.
	chain rxChain
	jtx   [jtxSize]afxdp.Desc
	njtx  int

	// Preferred busy polling: bp non-nil busy-polls this port's NAPI
	// every loop iteration; napiChecked: checkNAPI ran for it, which it
	// does once the port received frames (rxSeen).
	bp          BusyPoller
	napiChecked bool
	rxSeen      bool
}

// output sends a received frame where its verdict says and gives back the
// chunks that did not go to a TX ring.
func (w *Worker) output(f *batch.Frame, o origin) {
	if w.sendFast(f, o) {
		return
	}
	if owner, ok := handoffOwner(f); ok {
		// The translator leaves a handed-off frame untouched in its
		// chunk; once copied, the chunk is free again.
		w.handoff(f, owner)
		w.release(o.mem, o.chunk)
		return
	}
	mi, ch, ok := o.mem, o.chunk, true
	if unsafe.SliceData(f.Buf) != o.ptr {
		// The translator put the frame in another buffer.
		mi, ch, ok = w.chunkOf(f.Buf)
	}
	if !ok || f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
		if f.Verdict != batch.Drop && f.Verdict != batch.Pass {
			w.dp[BadOutput]++
		}
		w.release(o.mem, o.chunk)
		return
	}
	if !w.emit(f, mi, ch) {
		w.release(mi, ch)
	}
	if mi != o.mem || ch != o.chunk {
		w.release(o.mem, o.chunk)
		w.alloc.resolve(mi, ch)
	}
}

// sendFast sends the common frame in one go: translated in place, bound
// for a port on the same UMEM, its next hop found in the cache. For
// anything else it changes nothing and reports false.
func (w *Worker) sendFast(f *batch.Frame, o origin) bool {
	var s batch.Side
	switch f.Verdict {
	case batch.To4:
		s = batch.Side4
	case batch.To6:
		s = batch.Side6
	default:
		return false
	}
	p := w.out[s]
	if p < 0 || w.nhc.snap == nil {
		return false
	}
	ps := &w.ports[p]
	if ps.mem != o.mem || ps.ntx == len(ps.tx) || unsafe.SliceData(f.Buf) != o.ptr ||
		f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
		return false
	}
	b := f.Buf[f.Off : f.Off+f.Len]
	k0, k1, v4, res := w.dstKey(b, s)
	if res != neigh.Found {
		return false
	}
	e := w.nhc.found(w.ifindex[s], k0, k1, v4)
	if e == nil {
		return false
	}
	*(*[6]byte)(b[0:6]) = e.mac
	*(*[6]byte)(b[6:12]) = w.mac[s]
	ps.tx[ps.ntx] = afxdp.Desc{Addr: o.chunk + uint64(f.Off), Len: uint32(f.Len)}
	ps.ntx++
	if s == batch.Side6 {
		w.dp[TX6]++
	} else {
		w.dp[TX4]++
	}
	return true
}

// outputExtra sends a frame the translator added (a fragment in a buffer
// from the allocator).
func (w *Worker) outputExtra(f *batch.Frame) {
	mi, ch, ok := w.chunkOf(f.Buf)
	if !ok || f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
		w.dp[BadOutput]++
		return
	}
	if !w.emit(f, mi, ch) {
		w.release(mi, ch)
	}
	w.alloc.resolve(mi, ch)
}

// emit sends f where its verdict says. It reports whether f's buffer
// (mi, ch) now belongs to a TX ring.
func (w *Worker) emit(f *batch.Frame, mi int, ch uint64) bool {
	switch f.Verdict {
	case batch.To4:
		return w.send(f, mi, ch, batch.Side4)
	case batch.To6:
		return w.send(f, mi, ch, batch.Side6)
	case batch.Back:
		// The translator swapped the MAC addresses already.
		p := w.out[f.In]
		if p < 0 {
			w.dp[NoTXSocket]++
			return false
		}
		return w.queue(p, f, mi, ch, f.In)
	case batch.Pass:
		w.dp[PassDropped]++
	}
	return false
}

// queue puts the frame on port p's TX batch, copying it into that port's
// UMEM when it lives in another one. It reports whether (mi, ch) was
// queued (false after a copy: the original is free again).
func (w *Worker) queue(p int, f *batch.Frame, mi int, ch uint64, s batch.Side) bool {
	ps := &w.ports[p]
	if ps.ntx == len(ps.tx) { // cannot happen: every frame is queued at most once per vector
		w.dp[TXRingFull]++
		return false
	}
	if s == batch.Side6 {
		w.dp[TX6]++
	} else {
		w.dp[TX4]++
	}
	if ps.mem == mi {
		ps.tx[ps.ntx] = afxdp.Desc{Addr: ch + uint64(f.Off), Len: uint32(f.Len)}
		ps.ntx++
		return true
	}
	m := &w.mems[ps.mem]
	nc, ok := m.free.Pop()
	if !ok {
		w.dp[NoFreeFrame]++
		return false
	}
	buf := m.frame(nc)
	if f.Off+f.Len > len(buf) {
		m.free.Push(nc)
		w.dp[BadOutput]++
		return false
	}
	copy(buf[f.Off:], f.Buf[f.Off:f.Off+f.Len])
	ps.tx[ps.ntx] = afxdp.Desc{Addr: nc + uint64(f.Off), Len: uint32(f.Len)}
	ps.ntx++
	w.dp[Copies]++
	return false
}

// transmit hands the queued descriptors to the TX rings and kicks them.
func (w *Worker) transmit() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		if ps.ntx == 0 {
			continue
		}
		k := ps.port.Transmit(ps.tx[:ps.ntx])
		if k < ps.ntx {
			m := &w.mems[ps.mem]
			for _, d := range ps.tx[k:ps.ntx] {
				m.free.Push(m.chunk(d.Addr))
			}
			w.dp[TXRingFull] += uint64(ps.ntx - k)
		}
		ps.ntx = 0
		if k > 0 {
			if err := ps.port.Kick(); err != nil {
				w.dp[KickErrors]++
				ps.kickPending = true
			} else {
				ps.kickPending = false
			}
		}
	}
}

// retryKicks kicks again the ports whose last kick failed.
func (w *Worker) retryKicks() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		if !ps.kickPending {
			continue
		}
		if err := ps.port.Kick(); err != nil {
			w.dp[KickErrors]++
			continue
		}
		ps.kickPending = false
	}
}

// kicksPending reports whether a port still has a failed kick to retry.
func (w *Worker) kicksPending() bool {
	for p := 0; p < w.nports; p++ {
		if w.ports[p].kickPending {
			return true
		}
	}
	return false
}
