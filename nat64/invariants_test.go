package nat64

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// checkInvariants: every session has its BIB entry, every port in use
// belongs to exactly one subscriber's block (and one BIB entry), counters
// agree with table sizes, indexes hold exactly the live entries.
func checkInvariants(t testing.TB, tb *Table) {
	t.Helper()
	p := tb.p
	nsess := map[uint32]int{}
	subSess := map[uint32]int{}
	sessN := 0
	for i := range tb.sess {
		s := &tb.sess[i]
		if s.bib == 0 {
			continue
		}
		sessN++
		e := &tb.bib[s.bib-1]
		if !e.used() {
			t.Fatalf("session %d: BIB entry %d is free", i, s.bib-1)
		}
		nsess[s.bib]++
		if sv := tb.subOf(e); sv != 0 {
			subSess[sv]++
		}
		// The sweep: a session outside the running pass expires no
		// earlier than the sweep's earliest expiry, so a pass starts in
		// time for it.
		w := &tb.sweep
		if !(w.on && uint32(i) >= w.pos && uint32(i) < w.end) && (!w.dueSet || int32(s.expire-w.due) < 0) {
			t.Fatalf("session %d expires at %d, sweep due %d (set %v) pass %v [%d, %d)", i, s.expire, w.due, w.dueSet, w.on, w.pos, w.end)
		}
		if tb.findSess(tb.hashSess(s.bib, s.remote, s.rport), s.bib, s.remote, s.rport) != uint32(i+1) {
			t.Fatalf("session %d not indexed", i)
		}
	}
	if sessN != tb.sessN {
		t.Fatalf("%d sessions, counter %d", sessN, tb.sessN)
	}
	bibN := 0
	portsUsed := map[[3]int]uint32{} // proto, global block, offset -> bib
	for i := range tb.bib {
		e := &tb.bib[i]
		if !e.used() {
			continue
		}
		bibN++
		b := uint32(i + 1)
		l := int(tb.bibSessions(b))
		if (e.nsess == manySess) != (tb.manySess[b] != 0) || e.nsess == manySess && l < manySess {
			t.Fatalf("BIB %d: count %d, in the map %d", i, e.nsess, tb.manySess[b])
		}
		if tb.bibHead != nil { // address-dependent filtering's lists
			k := 0
			for s := tb.bibHead[i]; s != 0; s = tb.sessNext[s-1] {
				if tb.sess[s-1].bib != b {
					t.Fatalf("BIB %d: session %d of BIB %d on its list", i, s-1, tb.sess[s-1].bib-1)
				}
				k++
			}
			if k != l {
				t.Fatalf("BIB %d: list %d, count %d", i, k, l)
			}
		}
		if l != nsess[b] || (nsess[b] == 0 && !e.static) {
			t.Fatalf("BIB %d: count %d, %d sessions, static %v", i, l, nsess[b], e.static)
		}
		if tb.findBIB6(tb.hash6(e.proto, e.addr6, e.port6), e.proto, e.addr6, e.port6) != b ||
			tb.findBIB4(tb.hash4(e.proto, e.addr4, e.port4), e.proto, e.addr4, e.port4) != b {
			t.Fatalf("BIB %d not indexed", i)
		}
		if e.static {
			continue
		}
		ai, _ := p.addrIndex(e.addr4)
		off := int(e.port4 - p.portLo)
		g := ai*p.bpa + off/p.bs
		k := [3]int{pidx(e.proto), g, off % p.bs}
		if _, dup := portsUsed[k]; dup {
			t.Fatalf("port %d used twice", e.port4)
		}
		portsUsed[k] = b
		ab := tb.blockState[tb.localBlock(g)]
		if ab == 0 {
			t.Fatalf("BIB %d: port %v:%d not in an active block", i, netip.AddrFrom4(e.addr4), e.port4)
		}
		// The block's holder is the entry's subscriber (subOf).
		sv := tb.blocks[ab-1].sub + 1
		if s := &tb.subs[sv-1]; !s.used || s.hi != func() uint64 { h, _ := p.subscriberKey(e.addr6); return h }() ||
			s.lo != func() uint64 { _, l := p.subscriberKey(e.addr6); return l }() {
			t.Fatalf("BIB %d: subscriber mismatch", i)
		}
	}
	if bibN != tb.bibN || count(tb.bib6.s) != bibN || count(tb.bib4.s) != bibN {
		t.Fatalf("BIB %d, counter %d, indexes %d %d", bibN, tb.bibN, count(tb.bib6.s), count(tb.bib4.s))
	}
	// blocks and bitmaps
	bits := 0
	blocks := 0
	for g := 0; g < p.addrs*p.bpa; g++ {
		if p.blockOwner(g) != tb.worker {
			continue
		}
		ab := tb.blockState[tb.localBlock(g)]
		if ab == 0 {
			continue
		}
		blocks++
		blk := &tb.blocks[ab-1]
		if int(blk.global) != g {
			t.Fatalf("block %d: global %d", g, blk.global)
		}
		for pi := 0; pi < 3; pi++ {
			c := 0
			for _, w := range tb.bitmap[(int(ab-1)*3+pi)*p.wpb : (int(ab-1)*3+pi+1)*p.wpb] {
				c += popcount(w)
			}
			if c != int(blk.used[pi]) {
				t.Fatalf("block %d proto %d: %d bits, used %d", g, pi, c, blk.used[pi])
			}
			bits += c
		}
		if blk.used == [3]uint16{} {
			t.Fatalf("empty block %d kept", g)
		}
	}
	if bits != len(portsUsed) || blocks != tb.blockN {
		t.Fatalf("%d ports in bitmaps, %d BIB entries; %d blocks, counter %d", bits, len(portsUsed), blocks, tb.blockN)
	}
	subN := 0
	nb := 0
	for i := range tb.subs {
		s := &tb.subs[i]
		if !s.used {
			continue
		}
		subN++
		if int(s.nsess) != subSess[uint32(i+1)] {
			t.Fatalf("subscriber %d: nsess %d, %d sessions", i, s.nsess, subSess[uint32(i+1)])
		}
		l := 0
		for b := s.first; b != 0; b = tb.blocks[b-1].nextInSub {
			l++
			if tb.blocks[b-1].sub != uint32(i) || int(tb.blocks[b-1].global)/p.bpa != int(s.addr)-1 {
				t.Fatalf("subscriber %d: block %d not its own or on another address", i, b-1)
			}
		}
		nb += l
		if l != int(s.nblocks) || l == 0 || (p.maxBlocks < l) {
			t.Fatalf("subscriber %d: %d blocks, nblocks %d", i, l, s.nblocks)
		}
	}
	if subN != tb.subN || count(tb.subTab.s) != subN || nb != blocks {
		t.Fatalf("subscribers %d counter %d index %d; blocks %d vs %d", subN, tb.subN, count(tb.subTab.s), nb, blocks)
	}
}

func count(s []uint32) int {
	c := 0
	for _, v := range s {
		if v != 0 {
			c++
		}
	}
	return c
}

func popcount(w uint64) int { return bits.OnesCount64(w) }

func detConfig() nat64conf.NAT64 {
	c := testConfig()
	c.Static = nil
	c.Deterministic = true
	c.SubscriberPrefixLength = 56
	c.Subscribers = []netip.Prefix{netip.MustParsePrefix("2001:db8:a00::/54"), netip.MustParsePrefix("2001:db8:b00::/52")}
	// 4 addresses x (1024 / 256) ranges = 16 ranges; 4 + 16 = 20 subscribers: too many
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/29")} // 8 x 4 = 32 ranges
	return c
}

func TestDeterministicBothWays(t *testing.T) {
	c := detConfig()
	p, err := NewPlan(&c, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[DetRange]bool{}
	for _, pf := range c.Subscribers {
		n := 1 << (56 - pf.Bits())
		for i := 0; i < n; i++ {
			a := pf.Addr().As16()
			v := binary.BigEndian.Uint64(a[:8]) | uint64(i)<<8
			binary.BigEndian.PutUint64(a[:8], v)
			a[15] = 0x42 // a host inside the /56
			r, ok := p.DetForward(netip.AddrFrom16(a))
			if !ok || r.PortHi-r.PortLo != 255 || !r.Subscriber.Contains(netip.AddrFrom16(a)) || r.Subscriber.Bits() != 56 {
				t.Fatalf("forward %v: %+v %v", netip.AddrFrom16(a), r, ok)
			}
			if seen[r] {
				t.Fatalf("range given twice: %+v", r)
			}
			seen[r] = true
			for _, port := range []uint16{r.PortLo, r.PortLo + 100, r.PortHi} {
				back, ok := p.DetReverse(r.Addr4, port)
				if !ok || back != r {
					t.Fatalf("reverse %v:%d = %+v, want %+v", r.Addr4, port, back, r)
				}
			}
			// The owner of the subscriber owns its ports.
			if o6, o4 := p.Owner6(a), p.Owner4(ProtoUDP, r.Addr4.As4(), r.PortLo+7); o6 != o4 {
				t.Fatalf("owners %d vs %d", o6, o4)
			}
		}
	}
	// Ports beyond the last whole range of an address belong to nobody.
	c2 := detConfig()
	c2.Ports = nat64conf.PortRange{Lo: 1024, Hi: 2047 + 100}
	p2, _ := NewPlan(&c2, Options{Workers: 1})
	tb2 := NewTable(p2, 0, t0, nil)
	if _, ok := p2.DetReverse(netip.MustParseAddr("192.0.2.0"), 2047+50); ok {
		t.Fatal("port outside the ranges reversed")
	}
	if _, ok := tb2.PortHolder(netip.MustParseAddr("192.0.2.0"), 2047+50); ok {
		t.Fatal("port outside the ranges has a holder")
	}
	if _, ok := p.DetForward(netip.MustParseAddr("2001:db8:c00::1")); ok {
		t.Fatal("non-subscriber mapped")
	}
	if _, ok := p.DetReverse(netip.MustParseAddr("192.0.2.7"), 1024+4*256-1); ok {
		// 20 subscribers use ranges 0..19: address 7 (ranges 28..31) is unused
		t.Fatal("unused range mapped")
	}
}

func TestDeterministicTable(t *testing.T) {
	c := detConfig()
	tb, rec := newTable(t, c)
	src := a6("2001:db8:a00:200::1")
	r, _ := tb.p.DetForward(netip.AddrFrom16(src))
	for i := 0; i < 256; i++ {
		s4, p4, res := tb.Outbound(t0, ProtoUDP, src, uint16(1000+i), remote, 53, 0)
		if res != OK || netip.AddrFrom4(s4) != r.Addr4 || p4 < r.PortLo || p4 > r.PortHi {
			t.Fatalf("flow %d: %v %v:%d outside %+v", i, res, s4, p4, r)
		}
	}
	// Used up: refused, never spilled.
	if _, _, res := tb.Outbound(t0, ProtoUDP, src, 999, remote, 53, 0); res != QuotaPorts {
		t.Fatal(res)
	}
	if len(rec.ev) != 0 {
		t.Fatalf("deterministic mode logged %+v", rec.ev)
	}
	checkInvariants(t, tb)
}

func TestOwnersAcrossWorkers(t *testing.T) {
	c := testConfig()
	c.SubscriberPrefixLength = 64
	// 8 addresses, 128 blocks: each worker owns about 42, room for all 40
	// subscribers whatever the seed puts where (with the 64 blocks of /30
	// one worker got more subscribers than blocks in about 1% of runs).
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/29")}
	p, err := NewPlan(&c, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	tables := make([]*Table, 3)
	for w := range tables {
		tables[w] = NewTable(p, w, t0, nil)
	}
	for i := 0; i < 40; i++ {
		src := a6("2001:db8:1::1")
		src[6] = byte(i)
		w := p.Owner6(src)
		s4, p4, r := tables[w].Outbound(t0, ProtoUDP, src, 5000, remote, 53, 0)
		if r != OK {
			t.Fatal(r)
		}
		if o := p.Owner4(ProtoUDP, s4, p4); o != w {
			t.Fatalf("subscriber %d on worker %d, its port %d on worker %d", i, w, p4, o)
		}
		if d6, _, r := tables[p.Owner4(ProtoUDP, s4, p4)].Inbound(t0, ProtoUDP, remote, 53, s4, p4, 0); r != OK || d6 != src {
			t.Fatal(r)
		}
	}
	// Static entries: the owner of the IPv6 address has them, Owner4 finds it.
	st := a6("2001:db8::5")
	w := p.Owner6(st)
	if o := p.Owner4(ProtoTCP, a4("192.0.2.2"), 80); o != w {
		t.Fatal(o, w)
	}
	if _, _, r := tables[w].Inbound(t0, ProtoTCP, remote, 1234, a4("192.0.2.2"), 80, SYN); r != OK {
		t.Fatal(r)
	}
	for _, tb := range tables {
		checkInvariants(t, tb)
	}
}
