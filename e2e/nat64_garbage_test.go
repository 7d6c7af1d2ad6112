package e2e

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/xlatd/xlatd/internal/pktbuild"
)

// nat64GarbageSeeds returns well-formed packets of many kinds for the
// NAT64 state: from src6 to the pool6 name of h4, and from h4 to pool4
// addresses (never the static entries' 203.0.113.129).
func nat64GarbageSeeds(src6, h4as6, h4 netip.Addr) (v6, v4 [][]byte) {
	pl := pktbuild.Payload(120)
	p4 := []netip.Addr{netip.MustParseAddr("203.0.113.130"), netip.MustParseAddr("203.0.113.137"), netip.MustParseAddr("203.0.113.143")}
	inner6 := pktbuild.IPv6{Src: h4as6, Dst: src6, NextHeader: 17}.Build(pktbuild.UDP(7000, 40000, pl))
	v6 = [][]byte{
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 17}.Build(pktbuild.UDP(40000, 7000, pl)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 6}.Build(pktbuild.TCP(40001, 80, 1, 0, tcpSYN, nil)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 6}.Build(pktbuild.TCP(40002, 80, 1, 2, tcpACK|0x08, pl)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.Echo(128, 77, 1, pl)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.ICMP(1, 4, 0, inner6)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 58}.Build(pktbuild.ICMP(2, 0, 1280, inner6)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 17, Ext: []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.DestOpts()}}.Build(pktbuild.UDP(40003, 7000, pl)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 17, Frag: &pktbuild.Frag{Offset: 0, M: true, ID: 7}}.Build(pktbuild.UDP(40004, 7000, pl)),
		pktbuild.IPv6{Src: src6, Dst: h4as6, NextHeader: 17, Frag: &pktbuild.Frag{Offset: 16, M: true, ID: 8}}.Build(pl),
	}
	for _, a := range p4 {
		inner4 := pktbuild.IPv4{Src: a, Dst: h4, Proto: 17}.Build(pktbuild.UDP(2000, 7000, pl))
		innerT := pktbuild.IPv4{Src: a, Dst: h4, Proto: 6}.Build(pktbuild.TCP(2000, 80, 1, 0, tcpSYN, nil))
		v4 = append(v4,
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 17}.Build(pktbuild.UDP(7000, 2000, pl)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 6, DF: true}.Build(pktbuild.TCP(80, 2000, 3, 4, tcpSYN, nil)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 6, DF: true}.Build(pktbuild.TCP(80, 2000, 3, 4, tcpACK|0x08, pl)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 1}.Build(pktbuild.Echo(0, 2000, 1, pl)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 1}.Build(pktbuild.Echo(8, 2000, 1, pl)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 1}.Build(pktbuild.ICMP(3, 3, 0, inner4)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 1}.Build(pktbuild.ICMP(3, 4, 1000, innerT)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 17, Options: []byte{0x83, 7, 4, 0, 0, 0, 0}}.Build(pktbuild.UDP(7000, 2001, pl)),
			pktbuild.IPv4{Src: h4, Dst: a, Proto: 17, MF: true, ID: 9}.Build(pktbuild.UDP(7000, 2002, pl)),
		)
	}
	return v6, v4
}

// TestNAT64Garbage: malformed and unsolicited frames through the NAT64
// datapath, 2 s from the IPv4 side, then 2 s from the IPv6 side (bounded in
// frames too). xlatd stays up; the IPv4 side's garbage creates no BIB entry
// or session at all (inbound packets never create state); the IPv6 side's
// creates entries only for its own source (mutated packets may still be
// valid flows) within the quota; translation works afterwards.
func TestNAT64Garbage(t *testing.T) {
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	s6, s4 := openPacket(t, h6, "to-xl"), openPacket(t, h4, "to-xl")
	mac6, mac4 := mustMAC(t, n.e("MAC_BOX6")), mustMAC(t, n.e("MAC_BOX4"))
	src6 := netip.MustParseAddr(sub2)
	seeds6, seeds4 := nat64GarbageSeeds(src6, n.as6(n.e("H4")), netip.MustParseAddr(n.e("H4")))
	rng := rand.New(rand.NewPCG(6, 4))
	blast := func(s *pktSock, mac [6]byte, seeds [][]byte) int {
		sent := 0
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) && sent < 40000 {
			p := seeds[rng.IntN(len(seeds))]
			if rng.IntN(4) != 0 {
				p = mutate(rng, p)
			}
			if s.sendIP(mac, p) == nil {
				sent++
			}
			if sent%256 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		return sent
	}
	static := len(n.bib(t))
	sent := blast(s4, mac4, seeds4)
	t.Logf("IPv4 side: %d frames (a quarter intact, the rest mutated)", sent)
	if !n.d.running() {
		t.Fatalf("xlatd died under IPv4 garbage: %v", n.d.err)
	}
	if b := n.bib(t); len(b) != static {
		t.Errorf("IPv4-side garbage created BIB entries: %d, want the %d static ones: %+v", len(b), static, b)
	}
	if s := n.sessions(t); len(s) != 0 {
		t.Errorf("IPv4-side garbage created %d sessions: %+v", len(s), s[:min(len(s), 5)])
	}

	sent = blast(s6, mac6, seeds6)
	t.Logf("IPv6 side: %d frames", sent)
	if !n.d.running() {
		t.Fatalf("xlatd died under IPv6 garbage: %v", n.d.err)
	}
	bib := n.bib(t)
	for _, e := range bib {
		if !e.Static && e.IPv6 != sub2 {
			t.Errorf("BIB entry of a source the garbage did not use: %+v", e)
		}
	}
	if k := len(bib) - static; k > 8*128*3 {
		t.Errorf("%d dynamic BIB entries exceed the quota (8 blocks of 128 per protocol)", k)
	}
	t.Logf("IPv6-side garbage left %d dynamic BIB entries of %s", len(bib)-static, sub2)
	if d := n.d.counterSum("drop."); d <= 0 {
		t.Errorf("no drop counted after the garbage (drop.* = %v)", d)
	}
	// Still translating.
	seen := udpServer(t, h4, ap(n.e("H4"), 7300))
	if _, err := udpAskErr(udpSock(t, h6, ap(n.e("H6"), 47000)), netip.AddrPortFrom(n.as6(n.e("H4")), 7300), seen, 10); err != nil {
		t.Fatalf("after the garbage: %v", err)
	}
}
