package nat64

import (
	"net/netip"
	"testing"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/nat64/natlog"
)

const t0 = int64(1_800_000_000) * 1e9 // a Unix time in ns

func sec(s float64) int64 { return int64(s * 1e9) }

// testConfig: 192.0.2.0/30 ports 1024-2047, blocks of 64, 4 blocks each.
func testConfig() nat64conf.NAT64 {
	c := nat64conf.Default()
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}
	c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 2047}
	c.PortBlockSize = 64
	c.MaxBlocksPerSubscriber = 4
	c.MaxSessions = 10000
	c.Static = []nat64conf.Static{
		{Protocol: "tcp", IPv6: netip.MustParseAddr("2001:db8::5"), Port6: 2000, IPv4: netip.MustParseAddr("192.0.2.2"), Port4: 80},
		{Protocol: "icmp", IPv6: netip.MustParseAddr("2001:db8::5"), Port6: 1, IPv4: netip.MustParseAddr("192.0.2.2"), Port4: 1},
	}
	return c
}

type recorder struct{ ev []natlog.Event }

func (r *recorder) Write(e natlog.Event) { r.ev = append(r.ev, e) }

func newTable(t testing.TB, c nat64conf.NAT64) (*Table, *recorder) {
	t.Helper()
	// (config.Validate cannot be called here: config imports batch,
	// which imports nat64.)
	p, err := NewPlan(&c, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	return NewTable(p, 0, t0, r), r
}

func a6(s string) [16]byte { return netip.MustParseAddr(s).As16() }
func a4(s string) [4]byte  { return netip.MustParseAddr(s).As4() }

var (
	host6   = a6("2001:db8:1::10")
	host6b  = a6("2001:db8:1::11")
	remote  = a4("198.51.100.7")
	remote2 = a4("203.0.113.9")
)

func inPool(t testing.TB, tb *Table, a [4]byte, port uint16) {
	t.Helper()
	if !tb.p.InPool4(a) || port < 1024 || port > 2047 {
		t.Fatalf("mapping %v:%d outside pool4", netip.AddrFrom4(a), port)
	}
}

func TestUDPMappingAndFiltering(t *testing.T) {
	for _, adf := range []bool{false, true} {
		c := testConfig()
		if adf {
			c.Filtering = "address-dependent"
		}
		tb, rec := newTable(t, c)
		s4, p4, r := tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
		if r != OK {
			t.Fatal(r)
		}
		inPool(t, tb, s4, p4)
		// Endpoint-independent mapping: another destination, same mapping.
		s4b, p4b, r := tb.Outbound(t0, ProtoUDP, host6, 5000, remote2, 53, 0)
		if r != OK || s4b != s4 || p4b != p4 {
			t.Fatalf("EIM broken: %v %v:%d vs %v:%d", r, s4b, p4b, s4, p4)
		}
		d6, dp, r := tb.Inbound(t0, ProtoUDP, remote, 53, s4, p4, 0)
		if r != OK || d6 != host6 || dp != 5000 {
			t.Fatalf("reply: %v %v %d", r, d6, dp)
		}
		// A stranger's packet: EIF admits it, ADF does not.
		stranger := a4("198.51.100.99")
		_, _, r = tb.Inbound(t0, ProtoUDP, stranger, 7, s4, p4, 0)
		if want := map[bool]Result{false: OK, true: Filtered}[adf]; r != want {
			t.Fatalf("adf=%v stranger: %v, want %v", adf, r, want)
		}
		// ADF admits another port of a known address.
		if _, _, r = tb.Inbound(t0, ProtoUDP, remote, 99, s4, p4, 0); r != OK {
			t.Fatalf("adf=%v known address other port: %v", adf, r)
		}
		if _, _, r = tb.Inbound(t0, ProtoUDP, remote, 53, s4, p4+1, 0); r != NoMapping {
			t.Fatalf("unmapped port: %v", r)
		}
		if len(rec.ev) != 1 || rec.ev[0].Kind != natlog.BlockAlloc || rec.ev[0].Subscriber != netip.MustParsePrefix("2001:db8:1::10/128") ||
			rec.ev[0].Pool4 != netip.AddrFrom4(s4) || p4 < rec.ev[0].PortLo || p4 > rec.ev[0].PortHi || rec.ev[0].PortHi-rec.ev[0].PortLo != 63 {
			t.Fatalf("events %+v", rec.ev)
		}
		checkInvariants(t, tb)
	}
}

func TestICMPQuery(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	s4, id4, r := tb.Outbound(t0, ProtoICMP, host6, 77, remote, 12345, 0)
	if r != OK {
		t.Fatal(r)
	}
	inPool(t, tb, s4, id4)
	d6, id6, r := tb.Inbound(t0, ProtoICMP, remote, 4444, s4, id4, 0)
	if r != OK || d6 != host6 || id6 != 77 {
		t.Fatalf("echo reply: %v %v %d", r, d6, id6)
	}
	// The static ICMP entry of 2001:db8::5 id 1.
	if s4, id4, r = tb.Outbound(t0, ProtoICMP, a6("2001:db8::5"), 1, remote, 1, 0); r != OK || s4 != a4("192.0.2.2") || id4 != 1 {
		t.Fatalf("static icmp: %v %v %d", r, s4, id4)
	}
	checkInvariants(t, tb)
}

func TestTCPStateMachine(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	state := func() string {
		s, _ := tb.Sessions(t0, make([]SessionEntry, 0, 10), 0)
		if len(s) != 1 {
			t.Fatalf("%d sessions", len(s))
		}
		return s[0].State
	}
	if _, _, r := tb.Outbound(t0, ProtoTCP, host6, 4000, remote, 80, ACK); r != NoMapping {
		t.Fatalf("non-SYN opened a session: %v", r)
	}
	s4, p4, r := tb.Outbound(t0, ProtoTCP, host6, 4000, remote, 80, SYN)
	if r != OK || state() != "V6_INIT" {
		t.Fatal(r, state())
	}
	steps := []struct {
		from6 bool
		f     TCPFlags
		want  string
	}{
		{false, SYN | ACK, "ESTABLISHED"},
		{true, ACK, "ESTABLISHED"},
		{false, FIN | ACK, "V4_FIN_RCV"},
		{false, ACK, "V4_FIN_RCV"},
		{true, FIN | ACK, "V4_FIN_V6_FIN_RCV"},
	}
	for i, st := range steps {
		if st.from6 {
			_, _, r = tb.Outbound(t0, ProtoTCP, host6, 4000, remote, 80, st.f)
		} else {
			_, _, r = tb.Inbound(t0, ProtoTCP, remote, 80, s4, p4, st.f)
		}
		if r != OK || state() != st.want {
			t.Fatalf("step %d: %v %s, want %s", i, r, state(), st.want)
		}
	}
	// Closed on both sides: gone after tcp_transitory (4m), not before.
	tb.Expire(t0+sec(200), 1<<20)
	if n, _, _, _ := tb.Len(); n != 1 {
		t.Fatal("expired early")
	}
	tb.Expire(t0+sec(250), 1<<20)
	if n, b, s, bl := tb.Len(); n != 0 || b != 2 || s != 0 || bl != 0 {
		t.Fatalf("after expiry: %d sessions %d bib (2 static) %d subscribers %d blocks", n, b, s, bl)
	}
	checkInvariants(t, tb)
}

func TestTCPRSTAndIdle(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	s4, p4, _ := tb.Outbound(t0, ProtoTCP, host6, 4000, remote, 80, SYN)
	tb.Inbound(t0, ProtoTCP, remote, 80, s4, p4, SYN|ACK)
	tb.Outbound(t0, ProtoTCP, host6, 4000, remote, 80, RST)
	ss, _ := tb.Sessions(t0, make([]SessionEntry, 0, 1), 0)
	if ss[0].State != "TRANS" || ss[0].Expires != 4*time.Minute {
		t.Fatalf("after RST: %+v", ss[0])
	}
	// Data revives it (RFC 6146: TRANS -> ESTABLISHED on a non-RST packet).
	tb.Inbound(t0+sec(10), ProtoTCP, remote, 80, s4, p4, ACK)
	ss, _ = tb.Sessions(t0+sec(10), ss[:0], 0)
	if ss[0].State != "ESTABLISHED" {
		t.Fatal(ss[0].State)
	}
	// Idle established: after 2h4m it goes to TRANS, 4m later away.
	tb.Expire(t0+sec(10+7440+2), 1<<20)
	ss, _ = tb.Sessions(t0+sec(10+7440+2), ss[:0], 0)
	if len(ss) != 1 || ss[0].State != "TRANS" {
		t.Fatalf("idle established: %+v", ss)
	}
	tb.Expire(t0+sec(10+7440+2+242), 1<<20)
	if n, _, _, _ := tb.Len(); n != 0 {
		t.Fatal("idle session stayed")
	}
	checkInvariants(t, tb)
}

func TestIncomingSYNHeld(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	pool := a4("192.0.2.1")
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote, 3333, pool, 1500, SYN); r != HoldSYN {
		t.Fatal(r)
	}
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote, 3333, pool, 1500, ACK); r != NoMapping {
		t.Fatal(r)
	}
	tb.Expire(t0+sec(5), 100)
	if n := tb.Notices(nil); len(n) != 0 {
		t.Fatalf("early %+v", n)
	}
	tb.Expire(t0+sec(6.1), 100)
	n := tb.Notices(nil)
	want := Tuple4{ProtoTCP, remote, pool, 3333, 1500}
	if len(n) != 1 || n[0].Kind != SYNUnreachable || n[0].Tuple4 != want {
		t.Fatalf("notices %+v", n)
	}
	if tb.HeldSYNs() != 0 || tb.C.HeldSYNExpired != 1 {
		t.Fatal("held SYN left")
	}
}

func TestSimultaneousOpen(t *testing.T) {
	c := testConfig()
	c.Filtering = "address-dependent"
	tb, _ := newTable(t, c)
	srv6, srv4 := a6("2001:db8::5"), a4("192.0.2.2")
	// ADF: an IPv4 SYN to the static entry from an unknown address is held.
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote, 5555, srv4, 80, SYN); r != HoldSYN {
		t.Fatal(r)
	}
	// The IPv6 side opens towards it: simultaneous open.
	if s4, p4, r := tb.Outbound(t0+sec(1), ProtoTCP, srv6, 2000, remote, 5555, SYN); r != OK || s4 != srv4 || p4 != 80 {
		t.Fatal(r, s4, p4)
	}
	n := tb.Notices(nil)
	if len(n) != 1 || n[0].Kind != SYNDiscard || n[0].Tuple4 != (Tuple4{ProtoTCP, remote, srv4, 5555, 80}) {
		t.Fatalf("notices %+v", n)
	}
	d6, dp, r := tb.Inbound(t0+sec(1), ProtoTCP, remote, 5555, srv4, 80, SYN)
	if r != OK || d6 != srv6 || dp != 2000 {
		t.Fatal(r)
	}
	ss, _ := tb.Sessions(t0, make([]SessionEntry, 0, 1), 0)
	if ss[0].State != "ESTABLISHED" {
		t.Fatal(ss[0].State)
	}
	tb.Expire(t0+sec(10), 100)
	if n := tb.Notices(nil); len(n) != 0 {
		t.Fatalf("cancelled SYN answered: %+v", n)
	}
	// EIF with a BIB entry: the IPv4 SYN opens a V4_INIT session at once.
	tb2, _ := newTable(t, testConfig())
	if _, _, r := tb2.Inbound(t0, ProtoTCP, remote, 5555, srv4, 80, SYN); r != OK {
		t.Fatal(r)
	}
	ss, _ = tb2.Sessions(t0, ss[:0], 0)
	if ss[0].State != "V4_INIT" {
		t.Fatal(ss[0].State)
	}
	checkInvariants(t, tb)
	checkInvariants(t, tb2)
}

func TestHeldSYNBound(t *testing.T) {
	c := testConfig()
	p, _ := NewPlan(&c, Options{MaxHeldSYN: 3})
	tb := NewTable(p, 0, t0, nil)
	for i := 0; i < 5; i++ {
		_, _, r := tb.Inbound(t0, ProtoTCP, remote, uint16(100+i), a4("192.0.2.1"), 1500, SYN)
		if want := map[bool]Result{true: HoldSYN, false: NoMapping}[i < 3]; r != want {
			t.Fatalf("SYN %d: %v", i, r)
		}
	}
	if tb.C.HeldSYNDropped != 2 {
		t.Fatal(tb.C.HeldSYNDropped)
	}
}

func TestExpiryAndReuseDelay(t *testing.T) {
	c := testConfig()
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	c.Static = nil
	c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 1151} // two blocks of 64
	c.MaxBlocksPerSubscriber = 1
	tb, rec := newTable(t, c)
	_, p1, r := tb.Outbound(t0, ProtoUDP, host6, 1, remote, 53, 0)
	if r != OK {
		t.Fatal(r)
	}
	b1 := (p1 - 1024) / 64
	// Kept alive by traffic in both directions.
	for s := 60.0; s <= 600; s += 60 {
		if _, _, r := tb.Inbound(t0+sec(s), ProtoUDP, remote, 53, a4("192.0.2.1"), p1, 0); r != OK {
			t.Fatal(r)
		}
		tb.Expire(t0+sec(s), 1000)
	}
	if n, _, _, _ := tb.Len(); n != 1 {
		t.Fatal("live session expired")
	}
	tb.Expire(t0+sec(600+301), 1000)
	if n, b, s, bl := tb.Len(); n+b+s+bl != 0 {
		t.Fatal("not expired", n, b, s, bl)
	}
	if len(rec.ev) != 2 || rec.ev[1].Kind != natlog.BlockRelease {
		t.Fatalf("events %+v", rec.ev)
	}
	// Within port_reuse_delay (120s) a new subscriber gets the other block,
	// and a third finds none.
	_, p2, r := tb.Outbound(t0+sec(902), ProtoUDP, host6b, 1, remote, 53, 0)
	if r != OK || (p2-1024)/64 == b1 {
		t.Fatalf("block reused within the delay: %v %d", r, p2)
	}
	if _, _, r := tb.Outbound(t0+sec(903), ProtoUDP, a6("2001:db8:1::12"), 1, remote, 53, 0); r != PoolExhausted {
		t.Fatal(r)
	}
	if rec.ev[len(rec.ev)-1].Kind != natlog.AddressExhausted {
		t.Fatalf("events %+v", rec.ev)
	}
	// After the delay it is handed out again.
	if _, p3, r := tb.Outbound(t0+sec(901+121), ProtoUDP, a6("2001:db8:1::12"), 1, remote, 53, 0); r != OK || (p3-1024)/64 != b1 {
		t.Fatal(r, p3)
	}
	checkInvariants(t, tb)
}

func TestQuotas(t *testing.T) {
	c := testConfig()
	c.SubscriberPrefixLength = 64
	tb, rec := newTable(t, c)
	var addr [4]byte
	// One subscriber (a /64, several hosts) gets 4 blocks x 64 ports of UDP,
	// all on one address, then is refused.
	for i := 0; i < 256; i++ {
		src := host6
		src[15] = byte(i)
		s4, _, r := tb.Outbound(t0, ProtoUDP, src, 4000, remote, 53, 0)
		if r != OK {
			t.Fatalf("flow %d: %v", i, r)
		}
		if i == 0 {
			addr = s4
		} else if s4 != addr {
			t.Fatalf("paired pooling broken: %v vs %v", s4, addr)
		}
	}
	if _, _, r := tb.Outbound(t0, ProtoUDP, host6, 4001, remote, 53, 0); r != QuotaPorts {
		t.Fatal(r)
	}
	// TCP has ports of its own in the same blocks, and new sessions on
	// existing mappings still work.
	if _, _, r := tb.Outbound(t0, ProtoTCP, host6, 4001, remote, 80, SYN); r != OK {
		t.Fatal(r)
	}
	if _, _, r := tb.Outbound(t0, ProtoUDP, host6, 4000, remote2, 53, 0); r != OK {
		t.Fatal(r)
	}
	// Another subscriber is not affected.
	if _, _, r := tb.Outbound(t0, ProtoUDP, a6("2001:db8:2::1"), 4000, remote, 53, 0); r != OK {
		t.Fatal(r)
	}
	q := 0
	for _, e := range rec.ev {
		if e.Kind == natlog.QuotaExceeded {
			q++
		}
	}
	if q != 1 {
		t.Fatalf("%d quota events", q)
	}
	// Sessions quota.
	c.MaxSessionsPerSubscriber = 3
	tb, _ = newTable(t, c)
	for i := 0; i < 4; i++ {
		d := remote
		d[3] = byte(i)
		_, _, r := tb.Outbound(t0, ProtoUDP, host6, 4000, d, 53, 0)
		if want := map[bool]Result{true: OK, false: QuotaSessions}[i < 3]; r != want {
			t.Fatalf("session %d: %v", i, r)
		}
	}
	// max_sessions bounds everything.
	c.MaxSessionsPerSubscriber = 0
	c.MaxSessions = 5
	tb, _ = newTable(t, c)
	for i := 0; i < 6; i++ {
		src := host6
		src[7] = byte(i)
		_, _, r := tb.Outbound(t0, ProtoUDP, src, 4000, remote, 53, 0)
		if want := map[bool]Result{true: OK, false: TableFull}[i < 5]; r != want {
			t.Fatalf("session %d: %v", i, r)
		}
	}
	checkInvariants(t, tb)
}

func TestNotSubscriber(t *testing.T) {
	c := testConfig()
	c.Subscribers = []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64")}
	tb, _ := newTable(t, c)
	if _, _, r := tb.Outbound(t0, ProtoUDP, a6("2001:db8:9::1"), 1, remote, 53, 0); r != NotSubscriber {
		t.Fatal(r)
	}
	if _, _, r := tb.Outbound(t0, ProtoUDP, host6, 1, remote, 53, 0); r != OK {
		t.Fatal(r)
	}
}

func TestICMPErrorLookupsCreateNothing(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	s4, p4, _ := tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
	before := tb.C
	// ICMPv4 error quoting the 6->4 packet T:t -> Z:z.
	if d6, dp, ok := tb.LookupInbound(ProtoUDP, remote, 53, s4, p4); !ok || d6 != host6 || dp != 5000 {
		t.Fatal(ok, d6, dp)
	}
	// ICMPv6 error quoting the 4->6 packet Z' -> X'.
	if s, p, ok := tb.LookupOutbound(ProtoUDP, host6, 5000, remote, 53); !ok || s != s4 || p != p4 {
		t.Fatal(ok)
	}
	if _, _, ok := tb.LookupInbound(ProtoUDP, remote2, 53, s4, p4); ok {
		t.Fatal("error about an unknown session translated")
	}
	if _, _, ok := tb.LookupOutbound(ProtoUDP, host6b, 5000, remote, 53); ok {
		t.Fatal("error about an unknown session translated")
	}
	if tb.C != before {
		t.Fatal("lookups changed counters")
	}
	if n, _, _, _ := tb.Len(); n != 1 {
		t.Fatal("lookups created state")
	}
}

func TestHairpin(t *testing.T) {
	// RFC 6146 3.8: X1' sends to the pool4 mapping of X2'; the packet is
	// translated 6 to 4 (Outbound) and then, its destination being pool4,
	// 4 to 6 (Inbound) with the translated source.
	tb, _ := newTable(t, testConfig())
	s2, p2, _ := tb.Outbound(t0, ProtoUDP, host6b, 7000, remote, 53, 0)
	if !tb.p.InPool4(s2) {
		t.Fatal("InPool4")
	}
	s1, p1, r := tb.Outbound(t0, ProtoUDP, host6, 6000, s2, p2, 0)
	if r != OK {
		t.Fatal(r)
	}
	d6, dp, r := tb.Inbound(t0, ProtoUDP, s1, p1, s2, p2, 0)
	if r != OK || d6 != host6b || dp != 7000 {
		t.Fatal(r, d6, dp)
	}
	checkInvariants(t, tb)
}

func TestFragments(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	k := FragKey{Src: host6, Dst: a6("64:ff9b::c633:6407"), ID: 99, Proto: ProtoUDP}
	x := [16]byte{192, 0, 2, 1}
	// A fragment before the first is held.
	if _, r := tb.FragNext(t0, k); r != HoldFrag {
		t.Fatal(r)
	}
	if held, ok := tb.FragFirst(t0, k, x); !ok || held != 1 {
		t.Fatal(held, ok)
	}
	if a, r := tb.FragNext(t0, k); r != OK || a != x {
		t.Fatal(r)
	}
	// Remembered for the fragment timeout only.
	tb.Expire(t0+sec(2.1), 100)
	k2 := k
	k2.ID = 100
	if _, r := tb.FragNext(t0+sec(2.1), k2); r != HoldFrag {
		t.Fatal(r)
	}
	tb.Expire(t0+sec(4.2), 100)
	n := tb.Notices(nil)
	if len(n) != 1 || n[0].Kind != FragExpired || n[0].Frag != k2 {
		t.Fatalf("%+v", n)
	}
	// Bounded: with no room, unmatchable.
	p, _ := NewPlan(&[]nat64conf.NAT64{testConfig()}[0], Options{MaxFrags: 2})
	tb = NewTable(p, 0, t0, nil)
	for i := 0; i < 3; i++ {
		k.ID = uint32(i)
		_, r := tb.FragNext(t0, k)
		if want := map[bool]Result{true: HoldFrag, false: FragUnmatched}[i < 2]; r != want {
			t.Fatal(i, r)
		}
	}
	if tb.C.FragsUnmatched != 1 || tb.C.FragsHeld != 2 {
		t.Fatalf("%+v", tb.C)
	}
}

func TestOutboundAllocs(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	s4, p4, _ := tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
	n := testing.AllocsPerRun(100, func() {
		tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
		tb.Inbound(t0, ProtoUDP, remote, 53, s4, p4, 0)
		tb.Expire(t0, 64)
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func TestRunningLookups(t *testing.T) {
	tb, rec := newTable(t, testConfig())
	s4, p4, _ := tb.Outbound(t0, ProtoUDP, host6, 5000, remote, 53, 0)
	r, ok := tb.PortHolder(netip.AddrFrom4(s4), p4)
	if !ok || r.Subscriber != netip.MustParsePrefix("2001:db8:1::10/128") || r.Addr4 != rec.ev[0].Pool4 || r.PortLo != rec.ev[0].PortLo || r.PortHi != rec.ev[0].PortHi {
		t.Fatalf("%+v %v", r, ok)
	}
	if bl := tb.SubscriberBlocks(netip.AddrFrom16(host6), nil); len(bl) != 1 || bl[0] != r {
		t.Fatalf("%+v", bl)
	}
	if _, ok := tb.PortHolder(netip.AddrFrom4(s4), r.PortHi+1); ok {
		t.Fatal("free block has a holder")
	}
}

// TestLongUptime: past the 49.7-day wrap of the millisecond clock, timers
// and the reuse delay still work.
func TestLongUptime(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	day := sec(86400)
	for d := int64(1); d <= 60; d++ {
		now := t0 + d*day
		tb.Expire(now, 1<<30)
		if _, _, r := tb.Outbound(now, ProtoUDP, host6, uint16(d), remote, 53, 0); r != OK {
			t.Fatalf("day %d: %v", d, r)
		}
		tb.Expire(now+sec(299), 1<<30)
		if n, _, _, _ := tb.Len(); n != 1 {
			t.Fatalf("day %d: %d sessions before the timeout", d, n)
		}
		tb.Expire(now+sec(303), 1<<30)
		if n, _, _, _ := tb.Len(); n != 0 {
			t.Fatalf("day %d: session did not expire", d)
		}
	}
	checkInvariants(t, tb)
}

// TestBatchMatchesSingle: the batched calls give what one call per packet
// gives, including new sessions, refusals and TCP state; untagged, with
// the batched table's index tags taken away, so that the first entry of
// every probe is a candidate and most candidates are wrong (a tag
// collision each: the work passes must check and find).
func TestBatchMatchesSingle(t *testing.T) {
	t.Run("tagged", func(t *testing.T) { batchMatchesSingle(t, false) })
	t.Run("untagged", func(t *testing.T) { batchMatchesSingle(t, true) })
}

// untag takes the tags out of t's indexes: every slot then matches every
// hash's tag.
func untag(t *Table) {
	for _, o := range []*otab{&t.bib6, &t.bib4, &t.subTab} {
		for i := range o.s {
			o.s[i] &= o.vmask
		}
		o.vmask, o.shift = ^uint32(0), 32
	}
}

func batchMatchesSingle(t *testing.T, untagged bool) {
	c := testConfig()
	c.MaxSessionsPerSubscriber = 40
	c.MaxSessions = 256 // indexes of 342 slots, more than half full
	p, err := NewPlan(&c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t1, t2 := NewTable(p, 0, t0, nil), NewTable(p, 0, t0, nil)
	if untagged {
		untag(t2)
	}
	var in6 []Flow6
	var in4 []Flow4
	for i := 0; i < 200; i++ {
		src := host6
		src[15] = byte(i % 7)
		pr := []Proto{ProtoUDP, ProtoTCP, ProtoICMP}[i%3]
		in6 = append(in6, Flow6{Proto: pr, Flags: SYN, Src6: src, SPort: uint16(i % 50), Dst4: remote, DPort: uint16(i % 3)})
	}
	in6 = append(in6, in6...) // the second time round, established
	out := make([]Mapped, MaxBatch)
	for off := 0; off < len(in6); off += MaxBatch {
		batch := in6[off:min(off+MaxBatch, len(in6))]
		t2.OutboundBatch(t0, batch, out)
		for i, f := range batch {
			a, port, r := t1.Outbound(t0, f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort, f.Flags)
			if r != out[i].Result || port != out[i].Port || a != [4]byte(out[i].Addr[:4]) {
				t.Fatalf("flow %d: single %v %v:%d, batch %+v", off+i, r, a, port, out[i])
			}
			if r == OK {
				in4 = append(in4, Flow4{Proto: f.Proto, Flags: SYN | ACK, Src4: f.Dst4, SPort: f.DPort, Dst4: a, DPort: port})
			}
		}
	}
	in4 = append(in4, Flow4{Proto: ProtoUDP, Src4: remote, SPort: 1, Dst4: a4("192.0.2.3"), DPort: 2000})
	for off := 0; off < len(in4); off += MaxBatch {
		batch := in4[off:min(off+MaxBatch, len(in4))]
		t2.InboundBatch(t0, batch, out)
		for i, f := range batch {
			a, port, r := t1.Inbound(t0, f.Proto, f.Src4, f.SPort, f.Dst4, f.DPort, f.Flags)
			if r != out[i].Result || port != out[i].Port || a != out[i].Addr {
				t.Fatalf("flow %d: single %v %v:%d, batch %+v", off+i, r, a, port, out[i])
			}
		}
	}
	if t1.C != t2.C {
		t.Fatalf("counters differ:\n%+v\n%+v", t1.C, t2.C)
	}
	s1, _ := t1.Sessions(t0, make([]SessionEntry, 0, 1000), 0)
	s2, _ := t2.Sessions(t0, make([]SessionEntry, 0, 1000), 0)
	if len(s1) != len(s2) {
		t.Fatal(len(s1), len(s2))
	}
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("%+v\n%+v", s1[i], s2[i])
		}
	}
	checkInvariants(t, t1)
	checkInvariants(t, t2)
}

func TestHeldAndFragsAllocs(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	var notices []Notice
	now := t0
	k := FragKey{Src: host6, ID: 1, Proto: ProtoUDP}
	// warm up the maps
	for i := 0; i < 200; i++ {
		tb.Inbound(now, ProtoTCP, remote, uint16(i), a4("192.0.2.1"), 1500, SYN)
		k.ID = uint32(i)
		tb.FragNext(now, k)
	}
	n := testing.AllocsPerRun(100, func() {
		now += sec(10)
		tb.Expire(now, 1<<20)
		notices = tb.Notices(notices[:0])
		tb.Inbound(now, ProtoTCP, remote, 9, a4("192.0.2.1"), 1500, SYN)
		tb.FragNext(now, k)
	})
	if n > 0.1 {
		t.Fatalf("%v allocs", n)
	}
}

// TestManySessionsPerMapping: a mapping with more sessions than the
// 16-bit count of a BIB entry holds (the rest is counted in a map), and
// the sweep's bounds on a table of that size: with Expire every 100 ms at
// a budget of 64, everything is gone within 2 sweep periods after the
// timeout, and no call visits more than its share of a pass.
func TestManySessionsPerMapping(t *testing.T) {
	c := testConfig()
	c.MaxSessions = 80000
	c.MaxSessionsPerSubscriber = 0
	tb, _ := newTable(t, c)
	const n = 70000
	var s4 [4]byte
	var p4 uint16
	for i := 0; i < n; i++ {
		dst := [4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)}
		a, p, r := tb.Outbound(t0, ProtoUDP, host6, 5000, dst, 53, 0)
		if r != OK || i > 0 && (a != s4 || p != p4) {
			t.Fatalf("session %d: %v %v:%d", i, r, a, p)
		}
		s4, p4 = a, p
	}
	bib, _ := tb.BIB(make([]BIBEntry, 0, 8), 0)
	var e BIBEntry
	for _, x := range bib {
		if !x.Static {
			e = x
		}
	}
	if e.Sessions != n || len(tb.manySess) != 1 {
		t.Fatalf("BIB entry %+v, %d counts in the map", e, len(tb.manySess))
	}
	checkInvariants(t, tb)
	// The sweep deletes them one by one, the count crossing 65535 down.
	per := int64(tb.sweepPeriod()) * 1e6
	timeout := int64(tb.p.tUDP) * 1e6
	last, maxWork := int64(0), 0
	for now := t0 + sec(1); tb.sessN > 0; now += sec(0.1) {
		if now > t0+timeout+2*per+sec(0.2) {
			t.Fatalf("%d sessions left %v after the timeout", tb.sessN, time.Duration(now-t0-timeout))
		}
		w := tb.Expire(now, 64)
		maxWork = max(maxWork, w)
		if tb.sessN > 0 {
			last = now
		}
	}
	if last < t0+timeout-sec(0.1) {
		t.Fatalf("expired early: %v", time.Duration(last-t0))
	}
	// The share of a pass per 100 ms: slots * 100 / period, and the
	// budget.
	if share := int(int64(len(tb.sess))*int64(1e8)/per) + 2; maxWork > max(64, share) {
		t.Fatalf("a call visited %d slots, share %d", maxWork, share)
	}
	t.Logf("last session gone %v after the timeout; at most %d slots a call", time.Duration(last+sec(0.1)-t0-timeout), maxWork)
	if len(tb.manySess) != 0 {
		t.Fatal("count left in the map")
	}
	checkInvariants(t, tb)
}

// TestSessionSlotsChurn: sessions live in the slots of their open-addressing
// table and move when one before them in a cluster is deleted (backward
// shifting, clusters wrapping round the end of a small table). A table
// nearly full of sessions that expire at staggered times, swept with a
// small budget so that passes are cut short between calls (with moves
// across the cursor), and refilled: after every step each session is
// found in its slot, address-dependent filtering's lists follow the moves,
// and nothing expires before its time nor is forgotten by the sweep.
func TestSessionSlotsChurn(t *testing.T) {
	for _, filtering := range []string{"endpoint-independent", "address-dependent"} {
		t.Run(filtering, func(t *testing.T) {
			c := testConfig()
			c.MaxSessions = 48 // 64 slots in 16 buckets
			c.MaxSessionsPerSubscriber = 0
			c.Filtering = filtering
			tb, _ := newTable(t, c)
			now := t0
			rng := uint64(7)
			rnd := func(n int) int {
				rng ^= rng << 13
				rng ^= rng >> 7
				rng ^= rng << 17
				return int(rng % uint64(n))
			}
			born := map[[3]int]int64{}
			for step := 0; step < 3000; step++ {
				if rnd(3) > 0 {
					h, d := rnd(4), rnd(40)
					src := host6
					src[15] = byte(h)
					dst := remote
					dst[3] = byte(d)
					_, _, r := tb.Outbound(now, ProtoUDP, src, 1000, dst, 53, 0)
					if r == OK {
						if _, ok := born[[3]int{h, d}]; !ok {
							born[[3]int{h, d}] = now
						}
						born[[3]int{h, d}] = now // refreshed
					} else if r != TableFull {
						t.Fatalf("step %d: %v", step, r)
					}
				}
				now += int64(rnd(20)) * 1e9
				tb.Expire(now, 1+rnd(8))
				checkInvariants(t, tb)
				// Nothing ends before its lifetime.
				for k, b := range born {
					src := host6
					src[15] = byte(k[0])
					dst := remote
					dst[3] = byte(k[1])
					_, _, ok := tb.LookupOutbound(ProtoUDP, src, 1000, dst, 53)
					if !ok && now-b < int64(tb.p.tUDP)*1e6 {
						t.Fatalf("step %d: session %v gone %v after its last packet", step, k, time.Duration(now-b))
					}
					if !ok {
						delete(born, k)
					}
				}
			}
			if tb.C.SessionsExpired < 100 {
				t.Fatalf("only %d sessions expired", tb.C.SessionsExpired)
			}
		})
	}
}

// TestSessionsOverdue: a session past its lifetime that the sweep has not
// reached yet is listed with Expires 0, not a negative duration.
func TestSessionsOverdue(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	if _, _, r := tb.Outbound(t0, ProtoUDP, host6, 1, remote, 53, 0); r != OK {
		t.Fatal(r)
	}
	ss, _ := tb.Sessions(t0+sec(10), make([]SessionEntry, 0, 4), 0)
	if len(ss) != 1 || ss[0].Expires != 5*time.Minute-10*time.Second {
		t.Fatalf("%+v", ss)
	}
	ss, _ = tb.Sessions(t0+sec(400), make([]SessionEntry, 0, 4), 0) // no Expire call: still there
	if len(ss) != 1 || ss[0].Expires != 0 {
		t.Fatalf("%+v", ss)
	}
}

// TestSweepSparse: the sweep visits every slot of the session table, but
// empty slots count 1/64 of Expire's budget, so a table with few sessions
// ends a due session in the first call with the datapath's budget (128),
// as it did when passes stopped at a high-water mark.
func TestSweepSparse(t *testing.T) {
	c := testConfig()
	c.MaxSessions = 4096 // 5464 slots
	tb, _ := newTable(t, c)
	dst := remote
	for i := 0; i < 3; i++ {
		dst[3] = byte(i)
		if _, _, r := tb.Outbound(t0, ProtoUDP, host6, 1, dst, 53, 0); r != OK {
			t.Fatal(r)
		}
	}
	if w := tb.Expire(t0+sec(299), 128); w != 0 {
		t.Fatalf("nothing due, work %d", w)
	}
	w := tb.Expire(t0+sec(301), 128)
	if n, _, _, _ := tb.Len(); n != 0 {
		t.Fatalf("%d sessions left after one call (work %d)", n, w)
	}
	if want := (len(tb.sess)-3+emptyPerUnit-1)/emptyPerUnit + 3; w < 3 || w > want {
		t.Fatalf("work %d, want 3 sessions and %d slots at 1/%d: at most %d", w, len(tb.sess)-3, emptyPerUnit, want)
	}
}
