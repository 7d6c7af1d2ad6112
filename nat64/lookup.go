package nat64

import (
	"encoding/binary"
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
// long as in). The passes of find6 and touchFinds bring every flow's
// lines into the caches, the misses of a pass independent of each other
// so that they overlap, before any of the work is done.
func (t *Table) OutboundBatch(now int64, in []Flow6, out []Mapped) {
	var fd finds
	in = in[:min(len(in), MaxBatch)]
	out = out[:len(in)]
	t.find6(in, &fd)
	// The work. Established flows use the candidates the passes found
	// (new entries of earlier packets never move existing ones, and a
	// candidate is checked against the flow's key); the rest take the
	// full path.
	nowms := t.ms(now)
	for i := range in {
		f := &in[i]
		if fd.sk[i] {
			dp := f.DPort
			if f.Proto == ProtoICMP {
				dp = 0
			}
			b, hs := fd.bc[i], fd.hs[i]
			if b == 0 || !t.isBIB6(b, f.Proto, f.Src6, f.SPort) {
				if b = t.findBIB6(fd.h[i], f.Proto, f.Src6, f.SPort); b != 0 {
					hs = t.hashSess(b, f.Dst4, dp)
				}
			}
			if b != 0 {
				if sv := t.findSess(hs, b, f.Dst4, dp); sv != 0 {
					t.touch(sv-1, nowms, f.Flags, true)
					e := &t.bib[b-1]
					t.C.Results[OK]++
					out[i] = Mapped{Port: e.port4, Result: OK}
					copy(out[i].Addr[:4], e.addr4[:])
					continue
				}
			}
		}
		a, p, r := t.outbound(now, f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort, f.Flags, fd.h[i])
		t.C.Results[r]++
		out[i] = Mapped{Port: p, Result: r}
		copy(out[i].Addr[:4], a[:])
	}
}

// InboundBatch is Inbound for a vector of flows, as OutboundBatch.
func (t *Table) InboundBatch(now int64, in []Flow4, out []Mapped) {
	var fd finds
	in = in[:min(len(in), MaxBatch)]
	out = out[:len(in)]
	t.find4(in, &fd)
	nowms := t.ms(now)
	for i := range in {
		f := &in[i]
		if fd.sk[i] {
			sp := f.SPort
			if f.Proto == ProtoICMP {
				sp = 0
			}
			b, hs := fd.bc[i], fd.hs[i]
			if b == 0 || !t.isBIB4(b, f.Proto, f.Dst4, f.DPort) {
				if b = t.findBIB4(fd.h[i], f.Proto, f.Dst4, f.DPort); b != 0 {
					hs = t.hashSess(b, f.Src4, sp)
				}
			}
			if b != 0 {
				if sv := t.findSess(hs, b, f.Src4, sp); sv != 0 {
					t.touch(sv-1, nowms, f.Flags, false)
					e := &t.bib[b-1]
					t.C.Results[OK]++
					out[i] = Mapped{Addr: e.addr6, Port: e.port6, Result: OK}
					continue
				}
			}
		}
		a, p, r := t.inbound(now, f.Proto, f.Src4, f.SPort, f.Dst4, f.DPort, f.Flags, fd.h[i])
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

// Sessions appends sessions like BIB, from session slot from on. A
// session moves to an earlier slot when one before it in its cluster is
// deleted, so a listing taken in pages with expiry in between can miss or
// repeat a session that moved across a page's end. An overdue session the
// sweep has not reached yet shows Expires 0.
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
			netip.AddrFrom4(s.remote), s.rport, stateNames[s.state], time.Duration(max(0, int32(s.expire-nowms))) * time.Millisecond})
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
// entry, the session index slot and the session, with the passes of the
// batch calls (find6), so that the cache misses of a vector overlap
// instead of queueing one after the other. It changes no state and counts
// nothing. The caller then makes its Outbound calls as usual (batch does
// this for every vector in NAT64 mode; Go has no prefetch instruction, so
// these are plain loads whose results are summed into a field).
func (t *Table) Prefetch6(in []Flow6) {
	var fd finds
	t.find6(in, &fd)
}

// Prefetch4 is Prefetch6 for Inbound.
func (t *Table) Prefetch4(in []Flow4) {
	var fd finds
	t.find4(in, &fd)
}

// finds is what the passes of the batch calls find for each flow of a
// vector, and their scratch.
type finds struct {
	h  [MaxBatch]uint64 // BIB index hash
	hs [MaxBatch]uint64 // session hash of (bc, remote): hashSess
	j  [MaxBatch]uint64 // slot of the next load pass
	bc [MaxBatch]uint32 // BIB candidate + 1: the first tag match within touchProbes slots, 0 none
	e  [MaxBatch]uint32 // entry of the next load pass
	ra [MaxBatch]uint32 // remote address (little-endian) and port, for the session hash
	rp [MaxBatch]uint16
	sk [MaxBatch]bool // a protocol with state
}

// find6 is the first pass of OutboundBatch and Prefetch6: the hashes and
// home slots, computation only; then touchFinds.
func (t *Table) find6(in []Flow6, fd *finds) {
	n := min(len(in), MaxBatch)
	bn := t.bib6.n
	for i := 0; i < n; i++ {
		f := &in[i]
		fd.h[i] = t.hash6(f.Proto, f.Src6, f.SPort)
		fd.j[i] = home(fd.h[i], bn)
		dp := f.DPort
		if f.Proto == ProtoICMP {
			dp = 0
		}
		fd.ra[i], fd.rp[i], fd.sk[i] = binary.LittleEndian.Uint32(f.Dst4[:]), dp, pidx(f.Proto) < 3
	}
	t.touchFinds(&t.bib6, fd, n)
}

// find4 is find6 for InboundBatch and Prefetch4.
func (t *Table) find4(in []Flow4, fd *finds) {
	n := min(len(in), MaxBatch)
	bn := t.bib4.n
	for i := 0; i < n; i++ {
		f := &in[i]
		fd.h[i] = t.hash4(f.Proto, f.Dst4, f.DPort)
		fd.j[i] = home(fd.h[i], bn)
		sp := f.SPort
		if f.Proto == ProtoICMP {
			sp = 0
		}
		fd.ra[i], fd.rp[i], fd.sk[i] = binary.LittleEndian.Uint32(f.Src4[:]), sp, pidx(f.Proto) < 3
	}
	t.touchFinds(&t.bib4, fd, n)
}

// touchProbes is how far the touch passes follow a probe sequence (the
// indexes are up to 75% full: entries a few slots from home are common);
// the work pass finishes longer ones. The first touchWindow slots from
// home are read by the load pass (the last of them is on the next line
// for a slot near the end of one) and looked at without branches.
const touchProbes, touchWindow = 16, 4

// touchFinds brings each flow's lines into the caches and finds its BIB
// candidate, in two rounds of misses: the slots of BIB index o (home
// slots in fd.j); then the BIB entry the first matching tag names and,
// at the same time, the home line of the session of (that entry,
// remote), whose hash needs only the entry's number (sessions live in
// their table's slots: one line, no index to read first). Each round is
// a load pass of a few instructions per flow with no branch on what it
// loads, so that the reorder buffer holds many flows' misses at once;
// between them a pass over what the first loaded (cached by then) finds
// the candidates. The BIB candidate is not checked here: the work pass
// checks it against the flow's key (a tag collision costs that flow a
// find) and finds the session in its line.
func (t *Table) touchFinds(o *otab, fd *finds, n int) {
	var acc uint32
	s, sn, vm := o.s, o.n, o.vmask
	// Round 1: the home slot and the last slot a probe reads (the next
	// line when the home slot is near the end of one).
	for i := 0; i < n; i++ {
		j := fd.j[i]
		acc += s[j] + s[min(j+touchWindow-1, sn-1)]
	}
	nb := t.sessBuckets
	seed := t.p.seed
	for i := 0; i < n; i++ {
		c := probe(s, sn, fd.j[i], o.tag(fd.h[i]), vm)
		fd.bc[i] = c
		var e uint32
		var j uint64
		if c != 0 && fd.sk[i] {
			e = c - 1
			fd.hs[i] = mix(uint64(c)<<32|uint64(fd.ra[i]), uint64(fd.rp[i])^seed) // hashSess
			j = sessHome(fd.hs[i], nb)
		}
		fd.e[i], fd.j[i] = e, j
	}
	// Round 2: the BIB entries (28 bytes: one may straddle two lines,
	// both ends are read) and the sessions' home lines.
	bib, ss := t.bib, t.sess
	for i := 0; i < n; i++ {
		e := &bib[fd.e[i]]
		acc += uint32(e.addr6[0]) + uint32(e.proto) + ss[fd.j[i]].bib
	}
	t.touched += acc
}

// probe is the entry + 1 of the first slot from j within touchProbes
// slots of index s (n slots) whose tag is tg, 0 when there is none or an
// empty slot comes first. The first touchWindow (4) slots, the ones the
// load pass read, are looked at without a branch on their contents:
// where the entry sits varies from flow to flow, and a mispredicted
// branch per flow would cost more than the rest of the pass.
func probe(s []uint32, n, j uint64, tg, vm uint32) uint32 {
	if j+3 >= n {
		return probeFrom(s, n, j, tg, vm, 0)
	}
	w := s[j : j+4]
	c := pick(w[3], 0, tg, vm)
	c = pick(w[2], c, tg, vm)
	c = pick(w[1], c, tg, vm)
	c = pick(w[0], c, tg, vm)
	if c != 0 || min(w[0], w[1], w[2], w[3]) == 0 {
		return c
	}
	return probeFrom(s, n, j+4, tg, vm, touchWindow)
}

// pick is probe's step for slot v before a probe's later slots gave c.
func pick(v, c, tg, vm uint32) uint32 {
	x := v & vm
	if v&^vm != tg {
		x = c
	}
	if v == 0 {
		x = 0
	}
	return x
}

// probeFrom is probe from its k-th slot j on, with branches (the rest of
// the probe, and a window that wraps round the end of the index).
//
//go:noinline
func probeFrom(s []uint32, n, j uint64, tg, vm uint32, k int) uint32 {
	if j >= n {
		j -= n
	}
	for ; k < touchProbes; k++ {
		v := s[j]
		if v == 0 {
			return 0
		}
		if v&^vm == tg {
			return v & vm
		}
		j = next(j, n)
	}
	return 0
}

// prefetchMin is the number of live sessions from which a table's lookups
// are taken to miss the caches: below it (a few megabytes of state) the
// pre-pass of Prefetch6/Prefetch4 costs more instructions than the misses
// it would overlap.
const prefetchMin = 1 << 16

// WorthPrefetch reports whether the table is large enough for
// Prefetch6/Prefetch4 to pay (prefetchMin live sessions).
func (t *Table) WorthPrefetch() bool { return t.sessN >= prefetchMin }
