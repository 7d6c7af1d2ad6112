package batch_test

// Stateful NAT64 through batch (issue 9): the address step of each
// direction with a nat64.Table behind it.

import (
	"encoding/binary"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
)

// Lab addresses: the IPv6 subscribers, pool6 (a network-specific prefix,
// so documentation IPv4 addresses are allowed), pool4 and an IPv4 server.
var (
	natPool6   = netip.MustParsePrefix("2001:db8:64::/96")
	natPool4   = netip.MustParseAddr("192.0.2.1")
	natHost6   = netip.MustParseAddr("2001:db8::5")
	natHost6b  = netip.MustParseAddr("2001:db8::6")
	natServer4 = netip.MustParseAddr("198.51.100.7")
	natOther4  = netip.MustParseAddr("198.51.100.8")
	natT0      = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).UnixNano()
)

// embed6 is v4 under natPool6.
func embed6(v4 netip.Addr) netip.Addr {
	a, err := mapping.Embed(natPool6, v4)
	if err != nil {
		panic(err)
	}
	return a
}

// natConf is the [nat64] table of the tests: one pool4 address, ports
// 1024-2047 in blocks of 64, a static UDP and ICMP entry.
func natConf() nat64conf.NAT64 {
	c := nat64conf.Default()
	c.Pool4 = []netip.Prefix{netip.PrefixFrom(natPool4, 32)}
	c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 2047}
	c.PortBlockSize = 64
	c.MaxBlocksPerSubscriber = 2
	c.Static = []nat64conf.Static{
		{Protocol: "udp", IPv6: natHost6, Port6: 53, IPv4: natPool4, Port4: 53},
		{Protocol: "icmp", IPv6: natHost6, Port6: 7, IPv4: natPool4, Port4: 7},
	}
	return c
}

// natFixture is a Translator in NAT64 mode with a fake clock.
type natFixture struct {
	tb    testing.TB
	cfg   *batch.Config
	plan  *nat64.Plan
	tab   *nat64.Table
	tr    *batch.Translator
	now   int64
	alloc *heapAlloc
	v     batch.Vector
}

func newNATFixture(tb testing.TB, mod func(*nat64conf.NAT64, *nat64.Options)) *natFixture {
	tb.Helper()
	c := natConf()
	o := nat64.Options{Workers: 1}
	if mod != nil {
		mod(&c, &o)
	}
	plan, err := nat64.NewPlan(&c, o)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := mapping.NewTable(natPool6, nil)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := batch.DefaultConfig()
	cfg.Map = m
	cfg.NAT64 = plan
	cfg.ICMPv4Source = netip.MustParseAddr("192.0.2.254")
	cfg.ICMPv6Source = netip.MustParseAddr("2001:db8::1")
	cfg.ICMPErrorsPerSecond = -1
	fx := &natFixture{tb: tb, cfg: &cfg, plan: plan, now: natT0, alloc: &heapAlloc{}}
	fx.tab = nat64.NewTable(plan, 0, natT0, nil)
	tb.Cleanup(fx.tab.Close)
	fx.tr = newTranslator(&cfg)
	fx.tr.SetNAT64(fx.tab, 0)
	return fx
}

// send translates the IP packets ips as one vector and returns the
// vector's frames (Frames then Extra).
func (fx *natFixture) send(ips ...[]byte) []*batch.Frame {
	fx.v.Reset()
	for _, ip := range ips {
		buf, n := newFrame(ip)
		fx.v.Add(buf, batch.Headroom, n, sideOf(ip))
	}
	fx.tr.Translate(&fx.v, fx.now, fx.alloc)
	var out []*batch.Frame
	for i := 0; i < fx.v.N; i++ {
		out = append(out, &fx.v.Frames[i])
	}
	for i := 0; i < fx.v.NExtra; i++ {
		out = append(out, &fx.v.Extra[i])
	}
	return out
}

// one sends one packet and returns its frame, checking the verdict.
func (fx *natFixture) one(ip []byte, want batch.Verdict) *batch.Frame {
	fx.tb.Helper()
	out := fx.send(ip)
	f := out[0]
	if f.Verdict != want {
		fx.tb.Fatalf("verdict %v (%v), want %v\n%s", f.Verdict, f.Reason, want, describe(ipOf(f)))
	}
	if want != batch.Drop && want != batch.Handoff {
		if msg := checkFrame(f); msg != "" {
			fx.tb.Fatalf("%s\n%s", msg, describe(ipOf(f)))
		}
	}
	return f
}

// idle runs Translate with an empty vector after advancing the clock.
func (fx *natFixture) idle(d time.Duration) []*batch.Frame {
	fx.now += int64(d)
	return fx.send()
}

func natUDP6(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	return pktbuild.IPv6{Src: src, Dst: dst, NextHeader: pktbuild.ProtoUDP}.Build(pktbuild.UDP(sport, dport, pktbuild.Payload(20)))
}

func natUDP4(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) []byte {
	return pktbuild.IPv4{Src: src, Dst: dst, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(sport, dport, pktbuild.Payload(20)))
}

func natTCP6(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, flags uint8) []byte {
	return pktbuild.IPv6{Src: src, Dst: dst, NextHeader: pktbuild.ProtoTCP}.Build(pktbuild.TCP(sport, dport, 1, 0, flags, pktbuild.Payload(8)))
}

func natTCP4(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, flags uint8) []byte {
	return pktbuild.IPv4{Src: src, Dst: dst, Proto: pktbuild.ProtoTCP}.Build(pktbuild.TCP(sport, dport, 1, 0, flags, pktbuild.Payload(8)))
}

const (
	tcpSYN = 0x02
	tcpACK = 0x10
)

// ports4 returns the addresses and ports of an IPv4 packet.
func ports4(ip []byte) (src, dst netip.Addr, sport, dport uint16) {
	hl := int(ip[0]&0xf) * 4
	src, _ = netip.AddrFromSlice(ip[12:16])
	dst, _ = netip.AddrFromSlice(ip[16:20])
	return src, dst, binary.BigEndian.Uint16(ip[hl:]), binary.BigEndian.Uint16(ip[hl+2:])
}

// ports6 returns the addresses and ports of an IPv6 packet without
// extension headers.
func ports6(ip []byte) (src, dst netip.Addr, sport, dport uint16) {
	src, _ = netip.AddrFromSlice(ip[8:24])
	dst, _ = netip.AddrFromSlice(ip[24:40])
	return src, dst, binary.BigEndian.Uint16(ip[40:]), binary.BigEndian.Uint16(ip[42:])
}

func TestNAT64UDPBothWays(t *testing.T) {
	fx := newNATFixture(t, nil)
	f := fx.one(natUDP6(natHost6, 40000, embed6(natServer4), 80), batch.To4)
	ip := ipOf(f)
	src, dst, sport, dport := ports4(ip)
	if src != natPool4 || dst != natServer4 || dport != 80 || sport < 1024 || sport > 2047 {
		t.Fatalf("6->4: %v:%d -> %v:%d", src, sport, dst, dport)
	}
	if !pktbuild.ValidL4Checksum4(ip) {
		t.Fatal("6->4 UDP checksum invalid")
	}
	if s, b, _, _ := fx.tab.Len(); s != 1 || b != 3 { // 2 static BIB entries + 1
		t.Fatalf("sessions %d bib %d", s, b)
	}
	// The reply comes back to the mapping.
	f = fx.one(natUDP4(natServer4, 80, natPool4, sport), batch.To6)
	ip = ipOf(f)
	s6, d6, sp, dp := ports6(ip)
	if s6 != embed6(natServer4) || d6 != natHost6 || sp != 80 || dp != 40000 {
		t.Fatalf("4->6: %v:%d -> %v:%d", s6, sp, d6, dp)
	}
	if !pktbuild.ValidL4Checksum6(ip, 40, pktbuild.ProtoUDP) {
		t.Fatal("4->6 UDP checksum invalid")
	}
	// Endpoint-independent mapping: another destination, the same port.
	f = fx.one(natUDP6(natHost6, 40000, embed6(natOther4), 443), batch.To4)
	if _, _, sp2, _ := ports4(ipOf(f)); sp2 != sport {
		t.Fatalf("EIM: port %d then %d", sport, sp2)
	}
}

// A wrong checksum stays wrong by the same amount: the port change is
// folded into the incremental update (RFC 1624), never recomputed.
func TestNAT64BadChecksumStaysBad(t *testing.T) {
	fx := newNATFixture(t, nil)
	onesAdd := func(a, b uint16) uint16 { s := uint32(a) + uint32(b); return uint16(s + s>>16) }
	for _, proto := range []uint8{pktbuild.ProtoUDP, pktbuild.ProtoTCP} {
		l4 := pktbuild.UDP(41000, 80, pktbuild.Payload(20))
		co := 6
		if proto == pktbuild.ProtoTCP {
			l4, co = pktbuild.TCP(41000, 80, 1, 0, tcpSYN, pktbuild.Payload(20)), 16
		}
		good := pktbuild.IPv6{Src: natHost6, Dst: embed6(natServer4), NextHeader: proto}.Build(l4)
		bad := append([]byte(nil), good...)
		c := binary.BigEndian.Uint16(bad[40+co:])
		binary.BigEndian.PutUint16(bad[40+co:], onesAdd(c, 0x1234))
		gOut := append([]byte(nil), ipOf(fx.one(good, batch.To4))...)
		bOut := ipOf(fx.one(bad, batch.To4))
		if pktbuild.ValidL4Checksum4(bOut) || !pktbuild.ValidL4Checksum4(gOut) {
			t.Fatalf("proto %d: valid good %v, bad %v", proto, pktbuild.ValidL4Checksum4(gOut), pktbuild.ValidL4Checksum4(bOut))
		}
		g, b := binary.BigEndian.Uint16(gOut[20+co:]), binary.BigEndian.Uint16(bOut[20+co:])
		if onesAdd(g, 0x1234) != b {
			t.Fatalf("proto %d: good %#04x, bad %#04x: not off by the same amount", proto, g, b)
		}
	}
}

func TestNAT64TCPBothWaysAndNonSYN(t *testing.T) {
	fx := newNATFixture(t, nil)
	// A TCP segment that is not a SYN opens nothing (RFC 6146 3.5.2.2).
	f := fx.one(natTCP6(natHost6, 40001, embed6(natServer4), 80, tcpACK), batch.Drop)
	if f.Reason != batch.ReasonNAT64NoMapping {
		t.Fatal(f.Reason)
	}
	f = fx.one(natTCP6(natHost6, 40001, embed6(natServer4), 80, tcpSYN), batch.To4)
	_, _, sport, _ := ports4(ipOf(f))
	f = fx.one(natTCP4(natServer4, 80, natPool4, sport, tcpSYN|tcpACK), batch.To6)
	if _, d6, _, dp := ports6(ipOf(f)); d6 != natHost6 || dp != 40001 {
		t.Fatalf("SYN/ACK to %v:%d", d6, dp)
	}
	if !pktbuild.ValidL4Checksum6(ipOf(f), 40, pktbuild.ProtoTCP) {
		t.Fatal("4->6 TCP checksum invalid")
	}
}

func TestNAT64ICMPEcho(t *testing.T) {
	fx := newNATFixture(t, nil)
	ip := pktbuild.IPv6{Src: natHost6b, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoICMPv6}.Build(pktbuild.Echo(128, 0x1234, 1, pktbuild.Payload(16)))
	f := fx.one(ip, batch.To4)
	out := ipOf(f)
	id := binary.BigEndian.Uint16(out[24:])
	if out[20] != 8 || !pktbuild.ValidL4Checksum4(out) {
		t.Fatalf("echo: type %d, checksum valid %v", out[20], pktbuild.ValidL4Checksum4(out))
	}
	rep := pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.Echo(0, id, 1, pktbuild.Payload(16)))
	f = fx.one(rep, batch.To6)
	out = ipOf(f)
	if _, d6, _, _ := ports6(out); d6 != natHost6b || binary.BigEndian.Uint16(out[44:]) != 0x1234 || out[40] != 129 {
		t.Fatalf("reply to %v id %#x type %d", d6, binary.BigEndian.Uint16(out[44:]), out[40])
	}
	if !pktbuild.ValidL4Checksum6(out, 40, pktbuild.ProtoICMPv6) {
		t.Fatal("echo reply checksum invalid")
	}
	// Static ICMP entry: identifier 7 both ways, an IPv4 ping reaches the host.
	ping := pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.Echo(8, 7, 1, nil))
	f = fx.one(ping, batch.To6)
	if _, d6, _, _ := ports6(ipOf(f)); d6 != natHost6 {
		t.Fatal(d6)
	}
}

// IPv4 packets without a mapping: UDP and ICMP are answered with port
// unreachable as Jool does; nothing is created.
func TestNAT64InboundNoMapping(t *testing.T) {
	fx := newNATFixture(t, nil)
	f := fx.one(natUDP4(natServer4, 80, natPool4, 1500), batch.Back)
	out := ipOf(f)
	if f.Reason != batch.ReasonNAT64NoMapping || out[20] != 3 || out[21] != 3 {
		t.Fatalf("%v type %d code %d", f.Reason, out[20], out[21])
	}
	if s, b, _, _ := fx.tab.Len(); s != 0 || b != 2 {
		t.Fatalf("state created: %d sessions, %d BIB", s, b)
	}
}

// An unsolicited IPv4 SYN is held for tcp_incoming_syn and then answered
// with port unreachable quoting it (RFC 6146 3.5.2.2, graybox so/46).
func TestNAT64HeldSYNAnsweredAfterTimeout(t *testing.T) {
	fx := newNATFixture(t, nil)
	syn := natTCP4(natServer4, 50000, natPool4, 1500, tcpSYN)
	f := fx.one(syn, batch.Drop)
	if f.Reason != batch.ReasonNAT64Held || fx.tr.HeldPackets() != 1 {
		t.Fatalf("%v, %d held", f.Reason, fx.tr.HeldPackets())
	}
	if out := fx.idle(5 * time.Second); len(out) != 0 {
		t.Fatalf("answered after 5 s: %d frames", len(out))
	}
	out := fx.idle(1100 * time.Millisecond)
	if len(out) != 1 || out[0].Verdict != batch.Back {
		t.Fatalf("after 6 s: %d frames", len(out))
	}
	e := ipOf(out[0])
	if e[20] != 3 || e[21] != 3 || string(e[28:28+len(syn)]) != string(syn) {
		t.Fatalf("not port unreachable quoting the SYN:\n%s", describe(e))
	}
	if fx.tr.HeldPackets() != 0 || fx.tr.Counters.Events[batch.EvNAT64SYNUnreachable] != 1 {
		t.Fatal("store or counter")
	}
}

// Simultaneous open: the IPv4 SYN is held, the IPv6 SYN of the same
// connection goes out and the held one is dropped silently (RFC 5382
// REQ-4). A static entry fixes the pool4 port, as in graybox so/success.
func TestNAT64SimultaneousOpen(t *testing.T) {
	fx := newNATFixture(t, func(c *nat64conf.NAT64, _ *nat64.Options) {
		c.Static = append(c.Static, nat64conf.Static{Protocol: "tcp", IPv6: natHost6, Port6: 2600, IPv4: natPool4, Port4: 2600})
		c.Filtering = "address-dependent"
	})
	fx.one(natTCP4(natServer4, 2601, natPool4, 2600, tcpSYN), batch.Drop)
	if fx.tr.HeldPackets() != 1 {
		t.Fatal("SYN not held")
	}
	out := fx.send(natTCP6(natHost6, 2600, embed6(natServer4), 2601, tcpSYN))
	if out[0].Verdict != batch.To4 {
		t.Fatal(out[0].Verdict, out[0].Reason)
	}
	if fx.tr.HeldPackets() != 0 || fx.tr.Counters.Events[batch.EvNAT64SYNDiscarded] != 1 {
		t.Fatalf("held %d", fx.tr.HeldPackets())
	}
	if out := fx.idle(10 * time.Second); len(out) != 0 {
		t.Fatal("a discarded SYN was answered")
	}
}

// Endpoint-independent filtering admits anyone to a mapping;
// address-dependent only the addresses the mapping has sessions with.
func TestNAT64Filtering(t *testing.T) {
	for _, adf := range []bool{false, true} {
		fx := newNATFixture(t, func(c *nat64conf.NAT64, _ *nat64.Options) {
			if adf {
				c.Filtering = "address-dependent"
			}
		})
		f := fx.one(natUDP6(natHost6, 40000, embed6(natServer4), 80), batch.To4)
		_, _, sport, _ := ports4(ipOf(f))
		want := batch.To6
		if adf {
			want = batch.Drop
		}
		f = fx.one(natUDP4(natOther4, 80, natPool4, sport), want)
		if adf && f.Reason != batch.ReasonNAT64Filtered {
			t.Fatal(f.Reason)
		}
	}
}

// A subscriber at its port quota gets ICMPv6 1/3 and a counter, and
// nobody else loses anything (RFC 6888 REQ-4).
func TestNAT64QuotaRefusal(t *testing.T) {
	fx := newNATFixture(t, func(c *nat64conf.NAT64, _ *nat64.Options) {
		c.MaxBlocksPerSubscriber = 1
	})
	for i := 0; i < 64; i++ {
		fx.one(natUDP6(natHost6b, uint16(30000+i), embed6(natServer4), 80), batch.To4)
	}
	f := fx.one(natUDP6(natHost6b, 31000, embed6(natServer4), 80), batch.Back)
	out := ipOf(f)
	if f.Reason != batch.ReasonNAT64QuotaPorts || out[40] != 1 || out[41] != 3 {
		t.Fatalf("%v type %d code %d", f.Reason, out[40], out[41])
	}
	if d, _, _, _ := ports6(out); d != netip.MustParseAddr("2001:db8::1") {
		t.Fatal(d)
	}
	if fx.tr.Counters.Drops[batch.ReasonNAT64QuotaPorts] != 1 {
		t.Fatal("counter")
	}
	// Another subscriber still gets a mapping.
	fx.one(natUDP6(natHost6, 31000, embed6(natServer4), 80), batch.To4)
}

// ICMP errors travel through the sessions both ways and create nothing.
func TestNAT64ICMPErrors(t *testing.T) {
	fx := newNATFixture(t, nil)
	req := natUDP6(natHost6, 40000, embed6(natServer4), 80)
	f := fx.one(req, batch.To4)
	sent := append([]byte(nil), ipOf(f)...)
	_, _, sport, _ := ports4(sent)
	s0, b0, _, _ := fx.tab.Len()

	// 4 -> 6: a router says the server's port is unreachable.
	router := netip.MustParseAddr("203.0.113.9")
	e4 := pktbuild.IPv4{Src: router, Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, sent))
	f = fx.one(e4, batch.To6)
	out := ipOf(f)
	s6, d6, _, _ := ports6(out)
	if s6 != embed6(router) || d6 != natHost6 || out[40] != 1 || out[41] != 4 {
		t.Fatalf("error to %v from %v type %d/%d", d6, s6, out[40], out[41])
	}
	// The quoted packet is the host's own, ports and all.
	is, id, isp, idp := ports6(out[48:])
	if is != natHost6 || id != embed6(natServer4) || isp != 40000 || idp != 80 {
		t.Fatalf("inner %v:%d -> %v:%d", is, isp, id, idp)
	}

	// 6 -> 4: the host says the server's reply could not be delivered.
	reply := natUDP6(embed6(natServer4), 80, natHost6, 40000)
	e6 := pktbuild.IPv6{Src: natHost6, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoICMPv6}.Build(pktbuild.ICMP(1, 4, 0, reply))
	f = fx.one(e6, batch.To4)
	out = ipOf(f)
	src, dst, _, _ := ports4(out)
	if src != natPool4 || dst != natServer4 || out[20] != 3 || out[21] != 3 {
		t.Fatalf("error %v -> %v type %d/%d", src, dst, out[20], out[21])
	}
	if _, _, isp, idp := ports4(out[28:]); isp != 80 || idp != sport {
		t.Fatalf("inner ports %d -> %d, want 80 -> %d", isp, idp, sport)
	}
	if s, b, _, _ := fx.tab.Len(); s != s0 || b != b0 {
		t.Fatal("an ICMP error created state")
	}
	// An error about a flow the table does not know is dropped.
	e4 = pktbuild.IPv4{Src: router, Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, natUDP4(natPool4, 1999, natServer4, 80)))
	if f = fx.one(e4, batch.Drop); f.Reason != batch.ReasonNAT64NoMapping {
		t.Fatal(f.Reason)
	}
}

// Fragments: the first creates or uses the state, the others follow it;
// fragments before the first are held until it comes, or dropped at the
// fragment timeout.
func TestNAT64Fragments(t *testing.T) {
	for _, order := range []string{"in order", "reversed"} {
		fx := newNATFixture(t, nil)
		h := pktbuild.IPv6{Src: natHost6, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoUDP}
		frags := h.Fragments(pktbuild.UDP(40000, 80, pktbuild.Payload(300)), 128, 77)
		if order == "reversed" {
			for i, j := 0, len(frags)-1; i < j; i, j = i+1, j-1 {
				frags[i], frags[j] = frags[j], frags[i]
			}
		}
		var got [][]byte
		for _, fr := range frags {
			for _, f := range fx.send(fr) {
				if f.Verdict == batch.To4 {
					got = append(got, append([]byte(nil), ipOf(f)...))
				}
			}
		}
		if len(got) != len(frags) {
			t.Fatalf("%s: %d of %d fragments out", order, len(got), len(frags))
		}
		for _, g := range got {
			if s, _ := netip.AddrFromSlice(g[12:16]); s != natPool4 {
				t.Fatalf("%s: fragment from %v", order, s)
			}
		}
		if order == "reversed" && fx.tr.Counters.Events[batch.EvNAT64HeldReleased] != uint64(len(frags)-1) {
			t.Fatalf("released %d", fx.tr.Counters.Events[batch.EvNAT64HeldReleased])
		}
	}
	// Fragments whose first never comes are dropped at the timeout.
	fx := newNATFixture(t, nil)
	h := pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoUDP, ID: 9}
	frags := h.Fragments(pktbuild.UDP(80, 53, pktbuild.Payload(300)), 128)
	fx.one(frags[1], batch.Drop)
	fx.idle(3 * time.Second)
	if fx.tr.HeldPackets() != 0 || fx.tr.Counters.Drops[batch.ReasonNAT64FragExpired] != 1 {
		t.Fatalf("held %d, expired %d", fx.tr.HeldPackets(), fx.tr.Counters.Drops[batch.ReasonNAT64FragExpired])
	}
	// IPv4 fragments to the static entry, out of order.
	var got int
	for _, i := range []int{2, 0, 1} {
		for _, f := range fx.send(frags[i]) {
			if f.Verdict == batch.To6 {
				got++
				if _, d6, _, _ := ports6(ipOf(f)); d6 != natHost6 {
					t.Fatal(d6)
				}
			}
		}
	}
	if got != 3 {
		t.Fatalf("%d of 3 IPv4 fragments out", got)
	}
}

// Hairpinning (RFC 6146 3.8): an IPv6 host reaches another through the
// pool4 address of its mapping.
func TestNAT64Hairpin(t *testing.T) {
	fx := newNATFixture(t, nil)
	// Hairpinned ICMP queries are refused before the state is touched.
	echo := pktbuild.IPv6{Src: natHost6b, Dst: embed6(natPool4), NextHeader: pktbuild.ProtoICMPv6}.Build(pktbuild.Echo(128, 7, 1, nil))
	if f := fx.one(echo, batch.Drop); f.Reason != batch.ReasonNAT64Unsupported {
		t.Fatal(f.Reason)
	}
	if s, b, _, _ := fx.tab.Len(); s != 0 || b != 2 {
		t.Fatalf("refused hairpin created state: %d sessions, %d BIB", s, b)
	}
	// natHost6's static UDP entry is pool4#53; natHost6b sends to it.
	f := fx.one(natUDP6(natHost6b, 40000, embed6(natPool4), 53), batch.To6)
	out := ipOf(f)
	s6, d6, sp, dp := ports6(out)
	if d6 != natHost6 || dp != 53 || s6 != embed6(natPool4) || sp < 1024 {
		t.Fatalf("hairpin %v:%d -> %v:%d", s6, sp, d6, dp)
	}
	if !pktbuild.ValidL4Checksum6(out, 40, pktbuild.ProtoUDP) {
		t.Fatal("hairpinned checksum invalid")
	}
	// And back, to natHost6b's mapping.
	f = fx.one(natUDP6(natHost6, 53, embed6(natPool4), sp), batch.To6)
	if _, d6, _, dp := ports6(ipOf(f)); d6 != natHost6b || dp != 40000 {
		t.Fatalf("back to %v:%d", d6, dp)
	}
}

// A packet whose state another worker owns is handed over untouched.
func TestNAT64Handoff(t *testing.T) {
	fx := newNATFixture(t, func(_ *nat64conf.NAT64, o *nat64.Options) { o.Workers = 4 })
	var src netip.Addr
	for i := 1; i < 200; i++ {
		a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
		if fx.plan.Owner6(a.As16()) != 0 {
			src = a
			break
		}
	}
	ip := natUDP6(src, 40000, embed6(natServer4), 80)
	f := fx.one(ip, batch.Handoff)
	if int(f.Owner) != fx.plan.Owner6(src.As16()) || string(ipOf(f)) != string(ip) {
		t.Fatalf("owner %d, frame changed %v", f.Owner, string(ipOf(f)) != string(ip))
	}
	if s, _, _, _ := fx.tab.Len(); s != 0 {
		t.Fatal("state created for another worker's flow")
	}
	// The IPv4 side: a port in a block of another worker, and an ICMPv4
	// error quoting a packet sent from such a port (the owner of the
	// quoted packet's source).
	found := false
	for p := uint16(1024); p < 2048; p += 64 {
		if o := fx.plan.Owner4(nat64.ProtoUDP, natPool4.As4(), p); o != 0 {
			f = fx.one(natUDP4(natServer4, 80, natPool4, p), batch.Handoff)
			if int(f.Owner) != o {
				t.Fatal(f.Owner, o)
			}
			quote := natUDP4(natPool4, p, natServer4, 80)
			e := pktbuild.IPv4{Src: netip.MustParseAddr("203.0.113.9"), Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, quote))
			f = fx.one(e, batch.Handoff)
			if int(f.Owner) != o || string(ipOf(f)) != string(e) {
				t.Fatalf("ICMP error: owner %d, want %d (frame unchanged: %v)", f.Owner, o, string(ipOf(f)) == string(e))
			}
			found = true
			break
		}
	}
	if !found {
		t.Fatal("no port of another worker")
	}
}

// natScenario is a NAT64 packet shape for the alloc test and the
// benchmarks: 64 different flows with established sessions, so every
// frame of a vector takes the found-session path of the state.
type natScenario struct {
	name     string
	ips      [][]byte
	verdict  batch.Verdict
	restoreN int
	tr       *batch.Translator
}

// natScenarios builds a Translator in NAT64 mode (clock 1e9, as
// vecFixture's), opens 64 UDP, TCP and ICMP flows from 64 IPv6 hosts, and
// returns the packets of those flows in both directions.
func natScenarios(tb testing.TB) []natScenario {
	tb.Helper()
	const now = 1e9
	mk := func() (*batch.Translator, *natFixture) {
		fx := newNATFixture(tb, func(c *nat64conf.NAT64, _ *nat64.Options) {
			c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 65535}
			c.PortBlockSize = 128
		})
		fx.tab.Close()
		fx.tab = nat64.NewTable(fx.plan, 0, now, nil)
		tb.Cleanup(fx.tab.Close)
		fx.now = now
		fx.tr.SetNAT64(fx.tab, 0)
		return fx.tr, fx
	}
	var out []natScenario
	type shape struct {
		name  string
		out6  func(h netip.Addr, i int) []byte
		in4   func(port uint16) []byte
		restN int
	}
	shapes := []shape{
		{"UDP", func(h netip.Addr, i int) []byte {
			return pktbuild.IPv6{Src: h, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoUDP}.Build(pktbuild.UDP(uint16(20000+i), 80, pktbuild.Payload(18)))
		}, func(p uint16) []byte {
			return pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(80, p, pktbuild.Payload(18)))
		}, 64},
		{"TCP", func(h netip.Addr, i int) []byte {
			return pktbuild.IPv6{Src: h, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoTCP}.Build(pktbuild.TCP(uint16(20000+i), 80, 1, 2, tcpSYN, pktbuild.Payload(6)))
		}, func(p uint16) []byte {
			return pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoTCP}.Build(pktbuild.TCP(80, p, 1, 2, tcpSYN|tcpACK, pktbuild.Payload(6)))
		}, 96},
		{"ICMP", func(h netip.Addr, i int) []byte {
			return pktbuild.IPv6{Src: h, Dst: embed6(natServer4), NextHeader: pktbuild.ProtoICMPv6}.Build(pktbuild.Echo(128, uint16(20000+i), 1, pktbuild.Payload(18)))
		}, func(p uint16) []byte {
			return pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.Echo(0, p, 1, pktbuild.Payload(18)))
		}, 64},
	}
	for _, s := range shapes {
		tr, fx := mk()
		var v6, v4 [][]byte
		for i := 0; i < batch.Size; i++ {
			h := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 14: byte(i >> 8), 15: byte(i + 1)})
			ip := s.out6(h, i)
			f := fx.one(ip, batch.To4)
			o := ipOf(f)
			port := binary.BigEndian.Uint16(o[20:])
			if s.name == "ICMP" {
				port = binary.BigEndian.Uint16(o[24:])
			}
			v6 = append(v6, ip)
			v4 = append(v4, s.in4(port))
		}
		if s.name == "TCP" {
			// Established: the SYN/ACKs went through once.
			for _, ip := range v4 {
				fx.one(ip, batch.To6)
			}
		}
		out = append(out,
			natScenario{"NAT64/" + s.name + "/6to4", v6, batch.To4, s.restN, tr},
			natScenario{"NAT64/" + s.name + "/4to6", v4, batch.To6, s.restN, tr})
	}
	return out
}

// TestTranslateAllocsNAT64: 0 allocations per vector in NAT64 mode, over
// established sessions both ways.
func TestTranslateAllocsNAT64(t *testing.T) {
	for _, sc := range natScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			fx := newVecFixtureWith(t, sc.tr, sc.ips, sc.restoreN)
			fx.expect(t, sc.verdict, 0)
			if n := testing.AllocsPerRun(50, fx.run); n != 0 {
				t.Errorf("%v allocations per 64-frame vector, want 0", n)
			}
		})
	}
}

// FuzzNAT64 feeds up to 8 packets from either side through a Translator in
// NAT64 mode (the graybox NAT64 setup, 1 or 2 workers) and checks: no
// panic; outputs are valid frames; an IPv4 packet never creates a BIB
// entry; a dropped packet creates no state (sessions and BIB entries,
// through Table.Len; a held hairpinned IPv6 SYN legitimately opened its
// outbound half); a handed-off frame is untouched; nothing stays held
// beyond the timeouts. When fuzzing, each worker process keeps a plan,
// table and Translator per worker count and empties them between inputs
// (Table.Flush, SetNAT64): building them cost ~100x an input (see the
// tests section of docs/DESIGN.md's stateful NAT64 part).
func FuzzNAT64(f *testing.F) {
	var seeds [][]byte
	if dir := grayboxDirOK(); dir != "" {
		for _, r := range graybox.NAT64Rows {
			for _, name := range append([]string{r.In}, r.Also...) {
				if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
					seeds = append(seeds, b)
				}
			}
		}
	}
	seeds = append(seeds,
		natUDP6(netip.MustParseAddr("2001:db8::5"), 40000, netip.MustParseAddr("64:ff9b::c633:6407"), 80),
		natTCP4(netip.MustParseAddr("198.51.100.7"), 80, netip.MustParseAddr("192.0.2.2"), 2000, tcpSYN))
	for i := range seeds {
		f.Add(joinPackets(seeds[i], seeds[(i+1)%len(seeds)], seeds[(i+2)%len(seeds)]), uint8(i))
	}
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	var kept [2]*fuzzNAT64 // by worker count - 1, when fuzzing
	f.Fuzz(func(t *testing.T, data []byte, knobs uint8) {
		pkts := splitPackets(data, 8)
		if len(pkts) == 0 {
			return
		}
		w := int(knobs & 1)
		fx := kept[w]
		if fx == nil || fx.dirty || fx.now-natT0 > int64(7*24*time.Hour) {
			if fx != nil {
				fx.tab.Close()
			}
			fx = newFuzzNAT64(t, 1+w)
			if fuzzing {
				kept[w] = fx
			} else {
				defer fx.tab.Close()
			}
		}
		fx.dirty = true // until the input passes
		plan, tab, tr, now := fx.plan, fx.tab, fx.tr, fx.now
		tab.Flush(now)
		tab.Notices(nil)
		tr.SetNAT64(tab, 0) // empties the held store
		for i, p := range pkts {
			s0, b0, _, _ := tab.Len()
			buf, n := newFrame(p)
			orig := append([]byte(nil), buf[batch.Headroom:batch.Headroom+n]...)
			var v batch.Vector
			v.Add(buf, batch.Headroom, n, sideOf(p))
			tr.Translate(&v, now, &heapAlloc{})
			fr := &v.Frames[0]
			s1, b1, _, _ := tab.Len()
			if sideOf(p) == batch.Side4 && b1 > b0 {
				t.Fatalf("packet %d from the IPv4 side created a BIB entry\n%s", i, describe(p))
			}
			// Exempt: a held hairpinned IPv6 SYN, and a hairpinned IPv6
			// packet the destination's mapping refused (its sender's
			// outbound half is as legitimate as any packet a remote
			// host drops).
			hairpinRefused := sideOf(p) == batch.Side6 && (fr.Reason == batch.ReasonNAT64NoMapping || fr.Reason == batch.ReasonNAT64Filtered) &&
				len(p) >= 40 && plan.InPool4([4]byte(p[36:40]))
			if fr.Verdict == batch.Drop && fr.Reason != batch.ReasonNAT64Held && !hairpinRefused && (s1 != s0 || b1 != b0) {
				t.Fatalf("packet %d dropped (%v) but created state: sessions %d -> %d, BIB %d -> %d\n%s", i, fr.Reason, s0, s1, b0, b1, describe(p))
			}
			if fr.Verdict == batch.Handoff && (fr.In == sideOf(p) && string(fr.Bytes()) != string(orig[:fr.Len])) {
				t.Fatalf("packet %d handed off changed\n%s", i, describe(p))
			}
			for _, o := range outputs(&v) {
				if o.Verdict == batch.Handoff {
					continue
				}
				if msg := checkFrame(o); msg != "" {
					t.Fatalf("packet %d: %s\n%s", i, msg, describe(p))
				}
			}
			if knobs&2 != 0 {
				now += int64(3 * time.Second)
			}
		}
		// Everything held ends within the timeouts.
		now += int64(10 * time.Second)
		var v batch.Vector
		tr.Translate(&v, now, &heapAlloc{})
		if tr.HeldPackets() != 0 {
			t.Fatalf("%d packets still held after 10 s", tr.HeldPackets())
		}
		fx.now, fx.dirty = now, false
	})
}

// fuzzNAT64 is the plan, table and Translator FuzzNAT64 keeps from one
// input to the next.
type fuzzNAT64 struct {
	plan  *nat64.Plan
	tab   *nat64.Table
	tr    *batch.Translator
	now   int64
	dirty bool // an input started on it and did not pass
}

func newFuzzNAT64(t *testing.T, workers int) *fuzzNAT64 {
	plan, config := grayNAT64(t, workers, 4096)
	tab := nat64.NewTable(plan, 0, natT0, nil)
	src := new(batch.ConfigSource)
	src.Store(config(graybox.Env{}))
	return &fuzzNAT64{plan: plan, tab: tab, tr: batch.New(src), now: natT0}
}

// Hairpinning across workers: the destination's state is another
// worker's, so the packet is handed over as the IPv4 packet of the first
// half, and that worker finishes it as an IPv4 packet from a pool4 source.
func TestNAT64HairpinHandoff(t *testing.T) {
	host := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 14: byte(i >> 8), 15: byte(i)})
	}
	w0 := newNATFixture(t, func(c *nat64conf.NAT64, o *nat64.Options) {
		o.Workers = 2
		for i := 1; i <= 16; i++ {
			c.Static = append(c.Static, nat64conf.Static{Protocol: "udp", IPv6: host(i), Port6: 5000, IPv4: natPool4, Port4: 900 + i})
		}
	})
	// Worker 1: the same plan and configuration, its own table.
	tab1 := nat64.NewTable(w0.plan, 1, natT0, nil)
	defer tab1.Close()
	tr1 := newTranslator(w0.cfg)
	tr1.SetNAT64(tab1, 1)

	var sender netip.Addr
	dst := -1
	for i := 1; i <= 16; i++ {
		switch w0.plan.Owner6(host(i).As16()) {
		case 0:
			if !sender.IsValid() {
				sender = host(i)
			}
		case 1:
			if dst < 0 {
				dst = i
			}
		}
	}
	if !sender.IsValid() || dst < 0 {
		t.Skip("the owner hash put all 16 hosts on one worker")
	}
	f := w0.one(natUDP6(sender, 40000, embed6(natPool4), uint16(900+dst)), batch.Handoff)
	if f.Owner != 1 || f.In != batch.Side4 {
		t.Fatalf("owner %d in %v", f.Owner, f.In)
	}
	var v batch.Vector
	v.Add(f.Buf, f.Off, f.Len, f.In)
	tr1.Translate(&v, w0.now, w0.alloc)
	g := &v.Frames[0]
	if g.Verdict != batch.To6 {
		t.Fatalf("worker 1: %v %v", g.Verdict, g.Reason)
	}
	if s6, d6, _, dp := ports6(ipOf(g)); d6 != host(dst) || dp != 5000 || s6 != embed6(natPool4) {
		t.Fatalf("to %v:%d from %v", d6, dp, s6)
	}
}

// The held store is bounded: beyond its slots a packet to hold is dropped
// with its own counter, and the store stays usable.
func TestNAT64HeldStoreBound(t *testing.T) {
	fx := newNATFixture(t, nil)
	n := 0
	for i := 0; ; i++ {
		f := fx.one(natTCP4(natServer4, uint16(10000+i), natPool4, 1500, tcpSYN), batch.Drop)
		if f.Reason == batch.ReasonNAT64HeldFull {
			break
		}
		if f.Reason != batch.ReasonNAT64Held || i > 1000 {
			t.Fatalf("SYN %d: %v", i, f.Reason)
		}
		n++
	}
	if n != fx.tr.HeldPackets() || n == 0 {
		t.Fatalf("%d held, store says %d", n, fx.tr.HeldPackets())
	}
	// After the timeout every held SYN is answered, at most a vector's
	// Extra at a time, and the store is empty.
	answered := 0
	for k := 0; k < 10 && answered < n; k++ {
		d := time.Duration(0)
		if k == 0 {
			d = 7 * time.Second
		}
		for _, f := range fx.idle(d) {
			if f.Verdict == batch.Back {
				answered++
			}
		}
	}
	if answered != n || fx.tr.HeldPackets() != 0 {
		t.Fatalf("%d of %d answered, %d still held", answered, n, fx.tr.HeldPackets())
	}
}

// The EAMT keeps SIIT semantics beside NAT64: a host covered by an EAM is
// translated statelessly both ways, ports untouched, nothing in the table.
func TestNAT64BesideEAMT(t *testing.T) {
	fx := newNATFixture(t, nil)
	eam := mapping.EAM{IPv6: netip.MustParsePrefix("2001:db8:6::/120"), IPv4: netip.MustParsePrefix("203.0.113.0/24")}
	m, err := mapping.NewTable(natPool6, []mapping.EAM{eam})
	if err != nil {
		t.Fatal(err)
	}
	cfg := *fx.cfg
	cfg.Map = m
	fx.tr = newTranslator(&cfg)
	fx.tr.SetNAT64(fx.tab, 0)
	siit6 := netip.MustParseAddr("2001:db8:6::5")
	f := fx.one(natUDP6(siit6, 40000, embed6(natServer4), 80), batch.To4)
	if src, _, sp, _ := ports4(ipOf(f)); src != netip.MustParseAddr("203.0.113.5") || sp != 40000 {
		t.Fatalf("SIIT source %v:%d", src, sp)
	}
	f = fx.one(natUDP4(natServer4, 80, netip.MustParseAddr("203.0.113.5"), 40000), batch.To6)
	if _, d6, _, dp := ports6(ipOf(f)); d6 != siit6 || dp != 40000 {
		t.Fatalf("SIIT destination %v:%d", d6, dp)
	}
	if s, b, _, _ := fx.tab.Len(); s != 0 || b != 2 {
		t.Fatalf("SIIT packets created state: %d sessions, %d BIB entries", s, b)
	}
	// A NAT64 host still goes through the state.
	fx.one(natUDP6(natHost6b, 40000, embed6(natServer4), 80), batch.To4)
	if s, _, _, _ := fx.tab.Len(); s != 1 {
		t.Fatal(s)
	}
}

// A retransmitted unsolicited SYN replaces the held copy instead of taking
// a second slot, and is answered once.
func TestNAT64HeldSYNRetransmitted(t *testing.T) {
	fx := newNATFixture(t, nil)
	syn := natTCP4(natServer4, 50000, natPool4, 1500, tcpSYN)
	fx.one(syn, batch.Drop)
	fx.now += int64(time.Second)
	fx.one(syn, batch.Drop)
	if fx.tr.HeldPackets() != 1 {
		t.Fatalf("%d held", fx.tr.HeldPackets())
	}
	out := fx.idle(6 * time.Second)
	if len(out) != 1 || out[0].Verdict != batch.Back {
		t.Fatalf("%d frames", len(out))
	}
}

// Table.Flush (`xlatd nat64 flush`) between two vectors: the held IPv4
// SYN is dropped silently and the held fragment dropped at the next
// vector's housekeeping, nothing is answered later; a session ends and the
// table works again.
func TestNAT64FlushDropsHeld(t *testing.T) {
	fx := newNATFixture(t, nil)
	fx.one(natUDP6(natHost6, 40000, embed6(natServer4), 53), batch.To4)
	fx.one(natTCP4(natServer4, 50000, natPool4, 1500, tcpSYN), batch.Drop)
	h := pktbuild.IPv4{Src: natServer4, Dst: natPool4, Proto: pktbuild.ProtoUDP, ID: 9}
	frags := h.Fragments(pktbuild.UDP(80, 53, pktbuild.Payload(300)), 128)
	fx.one(frags[1], batch.Drop)
	if fx.tr.HeldPackets() != 2 {
		t.Fatalf("%d held, want the SYN and the fragment", fx.tr.HeldPackets())
	}
	s, b := fx.tab.Flush(fx.now)
	if s != 1 || b != 1 {
		t.Fatalf("Flush = %d sessions, %d BIB entries; want 1, 1", s, b)
	}
	if out := fx.idle(time.Millisecond); len(out) != 0 {
		t.Fatalf("%d frames after the flush", len(out))
	}
	if fx.tr.HeldPackets() != 0 || fx.tr.Counters.Events[batch.EvNAT64SYNDiscarded] != 1 || fx.tr.Counters.Drops[batch.ReasonNAT64FragExpired] != 1 {
		t.Fatalf("held %d, SYNs discarded %d, fragments dropped %d", fx.tr.HeldPackets(),
			fx.tr.Counters.Events[batch.EvNAT64SYNDiscarded], fx.tr.Counters.Drops[batch.ReasonNAT64FragExpired])
	}
	if out := fx.idle(10 * time.Second); len(out) != 0 || fx.tr.Counters.Events[batch.EvNAT64SYNUnreachable] != 0 {
		t.Fatal("a flushed SYN was answered")
	}
	fx.one(natUDP6(natHost6, 40001, embed6(natServer4), 53), batch.To4)
	if s, _, _, _ := fx.tab.Len(); s != 1 {
		t.Fatalf("%d sessions after new traffic", s)
	}
}
