package batch

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
	"github.com/xlatd/xlatd/mapping"
)

// TestHairpin46 checks translate46's hairpin mode (RFC 7757 section 4.1,
// as translate64 uses it): the source is translated with pool6 only even
// when the EAMT covers it, the hop limit is not decremented a second time,
// ICMPv4 errors are never sent back, and EvHairpinned is counted instead
// of EvTranslated4to6.
func TestHairpin46(t *testing.T) {
	tab, err := mapping.NewTable(netip.MustParsePrefix("2001:db8:100::/40"), []mapping.EAM{
		{IPv6: netip.MustParsePrefix("2001:db8:3::/120"), IPv4: netip.MustParsePrefix("192.0.2.0/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Map = tab
	c.ICMPv4Source = netip.MustParseAddr("198.51.100.1")
	var src ConfigSource
	src.Store(&c)
	tr := New(&src)
	tr.cfg = &c
	tr.v = new(Vector)

	ip := pktbuild.IPv4{Src: netip.MustParseAddr("192.0.2.8"), Dst: netip.MustParseAddr("192.0.2.9"),
		Proto: pktbuild.ProtoUDP, TTL: 63}.Build(pktbuild.UDP(1, 2, pktbuild.Payload(12)))
	frame := pktbuild.Ethernet([6]byte{1}, [6]byte{2}, ip)
	buf := make([]byte, 512)
	copy(buf[Headroom:], frame)
	f := &Frame{Buf: buf, Off: Headroom, Len: len(frame), In: Side6}
	tr.hairpin = true
	tr.translate46(f)
	tr.hairpin = false
	if f.Verdict != To6 {
		t.Fatalf("verdict %v reason %v", f.Verdict, f.Reason)
	}
	o := f.Bytes()[header.EthernetLen:]
	wantSrc := netip.MustParseAddr("2001:db8:1c0:2:8::") // pool6, not the EAM
	wantDst := netip.MustParseAddr("2001:db8:3::9")      // EAMT
	if !bytes.Equal(o[8:24], wantSrc.AsSlice()) || !bytes.Equal(o[24:40], wantDst.AsSlice()) || o[7] != 63 {
		t.Errorf("got %x -> %x hlim %d", o[8:24], o[24:40], o[7])
	}
	if !pktbuild.ValidL4Checksum6(o, 40, 17) {
		t.Errorf("UDP checksum invalid")
	}
	if tr.Counters.Events[EvHairpinned] != 1 || tr.Counters.Events[EvTranslated4to6] != 0 {
		t.Errorf("events %v", tr.Counters.Events)
	}

	// TTL 1 is not expired here (translate64 decremented already), and a
	// DF packet too big gets no ICMPv4 error (the sender is on the IPv6
	// side): dropped.
	big := pktbuild.IPv4{Src: netip.MustParseAddr("192.0.2.8"), Dst: netip.MustParseAddr("192.0.2.9"),
		Proto: pktbuild.ProtoUDP, TTL: 1, DF: true}.Build(pktbuild.UDP(1, 2, pktbuild.Payload(1472)))
	frame = pktbuild.Ethernet([6]byte{1}, [6]byte{2}, big)
	buf = make([]byte, 2048)
	copy(buf[Headroom:], frame)
	f = &Frame{Buf: buf, Off: Headroom, Len: len(frame), In: Side6}
	tr.hairpin = true
	tr.translate46(f)
	tr.hairpin = false
	if f.Verdict != Drop || f.Reason != ReasonFragNeeded {
		t.Errorf("too big while hairpinning: verdict %v reason %v", f.Verdict, f.Reason)
	}
	if got := binary.BigEndian.Uint16(buf[Headroom+header.EthType:]); got != header.EtherTypeIPv4 {
		t.Errorf("frame modified before the drop: EtherType %#x", got)
	}
}

// TestSum20 compares sum20 with checksum.Checksum over random headers.
func TestSum20(t *testing.T) {
	h := make([]byte, 20)
	rng := uint64(7)
	for i := 0; i < 200000; i++ {
		for j := range h {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			h[j] = byte(rng)
			if i%5 == 0 {
				h[j] = 0xff
			}
		}
		got, want := sum20((*[header.IPv4MinLen]byte)(h)), checksum.Checksum(h, 0)
		if got != want && !(got|want == 0xffff && got&want == 0) {
			t.Fatalf("sum20(%x) = %#x, want %#x", h, got, want)
		}
	}
}
