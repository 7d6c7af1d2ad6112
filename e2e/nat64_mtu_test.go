package e2e

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestNAT64PacketTooBig: path MTU discovery through NAT64 sessions, TCP
// with 300 kB each way. The receiving host advertises an MSS beyond its own
// link (route advmss), so that the translator's link is the bottleneck as
// on a longer path. tcp6to4: the box's IPv4 link has MTU 1400, the IPv6
// host's 1500: the IPv6 host's 1440-byte segments get xlatd's ICMPv6 Packet
// Too Big (MTU 1420) and it adapts. tcp4to6: the box's IPv6 link has MTU
// 1280, the IPv4 host's 1500: a stream opened from the IPv4 host through
// the static BIB entry gets xlatd's Fragmentation Needed (MTU 1260) and
// adapts. xlatd's counters must show the ICMP errors it sent.
func TestNAT64PacketTooBig(t *testing.T) {
	t.Run("tcp6to4", func(t *testing.T) {
		n := newNAT64BedWith(t, nat64Base(), func(tb *testbed) {
			tb.ip("-n", tb.e("NSX"), "link", "set", "dev", "to-h4", "mtu", "1400")
			tb.ip("-n", tb.e("NS4"), "link", "set", "dev", "to-xl", "mtu", "1400")
			// The IPv4 host advertises an MSS beyond its link, so that the
			// bottleneck is the translator's, as on a longer path.
			tb.ip("-n", tb.e("NS4"), "route", "replace", "203.0.113.0/24", "via", tb.e("BOX4"), "dev", "to-xl", "advmss", "1460")
		})
		h6, h4 := n.e("NS6"), n.e("NS4")
		seen := udpServer(t, h4, ap(n.e("H4"), 7000))
		if _, err := udpAskErr(udpSock(t, h6, ap(sub2, 40000)), netip.AddrPortFrom(n.as6(n.e("H4")), 7000), seen, 20); err != nil {
			t.Fatal(err)
		}
		tcpEcho(t, h4, 7500, nil)
		if err := tcpExchangeErr(h6, n.as6(n.e("H4")).String(), 7500, 300000); err != nil {
			t.Fatalf("TCP from the IPv6 host over the 1400-byte IPv4 link: %v", err)
		}
		icmpSent(t, n)
	})
	t.Run("tcp4to6", func(t *testing.T) {
		n := newNAT64BedWith(t, nat64Base(), func(tb *testbed) {
			tb.ip("-n", tb.e("NSX"), "link", "set", "dev", "to-h6", "mtu", "1280")
			tb.ip("-n", tb.e("NS6"), "link", "set", "dev", "to-xl", "mtu", "1280")
			tb.ip("-n", tb.e("NS6"), "-6", "route", "replace", tb.e("POOL6"), "via", tb.e("BOX6"), "dev", "to-xl", "advmss", "1440")
		})
		h6, h4 := n.e("NS6"), n.e("NS4")
		tcpEcho(t, h6, 8080, nil) // the static entry's port
		var err error
		for try := 0; try < 5; try++ {
			if err = tcpExchangeErr(h4, "203.0.113.129", 1001, 300000); err == nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("TCP from the IPv4 host to the IPv6 host's 1280-byte link through the static entry: %v", err)
		}
		icmpSent(t, n)
	})
}

// icmpSent logs xlatd's counters about ICMP errors it originated and fails
// when there are none.
func icmpSent(t *testing.T, n *nat64Bed) {
	t.Helper()
	m, err := n.d.stats()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := m["counters"].(map[string]any)
	var got []string
	sum := 0.0
	for k, v := range c {
		f, _ := v.(float64)
		lk := strings.ToLower(k)
		if f > 0 && (strings.HasSuffix(lk, "packet_too_big") || strings.HasSuffix(lk, "fragmentation_needed")) {
			got = append(got, k+"="+itoa(int(f)))
			sum += f
		}
	}
	t.Logf("xlatd's MTU counters: %v", got)
	if sum == 0 {
		t.Errorf("no Packet Too Big / Fragmentation Needed counted by xlatd: the stream did not need path MTU discovery (counters %v)", c)
	}
}
