package nat64

import (
	"net/netip"
	"time"
)

// LookupOutbound is Outbound without side effects: the pool4 source of an
// existing session, or false. It serves the packets quoted in ICMP errors
// (RFC 6146 3.5.4): the inner packet of an ICMPv6 error from the IPv6 side
// quotes a packet that went 4 to 6, from Z' to X'; look it up as
// LookupOutbound(p, X', x, Z, z). Errors never create state.
func (t *Table) LookupOutbound(p Proto, src6 [16]byte, sport uint16, dst4 [4]byte, dport uint16) (src4 [4]byte, sport4 uint16, ok bool) {
	if p == ProtoICMP {
		dport = 0
	}
	b := t.findBIB6(t.hash6(p, src6, sport), p, src6, sport)
	if b == 0 || t.findSess(t.hashSess(b, dst4, dport), b, dst4, dport) == 0 {
		return src4, 0, false
	}
	e := &t.bib[b-1]
	return e.addr4, e.port4, true
}

// LookupInbound is Inbound without side effects: the IPv6 destination of an
// existing session, or false. The inner packet of an ICMPv4 error quotes a
// packet that went 6 to 4, from T to Z: LookupInbound(p, Z, z, T, t).
func (t *Table) LookupInbound(p Proto, src4 [4]byte, sport uint16, dst4 [4]byte, dport uint16) (dst6 [16]byte, dport6 uint16, ok bool) {
	if p == ProtoICMP {
		sport = 0
	}
	b := t.findBIB4(t.hash4(p, dst4, dport), p, dst4, dport)
	if b == 0 || t.findSess(t.hashSess(b, src4, sport), b, src4, sport) == 0 {
		return dst6, 0, false
	}
	e := &t.bib[b-1]
	return e.addr6, e.port6, true
}

// Flow6 is one IPv6-side packet's state key for OutboundBatch.
type Flow6 struct {
	Proto Proto
	Flags TCPFlags
	SPort uint16
	DPort uint16
	Src6  [16]byte
	Dst4  [4]byte
}

// Flow4 is one IPv4-side packet's state key for InboundBatch.
type Flow4 struct {
	Proto Proto
	Flags TCPFlags
	SPort uint16
	DPort uint16
	Src4  [4]byte
	Dst4  [4]byte
}

// Mapped is the result of one flow of a batch: Addr is the IPv4 source
// (first 4 bytes) for OutboundBatch, the IPv6 destination for InboundBatch.
type Mapped struct {
	Addr   [16]byte
	Port   uint16
	Result Result
}

// MaxBatch is the largest vector the batch calls take at once.
const MaxBatch = 64

// OutboundBatch is Outbound for a vector of flows (at most MaxBatch; out as
// long as in). It hashes every flow and touches its index slot, then its
// BIB entry and session slot, before doing any of the work, so that the
// cache misses of the vector overlap instead of queueing.
func (t *Table) OutboundBatch(now int64, in []Flow6, out []Mapped) {
	var h, hs [MaxBatch]uint64
	var bv, bc, sc [MaxBatch]uint32
	var acc uint32
	in = in[:min(len(in), MaxBatch)]
	out = out[:len(in)]
	// 1: hash, touch the BIB index slot. (Slices in locals: the loads of
	// one pass are independent, so the CPU overlaps their misses.)
	bs, bn := t.bib6.s, t.bib6.n
	for i := range in {
		f := &in[i]
		h[i] = t.hash6(f.Proto, f.Src6, f.SPort)
		acc += bs[home(h[i], bn)]
	}
	// 1b: touch the BIB entry of each home slot.
	acc = t.touchBIB(&t.bib6, &h, len(in), acc, &bc)
	// 2: find the BIB entry (cached now; a displaced entry costs one more
	// miss): the one the touch pass found if it is the flow's, else by a
	// probe; touch the session index slot.
	ss, sn := t.sessTab.s, t.sessTab.n
	for i := range in {
		hs[i] = ^uint64(0)
		f := &in[i]
		v := bc[i]
		if v == 0 || !t.isBIB6(v, f.Proto, f.Src6, f.SPort) {
			v = t.findBIB6(h[i], f.Proto, f.Src6, f.SPort)
		}
		if v != 0 && pidx(f.Proto) < 3 {
			dp := f.DPort
			if f.Proto == ProtoICMP {
				dp = 0
			}
			bv[i] = v
			hs[i] = t.hashSess(v, f.Dst4, dp)
			acc += ss[home(hs[i], sn)]
		}
	}
	t.touchSessions(&hs, len(in), acc, &sc)
	// 4: the work. Established flows use what steps 2 and 3 found (new
	// entries of earlier packets never move existing ones, and a
	// candidate is checked against the flow's key); the rest take the
	// full path.
	nowms := t.ms(now)
	for i := range in {
		f := &in[i]
		if b := bv[i]; b != 0 {
			dp := f.DPort
			if f.Proto == ProtoICMP {
				dp = 0
			}
			if sv := t.findSessFrom(sc[i], hs[i], b, f.Dst4, dp); sv != 0 {
				t.touch(sv-1, nowms, f.Flags, true)
				e := &t.bib[b-1]
				t.C.Results[OK]++
				out[i] = Mapped{Port: e.port4, Result: OK}
				copy(out[i].Addr[:4], e.addr4[:])
				continue
			}
		}
		a, p, r := t.outbound(now, f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort, f.Flags, h[i])
		t.C.Results[r]++
		out[i] = Mapped{Port: p, Result: r}
		copy(out[i].Addr[:4], a[:])
	}
}

// touchSessions is step 3 of the batch calls: touch the session entry
// each flow's session index probe names (the first whose tag matches,
// within touchProbes probes: longer chains are rare, the work pass
// finishes them).
// 20-byte entries may straddle two cache lines: both ends are read.
func (t *Table) touchSessions(hs *[MaxBatch]uint64, n int, acc uint32, cand *[MaxBatch]uint32) {
	o, sess := &t.sessTab, t.sess
	ss, sn, vm := o.s, o.n, o.vmask
	for i := 0; i < n; i++ {
		if hs[i] == ^uint64(0) {
			continue
		}
		tg := o.tag(hs[i])
		for j, k := home(hs[i], sn), 0; k < touchProbes; j, k = next(j, sn), k+1 {
			v := ss[j]
			if v == 0 {
				break
			}
			if v&^vm == tg {
				v &= vm
				acc += sess[v-1].bib
				cand[i] = v
				break
			}
		}
	}
	t.touched += acc
}

// InboundBatch is Inbound for a vector of flows, as OutboundBatch.
func (t *Table) InboundBatch(now int64, in []Flow4, out []Mapped) {
	var h, hs [MaxBatch]uint64
	var bv, bc, sc [MaxBatch]uint32
	var acc uint32
	in = in[:min(len(in), MaxBatch)]
	out = out[:len(in)]
	bs, bn := t.bib4.s, t.bib4.n
	for i := range in {
		f := &in[i]
		h[i] = t.hash4(f.Proto, f.Dst4, f.DPort)
		acc += bs[home(h[i], bn)]
	}
	acc = t.touchBIB(&t.bib4, &h, len(in), acc, &bc)
	ss, sn := t.sessTab.s, t.sessTab.n
	for i := range in {
		hs[i] = ^uint64(0)
		f := &in[i]
		v := bc[i]
		if v == 0 || !t.isBIB4(v, f.Proto, f.Dst4, f.DPort) {
			v = t.findBIB4(h[i], f.Proto, f.Dst4, f.DPort)
		}
		if v != 0 && pidx(f.Proto) < 3 {
			sp := f.SPort
			if f.Proto == ProtoICMP {
				sp = 0
			}
			bv[i] = v
			hs[i] = t.hashSess(v, f.Src4, sp)
			acc += ss[home(hs[i], sn)]
		}
	}
	t.touchSessions(&hs, len(in), acc, &sc)
	nowms := t.ms(now)
	for i := range in {
		f := &in[i]
		if b := bv[i]; b != 0 {
			sp := f.SPort
			if f.Proto == ProtoICMP {
				sp = 0
			}
			if sv := t.findSessFrom(sc[i], hs[i], b, f.Src4, sp); sv != 0 {
				t.touch(sv-1, nowms, f.Flags, false)
				e := &t.bib[b-1]
				t.C.Results[OK]++
				out[i] = Mapped{Addr: e.addr6, Port: e.port6, Result: OK}
				continue
			}
		}
		a, p, r := t.inbound(now, f.Proto, f.Src4, f.SPort, f.Dst4, f.DPort, f.Flags, h[i])
		t.C.Results[r]++
		out[i] = Mapped{Addr: a, Port: p, Result: r}
	}
}

// BIBEntry is one BIB entry for `xlatd nat64 bib`.
type BIBEntry struct {
	Proto    Proto
	Addr6    netip.Addr
	Port6    uint16
	Addr4    netip.Addr
	Port4    uint16
	Static   bool
	Sessions int
}

// BIB appends up to cap(dst)-len(dst) entries starting at position from
// and returns them with the position to continue at, -1 at the end.
func (t *Table) BIB(dst []BIBEntry, from int) ([]BIBEntry, int) {
	for i := max(from, 0); i < len(t.bib); i++ {
		if len(dst) == cap(dst) {
			return dst, i
		}
		e := &t.bib[i]
		if !e.used() {
			continue
		}
		dst = append(dst, BIBEntry{e.proto, netip.AddrFrom16(e.addr6), e.port6, netip.AddrFrom4(e.addr4), e.port4, e.static, int(t.bibSessions(uint32(i + 1)))})
	}
	return dst, -1
}

// SessionEntry is one session for `xlatd nat64 sessions`.
type SessionEntry struct {
	Proto      Proto
	Addr6      netip.Addr
	Port6      uint16
	Addr4      netip.Addr
	Port4      uint16
	Remote4    netip.Addr
	RemotePort uint16
	State      string
	Expires    time.Duration // from now
}

// Sessions appends sessions like BIB.
func (t *Table) Sessions(now int64, dst []SessionEntry, from int) ([]SessionEntry, int) {
	nowms := t.ms(now)
	for i := max(from, 0); i < len(t.sess); i++ {
		if len(dst) == cap(dst) {
			return dst, i
		}
		s := &t.sess[i]
		if s.bib == 0 {
			continue
		}
		e := &t.bib[s.bib-1]
		dst = append(dst, SessionEntry{e.proto, netip.AddrFrom16(e.addr6), e.port6, netip.AddrFrom4(e.addr4), e.port4,
			netip.AddrFrom4(s.remote), s.rport, stateNames[s.state], time.Duration(int32(s.expire-nowms)) * time.Millisecond})
	}
	return dst, -1
}

// Len returns the number of sessions, BIB entries, subscribers and active
// port blocks.
func (t *Table) Len() (sessions, bib, subscribers, blocks int) {
	return t.sessN, t.bibN, t.subN, t.blockN
}

// PortHolder is `xlatd nat64 lookup ADDR4:PORT` from the running state:
// the subscriber whose block holds addr4:port and that block's range (in
// deterministic mode Plan.DetReverse answers from the configuration).
// Static entries are found by BIB.
func (t *Table) PortHolder(addr4 netip.Addr, port uint16) (DetRange, bool) {
	p := t.p
	if !addr4.Is4() || port < p.portLo || port > p.portHi {
		return DetRange{}, false
	}
	ai, ok := p.addrIndex(addr4.As4())
	if !ok {
		return DetRange{}, false
	}
	bi := int(port-p.portLo) / p.bs
	if bi >= p.usedBlocks() {
		return DetRange{}, false
	}
	g := ai*p.bpa + bi
	if p.blockOwner(g) != t.worker {
		return DetRange{}, false
	}
	b := t.blockState[t.localBlock(g)]
	if b == 0 {
		return DetRange{}, false
	}
	return t.blockRange(&t.subs[t.blocks[b-1].sub], g), true
}

func (t *Table) blockRange(s *subEnt, g int) DetRange {
	lo := int(t.p.portLo) + (g%t.p.bpa)*t.p.bs
	return DetRange{Subscriber: t.subPrefix(s), Addr4: netip.AddrFrom4(t.p.addrAt(g / t.p.bpa)),
		PortLo: uint16(lo), PortHi: uint16(lo + t.p.bs - 1)}
}

// SubscriberBlocks is `xlatd nat64 lookup ADDR6` from the running state:
// the blocks the subscriber of src6 holds now, appended to dst.
func (t *Table) SubscriberBlocks(src6 netip.Addr, dst []DetRange) []DetRange {
	if !src6.Is6() {
		return dst
	}
	hi, lo := t.p.subscriberKey(src6.As16())
	v := t.findSub(hi, lo)
	if v == 0 {
		return dst
	}
	s := &t.subs[v-1]
	for b := s.first; b != 0; b = t.blocks[b-1].nextInSub {
		dst = append(dst, t.blockRange(s, int(t.blocks[b-1].global)))
	}
	return dst
}

// Prefetch6 brings into the caches what Outbound will read for each flow
// of in (at most MaxBatch are looked at): the BIB index slot, the BIB
// entry, the session index slot and the session, each in its own pass over
// the flows, so that the cache misses of a vector overlap instead of
// queueing one after the other. It changes no state and counts nothing;
// flows without a mapping cost a hash and one load. The caller then makes
// its Outbound calls as usual (batch does this for every vector in NAT64
// mode; Go has no prefetch instruction, so these are plain loads whose
// results are summed into a field).
func (t *Table) Prefetch6(in []Flow6) {
	var h, hs [MaxBatch]uint64
	var acc uint32
	in = in[:min(len(in), MaxBatch)]
	bs, bn := t.bib6.s, t.bib6.n
	for i := range in {
		f := &in[i]
		h[i] = t.hash6(f.Proto, f.Src6, f.SPort)
		acc += bs[home(h[i], bn)]
	}
	var cand [MaxBatch]uint32
	acc = t.touchBIB(&t.bib6, &h, len(in), acc, &cand)
	ss, sn := t.sessTab.s, t.sessTab.n
	for i := range in {
		hs[i] = ^uint64(0)
		f := &in[i]
		if v := t.findBIB6(h[i], f.Proto, f.Src6, f.SPort); v != 0 && pidx(f.Proto) < 3 {
			dp := f.DPort
			if f.Proto == ProtoICMP {
				dp = 0
			}
			hs[i] = t.hashSess(v, f.Dst4, dp)
			acc += ss[home(hs[i], sn)]
		}
	}
	t.touchSessions(&hs, len(in), acc, &cand)
}

// Prefetch4 is Prefetch6 for Inbound.
func (t *Table) Prefetch4(in []Flow4) {
	var h, hs [MaxBatch]uint64
	var acc uint32
	in = in[:min(len(in), MaxBatch)]
	bs, bn := t.bib4.s, t.bib4.n
	for i := range in {
		f := &in[i]
		h[i] = t.hash4(f.Proto, f.Dst4, f.DPort)
		acc += bs[home(h[i], bn)]
	}
	var cand [MaxBatch]uint32
	acc = t.touchBIB(&t.bib4, &h, len(in), acc, &cand)
	ss, sn := t.sessTab.s, t.sessTab.n
	for i := range in {
		hs[i] = ^uint64(0)
		f := &in[i]
		if v := t.findBIB4(h[i], f.Proto, f.Dst4, f.DPort); v != 0 && pidx(f.Proto) < 3 {
			sp := f.SPort
			if f.Proto == ProtoICMP {
				sp = 0
			}
			hs[i] = t.hashSess(v, f.Src4, sp)
			acc += ss[home(hs[i], sn)]
		}
	}
	t.touchSessions(&hs, len(in), acc, &cand)
}

// touchProbes is how far the touch passes follow a probe sequence (the
// indexes are up to 75% full: entries a few slots from home are common).
const touchProbes = 4

// touchBIB loads the BIB entry each flow's probe of BIB index o names
// (the first whose tag matches, within touchProbes probes), so that the find pass
// after it hits.
func (t *Table) touchBIB(o *otab, h *[MaxBatch]uint64, n int, acc uint32, cand *[MaxBatch]uint32) uint32 {
	bib, s, sn, vm := t.bib, o.s, o.n, o.vmask
	for i := 0; i < n; i++ {
		tg := o.tag(h[i])
		for j, k := home(h[i], sn), 0; k < touchProbes; j, k = next(j, sn), k+1 {
			v := s[j]
			if v == 0 {
				break
			}
			if v&^vm == tg {
				e := &bib[v&vm-1] // 28 bytes: may straddle two lines, read both ends
				acc += uint32(e.addr6[0]) + uint32(e.proto)
				cand[i] = v & vm
				break
			}
		}
	}
	return acc
}

// prefetchMin is the number of live sessions from which a table's lookups
// are taken to miss the caches: below it (a few megabytes of state) the
// pre-pass of Prefetch6/Prefetch4 costs more instructions than the misses
// it would overlap.
const prefetchMin = 1 << 16

// WorthPrefetch reports whether the table is large enough for
// Prefetch6/Prefetch4 to pay (prefetchMin live sessions).
func (t *Table) WorthPrefetch() bool { return t.sessN >= prefetchMin }
