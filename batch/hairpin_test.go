package batch_test

import (
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

// hairpinConfig is pool6 with two EAM entries: an IPv4 host
// 198.51.100.5 reachable from IPv6 as 2001:db8:6::5, and the IPv6 hosts
// 2001:db8:1::/120 seen from IPv4 as 192.0.2.0/24.
func hairpinConfig(t *testing.T, pool6 string) *batch.Config {
	t.Helper()
	tab, err := mapping.NewTable(netip.MustParsePrefix(pool6), []mapping.EAM{
		{IPv6: netip.MustParsePrefix("2001:db8:6::5/128"), IPv4: netip.MustParsePrefix("198.51.100.5/32")},
		{IPv6: netip.MustParsePrefix("2001:db8:1::/120"), IPv4: netip.MustParsePrefix("192.0.2.0/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := batch.DefaultConfig()
	c.Map = tab
	c.ICMPv4Source = netip.MustParseAddr("203.0.113.1")
	c.ICMPv6Source = netip.MustParseAddr("2001:db8:ffff::1")
	return &c
}

// TestHairpinOnlyThroughPool6: RFC 7757 section 4.1 hairpins a packet
// whose destination was translated through pool6 (RFC 6052) and lands in
// an EAMT IPv4 range. A destination translated by its own EAM entry is an
// IPv4 host and goes out to IPv4 as usual.
func TestHairpinOnlyThroughPool6(t *testing.T) {
	c := hairpinConfig(t, "64:ff9b::/96")
	src := netip.MustParseAddr("2001:db8:1::7") // 192.0.2.7 by EAM

	// To the IPv4 host's EAM address: translated to IPv4, not hairpinned.
	ip := pktbuild.IPv6{Src: src, Dst: netip.MustParseAddr("2001:db8:6::5"), NextHeader: pktbuild.ProtoUDP, HopLimit: 64}.
		Build(pktbuild.UDP(1000, 53, pktbuild.Payload(20)))
	f := &run64(t, c, ip, nil).Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("to the EAM address: verdict %v reason %v, want to_ipv4", f.Verdict, f.Reason)
	}
	o := ipOf(f)
	if got := netip.AddrFrom4([4]byte(o[16:20])); got != netip.MustParseAddr("198.51.100.5") {
		t.Errorf("IPv4 destination %v", got)
	}

	// An ICMPv6 error about a packet from the IPv4 host's EAM address
	// (the mirror condition, on the inner source): to IPv4 too.
	inner := pktbuild.IPv6{Src: netip.MustParseAddr("2001:db8:6::5"), Dst: src, NextHeader: pktbuild.ProtoUDP, HopLimit: 60}.
		Build(pktbuild.UDP(53, 1000, pktbuild.Payload(20)))
	ip = pktbuild.IPv6{Src: netip.MustParseAddr("2001:db8:1::9"), Dst: netip.MustParseAddr("2001:db8:6::5"), NextHeader: pktbuild.ProtoICMPv6, HopLimit: 64}.
		Build(pktbuild.ICMP(1, 4, 0, inner))
	f = &run64(t, c, ip, nil).Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("ICMPv6 error to the EAM address: verdict %v reason %v, want to_ipv4", f.Verdict, f.Reason)
	}

	// To the pool6 address of an EAMT IPv4 address: hairpinned back to
	// the IPv6 node behind the EAM entry. (The local-use prefix of RFC
	// 8215: under 64:ff9b::/96 the documentation addresses, being
	// non-global, could not be the hairpinned packet's source.)
	c = hairpinConfig(t, "64:ff9b:1::/96")
	ip = pktbuild.IPv6{Src: src, Dst: netip.MustParseAddr("64:ff9b:1::198.51.100.5"), NextHeader: pktbuild.ProtoUDP, HopLimit: 64}.
		Build(pktbuild.UDP(1000, 53, pktbuild.Payload(20)))
	f = &run64(t, c, ip, nil).Frames[0]
	if f.Verdict != batch.To6 {
		t.Fatalf("to the pool6 address: verdict %v reason %v, want to_ipv6", f.Verdict, f.Reason)
	}
	o = ipOf(f)
	if got := netip.AddrFrom16([16]byte(o[24:40])); got != netip.MustParseAddr("2001:db8:6::5") {
		t.Errorf("hairpinned destination %v", got)
	}
	if got := netip.AddrFrom16([16]byte(o[8:24])); got != netip.MustParseAddr("64:ff9b:1::192.0.2.7") {
		t.Errorf("hairpinned source %v", got)
	}
	if !pktbuild.ValidL4Checksum6(o, 40, pktbuild.ProtoUDP) {
		t.Errorf("hairpinned UDP checksum invalid")
	}
}
