package batch_test

// Robustness: FuzzTranslate46 / FuzzTranslate64 feed arbitrary bytes as the
// IP packet of an IPv4 / IPv6 frame; FuzzTranslateVector several packets in
// one vector; TestMalformed runs the generated malformed cases (also the
// fuzz seeds) with specific expectations; TestRoundTrip generated packets
// there and back.
//
// Invariants checked for every frame (translateChecked, roundTrip):
//   - Translate does not panic;
//   - nothing outside the frame's buffer changes: buffers are carved out of
//     a larger array whose guard zones before and after must keep their
//     canary (the translator may use its whole buffer, headroom and tail);
//   - every verdict is valid for the direction; Drop carries a Reason;
//   - transmitted frames parse: EtherType matches the IP version, the IP
//     length field equals the frame length - 14, the IPv4 header checksum
//     verifies (checkFrame);
//   - a frame passed to the kernel (Pass) is left exactly as it came;
//   - the verdict counters count every frame, Frames and Extra;
//   - the same input twice in one vector gets the same verdict and reason;
//   - round trip (roundTrip): what translates there and back comes back.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

const (
	guardLen = 512
	canary   = 0xA5
)

// guardedBuf returns a bufSize buffer inside a larger array with guard
// zones on both sides, and a function reporting damage to the guards. The
// buffer's capacity reaches into the tail guard, so a translator that
// reslices beyond len(Buf) is caught.
func guardedBuf() (buf []byte, check func() string) {
	all := make([]byte, guardLen+bufSize+guardLen)
	for i := range all {
		all[i] = canary
	}
	buf = all[guardLen : guardLen+bufSize]
	return buf, func() string {
		for i := 0; i < guardLen; i++ {
			if all[i] != canary {
				return fmt.Sprintf("write %d bytes before the buffer", guardLen-i)
			}
		}
		for i := guardLen + bufSize; i < len(all); i++ {
			if all[i] != canary {
				return fmt.Sprintf("write %d bytes after the end of the buffer", i-guardLen-bufSize)
			}
		}
		return ""
	}
}

// guardedAlloc hands out guarded buffers and checks them all.
type guardedAlloc struct {
	checks []func() string
	max    int
}

func (a *guardedAlloc) Get() []byte {
	if len(a.checks) >= a.max {
		return nil
	}
	b, c := guardedBuf()
	a.checks = append(a.checks, c)
	return b
}

// Fuzz configuration knobs (bits of the second fuzz argument).
const (
	knobAmendUDP   = 1 << iota // amend_udp_zero_checksum
	knobMTU6                   // lowest-ipv6-mtu 1500, IPv6 link MTU 1280
	knobMTU4                   // IPv4 link MTU 1400
	knobNoPool6                // pool6 null + the extra EAMs
	knobWKP                    // pool6 64:ff9b::/96
	knobNo6791                 // no RFC 6791 pool
	knobRateLimit              // default ICMP error rate limit
	knobResetTC                // reset traffic class / TOS
	numKnobConfigs = 1 << 8
)

var (
	knobOnce    sync.Once
	knobConfigs [numKnobConfigs]*batch.Config
)

// knobConfig returns the graybox baseline configuration modified by knobs.
func knobConfig(tb testing.TB, knobs uint8) *batch.Config {
	knobOnce.Do(func() {
		for k := range knobConfigs {
			env := graybox.Env{AmendUDP: k&knobAmendUDP != 0, No6791v4: k&knobNo6791 != 0, Pool6Null: k&knobNoPool6 != 0}
			if k&knobMTU6 != 0 {
				env.LowestMTU, env.MTU6 = 1500, 1280
			}
			if k&knobMTU4 != 0 {
				env.MTU4 = 1400
			}
			c := grayConfig(tb, env)
			if k&knobWKP != 0 && k&knobNoPool6 == 0 {
				tab, err := mapping.NewTable(netip.MustParsePrefix("64:ff9b::/96"), grayEAMs)
				if err != nil {
					tb.Fatal(err)
				}
				c.Map = tab
			}
			if k&knobRateLimit != 0 {
				c.ICMPErrorsPerSecond, c.ICMPErrorBurst = 0, 0
			}
			if k&knobResetTC != 0 {
				c.ResetTrafficClass, c.ResetTOS, c.TOS = true, true, 0x10
			}
			knobConfigs[k] = c
		}
	})
	return knobConfigs[knobs]
}

// translateChecked translates ip as one frame arriving with EtherType et
// (the IP bytes are used as given; pad trailing bytes are Ethernet
// padding) and checks the invariants. It returns the vector for further
// checks, and a failure description ("" when the invariants hold).
func translateChecked(cfg *batch.Config, et uint16, ip []byte) (v *batch.Vector, fail string) {
	buf, check := guardedBuf()
	putEthernet(buf[batch.Headroom:], et)
	n := header.EthernetLen + copy(buf[batch.Headroom+header.EthernetLen:], ip)
	alloc := &guardedAlloc{max: batch.ExtraSize}
	v = new(batch.Vector)
	in := batch.Side4
	if et == header.EtherTypeIPv6 {
		in = batch.Side6
	}
	orig := append([]byte(nil), buf[batch.Headroom:batch.Headroom+n]...)
	v.Add(buf, batch.Headroom, n, in)
	// The same packet again as a second frame: state must not leak from
	// one frame to the next (same verdict and reason).
	buf2, check2 := guardedBuf()
	copy(buf2, buf)
	v.Add(buf2, batch.Headroom, n, in)
	tr := newTranslator(cfg)
	defer func() {
		if p := recover(); p != nil {
			fail = fmt.Sprintf("panic: %v", p)
		}
	}()
	tr.Translate(v, 1e9, alloc)
	if s := check(); s != "" {
		return v, "frame buffer: " + s
	}
	if s := check2(); s != "" {
		return v, "second frame buffer: " + s
	}
	if f0, f1 := &v.Frames[0], &v.Frames[1]; f0.Verdict != f1.Verdict || f0.Reason != f1.Reason {
		return v, fmt.Sprintf("identical frames translated differently: %v/%v then %v/%v",
			f0.Verdict, f0.Reason, f1.Verdict, f1.Reason)
	}
	for i, c := range alloc.checks {
		if s := c(); s != "" {
			return v, fmt.Sprintf("allocated buffer %d: %s", i, s)
		}
	}
	var total uint64
	for _, c := range tr.Counters.Verdicts {
		total += c
	}
	if total != uint64(v.N+v.NExtra) {
		return v, fmt.Sprintf("verdict counters count %d frames, vector has %d+%d", total, v.N, v.NExtra)
	}
	for i := 0; i < v.N+v.NExtra; i++ {
		f := &v.Frames[0]
		if i < v.N {
			f = &v.Frames[i]
		} else {
			f = &v.Extra[i-v.N]
		}
		if s := checkVerdict(f, in); s != "" {
			return v, fmt.Sprintf("frame %d: %s", i, s)
		}
		if f.Verdict == batch.Pass && (i >= v.N || f.Off != batch.Headroom || f.Len != n ||
			!bytes.Equal(f.Bytes(), orig)) {
			return v, fmt.Sprintf("frame %d: verdict Pass but the frame was changed (it belongs to the kernel)", i)
		}
	}
	return v, ""
}

// checkVerdict checks one frame's verdict against the side it came in on
// and, for transmitted frames, the frame invariants.
func checkVerdict(f *batch.Frame, in batch.Side) string {
	if f.Verdict >= batch.NumVerdicts {
		return fmt.Sprintf("invalid verdict %d", f.Verdict)
	}
	if f.Verdict == batch.Drop {
		if f.Reason == batch.ReasonNone || f.Reason >= batch.NumReasons {
			return fmt.Sprintf("dropped with reason %d (%v)", f.Reason, f.Reason)
		}
		return ""
	}
	if f.Verdict == batch.Pass {
		return ""
	}
	if s := checkFrame(f); s != "" {
		return fmt.Sprintf("verdict %v: %s", f.Verdict, s)
	}
	et := header.Ethernet(f.Bytes()).Type()
	want := uint16(0)
	switch {
	case f.Verdict == batch.To4:
		want = header.EtherTypeIPv4
	case f.Verdict == batch.To6:
		want = header.EtherTypeIPv6
	case f.Verdict == batch.Back && in == batch.Side4:
		want = header.EtherTypeIPv4
	case f.Verdict == batch.Back && in == batch.Side6:
		want = header.EtherTypeIPv6
	}
	if et != want {
		return fmt.Sprintf("verdict %v (in on side %d) with EtherType %#04x", f.Verdict, in, et)
	}
	if in == batch.Side4 && f.Verdict == batch.To4 {
		return "IPv4 input sent to the IPv4 side"
	}
	return ""
}

// corpusSeeds returns every .pkt file of the graybox corpus (read at test
// time, never copied), or nil when the corpus is absent.
func corpusSeeds() [][]byte {
	dir := grayboxDirOK()
	if dir == "" {
		return nil
	}
	var out [][]byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".pkt") {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, b)
			}
		}
		return nil
	})
	return out
}

func FuzzTranslate46(f *testing.F) {
	fuzzTranslate(f, header.EtherTypeIPv4)
}

func FuzzTranslate64(f *testing.F) {
	fuzzTranslate(f, header.EtherTypeIPv6)
}

func fuzzTranslate(f *testing.F, et uint16) {
	for _, b := range corpusSeeds() {
		f.Add(b, uint8(0))
	}
	for _, c := range append(malformedCases(), hostileCases()...) {
		if c.et == et {
			f.Add(c.ip, c.knobs)
		}
	}
	f.Fuzz(func(t *testing.T, ip []byte, knobs uint8) {
		if fail := roundTrip(knobConfig(t, knobs), knobs, et, ip, false); fail != "" {
			t.Fatalf("%s\ninput:\n%s", fail, describe(ip))
		}
	})
}

// roundTrip translates ip with the invariants of translateChecked and,
// when that gives exactly one translated frame, translates the result back
// and checks that the packet survived: RFC 7915 loses IPv4 options, IPv6
// extension headers, the flow label and (unfragmented) the IPv4 ID, and
// takes 2 from the TTL / hop limit, but everything else comes back, and the
// L4 bytes, checksum included, come back exactly (incremental checksum
// updates: a bad checksum stays exactly as bad). Only TCP, UDP, ICMP echo
// and unknown protocols are compared; ICMP errors map several codes onto
// one and do not round-trip.
// With strict, both translations must happen.
func roundTrip(cfg *batch.Config, knobs uint8, et uint16, ip []byte, strict bool) string {
	v, fail := translateChecked(cfg, et, ip)
	if fail != "" {
		return fail
	}
	want, backWant, backEt := batch.To6, batch.To4, uint16(header.EtherTypeIPv6)
	if et == header.EtherTypeIPv6 {
		want, backWant, backEt = batch.To4, batch.To6, header.EtherTypeIPv4
	}
	f := &v.Frames[0]
	if f.Verdict != want || v.NExtra != 0 {
		if strict {
			return fmt.Sprintf("verdict %v (reason %v), %d extra frames; want %v", f.Verdict, f.Reason, v.NExtra, want)
		}
		return ""
	}
	mid := append([]byte(nil), f.Bytes()[header.EthernetLen:]...)
	bv, fail := translateChecked(cfg, backEt, mid)
	if fail != "" {
		return "translating the translation back: " + fail + "\ntranslation:\n" + describe(mid)
	}
	g := &bv.Frames[0]
	if g.Verdict != backWant || bv.NExtra != 0 {
		if strict {
			return fmt.Sprintf("back: verdict %v (reason %v), %d extra frames; want %v", g.Verdict, g.Reason, bv.NExtra, backWant)
		}
		return "" // hairpinning, hop limit expiry, policy: not a round trip
	}
	rt := g.Bytes()[header.EthernetLen:]
	var s string
	if et == header.EtherTypeIPv4 {
		s = roundTrip4(ip, rt, knobs)
	} else {
		s = roundTrip6(ip, rt, knobs)
	}
	if s != "" {
		return "round trip: " + s + "\ntranslation:\n" + describe(mid) + "back:\n" + describe(rt)
	}
	return ""
}

// roundTripL4 reports whether proto's bytes are compared on a round trip
// (first fragments of TCP/UDP/echo, any non-first fragment, unknown protocols).
func roundTripL4(proto uint8, l4 []byte, first, v6 bool) bool {
	if (v6 && proto == header.ProtoICMP) || (!v6 && proto == header.ProtoICMPv6) {
		return false // the other family's ICMP number comes back as this family's (58 <-> 1)
	}
	if !first {
		return true
	}
	switch proto {
	case header.ProtoTCP, header.ProtoUDP:
		return true
	case header.ProtoICMP:
		return !v6 && len(l4) > 0 && (l4[0] == 0 || l4[0] == 8)
	case header.ProtoICMPv6:
		return v6 && len(l4) > 0 && (l4[0] == 128 || l4[0] == 129)
	case header.ProtoHopByHop, header.ProtoRouting, header.ProtoFragment, header.ProtoDestOpts:
		return false
	}
	return proto != header.ProtoICMP && proto != header.ProtoICMPv6
}

// sameL4 compares L4 bytes, with the checksum's two zeros (0x0000 and
// 0xffff) equal for TCP and ICMP.
func sameL4(a, b []byte, proto uint8, first bool) string {
	if len(a) != len(b) {
		return fmt.Sprintf("L4 length %d, was %d", len(b), len(a))
	}
	co := -1
	if first {
		switch proto {
		case header.ProtoTCP:
			co = header.TCPCsum
		case header.ProtoUDP:
			co = header.UDPCsum
		case header.ProtoICMP, header.ProtoICMPv6:
			co = header.ICMPCsum
		}
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if co >= 0 && (i == co || i == co+1) && len(a) >= co+2 {
			ca, cb := binary.BigEndian.Uint16(a[co:]), binary.BigEndian.Uint16(b[co:])
			if ca^cb == 0xffff && (ca == 0 || cb == 0) && proto != header.ProtoUDP {
				continue
			}
		}
		return fmt.Sprintf("L4 byte %d (%s) is %#02x, was %#02x", i, map[bool]string{true: "checksum", false: "data"}[i == co || i == co+1], b[i], a[i])
	}
	return ""
}

func roundTrip4(o, r []byte, knobs uint8) string {
	ihl, tl := int(o[0]&0xf)*4, int(binary.BigEndian.Uint16(o[2:]))
	o = o[:tl]
	if !roundTripL4(o[9], o[ihl:], binary.BigEndian.Uint16(o[6:])&0x1fff == 0, false) {
		return ""
	}
	if len(r) < 20 || r[0] != 0x45 {
		return "result is not a plain IPv4 header"
	}
	if got, want := int(binary.BigEndian.Uint16(r[2:])), tl-(ihl-20); got != want {
		return fmt.Sprintf("total length %d, want %d (options dropped)", got, want)
	}
	if knobs&knobResetTC == 0 && r[1] != o[1] {
		return fmt.Sprintf("TOS %#02x, was %#02x", r[1], o[1])
	}
	if o[8] >= 3 && r[8] != o[8]-2 {
		return fmt.Sprintf("TTL %d, was %d", r[8], o[8])
	}
	if r[9] != o[9] || string(r[12:20]) != string(o[12:20]) {
		return "protocol or addresses changed"
	}
	ofo, rfo := binary.BigEndian.Uint16(o[6:]), binary.BigEndian.Uint16(r[6:])
	frag := ofo&0x3fff != 0
	if frag && (rfo&0x3fff != ofo&0x3fff || binary.BigEndian.Uint16(r[4:]) != binary.BigEndian.Uint16(o[4:])) {
		return fmt.Sprintf("fragment ID/MF/offset %#04x/%#04x, was %#04x/%#04x", binary.BigEndian.Uint16(r[4:]), rfo, binary.BigEndian.Uint16(o[4:]), ofo)
	}
	first := ofo&0x1fff == 0
	if o[9] == header.ProtoICMP && frag {
		return "" // a fragmented ICMP message's checksum cannot be adjusted statelessly
	}
	rl4 := r[20:]
	if o[9] == header.ProtoUDP && first && len(o) >= ihl+8 && binary.BigEndian.Uint16(o[ihl+header.UDPCsum:]) == 0 && len(rl4) >= 8 {
		// Zero checksum amended (RFC 7915 4.5): it does not come back as 0.
		rl4 = append([]byte(nil), rl4...)
		rl4[header.UDPCsum], rl4[header.UDPCsum+1] = 0, 0
	}
	return sameL4(o[ihl:], rl4, o[9], first)
}

// upper walks an IPv6 extension-header chain: upper-layer offset and
// protocol, and the Fragment header's offset (-1 when none).
func upper(b []byte) (off int, nh uint8, frag int) {
	nh, off, frag = b[6], 40, -1
	for n := 0; n < 64 && off+8 <= len(b); n++ {
		switch nh {
		case header.ProtoHopByHop, header.ProtoDestOpts, header.ProtoRouting:
			nh, off = b[off], off+(int(b[off+1])+1)*8
		case header.ProtoFragment:
			frag = off
			nh, off = b[off], off+8
		default:
			return off, nh, frag
		}
	}
	return off, nh, frag
}

func roundTrip6(o, r []byte, knobs uint8) string {
	o = o[:40+int(binary.BigEndian.Uint16(o[4:]))]
	ou, onh, ofr := upper(o)
	ru, rnh, rfr := upper(r)
	if ou > len(o) || ru > len(r) {
		return "extension headers beyond the packet"
	}
	first := ofr < 0 || binary.BigEndian.Uint16(o[ofr+2:])&^7 == 0
	if !roundTripL4(onh, o[ou:], first, true) {
		return ""
	}
	if rnh != onh {
		return fmt.Sprintf("upper-layer protocol %d, was %d", rnh, onh)
	}
	if knobs&knobResetTC == 0 && header.IPv6(r).TrafficClass() != header.IPv6(o).TrafficClass() {
		return fmt.Sprintf("traffic class %#02x, was %#02x", header.IPv6(r).TrafficClass(), header.IPv6(o).TrafficClass())
	}
	if o[7] >= 3 && r[7] != o[7]-2 {
		return fmt.Sprintf("hop limit %d, was %d", r[7], o[7])
	}
	isFrag := false
	if ofr >= 0 {
		fo := binary.BigEndian.Uint16(o[ofr+2:]) &^ 6 // Res bits: "ignored on reception" (RFC 8200 4.5)
		isFrag = fo != 0
		if isFrag {
			if rfr < 0 {
				return "fragment lost its Fragment header"
			}
			if binary.BigEndian.Uint16(r[rfr+2:]) != fo || binary.BigEndian.Uint32(r[rfr+4:]) != binary.BigEndian.Uint32(o[ofr+4:])&0xffff {
				return fmt.Sprintf("Fragment offset/M %#04x id %#x, was %#04x id %#x", binary.BigEndian.Uint16(r[rfr+2:]),
					binary.BigEndian.Uint32(r[rfr+4:]), fo, binary.BigEndian.Uint32(o[ofr+4:]))
			}
		}
	}
	if onh == header.ProtoICMPv6 && isFrag {
		return ""
	}
	if string(r[8:40]) != string(o[8:40]) {
		// Addresses not in canonical RFC 6052 / EAM form do not come back
		// unchanged, and the checksum follows them: compare the rest.
		if len(o)-ou != len(r)-ru {
			return fmt.Sprintf("L4 length %d, was %d", len(r)-ru, len(o)-ou)
		}
		return ""
	}
	rl4 := r[ru:]
	if onh == header.ProtoUDP && first && len(o) >= ou+8 && binary.BigEndian.Uint16(o[ou+header.UDPCsum:]) == 0 && len(rl4) >= 8 {
		// An IPv6 UDP zero checksum is "none" on the IPv4 side, which
		// amend_udp_zero_checksum then computes (RFC 7915 4.5).
		rl4 = append([]byte(nil), rl4...)
		rl4[header.UDPCsum], rl4[header.UDPCsum+1] = 0, 0
	}
	return sameL4(o[ou:], rl4, onh, first)
}

// TestRoundTrip translates generated packets there and back (see roundTrip):
// TCP, UDP, ICMP echo and an unknown protocol, empty to 1200-byte
// payloads, TOS / traffic class set, good and bad L4 checksums, fragments.
func TestRoundTrip(t *testing.T) {
	cfg := knobConfig(t, 0)
	type pc struct {
		name string
		et   uint16
		ip   []byte
	}
	var cases []pc
	for _, n := range []int{0, 1, 7, 100, 1200} {
		for _, bad := range []bool{false, true} {
			for _, proto := range []uint8{pktbuild.ProtoUDP, pktbuild.ProtoTCP, pktbuild.ProtoICMP, 253} {
				var l4 []byte
				switch proto {
				case pktbuild.ProtoUDP:
					l4 = pktbuild.UDP(2000, 4000, pktbuild.Payload(n))
				case pktbuild.ProtoTCP:
					l4 = pktbuild.TCP(2000, 4000, 7, 9, pktbuild.TCPAck|pktbuild.TCPPsh, pktbuild.Payload(n))
				case pktbuild.ProtoICMP:
					l4 = pktbuild.Echo(8, 77, 3, pktbuild.Payload(n))
				default:
					l4 = pktbuild.Payload(n + 1)
				}
				h := h4(proto)
				h.TOS, h.DF = 0xb8, true
				p4 := h.Build(l4)
				nh := proto
				if proto == pktbuild.ProtoICMP {
					nh = pktbuild.ProtoICMPv6
					l4 = pktbuild.Echo(128, 77, 3, pktbuild.Payload(n))
				}
				x := h6(nh)
				x.TC = 0xb8
				p6 := x.Build(l4)
				if bad && proto != 253 {
					p4[len(p4)-1] ^= 0x5a // payload change: the checksum is now wrong
					p6[len(p6)-1] ^= 0x5a
					if n == 0 {
						continue
					}
				}
				name := fmt.Sprintf("proto%d/%d/bad=%v", proto, n, bad)
				cases = append(cases, pc{"4/" + name, e4, p4}, pc{"6/" + name, e6, p6})
			}
		}
	}
	l4 := pktbuild.UDP(2000, 4000, pktbuild.Payload(1000))
	for i, f := range h4(pktbuild.ProtoUDP).Fragments(l4, 400) {
		cases = append(cases, pc{fmt.Sprintf("4/fragment-%d", i), e4, f})
	}
	for i, f := range h6(pktbuild.ProtoUDP).Fragments(l4, 400, 0x4321) {
		cases = append(cases, pc{fmt.Sprintf("6/fragment-%d", i), e6, f})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if s := roundTrip(cfg, 0, c.et, c.ip, true); s != "" {
				t.Errorf("%s\ninput:\n%s", s, describe(c.ip))
			}
		})
	}
}

// FuzzTranslateVector splits its input into up to 8 packets (each preceded
// by a 2-byte length; the EtherType follows the version nibble) and
// translates them in one vector, then each alone: every frame must get the
// same verdict, reason and output length either way, and the extra frames
// must add up. This catches state carried from one frame to the next
// (hairpinning, ICMP error scratch space, fragment bookkeeping).
func FuzzTranslateVector(f *testing.F) {
	var seeds [][]byte
	if dir := grayboxDirOK(); dir != "" {
		for _, r := range graybox.Rows {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.In))); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	for _, c := range append(malformedCases(), hostileCases()...) {
		if len(c.ip) > 0 && c.ip[0]>>4 == 4 && c.et == e4 || len(c.ip) > 0 && c.ip[0]>>4 == 6 && c.et == e6 {
			seeds = append(seeds, c.ip)
		}
	}
	for i := 0; i+2 < len(seeds); i += 3 {
		f.Add(joinPackets(seeds[i:i+3]...), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, knobs uint8) {
		pkts := splitPackets(data, 8)
		if len(pkts) == 0 {
			return
		}
		cfg := knobConfig(t, knobs)
		type res struct {
			verdict batch.Verdict
			reason  batch.Reason
			n, l    int // output frames, total output bytes
		}
		alone := make([]res, len(pkts))
		extra := 0
		for i, p := range pkts {
			var v batch.Vector
			buf, n := newFrame(p)
			v.Add(buf, batch.Headroom, n, sideOf(p))
			newTranslator(cfg).Translate(&v, 1e9, &heapAlloc{})
			out := outputs(&v)
			alone[i] = res{v.Frames[0].Verdict, v.Frames[0].Reason, len(out), 0}
			for _, o := range out {
				alone[i].l += o.Len
			}
			extra += v.NExtra
		}
		var v batch.Vector
		for _, p := range pkts {
			buf, n := newFrame(p)
			v.Add(buf, batch.Headroom, n, sideOf(p))
		}
		newTranslator(cfg).Translate(&v, 1e9, &heapAlloc{})
		if v.NExtra != extra {
			t.Fatalf("%d extra frames in one vector, %d when translated one by one", v.NExtra, extra)
		}
		next := 0
		for i := range pkts {
			fr := &v.Frames[i]
			got := res{verdict: fr.Verdict, reason: fr.Reason}
			if fr.Verdict != batch.Drop && fr.Verdict != batch.Pass {
				got.n, got.l = 1, fr.Len
				for k := 1; k < alone[i].n && next < v.NExtra; k++ {
					got.n++
					got.l += v.Extra[next].Len
					next++
				}
			}
			if got != alone[i] {
				t.Fatalf("packet %d of %d: in a vector %+v, alone %+v\ninput:\n%s", i, len(pkts), got, alone[i], describe(pkts[i]))
			}
		}
	})
}

// joinPackets concatenates packets, each preceded by its 2-byte length.
func joinPackets(pkts ...[]byte) []byte {
	var b []byte
	for _, p := range pkts {
		b = append(b, byte(len(p)>>8), byte(len(p)))
		b = append(b, p...)
	}
	return b
}

// splitPackets undoes joinPackets (the last packet may be short).
func splitPackets(b []byte, max int) [][]byte {
	var out [][]byte
	for len(b) >= 2 && len(out) < max {
		n := int(b[0])<<8 | int(b[1])
		b = b[2:]
		n = min(n, len(b), bufSize-batch.Headroom-header.EthernetLen)
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}
