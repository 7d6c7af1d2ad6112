package afxdp

import (
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// Default UMEM geometry.
const (
	DefaultNumFrames = 8192
	DefaultFrameSize = 4096
)

// Headroom is where the kernel puts the first byte of a received frame
// inside its chunk: XDP_PACKET_HEADROOM, since the UMEM is registered with
// a headroom of 0. A received descriptor's Addr is chunk + Headroom.
const Headroom = unix.XDP_PACKET_HEADROOM

// ErrUMEMBusy is returned by UMEM.Close while sockets still use the UMEM.
var ErrUMEMBusy = errors.New("afxdp: UMEM still has open sockets")

// UMEMOptions sizes a UMEM. Zero fields take the defaults (8192 frames of
// 4096 bytes). FrameSize must be a power of two from 2048 to the page size
// (the kernel's aligned chunk mode).
type UMEMOptions struct {
	NumFrames, FrameSize int
}

// UMEM is the packet buffer area shared with the kernel: NumFrames chunks of
// FrameSize bytes. It is registered with the kernel (XDP_UMEM_REG, headroom
// 0) by the first socket created on it; later sockets share it with
// XDP_SHARED_UMEM. Frame addresses are byte offsets into the area.
type UMEM struct {
	area      []byte
	frameSize int
	numFrames int
	chunkMask uint64
	opts      UMEMOptions

	mu         sync.Mutex // setup and teardown only, never per packet
	sockets    []*Socket  // bound sockets using this UMEM, registering one first
	needWakeup bool       // bind flag of the registering socket, inherited by sharers
	zeroCopy   bool
	sg         bool // registering socket bound with XDP_USE_SG
	closed     bool
}

// NewUMEM allocates (but does not yet register) a UMEM area.
func NewUMEM(o UMEMOptions) (*UMEM, error) {
	if o.NumFrames == 0 {
		o.NumFrames = DefaultNumFrames
	}
	if o.FrameSize == 0 {
		o.FrameSize = DefaultFrameSize
	}
	if o.NumFrames < 0 {
		return nil, fmt.Errorf("afxdp: UMEM NumFrames %d is negative", o.NumFrames)
	}
	if o.FrameSize < 2048 || o.FrameSize > unix.Getpagesize() || o.FrameSize&(o.FrameSize-1) != 0 {
		return nil, fmt.Errorf("afxdp: UMEM FrameSize %d must be a power of two from 2048 to %d", o.FrameSize, unix.Getpagesize())
	}
	raiseMemlock()
	size := o.NumFrames * o.FrameSize
	area, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("afxdp: mmap UMEM of %d bytes: %w", size, err)
	}
	return &UMEM{
		area:      area,
		frameSize: o.FrameSize,
		numFrames: o.NumFrames,
		chunkMask: ^uint64(o.FrameSize - 1),
		opts:      o,
	}, nil
}

// raiseMemlock lifts RLIMIT_MEMLOCK for kernels that still charge UMEM and
// BPF maps against it (before memcg accounting, 5.11). Failure is not fatal:
// root with CAP_IPC_LOCK is not limited for UMEM, and the error shows up at
// registration otherwise.
func raiseMemlock() {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil && lim.Cur != unix.RLIM_INFINITY {
		_ = unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})
	}
}

// Frame returns the whole chunk containing addr (len = FrameSize, capacity
// limited to the chunk), chunk-aligned. The frame data of a descriptor d is
// Frame(d.Addr)[d.Addr-Chunk(d.Addr):][:d.Len].
func (u *UMEM) Frame(addr uint64) []byte {
	c := addr & u.chunkMask
	return u.area[c : c+uint64(u.frameSize) : c+uint64(u.frameSize)]
}

// Chunk returns the chunk address (start of the chunk) containing addr.
func (u *UMEM) Chunk(addr uint64) uint64 { return addr & u.chunkMask }

// FrameSize is the chunk size in bytes.
func (u *UMEM) FrameSize() int { return u.frameSize }

// NumFrames is the number of chunks.
func (u *UMEM) NumFrames() int { return u.numFrames }

// Close unmaps the area. All sockets using the UMEM must be closed first
// (ErrUMEMBusy otherwise), since the kernel may still write into it.
func (u *UMEM) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	if len(u.sockets) > 0 {
		return ErrUMEMBusy
	}
	u.closed = true
	return unix.Munmap(u.area)
}
