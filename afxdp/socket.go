package afxdp

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/rings"
)

// DefaultRingSize is the default size of each of the four rings.
const DefaultRingSize = 2048

// kickRetries bounds the sendto calls of one Kick: in copy mode the kernel
// sends at most 32 frames per call and answers EAGAIN while more remain.
const kickRetries = 8

// SocketOptions configures one AF_XDP socket. Zero ring sizes take
// DefaultRingSize; sizes must be powers of two.
type SocketOptions struct {
	RxSize, TxSize, FillSize, CompSize int
	ZeroCopy                           ZeroCopyMode
	// NeedWakeup binds with XDP_USE_NEED_WAKEUP so that Kick and WakeupFill
	// make a syscall only when the kernel asks for one. Sockets sharing a
	// UMEM inherit the setting of the socket that registered it.
	NeedWakeup bool
	// MultiBuffer binds with XDP_USE_SG (Linux >= 6.6): a frame longer
	// than a chunk arrives as a chain of descriptors, all but the last
	// with XDP_PKT_CONTD in Desc.Opts, and such chains may be transmitted.
	// Without it the kernel drops longer frames. A kernel or zero-copy
	// driver that refuses it gets a socket without it (MultiBuffer()
	// false). Sockets sharing a UMEM inherit the registering socket's
	// setting (the kernel keeps it in the UMEM).
	MultiBuffer bool
	// BusyPollBudget > 0 turns on preferred busy polling (Linux >= 5.11):
	// the socket gets SO_PREFER_BUSY_POLL, SO_BUSY_POLL = BusyPollUsec
	// and SO_BUSY_POLL_BUDGET = BusyPollBudget (at most 65535), and its
	// user drives the device queue's NAPI from its own thread with
	// BusyPoll (a non-blocking recvfrom) once per loop iteration; the
	// device should have napi_defer_hard_irqs and gro_flush_timeout set
	// (DeviceBusyPollSettings). A kernel that refuses the options gets a
	// socket without them: BusyPolling() false, BusyPollErr() says why.
	BusyPollBudget int
	// BusyPollUsec is SO_BUSY_POLL; 0 takes DefaultBusyPollUsec. The
	// non-blocking calls poll the NAPI once whatever it is; it bounds
	// blocking reads only, and must be non-zero for busy polling at all.
	BusyPollUsec int
}

// DefaultBusyPollUsec is SO_BUSY_POLL when SocketOptions.BusyPollUsec is 0.
const DefaultBusyPollUsec = 20

// Socket options of preferred busy polling (asm-generic/socket.h, Linux
// >= 5.11); golang.org/x/sys/unix does not name them.
const (
	soPreferBusyPoll = 69
	soBusyPollBudget = 70
)

// DefaultSocketOptions returns 2048-slot rings, zero-copy auto and
// need_wakeup on; MultiBuffer off (its user must handle chains).
func DefaultSocketOptions() SocketOptions {
	return SocketOptions{
		RxSize: DefaultRingSize, TxSize: DefaultRingSize,
		FillSize: DefaultRingSize, CompSize: DefaultRingSize,
		ZeroCopy: ZeroCopyAuto, NeedWakeup: true,
	}
}

func (o *SocketOptions) normalize() error {
	for _, p := range []*int{&o.RxSize, &o.TxSize, &o.FillSize, &o.CompSize} {
		if *p == 0 {
			*p = DefaultRingSize
		}
		if *p < 0 || *p&(*p-1) != 0 || *p > 1<<20 {
			return fmt.Errorf("afxdp: ring size %d is not a power of two", *p)
		}
	}
	if o.BusyPollBudget < 0 || o.BusyPollBudget > 65535 {
		return fmt.Errorf("afxdp: busy poll budget %d is not in 0..65535", o.BusyPollBudget)
	}
	if o.BusyPollUsec < 0 {
		return fmt.Errorf("afxdp: busy poll time %d us is negative", o.BusyPollUsec)
	}
	if o.BusyPollBudget > 0 && o.BusyPollUsec == 0 {
		o.BusyPollUsec = DefaultBusyPollUsec
	}
	switch o.ZeroCopy {
	case ZeroCopyAuto, ZeroCopyOn, ZeroCopyOff:
	default:
		return fmt.Errorf("afxdp: bad ZeroCopyMode %d", o.ZeroCopy)
	}
	return nil
}

// SocketStats mirrors struct xdp_statistics (XDP_STATISTICS).
type SocketStats struct {
	RxDropped       uint64 // dropped for reasons other than invalid descriptors
	RxInvalid       uint64 // dropped due to invalid descriptors
	TxInvalid       uint64 // TX descriptors the kernel refused
	RxRingFull      uint64 // dropped because the RX ring was full
	RxFillRingEmpty uint64 // times the fill ring was found empty
	TxRingEmpty     uint64 // times the TX ring was found empty on a kick
}

// Socket is one AF_XDP socket bound to (ifindex, queue). Its ring methods
// (Receive, Transmit, Fill, Complete, Kick, WakeupFill) are for one
// goroutine at a time; they neither allocate nor lock, and only Kick and
// WakeupFill make syscalls.
type Socket struct {
	fd      int
	umem    *UMEM
	ifindex int
	queue   int

	shared     bool // uses the UMEM passed to NewSocket
	privUMEM   bool // owns a private fallback UMEM (closed with the socket)
	sharedErr  error
	zeroCopy   bool
	needWakeup bool
	sg         bool // bound with XDP_USE_SG, or sharing a UMEM registered so
	busyPoll   bool // preferred busy polling options set
	busyErr    error

	rx   *rings.RX
	tx   *rings.TX
	fill *rings.Fill       // nil when sharing another socket's (same ifindex and queue)
	comp *rings.Completion // nil likewise
	maps [][]byte

	pfd    [1]unix.PollFd
	closed bool
}

// NewSocket binds an AF_XDP socket to (ifindex, queue).
//
// The first socket on a UMEM registers it (XDP_UMEM_REG, headroom 0) and
// owns a fill and a completion ring. Later sockets bind with
// XDP_SHARED_UMEM: on the same ifindex and queue as an existing socket they
// use that socket's fill and completion rings (their Fill and Complete
// return 0); on another device or queue they get their own fill and
// completion rings (kernel >= 5.10). Shared sockets inherit the copy/zero-copy
// mode and need_wakeup setting of the registering socket (the kernel
// refuses bind flags with XDP_SHARED_UMEM). If the kernel refuses sharing,
// the socket gets a private UMEM of the same geometry (s.UMEM() != u),
// s.SharedUMEM() reports false and s.SharedErr() says why; the caller then
// copies frames between the UMEMs.
//
// With ZeroCopyAuto the socket tries XDP_ZEROCOPY and falls back to
// XDP_COPY; ZeroCopy() reports the mode in force (XDP_OPTIONS). A shared
// socket cannot choose its mode: if ZeroCopyOn or ZeroCopyOff contradicts
// the registering socket's mode, the socket gets a private UMEM instead.
func NewSocket(u *UMEM, ifindex, queue int, o SocketOptions) (*Socket, error) {
	if err := o.normalize(); err != nil {
		return nil, err
	}
	if ifindex <= 0 || queue < 0 {
		return nil, fmt.Errorf("afxdp: bad ifindex %d / queue %d", ifindex, queue)
	}
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, errors.New("afxdp: UMEM is closed")
	}
	if len(u.sockets) == 0 {
		s, err := openOwner(u, ifindex, queue, o)
		if err == nil {
			s.shared = true
			u.sockets = append(u.sockets, s)
			u.needWakeup = s.needWakeup
			u.zeroCopy = s.zeroCopy
			u.sg = s.sg
		}
		u.mu.Unlock()
		return s, err
	}
	// Share: with a socket on the same device and queue if there is one
	// (then its fill/completion rings serve both), else with the first.
	peer, sameQueue := u.sockets[0], false
	for _, p := range u.sockets {
		if p.ifindex == ifindex && p.queue == queue {
			peer, sameQueue = p, true
			break
		}
	}
	var s *Socket
	var err error
	switch {
	case o.ZeroCopy == ZeroCopyOn && !u.zeroCopy:
		err = errors.New("afxdp: zero-copy requested but the UMEM's registering socket runs in copy mode")
	case o.ZeroCopy == ZeroCopyOff && u.zeroCopy:
		err = errors.New("afxdp: copy mode requested but the UMEM's registering socket runs in zero-copy mode")
	default:
		s, err = openShared(u, peer, sameQueue, ifindex, queue, o)
	}
	if err == nil {
		s.shared = true
		u.sockets = append(u.sockets, s)
		u.mu.Unlock()
		return s, nil
	}
	u.mu.Unlock()

	// The kernel refused sharing: private UMEM of the same geometry.
	pu, perr := NewUMEM(u.opts)
	if perr != nil {
		return nil, fmt.Errorf("afxdp: shared UMEM refused (%v), private UMEM: %w", err, perr)
	}
	pu.mu.Lock()
	ps, perr := openOwner(pu, ifindex, queue, o)
	if perr != nil {
		pu.mu.Unlock()
		pu.Close()
		return nil, fmt.Errorf("afxdp: shared UMEM refused (%v), private UMEM: %w", err, perr)
	}
	pu.sockets = append(pu.sockets, ps)
	pu.needWakeup, pu.zeroCopy, pu.sg = ps.needWakeup, ps.zeroCopy, ps.sg
	pu.mu.Unlock()
	ps.privUMEM = true
	ps.sharedErr = err
	return ps, nil
}

// openOwner creates the registering socket, trying zero-copy first when
// the mode allows it. u.mu is held.
func openOwner(u *UMEM, ifindex, queue int, o SocketOptions) (*Socket, error) {
	var modes []uint16
	switch o.ZeroCopy {
	case ZeroCopyAuto:
		modes = []uint16{unix.XDP_ZEROCOPY, unix.XDP_COPY}
	case ZeroCopyOn:
		modes = []uint16{unix.XDP_ZEROCOPY}
	case ZeroCopyOff:
		modes = []uint16{unix.XDP_COPY}
	}
	var errs []error
	for _, m := range modes {
		flags := m
		if o.NeedWakeup {
			flags |= unix.XDP_USE_NEED_WAKEUP
		}
		// With multi-buffer first: a kernel before 6.6 answers EINVAL,
		// a zero-copy driver without multi-buffer EOPNOTSUPP; then the
		// same mode without it (zero-copy is worth more than jumbo
		// frames, which the operator can avoid with the MTU).
		sgs := []uint16{0}
		if o.MultiBuffer {
			sgs = []uint16{unix.XDP_USE_SG, 0}
		}
		for _, sg := range sgs {
			if sg != 0 && refuseSG {
				errs = append(errs, fmt.Errorf("afxdp: bind with XDP_USE_SG: %w", unix.EINVAL))
				continue
			}
			s, err := open(u, ifindex, queue, o, true, true, flags|sg, 0)
			if err == nil {
				s.sg = sg != 0
				return s, nil
			}
			errs = append(errs, err)
		}
	}
	return nil, errors.Join(errs...)
}

// refuseSG, when set by tests, stands in for a kernel without multi-buffer
// AF_XDP (before 6.6), which refuses XDP_USE_SG with EINVAL.
var refuseSG bool

// refuseSharing, when set by tests, stands in for a kernel that refuses
// XDP_SHARED_UMEM, to exercise the private-UMEM fallback.
var refuseSharing error

func openShared(u *UMEM, peer *Socket, sameQueue bool, ifindex, queue int, o SocketOptions) (*Socket, error) {
	if refuseSharing != nil {
		return nil, refuseSharing
	}
	s, err := open(u, ifindex, queue, o, false, !sameQueue, unix.XDP_SHARED_UMEM, peer.fd)
	if err != nil {
		return nil, err
	}
	s.needWakeup = u.needWakeup
	s.sg = u.sg
	return s, nil
}

// open creates, configures, maps and binds one socket. On error nothing is
// left open.
func open(u *UMEM, ifindex, queue int, o SocketOptions, register, fillComp bool, flags uint16, sharedFD int) (s *Socket, err error) {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("afxdp: socket(AF_XDP): %w", err)
	}
	s = &Socket{fd: fd, umem: u, ifindex: ifindex, queue: queue, needWakeup: flags&unix.XDP_USE_NEED_WAKEUP != 0}
	defer func() {
		if err != nil {
			s.release()
			s = nil
		}
	}()
	if register {
		reg := unix.XDPUmemReg{
			Addr:     areaAddr(u.area),
			Len:      uint64(len(u.area)),
			Size:     uint32(u.frameSize),
			Headroom: 0,
		}
		if err := setsockoptUMEMReg(fd, &reg); err != nil {
			return s, fmt.Errorf("afxdp: XDP_UMEM_REG (%d x %d): %w", u.numFrames, u.frameSize, err)
		}
	}
	if fillComp {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, unix.XDP_UMEM_FILL_RING, o.FillSize); err != nil {
			return s, fmt.Errorf("afxdp: XDP_UMEM_FILL_RING %d: %w", o.FillSize, err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, unix.XDP_UMEM_COMPLETION_RING, o.CompSize); err != nil {
			return s, fmt.Errorf("afxdp: XDP_UMEM_COMPLETION_RING %d: %w", o.CompSize, err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_XDP, unix.XDP_RX_RING, o.RxSize); err != nil {
		return s, fmt.Errorf("afxdp: XDP_RX_RING %d: %w", o.RxSize, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_XDP, unix.XDP_TX_RING, o.TxSize); err != nil {
		return s, fmt.Errorf("afxdp: XDP_TX_RING %d: %w", o.TxSize, err)
	}
	off, err := getsockoptMmapOffsets(fd)
	if err != nil {
		return s, fmt.Errorf("afxdp: XDP_MMAP_OFFSETS: %w", err)
	}
	if fillComp {
		mem, err := s.mmap(unix.XDP_UMEM_PGOFF_FILL_RING, off.Fr, o.FillSize, 8)
		if err != nil {
			return s, err
		}
		if s.fill, err = rings.NewFill(mem, ringOffsets(off.Fr), uint32(o.FillSize)); err != nil {
			return s, err
		}
		mem, err = s.mmap(unix.XDP_UMEM_PGOFF_COMPLETION_RING, off.Cr, o.CompSize, 8)
		if err != nil {
			return s, err
		}
		if s.comp, err = rings.NewCompletion(mem, ringOffsets(off.Cr), uint32(o.CompSize)); err != nil {
			return s, err
		}
	}
	mem, err := s.mmap(unix.XDP_PGOFF_RX_RING, off.Rx, o.RxSize, rings.DescSize)
	if err != nil {
		return s, err
	}
	if s.rx, err = rings.NewRX(mem, ringOffsets(off.Rx), uint32(o.RxSize)); err != nil {
		return s, err
	}
	mem, err = s.mmap(unix.XDP_PGOFF_TX_RING, off.Tx, o.TxSize, rings.DescSize)
	if err != nil {
		return s, err
	}
	if s.tx, err = rings.NewTX(mem, ringOffsets(off.Tx), uint32(o.TxSize)); err != nil {
		return s, err
	}
	sa := &unix.SockaddrXDP{Flags: flags, Ifindex: uint32(ifindex), QueueID: uint32(queue)}
	if flags&unix.XDP_SHARED_UMEM != 0 {
		sa.SharedUmemFD = uint32(sharedFD)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return s, fmt.Errorf("afxdp: bind ifindex %d queue %d flags %#x: %w", ifindex, queue, flags, err)
	}
	opt, err := unix.GetsockoptInt(fd, unix.SOL_XDP, unix.XDP_OPTIONS)
	if err != nil {
		return s, fmt.Errorf("afxdp: XDP_OPTIONS: %w", err)
	}
	s.zeroCopy = opt&unix.XDP_OPTIONS_ZEROCOPY != 0
	s.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	if o.BusyPollBudget > 0 {
		s.busyErr = setBusyPoll(fd, o.BusyPollUsec, o.BusyPollBudget)
		s.busyPoll = s.busyErr == nil
	}
	return s, nil
}

// refuseBusyPoll, when set by tests, stands in for a kernel before 5.11
// (ENOPROTOOPT for SO_PREFER_BUSY_POLL).
var refuseBusyPoll bool

// setBusyPoll sets the three options of preferred busy polling; on error
// it clears the ones already set, so that the socket works as without.
func setBusyPoll(fd, usec, budget int) error {
	set := func(name string, opt, v int) error {
		if refuseBusyPoll && opt == soPreferBusyPoll {
			return fmt.Errorf("afxdp: %s: %w", name, unix.ENOPROTOOPT)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, v); err != nil {
			return fmt.Errorf("afxdp: %s %d: %w", name, v, err)
		}
		return nil
	}
	err := set("SO_PREFER_BUSY_POLL", soPreferBusyPoll, 1)
	if err == nil {
		err = set("SO_BUSY_POLL", unix.SO_BUSY_POLL, usec)
	}
	if err == nil {
		err = set("SO_BUSY_POLL_BUDGET", soBusyPollBudget, budget)
	}
	if err != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, 0)
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, soPreferBusyPoll, 0)
	}
	return err
}

func ringOffsets(o unix.XDPRingOffset) rings.Offsets {
	return rings.Offsets{Producer: o.Producer, Consumer: o.Consumer, Desc: o.Desc, Flags: o.Flags}
}

func (s *Socket) mmap(pgoff int64, off unix.XDPRingOffset, n, elem int) ([]byte, error) {
	size := int(off.Desc) + n*elem
	mem, err := unix.Mmap(s.fd, pgoff, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("afxdp: mmap ring at %#x (%d bytes): %w", pgoff, size, err)
	}
	s.maps = append(s.maps, mem)
	return mem, nil
}

// release unmaps the rings and closes the descriptor.
func (s *Socket) release() error {
	var errs []error
	for _, m := range s.maps {
		if err := unix.Munmap(m); err != nil {
			errs = append(errs, err)
		}
	}
	s.maps = nil
	s.rx, s.tx, s.fill, s.comp = nil, nil, nil, nil
	if s.fd >= 0 {
		if err := unix.Close(s.fd); err != nil {
			errs = append(errs, err)
		}
		s.fd = -1
	}
	return errors.Join(errs...)
}

// FD is the socket's file descriptor (for the XSKMAP and poll).
func (s *Socket) FD() int { return s.fd }

// UMEM is the UMEM the socket uses: the one passed to NewSocket, or a
// private one when sharing was refused.
func (s *Socket) UMEM() *UMEM { return s.umem }

// SharedUMEM reports whether the socket uses the UMEM passed to NewSocket
// (true for the registering socket too).
func (s *Socket) SharedUMEM() bool { return s.shared }

// SharedErr is the kernel's reason for refusing XDP_SHARED_UMEM when
// SharedUMEM is false, nil otherwise. (Addition to the TEAM.md API.)
func (s *Socket) SharedErr() error { return s.sharedErr }

// ZeroCopy reports whether the kernel runs the socket in zero-copy mode
// (XDP_OPTIONS_ZEROCOPY).
func (s *Socket) ZeroCopy() bool { return s.zeroCopy }

// MultiBuffer reports whether the socket receives and transmits chains of
// descriptors (bound with XDP_USE_SG, or sharing a UMEM whose registering
// socket was).
func (s *Socket) MultiBuffer() bool { return s.sg }

// Ifindex and Queue are what the socket is bound to. (Additions.)
func (s *Socket) Ifindex() int { return s.ifindex }

// Queue is the queue id the socket is bound to.
func (s *Socket) Queue() int { return s.queue }

// NeedWakeup reports whether the socket was bound with XDP_USE_NEED_WAKEUP
// (directly or inherited from the UMEM's registering socket).
func (s *Socket) NeedWakeup() bool { return s.needWakeup }

// Receive takes up to len(descs) received descriptors from the RX ring.
// No syscall. Each Addr is a data address (chunk + Headroom in copy mode).
func (s *Socket) Receive(descs []Desc) int { return s.rx.Consume(descs) }

// Transmit enqueues descs on the TX ring and returns how many fit. The
// kernel sends them after Kick (in copy mode it always needs the kick).
func (s *Socket) Transmit(descs []Desc) int { return s.tx.Produce(descs) }

// Fill gives chunk addresses to the fill ring and returns how many fit.
// Returns 0 when the socket shares another socket's fill ring.
func (s *Socket) Fill(addrs []uint64) int {
	if s.fill == nil {
		return 0
	}
	return s.fill.Produce(addrs)
}

// Complete takes addresses of transmitted frames from the completion ring.
// Returns 0 when the socket shares another socket's completion ring.
func (s *Socket) Complete(addrs []uint64) int {
	if s.comp == nil {
		return 0
	}
	return s.comp.Consume(addrs)
}

// FillFree is how many fill slots are free (refreshing the cached consumer
// index when fewer than n are known free). (Addition.)
func (s *Socket) FillFree(n int) int {
	if s.fill == nil {
		return 0
	}
	return int(s.fill.Free(uint32(n)))
}

// TxFree is how many TX slots are free, likewise. (Addition.)
func (s *Socket) TxFree(n int) int { return int(s.tx.Free(uint32(n))) }

// TxNeedsWakeup and FillNeedsWakeup report the rings' XDP_RING_NEED_WAKEUP
// flags. (Additions.)
func (s *Socket) TxNeedsWakeup() bool { return s.tx.NeedWakeup() }

// FillNeedsWakeup reports the fill ring's XDP_RING_NEED_WAKEUP flag.
func (s *Socket) FillNeedsWakeup() bool { return s.fill != nil && s.fill.NeedWakeup() }

// Kick asks the kernel to send what is on the TX ring: sendto(MSG_DONTWAIT)
// when the TX ring's need_wakeup flag is set (always, without need_wakeup).
// In copy mode the kernel sends at most 32 frames per call and answers
// EAGAIN while more remain, so Kick repeats a few times while the ring is
// not drained. The error is a unix.Errno (EAGAIN, EBUSY, ENOBUFS, ENETDOWN,
// ...): count it, back off and carry on; see Transient. Kick does not
// allocate.
func (s *Socket) Kick() error {
	if s.needWakeup && !s.tx.NeedWakeup() {
		return nil
	}
	for i := 0; ; i++ {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		if e == 0 {
			return nil
		}
		if (e == unix.EAGAIN || e == unix.EINTR) && i < kickRetries && s.tx.Pending() > 0 {
			continue
		}
		if e == unix.EAGAIN && s.tx.Pending() == 0 {
			return nil
		}
		return e
	}
}

// WakeupFill lets the kernel refill from the fill ring when the fill ring's
// need_wakeup flag is set (always, without need_wakeup): a non-blocking
// recvfrom. EAGAIN is not an error here.
func (s *Socket) WakeupFill() error {
	if s.fill == nil || (s.needWakeup && !s.fill.NeedWakeup()) {
		return nil
	}
	_, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	if e == 0 || e == unix.EAGAIN || e == unix.EINTR {
		return nil
	}
	return e
}

// BusyPolling reports whether the socket has the options of preferred
// busy polling (SocketOptions.BusyPollBudget > 0 and the kernel took them).
func (s *Socket) BusyPolling() bool { return s.busyPoll }

// BusyPollErr is why the kernel refused the busy polling options, nil if
// it took them or they were not asked for.
func (s *Socket) BusyPollErr() error { return s.busyErr }

// BusyPoll runs the NAPI of the device queue the socket last received
// from, once, up to the budget, in the caller's thread: a non-blocking
// recvfrom whatever the need_wakeup flags say (in copy mode that NAPI is
// what copies frames into the RX ring). With preferred busy polling and
// the device's napi_defer_hard_irqs and gro_flush_timeout set, the NAPI
// then stays with the caller instead of running in softirq, as long as it
// comes back within gro_flush_timeout. The kernel knows which NAPI only
// after the socket received a frame; before that the call does nothing.
// One call per loop iteration, not per frame. EAGAIN is not an error.
// Without BusyPolling it does nothing.
func (s *Socket) BusyPoll() error {
	if !s.busyPoll {
		return nil
	}
	_, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	if e == 0 || e == unix.EAGAIN || e == unix.EINTR {
		return nil
	}
	return e
}

// NAPIID is the id of the NAPI the socket last received from
// (SO_INCOMING_NAPI_ID), 0 before the first frame. Not for the fast path.
func (s *Socket) NAPIID() (int, error) {
	return unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_INCOMING_NAPI_ID)
}

// Wait blocks in poll(2) until the RX ring has descriptors or timeout
// passes (negative: forever). It reports whether the socket is readable.
// For idle workers; not per packet. (Addition.)
func (s *Socket) Wait(timeout time.Duration) (bool, error) {
	ms := -1
	if timeout >= 0 {
		ms = int(timeout / time.Millisecond)
	}
	s.pfd[0].Revents = 0
	n, err := unix.Poll(s.pfd[:], ms)
	if err == unix.EINTR {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return n > 0 && s.pfd[0].Revents&unix.POLLIN != 0, nil
}

// Transient reports whether err from Kick or WakeupFill is a condition to
// count and retry later (ring or device busy, no buffers, device down)
// rather than a broken socket.
func Transient(err error) bool {
	var e unix.Errno
	if !errors.As(err, &e) {
		return false
	}
	switch e {
	case unix.EAGAIN, unix.EBUSY, unix.ENOBUFS, unix.ENETDOWN, unix.EINTR, unix.ENXIO:
		return true
	}
	return false
}

// Stats reads XDP_STATISTICS.
func (s *Socket) Stats() (SocketStats, error) {
	st, err := getsockoptStatistics(s.fd)
	if err != nil {
		return SocketStats{}, fmt.Errorf("afxdp: XDP_STATISTICS: %w", err)
	}
	return SocketStats{
		RxDropped:       st.Rx_dropped,
		RxInvalid:       st.Rx_invalid_descs,
		TxInvalid:       st.Tx_invalid_descs,
		RxRingFull:      st.Rx_ring_full,
		RxFillRingEmpty: st.Rx_fill_ring_empty_descs,
		TxRingEmpty:     st.Tx_ring_empty_descs,
	}, nil
}

// Close unmaps the rings and closes the socket (the kernel removes it from
// any XSKMAP). A private fallback UMEM is closed with it.
func (s *Socket) Close() error {
	u := s.umem
	u.mu.Lock()
	if s.closed {
		u.mu.Unlock()
		return nil
	}
	s.closed = true
	for i, p := range u.sockets {
		if p == s {
			u.sockets = append(u.sockets[:i], u.sockets[i+1:]...)
			break
		}
	}
	err := s.release()
	u.mu.Unlock()
	if s.privUMEM {
		err = errors.Join(err, u.Close())
	}
	return err
}
