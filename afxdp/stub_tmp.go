package afxdp

import (
	"errors"
	"net/netip"
)

var errNotYet = errors.New("afxdp: not implemented yet")

// UMEMOptions sizes a UMEM. Zero fields take the defaults (8192 frames of 4096 bytes).
type UMEMOptions struct{ NumFrames, FrameSize int }

// UMEM is a registered packet buffer area.
type UMEM struct {
	area                 []byte
	frameSize, numFrames int
}

func NewUMEM(o UMEMOptions) (*UMEM, error) { return nil, errNotYet }
func (u *UMEM) Frame(addr uint64) []byte   { return nil }
func (u *UMEM) FrameSize() int             { return u.frameSize }
func (u *UMEM) NumFrames() int             { return u.numFrames }
func (u *UMEM) Close() error               { return nil }

type SocketOptions struct {
	RxSize, TxSize, FillSize, CompSize int
	ZeroCopy                           ZeroCopyMode
	NeedWakeup                         bool
}

func DefaultSocketOptions() SocketOptions {
	return SocketOptions{RxSize: 2048, TxSize: 2048, FillSize: 2048, CompSize: 2048, NeedWakeup: true}
}

type Socket struct {
	fd   int
	umem *UMEM
}

type SocketStats struct {
	RxDropped, RxInvalid, TxInvalid, RxRingFull, RxFillRingEmpty, TxRingEmpty uint64
}

func NewSocket(u *UMEM, ifindex, queue int, o SocketOptions) (*Socket, error) { return nil, errNotYet }
func (s *Socket) FD() int                                                     { return s.fd }
func (s *Socket) UMEM() *UMEM                                                 { return s.umem }
func (s *Socket) SharedUMEM() bool                                            { return false }
func (s *Socket) ZeroCopy() bool                                              { return false }
func (s *Socket) Receive(descs []Desc) int                                    { return 0 }
func (s *Socket) Transmit(descs []Desc) int                                   { return 0 }
func (s *Socket) Fill(addrs []uint64) int                                     { return 0 }
func (s *Socket) Complete(addrs []uint64) int                                 { return 0 }
func (s *Socket) Kick() error                                                 { return errNotYet }
func (s *Socket) WakeupFill() error                                           { return errNotYet }
func (s *Socket) Stats() (SocketStats, error)                                 { return SocketStats{}, errNotYet }
func (s *Socket) Close() error                                                { return nil }

type ProgramOptions struct {
	Mode                          XDPMode
	Pool6, Capture4, Deny4, Deny6 []netip.Prefix
}

type Program struct{ mode XDPMode }

func LoadProgram(ifindex int, o ProgramOptions) (*Program, error) { return nil, errNotYet }
func (p *Program) Mode() XDPMode                                  { return p.mode }
func (p *Program) Register(queue int, s *Socket) error            { return errNotYet }
func (p *Program) Update(o ProgramOptions) error                  { return errNotYet }
func (p *Program) Counters() (map[string]uint64, error)           { return nil, errNotYet }
func (p *Program) Close() error                                   { return nil }
