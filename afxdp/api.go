// Package afxdp owns xlatd's AF_XDP plumbing: the UMEM, one socket per
// (interface, queue), and the XDP program that steers only translatable
// packets to them. The rings themselves are in package rings.
//
// API sketch (the implementation fills this in; keep the names):
//
//	u, err := afxdp.NewUMEM(afxdp.UMEMOptions{...})
//	s6, err := afxdp.NewSocket(u, ifindex6, queue, afxdp.SocketOptions{...})   // owns the UMEM's first fill/completion rings
//	s4, err := afxdp.NewSocket(u, ifindex4, queue, afxdp.SocketOptions{...})   // XDP_SHARED_UMEM when the kernel allows, else its own UMEM (s4.UMEM() != u)
//	prog, err := afxdp.LoadProgram(ifindex, afxdp.ProgramOptions{...})        // bpf_link attach, never replaces another program
//	prog.Register(queue, s6)                                                 // xsks_map[queue] = s6.FD()
//	prog.Close()                                                             // detaches only our link
package afxdp

import (
	"errors"

	"github.com/xlatd/xlatd/rings"
)

// Frame addresses are offsets into the UMEM area (the kernel's xdp_desc.addr).

// Desc is one RX/TX descriptor (struct xdp_desc): Addr is the UMEM offset
// of the first byte of the frame (data, not chunk start), Len its length,
// Opts the descriptor options (0). It is an alias of rings.Desc so that
// batches move between the rings and callers without conversion.
type Desc = rings.Desc

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
