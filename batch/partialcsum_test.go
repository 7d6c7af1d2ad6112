package batch_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/internal/graybox"
	"github.com/xlatd/xlatd/internal/pktbuild"
)

// TestPartialChecksum: a segment sent through a veth with TX checksum
// offload carries only its pseudo-header sum in the checksum field
// (CHECKSUM_PARTIAL). xlatd completes it for the translated pseudo-header,
// in both directions, and leaves a merely wrong checksum exactly as wrong.
func TestPartialChecksum(t *testing.T) {
	cfg := grayConfig(t, graybox.Env{})
	v4a, v4b := netip.MustParseAddr("192.0.2.33"), netip.MustParseAddr("198.51.100.2")
	v6a, v6b := netip.MustParseAddr("2001:db8:1c0:2:21::"), netip.MustParseAddr("2001:db8:1c6:3364:2::")
	payload := pktbuild.Payload(100)
	for _, tc := range []struct {
		name  string
		proto uint8
		l4    []byte
		off   int
	}{
		{"udp", pktbuild.ProtoUDP, pktbuild.UDP(5000, 53, payload), 6},
		{"tcp", pktbuild.ProtoTCP, pktbuild.TCP(5000, 80, 1, 2, 0x18, payload), 16},
	} {
		for _, dir := range []string{"6to4", "4to6"} {
			for _, partial := range []bool{true, false} {
				name := tc.name + "/" + dir
				if !partial {
					name += "/wrong-by-one"
				}
				t.Run(name, func(t *testing.T) {
					var ip []byte
					var l4off int
					if dir == "6to4" {
						ip = pktbuild.IPv6{Src: v6a, Dst: v6b, NextHeader: tc.proto, KeepL4Csum: true}.Build(tc.l4)
						l4off = 40
						a, b := v6a.As16(), v6b.As16()
						ph := checksum.PseudoHeader6(a[:], b[:], tc.proto, uint32(len(tc.l4)))
						setPartial(ip[l4off:], tc.off, ph, partial)
					} else {
						ip = pktbuild.IPv4{Src: v4b, Dst: v4a, Proto: tc.proto, KeepL4Csum: true}.Build(tc.l4)
						l4off = 20
						a, b := v4b.As4(), v4a.As4()
						ph := checksum.PseudoHeader4(a[:], b[:], tc.proto, uint16(len(tc.l4)))
						setPartial(ip[l4off:], tc.off, ph, partial)
					}
					before := binary.BigEndian.Uint16(ip[l4off+tc.off:])
					buf, n := newFrame(ip)
					var v batch.Vector
					v.Add(buf, batch.Headroom, n, sideOf(ip))
					tr := newTranslator(cfg)
					tr.Translate(&v, 1, nil)
					f := &v.Frames[0]
					if f.Verdict != batch.To4 && f.Verdict != batch.To6 {
						t.Fatalf("verdict %v (%v)", f.Verdict, f.Reason)
					}
					out := f.Bytes()[14:]
					var valid bool
					if dir == "6to4" {
						valid = pktbuild.ValidL4Checksum4(out)
					} else {
						valid = pktbuild.ValidL4Checksum6(out, 40, tc.proto)
					}
					completed := tr.Counters.Events[batch.EvPartialChecksum]
					if partial && (!valid || completed != 1) {
						t.Fatalf("partial checksum %#04x not completed: valid=%v completed=%d\n%s", before, valid, completed, describe(out))
					}
					if !partial && (valid || completed != 0) {
						t.Fatalf("a wrong checksum became valid=%v (completed=%d)", valid, completed)
					}
				})
			}
		}
	}
}

// setPartial writes the pseudo-header sum ph into the checksum field at off
// (what Linux leaves for offload), or, when !partial, a full checksum that
// is wrong by one.
func setPartial(l4 []byte, off int, ph uint16, partial bool) {
	if partial {
		binary.BigEndian.PutUint16(l4[off:], ph)
		return
	}
	l4[off], l4[off+1] = 0, 0
	c := ^checksum.Checksum(l4, ph)
	binary.BigEndian.PutUint16(l4[off:], c+1)
}
