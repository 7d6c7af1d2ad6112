package dataplane

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/nat64"
)

// This file holds what stateful NAT64 needs of the datapath
// (docs/DESIGN.md, "NAT64 in the datapath"): the hand-off of frames to the
// worker that owns their state, the housekeeping vector of idle workers,
// and the requests of the control socket, answered by each worker between
// two vectors.

// HousekeepingEvery bounds the time between two Translate calls of a worker
// in NAT64 mode, idle or not: the table's timers (expiry, held SYNs and
// fragments) run in Translate.
const HousekeepingEvery = 100 * time.Millisecond

// Now is the workers' clock: Unix nanoseconds, but monotonic (the wall
// clock at start plus the monotonic time since): NAT64 timers never jump
// with the wall clock, and mapping events carry a real time.
func Now() int64 { return epochUnix + int64(time.Since(epoch)) }

var epochUnix = epoch.UnixNano()

// handoffRing is a single-producer single-consumer ring of preallocated
// slots: the producer copies a frame into the slot at tail, the consumer
// copies it out of the slot at head. No lock, no allocation.
type handoffRing struct {
	head     atomic.Uint64 // next slot to read (consumer)
	_        [56]byte
	tail     atomic.Uint64 // next slot to write (producer)
	_        [56]byte
	mask     uint64
	slotSize int
	meta     []handoffMeta
	data     []byte
}

type handoffMeta struct {
	off, n int32
	in     batch.Side
}

func newHandoffRing(slots, slotSize int) *handoffRing {
	n := 1
	for n < slots {
		n <<= 1
	}
	return &handoffRing{mask: uint64(n - 1), slotSize: slotSize, meta: make([]handoffMeta, n), data: make([]byte, n*slotSize)}
}

// push copies b (a frame that starts off bytes into its chunk) into the
// next slot; false when the ring is full or b does not fit.
func (r *handoffRing) push(b []byte, off int, in batch.Side) bool {
	t := r.tail.Load()
	if t-r.head.Load() > r.mask || len(b) > r.slotSize {
		return false
	}
	i := t & r.mask
	copy(r.data[int(i)*r.slotSize:], b)
	r.meta[i] = handoffMeta{int32(off), int32(len(b)), in}
	r.tail.Store(t + 1)
	return true
}

// peek returns the oldest frame without taking it.
func (r *handoffRing) peek() (b []byte, off int, in batch.Side, ok bool) {
	h := r.head.Load()
	if h == r.tail.Load() {
		return nil, 0, 0, false
	}
	i := h & r.mask
	m := r.meta[i]
	s := int(i) * r.slotSize
	return r.data[s : s+int(m.n)], int(m.off), m.in, true
}

// pop drops the oldest frame (after peek).
func (r *handoffRing) pop() { r.head.Add(1) }

func (r *handoffRing) empty() bool { return r.head.Load() == r.tail.Load() }

// Handoffs connects the workers of one datapath: ring [from][to] carries
// frames from worker from to worker to, and each worker has an eventfd that
// wakes it from poll(2) when frames or a control request wait for it.
type Handoffs struct {
	n     int
	rings []*handoffRing // from*n + to
	wake  []int          // eventfd per worker, -1 when none
	sleep []atomic.Bool  // worker is (about to be) in poll(2)
}

// NewHandoffs builds the rings between n workers whose frames are at most
// slotSize bytes (the UMEM frame size is enough). Each ring has between 64
// and 512 slots, fewer the more workers there are.
func NewHandoffs(n, slotSize int) (*Handoffs, error) {
	h := &Handoffs{n: n, rings: make([]*handoffRing, n*n), wake: make([]int, n), sleep: make([]atomic.Bool, n)}
	slots := 512
	if n > 2 {
		slots = max(64, 1024/(n-1))
	}
	for from := 0; from < n; from++ {
		for to := 0; to < n; to++ {
			if from != to {
				h.rings[from*n+to] = newHandoffRing(slots, slotSize)
			}
		}
	}
	for i := range h.wake {
		fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			h.Close()
			return nil, err
		}
		h.wake[i] = fd
	}
	return h, nil
}

// Close closes the eventfds.
func (h *Handoffs) Close() {
	if h == nil {
		return
	}
	for i, fd := range h.wake {
		if fd > 0 {
			unix.Close(fd)
		}
		h.wake[i] = -1
	}
}

func (h *Handoffs) ring(from, to int) *handoffRing { return h.rings[from*h.n+to] }

// wakeUp wakes worker i if it sleeps: one write(2) per vector at most.
func (h *Handoffs) wakeUp(i int) {
	if h.sleep[i].CompareAndSwap(true, false) && h.wake[i] > 0 {
		var one = [8]byte{1}
		unix.Write(h.wake[i], one[:])
	}
}

// pending reports whether frames wait for worker i.
func (h *Handoffs) pending(i int) bool {
	for from := 0; from < h.n; from++ {
		if from != i && !h.ring(from, i).empty() {
			return true
		}
	}
	return false
}

// TableFunc runs on a worker, between two vectors, with the worker's own
// NAT64 table; now is the worker's clock (Unix nanoseconds).
type TableFunc func(t *nat64.Table, now int64)

type tableReq struct {
	fn   TableFunc
	done chan struct{}
}

// ErrNoNAT64 is returned by WithTable when the datapath has no NAT64 tables.
var ErrNoNAT64 = errors.New("not in NAT64 mode (translate.mode = \"siit\")")

// ErrWorkerBusy is returned by WithTable when a worker did not answer in time.
var ErrWorkerBusy = errors.New("a worker did not answer in time")

// requestMu serializes requests to one worker (see Worker.WithTable).
var requestMu sync.Mutex

// WithTable runs fn on the worker, between two of its vectors, and waits
// for it (at most timeout). The worker's table is read or changed only by
// the worker itself; fn must copy out what it needs.
func (w *Worker) WithTable(fn TableFunc, timeout time.Duration) error {
	if w.cfg.NAT64 == nil {
		return ErrNoNAT64
	}
	requestMu.Lock()
	defer requestMu.Unlock()
	r := &tableReq{fn: fn, done: make(chan struct{}, 1)}
	w.ctlReq.Store(r)
	if h := w.cfg.Handoff; h != nil {
		h.wakeUp(w.cfg.Index)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.done:
		return nil
	case <-t.C:
		w.ctlReq.CompareAndSwap(r, nil)
		return ErrWorkerBusy
	}
}

// serveRequest runs a pending control request.
func (w *Worker) serveRequest(now int64) {
	r := w.ctlReq.Load()
	if r == nil || !w.ctlReq.CompareAndSwap(r, nil) {
		return
	}
	r.fn(w.cfg.NAT64, Now())
	r.done <- struct{}{}
}

// takeHandoffs moves frames other workers handed to this one into the
// vector (copied into free chunks of the UMEM of the side they arrived on;
// Frame.In is kept). Frames wait in their ring while no chunk is free.
func (w *Worker) takeHandoffs() {
	h := w.cfg.Handoff
	if h == nil {
		return
	}
	v := &w.vec
	me := w.cfg.Index
	for from := 0; from < h.n && v.N < w.cfg.Batch; from++ {
		if from == me {
			continue
		}
		r := h.ring(from, me)
		for v.N < w.cfg.Batch {
			b, off, in, ok := r.peek()
			if !ok {
				break
			}
			p := w.out[in]
			if p < 0 {
				r.pop()
				w.dp[HandoffDropped]++
				continue
			}
			mi := w.ports[p].mem
			m := &w.mems[mi]
			c, ok := m.free.Pop()
			if !ok {
				w.dp[NoFreeFrame]++
				return
			}
			buf := m.frame(c)
			if off < 0 || off+len(b) > len(buf) {
				m.free.Push(c)
				r.pop()
				w.dp[HandoffDropped]++
				continue
			}
			copy(buf[off:], b)
			r.pop()
			w.dp[HandoffReceived]++
			w.orig[v.N] = origin{mem: mi, chunk: c, ptr: unsafe.SliceData(buf)}
			f := &v.Frames[v.N]
			f.Buf = buf
			f.Off = off
			f.Len = len(b)
			f.In = in
			f.Verdict = batch.Drop
			f.Reason = batch.ReasonNone
			v.N++
		}
	}
}

// handoff copies a frame whose state another worker owns into the ring to
// that worker. The caller releases the frame's chunk.
func (w *Worker) handoff(f *batch.Frame, owner int) {
	h := w.cfg.Handoff
	if h == nil || owner < 0 || owner >= h.n || owner == w.cfg.Index || f.Off < 0 || f.Len <= 0 || f.Off+f.Len > len(f.Buf) {
		w.dp[HandoffDropped]++
		return
	}
	if !h.ring(w.cfg.Index, owner).push(f.Buf[f.Off:f.Off+f.Len], f.Off, f.In) {
		w.dp[HandoffDropped]++
		return
	}
	w.dp[HandoffSent]++
	w.handedTo |= 1 << uint(min(owner, 63))
}

// wakeOwners wakes the workers this vector handed frames to.
func (w *Worker) wakeOwners() {
	if w.handedTo == 0 {
		return
	}
	h := w.cfg.Handoff
	for i := 0; i < h.n; i++ {
		// More than 64 workers: bit 63 stands for all above 62.
		if w.handedTo&(1<<uint(min(i, 63))) != 0 {
			h.wakeUp(i)
		}
	}
	w.handedTo = 0
}

// mustHousekeep reports whether a NAT64 worker with nothing received is due
// for a Translate of an empty vector.
func (w *Worker) mustHousekeep(now int64) bool {
	return w.cfg.NAT64 != nil && now-w.lastTranslate >= int64(HousekeepingEvery)
}

// drainWake clears the worker's eventfd after poll(2) woke on it.
func (w *Worker) drainWake() {
	h := w.cfg.Handoff
	if h == nil {
		return
	}
	var b [8]byte
	unix.Read(h.wake[w.cfg.Index], b[:])
}
