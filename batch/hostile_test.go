package batch_test

// Hostile input found by an independent probe (issue 7): martian IPv4
// addresses out of IPv6 -> IPv4, fragment checks on IPv6 -> IPv4, drop
// counters of ICMP-answered IPv4 packets, UDP length fields, fragmented
// ICMPv4, Jumbo Payload options. Every case here also seeds the fuzz
// targets (fuzzTranslate).

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// emb40 returns a4 embedded in the graybox pool6 (2001:db8:100::/40, RFC
// 6052 section 2.2: bits 40-63, the u octet, bits 72-79).
func emb40(a4 string) netip.Addr {
	p := grayPool6.Addr().As16()
	v := netip.MustParseAddr(a4).As4()
	p[5], p[6], p[7], p[9] = v[0], v[1], v[2], v[3]
	return netip.AddrFrom16(p)
}

// udpLen returns a UDP datagram with payload n whose length field says ulen.
func udpLen(n, ulen int) []byte {
	u := pktbuild.UDP(4000, 2000, pktbuild.Payload(n))
	binary.BigEndian.PutUint16(u[4:], uint16(ulen))
	binary.BigEndian.PutUint16(u[6:], 0x1234) // not 0 in fragments (Build sets it otherwise)
	return u
}

// hostileCases are the probe's packets with the verdicts they must get.
func hostileCases() []malformedCase {
	var cs []malformedCase
	add := func(c malformedCase) { cs = append(cs, c) }
	martian := []string{"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.1.2.3", "240.0.0.1", "255.255.255.255"}

	// 3. IPv6 -> IPv4: martian IPv4 sources and destinations.
	for _, a := range martian {
		h := h6(pktbuild.ProtoUDP)
		h.Src = emb40(a)
		add(malformedCase{name: "martian6/src/" + a, et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
			verdicts: drop, reasons: reasons(batch.ReasonMartian)})
		h = h6(pktbuild.ProtoUDP)
		h.Dst = emb40(a)
		add(malformedCase{name: "martian6/dst/" + a, et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
			verdicts: drop, reasons: reasons(batch.ReasonMartian)})
		h = h6(pktbuild.ProtoICMPv6)
		h.Dst = emb40(a)
		add(malformedCase{name: "martian6/dst-echo/" + a, et: e6, ip: h.Build(pktbuild.Echo(128, 1, 2, pktbuild.Payload(8))),
			verdicts: drop, reasons: reasons(batch.ReasonMartian)})
	}

	// 4. IPv6 -> IPv4 fragments: past 65535, misaligned, empty.
	frag := func(name string, proto uint8, off int, m bool, n int) {
		h := h6(proto)
		h.Frag = &pktbuild.Frag{Offset: off, M: m, ID: 99}
		add(malformedCase{name: "frag6/" + name, et: e6, ip: h.Build(pktbuild.Payload(n)),
			verdicts: drop, reasons: reasons(batch.ReasonBadFragment)})
	}
	frag("offset-8191-64", pktbuild.ProtoUDP, 8191*8, false, 64)
	frag("end-past-65535", pktbuild.ProtoUDP, 65528-64, false, 72)
	// A non-last fragment of 13 bytes is translated, as Jool does (graybox
	// rows abt3, cjt1: non-last fragments of 12 and 1239 bytes).
	hm := h6(pktbuild.ProtoUDP)
	hm.Frag = &pktbuild.Frag{Offset: 16, M: true, ID: 99}
	add(malformedCase{name: "frag6/nonlast-13-as-jool", et: e6, ip: hm.Build(pktbuild.Payload(13)), verdicts: to4})
	frag("nonlast-0", pktbuild.ProtoUDP, 16, true, 0)
	frag("last-0", pktbuild.ProtoUDP, 16, false, 0)
	frag("tcp-offset-8", pktbuild.ProtoTCP, 8, true, 16) // RFC 1858 section 3.2

	// 6. UDP length field against the IP payload.
	for _, ulen := range []int{0, 4, 7, 65, 1000} {
		add(malformedCase{name: fmt.Sprintf("udplen4/%d", ulen), et: e4,
			ip: h4(pktbuild.ProtoUDP).Build(udpLen(56, ulen)), verdicts: drop, reasons: reasons(batch.ReasonUDPBadLength)})
		add(malformedCase{name: fmt.Sprintf("udplen6/%d", ulen), et: e6,
			ip: h6(pktbuild.ProtoUDP).Build(udpLen(56, ulen)), verdicts: drop, reasons: reasons(batch.ReasonUDPBadLength)})
	}
	// A first fragment's UDP length is that of the whole datagram, larger
	// than the fragment; below 8 it is impossible. (Equal to the fragment
	// is translated, as Jool does in graybox rows abt3 and ect1.)
	h := h4(pktbuild.ProtoUDP)
	h.MF = true
	add(malformedCase{name: "udplen4/first-fragment-ok", et: e4, ip: h.Build(udpLen(56, 200)), verdicts: to6})
	add(malformedCase{name: "udplen4/first-fragment-short", et: e4, ip: h.Build(udpLen(56, 4)), verdicts: drop,
		reasons: reasons(batch.ReasonUDPBadLength)})
	hf := h6(pktbuild.ProtoUDP)
	hf.Frag = &pktbuild.Frag{M: true, ID: 5}
	add(malformedCase{name: "udplen6/first-fragment-ok", et: e6, ip: hf.Build(udpLen(56, 200)), verdicts: to4})
	add(malformedCase{name: "udplen6/first-fragment-short", et: e6, ip: hf.Build(udpLen(56, 0)), verdicts: drop,
		reasons: reasons(batch.ReasonUDPBadLength)})

	// 6. A fragmented ICMPv4 echo: both fragments dropped, as on the IPv6 side.
	for i, fr := range h4(pktbuild.ProtoICMP).Fragments(pktbuild.Echo(8, 1, 2, pktbuild.Payload(64)), 40) {
		add(malformedCase{name: fmt.Sprintf("icmp4-fragmented/%d", i), et: e4, ip: fr, verdicts: drop,
			reasons: reasons(batch.ReasonICMPFragmented)})
	}

	// 6. RFC 2675: a Jumbo Payload option with a non-zero payload length.
	hj := h6(pktbuild.ProtoUDP)
	hj.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoHopByHop, Data: []byte{0xc2, 4, 0, 1, 0, 0}}}
	add(malformedCase{name: "jumbo/nonzero-payload-length", et: e6, ip: hj.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
		verdicts: drop, reasons: reasons(batch.ReasonBadExtHeaders)})
	hj.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoHopByHop, Data: []byte{1, 0, 0xc2, 4, 0, 1, 0, 0, 1, 2, 0, 0, 0, 0}}}
	add(malformedCase{name: "jumbo/after-padn", et: e6, ip: hj.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
		verdicts: drop, reasons: reasons(batch.ReasonBadExtHeaders)})
	// 6. RFC 6052 section 2.2: bits 64-71 (u) "MUST be set to zero", the
	// suffix is zero. An address with either set is not the IPv4-embedded
	// address of anything; taking it for one would let any host of the /64
	// speak for its neighbour's IPv4 address. Source: refused like an
	// unmapped one (ICMPv6 1/5); destination: dropped.
	for _, c := range []struct {
		name string
		byt  int
	}{{"u-octet", 8}, {"suffix", 10}, {"suffix-last", 15}} {
		h := h6(pktbuild.ProtoUDP)
		a := h.Src.As16()
		a[c.byt] = 1
		h.Src = netip.AddrFrom16(a)
		add(malformedCase{name: "rfc6052/src-" + c.name, et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
			verdicts: noTo4, reasons: reasons(batch.ReasonNoMapping6), check: firstICMP(1, 5)})
		h = h6(pktbuild.ProtoUDP)
		a = h.Dst.As16()
		a[c.byt] = 0x80
		h.Dst = netip.AddrFrom16(a)
		add(malformedCase{name: "rfc6052/dst-" + c.name, et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))),
			verdicts: drop, reasons: reasons(batch.ReasonNoMapping6)})
	}
	return cs
}

func TestHostile(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			v, fail := translateChecked(knobConfig(t, c.knobs), c.et, c.ip)
			if fail != "" {
				t.Fatalf("%s\ninput:\n%s", fail, describe(c.ip))
			}
			f := &v.Frames[0]
			if c.verdicts != nil && !slicesContains(c.verdicts, f.Verdict) {
				t.Errorf("verdict %v (reason %v), want one of %v\ninput:\n%s", f.Verdict, f.Reason, c.verdicts, describe(c.ip))
			}
			if f.Verdict != batch.To4 && f.Verdict != batch.To6 && c.reasons != nil && !slicesContains(c.reasons, f.Reason) {
				t.Errorf("%v for %v, want one of %v\ninput:\n%s", f.Verdict, f.Reason, c.reasons, describe(c.ip))
			}
			if c.check != nil && f.Verdict != batch.Drop {
				if s := c.check(v); s != "" {
					t.Errorf("%s\ninput:\n%s", s, describe(c.ip))
				}
			}
		})
	}
}

// TestHostileICMPErrorMartianSource: an ICMPv6 error from a router whose
// address embeds a martian IPv4 address still reaches the IPv4 host, from
// the RFC 6791 pool rather than from 127.0.0.1.
func TestHostileICMPErrorMartianSource(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	ip := icmpErr6(1, 4, 0, nil)
	src := emb40("127.0.0.1").As16()
	copy(ip[8:24], src[:])
	fixICMP6(ip)
	v := run64(t, cfg, ip, nil)
	f := &v.Frames[0]
	if f.Verdict != batch.To4 {
		t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
	}
	if got, want := netip.AddrFrom4([4]byte(ipOf(f)[12:16])), gray6791v4.Addr(); got != want {
		t.Errorf("source %v, want the RFC 6791 address %v", got, want)
	}
}

// TestHostileBackCounted: IPv4 packets answered with an ICMPv4 error count
// their drop reason as well as the verdict back, as the IPv6 side does.
func TestHostileBackCounted(t *testing.T) {
	ttl := udp4()
	ttl.TTL = 1
	zero := udp4()
	zero.KeepL4Csum = true
	zeroIP := zero.Build(pktbuild.UDP(1, 2, pktbuild.Payload(31)))
	binary.BigEndian.PutUint16(zeroIP[26:], 0)
	lsrr := udp4()
	lsrr.Options = []byte{131, 11, 4, 203, 0, 113, 1, 203, 0, 113, 2, 1}
	for _, c := range []struct {
		name string
		ip   []byte
		r    batch.Reason
	}{
		{"ttl", ttl.Build(pktbuild.UDP(1, 2, pktbuild.Payload(20))), batch.ReasonTTLExpired},
		{"udp-zero-checksum", zeroIP, batch.ReasonUDPZeroChecksum},
		{"df-too-big", udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(1453))), batch.ReasonFragNeeded},
		{"source-route", lsrr.Build(pktbuild.UDP(1, 2, pktbuild.Payload(8))), batch.ReasonSourceRoute},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, tr := run46(t, cfg46(t), c.ip, nil)
			wantVerdict(t, &v.Frames[0], batch.Back, c.r)
			if tr.Counters.Verdicts[batch.Back] != 1 || tr.Counters.Events[batch.EvICMPErrorSent] != 1 {
				t.Errorf("verdicts %v events %v", tr.Counters.Verdicts, tr.Counters.Events)
			}
			if got := tr.Counters.Drops[c.r]; got != 1 {
				t.Errorf("drop.%v = %d, want 1", c.r, got)
			}
		})
	}
	// The IPv6 side, for comparison.
	h := h6(pktbuild.ProtoUDP)
	h.HopLimit = 1
	buf, n := newFrame(h.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(8))))
	v := new(batch.Vector)
	v.Add(buf, batch.Headroom, n, batch.Side6)
	tr := newTranslator(grayConfig(t, graybox.Env{}))
	tr.Translate(v, 1e9, nil)
	if v.Frames[0].Verdict != batch.Back || tr.Counters.Drops[batch.ReasonTTLExpired] != 1 {
		t.Errorf("IPv6 hop limit 1: verdict %v drops %v", v.Frames[0].Verdict, tr.Counters.Drops)
	}
}

var _ = header.EthernetLen
