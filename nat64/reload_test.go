package nat64

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/xlatd/xlatd/config/nat64conf"
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
	if d := ShapingDiff(&c, &c2); !reflect.DeepEqual(d, []string{"nat64.pool4", "nat64.port_block_size"}) {
		t.Errorf("ShapingDiff: %v", d)
	}
	if _, err := tb.p.Reconfigured(&c2); err == nil {
		t.Error("Reconfigured accepted a new pool4")
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
