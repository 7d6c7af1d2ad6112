package dataplane

import (
	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
)

// This file holds the worker's transmit side: the per-port TX batch, the
// copy between UMEMs that do not share, and the kicks.

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
