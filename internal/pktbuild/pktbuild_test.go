package pktbuild

import (
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

var (
	a4 = netip.MustParseAddr("192.0.2.1")
	b4 = netip.MustParseAddr("198.51.100.2")
	a6 = netip.MustParseAddr("2001:db8::1")
	b6 = netip.MustParseAddr("2001:db8:1::2")
)

// gopacket recomputes the checksums and must agree with ours.
func TestChecksumsAgreeWithGopacket(t *testing.T) {
	for _, proto := range []uint8{ProtoUDP, ProtoTCP, ProtoICMP} {
		var l4 []byte
		switch proto {
		case ProtoUDP:
			l4 = UDP(1, 2, Payload(33))
		case ProtoTCP:
			l4 = TCP(1, 2, 3, 4, TCPSyn|TCPAck, Payload(33))
		case ProtoICMP:
			l4 = Echo(8, 1, 2, Payload(33))
		}
		p := IPv4{Src: a4, Dst: b4, Proto: proto, Options: []byte{1, 1, 1}}.Build(l4)
		if Sum(p[:24], 0) != 0xffff {
			t.Errorf("proto %d: IPv4 header checksum invalid", proto)
		}
		if !ValidL4Checksum4(p) {
			t.Errorf("proto %d: L4 checksum invalid", proto)
		}
		pkt := gopacket.NewPacket(p, layers.LayerTypeIPv4, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Errorf("proto %d: gopacket: %v", proto, el.Error())
		}
		ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if int(ip.Length) != len(p) || ip.IHL != 6 || ip.TTL != 64 {
			t.Errorf("proto %d: gopacket sees %+v", proto, ip)
		}
	}
	for _, proto := range []uint8{ProtoUDP, ProtoTCP, ProtoICMPv6} {
		var l4 []byte
		switch proto {
		case ProtoUDP:
			l4 = UDP(1, 2, Payload(33))
		case ProtoTCP:
			l4 = TCP(1, 2, 3, 4, TCPSyn, Payload(33))
		case ProtoICMPv6:
			l4 = Echo(128, 1, 2, Payload(33))
		}
		h := IPv6{Src: a6, Dst: b6, NextHeader: proto, Ext: []Ext{HopByHop(), DestOpts(), Routing(0, a6)}}
		p := h.Build(l4)
		off := len(p) - len(l4)
		if !ValidL4Checksum6(p, off, proto) {
			t.Errorf("nh %d: L4 checksum invalid", proto)
		}
		pkt := gopacket.NewPacket(p, layers.LayerTypeIPv6, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Errorf("nh %d: gopacket: %v", proto, el.Error())
		}
		if pkt.Layer(layers.LayerTypeIPv6Routing) == nil || pkt.Layer(layers.LayerTypeIPv6HopByHop) == nil {
			t.Errorf("nh %d: extension headers not seen by gopacket", proto)
		}
		// Verify through gopacket's own serialisation of the L4 layer.
		var csum uint16
		switch proto {
		case ProtoUDP:
			csum = pkt.Layer(layers.LayerTypeUDP).(*layers.UDP).Checksum
		case ProtoTCP:
			csum = pkt.Layer(layers.LayerTypeTCP).(*layers.TCP).Checksum
		case ProtoICMPv6:
			csum = pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6).Checksum
		}
		if csum == 0 {
			t.Errorf("nh %d: zero checksum", proto)
		}
	}
}

func TestFragments(t *testing.T) {
	l4 := UDP(1, 2, Payload(3000))
	fr := IPv4{Src: a4, Dst: b4, Proto: ProtoUDP, ID: 7}.Fragments(l4, 1000)
	if len(fr) != 4 {
		t.Fatalf("%d IPv4 fragments", len(fr))
	}
	var re []byte
	for i, f := range fr {
		if Sum(f[:20], 0) != 0xffff {
			t.Errorf("fragment %d: header checksum", i)
		}
		mf := f[6]&0x20 != 0
		if mf != (i < 3) || int(f[6]&0x1f)<<8|int(f[7]) != i*1000/8 {
			t.Errorf("fragment %d: flags/offset %x%x", i, f[6], f[7])
		}
		re = append(re, f[20:]...)
	}
	whole := IPv4{Src: a4, Dst: b4, Proto: ProtoUDP, ID: 7}.Build(l4)
	if string(re) != string(whole[20:]) {
		t.Errorf("IPv4 fragments do not reassemble to the whole datagram")
	}
	fr6 := IPv6{Src: a6, Dst: b6, NextHeader: ProtoUDP}.Fragments(l4, 1232, 0x01020304)
	if len(fr6) != 3 {
		t.Fatalf("%d IPv6 fragments", len(fr6))
	}
	re = nil
	for _, f := range fr6 {
		if f[6] != ProtoFragment || f[40] != ProtoUDP {
			t.Errorf("fragment header chain %d/%d", f[6], f[40])
		}
		re = append(re, f[48:]...)
	}
	w6 := IPv6{Src: a6, Dst: b6, NextHeader: ProtoUDP}.Build(l4)
	if string(re) != string(w6[40:]) {
		t.Errorf("IPv6 fragments do not reassemble")
	}
}

func TestUDPZeroChecksumKept(t *testing.T) {
	p := IPv4{Src: a4, Dst: b4, Proto: ProtoUDP, KeepL4Csum: true}.Build(UDP(1, 2, nil))
	if p[26] != 0 || p[27] != 0 {
		t.Errorf("UDP checksum %x%x, want 0", p[26], p[27])
	}
}
