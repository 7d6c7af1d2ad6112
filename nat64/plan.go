// Package nat64 is the state of stateful NAT64 (RFC 6146) with
// carrier-grade address sharing (RFC 6888, RFC 7422): BIB and sessions for
// TCP, UDP and ICMP queries, the TCP state machine, pool4 port blocks, the
// deterministic mapping, timers, fragment matching and mapping events. It
// holds no packet bytes: callers pass tuples and get tuples and a Result.
//
// A Plan is built once from the configuration and is shared read-only by
// every worker; each worker owns one Table (not safe for concurrent use).
// A subscriber (an IPv6 prefix) belongs to one worker, Owner6; a pool4
// address and port belong to the worker that owns its block, Owner4; so a
// datapath hands each packet to its owner and no table is ever shared.
package nat64

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// Proto is a transport protocol: the IANA number of TCP, UDP or ICMP (an
// ICMPv6 query is ProtoICMP too; its identifier plays the port).
type Proto uint8

// Protocols with state.
const (
	ProtoICMP Proto = 1
	ProtoTCP  Proto = 6
	ProtoUDP  Proto = 17
)

// pidx maps a protocol to 0..2, 3 for others.
func pidx(p Proto) int {
	switch p {
	case ProtoTCP:
		return 0
	case ProtoUDP:
		return 1
	case ProtoICMP:
		return 2
	}
	return 3
}

// Static is one static BIB entry.
type Static struct {
	Proto Proto
	Addr6 [16]byte
	Port6 uint16
	Addr4 [4]byte
	Port4 uint16
}

// subRange is one nat64.subscribers prefix with the ordinal of its first
// subscriber (deterministic mode).
type subRange struct {
	hi, lo uint64 // prefix, masked
	bits   int
	base   uint64
	count  uint64
}

// Plan is the configuration-derived, immutable part shared by all workers.
type Plan struct {
	pool4     []netip.Prefix
	pool4Base []uint32 // address index of each prefix's first address
	pool4Lo   []uint32 // each prefix's first address and mask, as integers (addrIndex)
	pool4Mask []uint32
	addrs     int
	portLo    uint16
	portHi    uint16
	bs        int // port_block_size
	bpa       int // blocks per address
	wpb       int // 64-bit words of a per-protocol block bitmap
	maxBlocks int
	det       bool
	rpa       int // deterministic ranges per address
	spl       int
	subs      []subRange
	workers   int
	adf       bool

	maxSess       int // per worker
	maxBIB        int // per worker
	maxSessPerSub int
	maxHeldSYN    int
	maxFrags      int

	reuseDelay                             uint32 // s, rounded up
	tUDP, tEst, tTrans, tSYN, tICMP, tFrag uint32 // ms

	static   []Static
	static4  map[[8]byte]int // proto, addr4, port4 -> index of static
	seed     uint64
	ownerKey uint64

	// retired marks, per address index, the pool4 addresses a reload
	// removed (reload.go); nil when none is. Indexes stay those of the
	// pool4 at start.
	retired []bool
}

// Options are knobs beyond the configuration file.
type Options struct {
	Workers    int // tables, 1 or more
	MaxHeldSYN int // IPv4-initiated SYNs held per worker; 0 = 1024
	MaxFrags   int // fragment flows tracked per worker; 0 = 4096
	// MaxBIB bounds the BIB entries of all workers; 0 = as many as
	// sessions (every session on its own mapping, the worst case). With
	// endpoint-independent mapping most hosts have several sessions per
	// mapping; a smaller BIB saves 50 bytes per entry not needed.
	MaxBIB int
}

// NewPlan derives the plan from a validated [nat64] table.
func NewPlan(c *nat64conf.NAT64, o Options) (*Plan, error) {
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.MaxHeldSYN <= 0 {
		o.MaxHeldSYN = 1024
	}
	if o.MaxFrags <= 0 {
		o.MaxFrags = 4096
	}
	if len(c.Pool4) == 0 || c.PortBlockSize < 1 || c.Ports.Lo == 0 || c.Ports.Lo > c.Ports.Hi || c.MaxBlocksPerSubscriber < 1 {
		return nil, errors.New("nat64: pool4, ports and port blocks must be configured and validated")
	}
	p := &Plan{
		portLo: c.Ports.Lo, portHi: c.Ports.Hi, bs: c.PortBlockSize,
		maxBlocks: c.MaxBlocksPerSubscriber, det: c.Deterministic, spl: c.SubscriberPrefixLength,
		workers: o.Workers, adf: c.Filtering == "address-dependent",
		maxSessPerSub: c.MaxSessionsPerSubscriber, maxHeldSYN: o.MaxHeldSYN, maxFrags: o.MaxFrags,
		reuseDelay: uint32((time.Duration(c.PortReuseDelay) + time.Second - 1) / time.Second),
		tUDP:       ms(c.Timeouts.UDP), tEst: ms(c.Timeouts.TCPEstablished), tTrans: ms(c.Timeouts.TCPTransitory),
		tSYN: ms(c.Timeouts.TCPIncomingSYN), tICMP: ms(c.Timeouts.ICMP), tFrag: ms(c.Timeouts.Fragment),
		static4: map[[8]byte]int{},
	}
	if p.spl == 0 {
		p.spl = 128
	}
	for _, pf := range c.Pool4 {
		p.pool4 = append(p.pool4, pf.Masked())
		p.pool4Base = append(p.pool4Base, uint32(p.addrs))
		lo := pf.Masked().Addr().As4()
		p.pool4Lo = append(p.pool4Lo, binary.BigEndian.Uint32(lo[:]))
		p.pool4Mask = append(p.pool4Mask, ^uint32(0)<<(32-pf.Bits()))
		p.addrs += 1 << (32 - pf.Bits())
	}
	p.bpa = c.Ports.Size() / p.bs
	p.wpb = (p.bs + 63) / 64
	p.rpa = p.bpa / p.maxBlocks
	if p.bpa < 1 || p.rpa < 1 {
		return nil, errors.New("nat64: nat64.ports holds fewer ports than one subscriber's blocks")
	}
	var base uint64
	for _, s := range c.Subscribers {
		a := s.Masked().Addr().As16()
		r := subRange{hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]), bits: s.Bits(), base: base}
		if d := p.spl - s.Bits(); d < 64 {
			r.count = 1 << d
		} else {
			r.count = 1 << 63
		}
		base += r.count
		p.subs = append(p.subs, r)
	}
	if p.det && (len(p.subs) == 0 || base > uint64(p.addrs)*uint64(p.rpa)) {
		return nil, errors.New("nat64: deterministic mode needs nat64.subscribers that fit in pool4")
	}
	total := c.MaxSessions
	if total == 0 {
		total = p.addrs * c.Ports.Size()
		if total > nat64conf.MaxSessions {
			total = nat64conf.MaxSessions
		}
	}
	p.maxSess = (total + p.workers - 1) / p.workers
	p.maxBIB = p.maxSess
	if o.MaxBIB > 0 && (o.MaxBIB+p.workers-1)/p.workers < p.maxSess {
		p.maxBIB = (o.MaxBIB + p.workers - 1) / p.workers
	}
	var seed [16]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	p.seed = binary.LittleEndian.Uint64(seed[:8]) | 1
	p.ownerKey = binary.LittleEndian.Uint64(seed[8:])
	for i, s := range c.Static {
		st := Static{Addr6: s.IPv6.As16(), Port6: uint16(s.Port6), Addr4: s.IPv4.As4(), Port4: uint16(s.Port4)}
		switch s.Protocol {
		case "tcp":
			st.Proto = ProtoTCP
		case "udp":
			st.Proto = ProtoUDP
		case "icmp":
			st.Proto = ProtoICMP
		default:
			return nil, fmt.Errorf("nat64.static[%d]: protocol %q", i, s.Protocol)
		}
		if _, ok := p.addrIndex(st.Addr4); !ok {
			return nil, fmt.Errorf("nat64.static[%d]: %s is not in pool4", i, s.IPv4)
		}
		p.static = append(p.static, st)
		p.static4[static4Key(st.Proto, st.Addr4, st.Port4)] = i
	}
	return p, nil
}

func ms(d nat64conf.Duration) uint32 {
	v := time.Duration(d).Milliseconds()
	if v > 1<<31-1 {
		v = 1<<31 - 1
	}
	return uint32(v)
}

func static4Key(p Proto, a [4]byte, port uint16) [8]byte {
	return [8]byte{byte(p), a[0], a[1], a[2], a[3], byte(port >> 8), byte(port)}
}

// Workers is the number of tables the plan is cut for.
func (p *Plan) Workers() int { return p.workers }

// addrIndex is the index of a pool4 address, 0..addrs-1.
func (p *Plan) addrIndex(a [4]byte) (int, bool) {
	v := binary.BigEndian.Uint32(a[:])
	for i, lo := range p.pool4Lo {
		if v&p.pool4Mask[i] == lo {
			return int(p.pool4Base[i] + v - lo), true
		}
	}
	return 0, false
}

// addrAt is the pool4 address with index i.
func (p *Plan) addrAt(i int) [4]byte {
	for j := len(p.pool4) - 1; j >= 0; j-- {
		if uint32(i) >= p.pool4Base[j] {
			var a [4]byte
			b := p.pool4[j].Addr().As4()
			binary.BigEndian.PutUint32(a[:], binary.BigEndian.Uint32(b[:])+uint32(i)-p.pool4Base[j])
			return a
		}
	}
	return [4]byte{}
}

// InPool4 reports whether a is a pool4 address (a packet from the IPv6 side
// to it hairpins, RFC 6146 section 3.8).
func (p *Plan) InPool4(a [4]byte) bool {
	i, ok := p.addrIndex(a)
	return ok && (p.retired == nil || !p.retired[i])
}

// subscriberKey masks src6 to the subscriber prefix.
func (p *Plan) subscriberKey(src6 [16]byte) (hi, lo uint64) {
	hi = binary.BigEndian.Uint64(src6[:8])
	lo = binary.BigEndian.Uint64(src6[8:])
	return mask128(hi, lo, p.spl)
}

func mask128(hi, lo uint64, n int) (uint64, uint64) {
	switch {
	case n >= 128:
		return hi, lo
	case n > 64:
		return hi, lo &^ (1<<(128-n) - 1)
	case n == 64:
		return hi, 0
	default:
		return hi &^ (1<<(64-n) - 1), 0
	}
}

// ordinal is the deterministic ordinal of a subscriber, or false when src6
// is outside nat64.subscribers. Without subscribers every source is
// allowed (ordinal 0, true).
func (p *Plan) ordinal(src6 [16]byte) (uint64, bool) {
	if len(p.subs) == 0 {
		return 0, true
	}
	hi := binary.BigEndian.Uint64(src6[:8])
	lo := binary.BigEndian.Uint64(src6[8:])
	for _, r := range p.subs {
		h, l := mask128(hi, lo, r.bits)
		if h != r.hi || l != r.lo {
			continue
		}
		// bits r.bits .. spl-1 of the address
		sh := uint(128 - p.spl)
		var v uint64
		switch {
		case sh == 0:
			v = lo
		case sh < 64:
			v = lo>>sh | hi<<(64-sh)
		default:
			v = hi >> (sh - 64)
		}
		if d := p.spl - r.bits; d < 64 {
			v &= 1<<d - 1
		}
		return r.base + v, true
	}
	return 0, false
}

// Owner6 is the worker that owns the subscriber of src6 (and the static
// entries whose IPv6 address is src6).
func (p *Plan) Owner6(src6 [16]byte) int {
	if p.workers == 1 {
		return 0
	}
	if p.det {
		if o, ok := p.ordinal(src6); ok {
			return int(o % uint64(p.workers))
		}
		return 0
	}
	hi, lo := p.subscriberKey(src6)
	return int(mix(hi^p.ownerKey, lo) % uint64(p.workers))
}

// Owner4 is the worker that owns the pool4 address and port (ICMP: the
// identifier) of an IPv4-side packet's destination; 0 when nobody does.
func (p *Plan) Owner4(proto Proto, addr4 [4]byte, port4 uint16) int {
	if p.workers == 1 {
		return 0
	}
	if port4 < p.portLo || port4 > p.portHi {
		if i, ok := p.static4[static4Key(proto, addr4, port4)]; ok {
			return p.Owner6(p.static[i].Addr6)
		}
		return 0
	}
	ai, ok := p.addrIndex(addr4)
	if !ok || p.retired != nil && p.retired[ai] {
		return 0
	}
	bi := int(port4-p.portLo) / p.bs
	if bi >= p.usedBlocks() {
		return 0
	}
	return p.blockOwner(ai*p.bpa + bi)
}

// blockOwner is the worker owning global block g.
func (p *Plan) blockOwner(g int) int {
	if p.det {
		ai, bi := g/p.bpa, g%p.bpa
		return int(uint64(ai*p.rpa+bi/p.maxBlocks) % uint64(p.workers))
	}
	return g % p.workers
}

// mix is a 128-to-64-bit hash (multiply-xorshift).
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^0x9e3779b97f4a7c15, b^0xbf58476d1ce4e5b9)
	return hi ^ lo
}

// DetRange is one subscriber's deterministic share of pool4.
type DetRange struct {
	Subscriber netip.Prefix
	Addr4      netip.Addr
	PortLo     uint16
	PortHi     uint16
}

// DetForward is the RFC 7422 function from a subscriber's address to its
// pool4 address and port range, computed from the configuration alone
// (`xlatd nat64 lookup ADDR6`). false when src6 is not a subscriber or the
// plan is not deterministic.
func (p *Plan) DetForward(src6 netip.Addr) (DetRange, bool) {
	if !p.det || !src6.Is6() {
		return DetRange{}, false
	}
	o, ok := p.ordinal(src6.As16())
	if !ok || o >= uint64(p.addrs)*uint64(p.rpa) {
		return DetRange{}, false
	}
	return p.detRange(o, src6.As16()), true
}

func (p *Plan) detRange(o uint64, src6 [16]byte) DetRange {
	ai, ri := int(o/uint64(p.rpa)), int(o%uint64(p.rpa))
	lo := int(p.portLo) + ri*p.maxBlocks*p.bs
	hi, l := p.subscriberKey(src6)
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], hi)
	binary.BigEndian.PutUint64(a[8:], l)
	return DetRange{
		Subscriber: netip.PrefixFrom(netip.AddrFrom16(a), p.spl),
		Addr4:      netip.AddrFrom4(p.addrAt(ai)),
		PortLo:     uint16(lo), PortHi: uint16(lo + p.maxBlocks*p.bs - 1),
	}
}

// DetReverse is the inverse: the subscriber that holds addr4:port4
// (`xlatd nat64 lookup ADDR4:PORT`).
func (p *Plan) DetReverse(addr4 netip.Addr, port4 uint16) (DetRange, bool) {
	if !p.det || !addr4.Is4() || port4 < p.portLo || port4 > p.portHi {
		return DetRange{}, false
	}
	ai, ok := p.addrIndex(addr4.As4())
	if !ok {
		return DetRange{}, false
	}
	ri := int(port4-p.portLo) / (p.maxBlocks * p.bs)
	if ri >= p.rpa {
		return DetRange{}, false
	}
	o := uint64(ai)*uint64(p.rpa) + uint64(ri)
	for _, r := range p.subs {
		if o < r.base || o-r.base >= r.count {
			continue
		}
		v := o - r.base
		sh := uint(128 - p.spl)
		hi, lo := r.hi, r.lo
		switch {
		case sh == 0:
			lo |= v
		case sh < 64:
			lo |= v << sh
			hi |= v >> (64 - sh)
		default:
			hi |= v << (sh - 64)
		}
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], hi)
		binary.BigEndian.PutUint64(a[8:], lo)
		return p.detRange(o, a), true
	}
	return DetRange{}, false
}

// usedBlocks is the number of blocks of each address that can be handed
// out: all of them, or in deterministic mode those of whole ranges (the
// rest of nat64.ports is never used).
func (p *Plan) usedBlocks() int {
	if p.det {
		return p.rpa * p.maxBlocks
	}
	return p.bpa
}
