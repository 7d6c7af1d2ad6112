// Package dataplane runs xlatd's per-queue workers: each receives a vector
// of frames from its AF_XDP sockets, translates it in place with package
// batch, fills in the MAC addresses from the neighbour mirror and transmits
// every frame on the socket its verdict names, recycling buffers through a
// free-frame stack. Nothing on that path allocates, locks, sends on a
// channel or makes a system call per packet: syscalls happen per vector
// (TX kicks and fill-ring wakeups when the kernel asks) and when idle
// (poll(2)).
package dataplane

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/neigh"
)

// Port is what a worker needs of an AF_XDP socket; *afxdp.Socket
// implements it. Defined here so the loop can be tested without root.
type Port interface {
	Receive(descs []afxdp.Desc) int
	Transmit(descs []afxdp.Desc) int
	Fill(addrs []uint64) int
	Complete(addrs []uint64) int
	FillFree(n int) int
	Kick() error
	WakeupFill() error
	FD() int
}

// Mem is a UMEM; *afxdp.UMEM implements it.
type Mem interface {
	Frame(addr uint64) []byte // the whole chunk containing addr
	Chunk(addr uint64) uint64
	FrameSize() int
	NumFrames() int
}

// NextHops finds next-hop MAC addresses; *neigh.Snapshot implements it.
type NextHops interface {
	Lookup4(oif int, dst [4]byte) (mac [6]byte, nh [16]byte, res neigh.Result)
	Lookup6(oif int, dst [16]byte) (mac [6]byte, nh [16]byte, res neigh.Result)
}

// SideConfig is one interface role as a worker sees it.
type SideConfig struct {
	Port    Port // nil: this queue has no socket on that side
	Mem     Mem  // the UMEM the Port's frames live in
	Ifindex int
	MAC     [6]byte // source MAC of frames sent on this side
}

// WorkerConfig configures one worker (one queue).
type WorkerConfig struct {
	Queue int
	// Six and Four are the IPv6 and IPv4 sides. One-armed: the same Port
	// on both.
	Six, Four   SideConfig
	Batch       int  // frames per vector, 1..64 (default 64)
	BusyPoll    bool // spin a while before sleeping in poll(2)
	ForwardOnly bool // testing: forward between the sides without translating
	Config      *batch.ConfigSource
	Neigh       func() NextHops      // current neighbour snapshot (loaded once per vector)
	Resolve     func(neigh.Requests) // must not block; called at most once per vector
	Stats       *Stats               // where the totals go
	PollTimeout time.Duration        // idle sleep bound (default 100ms)
}

// reserve is how many free frames refills leave on the stack for copies
// between UMEMs and fragments created by the translator.
const reserve = 2 * batch.Size

// spinTime is how long a busy-polling worker keeps polling its rings after
// the last frame before it sleeps in poll(2).
const spinTime = int64(100 * time.Microsecond)

type memState struct {
	mem   Mem
	free  *afxdp.FrameStack
	area  []byte // the whole UMEM: chunks are sliced from it without an interface call
	fs    uint64
	base  uintptr
	size  uintptr
	fmask uint64
}

// chunk returns the chunk address containing addr.
func (m *memState) chunk(addr uint64) uint64 { return addr &^ m.fmask }

// frame returns the whole chunk at chunk address c.
func (m *memState) frame(c uint64) []byte { return m.area[c : c+m.fs : c+m.fs] }

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

type origin struct {
	mem   int
	chunk uint64
}

// Worker is one queue's datapath loop. It is not safe for concurrent use;
// Run it on its own goroutine.
type Worker struct {
	cfg      WorkerConfig
	oneArmed bool
	mems     [2]memState
	nmems    int
	ports    [2]portState
	nports   int
	out      [2]int // port index per batch.Side, -1 = none
	ifindex  [2]int
	mac      [2][6]byte
	tr       *batch.Translator
	vec      batch.Vector
	orig     [batch.Size]origin
	descs    [batch.Size]afxdp.Desc
	addrs    [256]uint64
	alloc    allocator
	dp       [NumCounters]uint64
	req      neigh.Requests
	rxTurn   int
	now      int64
	pfds     [2]unix.PollFd
	npfds    int

	// Per-vector next-hop cache (the last lookup per family).
	nh       NextHops
	last4    [4]byte
	last4oif int
	last4mac [6]byte
	last4res neigh.Result
	last4ok  bool
	last6    [16]byte
	last6oif int
	last6mac [6]byte
	last6res neigh.Result
	last6ok  bool
	lastNH   [16]byte
	fwdMap   *mapping.Table // forward-only: where frames would be translated to

	// Frames waiting for their next hop's MAC address (bounded).
	held  [holdSize]heldFrame
	nheld int
}

// holdSize bounds the frames a worker holds while the kernel resolves a
// next hop; holdTime is how long one is held before it is dropped.
const (
	holdSize = 16
	holdTime = int64(time.Second)
)

type heldFrame struct {
	f        batch.Frame
	mi       int
	ch       uint64
	side     batch.Side
	deadline int64
}

// allocator hands the translator spare frames from the IPv6 side's UMEM
// (fragments are created on the way to the IPv6 side) and remembers them so
// that the ones not transmitted go back to the free stack.
type allocator struct {
	w        *Worker
	handed   [2 * batch.ExtraSize]uint64
	resolved [2 * batch.ExtraSize]bool
	n        int
}

func (a *allocator) Get() []byte {
	m := &a.w.mems[0]
	if a.n == len(a.handed) {
		return nil
	}
	c, ok := m.free.Pop()
	if !ok {
		return nil
	}
	a.handed[a.n], a.resolved[a.n] = c, false
	a.n++
	return m.frame(c)
}

// resolve marks the handed-out chunk as dealt with.
func (a *allocator) resolve(mi int, chunk uint64) {
	if mi != 0 {
		return
	}
	for i := 0; i < a.n; i++ {
		if a.handed[i] == chunk && !a.resolved[i] {
			a.resolved[i] = true
			return
		}
	}
}

// NewWorker prepares a worker: free stacks holding every chunk of its
// UMEM(s), fill rings primed.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Batch <= 0 || cfg.Batch > batch.Size {
		cfg.Batch = batch.Size
	}
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = 100 * time.Millisecond
	}
	if cfg.Stats == nil {
		cfg.Stats = new(Stats)
	}
	w := &Worker{cfg: cfg, tr: batch.New(cfg.Config)}
	w.alloc.w = w
	w.out = [2]int{-1, -1}
	w.oneArmed = cfg.Six.Port != nil && cfg.Six.Port == cfg.Four.Port
	sides := [2]*SideConfig{batch.Side6: &cfg.Six, batch.Side4: &cfg.Four}
	for s, sc := range sides {
		w.ifindex[s], w.mac[s] = sc.Ifindex, sc.MAC
		if sc.Port == nil {
			continue
		}
		if s == int(batch.Side4) && w.oneArmed {
			w.out[s] = w.out[batch.Side6]
			continue
		}
		mi := w.addMem(sc.Mem)
		w.ports[w.nports] = portState{port: sc.Port, mem: mi}
		w.out[s] = w.nports
		w.nports++
		if fd := sc.Port.FD(); fd >= 0 {
			w.pfds[w.npfds] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
			w.npfds++
		}
	}
	if w.nmems == 0 {
		// No port at all: keep an empty memory so that Get returns nil.
		w.mems[0].free = afxdp.NewFrameStack(0)
		w.nmems = 1
	}
	w.refill()
	return w
}

func (w *Worker) addMem(m Mem) int {
	for i := 0; i < w.nmems; i++ {
		if w.mems[i].mem == m {
			return i
		}
	}
	i := w.nmems
	w.nmems++
	fs := m.FrameSize()
	st := memState{mem: m, free: afxdp.NewFrameStack(m.NumFrames()), fmask: uint64(fs - 1)}
	// A UMEM is one contiguous mapping: chunk 0 starts it.
	first := m.Frame(0)
	st.area = unsafe.Slice(unsafe.SliceData(first), m.NumFrames()*fs)
	st.fs = uint64(fs)
	st.base = uintptr(unsafe.Pointer(unsafe.SliceData(first)))
	st.size = uintptr(m.NumFrames() * fs)
	for c := m.NumFrames() - 1; c >= 0; c-- {
		st.free.Push(uint64(c * fs))
	}
	w.mems[i] = st
	return i
}

// Stats returns the worker's shared totals.
func (w *Worker) Stats() *Stats { return w.cfg.Stats }

// chunkOf finds the UMEM and chunk a buffer lives in.
func (w *Worker) chunkOf(buf []byte) (mi int, chunk uint64, ok bool) {
	if cap(buf) == 0 {
		return 0, 0, false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	for i := 0; i < w.nmems; i++ {
		m := &w.mems[i]
		if p >= m.base && p < m.base+m.size {
			return i, uint64(p-m.base) &^ m.fmask, true
		}
	}
	return 0, 0, false
}

func (w *Worker) release(mi int, chunk uint64) {
	w.mems[mi].free.Push(chunk)
}

// recycle moves completed TX frames back to the free stacks.
func (w *Worker) recycle() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		m := &w.mems[ps.mem]
		for i := 0; i < 4; i++ {
			n := ps.port.Complete(w.addrs[:])
			for _, a := range w.addrs[:n] {
				m.free.Push(m.chunk(a))
			}
			if n < len(w.addrs) {
				break
			}
		}
	}
}

// refill gives free frames to the fill rings, keeping a reserve.
func (w *Worker) refill() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		m := &w.mems[ps.mem]
		n := ps.port.FillFree(len(w.addrs))
		if n <= 0 {
			continue
		}
		if n > len(w.addrs) {
			n = len(w.addrs)
		}
		if avail := m.free.Len() - reserve; n > avail {
			if avail <= 0 {
				w.dp[FillEmpty]++
				continue
			}
			n = avail
		}
		k := m.free.PopN(w.addrs[:n])
		f := ps.port.Fill(w.addrs[:k])
		if f < k {
			m.free.PushN(w.addrs[f:k])
		}
		if f > 0 {
			if err := ps.port.WakeupFill(); err != nil {
				w.dp[WakeupErrors]++
			}
		}
	}
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
		for _, d := range w.descs[:n] {
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
			w.orig[v.N] = origin{mem: ps.mem, chunk: c}
			v.Frames[v.N] = batch.Frame{Buf: buf, Off: int(d.Addr - c), Len: int(d.Len), In: in}
			v.N++
		}
	}
}

// Step runs one vector: recycle completions, refill, receive, translate,
// transmit. It returns the number of frames received.
func (w *Worker) Step(now int64) int {
	w.retryKicks()
	w.recycle()
	w.refill()
	w.receive()
	v := &w.vec
	if v.N == 0 && w.nheld == 0 {
		return 0
	}
	w.now = now
	w.alloc.n = 0
	if w.cfg.ForwardOnly {
		w.fwdMap = nil
		if c := w.cfg.Config.Load(); c != nil {
			w.fwdMap = c.Map
		}
		w.forward()
	} else {
		w.tr.Translate(v, now, &w.alloc)
	}
	if w.cfg.Neigh != nil {
		w.nh = w.cfg.Neigh()
	}
	w.last4ok, w.last6ok = false, false
	if w.nheld > 0 {
		// Held frames first, to keep their order ahead of newer ones.
		w.retryHeld()
	}

	for i := 0; i < v.N; i++ {
		f := &v.Frames[i]
		o := w.orig[i]
		mi, ch, ok := w.chunkOf(f.Buf)
		if !ok || f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
			if f.Verdict != batch.Drop && f.Verdict != batch.Pass {
				w.dp[BadOutput]++
			}
			w.release(o.mem, o.chunk)
			continue
		}
		if !w.emit(f, mi, ch) {
			w.release(mi, ch)
		}
		if mi != o.mem || ch != o.chunk {
			w.release(o.mem, o.chunk)
			w.alloc.resolve(mi, ch)
		}
	}
	for i := 0; i < v.NExtra; i++ {
		f := &v.Extra[i]
		mi, ch, ok := w.chunkOf(f.Buf)
		if !ok || f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
			w.dp[BadOutput]++
			continue
		}
		if !w.emit(f, mi, ch) {
			w.release(mi, ch)
		}
		w.alloc.resolve(mi, ch)
	}
	for i := 0; i < w.alloc.n; i++ {
		if !w.alloc.resolved[i] {
			w.release(0, w.alloc.handed[i])
		}
	}
	w.transmit()
	if w.req.N > 0 && w.cfg.Resolve != nil {
		w.cfg.Resolve(w.req)
		w.dp[ResolveQueued]++
	}
	w.req.N = 0
	if v.N > 0 {
		w.dp[Vectors]++
	}
	w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
	return v.N
}

// forward sets verdicts for forward-only mode: each frame goes out the
// other side unchanged.
func (w *Worker) forward() {
	v := &w.vec
	for i := 0; i < v.N; i++ {
		f := &v.Frames[i]
		if f.In == batch.Side6 {
			f.Verdict = batch.To4
		} else {
			f.Verdict = batch.To6
		}
		w.tr.Counters.Verdicts[f.Verdict]++
	}
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

// send fills in the MAC addresses of a frame leaving on side s and queues it.
func (w *Worker) send(f *batch.Frame, mi int, ch uint64, s batch.Side) bool {
	p := w.out[s]
	if p < 0 {
		w.dp[NoTXSocket]++
		return false
	}
	b := f.Buf[f.Off : f.Off+f.Len]
	mac, res := w.resolve(b, s, true)
	switch res {
	case neigh.Found:
	case neigh.Miss:
		w.dp[NeighMiss]++
		if w.nheld < len(w.held) {
			w.held[w.nheld] = heldFrame{f: *f, mi: mi, ch: ch, side: s, deadline: w.now + holdTime}
			w.nheld++
			w.dp[NeighHeld]++
			return true
		}
		return false
	case badFrame:
		w.dp[BadOutput]++
		return false
	default:
		w.dp[NoRoute]++
		return false
	}
	copy(b[0:6], mac[:])
	copy(b[6:12], w.mac[s][:])
	return w.queue(p, f, mi, ch, s)
}

// badFrame is resolve's answer for a frame too short for its IP header.
const badFrame neigh.Result = 255

// resolve finds the MAC address of the next hop of frame b leaving on side
// s, through the per-vector cache when cached. On a miss it records a
// resolution request. In forward-only mode an IPv6 frame leaving on the
// IPv4 side (and the reverse) goes to the next hop of its destination's
// translation, as the translated frame would.
func (w *Worker) resolve(b []byte, s batch.Side, cached bool) (mac [6]byte, res neigh.Result) {
	if w.nh == nil {
		return mac, neigh.NoRoute
	}
	oif := w.ifindex[s]
	var dst4 [4]byte
	var dst6 [16]byte
	var v4 bool
	switch {
	case len(b) >= header.EthernetLen+20 && b[12] == 0x08 && b[13] == 0x00:
		dst4, v4 = [4]byte(b[header.EthernetLen+16:header.EthernetLen+20]), true
		if s == batch.Side6 { // forward-only
			if w.fwdMap == nil || w.fwdMap.To6(&dst4, &dst6) != mapping.OK {
				return mac, neigh.NoRoute
			}
			v4 = false
		}
	case len(b) >= header.EthernetLen+40 && b[12] == 0x86 && b[13] == 0xdd:
		dst6 = [16]byte(b[header.EthernetLen+24 : header.EthernetLen+40])
		if s == batch.Side4 && !w.oneArmed { // forward-only
			if w.fwdMap == nil || w.fwdMap.To4(&dst6, &dst4) != mapping.OK {
				return mac, neigh.NoRoute
			}
			v4 = true
		}
	default:
		return mac, badFrame
	}
	if v4 {
		if cached && w.last4ok && dst4 == w.last4 && oif == w.last4oif {
			return w.last4mac, w.last4res
		}
		mac, w.lastNH, res = w.nh.Lookup4(oif, dst4)
		if cached {
			w.last4, w.last4oif, w.last4mac, w.last4res, w.last4ok = dst4, oif, mac, res, true
			if res == neigh.Miss {
				w.req.Add(oif, w.lastNH, true)
			}
		}
		return mac, res
	}
	if cached && w.last6ok && dst6 == w.last6 && oif == w.last6oif {
		return w.last6mac, w.last6res
	}
	mac, w.lastNH, res = w.nh.Lookup6(oif, dst6)
	if cached {
		w.last6, w.last6oif, w.last6mac, w.last6res, w.last6ok = dst6, oif, mac, res, true
		if res == neigh.Miss {
			w.req.Add(oif, w.lastNH, false)
		}
	}
	return mac, res
}

// retryHeld sends the held frames whose next hop is now known and drops
// those held too long or without a route.
func (w *Worker) retryHeld() {
	if w.nh == nil {
		return
	}
	k := 0
	for i := 0; i < w.nheld; i++ {
		h := &w.held[i]
		b := h.f.Buf[h.f.Off : h.f.Off+h.f.Len]
		mac, res := w.resolve(b, h.side, false)
		switch {
		case res == neigh.Found:
			copy(b[0:6], mac[:])
			copy(b[6:12], w.mac[h.side][:])
			if !w.queue(w.out[h.side], &h.f, h.mi, h.ch, h.side) {
				w.release(h.mi, h.ch)
			}
		case res == neigh.Miss && w.now < h.deadline:
			w.held[k] = *h
			k++
		default:
			w.dp[NeighHoldDropped]++
			w.release(h.mi, h.ch)
		}
	}
	for i := k; i < w.nheld; i++ {
		w.held[i] = heldFrame{}
	}
	w.nheld = k
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

var epoch = time.Now()

// Run loops until stop is set: Step while there is traffic, spin a while
// when BusyPoll, then sleep in poll(2) until a socket is readable or the
// PollTimeout passes. The goroutine is locked to its OS thread.
func (w *Worker) Run(stop *atomic.Bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	timeout := int(w.cfg.PollTimeout / time.Millisecond)
	lastBusy := int64(0)
	for !stop.Load() {
		now := int64(time.Since(epoch))
		if w.Step(now) > 0 {
			lastBusy = now
			continue
		}
		if w.cfg.BusyPoll && now-lastBusy < spinTime {
			continue
		}
		if w.npfds == 0 {
			time.Sleep(w.cfg.PollTimeout)
			continue
		}
		for i := 0; i < w.npfds; i++ {
			w.pfds[i].Revents = 0
		}
		w.dp[Sleeps]++
		t := timeout
		if w.nheld > 0 {
			t = min(t, 10) // come back soon for the held frames
		}
		if w.kicksPending() {
			t = min(t, 1) // frames wait on a TX ring for a kick
		}
		if _, err := unix.Poll(w.pfds[:w.npfds], t); err != nil && err != unix.EINTR {
			w.dp[PollErrors]++
		}
		w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
		lastBusy = int64(time.Since(epoch)) // spin a little after waking up
	}
	w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
}
