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

// XSK is one AF_XDP socket on (interface, queue) with its UMEM split in
// two: the generator's TX frames and, when RX is wanted, the sink's RX
// frames. The kernel allows one UMEM per (device, queue), so a host that
// both sends and receives on an interface (bidirectional trials) shares a
// socket: the TX side (TX and completion rings) belongs to one thread, the
// RX side (fill and RX rings) to another.
type XSK struct {
	Tx   *XSKTx
	Rx   *XSKRx // nil without RX
	umem *afxdp.UMEM
	sock *afxdp.Socket
	xsks *ebpf.Map
	prog *ebpf.Program
	lnk  link.Link
	// Native is true when the sink program runs in native (driver) mode.
	Native bool
}

// NewXSK binds an AF_XDP socket to ifname in the calling thread's
// namespace. With rx, a catch-all XDP program (bpf_redirect_map(xsks,
// rx_queue_index, XDP_PASS), built with cilium/ebpf's assembler, no clang)
// sends every frame of the interface to the socket: native mode, generic if
// native is refused. The sink ignores what is not benchmark traffic.
func NewXSK(ifname string, o XSKOptions, rx bool) (*XSK, error) {
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
	x := &XSK{umem: um, sock: s}
	// In copy mode every TX frame becomes an skb charged to the socket's
	// send buffer until the receiver frees it; a DUT that queues frames
	// (TAYGA's TUN queue) would otherwise throttle the generator to its own
	// pace instead of being overloaded. Room for every TX frame in flight.
	_ = unix.SetsockoptInt(s.FD(), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, um.NumFrames()*4096)
	fs := uint64(um.FrameSize())
	nTx := um.NumFrames()
	if rx {
		nTx /= 2
	}
	x.Tx = &XSKTx{umem: um, sock: s, free: afxdp.NewFrameStack(nTx), frames: nTx,
		descs: make([]afxdp.Desc, 256), comp: make([]uint64, 256), gens: make([]uint32, nTx)}
	for i := nTx - 1; i >= 0; i-- {
		x.Tx.free.Push(uint64(i) * fs)
	}
	if !rx {
		return x, nil
	}
	r := &XSKRx{umem: um, sock: s, free: afxdp.NewFrameStack(um.NumFrames() - nTx),
		descs: make([]afxdp.Desc, 256), ret: make([]uint64, 256),
		pfd: []unix.PollFd{{Fd: int32(s.FD()), Events: unix.POLLIN}}}
	for i := um.NumFrames() - 1; i >= nTx; i-- {
		r.free.Push(uint64(i) * fs)
	}
	r.refill()
	x.Rx = r
	fail := func(err error) (*XSK, error) {
		x.Close()
		return nil, err
	}
	x.xsks, err = ebpf.NewMap(&ebpf.MapSpec{Name: "xbench_xsks", Type: ebpf.XSKMap, KeySize: 4, ValueSize: 4, MaxEntries: 64})
	if err != nil {
		return fail(fmt.Errorf("port: XSKMAP: %w", err))
	}
	if err := x.xsks.Put(uint32(o.Queue), uint32(s.FD())); err != nil {
		return fail(fmt.Errorf("port: XSKMAP[%d]: %w", o.Queue, err))
	}
	if x.prog, err = catchAll(x.xsks); err != nil {
		return fail(fmt.Errorf("port: sink XDP program: %w", err))
	}
	x.lnk, err = link.AttachXDP(link.XDPOptions{Program: x.prog, Interface: ifi.Index, Flags: link.XDPDriverMode})
	if err == nil {
		x.Native = true
	} else {
		x.lnk, err = link.AttachXDP(link.XDPOptions{Program: x.prog, Interface: ifi.Index, Flags: link.XDPGenericMode})
	}
	if err != nil {
		return fail(fmt.Errorf("port: attach sink XDP program to %s: %w", ifname, err))
	}
	return x, nil
}

// ZeroCopy reports whether the kernel runs the socket in zero-copy mode.
func (x *XSK) ZeroCopy() bool { return x.sock.ZeroCopy() }

// Stats returns the socket's XDP_STATISTICS.
func (x *XSK) Stats() (afxdp.SocketStats, error) { return x.sock.Stats() }

// Close detaches the sink program and releases socket and UMEM.
func (x *XSK) Close() error {
	if x.lnk != nil {
		x.lnk.Close()
	}
	if x.prog != nil {
		x.prog.Close()
	}
	if x.xsks != nil {
		x.xsks.Close()
	}
	err := x.sock.Close()
	if e := x.umem.Close(); err == nil {
		err = e
	}
	return err
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

// XSKTx is the generator's side of an XSK: its chunks hold copies of the
// template frame, so sending a frame only rewrites its stamp.
type XSKTx struct {
	umem   *afxdp.UMEM
	sock   *afxdp.Socket
	free   *afxdp.FrameStack
	frames int
	descs  []afxdp.Desc
	comp   []uint64
	flen   uint32
	taken  int
	tmpl   []byte
	gen    uint32   // template generation
	gens   []uint32 // generation each chunk holds
	// KickErrors counts failed kicks other than "ring busy".
	KickErrors uint64
}

// SetTemplate makes tmpl the frame Next hands out. Chunks still in
// flight keep their old contents until they come back: each chunk carries
// the template generation it holds and is rewritten on its next use.
func (t *XSKTx) SetTemplate(tmpl []byte) error {
	if len(tmpl) > t.umem.FrameSize() {
		return fmt.Errorf("port: frame of %d bytes exceeds the UMEM chunk", len(tmpl))
	}
	t.tmpl = append(t.tmpl[:0], tmpl...)
	t.gen++
	t.flen = uint32(len(tmpl))
	_ = t.sock.Kick()
	t.reclaim()
	return nil
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
		f := t.umem.Frame(addr)[:t.flen]
		if i := addr / uint64(len(t.umem.Frame(0))); t.gens[i] != t.gen {
			copy(f, t.tmpl)
			t.gens[i] = t.gen
		}
		out[k] = f
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
			t.free.Push(t.umem.Chunk(a))
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
	if err != nil && !afxdp.Transient(err) {
		t.KickErrors++
		return err
	}
	return nil
}

// XSKRx is the sink's side of an XSK.
type XSKRx struct {
	umem  *afxdp.UMEM
	sock  *afxdp.Socket
	free  *afxdp.FrameStack
	descs []afxdp.Desc
	ret   []uint64 // chunks of the previous batch, refilled on the next call
	nret  int
	pfd   []unix.PollFd
	Polls uint64
}

func (r *XSKRx) refill() {
	var tmp [64]uint64
	for r.free.Len() > 0 {
		k := r.free.PopN(tmp[:])
		n := r.sock.Fill(tmp[:k])
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
	r.free.PushN(r.ret[:r.nret])
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
		chunk := r.umem.Chunk(d.Addr)
		off := d.Addr - chunk
		out[i] = r.umem.Frame(chunk)[off : off+uint64(d.Len)]
		r.ret[i] = chunk
	}
	r.nret = k
	return k, nil
}
