package batch_test

// The malformed-input table: generated robustness cases that seed the fuzz
// targets (fuzz_test.go) and that TestMalformed checks with their specific
// drop reasons, and TestMalformedFrames for broken frames.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// malformedCase is a generated robustness case; it seeds the fuzz targets
// and TestMalformed checks it.
type malformedCase struct {
	name     string
	et       uint16 // EtherType the frame carries
	ip       []byte // IP bytes as they sit in the frame (trailing bytes = padding)
	knobs    uint8
	verdicts []batch.Verdict            // allowed verdicts of the input frame (nil: any)
	reasons  []batch.Reason             // allowed drop reasons (nil: any)
	check    func(*batch.Vector) string // further checks (nil: none)
}

// Graybox addresses: an IPv4 client and an IPv6 client, both covered by pool6.
var (
	mc4   = netip.MustParseAddr("198.51.100.2")          // IPv4 side host
	ms4   = netip.MustParseAddr("192.0.2.33")            // IPv4 view of the IPv6 host
	mc6   = netip.MustParseAddr("2001:db8:1c0:2:21::")   // IPv6 host (192.0.2.33)
	ms6   = netip.MustParseAddr("2001:db8:1c6:3364:2::") // IPv6 view of 198.51.100.2
	e4    = uint16(header.EtherTypeIPv4)
	e6    = uint16(header.EtherTypeIPv6)
	drop  = []batch.Verdict{batch.Drop}
	to4   = []batch.Verdict{batch.To4}
	to6   = []batch.Verdict{batch.To6}
	back  = []batch.Verdict{batch.Back}
	noTo4 = []batch.Verdict{batch.Drop, batch.Back}
)

func h4(proto uint8) pktbuild.IPv4 {
	return pktbuild.IPv4{Src: mc4, Dst: ms4, Proto: proto, ID: 0x1234, TTL: 64}
}

func h6(nh uint8) pktbuild.IPv6 {
	return pktbuild.IPv6{Src: mc6, Dst: ms6, NextHeader: nh, HopLimit: 64}
}

func reasons(r ...batch.Reason) []batch.Reason { return r }

// firstICMP returns the check that the first output is an ICMP message of
// the given type and code (ICMPv4 for IPv4 frames, ICMPv6 for IPv6).
func firstICMP(typ, code uint8) func(*batch.Vector) string {
	return func(v *batch.Vector) string {
		out := outputs(v)
		if len(out) == 0 {
			return "no output"
		}
		ip := out[0].Bytes()[header.EthernetLen:]
		off, proto := 40, uint8(header.ProtoICMPv6)
		if ip[0]>>4 == 4 {
			off, proto = int(ip[0]&0xf)*4, header.ProtoICMP
			if ip[9] != proto {
				return fmt.Sprintf("output protocol %d, want ICMP", ip[9])
			}
		} else if ip[6] != proto {
			return fmt.Sprintf("output next header %d, want ICMPv6", ip[6])
		}
		if len(ip) < off+8 || ip[off] != typ || ip[off+1] != code {
			return fmt.Sprintf("output is not ICMP %d/%d:\n%s", typ, code, describe(ip))
		}
		if ip[0]>>4 == 4 && pktbuild.Sum(ip[off:], 0) != 0xffff {
			return "ICMPv4 checksum invalid"
		}
		if ip[0]>>4 == 6 && !pktbuild.ValidL4Checksum6(ip, off, proto) {
			return "ICMPv6 checksum invalid"
		}
		return ""
	}
}

// validL4 checks that every output's L4 checksum verifies (for inputs
// whose checksum was valid and unfragmented).
func validL4(v *batch.Vector) string {
	for _, f := range outputs(v) {
		ip := f.Bytes()[header.EthernetLen:]
		if ip[0]>>4 == 4 {
			if !pktbuild.ValidL4Checksum4(ip) {
				return "IPv4 output: L4 checksum invalid\n" + describe(ip)
			}
			continue
		}
		nh, off := ip[6], 40
		for nh == header.ProtoHopByHop || nh == header.ProtoDestOpts || nh == header.ProtoRouting || nh == header.ProtoFragment {
			if nh == header.ProtoFragment {
				nh, off = ip[off], off+8
				continue
			}
			nh, off = ip[off], off+(int(ip[off+1])+1)*8
		}
		if !pktbuild.ValidL4Checksum6(ip, off, nh) {
			return "IPv6 output: L4 checksum invalid\n" + describe(ip)
		}
	}
	return ""
}

func malformedCases() []malformedCase {
	var cs []malformedCase
	add := func(c malformedCase) { cs = append(cs, c) }

	udp4 := h4(pktbuild.ProtoUDP).Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(20)))
	tcp4 := h4(pktbuild.ProtoTCP).Build(pktbuild.TCP(2000, 4000, 1, 2, pktbuild.TCPSyn, pktbuild.Payload(20)))
	echo4 := h4(pktbuild.ProtoICMP).Build(pktbuild.Echo(8, 1, 2, pktbuild.Payload(20)))
	udp6 := h6(pktbuild.ProtoUDP).Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20)))
	tcp6 := h6(pktbuild.ProtoTCP).Build(pktbuild.TCP(4000, 2000, 1, 2, pktbuild.TCPSyn, pktbuild.Payload(20)))
	echo6 := h6(pktbuild.ProtoICMPv6).Build(pktbuild.Echo(128, 1, 2, pktbuild.Payload(20)))
	ext6 := h6(pktbuild.ProtoUDP)
	ext6.Ext = []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.DestOpts(), pktbuild.Routing(0, mc6)}
	ext6.Frag = &pktbuild.Frag{ID: 0x01020304}
	udp6ext := ext6.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20)))

	// Well-formed packets: they must translate, with valid L4 checksums.
	for _, c := range []struct {
		n  string
		ip []byte
	}{{"udp4", udp4}, {"tcp4", tcp4}, {"echo4", echo4}} {
		add(malformedCase{name: "ok/" + c.n, et: e4, ip: c.ip, verdicts: to6, check: validL4})
	}
	for _, c := range []struct {
		n  string
		ip []byte
	}{{"udp6", udp6}, {"tcp6", tcp6}, {"echo6", echo6}, {"udp6-ext-atomic", udp6ext}} {
		add(malformedCase{name: "ok/" + c.n, et: e6, ip: c.ip, verdicts: to4, check: validL4})
	}

	// Truncated headers at every length (length fields left as they were).
	for _, p := range []struct {
		n  string
		ip []byte
	}{{"udp4", udp4}, {"tcp4", tcp4}, {"echo4", echo4}} {
		for n := 0; n < len(p.ip); n++ {
			add(malformedCase{name: fmt.Sprintf("trunc/%s/%d", p.n, n), et: e4, ip: p.ip[:n], verdicts: drop,
				reasons: reasons(batch.ReasonTruncated, batch.ReasonBadIPv4Header)})
		}
	}
	for _, p := range []struct {
		n  string
		ip []byte
	}{{"udp6", udp6}, {"tcp6", tcp6}, {"echo6", echo6}, {"udp6ext", udp6ext}} {
		for n := 0; n < len(p.ip); n++ {
			add(malformedCase{name: fmt.Sprintf("trunc/%s/%d", p.n, n), et: e6, ip: p.ip[:n], verdicts: drop,
				reasons: reasons(batch.ReasonTruncated, batch.ReasonBadIPv6Header)})
		}
	}
	// Truncated with consistent length fields: the L4 header (or the
	// extension-header chain) is cut short.
	for _, p := range []struct {
		n     string
		ip    []byte
		l4min int
	}{{"udp4", udp4, 8}, {"tcp4", tcp4, 20}, {"echo4", echo4, 8}} {
		for n := 20; n < 20+p.l4min; n++ {
			ip := append([]byte(nil), p.ip[:n]...)
			fixIPv4Len(ip)
			add(malformedCase{name: fmt.Sprintf("cut/%s/%d", p.n, n), et: e4, ip: ip, verdicts: drop,
				reasons: reasons(batch.ReasonTruncated, batch.ReasonBadL4Header)})
		}
	}
	for _, p := range []struct {
		n     string
		ip    []byte
		l4min int
	}{{"udp6", udp6, 8}, {"tcp6", tcp6, 20}, {"echo6", echo6, 8}, {"udp6ext", udp6ext, 48 + 8}} {
		for n := 40; n < 40+p.l4min; n++ {
			ip := append([]byte(nil), p.ip[:n]...)
			header.IPv6(ip).SetPayloadLen(uint16(n - 40))
			add(malformedCase{name: fmt.Sprintf("cut/%s/%d", p.n, n), et: e6, ip: ip, verdicts: drop,
				reasons: reasons(batch.ReasonTruncated, batch.ReasonBadL4Header, batch.ReasonBadExtHeaders, batch.ReasonBadIPv6Header)})
		}
	}

	// IHL < 5, IHL beyond the packet, version mismatches.
	for ihl := 0; ihl < 5; ihl++ {
		ip := h4(pktbuild.ProtoUDP).Build(pktbuild.UDP(1, 2, nil))
		ip[0] = 0x40 | byte(ihl)
		fixIPv4Len(ip)
		add(malformedCase{name: fmt.Sprintf("ihl/%d", ihl), et: e4, ip: ip, verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv4Header)})
	}
	{
		h := h4(pktbuild.ProtoUDP)
		h.IHL = 15
		add(malformedCase{name: "ihl/15-beyond-packet", et: e4, ip: h.Build(pktbuild.UDP(1, 2, nil)), verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv4Header, batch.ReasonTruncated)})
	}
	add(malformedCase{name: "version/6-in-ipv4-frame", et: e4, ip: udp6, verdicts: drop, reasons: reasons(batch.ReasonBadIPv4Header)})
	add(malformedCase{name: "version/4-in-ipv6-frame", et: e6, ip: udp4, verdicts: drop, reasons: reasons(batch.ReasonBadIPv6Header)})

	// Total length larger than the frame; smaller (Ethernet padding, trimmed).
	{
		h := h4(pktbuild.ProtoUDP)
		h.TotalLen = len(udp4) + 1
		add(malformedCase{name: "totlen/larger", et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(20))), verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv4Header, batch.ReasonTruncated)})
		h.TotalLen = 19
		add(malformedCase{name: "totlen/below-header", et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(20))), verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv4Header)})
		h6l := h6(pktbuild.ProtoUDP)
		h6l.PayloadLen = len(udp6) - 40 + 1
		add(malformedCase{name: "plen/larger", et: e6, ip: h6l.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20))), verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv6Header, batch.ReasonTruncated)})
	}
	for _, pad := range []int{1, 6, 18, 100} {
		add(malformedCase{name: fmt.Sprintf("padding/udp4+%d", pad), et: e4, ip: append(append([]byte(nil), udp4...), make([]byte, pad)...),
			verdicts: to6, check: validL4})
		add(malformedCase{name: fmt.Sprintf("padding/udp6+%d", pad), et: e6, ip: append(append([]byte(nil), udp6...), make([]byte, pad)...),
			verdicts: to4, check: validL4})
	}
	{
		// A minimum-size Ethernet frame: 14 + 20 + 8 = 42 bytes padded to 60.
		p := h4(pktbuild.ProtoUDP).Build(pktbuild.UDP(2000, 4000, nil))
		add(malformedCase{name: "padding/udp4-min-frame", et: e4, ip: append(p, make([]byte, 18)...), verdicts: to6, check: validL4})
	}

	// Bad IPv4 header checksum.
	{
		h := h4(pktbuild.ProtoUDP)
		h.BadCsum = true
		add(malformedCase{name: "ipv4/bad-header-checksum", et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, nil)), verdicts: drop,
			reasons: reasons(batch.ReasonBadIPv4Checksum)})
	}
	// IPv4 options: garbage option lengths are ignored or rejected, never read past IHL.
	for _, opt := range [][]byte{{0x07, 0x00}, {0x07, 0xff}, {0x44, 0x02}, {0x01, 0x01, 0x83}} {
		h := h4(pktbuild.ProtoUDP)
		h.Options = opt
		add(malformedCase{name: fmt.Sprintf("ipv4/options-%x", opt), et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, nil))})
	}
	// Unexpired loose source route: ICMPv4 3/5 (RFC 7915 4.1).
	{
		h := h4(pktbuild.ProtoUDP)
		h.Options = []byte{0x83, 11, 4, 192, 0, 2, 1, 192, 0, 2, 2, 0}
		add(malformedCase{name: "ipv4/lsrr-unexpired", et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, nil)), verdicts: noTo4,
			reasons: reasons(batch.ReasonSourceRoute), check: firstICMP(3, 5)})
	}

	// Extension-header chains.
	{
		h := h6(pktbuild.ProtoUDP)
		for i := 0; i < 30; i++ {
			h.Ext = append(h.Ext, pktbuild.DestOpts())
		}
		add(malformedCase{name: "ext/30-destopts", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil)),
			verdicts: []batch.Verdict{batch.To4, batch.Drop}, reasons: reasons(batch.ReasonBadExtHeaders)})
		h = h6(pktbuild.ProtoUDP)
		h.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoDestOpts, Len: 200}}
		add(malformedCase{name: "ext/len-beyond-packet", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil)), verdicts: drop,
			reasons: reasons(batch.ReasonBadExtHeaders, batch.ReasonTruncated)})
		h = h6(pktbuild.ProtoUDP)
		h.Ext = []pktbuild.Ext{pktbuild.HopByHop(), pktbuild.HopByHop()}
		add(malformedCase{name: "ext/hbh-not-first", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil))})
		h = h6(pktbuild.ProtoUDP)
		h.Frag = &pktbuild.Frag{ID: 1}
		h.ExtAfterFrag = []pktbuild.Ext{{Type: pktbuild.ProtoFragment, Data: []byte{0, 0, 0, 0, 0, 2}}}
		add(malformedCase{name: "ext/two-fragment-headers", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil)), verdicts: noTo4,
			reasons: reasons(batch.ReasonBadExtHeaders, batch.ReasonExtAfterFragment)})
		h = h6(pktbuild.ProtoUDP)
		h.Frag = &pktbuild.Frag{ID: 1}
		h.ExtAfterFrag = []pktbuild.Ext{pktbuild.DestOpts()}
		add(malformedCase{name: "ext/destopts-after-fragment", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil)), verdicts: noTo4,
			reasons: reasons(batch.ReasonExtAfterFragment, batch.ReasonBadExtHeaders)})
		h = h6(pktbuild.ProtoUDP)
		h.Ext = []pktbuild.Ext{pktbuild.Routing(1, mc6)}
		add(malformedCase{name: "ext/segments-left-1", et: e6, ip: h.Build(pktbuild.UDP(4000, 2000, nil)), verdicts: back,
			reasons: reasons(batch.ReasonSegmentsLeft), check: func(v *batch.Vector) string {
				if s := firstICMP(4, 0)(v); s != "" {
					return s
				}
				ip := outputs(v)[0].Bytes()[header.EthernetLen:]
				if p := binary.BigEndian.Uint32(ip[44:]); p != 43 {
					return fmt.Sprintf("Parameter Problem pointer %d, want 43 (Segments Left)", p)
				}
				return ""
			}})
	}

	// Fragments: zero-length, overlapping, tiny first fragments.
	{
		h := h4(pktbuild.ProtoUDP)
		h.MF = true
		add(malformedCase{name: "frag4/zero-length-first", et: e4, ip: h.Build(nil), verdicts: drop,
			reasons: reasons(batch.ReasonBadFragment, batch.ReasonBadL4Header, batch.ReasonTruncated)})
		h.MF, h.FragOff = false, 8
		add(malformedCase{name: "frag4/zero-length-last", et: e4, ip: h.Build(nil),
			verdicts: []batch.Verdict{batch.To6, batch.Drop}, reasons: reasons(batch.ReasonBadFragment)})
		h.MF, h.FragOff = true, 0
		add(malformedCase{name: "frag4/first-4-bytes", et: e4, ip: h.Build([]byte{1, 2, 3, 4}), verdicts: drop,
			reasons: reasons(batch.ReasonBadFragment, batch.ReasonBadL4Header, batch.ReasonTruncated)})
		l4 := pktbuild.UDP(2000, 4000, pktbuild.Payload(992))
		fr := h4(pktbuild.ProtoUDP).Fragments(l4, 504)
		for i, f := range fr {
			add(malformedCase{name: fmt.Sprintf("frag4/piece-%d", i), et: e4, ip: f, verdicts: to6})
		}
		o := h4(pktbuild.ProtoUDP)
		o.FragOff, o.MF, o.KeepL4Csum = 248, true, true
		add(malformedCase{name: "frag4/overlapping", et: e4, ip: o.Build(pktbuild.Payload(504)), verdicts: to6})
		h6f := h6(pktbuild.ProtoUDP)
		h6f.Frag = &pktbuild.Frag{M: true, ID: 7}
		add(malformedCase{name: "frag6/zero-length-first", et: e6, ip: h6f.Build(nil), verdicts: drop,
			reasons: reasons(batch.ReasonBadFragment, batch.ReasonBadL4Header, batch.ReasonTruncated)})
		h6f.Frag = &pktbuild.Frag{Offset: 8, ID: 7}
		add(malformedCase{name: "frag6/zero-length-last", et: e6, ip: h6f.Build(nil),
			verdicts: []batch.Verdict{batch.To4, batch.Drop}, reasons: reasons(batch.ReasonBadFragment)})
		for i, f := range h6(pktbuild.ProtoUDP).Fragments(l4, 504, 0x0badcafe) {
			add(malformedCase{name: fmt.Sprintf("frag6/piece-%d", i), et: e6, ip: f, verdicts: to4})
		}
		h6f.Frag = &pktbuild.Frag{Offset: 248, M: true, ID: 0x0badcafe}
		h6f.KeepL4Csum = true
		add(malformedCase{name: "frag6/overlapping", et: e6, ip: h6f.Build(pktbuild.Payload(504)), verdicts: to4})
	}

	// ICMP errors with missing, truncated or malformed inner packets.
	inner4 := h4(pktbuild.ProtoUDP)
	inner4.Src, inner4.Dst = ms4, mc4 // the packet the IPv4 host's error is about
	in4 := inner4.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(40)))
	inner6 := h6(pktbuild.ProtoUDP)
	inner6.Src, inner6.Dst = ms6, mc6
	in6 := inner6.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(40)))
	icmp4 := func(typ, code uint8, rest uint32, body []byte) []byte {
		return h4(pktbuild.ProtoICMP).Build(pktbuild.ICMP(typ, code, rest, body))
	}
	icmp6 := func(typ, code uint8, rest uint32, body []byte) []byte {
		return h6(pktbuild.ProtoICMPv6).Build(pktbuild.ICMP(typ, code, rest, body))
	}
	badInner := reasons(batch.ReasonICMPBadInner, batch.ReasonTruncated, batch.ReasonBadL4Header)
	add(malformedCase{name: "icmp4/ok-port-unreachable", et: e4, ip: icmp4(3, 3, 0, in4), verdicts: to6, check: firstICMP(1, 4)})
	add(malformedCase{name: "icmp6/ok-port-unreachable", et: e6, ip: icmp6(1, 4, 0, in6), verdicts: to4, check: firstICMP(3, 3)})
	add(malformedCase{name: "icmp4/no-inner", et: e4, ip: icmp4(3, 1, 0, nil), verdicts: drop, reasons: badInner})
	add(malformedCase{name: "icmp6/no-inner", et: e6, ip: icmp6(1, 0, 0, nil), verdicts: drop, reasons: badInner})
	for _, n := range []int{1, 12, 19} {
		add(malformedCase{name: fmt.Sprintf("icmp4/inner-cut-%d", n), et: e4, ip: icmp4(3, 1, 0, in4[:n]), verdicts: drop, reasons: badInner})
	}
	for _, n := range []int{1, 20, 39} {
		add(malformedCase{name: fmt.Sprintf("icmp6/inner-cut-%d", n), et: e6, ip: icmp6(1, 0, 0, in6[:n]), verdicts: drop, reasons: badInner})
	}
	{
		b := append([]byte(nil), in4...)
		b[0] = 0x43
		add(malformedCase{name: "icmp4/inner-ihl-3", et: e4, ip: icmp4(3, 1, 0, b), verdicts: drop, reasons: badInner})
		b = append([]byte(nil), in4...)
		b[0] = 0x65
		add(malformedCase{name: "icmp4/inner-version-6", et: e4, ip: icmp4(3, 1, 0, b), verdicts: drop, reasons: badInner})
		b = append([]byte(nil), in6...)
		b[0] = 0x45
		add(malformedCase{name: "icmp6/inner-version-4", et: e6, ip: icmp6(1, 0, 0, b), verdicts: drop, reasons: badInner})
		add(malformedCase{name: "icmp4/inner-header-only", et: e4, ip: icmp4(3, 1, 0, in4[:20])})
		add(malformedCase{name: "icmp6/inner-header-only", et: e6, ip: icmp6(1, 0, 0, in6[:40])})
		add(malformedCase{name: "icmp4/inner-truncated-l4", et: e4, ip: icmp4(3, 1, 0, in4[:24])})
		add(malformedCase{name: "icmp6/inner-truncated-l4", et: e6, ip: icmp6(1, 0, 0, in6[:44])})
		x := inner6
		x.Ext = []pktbuild.Ext{{Type: pktbuild.ProtoDestOpts, Len: 100}}
		add(malformedCase{name: "icmp6/inner-ext-beyond", et: e6, ip: icmp6(1, 0, 0, x.Build(pktbuild.UDP(2000, 4000, nil)))})
	}
	// RFC 4884 lengths larger than the payload.
	{
		ext := append(append([]byte(nil), in4...), make([]byte, 128-len(in4))...)
		ext = append(ext, 0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 0) // extension header + one object
		add(malformedCase{name: "icmp4/rfc4884-len-too-big", et: e4, ip: icmp4(3, 1, 100<<16, ext),
			reasons: reasons(batch.ReasonICMPBadExtension, batch.ReasonICMPBadInner)})
		add(malformedCase{name: "icmp4/rfc4884-len-255", et: e4, ip: icmp4(3, 1, 255<<16, in4),
			reasons: reasons(batch.ReasonICMPBadExtension, batch.ReasonICMPBadInner)})
		ext6 := append(append([]byte(nil), in6...), make([]byte, 128-len(in6))...)
		ext6 = append(ext6, 0x20, 0, 0, 0, 0, 8, 1, 1, 0, 0, 0, 0)
		add(malformedCase{name: "icmp6/rfc4884-len-too-big", et: e6, ip: icmp6(1, 0, 50<<24, ext6),
			reasons: reasons(batch.ReasonICMPBadExtension, batch.ReasonICMPBadInner)})
		add(malformedCase{name: "icmp6/rfc4884-len-255", et: e6, ip: icmp6(1, 0, 255<<24, in6),
			reasons: reasons(batch.ReasonICMPBadExtension, batch.ReasonICMPBadInner)})
	}
	// MTU 0 in Fragmentation Needed / Packet Too Big.
	{
		big := inner4
		big.DF = true
		bigIn := big.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(1372)))
		add(malformedCase{name: "icmp4/frag-needed-mtu-0", et: e4, ip: icmp4(3, 4, 0, bigIn[:548]),
			verdicts: []batch.Verdict{batch.To6, batch.Drop}, reasons: reasons(batch.ReasonICMPBadMTU),
			check: func(v *batch.Vector) string {
				out := outputs(v)
				if len(out) == 0 {
					return ""
				}
				ip := out[0].Bytes()[header.EthernetLen:]
				if ip[40] != 2 {
					return fmt.Sprintf("Frag Needed became ICMPv6 type %d, want 2", ip[40])
				}
				if mtu := binary.BigEndian.Uint32(ip[44:]); mtu < 1280 {
					return fmt.Sprintf("Packet Too Big MTU %d < 1280 (RFC 7915 4.2: plateau, RFC 8200 minimum)", mtu)
				}
				return ""
			}})
		add(malformedCase{name: "icmp6/ptb-mtu-0", et: e6, ip: icmp6(2, 0, 0, in6),
			verdicts: []batch.Verdict{batch.To4, batch.Drop}, reasons: reasons(batch.ReasonICMPBadMTU)})
		add(malformedCase{name: "icmp6/ptb-mtu-20", et: e6, ip: icmp6(2, 0, 20, in6),
			verdicts: []batch.Verdict{batch.To4, batch.Drop}, reasons: reasons(batch.ReasonICMPBadMTU)})
	}
	// Error in error: dropped (RFC 7915 4.2 / 5.2: one level only).
	{
		e4in := inner4
		e4in.Proto = pktbuild.ProtoICMP
		errIn4 := e4in.Build(pktbuild.ICMP(3, 1, 0, in4[:28]))
		add(malformedCase{name: "icmp4/error-in-error", et: e4, ip: icmp4(3, 1, 0, errIn4), verdicts: drop,
			reasons: reasons(batch.ReasonICMPErrorInError)})
		e6in := inner6
		e6in.NextHeader = pktbuild.ProtoICMPv6
		errIn6 := e6in.Build(pktbuild.ICMP(1, 0, 0, in6[:48]))
		add(malformedCase{name: "icmp6/error-in-error", et: e6, ip: icmp6(1, 0, 0, errIn6), verdicts: drop,
			reasons: reasons(batch.ReasonICMPErrorInError)})
		echoIn4 := e4in.Build(pktbuild.Echo(8, 1, 1, nil))
		add(malformedCase{name: "icmp4/error-about-echo", et: e4, ip: icmp4(3, 1, 0, echoIn4), verdicts: to6, check: firstICMP(1, 0)})
		echoIn6 := e6in.Build(pktbuild.Echo(128, 1, 1, nil))
		add(malformedCase{name: "icmp6/error-about-echo", et: e6, ip: icmp6(1, 0, 0, echoIn6), verdicts: to4, check: firstICMP(3, 1)})
		// Untranslatable types.
		add(malformedCase{name: "icmp4/timestamp", et: e4, ip: icmp4(13, 0, 0, make([]byte, 12)), verdicts: drop,
			reasons: reasons(batch.ReasonICMPUntranslatable)})
		add(malformedCase{name: "icmp6/mld-query", et: e6, ip: icmp6(130, 0, 0, make([]byte, 16)), verdicts: drop,
			reasons: reasons(batch.ReasonICMPUntranslatable)})
	}

	// TTL / hop limit expiry: answered with Time Exceeded, except errors.
	{
		h := h4(pktbuild.ProtoUDP)
		h.TTL = 1
		add(malformedCase{name: "ttl4/expired", et: e4, ip: h.Build(pktbuild.UDP(2000, 4000, nil)), verdicts: back,
			check: firstICMP(11, 0)})
		h.Proto = pktbuild.ProtoICMP
		add(malformedCase{name: "ttl4/expired-icmp-error", et: e4, ip: h.Build(pktbuild.ICMP(3, 3, 0, in4)), verdicts: drop,
			reasons: reasons(batch.ReasonTTLExpired)})
		x := h6(pktbuild.ProtoUDP)
		x.HopLimit = 1
		add(malformedCase{name: "hlim6/expired", et: e6, ip: x.Build(pktbuild.UDP(4000, 2000, nil)), verdicts: back,
			check: firstICMP(3, 0)})
		x.NextHeader = pktbuild.ProtoICMPv6
		add(malformedCase{name: "hlim6/expired-icmp-error", et: e6, ip: x.Build(pktbuild.ICMP(1, 4, 0, in6)), verdicts: drop,
			reasons: reasons(batch.ReasonTTLExpired)})
	}

	// UDP checksum zero (RFC 7915 4.5).
	{
		h := h4(pktbuild.ProtoUDP)
		h.KeepL4Csum = true
		p := h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(8)))
		add(malformedCase{name: "udp4/zero-checksum", et: e4, ip: p, verdicts: noTo4,
			reasons: reasons(batch.ReasonUDPZeroChecksum)})
		add(malformedCase{name: "udp4/zero-checksum-amended", et: e4, ip: p, knobs: knobAmendUDP, verdicts: to6, check: validL4})
	}

	// Unknown protocols are copied.
	add(malformedCase{name: "proto4/253", et: e4, ip: h4(253).Build(pktbuild.Payload(9)), verdicts: to6})
	add(malformedCase{name: "proto6/253", et: e6, ip: h6(253).Build(pktbuild.Payload(9)), verdicts: to4})
	add(malformedCase{name: "proto6/icmpv4-in-ipv6", et: e6, ip: h6(pktbuild.ProtoICMP).Build(pktbuild.Echo(8, 1, 1, nil))})
	add(malformedCase{name: "proto4/icmpv6-in-ipv4", et: e4, ip: h4(pktbuild.ProtoICMPv6).Build(pktbuild.Echo(128, 1, 1, nil))})

	// Found by fuzzing the round-trip oracle: the other family's ICMP in a
	// non-first fragment; an IPv6 UDP zero checksum (RFC 8200 8.1 forbids
	// it) with and without amend_udp_zero_checksum.
	{
		x := h6(pktbuild.ProtoICMP)
		x.Frag = &pktbuild.Frag{Offset: 1200, ID: 0x30303030}
		add(malformedCase{name: "proto6/icmpv4-in-ipv6-fragment", et: e6, ip: x.Build(pktbuild.Payload(20))})
		z := h6(pktbuild.ProtoUDP)
		z.KeepL4Csum = true
		zp := z.Build(pktbuild.UDP(4000, 2000, pktbuild.Payload(20)))
		add(malformedCase{name: "udp6/zero-checksum", et: e6, ip: zp})
		add(malformedCase{name: "udp6/zero-checksum-amend", et: e6, ip: zp, knobs: knobAmendUDP})
	}

	// Unmapped addresses.
	{
		h := h4(pktbuild.ProtoUDP)
		h.Dst = netip.MustParseAddr("203.0.113.77")
		add(malformedCase{name: "map/ipv4-dst-unmapped-wkp", et: e4, knobs: knobWKP, ip: h.Build(pktbuild.UDP(1, 2, nil)),
			verdicts: []batch.Verdict{batch.Drop, batch.Pass}})
		x := h6(pktbuild.ProtoUDP)
		x.Dst = netip.MustParseAddr("2001:db8:ffff::1")
		add(malformedCase{name: "map/ipv6-dst-unmapped", et: e6, ip: x.Build(pktbuild.UDP(1, 2, nil)),
			verdicts: []batch.Verdict{batch.Drop, batch.Pass}})
	}
	return cs
}

// fixIPv4Len sets the total length to len(ip) and fixes the header checksum.
func fixIPv4Len(ip []byte) {
	header.IPv4(ip).SetTotalLen(uint16(len(ip)))
	header.IPv4(ip).SetChecksum(0)
	header.IPv4(ip).SetChecksum(^pktbuild.Sum(ip[:20], 0))
}

func TestMalformed(t *testing.T) {
	for _, c := range malformedCases() {
		t.Run(c.name, func(t *testing.T) {
			v, fail := translateChecked(knobConfig(t, c.knobs), c.et, c.ip)
			if fail != "" {
				t.Fatalf("%s\ninput:\n%s", fail, describe(c.ip))
			}
			if fail := roundTrip(knobConfig(t, c.knobs), c.knobs, c.et, c.ip, false); fail != "" {
				t.Errorf("%s\ninput:\n%s", fail, describe(c.ip))
			}
			f := &v.Frames[0]
			if c.verdicts != nil && !slicesContains(c.verdicts, f.Verdict) {
				t.Errorf("verdict %v (reason %v), want one of %v\ninput:\n%s", f.Verdict, f.Reason, c.verdicts, describe(c.ip))
			}
			if f.Verdict == batch.Drop && c.reasons != nil && !slicesContains(c.reasons, f.Reason) {
				t.Errorf("dropped for %v, want one of %v\ninput:\n%s", f.Reason, c.reasons, describe(c.ip))
			}
			if c.check != nil && f.Verdict != batch.Drop {
				if s := c.check(v); s != "" {
					t.Errorf("%s\ninput:\n%s", s, describe(c.ip))
				}
			}
		})
	}
}

// TestMalformedFrames covers frames too short for Ethernet, frames outside
// their buffer and EtherTypes that are not IP.
func TestMalformedFrames(t *testing.T) {
	cfg := knobConfig(t, 0)
	udp4 := h4(pktbuild.ProtoUDP).Build(pktbuild.UDP(2000, 4000, nil))
	cases := []struct {
		name     string
		mk       func() batch.Frame
		verdicts []batch.Verdict
	}{
		{"short-frame", func() batch.Frame {
			b, _ := newFrame(udp4)
			return batch.Frame{Buf: b, Off: batch.Headroom, Len: 10, In: batch.Side4}
		}, drop},
		{"len-past-buffer", func() batch.Frame {
			b, n := newFrame(udp4)
			return batch.Frame{Buf: b[:batch.Headroom+n-1], Off: batch.Headroom, Len: n, In: batch.Side4}
		}, drop},
		{"arp", func() batch.Frame {
			b, n := newFrame(udp4)
			header.Ethernet(b[batch.Headroom:]).SetType(header.EtherTypeARP)
			return batch.Frame{Buf: b, Off: batch.Headroom, Len: n, In: batch.Side4}
		}, []batch.Verdict{batch.Pass, batch.Drop}},
		{"vlan", func() batch.Frame {
			b, n := newFrame(udp4)
			header.Ethernet(b[batch.Headroom:]).SetType(header.EtherTypeVLAN)
			return batch.Frame{Buf: b, Off: batch.Headroom, Len: n, In: batch.Side4}
		}, []batch.Verdict{batch.Pass, batch.Drop}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v batch.Vector
			v.Frames[0] = c.mk()
			v.N = 1
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic: %v", p)
					}
				}()
				newTranslator(cfg).Translate(&v, 1, &heapAlloc{})
			}()
			f := &v.Frames[0]
			if !slicesContains(c.verdicts, f.Verdict) {
				t.Errorf("verdict %v, want one of %v", f.Verdict, c.verdicts)
			}
			if f.Verdict == batch.Drop && f.Reason == batch.ReasonNone {
				t.Errorf("dropped without a reason")
			}
		})
	}
}

func slicesContains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
