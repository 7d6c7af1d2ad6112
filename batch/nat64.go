package batch

// Stateful NAT64 (RFC 6146) in the address step of each direction.
//
// NAT64 is RFC 7915 with the IPv4-side addresses and ports taken from the
// state (package nat64) instead of from pool6: an IPv6 packet to pool6 from
// a source the EAMT does not cover, and an IPv4 packet to a pool4 address,
// go through the worker's nat64.Table; every other packet is SIIT as
// before. The per-packet path stays parse -> addresses (SIIT or NAT64) ->
// policy -> write: the address step fills in addresses and the translated
// port (natAddrs), the L4 checksum step writes the port with the checksum
// update folded in (RFC 1624), and two outcomes of the state end the
// pipeline right after the address step: Handoff (another worker owns the
// state) and hold (the table asks the caller to keep the packet). See
// docs/DESIGN.md, "Stateful NAT64 in the pipeline".

import (
	"encoding/binary"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
)

// Held store bounds: packets the table told batch to keep (IPv4 SYNs
// without mapping, fragments before their first fragment), copied out of
// the datapath's buffers into slots preallocated by SetNAT64.
const (
	heldSlots    = 128
	heldSlotSize = 2048 // an Ethernet frame of a 1500-byte packet and more
	maxRelease   = 8    // fragment keys released per frame
	expireBudget = 128  // sessions and slots Expire visits per vector
	maxNotices   = 1024 // notices kept between calls without allocating
)

// Kinds of held packets.
const (
	holdNone       uint8 = iota
	holdSYN              // an IPv4 SYN without mapping (IPv4 bytes)
	holdHairpinSYN       // a hairpinned IPv6 SYN without mapping (the original IPv6 bytes)
	holdFrag             // a fragment before its first fragment
)

// natAddrs is what the address step decided for a packet in NAT64 mode.
type natAddrs struct {
	on      bool   // the state translated the packet: port below to be written
	err     bool   // an ICMP error whose quoted packet goes through the state (icmpError46/64 take the address from it)
	at      uint8  // offset in l4 of the port to write: 0 source, 2 destination, 4 ICMP identifier
	port    uint16 // the translated port (or identifier)
	handoff bool   // another worker's table owns the packet (owner)
	owner   uint16
	hold    uint8 // holdSYN, holdHairpinSYN, holdFrag: keep the frame (its tuple or key in natState.pend)
	stop    bool  // handoff or hold: the pipeline ends after the address step (natStop)
}

// heldPkt describes one slot of the held store.
type heldPkt struct {
	kind  uint8 // holdNone = free
	in    Side
	n     int
	tuple nat64.Tuple4
	key   nat64.FragKey
}

// hairpinState carries the Inbound half of an RFC 6146 3.8 hairpin from
// the 6 -> 4 address step to the 4 -> 6 one of the same packet.
type hairpinState struct {
	ok      bool
	handoff bool // the destination's state is another worker's: hand the IPv4 packet over
	owner   uint16
	dst6    [16]byte
	port    uint16
}

// natState is a Translator's NAT64 part: the worker's own table and index,
// and the store of packets the table told it to hold.
type natState struct {
	tab     *nat64.Table
	worker  int
	held    []heldPkt
	bytes   []byte // heldSlots x heldSlotSize
	nheld   int
	notices []nat64.Notice
	release [maxRelease]nat64.FragKey
	nrel    int
	hp      hairpinState
	pend    heldPkt           // the tuple or key of the packet the address step decided to hold
	pf6     [Size]nat64.Flow6 // prefetch64's keys
	pf4     [Size]nat64.Flow4
	noPF    bool // prefetch64 off (benchmarks compare)
}

// SetNAT64 gives the Translator its worker's NAT64 table and worker index
// (Plan.Owner6 / Owner4 name workers by it). nil = no NAT64: packets that
// would need the state are dropped with ReasonNAT64NoTable. Call it
// between vectors, from the goroutine that runs the Translator. The held
// store is allocated here, once; packets held for a previous table are
// forgotten.
//
// In NAT64 mode Translate's now is handed to the table unchanged: give
// Translate the clock NewTable was given (Unix nanoseconds).
func (t *Translator) SetNAT64(tab *nat64.Table, worker int) {
	t.nat.tab = tab
	t.nat.worker = worker
	if t.nat.held == nil {
		t.nat.held = make([]heldPkt, heldSlots)
		t.nat.bytes = make([]byte, heldSlots*heldSlotSize)
		t.nat.notices = make([]nat64.Notice, 0, maxNotices)
	}
	clear(t.nat.held)
	t.nat.nheld, t.nat.nrel = 0, 0
	t.nat.hp = hairpinState{}
}

// prefetch64 is the pre-pass of a vector in NAT64 mode: it reads just
// enough of each frame (IP version, protocol, addresses, ports: no
// extension headers, no fragments, no ICMP errors, no checks) to name the
// state the address step will look up, and has the table bring that into
// the caches (nat64.Table.Prefetch6/Prefetch4: the misses of the vector
// overlap instead of coming one per packet). A wrong guess only costs a
// useless load: nothing here decides anything.
func (t *Translator) prefetch64(v *Vector) {
	n6, n4 := 0, 0
	m := t.cfg.Map
	for i := 0; i < v.N; i++ {
		f := &v.Frames[i]
		if f.Len < header.EthernetLen+header.IPv6Len || f.Off < 0 || f.Off+f.Len > len(f.Buf) {
			continue
		}
		b := f.Buf[f.Off+header.EthernetLen : f.Off+f.Len]
		switch header.Ethernet(f.Buf[f.Off:]).Type() {
		case header.EtherTypeIPv6:
			proto := b[6]
			p, ok := natProto(proto)
			if !ok || proto == header.ProtoICMP {
				continue
			}
			var dst4 [4]byte
			if m.To4Pool6((*[16]byte)(b[24:40]), &dst4) != mapping.OK {
				continue
			}
			sport, dport, _, ok := natPorts(proto, b[header.IPv6Len:])
			if !ok || proto == header.ProtoICMPv6 && b[header.IPv6Len] != 128 {
				continue
			}
			t.nat.pf6[n6] = nat64.Flow6{Proto: p, SPort: sport, DPort: dport, Src6: [16]byte(b[8:24]), Dst4: dst4}
			n6++
		case header.EtherTypeIPv4:
			ihl := int(b[0]&0xf) * 4
			proto := b[9]
			p, ok := natProto(proto)
			if !ok || proto == header.ProtoICMPv6 || ihl < 20 || ihl+8 > len(b) || binary.BigEndian.Uint16(b[6:])&0x1fff != 0 {
				continue
			}
			sport, dport, _, ok := natPorts(proto, b[ihl:])
			if !ok || proto == header.ProtoICMP && b[ihl] != 0 {
				continue
			}
			t.nat.pf4[n4] = nat64.Flow4{Proto: p, SPort: sport, DPort: dport, Src4: [4]byte(b[12:16]), Dst4: [4]byte(b[16:20])}
			n4++
		}
	}
	if n6 > 0 {
		t.nat.tab.Prefetch6(t.nat.pf6[:n6])
	}
	if n4 > 0 {
		t.nat.tab.Prefetch4(t.nat.pf4[:n4])
	}
}

// SetNAT64Prefetch turns the NAT64 pre-pass (prefetch64) on or off; it is
// on by default. For benchmarks.
func (t *Translator) SetNAT64Prefetch(on bool) { t.nat.noPF = !on }

// natProto is the nat64 protocol of an upper-layer protocol number.
func natProto(p uint8) (nat64.Proto, bool) {
	switch p {
	case header.ProtoTCP:
		return nat64.ProtoTCP, true
	case header.ProtoUDP:
		return nat64.ProtoUDP, true
	case header.ProtoICMP, header.ProtoICMPv6:
		return nat64.ProtoICMP, true
	}
	return 0, false
}

// natPorts reads the ports of l4 (ICMP: the identifier, as both) and the
// TCP flags; false when l4 is too short to hold them.
func natPorts(proto uint8, l4 []byte) (sport, dport uint16, flags nat64.TCPFlags, ok bool) {
	switch proto {
	case header.ProtoTCP:
		if len(l4) < 14 {
			return 0, 0, 0, false
		}
		flags = nat64.TCPFlags(l4[13]) & (nat64.FIN | nat64.SYN | nat64.RST | nat64.ACK)
	case header.ProtoICMP, header.ProtoICMPv6:
		if len(l4) < 6 {
			return 0, 0, 0, false
		}
		id := binary.BigEndian.Uint16(l4[4:])
		return id, id, 0, true
	}
	if len(l4) < 4 {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint16(l4[0:]), binary.BigEndian.Uint16(l4[2:]), flags, true
}

// portAt is where the port of the given side (0 source, 2 destination)
// is in the L4 header of proto: ICMP queries carry one identifier at 4.
func portAt(proto uint8, side uint8) uint8 {
	if proto == header.ProtoICMP || proto == header.ProtoICMPv6 {
		return 4
	}
	return side
}

// rewrite writes the translated port (if the state gave one) into l4;
// see rewritePort. Small enough to be inlined into the SIIT fast path.
func (n *natAddrs) rewrite(proto uint8, l4 []byte, adjust bool) {
	if n.on {
		n.rewritePort(proto, l4, adjust)
	}
}

// rewritePort writes the translated port into l4 and, with adjust, updates the
// L4 checksum for it (RFC 1624), so that a wrong checksum stays wrong by
// the same amount; a UDP checksum of 0 ("none") is left alone. Without
// adjust the caller recomputes the checksum afterwards.
func (n *natAddrs) rewritePort(proto uint8, l4 []byte, adjust bool) {
	at := int(n.at)
	if len(l4) < at+2 {
		return
	}
	old := binary.BigEndian.Uint16(l4[at:])
	binary.BigEndian.PutUint16(l4[at:], n.port)
	if !adjust || old == n.port {
		return
	}
	c := header.ICMPCsum
	switch proto {
	case header.ProtoTCP:
		c = header.TCPCsum
	case header.ProtoUDP:
		c = header.UDPCsum
	}
	if len(l4) < c+2 {
		return
	}
	f := binary.BigEndian.Uint16(l4[c:])
	if proto == header.ProtoUDP && f == 0 {
		return
	}
	f = checksum.Adjust(f, old, n.port)
	if f == 0 && proto == header.ProtoUDP {
		f = 0xffff // the same value in one's complement; 0 would mean "none"
	}
	binary.BigEndian.PutUint16(l4[c:], f)
}

// natReason is the drop reason of a nat64.Result other than OK and the
// holds.
func natReason(r nat64.Result) Reason {
	switch r {
	case nat64.NoMapping:
		return ReasonNAT64NoMapping
	case nat64.Filtered:
		return ReasonNAT64Filtered
	case nat64.QuotaPorts:
		return ReasonNAT64QuotaPorts
	case nat64.QuotaSessions:
		return ReasonNAT64QuotaSessions
	case nat64.TableFull:
		return ReasonNAT64TableFull
	case nat64.PoolExhausted:
		return ReasonNAT64PoolExhausted
	case nat64.NotSubscriber:
		return ReasonNAT64NotSubscriber
	case nat64.FragUnmatched:
		return ReasonNAT64FragUnmatched
	}
	return ReasonNAT64Unsupported
}

// stateful6 reports whether, NAT64 being configured, an IPv6 packet whose
// destination went through the mapping table goes through the state:
// neither address is covered by the EAMT (an EAM keeps SIIT semantics for
// its hosts, RFC 7757 beside RFC 6146).
func (t *Translator) stateful6(m *mapping.Table, src6, dst6 *[16]byte) bool {
	return len(m.EAMs()) == 0 || !m.InEAMT6(dst6) && !m.InEAMT6(src6)
}

// checkL4 refuses, before any state is created, a first fragment or whole
// packet whose transport header NAT64 reads is missing or malformed, or
// that the policy step would drop anyway (a fragmented ICMP message; an
// IPv4 first fragment that is not a multiple of 8 bytes): the state must
// not keep what never goes through. more: a first fragment (MF set).
func checkL4(proto uint8, l4 []byte, more, v4 bool) Reason {
	if more {
		if proto == header.ProtoICMP || proto == header.ProtoICMPv6 {
			return ReasonICMPFragmented
		}
		if v4 && len(l4)&7 != 0 {
			return ReasonBadFragment
		}
	}
	switch proto {
	case header.ProtoTCP:
		if len(l4) < header.TCPMinLen {
			return ReasonBadL4Header
		}
	case header.ProtoUDP:
		if len(l4) < header.UDPLen {
			return ReasonBadL4Header
		}
		if udpBadLength(int(binary.BigEndian.Uint16(l4[header.UDPLength:])), len(l4), more) {
			return ReasonUDPBadLength
		}
	case header.ProtoICMP:
		if len(l4) < header.ICMPLen {
			return ReasonBadL4Header
		}
		if typ := header.ICMPv4Type(l4[header.ICMPType]); typ != header.ICMPv4Echo && typ != header.ICMPv4EchoReply {
			return ReasonICMPUntranslatable
		}
	case header.ProtoICMPv6:
		if len(l4) < header.ICMPLen {
			return ReasonBadL4Header
		}
		if typ := header.ICMPv6Type(l4[header.ICMPType]); typ != header.ICMPv6EchoRequest && typ != header.ICMPv6EchoReply {
			return ReasonICMPUntranslatable
		}
	}
	return ReasonNone
}

// --- 6 -> 4 --------------------------------------------------------------------

// nat64Out is the NAT64 address step of an IPv6 packet (a.dst4 already
// extracted from pool6): Outbound on the owner's table (RFC 6146 3.5),
// and, when the destination is a pool4 address, the Inbound half of
// hairpinning (RFC 6146 3.8).
func (t *Translator) nat64Out(a *addrs64) Reason {
	tab := t.nat.tab
	if tab == nil {
		return ReasonNAT64NoTable
	}
	if a.icmpErr {
		// The quoted packet decides owner, state and source (icmpError64).
		a.nat.err = true
		return ReasonNone
	}
	p, ok := natProto(a.proto)
	if !ok {
		return ReasonNAT64Unsupported
	}
	plan := t.cfg.NAT64
	if o := plan.Owner6(*a.src6); o != t.nat.worker {
		a.nat.handoff, a.nat.owner, a.nat.stop = true, uint16(o), true
		return ReasonNone
	}
	if !a.first {
		// RFC 6146 section 4: later fragments carry no ports; they take
		// the source of their first fragment.
		k := nat64.FragKey{Src: *a.src6, Dst: *a.dst6, ID: a.fragID, Proto: p}
		addr, r := tab.FragNext(t.now, k)
		switch r {
		case nat64.OK:
			a.src4 = [4]byte(addr[:4])
			if plan.InPool4(a.dst4) {
				return ReasonNAT64Unsupported // hairpinned fragments: see DESIGN.md
			}
			return ReasonNone
		case nat64.HoldFrag:
			a.nat.hold, a.nat.stop, t.nat.pend.key = holdFrag, true, k
			return ReasonNone
		}
		return natReason(r)
	}
	if r := checkL4(a.proto, a.l4, a.frag, false); r != ReasonNone {
		return r
	}
	hairpin := plan.InPool4(a.dst4)
	if hairpin && (a.frag || p == nat64.ProtoICMP) {
		// An ICMP identifier names the sender's mapping only, and
		// fragments would need the pair of fragment tables: not done,
		// and refused before the state is touched.
		return ReasonNAT64Unsupported
	}
	sport, dport, flags, _ := natPorts(a.proto, a.l4)
	src4, sport4, r := tab.Outbound(t.now, p, *a.src6, sport, a.dst4, dport, flags)
	if r != nat64.OK {
		return natReason(r)
	}
	a.src4 = src4
	a.nat.on, a.nat.at, a.nat.port = true, portAt(a.proto, 0), sport4
	if a.frag {
		k := nat64.FragKey{Src: *a.src6, Dst: *a.dst6, ID: a.fragID, Proto: p}
		var addr [16]byte
		copy(addr[:], src4[:])
		if held, ok := tab.FragFirst(t.now, k, addr); ok && held > 0 {
			t.queueRelease(k)
		}
	}
	if hairpin {
		return t.hairpinOut(a, p, sport4, dport, flags)
	}
	return ReasonNone
}

// hairpinOut is the second half of RFC 6146 section 3.8 hairpinning: the
// translated packet, from (a.src4, sport4) to the pool4 (a.dst4, dport),
// goes through Inbound on the destination's table. On this worker the
// result waits in t.nat.hp for translate46 (hairpin64); on another one the
// IPv4 packet is handed over (hairpin64) and translated there as if it had
// come from the IPv4 side.
func (t *Translator) hairpinOut(a *addrs64, p nat64.Proto, sport4, dport uint16, flags nat64.TCPFlags) Reason {
	a.hairpin = true
	plan := t.cfg.NAT64
	if o := plan.Owner4(p, a.dst4, dport); o != t.nat.worker {
		t.nat.hp = hairpinState{handoff: true, owner: uint16(o)}
		return ReasonNone
	}
	dst6, dport6, r := t.nat.tab.Inbound(t.now, p, a.src4, sport4, a.dst4, dport, flags)
	switch r {
	case nat64.OK:
		t.nat.hp = hairpinState{ok: true, dst6: dst6, port: dport6}
		return ReasonNone
	case nat64.HoldSYN:
		a.nat.hold, a.nat.stop = holdHairpinSYN, true
		t.nat.pend.tuple = nat64.Tuple4{Proto: nat64.ProtoTCP, Src: a.src4, Dst: a.dst4, SrcPort: sport4, DstPort: dport}
		return ReasonNone
	}
	return natReason(r)
}

// nat64Inner64 is the NAT64 address step of the packet inside an ICMPv6
// error: it went 4 -> 6, from pool6(Z):z to X':x, and is looked up as
// LookupOutbound(p, X', x, Z, z), never creating state (RFC 6146 3.5.4).
// Its destination becomes the pool4 (T, t), which is also the outer
// source.
func (t *Translator) nat64Inner64(a *addrs64) Reason {
	p, ok := natProto(a.proto)
	if !ok {
		return ReasonNAT64Unsupported
	}
	z, x, _, ok := natPorts(a.proto, a.l4)
	if !ok || !a.first {
		return ReasonICMPBadInner
	}
	plan := t.cfg.NAT64
	if o := plan.Owner6(*a.dst6); o != t.nat.worker {
		a.nat.handoff, a.nat.owner, a.nat.stop = true, uint16(o), true
		return ReasonNone
	}
	m := t.cfg.Map
	if r := m.To4(a.src6, &a.src4); r != mapping.OK {
		return mapReason6(r)
	}
	src4, port, found := t.nat.tab.LookupOutbound(p, *a.dst6, x, a.src4, z)
	if !found {
		return ReasonNAT64NoMapping
	}
	a.dst4 = src4
	a.nat.on, a.nat.at, a.nat.port = true, portAt(a.proto, 2), port
	a.hairpin = plan.InPool4(a.src4)
	return ReasonNone
}

// --- 4 -> 6 --------------------------------------------------------------------

// nat64In is the NAT64 address step of an IPv4 packet to a pool4 address:
// the source from pool6 (RFC 6052), the destination from Inbound on the
// owner's table (RFC 6146 3.5). While hairpinning, Inbound already ran in
// the 6 -> 4 half (hairpinOut).
func (t *Translator) nat64In(a *addrs46) Reason {
	tab := t.nat.tab
	if tab == nil {
		return ReasonNAT64NoTable
	}
	m := t.cfg.Map
	if r := m.To6Pool6(&a.src4, &a.src6); r != mapping.OK && !(a.icmpErr && t.rfc6791Src(&a.src6)) {
		return mapReason(r)
	}
	if a.icmpErr {
		// The quoted packet decides owner, state and destination
		// (icmpError46).
		a.nat.err = true
		return ReasonNone
	}
	p, ok := natProto(a.proto)
	if !ok {
		return ReasonNAT64Unsupported
	}
	if t.hairpin {
		hp := t.nat.hp
		if !hp.ok {
			return ReasonNAT64NoMapping
		}
		a.dst6 = hp.dst6
		a.nat.on, a.nat.at, a.nat.port = true, portAt(a.proto, 2), hp.port
		return ReasonNone
	}
	if !a.first {
		// Later fragments carry no port to find their owner by: they are
		// matched on the worker that receives them (DESIGN.md).
		k := nat64.FragKey{ID: uint32(a.id), Proto: p, V4: true}
		copy(k.Src[:], a.src4[:])
		copy(k.Dst[:], a.dst4[:])
		addr, r := tab.FragNext(t.now, k)
		switch r {
		case nat64.OK:
			a.dst6 = addr
			return ReasonNone
		case nat64.HoldFrag:
			a.nat.hold, a.nat.stop, t.nat.pend.key = holdFrag, true, k
			return ReasonNone
		}
		return natReason(r)
	}
	frag := a.mf || a.fragOff != 0
	if r := checkL4(a.proto, a.l4, frag, true); r != ReasonNone {
		return r
	}
	sport, dport, flags, _ := natPorts(a.proto, a.l4)
	if o := t.cfg.NAT64.Owner4(p, a.dst4, dport); o != t.nat.worker {
		a.nat.handoff, a.nat.owner, a.nat.stop = true, uint16(o), true
		return ReasonNone
	}
	dst6, dport6, r := tab.Inbound(t.now, p, a.src4, sport, a.dst4, dport, flags)
	switch r {
	case nat64.OK:
	case nat64.HoldSYN:
		if t.cfg.NAT64.InPool4(a.src4) {
			// The second half of a hairpin another worker handed over
			// (hairpin64): its sender is on the IPv6 side, behind that
			// worker, and there is no IPv4 host to answer later.
			return ReasonNAT64NoMapping
		}
		a.nat.hold, a.nat.stop = holdSYN, true
		t.nat.pend.tuple = nat64.Tuple4{Proto: nat64.ProtoTCP, Src: a.src4, Dst: a.dst4, SrcPort: sport, DstPort: dport}
		return ReasonNone
	default:
		return natReason(r)
	}
	a.dst6 = dst6
	a.nat.on, a.nat.at, a.nat.port = true, portAt(a.proto, 2), dport6
	if frag {
		k := nat64.FragKey{ID: uint32(a.id), Proto: p, V4: true}
		copy(k.Src[:], a.src4[:])
		copy(k.Dst[:], a.dst4[:])
		if held, ok := tab.FragFirst(t.now, k, dst6); ok && held > 0 {
			t.queueRelease(k)
		}
	}
	return ReasonNone
}

// nat64Inner46 is the NAT64 address step of the packet inside an ICMPv4
// error: it went 6 -> 4, from the pool4 (T, t) to (Z, z), and is looked
// up as LookupInbound(p, Z, z, T, t), never creating state (RFC 6146
// 3.5.4). Its source becomes X':x, which is also the outer destination;
// its destination is Z under pool6.
func (t *Translator) nat64Inner46(a *addrs46) Reason {
	p, ok := natProto(a.proto)
	if !ok {
		return ReasonNAT64Unsupported
	}
	tp, zp, _, ok := natPorts(a.proto, a.l4)
	if !ok || !a.first {
		return ReasonICMPBadInner
	}
	if o := t.cfg.NAT64.Owner4(p, a.src4, tp); o != t.nat.worker {
		a.nat.handoff, a.nat.owner, a.nat.stop = true, uint16(o), true
		return ReasonNone
	}
	dst6, port, found := t.nat.tab.LookupInbound(p, a.dst4, zp, a.src4, tp)
	if !found {
		return ReasonNAT64NoMapping
	}
	a.src6 = dst6
	a.nat.on, a.nat.at, a.nat.port = true, portAt(a.proto, 0), port
	if r := t.cfg.Map.To6Pool6(&a.dst4, &a.dst6); r != mapping.OK {
		return mapReason(r)
	}
	return ReasonNone
}

// --- refusals, hand-off, the held store ---------------------------------------

// refuseNAT64 answers the refusals of the state that RFC 6146 answers:
// "If it is not possible to allocate an appropriate IPv4 transport address
// or create a BIB entry, then the packet is discarded. The NAT64 SHOULD
// send an ICMPv6 Destination Unreachable error message with Code 3
// (Address Unreachable)" (sections 3.5.1.1 and 3.5.2.2); a source outside
// nat64.subscribers gets Code 5, "Source address failed ingress/egress
// policy" (RFC 4443 3.1). It reports whether r was one of them.
func (t *Translator) refuseNAT64(f *Frame, x *pkt64, r Reason) bool {
	switch r {
	case ReasonNAT64QuotaPorts, ReasonNAT64QuotaSessions, ReasonNAT64TableFull, ReasonNAT64PoolExhausted:
		t.icmp6Error(f, header.ICMPv6DstUnreachable, header.ICMPv6AddressUnreachable, 0, r, x.proto == header.ProtoICMPv6 && x.icmpErr)
	case ReasonNAT64NotSubscriber:
		t.icmp6Error(f, header.ICMPv6DstUnreachable, header.ICMPv6SourcePolicy, 0, r, x.proto == header.ProtoICMPv6 && x.icmpErr)
	default:
		return false
	}
	return true
}

// natStop ends the pipeline of a packet the address step handed off or
// decided to hold.
func (t *Translator) natStop(f *Frame, n *natAddrs) {
	if n.handoff {
		t.handoff(f, n.owner)
		return
	}
	t.hold(f, n)
}

// handoff gives f, untouched, to the worker whose table owns it.
func (t *Translator) handoff(f *Frame, owner uint16) {
	f.Verdict = Handoff
	f.Owner = owner
}

// hold copies f into the held store (the table holds its tuple or key,
// t.nat.pend) and marks it dropped with ReasonNAT64Held; a retransmitted
// SYN replaces the bytes kept for it.
func (t *Translator) hold(f *Frame, n *natAddrs) {
	p := &t.nat.pend
	s := t.nat.held
	free := -1
	for i := range s {
		if s[i].kind == holdNone {
			if free < 0 {
				free = i
			}
			continue
		}
		if n.hold != holdFrag && s[i].kind == n.hold && s[i].tuple == p.tuple {
			free = i
			break
		}
	}
	if free < 0 || f.Len > heldSlotSize {
		t.drop(f, ReasonNAT64HeldFull)
		return
	}
	if s[free].kind == holdNone {
		t.nat.nheld++
	}
	s[free] = heldPkt{kind: n.hold, in: f.In, n: f.Len, tuple: p.tuple, key: p.key}
	copy(t.nat.bytes[free*heldSlotSize:], f.Bytes())
	t.drop(f, ReasonNAT64Held)
}

// queueRelease notes that fragments held for k may now be translated
// (after the current frame, releaseHeld).
func (t *Translator) queueRelease(k nat64.FragKey) {
	if t.nat.nrel < maxRelease {
		t.nat.release[t.nat.nrel] = k
		t.nat.nrel++
	}
}

// releaseHeld translates the fragments held for the keys queued by
// queueRelease, each in a buffer from the Allocator appended to v.Extra.
func (t *Translator) releaseHeld() {
	for r := 0; r < t.nat.nrel; r++ {
		k := t.nat.release[r]
		for i := range t.nat.held {
			h := &t.nat.held[i]
			if h.kind != holdFrag || h.key != k {
				continue
			}
			if e := t.unhold(i); e != nil {
				// Counted with the other extra frames by Translate.
				if header.Ethernet(e.Bytes()).Type() == header.EtherTypeIPv4 {
					t.translate46(e)
				} else {
					t.translate64(e)
				}
				t.Counters.Events[EvNAT64HeldReleased]++
			}
		}
	}
	t.nat.nrel = 0
}

// unhold frees slot i and returns its packet as a new frame of v.Extra in
// an Allocator buffer, or nil (counted as no_buffer) when there is none.
func (t *Translator) unhold(i int) *Frame {
	h := &t.nat.held[i]
	n, in := h.n, h.in
	h.kind = holdNone
	t.nat.nheld--
	var buf []byte
	if t.alloc != nil && t.v.NExtra < ExtraSize {
		buf = t.alloc.Get()
	}
	if len(buf) < Headroom+n {
		t.Counters.Verdicts[Drop]++
		t.Counters.Drops[ReasonNoBuffer]++
		return nil
	}
	copy(buf[Headroom:], t.nat.bytes[i*heldSlotSize:i*heldSlotSize+n])
	e := &t.v.Extra[t.v.NExtra]
	t.v.NExtra++
	*e = Frame{Buf: buf, Off: Headroom, Len: n, In: in}
	return e
}

// housekeeping64 runs once per Translate call in NAT64 mode: the table's
// expiry (a bounded amount of work) and the notices that end held
// packets. Held SYNs whose time ran out are answered with ICMPv4 port
// unreachable (RFC 6146 3.5.2.2: "If the lifetime expires, an ICMP Port
// Unreachable error (Type 3, Code 3) containing the IPv4 SYN packet stored
// is sent back to the source of the v4 SYN"), hairpinned ones with its ICMPv6
// counterpart 1/4 to the IPv6 sender; SYNs met by an outbound SYN are
// dropped silently; expired fragments are dropped.
func (t *Translator) housekeeping64() {
	tab := t.nat.tab
	tab.Expire(t.now, expireBudget)
	// Notices not handled last time (Extra was full) come first.
	ns := tab.Notices(t.nat.notices)
	i := 0
	for ; i < len(ns); i++ {
		n := &ns[i]
		if n.Kind == nat64.SYNUnreachable && t.v.NExtra >= ExtraSize {
			break // no room for the answer in this vector: next call
		}
		switch n.Kind {
		case nat64.SYNUnreachable, nat64.SYNDiscard:
			for j := range t.nat.held {
				h := &t.nat.held[j]
				if (h.kind != holdSYN && h.kind != holdHairpinSYN) || h.tuple != n.Tuple4 {
					continue
				}
				if n.Kind == nat64.SYNDiscard {
					h.kind = holdNone
					t.nat.nheld--
					t.Counters.Events[EvNAT64SYNDiscarded]++
					break
				}
				hairpin := h.kind == holdHairpinSYN
				t.Counters.Events[EvNAT64SYNUnreachable]++
				if e := t.unhold(j); e != nil {
					t.answerSYN(e, hairpin)
				}
				break
			}
		case nat64.FragExpired:
			for j := range t.nat.held {
				h := &t.nat.held[j]
				if h.kind == holdFrag && h.key == n.Frag {
					h.kind = holdNone
					t.nat.nheld--
					t.Counters.Drops[ReasonNAT64FragExpired]++
					t.Counters.Verdicts[Drop]++
				}
			}
		}
	}
	t.nat.notices = ns[:copy(ns, ns[i:])]
}

// answerSYN turns the held SYN in e into its ICMP error: port unreachable
// for an IPv4 SYN, 1/4 for a hairpinned IPv6 one. Translate counts e's
// verdict with the other extra frames.
func (t *Translator) answerSYN(e *Frame, hairpin bool) {
	if hairpin {
		var x pkt64
		if r := parse64(e, &x); r != ReasonNone {
			t.drop(e, r)
			return
		}
		t.icmp6Error(e, header.ICMPv6DstUnreachable, header.ICMPv6PortUnreachable, 0, ReasonNAT64NoMapping, false)
		return
	}
	var x pkt46
	if r := parse46(e, &x); r != ReasonNone {
		t.drop(e, r)
		return
	}
	t.error4(e, &x, header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, 0, ReasonNAT64NoMapping)
}

// HeldPackets is the number of packets in the NAT64 held store.
func (t *Translator) HeldPackets() int { return t.nat.nheld }
