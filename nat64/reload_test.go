package nat64

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/nat64/natlog"
)

func TestReconfigured(t *testing.T) {
	c := testConfig()
	tb, _ := newTable(t, c)
	defer tb.Close()
	src4, sport4, r := tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
	if r != OK {
		t.Fatal(r)
	}
	// Shaping keys: refused, and named.
	c2 := c
	c2.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.4/30")}
	c2.PortBlockSize = 128
	if d := ShapingDiff(&c, &c2); !reflect.DeepEqual(d, []string{"nat64.port_block_size"}) {
		t.Errorf("ShapingDiff: %v", d)
	}
	c2.PortBlockSize = c.PortBlockSize
	if _, err := tb.p.Reconfigured(&c2); err == nil || !strings.Contains(err.Error(), "nat64.pool4[0]: 192.0.2.4/30 was not in nat64.pool4") {
		t.Errorf("Reconfigured of a pool4 with new addresses: %v", err)
	}
	// Timeouts: taken, live sessions shortened, owners kept.
	c3 := c
	c3.Timeouts.UDP = nat64conf.Duration(2 * time.Minute)
	c3.Filtering = "address-dependent"
	if d := ShapingDiff(&c, &c3); len(d) != 0 {
		t.Errorf("ShapingDiff of timeouts and filtering: %v", d)
	}
	q, err := tb.p.Reconfigured(&c3)
	if err != nil {
		t.Fatal(err)
	}
	if q.Owner6(host6) != tb.p.Owner6(host6) || q.seed != tb.p.seed {
		t.Fatal("owners or seeds changed")
	}
	now := t0 + sec(1)
	tb.SetPlan(q, now)
	if tb.Plan() != q {
		t.Fatal("SetPlan")
	}
	ss, _ := tb.Sessions(now, make([]SessionEntry, 0, 8), 0)
	if len(ss) != 1 || ss[0].Expires > 2*time.Minute || ss[0].Expires < 2*time.Minute-time.Second {
		t.Fatalf("sessions after SetPlan: %+v", ss)
	}
	// The session is still found both ways.
	if _, _, ok := tb.LookupInbound(ProtoUDP, remote, 53, src4, sport4); !ok {
		t.Fatal("mapping lost")
	}
	// Address-dependent filtering from now on, on the session lists built
	// from the live sessions: another address is refused, another port of
	// the same address admitted.
	if _, _, r := tb.Inbound(now, ProtoUDP, a4("198.51.100.99"), 53, src4, sport4, 0); r != Filtered {
		t.Fatalf("another address after the switch to address-dependent filtering: %v", r)
	}
	if _, _, r := tb.Inbound(now, ProtoUDP, remote, 54, src4, sport4, 0); r != OK {
		t.Fatalf("another port of the session's address: %v", r)
	}
	checkInvariants(t, tb)
	// Expiry follows the new timeout.
	tb.Expire(now+sec(125), 1<<20)
	if s, _, _, _ := tb.Len(); s != 0 {
		t.Fatalf("%d sessions left after the new udp timeout", s)
	}
}

func TestSessionCountsAndBlocks(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	defer tb.Close()
	tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
	tb.Outbound(t0, ProtoUDP, host6, 5001, remote, 53, 0)
	tb.Outbound(t0, ProtoTCP, host6, 5000, remote, 80, SYN)
	got := map[string]int{}
	tb.SessionCounts(func(p Proto, st string, n int) {
		got[map[Proto]string{ProtoTCP: "tcp", ProtoUDP: "udp", ProtoICMP: "icmp"}[p]+"/"+st] = n
	})
	if !reflect.DeepEqual(got, map[string]int{"udp/UDP": 2, "tcp/V6_INIT": 1}) {
		t.Errorf("SessionCounts: %v", got)
	}
	owned := tb.p.OwnedBlocks(0)
	free := tb.FreeBlocks(nil)
	if len(owned) != 4 || len(free) != 4 || len(tb.p.Pool4Addrs()) != 4 {
		t.Fatalf("owned %v free %v", owned, free)
	}
	used := 0
	for a := range owned {
		if owned[a] != tb.p.BlocksPerAddress() {
			t.Errorf("one worker owns %d of %d blocks of address %d", owned[a], tb.p.BlocksPerAddress(), a)
		}
		used += owned[a] - free[a]
	}
	if used != 1 {
		t.Errorf("blocks in use: %d, want 1", used)
	}
}

// TestRetirePool4: a reload that removes pool4 addresses ends their BIB
// entries and sessions (static ones too), releases and logs their blocks,
// never allocates on them again, and leaves the other addresses alone; an
// address brought back is used again after its blocks' reuse delay.
func TestRetirePool4(t *testing.T) {
	c := testConfig() // 192.0.2.0/30, static entries on 192.0.2.2
	tb, rec := newTable(t, c)
	defer tb.Close()
	gone := func(a [4]byte) bool { return a[3] >= 2 } // 192.0.2.2 and .3 go
	// Subscribers until both halves of pool4 hold some.
	var onGone, onKept int
	for i := 0; i < 64 && (onGone < 3 || onKept < 3); i++ {
		h := host6
		h[14] = byte(i)
		s4, _, r := tb.Outbound(t0, ProtoUDP, h, 5000, remote, 53, 0)
		if r != OK {
			t.Fatal(r)
		}
		if _, _, r := tb.Outbound(t0, ProtoTCP, h, 6000, remote, 80, SYN); r != OK {
			t.Fatal(r)
		}
		if gone(s4) {
			onGone++
		} else {
			onKept++
		}
	}
	if onGone < 3 || onKept < 3 {
		t.Fatalf("subscribers on the removed addresses %d, on the kept ones %d", onGone, onKept)
	}
	// A session on a static entry of 192.0.2.2.
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote2, 4000, a4("192.0.2.2"), 80, SYN); r != OK {
		t.Fatal(r)
	}
	checkInvariants(t, tb)
	ss, _ := tb.Sessions(t0, make([]SessionEntry, 0, 1024), 0)
	kept := map[SessionEntry]bool{}
	goneBlocks := map[[2]int]bool{}
	for _, s := range ss {
		if !gone(s.Addr4.As4()) {
			s.Expires = 0
			kept[s] = true
		} else if s.Port4 >= 1024 {
			goneBlocks[[2]int{int(s.Addr4.As4()[3]), int(s.Port4-1024) / 64}] = true
		}
	}

	c2 := c
	c2.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/31")}
	if _, err := tb.p.Reconfigured(&c2); err == nil || !strings.Contains(err.Error(), "nat64.static") {
		t.Fatalf("Reconfigured kept static entries on removed addresses: %v", err)
	}
	c2.Static = nil
	q, err := tb.p.Reconfigured(&c2)
	if err != nil {
		t.Fatal(err)
	}
	if q.InPool4(a4("192.0.2.2")) || !q.InPool4(a4("192.0.2.1")) || !q.Retired(netip.MustParseAddr("192.0.2.3")) || q.Retired(netip.MustParseAddr("192.0.2.0")) {
		t.Fatal("InPool4/Retired after removing 192.0.2.2/31")
	}
	rec.ev = nil
	now := t0 + sec(1)
	ret := tb.SetPlan(q, now)
	checkInvariants(t, tb)
	if ret.Addresses != 2 || ret.Sessions != 2*onGone+1 || ret.BIB != 2*onGone+2 || ret.Blocks != len(goneBlocks) {
		t.Errorf("retirement %+v; want 2 addresses, %d sessions, %d BIB entries, %d blocks", ret, 2*onGone+1, 2*onGone+2, len(goneBlocks))
	}
	// Every released block logged, nothing else.
	logged := map[[2]int]bool{}
	for _, ev := range rec.ev {
		if ev.Kind != natlog.BlockRelease || !gone(ev.Pool4.As4()) || ev.PortHi-ev.PortLo != 63 {
			t.Fatalf("event %+v", ev)
		}
		logged[[2]int{int(ev.Pool4.As4()[3]), int(ev.PortLo-1024) / 64}] = true
	}
	if len(rec.ev) != len(goneBlocks) || !reflect.DeepEqual(logged, goneBlocks) {
		t.Errorf("release events %v, blocks %v", logged, goneBlocks)
	}
	// The other addresses' sessions are untouched.
	ss, _ = tb.Sessions(now, make([]SessionEntry, 0, 1024), 0)
	if len(ss) != len(kept) {
		t.Errorf("%d sessions left, want %d", len(ss), len(kept))
	}
	for _, s := range ss {
		s.Expires = 0
		if !kept[s] {
			t.Errorf("session %+v", s)
		}
	}
	bib, _ := tb.BIB(make([]BIBEntry, 0, 1024), 0)
	for _, e := range bib {
		if gone(e.Addr4.As4()) {
			t.Errorf("BIB entry %+v on a removed address", e)
		}
	}
	if _, _, r := tb.Inbound(now, ProtoTCP, remote2, 4001, a4("192.0.2.2"), 80, SYN); r == OK {
		t.Error("the removed static entry still answers")
	}
	// New subscribers, and the old ones of the removed addresses, get the
	// kept addresses only.
	for i := 0; i < 64; i++ {
		h := host6
		h[14] = byte(i)
		s4, _, r := tb.Outbound(now, ProtoUDP, h, 7000, remote, 53, 0)
		if r == PoolExhausted {
			break
		}
		if r != OK || gone(s4) {
			t.Fatalf("subscriber %d: %v %v", i, netip.AddrFrom4(s4), r)
		}
	}
	checkInvariants(t, tb)
	free := tb.FreeBlocks(nil)
	if free[2] != 0 || free[3] != 0 {
		t.Errorf("free blocks on removed addresses: %v", free)
	}
	if bs := tb.p.BlocksPerAddress(); tb.C.BlocksAllocated-tb.C.BlocksReleased != uint64(2*bs-int(free[0])-int(free[1])) {
		t.Errorf("blocks in use %d, free %v", tb.C.BlocksAllocated-tb.C.BlocksReleased, free)
	}

	// Bring the addresses back (without their static entries).
	q2, err := q.Reconfigured(&c2)
	if err != nil || q2.retired == nil {
		t.Fatal("a reload without change", err)
	}
	c3 := c
	c3.Static = nil
	q3, err := q.Reconfigured(&c3)
	if err != nil {
		t.Fatal(err)
	}
	if r := tb.SetPlan(q3, now); r.Addresses != 0 || !q3.InPool4(a4("192.0.2.3")) {
		t.Fatalf("%+v", r)
	}
	free = tb.FreeBlocks(nil)
	if int(free[2]) != tb.p.BlocksPerAddress() || int(free[3]) != tb.p.BlocksPerAddress() {
		t.Errorf("free blocks after bringing back: %v", free)
	}
	checkInvariants(t, tb)
	later := now + sec(121) // port_reuse_delay 120s
	tb.Expire(later, 1<<20)
	var back bool
	for i := 0; i < 64 && !back; i++ {
		h := host6b
		h[13] = byte(i)
		s4, _, r := tb.Outbound(later, ProtoUDP, h, 7000, remote, 53, 0)
		if r != OK {
			break
		}
		back = gone(s4)
	}
	if !back {
		t.Error("no new subscriber on an address brought back")
	}
	checkInvariants(t, tb)
}

// TestRetireDeterministic: in deterministic mode pool4 cannot change on
// reload (the ranges follow from it).
func TestRetireDeterministic(t *testing.T) {
	c := detConfig()
	tb, _ := newTable(t, c)
	defer tb.Close()
	c2 := c
	c2.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}
	if _, err := tb.p.Reconfigured(&c2); err == nil || !strings.Contains(err.Error(), "deterministic") {
		t.Errorf("Reconfigured of a smaller pool4 in deterministic mode: %v", err)
	}
	if _, err := tb.p.Reconfigured(&c); err != nil {
		t.Error(err)
	}
}

// TestRetireRandom: traffic on two workers' tables while reloads remove
// pool4 addresses and bring them back: nothing is ever mapped to a
// removed address, every block on one is released with its event, and
// the invariants hold throughout.
func TestRetireRandom(t *testing.T) {
	c := testConfig()
	c.Static = nil
	full := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30"), netip.MustParsePrefix("198.51.100.64/31")}
	c.Pool4 = full
	pools := [][]netip.Prefix{
		full,
		{netip.MustParsePrefix("192.0.2.0/31"), netip.MustParsePrefix("198.51.100.64/31")},
		{netip.MustParsePrefix("192.0.2.1/32")},
		{netip.MustParsePrefix("192.0.2.2/31"), netip.MustParsePrefix("198.51.100.65/32")},
		{netip.MustParsePrefix("198.51.100.64/31")},
	}
	p, err := NewPlan(&c, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	tabs := []*Table{NewTable(p, 0, t0, rec), NewTable(p, 1, t0, rec)}
	defer tabs[0].Close()
	defer tabs[1].Close()
	rng := rand.New(rand.NewPCG(1, 2))
	now, cur := t0, p
	released := 0
	for round := 0; round < 60; round++ {
		for i := 0; i < 300; i++ {
			h := host6
			h[13], h[14] = byte(rng.IntN(3)), byte(rng.IntN(50))
			proto, fl := ProtoUDP, TCPFlags(0)
			if rng.IntN(2) == 0 {
				proto, fl = ProtoTCP, SYN
			}
			s4, p4, r := tabs[cur.Owner6(h)].Outbound(now, proto, h, uint16(1000+rng.IntN(20)), remote, 53, fl)
			if r != OK {
				continue
			}
			if !cur.InPool4(s4) {
				t.Fatalf("round %d: mapped to %v, not in pool4 %v", round, netip.AddrFrom4(s4), pools)
			}
			if rng.IntN(3) == 0 {
				fl := TCPFlags(0)
				if proto == ProtoTCP {
					fl = SYN | ACK
				}
				if _, _, r := tabs[cur.Owner4(proto, s4, p4)].Inbound(now, proto, remote, 53, s4, p4, fl); r != OK {
					t.Fatalf("round %d: inbound on a fresh mapping: %v", round, r)
				}
			}
		}
		now += sec(float64(rng.IntN(200)))
		for _, tb := range tabs {
			tb.Expire(now, 1<<20)
		}
		// Blocks in use per address before the reload.
		active := map[netip.Addr]int{}
		for _, tb := range tabs {
			for g := 0; g < tb.p.addrs*tb.p.bpa; g++ {
				if tb.p.blockOwner(g) == tb.worker && tb.blockState[tb.localBlock(g)] != 0 {
					active[netip.AddrFrom4(tb.p.addrAt(g/tb.p.bpa))]++
				}
			}
		}
		c2 := c
		c2.Pool4 = pools[rng.IntN(len(pools))]
		q, err := cur.Reconfigured(&c2)
		if err != nil {
			t.Fatal(err)
		}
		rec.ev = nil
		want := 0
		for a, n := range active {
			if cur.InPool4(a.As4()) && !q.InPool4(a.As4()) {
				want += n
			}
		}
		got := 0
		for _, tb := range tabs {
			got += tb.SetPlan(q, now).Blocks
			checkInvariants(t, tb)
			bib, _ := tb.BIB(make([]BIBEntry, 0, 4096), 0)
			for _, e := range bib {
				if !q.InPool4(e.Addr4.As4()) {
					t.Fatalf("round %d: BIB entry %+v on a removed address", round, e)
				}
			}
		}
		if got != want || len(rec.ev) != want {
			t.Fatalf("round %d: %d blocks released, %d events, want %d", round, got, len(rec.ev), want)
		}
		for _, ev := range rec.ev {
			if ev.Kind != natlog.BlockRelease || q.InPool4(ev.Pool4.As4()) {
				t.Fatalf("round %d: event %+v", round, ev)
			}
		}
		released += want
		cur = q
	}
	if released < 20 {
		t.Errorf("%d blocks released by the reloads: too few to test them", released)
	}
	t.Logf("%d blocks released by the reloads", released)
}

// BenchmarkRetire: one worker's table with 1<<20 UDP sessions (1024
// subscribers, 256 mappings each, 4 sessions per mapping) on a /28 (16
// addresses) loses those on half of the addresses in one SetPlan.
// It says how long a worker leaves its packets for a removal.
func BenchmarkRetire(b *testing.B) {
	c := bigBenchConfig()
	half := c
	half.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/29")}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p, tb := filledBenchTable(b, c)
		q, err := p.Reconfigured(&half)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r := tb.SetPlan(q, t0+sec(1))
		b.StopTimer()
		if r.Sessions < 1<<18 {
			b.Fatalf("%+v", r)
		}
		b.ReportMetric(float64(r.Sessions), "sessions_ended")
		tb.Close()
	}
}
