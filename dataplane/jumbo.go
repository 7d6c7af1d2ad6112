package dataplane

import (
	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/neigh"
)

// This file holds the jumbo slow path: frames longer than a UMEM chunk,
// which sockets bound with XDP_USE_SG receive as chains of descriptors
// (all but the last with afxdp.PktContd in Opts). A chain never enters the
// 64-frame vector: receive hands each descriptor of one to rxChainDesc,
// which collects the chain (across Receive calls if it must) and, at its last
// descriptor, linearises it into the worker's jumbo buffer, gives the RX
// chunks back, translates it there with the same batch code, and writes
// each resulting frame into free chunks of the egress port's UMEM: one
// chunk when it fits (IPv6 fragments of lowest_ipv6_mtu), else a TX chain.
// The output goes straight to the TX ring (whole or not at all) and is
// kicked; the fast path is not involved beyond one test of Desc.Opts per
// received frame (rxFrames).
//
// What the slow path cannot finish at once is dropped and counted: a next
// hop not resolved yet (resolution is requested, so the next one goes
// through), a NAT64 frame owned by another worker, a TX ring without room
// for the whole output.

// JumboMax is the longest frame (Ethernet header included) the jumbo slow
// path takes; longer chains are dropped (jumbo_too_long). 16 KiB holds a
// 9000-byte MTU with room to spare.
const JumboMax = 16384

// maxChain bounds the descriptors of one chain: the kernel's MAX_SKB_FRAGS
// (17) plus the linear part. A 16 KiB frame in 4096-byte chunks needs 5.
const maxChain = 18

// jtxSize bounds the TX descriptors the slow path queues for one port
// before it puts them on the TX ring (at the end of receive, or earlier
// when full): a 16 KiB frame as IPv6 fragments of 1280 bytes is 14
// frames, as a chain of 2048-byte chunks 8 descriptors.
const jtxSize = 128

// rxChain is a chain being collected on one port.
type rxChain struct {
	d    [maxChain]afxdp.Desc
	n    int  // descriptors kept in d
	on   bool // a chain has started and its last descriptor not yet come
	bad  bool // drop it whole at its end
	side batch.Side
}

// jumboState is the worker's slow path: the linear buffer, allocated once,
// and a one-frame vector.
type jumboState struct {
	buf    []byte // batch.Headroom + JumboMax
	vec    batch.Vector
	chains int // chains finished in the current Step
	one    [1]afxdp.Desc
}

// rxChainDesc takes descriptor d of a chain received on port p.
func (w *Worker) rxChainDesc(p int, side batch.Side, d afxdp.Desc) {
	ps := &w.ports[p]
	ch := &ps.chain
	m := &w.mems[ps.mem]
	if !ch.on {
		ch.on, ch.bad, ch.n, ch.side = true, false, 0, side
	}
	c := m.chunk(d.Addr)
	switch {
	case c+m.fs > uint64(len(m.area)) || d.Addr+uint64(d.Len) > c+m.fs:
		w.dp[BadRXDesc]++ // not a chunk of ours: nothing to give back
		ch.bad = true
	case ch.n == len(ch.d):
		w.release(ps.mem, c)
		ch.bad = true
	default:
		ch.d[ch.n] = d
		ch.n++
	}
	if d.Opts&afxdp.PktContd != 0 {
		return
	}
	// The last descriptor: the chain is complete.
	ch.on = false
	w.dp[RXChains]++
	w.jumbo.chains++
	if ch.bad {
		w.dp[JumboBadChain]++
		w.releaseChain(ps)
		return
	}
	w.jumboChain(p)
}

// releaseChain gives the chunks of port p's chain back to the free stack.
func (w *Worker) releaseChain(ps *portState) {
	m := &w.mems[ps.mem]
	for _, d := range ps.chain.d[:ps.chain.n] {
		m.free.Push(m.chunk(d.Addr))
	}
	ps.chain.n = 0
}

// finishChain takes the rest of a chain that the last Receive cut (the
// kernel publishes whole chains, so it is on the ring already). What is
// still missing is collected at the next Step.
func (w *Worker) finishChain(p int, side batch.Side) {
	ps := &w.ports[p]
	for i := 0; ps.chain.on && i < maxChain+1; i++ {
		if ps.port.Receive(w.jumbo.one[:]) == 0 {
			return
		}
		w.rxChainDesc(p, side, w.jumbo.one[0])
	}
}

// jumboChain linearises port p's complete chain, frees its chunks,
// translates it and sends the result.
func (w *Worker) jumboChain(p int) {
	ps := &w.ports[p]
	ch := &ps.chain
	m := &w.mems[ps.mem]
	total := 0
	for _, d := range ch.d[:ch.n] {
		total += int(d.Len)
	}
	if total > JumboMax || total == 0 {
		if total == 0 {
			w.dp[JumboBadChain]++
		} else {
			w.dp[JumboTooLong]++
		}
		w.releaseChain(ps)
		return
	}
	j := &w.jumbo
	if j.buf == nil {
		j.buf = make([]byte, batch.Headroom+JumboMax) // once per worker
	}
	o := batch.Headroom
	for _, d := range ch.d[:ch.n] {
		c := m.chunk(d.Addr)
		o += copy(j.buf[o:], m.frame(c)[d.Addr-c:][:d.Len])
	}
	w.releaseChain(ps)
	side := ch.side
	if w.oneArmed {
		side = batch.Side6
		if j.buf[batch.Headroom+12] == 0x08 && j.buf[batch.Headroom+13] == 0x00 {
			side = batch.Side4
		}
	}
	if side == batch.Side6 {
		w.dp[RX6]++
	} else {
		w.dp[RX4]++
	}
	v := &j.vec
	v.Reset()
	f := &v.Frames[0]
	*f = batch.Frame{Buf: j.buf, Off: batch.Headroom, Len: total, In: side, Verdict: batch.Drop}
	v.N = 1
	w.alloc.n = 0
	if w.cfg.ForwardOnly {
		w.fwdMap = nil // as forward() does: dstKey looks where it would go
		if c := w.cfg.Config.Load(); c != nil {
			w.fwdMap = c.Map
		}
		f.Verdict = batch.To4
		if side == batch.Side4 {
			f.Verdict = batch.To6
		}
		w.tr.Counters.Verdicts[f.Verdict]++
	} else {
		w.tr.Translate(v, w.now, &w.alloc)
	}
	if w.cfg.Neigh != nil {
		w.nhc.begin(w.cfg.Neigh())
	}
	w.jumboOut(f)
	for i := 0; i < v.NExtra; i++ {
		w.jumboOut(&v.Extra[i])
	}
	// Every output was copied: the allocator's buffers all go back.
	w.alloc.releaseUnused()
}

// jumboOut queues a copy of translated frame f for the port its verdict
// names.
func (w *Worker) jumboOut(f *batch.Frame) {
	var s batch.Side
	switch f.Verdict {
	case batch.To4:
		s = batch.Side4
	case batch.To6:
		s = batch.Side6
	case batch.Back:
		s = f.In
	case batch.Pass:
		w.dp[PassDropped]++
		return
	case batch.Handoff:
		w.dp[JumboHandoffDropped]++
		return
	default:
		return // dropped and counted by the translator
	}
	p := w.out[s]
	if p < 0 {
		w.dp[NoTXSocket]++
		return
	}
	if f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
		w.dp[BadOutput]++
		return
	}
	b := f.Buf[f.Off : f.Off+f.Len]
	if f.Verdict != batch.Back {
		// (An ICMP error going back has its MAC addresses swapped.)
		mac, res := w.nextHop(b, s)
		switch res {
		case neigh.Found:
		case neigh.Miss:
			w.dp[JumboNeighMiss]++
			return
		case badFrame:
			w.dp[BadOutput]++
			return
		default:
			w.dp[NoRoute]++
			return
		}
		*(*[6]byte)(b[0:6]) = mac
		*(*[6]byte)(b[6:12]) = w.mac[s]
	}
	if w.jumboQueue(p, b) {
		if s == batch.Side6 {
			w.dp[TX6]++
		} else {
			w.dp[TX4]++
		}
		w.dp[JumboSent]++
	}
}

// jumboQueue copies frame b into free chunks of port p's UMEM and queues
// their descriptors on the port's jumbo TX list: one chunk at the usual
// headroom when b fits, else a chain of whole chunks. It reports whether
// b was queued.
func (w *Worker) jumboQueue(p int, b []byte) bool {
	ps := &w.ports[p]
	m := &w.mems[ps.mem]
	fs := int(m.fs)
	off, k := batch.Headroom, 1
	if len(b) > fs-batch.Headroom {
		off, k = 0, (len(b)+fs-1)/fs
	}
	if k > maxChain {
		w.dp[JumboTXFull]++
		return false
	}
	if ps.njtx+k > len(ps.jtx) {
		w.jumboFlush() // what is queued is whole frames
	}
	if m.free.Len() < k {
		w.dp[NoFreeFrame]++
		return false
	}
	for i := 0; i < k; i++ {
		c, _ := m.free.Pop()
		n := copy(m.frame(c)[off:], b)
		b = b[n:]
		d := afxdp.Desc{Addr: c + uint64(off), Len: uint32(n)}
		if i < k-1 {
			d.Opts = afxdp.PktContd
		}
		ps.jtx[ps.njtx] = d
		ps.njtx++
	}
	if k > 1 {
		w.dp[TXChains]++
	}
	return true
}

// jumboFlush puts the queued jumbo frames on the TX rings, as many whole
// frames as there is room for (a chain must not be cut), drops the rest
// (jumbo_tx_full) and kicks: once per receive (a kick per jumbo frame
// would cost a sendto each).
func (w *Worker) jumboFlush() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		if ps.njtx == 0 {
			continue
		}
		// The whole frames that fit: never a part of a chain.
		k := min(ps.port.TxFree(ps.njtx), ps.njtx)
		for k > 0 && ps.jtx[k-1].Opts&afxdp.PktContd != 0 {
			k--
		}
		if k > 0 {
			k = ps.port.Transmit(ps.jtx[:k]) // all of them: there is room
		}
		if k < ps.njtx {
			m := &w.mems[ps.mem]
			for _, d := range ps.jtx[k:ps.njtx] {
				m.free.Push(m.chunk(d.Addr))
				if d.Opts&afxdp.PktContd == 0 {
					w.dp[JumboTXFull]++ // a frame's last descriptor
				}
			}
		}
		ps.njtx = 0
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
