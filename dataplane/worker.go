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
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
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
	TxFree(n int) int // free TX slots (a chain goes on the ring whole)
	Kick() error
	WakeupFill() error
	FD() int
}

// BusyPoller is a Port that can drive its device queue's NAPI from the
// worker's thread (preferred busy polling); *afxdp.Socket implements it.
type BusyPoller interface {
	BusyPolling() bool    // the socket has the busy polling options
	BusyPoll() error      // one non-blocking NAPI poll
	NAPIID() (int, error) // the NAPI the kernel polls for it, 0 = none
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
	// Pin binds the worker's OS thread (only that thread) to CPU.
	Pin    bool
	CPU    int
	Logger *slog.Logger // for what cannot be counted (default slog.Default())

	// NAT64 mode (handoff.go): Index is the worker's number among the
	// datapath's workers, NAT64 its own table (nil: SIIT only), Handoff
	// the rings between the workers (nil: a single worker).
	Index   int
	NAT64   *nat64.Table
	Handoff *Handoffs

	// NAPIBusyPoll: drive the NAPI of each socket that has the options of
	// preferred busy polling (a BusyPoller whose BusyPolling is true)
	// once per loop iteration, before receiving (datapath.napi_busy_poll).
	NAPIBusyPoll bool
}

// spinTime is how long a busy-polling worker keeps polling its rings after
// the last frame before it sleeps in poll(2).
const spinTime = int64(100 * time.Microsecond)

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
	pfds     [3]unix.PollFd
	npfds    int

	nhc    nhCache        // next hops of the current neighbour snapshot
	fwdMap *mapping.Table // forward-only: where frames would be translated to

	tid atomic.Int32 // the thread running Run, once it runs (tests)

	ctlReq        atomic.Pointer[tableReq] // a control request waiting (handoff.go)
	handedTo      uint64                   // workers handed frames this vector (bit per worker)
	lastTranslate int64                    // now of the last Translate (housekeeping)

	// Frames waiting for their next hop's MAC address (bounded).
	held  [holdSize]heldFrame
	nheld int

	jumbo jumboState // frames longer than a chunk (jumbo.go)

	nbusy  int         // ports busy-polled (portState.bp set)
	noNAPI atomic.Bool // a busy-polled port turned out to have no NAPI id
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Worker{cfg: cfg, tr: batch.New(cfg.Config)}
	if cfg.NAT64 != nil {
		setNAT64(w.tr, cfg.NAT64, cfg.Index)
	}
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
		if bp, ok := sc.Port.(BusyPoller); ok && cfg.NAPIBusyPoll && bp.BusyPolling() {
			w.ports[w.nports].bp = bp
			w.nbusy++
		}
		w.out[s] = w.nports
		w.nports++
		if fd := sc.Port.FD(); fd >= 0 {
			w.pfds[w.npfds] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
			w.npfds++
		}
	}
	if h := cfg.Handoff; h != nil && w.npfds < len(w.pfds) && h.wake[cfg.Index] > 0 {
		w.pfds[w.npfds] = unix.PollFd{Fd: int32(h.wake[cfg.Index]), Events: unix.POLLIN}
		w.npfds++
	}
	if w.nmems == 0 {
		// No port at all: keep an empty memory so that Get returns nil.
		w.mems[0].free = afxdp.NewFrameStack(0)
		w.nmems = 1
	}
	w.refill()
	return w
}

// Stats returns the worker's shared totals.
func (w *Worker) Stats() *Stats { return w.cfg.Stats }

// Step runs one vector: recycle completions, refill, receive, translate,
// transmit. It returns the number of frames received (a chain of
// descriptors counting as one frame; those went through the jumbo slow
// path during receive).
func (w *Worker) Step(now int64) int {
	w.retryKicks()
	w.recycle()
	w.refill()
	if w.nbusy > 0 {
		w.busyPoll()
	}
	w.now = now
	w.jumbo.chains = 0
	w.receive()
	w.takeHandoffs()
	v := &w.vec
	if v.N == 0 && w.nheld == 0 && w.jumbo.chains == 0 && !w.mustHousekeep(now) {
		if w.cfg.NAT64 != nil {
			w.serveRequest(now)
		}
		return 0
	}
	w.lastTranslate = now
	w.alloc.n = 0
	if w.cfg.ForwardOnly {
		w.forward()
	} else {
		w.tr.Translate(v, now, &w.alloc)
	}
	if w.cfg.Neigh != nil {
		w.nhc.begin(w.cfg.Neigh())
	}
	if w.nheld > 0 {
		w.retryHeld() // first, to keep their order ahead of newer frames
	}
	for i := 0; i < v.N; i++ {
		w.output(&v.Frames[i], w.orig[i])
	}
	for i := 0; i < v.NExtra; i++ {
		w.outputExtra(&v.Extra[i])
	}
	w.alloc.releaseUnused()
	w.transmit()
	w.wakeOwners()
	if w.req.N > 0 && w.cfg.Resolve != nil {
		w.cfg.Resolve(w.req)
		w.dp[ResolveQueued]++
	}
	w.req.N = 0
	if v.N > 0 {
		w.dp[Vectors]++
	}
	if w.cfg.NAT64 != nil {
		w.serveRequest(now)
	}
	w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
	return v.N + w.jumbo.chains
}

// busyPoll drives the NAPI of every busy-polling port once: the kernel
// copies what the device received into the RX rings (and, in copy mode,
// that is the receive work the softirq of the sender's CPU would do).
func (w *Worker) busyPoll() {
	for p := 0; p < w.nports; p++ {
		ps := &w.ports[p]
		if ps.bp == nil {
			continue
		}
		if !ps.napiChecked && ps.rxSeen {
			w.checkNAPI(p)
			if ps.bp == nil {
				continue
			}
		}
		w.dp[BusyPolls]++
		if err := ps.bp.BusyPoll(); err != nil {
			w.dp[BusyPollErrors]++
		}
	}
}

// checkNAPI asks, once, after port p received its first frames, which
// NAPI the kernel busy-polls for it. None (0): the socket's polls would do
// nothing, which is the case of copy-mode sockets since Linux 6.13 (the
// kernel gives only zero-copy sockets a NAPI id, at bind), so the worker
// stops making them and says so.
func (w *Worker) checkNAPI(p int) {
	ps := &w.ports[p]
	ps.napiChecked = true
	id, err := ps.bp.NAPIID()
	if err == nil && id != 0 {
		return
	}
	w.cfg.Logger.Warn("busy polling cannot drive this socket's receive: the kernel gives it no NAPI id (copy mode on Linux >= 6.13, or a driver without queue-NAPI mapping); its receive stays in softirq",
		"queue", w.cfg.Queue, "fd", ps.port.FD(), "napi_id", id, "err", err)
	ps.bp = nil
	w.nbusy--
	w.noNAPI.Store(true)
}

// BusyPolling reports how many of the worker's sockets it busy-polls.
func (w *Worker) BusyPolling() int { return w.nbusy }

// NoNAPI reports whether the worker stopped busy-polling a socket because
// the kernel gave it no NAPI id (checkNAPI). Safe from any goroutine.
func (w *Worker) NoNAPI() bool { return w.noNAPI.Load() }

// forward sets verdicts for forward-only mode: each frame goes out the
// other side unchanged.
func (w *Worker) forward() {
	w.fwdMap = nil
	if c := w.cfg.Config.Load(); c != nil {
		w.fwdMap = c.Map
	}
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

var epoch = time.Now()

// Run loops until stop is set: Step while there is traffic, spin a while
// when BusyPoll, then sleep in poll(2) until a socket is readable or the
// PollTimeout passes. The goroutine is locked to its OS thread, which is
// bound to WorkerConfig.CPU when Pin is set.
func (w *Worker) Run(stop *atomic.Bool) {
	if w.cfg.Pin {
		if err := pinThread(w.cfg.CPU); err != nil {
			w.cfg.Logger.Error("worker thread not pinned", "queue", w.cfg.Queue, "err", err)
		}
	} else {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	w.tid.Store(int32(unix.Gettid()))
	timeout := int(w.cfg.PollTimeout / time.Millisecond)
	lastBusy := int64(0)
	hk := int(HousekeepingEvery / time.Millisecond)
	for !stop.Load() {
		now := Now()
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
		if w.cfg.NAT64 != nil {
			// Housekeeping is due HousekeepingEvery after the last Translate.
			t = max(1, min(t, hk-int((now-w.lastTranslate)/1e6)))
		}
		if h := w.cfg.Handoff; h != nil {
			// Announce the sleep, then look again: a producer that pushed
			// before it saw the flag is caught here, one after writes the
			// eventfd.
			h.sleep[w.cfg.Index].Store(true)
			if h.pending(w.cfg.Index) || w.ctlReq.Load() != nil {
				h.sleep[w.cfg.Index].Store(false)
				continue
			}
		}
		if _, err := unix.Poll(w.pfds[:w.npfds], t); err != nil && err != unix.EINTR {
			w.dp[PollErrors]++
		}
		if h := w.cfg.Handoff; h != nil {
			h.sleep[w.cfg.Index].Store(false)
			w.drainWake()
		}
		w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
		lastBusy = Now() // spin a little after waking up
	}
	w.cfg.Stats.publish(&w.tr.Counters, &w.dp)
}
