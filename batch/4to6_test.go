package batch_test

// Focused tests of the IPv4 -> IPv6 path (RFC 7915 section 4) for what the
// graybox corpus does not exercise: originated ICMPv4 errors, options,
// every ICMP type/code mapping, fragmentation resources, malformed input.

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

var (
	t46Pool6 = netip.MustParsePrefix("2001:db8:100::/40")
	t46Host4 = netip.MustParseAddr("198.51.100.2") // IPv4 host
	t46Node4 = netip.MustParseAddr("192.0.2.33")   // IPv6 node's IPv4 address
	t46Rtr4  = netip.MustParseAddr("203.0.113.7")  // an IPv4 router
	t46Host6 = netip.MustParseAddr("2001:db8:1c6:3364:2::")
	t46Node6 = netip.MustParseAddr("2001:db8:1c0:2:21::")
	t46Rtr6  = netip.MustParseAddr("2001:db8:1cb:71:7::")
	t46Src4  = netip.MustParseAddr("198.51.100.1")
	t46Src6  = netip.MustParseAddr("2001:db8:1c0:2:1::")
)

func cfg46(t testing.TB) *batch.Config {
	t.Helper()
	tab, err := mapping.NewTable(t46Pool6, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := batch.DefaultConfig()
	c.Map = tab
	c.ICMPv4Source = t46Src4
	c.ICMPv6Source = t46Src6
	c.ICMPErrorsPerSecond = -1
	return &c
}

// run46 translates one IPv4 packet and returns the vector.
func run46(t testing.TB, c *batch.Config, ip []byte, alloc batch.Allocator) (*batch.Vector, *batch.Translator) {
	t.Helper()
	tr := newTranslator(c)
	buf, n := newFrame(ip)
	v := new(batch.Vector)
	v.Add(buf, batch.Headroom, n, batch.Side4)
	tr.Translate(v, 1e9, alloc)
	return v, tr
}

func udp4() pktbuild.IPv4 {
	return pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: pktbuild.ProtoUDP, DF: true}
}

func ip6of(f *batch.Frame) []byte { return f.Bytes()[header.EthernetLen:] }

func wantVerdict(t *testing.T, f *batch.Frame, v batch.Verdict, r batch.Reason) {
	t.Helper()
	if f.Verdict != v || f.Reason != r {
		t.Fatalf("verdict %v reason %v, want %v %v", f.Verdict, f.Reason, v, r)
	}
}

func TestTranslate46UDP(t *testing.T) {
	h := udp4()
	h.TOS = 0xb8
	ip := h.Build(pktbuild.UDP(2000, 4000, pktbuild.Payload(100)))
	v, tr := run46(t, cfg46(t), ip, nil)
	f := &v.Frames[0]
	wantVerdict(t, f, batch.To6, batch.ReasonNone)
	if s := checkFrame(f); s != "" {
		t.Fatal(s)
	}
	if f.Off != batch.Headroom-20 {
		t.Errorf("Off %d, want %d", f.Off, batch.Headroom-20)
	}
	b := f.Bytes()
	if !bytes.Equal(b[0:6], macXlat[:]) || !bytes.Equal(b[6:12], macPeer[:]) {
		t.Errorf("MACs changed: %x", b[:12])
	}
	o := ip6of(f)
	if o[0] != 0x6b || o[1] != 0x80 || o[2] != 0 || o[3] != 0 {
		t.Errorf("version/tc/flow %x, want 6b800000", o[:4])
	}
	if o[6] != 17 || o[7] != 63 {
		t.Errorf("nh %d hlim %d", o[6], o[7])
	}
	if !bytes.Equal(o[8:24], t46Host6.AsSlice()) || !bytes.Equal(o[24:40], t46Node6.AsSlice()) {
		t.Errorf("addresses %x %x", o[8:24], o[24:40])
	}
	if !pktbuild.ValidL4Checksum6(o, 40, 17) {
		t.Errorf("UDP checksum invalid")
	}
	if tr.Counters.Events[batch.EvTranslated4to6] != 1 {
		t.Errorf("translated counter %d", tr.Counters.Events[batch.EvTranslated4to6])
	}

	c := cfg46(t)
	c.ResetTrafficClass = true
	v, _ = run46(t, c, ip, nil)
	if o := ip6of(&v.Frames[0]); o[0] != 0x60 || o[1] != 0 {
		t.Errorf("reset traffic class: %x", o[:2])
	}
}

func TestTranslate46TCPAndUnknown(t *testing.T) {
	h := pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: pktbuild.ProtoTCP}
	v, _ := run46(t, cfg46(t), h.Build(pktbuild.TCP(1, 2, 3, 4, pktbuild.TCPSyn, pktbuild.Payload(33))), nil)
	if o := ip6of(&v.Frames[0]); !pktbuild.ValidL4Checksum6(o, 40, 6) {
		t.Errorf("TCP checksum invalid")
	}
	// A bad checksum stays exactly as bad.
	ip := h.Build(pktbuild.TCP(1, 2, 3, 4, pktbuild.TCPSyn, pktbuild.Payload(33)))
	ip[20+16]++
	v, _ = run46(t, cfg46(t), ip, nil)
	o := ip6of(&v.Frames[0])
	o[40+16]--
	if !pktbuild.ValidL4Checksum6(o, 40, 6) {
		t.Errorf("bad TCP checksum not preserved")
	}
	// IGMP is dropped (RFC 7915 section 4.2).
	h.Proto = 2
	v, _ = run46(t, cfg46(t), h.Build(make([]byte, 8)), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPUntranslatable)
	// Unknown protocol: bytes untouched.
	h.Proto = 132
	l4 := pktbuild.Payload(40)
	v, _ = run46(t, cfg46(t), h.Build(l4), nil)
	if o := ip6of(&v.Frames[0]); o[6] != 132 || !bytes.Equal(o[40:], l4) {
		t.Errorf("unknown protocol altered")
	}
}

func TestTranslate46Echo(t *testing.T) {
	h := pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}
	for _, c := range []struct{ in, out uint8 }{{8, 128}, {0, 129}} {
		v, _ := run46(t, cfg46(t), h.Build(pktbuild.Echo(c.in, 7, 9, pktbuild.Payload(56))), nil)
		f := &v.Frames[0]
		wantVerdict(t, f, batch.To6, batch.ReasonNone)
		o := ip6of(f)
		if o[6] != 58 || o[40] != c.out || !pktbuild.ValidL4Checksum6(o, 40, 58) {
			t.Errorf("echo %d: nh %d type %d valid %v", c.in, o[6], o[40], pktbuild.ValidL4Checksum6(o, 40, 58))
		}
	}
	for _, typ := range []uint8{13, 15, 17, 9, 10} {
		v, _ := run46(t, cfg46(t), h.Build(pktbuild.ICMP(typ, 0, 0, nil)), nil)
		wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPUntranslatable)
	}
	fh := h
	fh.MF = true
	v, _ := run46(t, cfg46(t), fh.Build(pktbuild.Echo(8, 1, 1, pktbuild.Payload(64))), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPFragmented)
	// A non-first ICMP fragment is dropped too, as the IPv6 side drops
	// every fragment of an ICMPv6 message (issue 7).
	fh.MF, fh.FragOff = false, 64
	v, _ = run46(t, cfg46(t), fh.Build(pktbuild.Payload(40)), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPFragmented)
}

// checkError4 checks an originated ICMPv4 error in f quoting orig.
func checkError4(t *testing.T, f *batch.Frame, orig []byte, typ, code uint8, mtu uint16, r batch.Reason) {
	t.Helper()
	wantVerdict(t, f, batch.Back, r)
	if s := checkFrame(f); s != "" {
		t.Fatal(s)
	}
	b := f.Bytes()
	if !bytes.Equal(b[0:6], macPeer[:]) || !bytes.Equal(b[6:12], macXlat[:]) {
		t.Errorf("MACs not swapped: %x", b[:12])
	}
	e := b[header.EthernetLen:]
	if e[0] != 0x45 || e[8] != 64 || e[9] != 1 || binary.BigEndian.Uint16(e[6:]) != 0 {
		t.Errorf("header: %s", describe(e))
	}
	if !bytes.Equal(e[12:16], t46Src4.AsSlice()) || !bytes.Equal(e[16:20], orig[12:16]) {
		t.Errorf("addresses %v -> %v", e[12:16], e[16:20])
	}
	if e[20] != typ || e[21] != code || binary.BigEndian.Uint16(e[26:]) != mtu {
		t.Errorf("ICMP %d/%d mtu %d, want %d/%d mtu %d", e[20], e[21], binary.BigEndian.Uint16(e[26:]), typ, code, mtu)
	}
	if pktbuild.Sum(e[20:], 0) != 0xffff {
		t.Errorf("ICMP checksum invalid")
	}
	q := min(len(orig), 548)
	if len(e) != 28+q || !bytes.Equal(e[28:], orig[:q]) {
		t.Errorf("quote: %d bytes, want the first %d of the original", len(e)-28, q)
	}
}

func TestTranslate46TTL(t *testing.T) {
	h := udp4()
	h.TTL = 1
	ip := h.Build(pktbuild.UDP(1, 2, pktbuild.Payload(20)))
	v, tr := run46(t, cfg46(t), ip, nil)
	checkError4(t, &v.Frames[0], ip, 11, 0, 0, batch.ReasonTTLExpired)
	if tr.Counters.Events[batch.EvICMPErrorSent] != 1 || tr.Counters.Verdicts[batch.Back] != 1 {
		t.Errorf("counters %+v", tr.Counters)
	}
	h.TTL = 2
	v, _ = run46(t, cfg46(t), h.Build(pktbuild.UDP(1, 2, nil)), nil)
	if f := &v.Frames[0]; f.Verdict != batch.To6 || ip6of(f)[7] != 1 {
		t.Errorf("TTL 2: verdict %v", f.Verdict)
	}
	// Never an error about an ICMP error.
	e := pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP, TTL: 1}
	inner := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(1, 2, nil))
	v, _ = run46(t, cfg46(t), e.Build(pktbuild.ICMP(3, 3, 0, inner)), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonTTLExpired)
}

func TestTranslate46SourceRoute(t *testing.T) {
	lsrr := []byte{131, 11, 4, 203, 0, 113, 1, 203, 0, 113, 2, 1} // pointer 4: unexpired
	h := udp4()
	h.Options = lsrr
	ip := h.Build(pktbuild.UDP(1, 2, pktbuild.Payload(8)))
	v, _ := run46(t, cfg46(t), ip, nil)
	checkError4(t, &v.Frames[0], ip, 3, 5, 0, batch.ReasonSourceRoute)

	ssrr := []byte{1, 137, 7, 8, 203, 0, 113, 1} // NOP, SSRR pointer 8 > length 7: expired
	h.Options = ssrr
	v, _ = run46(t, cfg46(t), h.Build(pktbuild.UDP(1, 2, pktbuild.Payload(8))), nil)
	f := &v.Frames[0]
	wantVerdict(t, f, batch.To6, batch.ReasonNone)
	if o := ip6of(f); len(o) != 40+16 || !pktbuild.ValidL4Checksum6(o, 40, 17) {
		t.Errorf("options not dropped: %s", describe(o))
	}
}

func TestTranslate46UDPZeroChecksum(t *testing.T) {
	h := udp4()
	h.KeepL4Csum = true
	ip := h.Build(pktbuild.UDP(1, 2, pktbuild.Payload(31)))
	binary.BigEndian.PutUint16(ip[26:], 0)
	v, _ := run46(t, cfg46(t), ip, nil)
	checkError4(t, &v.Frames[0], ip, 3, 13, 0, batch.ReasonUDPZeroChecksum)

	c := cfg46(t)
	c.AmendUDPZeroChecksum = true
	v, tr := run46(t, c, ip, nil)
	f := &v.Frames[0]
	wantVerdict(t, f, batch.To6, batch.ReasonNone)
	if !pktbuild.ValidL4Checksum6(ip6of(f), 40, 17) || tr.Counters.Events[batch.EvUDPChecksumAmended] != 1 {
		t.Errorf("amended checksum invalid")
	}
}

func TestTranslate46FragNeeded(t *testing.T) {
	ip := udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(1453))) // 1481 -> 1501
	v, _ := run46(t, cfg46(t), ip, nil)
	checkError4(t, &v.Frames[0], ip, 3, 4, 1480, batch.ReasonFragNeeded)
	ip = udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(1452))) // exactly 1500
	v, _ = run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.To6, batch.ReasonNone)

	c := cfg46(t)
	c.ICMPv4Source = netip.Addr{}
	v, _ = run46(t, c, udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(1453))), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonNoICMPSource)
}

func TestTranslate46RateLimit(t *testing.T) {
	c := cfg46(t)
	c.ICMPErrorsPerSecond, c.ICMPErrorBurst = 1, 1
	tr := newTranslator(c)
	h := udp4()
	h.TTL = 1
	ip := h.Build(pktbuild.UDP(1, 2, nil))
	v := new(batch.Vector)
	for i := 0; i < 2; i++ {
		buf, n := newFrame(ip)
		v.Add(buf, batch.Headroom, n, batch.Side4)
	}
	tr.Translate(v, 1e9, nil)
	wantVerdict(t, &v.Frames[0], batch.Back, batch.ReasonTTLExpired)
	wantVerdict(t, &v.Frames[1], batch.Drop, batch.ReasonICMPRateLimited)
}

// reassemble6 checks IPv6 fragments and returns their payload in order.
func reassemble6(t *testing.T, frames []*batch.Frame, id uint32, mpl int) []byte {
	t.Helper()
	var out []byte
	for i, f := range frames {
		if s := checkFrame(f); s != "" {
			t.Fatalf("fragment %d: %s", i, s)
		}
		o := ip6of(f)
		if len(o) > mpl || o[6] != 44 {
			t.Fatalf("fragment %d: %d bytes, nh %d", i, len(o), o[6])
		}
		fo := binary.BigEndian.Uint16(o[42:])
		if int(fo&^7) != len(out) || binary.BigEndian.Uint32(o[44:]) != id {
			t.Fatalf("fragment %d: offset %d id %#x, want %d %#x", i, fo&^7, binary.BigEndian.Uint32(o[44:]), len(out), id)
		}
		if last := i == len(frames)-1; (fo&1 == 0) != last {
			t.Fatalf("fragment %d: M=%d", i, fo&1)
		}
		if i != len(frames)-1 && (len(o)-48)%8 != 0 {
			t.Fatalf("fragment %d: payload %d not 8-aligned", i, len(o)-48)
		}
		out = append(out, o[48:]...)
	}
	return out
}

func TestTranslate46Fragment(t *testing.T) {
	h := udp4()
	h.DF, h.ID = false, 0xbeef
	l4 := pktbuild.UDP(1, 2, pktbuild.Payload(3000))
	ip := h.Build(l4)
	a := newPoolAlloc(4)
	v, tr := run46(t, cfg46(t), ip, a)
	wantVerdict(t, &v.Frames[0], batch.To6, batch.ReasonNone)
	frames := outputs(v)
	if len(frames) != 3 || v.NExtra != 2 || tr.Counters.Events[batch.EvFragmentsCreated] != 2 {
		t.Fatalf("%d frames, %d extra", len(frames), v.NExtra)
	}
	for _, f := range frames {
		if f.Verdict != batch.To6 {
			t.Errorf("fragment verdict %v", f.Verdict)
		}
	}
	got := reassemble6(t, frames, 0xbeef, 1280)
	if !bytes.Equal(got[8:], l4[8:]) {
		t.Errorf("payload differs")
	}
	// The reassembled UDP checksum verifies over the IPv6 pseudo-header.
	o := append(append([]byte(nil), ip6of(frames[0])[:40]...), got...)
	if !pktbuild.ValidL4Checksum6(o, 40, 17) {
		t.Errorf("reassembled UDP checksum invalid")
	}

	// lowest_ipv6_mtu 1500, MTU6 1400: fragments of at most 1400.
	c := cfg46(t)
	c.LowestIPv6MTU, c.MTU6 = 1500, 1400
	a.reset()
	v, _ = run46(t, c, ip, a)
	reassemble6(t, outputs(v), 0xbeef, 1400)

	// Out of buffers: everything dropped, the buffers taken handed back,
	// and one packet counted once (the buffers handed back are not packets).
	a = newPoolAlloc(1)
	v, tr = run46(t, cfg46(t), ip, a)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonNoBuffer)
	if len(outputs(v)) != 0 {
		t.Errorf("fragments left after a failure")
	}
	if v.NExtra == 0 {
		t.Errorf("the buffer taken was not handed back in Extra")
	}
	if c := tr.Counters; c.Drops[batch.ReasonNoBuffer] != 1 || c.Verdicts[batch.Drop] != 1 {
		t.Errorf("one packet out of buffers counted as no_buffer %d, drop verdicts %d; want 1 and 1",
			c.Drops[batch.ReasonNoBuffer], c.Verdicts[batch.Drop])
	}
	// A buffer too small for a fragment: the same.
	v, tr = run46(t, cfg46(t), ip, &smallAlloc{n: 1})
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonNoBuffer)
	if c := tr.Counters; c.Drops[batch.ReasonNoBuffer] != 1 || c.Verdicts[batch.Drop] != 1 {
		t.Errorf("small buffer: no_buffer %d, drop verdicts %d; want 1 and 1",
			c.Drops[batch.ReasonNoBuffer], c.Verdicts[batch.Drop])
	}
	v, _ = run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonNoBuffer)

	// A fragment (MF, offset 80) refragmented: offsets continue, M kept.
	h.MF, h.FragOff = true, 80
	h.KeepL4Csum = true
	v, _ = run46(t, cfg46(t), h.Build(pktbuild.Payload(2000)), newPoolAlloc(2))
	frames = outputs(v)
	if len(frames) != 2 {
		t.Fatalf("%d fragments", len(frames))
	}
	for i, f := range frames {
		fo := binary.BigEndian.Uint16(ip6of(f)[42:])
		if want := uint16(80 + 1232*i); fo&^7 != want || fo&1 != 1 {
			t.Errorf("fragment %d: offset %d M %d, want %d M 1", i, fo&^7, fo&1, want)
		}
	}
}

// icmpErr4 builds an ICMPv4 error from the router to the IPv6 node quoting
// a UDP packet the node sent.
func icmpErr4(typ, code uint8, rest uint32) []byte {
	inner := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoUDP, TTL: 3}.Build(pktbuild.UDP(1, 2, pktbuild.Payload(100)))
	return pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(typ, code, rest, inner))
}

func TestTranslate46ICMPErrors(t *testing.T) {
	cases := []struct {
		typ, code uint8
		rest      uint32
		t6, c6    uint8
		rest6     uint32
	}{
		{3, 0, 0, 1, 0, 0}, {3, 1, 0, 1, 0, 0}, {3, 2, 0, 4, 1, 6}, {3, 3, 0, 1, 4, 0},
		{3, 4, 1400, 2, 0, 1420}, {3, 4, 1000, 2, 0, 1280}, {3, 4, 1491, 2, 0, 1500},
		{3, 5, 0, 1, 0, 0}, {3, 6, 0, 1, 0, 0}, {3, 7, 0, 1, 0, 0}, {3, 8, 0, 1, 0, 0},
		{3, 9, 0, 1, 1, 0}, {3, 10, 0, 1, 1, 0}, {3, 11, 0, 1, 0, 0}, {3, 12, 0, 1, 0, 0},
		{3, 13, 0, 1, 1, 0}, {3, 15, 0, 1, 1, 0},
		{11, 0, 0, 3, 0, 0}, {11, 1, 0, 3, 1, 0},
		{12, 0, 0 << 24, 4, 0, 0}, {12, 0, 1 << 24, 4, 0, 1}, {12, 0, 2 << 24, 4, 0, 4},
		{12, 0, 3 << 24, 4, 0, 4}, {12, 0, 8 << 24, 4, 0, 7}, {12, 2, 9 << 24, 4, 0, 6},
		{12, 0, 12 << 24, 4, 0, 8}, {12, 0, 15 << 24, 4, 0, 8}, {12, 0, 16 << 24, 4, 0, 24},
		{12, 0, 19 << 24, 4, 0, 24},
	}
	for _, c := range cases {
		ip := icmpErr4(c.typ, c.code, c.rest)
		v, _ := run46(t, cfg46(t), ip, nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To6 {
			t.Errorf("%d/%d: verdict %v reason %v", c.typ, c.code, f.Verdict, f.Reason)
			continue
		}
		if s := checkFrame(f); s != "" {
			t.Errorf("%d/%d: %s", c.typ, c.code, s)
			continue
		}
		o := ip6of(f)
		if !bytes.Equal(o[8:24], t46Rtr6.AsSlice()) || !bytes.Equal(o[24:40], t46Node6.AsSlice()) || o[6] != 58 || o[7] != 63 {
			t.Errorf("%d/%d: outer %s", c.typ, c.code, describe(o))
		}
		if o[40] != c.t6 || o[41] != c.c6 || binary.BigEndian.Uint32(o[44:]) != c.rest6 {
			t.Errorf("%d/%d: got %d/%d rest %d, want %d/%d rest %d", c.typ, c.code, o[40], o[41],
				binary.BigEndian.Uint32(o[44:]), c.t6, c.c6, c.rest6)
		}
		if !pktbuild.ValidL4Checksum6(o, 40, 58) {
			t.Errorf("%d/%d: ICMPv6 checksum invalid", c.typ, c.code)
		}
		in := o[48:]
		if len(in) != 40+108 || in[0]>>4 != 6 || in[6] != 17 || in[7] != 3 ||
			!bytes.Equal(in[8:24], t46Node6.AsSlice()) || !bytes.Equal(in[24:40], t46Host6.AsSlice()) ||
			!pktbuild.ValidL4Checksum6(in, 40, 17) {
			t.Errorf("%d/%d: inner %s", c.typ, c.code, describe(in))
		}
	}
	drops := []struct {
		typ, code uint8
		rest      uint32
	}{{3, 14, 0}, {3, 16, 0}, {4, 0, 0}, {5, 0, 0}, {6, 0, 0}, {12, 1, 0}, {12, 3, 0},
		{12, 0, 4 << 24}, {12, 0, 7 << 24}, {12, 0, 10 << 24}, {12, 0, 20 << 24}}
	for _, c := range drops {
		v, _ := run46(t, cfg46(t), icmpErr4(c.typ, c.code, c.rest), nil)
		if f := &v.Frames[0]; f.Verdict != batch.Drop || f.Reason != batch.ReasonICMPUntranslatable {
			t.Errorf("%d/%d rest %#x: verdict %v reason %v", c.typ, c.code, c.rest, f.Verdict, f.Reason)
		}
	}
}

// TestTranslate46ICMPExtension checks RFC 4884 handling beside the corpus
// (which has Destination Unreachable only): Time Exceeded keeps its
// extension, re-padded to 8-byte units; Packet Too Big and Parameter
// Problem, whose ICMPv6 forms have no length field, lose it.
func TestTranslate46ICMPExtension(t *testing.T) {
	inner := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(1, 2, pktbuild.Payload(200)))
	op := append([]byte(nil), inner[:128]...) // original datagram: 128 bytes (32 words)
	ext := []byte{0x20, 0, 0, 0, 0, 8, 1, 1, 0xde, 0xad, 0xbe, 0xef}
	for _, c := range []struct {
		typ, code uint8
		rest      uint32
		keep      bool
	}{{11, 0, 32 << 16, true}, {3, 1, 32 << 16, true}, {3, 4, 32<<16 | 1400, false}, {12, 0, 9<<24 | 32<<16, false}} {
		body := append(append([]byte(nil), op...), ext...)
		ip := pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(c.typ, c.code, c.rest, body))
		v, _ := run46(t, cfg46(t), ip, nil)
		f := &v.Frames[0]
		if f.Verdict != batch.To6 {
			t.Errorf("%d/%d: verdict %v reason %v", c.typ, c.code, f.Verdict, f.Reason)
			continue
		}
		o := ip6of(f)
		if !pktbuild.ValidL4Checksum6(o, 40, 58) {
			t.Errorf("%d/%d: ICMPv6 checksum invalid", c.typ, c.code)
		}
		icmp := o[40:]
		if c.keep {
			// 128 + 20 = 148 bytes of translated datagram, cut to 144
			// (18 units of 8 bytes, as Jool does), then the extension.
			if icmp[4] != 18 || len(icmp) != 8+144+len(ext) || !bytes.Equal(icmp[8+144:], ext) {
				t.Errorf("%d/%d: length %d, %d bytes: %x", c.typ, c.code, icmp[4], len(icmp), icmp[8+144:])
			}
		} else if len(icmp) != 8+148 {
			t.Errorf("%d/%d: extension not removed: %d bytes", c.typ, c.code, len(icmp))
		}
	}
}

func TestTranslate46ICMPErrorMTU(t *testing.T) {
	// MTU 0: RFC 1191 plateau below the inner total length (1500 -> 1492).
	inner := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoUDP, DF: true}.Build(pktbuild.UDP(1, 2, pktbuild.Payload(1472)))
	ip := pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 4, 0, inner[:548]))
	c := cfg46(t)
	c.MTU6 = 9000
	v, _ := run46(t, c, ip, nil)
	if o := ip6of(&v.Frames[0]); binary.BigEndian.Uint32(o[44:]) != 1512 {
		t.Errorf("plateau MTU %d, want 1512", binary.BigEndian.Uint32(o[44:]))
	}
	c.MTU4 = 1300 // min(..., MTU4+20)
	v, _ = run46(t, c, ip, nil)
	if o := ip6of(&v.Frames[0]); binary.BigEndian.Uint32(o[44:]) != 1320 {
		t.Errorf("MTU %d, want 1320", binary.BigEndian.Uint32(o[44:]))
	}
}

func TestTranslate46ICMPErrorBad(t *testing.T) {
	// Error in error.
	inErr := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, make([]byte, 28)))
	ip := pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 1, 0, inErr))
	v, _ := run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPErrorInError)
	// Inner echo request is translated, its checksum over the IPv6 pseudo-header.
	echo := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.Echo(8, 1, 2, pktbuild.Payload(20)))
	ip = pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(11, 0, 0, echo))
	v, _ = run46(t, cfg46(t), ip, nil)
	if o := ip6of(&v.Frames[0]); o[48+6] != 58 || o[88] != 128 || !pktbuild.ValidL4Checksum6(o[48:], 40, 58) {
		t.Errorf("inner echo: %s", describe(o))
	}
	// Bad ICMP checksum.
	ip = icmpErr4(3, 3, 0)
	ip[22]++
	v, _ = run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPBadChecksum)
	// Missing inner packet.
	ip = pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, make([]byte, 12)))
	v, _ = run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPBadInner)
	// RFC 4884 length beyond the payload.
	ip = icmpErr4(3, 3, 60<<16)
	v, _ = run46(t, cfg46(t), ip, nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPBadExtension)
	// Fragmented error.
	h := pktbuild.IPv4{Src: t46Rtr4, Dst: t46Node4, Proto: pktbuild.ProtoICMP, MF: true}
	inner := pktbuild.IPv4{Src: t46Node4, Dst: t46Host4, Proto: pktbuild.ProtoUDP}.Build(pktbuild.UDP(1, 2, nil))
	v, _ = run46(t, cfg46(t), h.Build(pktbuild.ICMP(3, 3, 0, inner)), nil)
	wantVerdict(t, &v.Frames[0], batch.Drop, batch.ReasonICMPFragmented)
	// Untranslatable source: the RFC 6791 pool, else the ICMPv6 source.
	ip = pktbuild.IPv4{Src: netip.MustParseAddr("127.0.0.1"), Dst: t46Node4, Proto: pktbuild.ProtoICMP}.Build(pktbuild.ICMP(3, 3, 0, inner))
	tab, _ := mapping.NewTable(netip.Prefix{}, []mapping.EAM{
		{IPv6: netip.MustParsePrefix("2001:db8:1c0:2::/120"), IPv4: netip.MustParsePrefix("192.0.2.0/24")},
		{IPv6: netip.MustParsePrefix("2001:db8:1c6:3364::/120"), IPv4: netip.MustParsePrefix("198.51.100.0/24")},
	})
	c := cfg46(t)
	c.Map = tab
	v, tr := run46(t, c, ip, nil)
	if o := ip6of(&v.Frames[0]); !bytes.Equal(o[8:24], t46Src6.AsSlice()) || tr.Counters.Events[batch.EvRFC6791Source] != 1 {
		t.Errorf("RFC 6791 source: %s", describe(o))
	}
	c.RFC6791v6 = netip.MustParsePrefix("2001:db8:6791::1/128")
	v, _ = run46(t, c, ip, nil)
	if o := ip6of(&v.Frames[0]); !bytes.Equal(o[8:24], netip.MustParseAddr("2001:db8:6791::1").AsSlice()) {
		t.Errorf("RFC 6791 source: %s", describe(o))
	}
	c.RFC6791v6 = netip.MustParsePrefix("2001:db8:6791::/112")
	v, _ = run46(t, c, ip, nil)
	if a, _ := netip.AddrFromSlice(ip6of(&v.Frames[0])[8:24]); !c.RFC6791v6.Contains(a) {
		t.Errorf("RFC 6791 source %v outside %v", a, c.RFC6791v6)
	}
}

func TestTranslate46Malformed(t *testing.T) {
	good := udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(10)))
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		ip   []byte
		r    batch.Reason
	}{
		{"short", good[:19], batch.ReasonTruncated},
		{"version", mod(func(b []byte) []byte { b[0] = 0x55; return b }), batch.ReasonBadIPv4Header},
		{"ihl4", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, IHL: 4}.Build(make([]byte, 8)), batch.ReasonBadIPv4Header},
		{"ihl15", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, IHL: 15}.Build(make([]byte, 8)), batch.ReasonTruncated},
		{"totlen big", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, TotalLen: 100}.Build(make([]byte, 8)), batch.ReasonBadIPv4Header},
		{"totlen small", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, TotalLen: 19}.Build(make([]byte, 8)), batch.ReasonBadIPv4Header},
		{"checksum", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, BadCsum: true}.Build(pktbuild.UDP(1, 2, nil)), batch.ReasonBadIPv4Checksum},
		{"short udp", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17}.Build(make([]byte, 7)), batch.ReasonBadL4Header},
		{"short tcp", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 6}.Build(make([]byte, 19)), batch.ReasonBadL4Header},
		{"short icmp", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 1}.Build(make([]byte, 7)), batch.ReasonBadL4Header},
		{"loopback src", pktbuild.IPv4{Src: netip.MustParseAddr("127.0.0.1"), Dst: t46Node4, Proto: 17}.Build(pktbuild.UDP(1, 2, nil)), batch.ReasonMartian},
		{"multicast dst", pktbuild.IPv4{Src: t46Host4, Dst: netip.MustParseAddr("224.0.0.1"), Proto: 17}.Build(pktbuild.UDP(1, 2, nil)), batch.ReasonMartian},
	}
	for _, c := range cases {
		v, _ := run46(t, cfg46(t), c.ip, nil)
		if f := &v.Frames[0]; f.Verdict != batch.Drop || f.Reason != c.r {
			t.Errorf("%s: verdict %v reason %v, want drop %v", c.name, f.Verdict, f.Reason, c.r)
		}
	}
	frags := []struct {
		name string
		h    pktbuild.IPv4
		l4   []byte
	}{
		{"empty", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, FragOff: 8, KeepL4Csum: true}, nil},
		{"misaligned", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, FragOff: 8, MF: true, KeepL4Csum: true}, make([]byte, 12)},
		{"tcp offset 8", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 6, FragOff: 8, KeepL4Csum: true}, make([]byte, 16)},
		{"beyond 64k", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, FragOff: 65528, KeepL4Csum: true}, make([]byte, 16)},
		{"first without UDP header", pktbuild.IPv4{Src: t46Host4, Dst: t46Node4, Proto: 17, MF: true, KeepL4Csum: true}, make([]byte, 0)},
	}
	for _, c := range frags {
		v, _ := run46(t, cfg46(t), c.h.Build(c.l4), nil)
		if f := &v.Frames[0]; f.Verdict != batch.Drop || f.Reason != batch.ReasonBadFragment {
			t.Errorf("fragment %s: verdict %v reason %v", c.name, f.Verdict, f.Reason)
		}
	}
	// Ethernet padding beyond the total length is trimmed.
	small := udp4().Build(pktbuild.UDP(1, 2, nil)) // 28 bytes: padded to 46
	v, _ := run46(t, cfg46(t), append(small, make([]byte, 18)...), nil)
	f := &v.Frames[0]
	wantVerdict(t, f, batch.To6, batch.ReasonNone)
	if f.Len != 14+48 {
		t.Errorf("padding not trimmed: frame %d bytes", f.Len)
	}
	// No headroom for the IPv6 header.
	tr := newTranslator(cfg46(t))
	buf := make([]byte, 200)
	n := fillFrameAt(buf, 10, good)
	var vec batch.Vector
	vec.Add(buf, 10, n, batch.Side4)
	tr.Translate(&vec, 1e9, nil)
	wantVerdict(t, &vec.Frames[0], batch.Drop, batch.ReasonTooBig)
}

func fillFrameAt(buf []byte, off int, ip []byte) int {
	putEthernet(buf[off:], header.EtherTypeIPv4)
	return header.EthernetLen + copy(buf[off+header.EthernetLen:], ip)
}

func TestTranslate46Allocs(t *testing.T) {
	c := cfg46(t)
	tr := newTranslator(c)
	ip := udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(64)))
	buf, n := newFrame(ip)
	orig := append([]byte(nil), buf...)
	v := new(batch.Vector)
	allocs := testing.AllocsPerRun(100, func() {
		copy(buf, orig)
		v.Reset()
		v.Add(buf, batch.Headroom, n, batch.Side4)
		tr.Translate(v, 1e9, nil)
	})
	if allocs != 0 || v.Frames[0].Verdict != batch.To6 {
		t.Errorf("%v allocations per vector, verdict %v", allocs, v.Frames[0].Verdict)
	}
}

func BenchmarkTranslate46UDPQuick(b *testing.B) {
	c := cfg46(b)
	tr := newTranslator(c)
	ip := udp4().Build(pktbuild.UDP(1, 2, pktbuild.Payload(64)))
	v := new(batch.Vector)
	bufs := make([][]byte, batch.Size)
	for i := range bufs {
		bufs[i], _ = newFrame(ip)
	}
	n := header.EthernetLen + len(ip)
	tmpl := append([]byte(nil), bufs[0][batch.Headroom:batch.Headroom+header.EthernetLen+28]...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Reset()
		for j := range bufs {
			// A fresh packet: restore Ethernet, IPv4 and UDP headers.
			copy(bufs[j][batch.Headroom:], tmpl)
			v.Add(bufs[j], batch.Headroom, n, batch.Side4)
		}
		tr.Translate(v, 1e9, nil)
	}
	if v.Frames[0].Verdict != batch.To6 {
		b.Fatalf("verdict %v reason %v", v.Frames[0].Verdict, v.Frames[0].Reason)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch.Size), "ns/packet")
}
