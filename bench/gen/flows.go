package gen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

// FlowSpace is the set of flows a stateful benchmark draws from: RFC 9693
// restricts the RFC 4814 pseudorandom port ranges so that the
// number of flows is known. A flow is one (source address, source port,
// destination port) of the product of the three ranges; the destination
// address is the template's.
type FlowSpace struct {
	// SrcAddrs is how many consecutive source addresses, counted from the
	// template's source on (its last 32 bits incremented), the flows use.
	SrcAddrs               int
	SrcPortMin, SrcPortMax uint16
	DstPortMin, DstPortMax uint16
}

// Size is the number of distinct flows in the space.
func (s FlowSpace) Size() uint64 {
	if s.SrcAddrs < 1 || s.SrcPortMin > s.SrcPortMax || s.DstPortMin > s.DstPortMax {
		return 0
	}
	return uint64(s.SrcAddrs) * (uint64(s.SrcPortMax-s.SrcPortMin) + 1) * (uint64(s.DstPortMax-s.DstPortMin) + 1)
}

// FlowOrder says how a Flows stamper picks the flow of each frame.
type FlowOrder int

const (
	// Sequential sends every flow of the window once, in the order of the
	// space's pseudorandom permutation, then starts over: RFC 9693's
	// preliminary phase (every frame creates a connection) and the
	// connection setup rate trials.
	Sequential FlowOrder = iota
	// Random picks a pseudorandom flow of the window for every frame (RFC
	// 4814 pseudorandom ports, RFC 9693's real
	// test phase over the connections the preliminary phase created).
	Random
)

// Flows stamps frames of one template with varying 5-tuples: the flow of
// each frame is written into the source address (its last 32 bits) and
// the UDP ports, and the UDP checksum (and, for IPv4, the header
// checksum) is completed from sums precomputed with those fields zero, so
// a frame costs a few additions more than Template.Stamp and nothing is
// allocated or tabulated per flow.
//
// The flows are the window [Start, Start+N) of a fixed pseudorandom
// permutation of the space (an affine map modulo its size): windows that
// do not overlap hold disjoint flows, which is how consecutive connection
// setup trials each get fresh connections without clearing the DUT.
type Flows struct {
	t        *Template
	space    FlowSpace
	start, n uint64
	order    FlowOrder
	mul, inc uint64 // permutation p(k) = (mul*k + inc) mod size
	size     uint64
	nsp      uint64
	cursor   uint64
	rng      uint64

	addr0   uint32 // the template's source, last 32 bits
	srcOff  int    // offset of the source's last 32 bits in the frame
	udpOff  int
	ipOff   int    // IPv4 header offset (IPv4 only)
	base0   uint64 // UDP sum with those fields, seq, ts and checksum zero
	ipBase0 uint64 // IPv4 header sum with source and checksum zero
	is4     bool
}

// ErrFlowSpace reports a window that does not fit the space.
var ErrFlowSpace = errors.New("gen: flow window outside the flow space")

// NewFlows returns a stamper for the flows [start, start+n) of space over
// template t; seed varies the order of Random.
func NewFlows(t *Template, space FlowSpace, start, n uint64, order FlowOrder, seed uint64) (*Flows, error) {
	size := space.Size()
	if size == 0 || size > 1<<32 {
		return nil, fmt.Errorf("gen: flow space of %d flows (want 1..2^32)", size)
	}
	if n == 0 || start+n > size || start+n < start {
		return nil, fmt.Errorf("%w: [%d, %d) of %d flows", ErrFlowSpace, start, start+n, size)
	}
	if seed == 0 {
		seed = 0x9E3779B97F4A7C15
	}
	f := &Flows{t: t, space: space, start: start, n: n, order: order, size: size,
		nsp: uint64(space.SrcPortMax-space.SrcPortMin) + 1, rng: seed, is4: t.is4}
	// A multiplier near size/phi, coprime to size, scatters consecutive
	// indices over the whole space.
	f.mul = uint64(float64(size)*0.6180339887) | 1
	for gcd(f.mul, size) != 1 {
		f.mul += 2
	}
	f.mul %= size
	if f.mul == 0 {
		f.mul = 1
	}
	f.inc = (size / 3) % size

	b := append([]byte(nil), t.Frame...)
	ip := b[header.EthernetLen:]
	if t.is4 {
		f.ipOff = header.EthernetLen
		f.srcOff = header.EthernetLen + 12
		f.udpOff = header.EthernetLen + header.IPv4MinLen
	} else {
		f.srcOff = header.EthernetLen + 8 + 12
		f.udpOff = header.EthernetLen + header.IPv6Len
	}
	f.addr0 = binary.BigEndian.Uint32(b[f.srcOff:])
	clear(b[f.srcOff : f.srcOff+4])
	udp := b[f.udpOff:]
	clear(udp[0:4])                               // ports
	clear(udp[header.UDPCsum : header.UDPCsum+2]) // checksum
	clear(b[t.payOff+paySeq : t.payOff+PayloadMin])
	if t.is4 {
		v4 := header.IPv4(ip)
		v4.SetChecksum(0)
		f.ipBase0 = uint64(checksum.Checksum(v4[:header.IPv4MinLen], 0))
		f.base0 = uint64(checksum.Checksum(udp, checksum.PseudoHeader4(v4.Src(), v4.Dst(), header.ProtoUDP, uint16(len(udp)))))
	} else {
		v6 := header.IPv6(ip)
		f.base0 = uint64(checksum.Checksum(udp, checksum.PseudoHeader6(v6.Src(), v6.Dst(), header.ProtoUDP, uint32(len(udp)))))
	}
	return f, nil
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// N is the number of flows in the window.
func (f *Flows) N() uint64 { return f.n }

// Reset starts a Sequential stamper over from the window's first flow.
func (f *Flows) Reset() { f.cursor = 0 }

// tuple returns flow j of the window (0 <= j < N) as (source address
// index, source port, destination port).
func (f *Flows) tuple(j uint64) (uint32, uint16, uint16) {
	k := f.start + j
	hi, lo := bits.Mul64(f.mul, k)
	_, p := bits.Div64(hi, lo, f.size) // hi < size: mul, k < size <= 2^32
	p += f.inc
	if p >= f.size {
		p -= f.size
	}
	a := p % uint64(f.space.SrcAddrs)
	r := p / uint64(f.space.SrcAddrs)
	return uint32(a), f.space.SrcPortMin + uint16(r%f.nsp), f.space.DstPortMin + uint16(r/f.nsp)
}

// Tuple returns flow j of the window as source address and ports.
func (f *Flows) Tuple(j uint64) (netip.Addr, uint16, uint16) {
	a, sp, dp := f.tuple(j)
	src := f.addr(a)
	b := f.t.Frame
	if f.is4 {
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], src)
		return netip.AddrFrom4(x), sp, dp
	}
	var x [16]byte
	copy(x[:], b[f.srcOff-12:f.srcOff])
	binary.BigEndian.PutUint32(x[12:], src)
	return netip.AddrFrom16(x), sp, dp
}

func (f *Flows) addr(i uint32) uint32 { return f.addr0 + i }

// Stamp implements Stamper: the next flow (Sequential) or a pseudorandom
// one (Random), then sequence number, timestamp and checksums.
func (f *Flows) Stamp(b []byte, seq uint64, ts int64) {
	var j uint64
	if f.order == Random {
		j = pick(&f.rng, f.n)
	} else {
		j = f.cursor
		if f.cursor++; f.cursor == f.n {
			f.cursor = 0
		}
	}
	a, sp, dp := f.tuple(j)
	src := f.addr(a)
	binary.BigEndian.PutUint32(b[f.srcOff:], src)
	binary.BigEndian.PutUint16(b[f.udpOff:], sp)
	binary.BigEndian.PutUint16(b[f.udpOff+2:], dp)
	words := uint64(src>>16) + uint64(src&0xffff)
	if f.is4 {
		binary.BigEndian.PutUint16(b[f.ipOff+header.IPv4Csum:], ^fold(f.ipBase0+words))
	}
	f.t.stamp(b, f.base0+words+uint64(sp)+uint64(dp), seq, ts)
}

// pick draws a pseudorandom index below n (n <= 2^32) from the xorshift64*
// state s.
func pick(s *uint64, n uint64) uint64 {
	x := *s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*s = x
	return ((x * 0x2545F4914F6CDD1D) >> 32) * n >> 32
}

// fold folds a one's complement sum of fewer than 2^32 into 16 bits.
func fold(s uint64) uint16 {
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return uint16(s)
}
