package gen

import (
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/checksum"
	"github.com/xlatd/xlatd/header"
)

func TestFlowsChecksumsAndTuples(t *testing.T) {
	space := FlowSpace{SrcAddrs: 7, SrcPortMin: 1024, SrcPortMax: 1124, DstPortMin: 9, DstPortMax: 11}
	for _, f := range []Flow{flow6, flow4} {
		for _, size := range []int{84, 1518} {
			wire := WireLen(size)
			if f.Src.Is4() {
				wire -= 20
			}
			tp, err := NewTemplate(f, wire)
			if err != nil {
				t.Fatal(err)
			}
			for _, order := range []FlowOrder{Sequential, Random} {
				fl, err := NewFlows(tp, space, 100, 500, order, 42)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[[3]uint64]bool{}
				b := append([]byte(nil), tp.Frame...)
				for i := 0; i < 1000; i++ {
					fl.Stamp(b, uint64(i)*0x1234567, int64(i)*-987654321)
					if !udpValid(t, b) {
						t.Fatalf("%v %d order %d frame %d: bad UDP checksum", f.Src, size, order, i)
					}
					seq, _, ok := Parse(b)
					if !ok || seq != uint64(i)*0x1234567 {
						t.Fatalf("parse %v %d", ok, seq)
					}
					src, sp, dp := srcPorts(b)
					if sp < 1024 || sp > 1124 || dp < 9 || dp > 11 {
						t.Fatalf("ports %d %d", sp, dp)
					}
					off := src.As16()
					base := f.Src.As16()
					if d := int(off[15]) - int(base[15]); d < 0 || d >= 7 {
						t.Fatalf("source %v from %v", src, f.Src)
					}
					if order == Sequential && i < 500 {
						k := [3]uint64{uint64(off[15]), uint64(sp), uint64(dp)}
						if seen[k] {
							t.Fatalf("flow %v repeated at %d", k, i)
						}
						seen[k] = true
						a, p1, p2 := fl.Tuple(uint64(i))
						if a != src || p1 != sp || p2 != dp {
							t.Fatalf("Tuple(%d) = %v %d %d, frame %v %d %d", i, a, p1, p2, src, sp, dp)
						}
					}
				}
			}
		}
	}
}

func srcPorts(b []byte) (netip.Addr, uint16, uint16) {
	ip := b[header.EthernetLen:]
	var src netip.Addr
	var udp []byte
	if header.Ethernet(b).Type() == header.EtherTypeIPv4 {
		src = netip.AddrFrom4([4]byte(header.IPv4(ip).Src()))
		udp = ip[20:]
	} else {
		src = netip.AddrFrom16([16]byte(header.IPv6(ip).Src()))
		udp = ip[header.IPv6Len:]
	}
	return src, uint16(udp[0])<<8 | uint16(udp[1]), uint16(udp[2])<<8 | uint16(udp[3])
}

func TestFlowsWindowsDisjoint(t *testing.T) {
	tp, err := NewTemplate(flow6, WireLen(84))
	if err != nil {
		t.Fatal(err)
	}
	space := FlowSpace{SrcAddrs: 16, SrcPortMin: 1024, SrcPortMax: 65535, DstPortMin: 9, DstPortMax: 9}
	if space.Size() != 16*64512 {
		t.Fatal(space.Size())
	}
	seen := map[[3]uint64]bool{}
	for w := uint64(0); w < 4; w++ {
		fl, err := NewFlows(tp, space, w*5000, 5000, Sequential, 1)
		if err != nil {
			t.Fatal(err)
		}
		for j := uint64(0); j < fl.N(); j++ {
			a, sp, dp := fl.Tuple(j)
			k := [3]uint64{uint64(a.As16()[15]), uint64(sp), uint64(dp)}
			if seen[k] {
				t.Fatalf("window %d flow %d %v repeats an earlier window's", w, j, k)
			}
			seen[k] = true
		}
	}
	if _, err := NewFlows(tp, space, space.Size()-10, 11, Sequential, 1); err == nil {
		t.Fatal("window past the space accepted")
	}
	// IPv4 header checksum stays valid while the source varies.
	tp4, _ := NewTemplate(flow4, WireLen(64))
	fl, _ := NewFlows(tp4, space, 0, 1000, Random, 3)
	b := append([]byte(nil), tp4.Frame...)
	for i := 0; i < 100; i++ {
		fl.Stamp(b, uint64(i), 5)
		if checksum.Checksum(b[header.EthernetLen:header.EthernetLen+20], 0) != 0xffff {
			t.Fatal("bad IPv4 header checksum")
		}
	}
}

func BenchmarkFlowsStamp(b *testing.B) {
	tp, _ := NewTemplate(flow6, WireLen(84))
	fl, _ := NewFlows(tp, FlowSpace{SrcAddrs: 16, SrcPortMin: 1024, SrcPortMax: 65535, DstPortMin: 9, DstPortMax: 9}, 0, 1000000, Random, 1)
	f := append([]byte(nil), tp.Frame...)
	for i := 0; i < b.N; i++ {
		fl.Stamp(f, uint64(i), int64(i))
	}
}

func TestRepliesFromLearned(t *testing.T) {
	// Forward frames as a NAT44 would emit them: pool4 sources, mapped ports.
	tp, _ := NewTemplate(flow4, WireLen(64))
	fl, _ := NewFlows(tp, FlowSpace{SrcAddrs: 4, SrcPortMin: 2000, SrcPortMax: 2099, DstPortMin: 9, DstPortMax: 10}, 0, 300, Sequential, 1)
	var s Sink
	s.Reset(300)
	s.Learn = &Learner{}
	b := append([]byte(nil), tp.Frame...)
	for i := 0; i < 300; i++ {
		fl.Stamp(b, uint64(i), 1)
		s.Process([][]byte{b}, 2)
	}
	if len(s.Learn.Tuples) != 300 {
		t.Fatalf("learned %d", len(s.Learn.Tuples))
	}
	learned := map[Tuple]bool{}
	for _, tu := range s.Learn.Tuples {
		learned[tu] = true
	}
	// Replies from the far host: its own address, to the learned tuples.
	rt, _ := NewTemplate(Flow{SrcMAC: flow4.DstMAC, DstMAC: flow4.SrcMAC, Src: flow4.Dst, Dst: flow4.Src, SrcPort: 1, DstPort: 1}, WireLen(84))
	r, err := NewReplies(rt, s.Learn.Tuples, 7)
	if err != nil {
		t.Fatal(err)
	}
	rb := append([]byte(nil), rt.Frame...)
	for i := 0; i < 1000; i++ {
		r.Stamp(rb, uint64(i), int64(i)*77)
		if !udpValid(t, rb) {
			t.Fatalf("reply %d: bad UDP checksum", i)
		}
		ip := header.IPv4(rb[header.EthernetLen:])
		if checksum.Checksum(ip[:20], 0) != 0xffff {
			t.Fatal("bad IPv4 header checksum")
		}
		if netip.AddrFrom4([4]byte(ip.Src())) != flow4.Dst {
			t.Fatalf("reply source %v", ip.Src())
		}
		_, sp, dp := srcPorts(rb)
		d := uint32(ip.Dst()[0])<<24 | uint32(ip.Dst()[1])<<16 | uint32(ip.Dst()[2])<<8 | uint32(ip.Dst()[3])
		if !learned[Tuple{Addr: d, Port: dp, DstPort: sp}] {
			t.Fatalf("reply to %v:%d from port %d was not learned", ip.Dst(), dp, sp)
		}
	}
	if _, err := NewReplies(rt, nil, 1); err == nil {
		t.Fatal("no tuples accepted")
	}
}

func TestStampersDoNotAllocate(t *testing.T) {
	tp, _ := NewTemplate(flow6, WireLen(84))
	fl, _ := NewFlows(tp, FlowSpace{SrcAddrs: 16, SrcPortMin: 1024, SrcPortMax: 65535, DstPortMin: 9, DstPortMax: 9}, 0, 100000, Random, 1)
	tp4, _ := NewTemplate(flow4, WireLen(64))
	r, _ := NewReplies(tp4, []Tuple{{Addr: 0xc6336480, Port: 1024, DstPort: 9}, {Addr: 0xc6336481, Port: 2000, DstPort: 10}}, 1)
	b6 := append([]byte(nil), tp.Frame...)
	b4 := append([]byte(nil), tp4.Frame...)
	var i uint64
	if n := testing.AllocsPerRun(1000, func() {
		i++
		fl.Stamp(b6, i, int64(i))
		r.Stamp(b4, i, int64(i))
	}); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}
