// Package afxdp owns xlatd's AF_XDP plumbing: the UMEM, one socket per
// (interface, queue), and the XDP program that steers only translatable
// packets to them. The rings themselves are in package rings.
//
//	u, err := afxdp.NewUMEM(afxdp.UMEMOptions{})                         // 8192 x 4096 B, registered by the first socket
//	s6, err := afxdp.NewSocket(u, ifindex6, q, afxdp.DefaultSocketOptions()) // owns fill/completion rings
//	s4, err := afxdp.NewSocket(u, ifindex4, q, afxdp.DefaultSocketOptions()) // XDP_SHARED_UMEM with its own fill/completion rings,
//	                                                                         // or a private UMEM (s4.SharedUMEM() == false)
//	prog, err := afxdp.LoadProgram(ifindex6, afxdp.ProgramOptions{...})    // bpf_link; ErrProgramAttached if another program is there
//	prog.Register(q, s6)                                                   // xsks_map[q] = s6
//	...
//	prog.Close()                                                           // detaches only our link
//	s6.Close(); s4.Close(); u.Close()
//
// Per batch (one goroutine per socket, no allocation, no lock):
// Receive/Transmit/Fill/Complete touch only the rings; Kick and WakeupFill
// make a syscall only when the ring's need_wakeup flag asks for one, and
// return a unix.Errno to count and back off on (see Transient), never panic.
//
// Additions to the API of TEAM.md: Headroom, UMEM.Chunk, FrameStack.Push
// returns bool (false when full) and PushN/PopN/Cap, Socket.SharedErr,
// Ifindex, Queue, NeedWakeup, FillFree, TxFree, TxNeedsWakeup,
// FillNeedsWakeup, Wait, Transient, ErrUMEMBusy, CounterNames,
// Program.Counters, Ifindex, Unregister, XDPMode.String; for jumbo frames
// (issue 8) SocketOptions.MultiBuffer, Socket.MultiBuffer and PktContd.
package afxdp

import (
	"errors"

	"github.com/xlatd/xlatd/rings"
)

// Frame addresses are offsets into the UMEM area (the kernel's xdp_desc.addr).

// Desc is one RX/TX descriptor (struct xdp_desc): Addr is the UMEM offset
// of the first byte of the frame (data, not chunk start), Len its length,
// Opts the descriptor options (PktContd on all but the last descriptor of a
// multi-buffer frame, 0 otherwise). It is an alias of rings.Desc so that
// batches move between the rings and callers without conversion.
type Desc = rings.Desc

// PktContd is XDP_PKT_CONTD in Desc.Opts: the frame continues in the next
// descriptor (sockets with SocketOptions.MultiBuffer).
const PktContd = rings.PktContd

// XDPMode is how the XDP program is attached.
type XDPMode int

const (
	ModeAuto XDPMode = iota
	ModeNative
	ModeGeneric
)

// ZeroCopyMode selects XDP_ZEROCOPY / XDP_COPY at bind time.
type ZeroCopyMode int

const (
	ZeroCopyAuto ZeroCopyMode = iota
	ZeroCopyOn
	ZeroCopyOff
)

// ErrProgramAttached is returned when the interface already has an XDP
// program that xlatd cannot coexist with.
var ErrProgramAttached = errors.New("afxdp: another XDP program is attached")
