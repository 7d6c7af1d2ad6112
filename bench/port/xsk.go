package port

import (
	"errors"
	"fmt"
	"net"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/afxdp"
)

// XSKOptions sizes the AF_XDP ports.
type XSKOptions struct {
	Frames    int // UMEM frames (default 4096)
	FrameSize int // UMEM chunk size (default 4096)
	Ring      int // ring sizes (default 2048)
	Queue     int // RX/TX queue (default 0)
}

func (o XSKOptions) withDefaults() XSKOptions {
	if o.Frames <= 0 {
		o.Frames = 4096
	}
	if o.FrameSize <= 0 {
		o.FrameSize = 4096
	}
	if o.Ring <= 0 {
		o.Ring = 2048
	}
	return o
}

func (o XSKOptions) socketOptions() afxdp.SocketOptions {
	so := afxdp.DefaultSocketOptions()
	so.RxSize, so.TxSize, so.FillSize, so.CompSize = o.Ring, o.Ring, o.Ring, o.Ring
	return so
}

// XSKTx is the generator's AF_XDP TX port: every UMEM chunk holds a copy
// of the template frame, so sending a frame only rewrites its stamp.
type XSKTx struct {
	umem  *afxdp.UMEM
	sock  *afxdp.Socket
	free  *afxdp.FrameStack
	descs []afxdp.Desc
	comp  []uint64
	flen  uint32
	taken int
}

// NewXSKTx binds a TX-only AF_XDP socket to ifname (in the calling
// thread's namespace) and prebuilds tmpl in every UMEM chunk.
func NewXSKTx(ifname string, tmpl []byte, o XSKOptions) (*XSKTx, error) {
	o = o.withDefaults()
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	u, err := afxdp.NewUMEM(afxdp.UMEMOptions{NumFrames: o.Frames, FrameSize: o.FrameSize})
	if err != nil {
		return nil, fmt.Errorf("port: UMEM: %w", err)
	}
	s, err := afxdp.NewSocket(u, ifi.Index, o.Queue, o.socketOptions())
	if err != nil {
		u.Close()
		return nil, fmt.Errorf("port: AF_XDP socket on %s: %w", ifname, err)
	}
	um := s.UMEM()
	t := &XSKTx{umem: um, sock: s, free: afxdp.NewFrameStack(um.NumFrames()),
		descs: make([]afxdp.Desc, 256), comp: make([]uint64, 256), flen: uint32(len(tmpl))}
	fs := uint64(um.FrameSize())
	for i := um.NumFrames() - 1; i >= 0; i-- {
		addr := uint64(i) * fs
		copy(um.Frame(addr), tmpl)
		t.free.Push(addr)
	}
	return t, nil
}

// Next implements gen.TxPort.
func (t *XSKTx) Next(out [][]byte) int {
	if t.free.Len() < len(out) {
		t.reclaim()
	}
	n := len(out)
	if n > len(t.descs) {
		n = len(t.descs)
	}
	k := 0
	for k < n {
		addr, ok := t.free.Pop()
		if !ok {
			break
		}
		out[k] = t.umem.Frame(addr)[:t.flen]
		t.descs[k] = afxdp.Desc{Addr: addr, Len: t.flen}
		k++
	}
	t.taken = k
	return k
}

// Submit implements gen.TxPort.
func (t *XSKTx) Submit(n int) int {
	if n > t.taken {
		n = t.taken
	}
	k := t.sock.Transmit(t.descs[:n])
	for i := k; i < t.taken; i++ {
		t.free.Push(t.descs[i].Addr)
	}
	t.taken = 0
	return k
}

func (t *XSKTx) reclaim() {
	for {
		n := t.sock.Complete(t.comp)
		for _, a := range t.comp[:n] {
			t.free.Push(a - a%uint64(t.umem.FrameSize()))
		}
		if n < len(t.comp) {
			return
		}
	}
}

// Flush implements gen.TxPort: kick the kernel and reclaim completions.
func (t *XSKTx) Flush() error {
	err := t.sock.Kick()
	t.reclaim()
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY) || errors.Is(err, unix.ENOBUFS) {
		return nil // ring busy: try again on the next batch
	}
	return err
}

// ZeroCopy reports whether the kernel runs the socket in zero-copy mode.
func (t *XSKTx) ZeroCopy() bool { return t.sock.ZeroCopy() }

// Close releases the socket and UMEM.
func (t *XSKTx) Close() error {
	err := t.sock.Close()
	if e := t.umem.Close(); err == nil {
		err = e
	}
	return err
}

// XSKRx is the sink's AF_XDP RX port. A tiny catch-all XDP program
// (bpf_redirect_map(xsks, rx_queue_index, XDP_PASS), built in Go with
// cilium/ebpf's assembler, no clang) sends every frame of the interface to
// the socket; the sink ignores what is not benchmark traffic.
type XSKRx struct {
	umem    *afxdp.UMEM
	sock    *afxdp.Socket
	free    *afxdp.FrameStack
	descs   []afxdp.Desc
	ret     []uint64 // chunks of the previous batch, refilled on the next call
	nret    int
	xsks    *ebpf.Map
	prog    *ebpf.Program
	lnk     link.Link
	pfd     []unix.PollFd
	Native  bool
	Polls   uint64
	Refills uint64
}

// catchAll builds the XDP program redirecting every frame to xsks[queue].
func catchAll(xsks *ebpf.Map) (*ebpf.Program, error) {
	return ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:    "xbench_sink",
		Type:    ebpf.XDP,
		License: "GPL",
		Instructions: asm.Instructions{
			asm.LoadMem(asm.R2, asm.R1, 16, asm.Word), // ctx->rx_queue_index
			asm.LoadMapPtr(asm.R1, xsks.FD()),
			asm.Mov.Imm(asm.R3, 2), // XDP_PASS when the queue has no socket
			asm.FnRedirectMap.Call(),
			asm.Return(),
		},
	})
}

// NewXSKRx binds an RX AF_XDP socket to ifname (in the calling thread's
// namespace), fills its fill ring and attaches the catch-all program
// (native mode, generic if native is refused).
func NewXSKRx(ifname string, o XSKOptions) (*XSKRx, error) {
	o = o.withDefaults()
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	u, err := afxdp.NewUMEM(afxdp.UMEMOptions{NumFrames: o.Frames, FrameSize: o.FrameSize})
	if err != nil {
		return nil, fmt.Errorf("port: UMEM: %w", err)
	}
	s, err := afxdp.NewSocket(u, ifi.Index, o.Queue, o.socketOptions())
	if err != nil {
		u.Close()
		return nil, fmt.Errorf("port: AF_XDP socket on %s: %w", ifname, err)
	}
	um := s.UMEM()
	r := &XSKRx{umem: um, sock: s, free: afxdp.NewFrameStack(um.NumFrames()),
		descs: make([]afxdp.Desc, 256), ret: make([]uint64, 256),
		pfd: []unix.PollFd{{Fd: int32(s.FD()), Events: unix.POLLIN}}}
	fs := uint64(um.FrameSize())
	for i := um.NumFrames() - 1; i >= 0; i-- {
		r.free.Push(uint64(i) * fs)
	}
	r.refill()
	fail := func(err error) (*XSKRx, error) {
		r.Close()
		return nil, err
	}
	r.xsks, err = ebpf.NewMap(&ebpf.MapSpec{Name: "xbench_xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 64})
	if err != nil {
		return fail(fmt.Errorf("port: XSKMAP: %w", err))
	}
	if err := r.xsks.Put(uint32(o.Queue), uint32(s.FD())); err != nil {
		return fail(fmt.Errorf("port: XSKMAP[%d]: %w", o.Queue, err))
	}
	if r.prog, err = catchAll(r.xsks); err != nil {
		return fail(fmt.Errorf("port: sink XDP program: %w", err))
	}
	r.lnk, err = link.AttachXDP(link.XDPOptions{Program: r.prog, Interface: ifi.Index, Flags: link.XDPDriverMode})
	if err == nil {
		r.Native = true
	} else {
		r.lnk, err = link.AttachXDP(link.XDPOptions{Program: r.prog, Interface: ifi.Index, Flags: link.XDPGenericMode})
	}
	if err != nil {
		return fail(fmt.Errorf("port: attach sink XDP program to %s: %w", ifname, err))
	}
	return r, nil
}

func (r *XSKRx) refill() {
	var tmp [64]uint64
	for r.free.Len() > 0 {
		k := r.free.PopN(tmp[:])
		n := r.sock.Fill(tmp[:k])
		r.Refills += uint64(n)
		if n < k {
			r.free.PushN(tmp[n:k])
			return
		}
	}
}

// Receive implements gen.RxPort: the previous batch's chunks go back to
// the fill ring, then up to len(out) frames are taken from the RX ring,
// waiting in poll(2) for at most a millisecond when it is empty.
func (r *XSKRx) Receive(out [][]byte) (int, error) {
	fs := uint64(r.umem.FrameSize())
	for _, a := range r.ret[:r.nret] {
		r.free.Push(a)
	}
	r.nret = 0
	r.refill()
	n := len(out)
	if n > len(r.descs) {
		n = len(r.descs)
	}
	k := r.sock.Receive(r.descs[:n])
	if k == 0 {
		_ = r.sock.WakeupFill()
		r.Polls++
		if _, err := unix.Poll(r.pfd, 1); err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		k = r.sock.Receive(r.descs[:n])
	}
	for i, d := range r.descs[:k] {
		off := d.Addr % fs
		chunk := d.Addr - off
		out[i] = r.umem.Frame(chunk)[off : off+uint64(d.Len)]
		r.ret[i] = chunk
	}
	r.nret = k
	return k, nil
}

// Stats returns the socket's XDP_STATISTICS.
func (r *XSKRx) Stats() (afxdp.SocketStats, error) { return r.sock.Stats() }

// Close detaches the program and releases everything.
func (r *XSKRx) Close() error {
	if r.lnk != nil {
		r.lnk.Close()
	}
	if r.prog != nil {
		r.prog.Close()
	}
	if r.xsks != nil {
		r.xsks.Close()
	}
	err := r.sock.Close()
	if e := r.umem.Close(); err == nil {
		err = e
	}
	return err
}
