package afxdp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var (
	pool6    = netip.MustParsePrefix("2001:db8:46::/96")
	capture4 = netip.MustParsePrefix("198.51.100.0/24")
)

// box is a namespace "A" with one veth to a peer namespace "B", a UMEM, a
// socket on queue 0 and our program attached.
type box struct {
	v    *veth
	u    *UMEM
	s    *Socket
	p    *Program
	peer int // AF_PACKET socket on the peer's veth
}

func newBox(t *testing.T, mode XDPMode, sopts SocketOptions) *box {
	t.Helper()
	a, b := newNS(t), newNS(t)
	v := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	bx := &box{v: v}
	inNS(t, a, func() {
		u, err := NewUMEM(UMEMOptions{NumFrames: 512})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		s, err := NewSocket(u, v.idxA, 0, sopts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p, err := LoadProgram(v.idxA, ProgramOptions{
			Mode:     mode,
			Pool6:    []netip.Prefix{pool6},
			Capture4: []netip.Prefix{capture4, netip.MustParsePrefix("192.0.2.0/24")},
			Deny4:    []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32")},
			Deny6:    []netip.Prefix{netip.MustParsePrefix("2001:db8:46::1/128")},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		if err := p.Register(0, s); err != nil {
			t.Fatal(err)
		}
		bx.u, bx.s, bx.p = u, s, p
	})
	bx.peer = packetSock(t, b, v.idxB)
	fillAll(t, bx.s, 0, 256)
	return bx
}

// TestReceive: packets to captured prefixes arrive on the socket through the
// program's redirect; packets to other and denied destinations, ARP and ND
// still reach the kernel (ping works), in native and generic mode.
func TestReceive(t *testing.T) {
	requireRoot(t)
	for _, mode := range []XDPMode{ModeNative, ModeGeneric, ModeAuto} {
		t.Run(mode.String(), func(t *testing.T) {
			bx := newBox(t, mode, DefaultSocketOptions())
			want := mode
			if mode == ModeAuto {
				want = ModeNative // veth has native XDP
			}
			if bx.p.Mode() != want {
				t.Errorf("Mode() = %v, want %v", bx.p.Mode(), want)
			}
			t.Logf("mode %v: zero-copy %v, need_wakeup %v", bx.p.Mode(), bx.s.ZeroCopy(), bx.s.NeedWakeup())
			v := bx.v
			// Kernel traffic first: ARP, ND, ping to the box's own addresses.
			if err := ping(v.nsB, v.ip4A); err != nil {
				t.Error(err)
			}
			if err := ping(v.nsB, v.ip6A); err != nil {
				t.Error(err)
			}
			const n = 8
			var sent [][]byte
			for i := 0; i < n; i++ {
				m := []byte(fmt.Sprintf("xlatd-rx-%d-%d", mode, i))
				var f []byte
				switch i % 4 {
				case 0:
					f = udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:46::c633:6407", 1000, 2000, m)
				case 1:
					f = udp4Frame(v.macA, v.macB, "192.0.2.2", "198.51.100.7", 1000, 2000, m)
				case 2:
					f = udp4Frame(v.macA, v.macB, "192.0.2.2", "192.0.2.99", 1000, 2000, m) // captured, not denied
				case 3:
					f = fragment4(udp4Frame(v.macA, v.macB, "192.0.2.2", "198.51.100.8", 1000, 2000, m))
				}
				sent = append(sent, f)
				sendFrame(t, bx.peer, v.idxB, f)
			}
			// Not captured: no match, denied, multicast.
			others := [][]byte{
				udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:1::1", 1000, 2000, []byte("other-1")),
				udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:46::1", 1000, 2000, []byte("other-2")),
				udp4Frame(v.macA, v.macB, "192.0.2.2", "192.0.2.1", 1000, 2000, []byte("other-3")),
				udp4Frame(v.macA, v.macB, "192.0.2.2", "203.0.113.9", 1000, 2000, []byte("other-4")),
				udp4Frame(v.macA, v.macB, "192.0.2.2", "224.0.0.9", 1000, 2000, []byte("other-5")),
				nsTo(udp6Frame(v.macA, v.macB, "2001:db8:1::2", "2001:db8:46::c633:6407", 1000, 2000, []byte("other-6"))),
			}
			for _, f := range others {
				sendFrame(t, bx.peer, v.idxB, f)
			}
			got := receiveN(bx.s, n, 3*time.Second)
			time.Sleep(100 * time.Millisecond)
			extra := make([]Desc, 64)
			if k := bx.s.Receive(extra); k != 0 {
				for _, d := range extra[:k] {
					t.Errorf("unexpected frame on socket: %x", bx.u.Frame(d.Addr)[d.Addr-bx.u.Chunk(d.Addr):][:d.Len])
				}
			}
			if len(got) != n {
				t.Fatalf("received %d of %d frames", len(got), n)
			}
			for i, d := range got {
				off := d.Addr - bx.u.Chunk(d.Addr)
				if bx.s.ZeroCopy() == false && off != Headroom {
					t.Errorf("frame %d at chunk offset %d, want %d", i, off, Headroom)
				}
				data := bx.u.Frame(d.Addr)[off:][:d.Len]
				if !bytes.Equal(data, sent[i]) {
					t.Errorf("frame %d:\n got %x\nwant %x", i, data, sent[i])
				}
			}
			c, err := bx.p.Counters()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("counters: %v", c)
			if c["redirected6"] < 2 || c["redirected4"] < 6 {
				t.Errorf("redirect counters %d/%d", c["redirected6"], c["redirected4"])
			}
			for _, k := range []string{"pass_nomatch6", "pass_deny6", "pass_deny4", "pass_nomatch4", "pass_multicast4", "pass_l2_multicast", "pass_nd"} {
				if c[k] == 0 {
					t.Errorf("counter %s is 0", k)
				}
			}
			st, err := bx.s.Stats()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("socket stats %+v", st)

			// Update: without pool6, IPv6 frames go to the kernel.
			if err := bx.p.Update(ProgramOptions{Capture4: []netip.Prefix{capture4}}); err != nil {
				t.Fatal(err)
			}
			sendFrame(t, bx.peer, v.idxB, sent[0])
			sendFrame(t, bx.peer, v.idxB, sent[1])
			got = receiveN(bx.s, 2, time.Second)
			if len(got) != 1 || !bytes.Equal(bx.u.Frame(got[0].Addr)[Headroom:][:got[0].Len], sent[1]) {
				t.Errorf("after Update: got %d frames, want only the IPv4 one", len(got))
			}
		})
	}
}

// TestTransmit sends UDP frames from the socket; a UDP socket in the peer
// namespace receives them. It also checks the need_wakeup path: in copy mode
// nothing leaves before Kick, and the TX ring asks for the wakeup.
func TestTransmit(t *testing.T) {
	requireRoot(t)
	for _, nw := range []bool{true, false} {
		t.Run(fmt.Sprintf("need_wakeup=%v", nw), func(t *testing.T) {
			o := DefaultSocketOptions()
			o.NeedWakeup = nw
			bx := newBox(t, ModeAuto, o)
			v := bx.v
			var udp int
			inNS(t, v.nsB, func() {
				var err error
				udp, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := unix.Bind(udp, &unix.SockaddrInet4{Port: 40000, Addr: [4]byte{192, 0, 2, 2}}); err != nil {
					t.Fatal(err)
				}
			})
			defer unix.Close(udp)
			tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
			unix.SetsockoptTimeval(udp, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)

			const n = 40 // more than the kernel's 32 per copy-mode sendto
			descs := make([]Desc, n)
			for i := range descs {
				chunk := uint64((300 + i) * bx.u.FrameSize())
				f := udp4Frame(v.macB, v.macA, "192.0.2.1", "192.0.2.2", 1234, 40000, []byte(fmt.Sprintf("xlatd-tx-%03d", i)))
				addr := chunk + 64 // any offset inside the chunk
				copy(bx.u.Frame(addr)[64:], f)
				descs[i] = Desc{Addr: addr, Len: uint32(len(f))}
			}
			if k := bx.s.Transmit(descs); k != n {
				t.Fatalf("Transmit took %d of %d", k, n)
			}
			buf := make([]byte, 2048)
			if nw {
				if !bx.s.ZeroCopy() && !bx.s.TxNeedsWakeup() {
					t.Error("copy mode: TX ring does not ask for a wakeup")
				}
				if k, _, err := unix.Recvfrom(udp, buf, 0); err == nil {
					t.Fatalf("a frame (%q) left before Kick", buf[:k])
				}
			}
			if err := bx.s.Kick(); err != nil {
				t.Fatalf("Kick: %v (transient %v)", err, Transient(err))
			}
			seen := map[string]bool{}
			end := time.Now().Add(3 * time.Second)
			for len(seen) < n && time.Now().Before(end) {
				k, _, err := unix.Recvfrom(udp, buf, 0)
				if err != nil {
					bx.s.Kick()
					continue
				}
				seen[string(buf[:k])] = true
			}
			if len(seen) != n {
				t.Fatalf("peer received %d of %d datagrams", len(seen), n)
			}
			comp := make([]uint64, 64)
			var done []uint64
			for end := time.Now().Add(time.Second); len(done) < n && time.Now().Before(end); {
				k := bx.s.Complete(comp)
				done = append(done, comp[:k]...)
				if k == 0 {
					time.Sleep(10 * time.Millisecond)
				}
			}
			if len(done) != n {
				t.Fatalf("%d of %d completions", len(done), n)
			}
			for i, a := range done {
				if a != descs[i].Addr {
					t.Errorf("completion %d = %#x, want %#x", i, a, descs[i].Addr)
				}
			}
		})
	}
}

// TestSharedUMEM receives a frame on one veth and transmits the same chunk
// on another veth of the box, without copying, through two sockets on one
// UMEM.
func TestSharedUMEM(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	v0 := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	v1 := newVeth(t, a, "xa1", b, "xb1", "198.51.100.1", "198.51.100.2", "2001:db8:2::1", "2001:db8:2::2")
	var u *UMEM
	var s0, s1 *Socket
	inNS(t, a, func() {
		var err error
		if u, err = NewUMEM(UMEMOptions{NumFrames: 256}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		if s0, err = NewSocket(u, v0.idxA, 0, DefaultSocketOptions()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s0.Close() })
		if s1, err = NewSocket(u, v1.idxA, 0, DefaultSocketOptions()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s1.Close() })
		p, err := LoadProgram(v0.idxA, ProgramOptions{Capture4: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		if err := p.Register(0, s0); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("second socket: shared UMEM %v (%v), zero-copy %v", s1.SharedUMEM(), s1.SharedErr(), s1.ZeroCopy())
	if !s1.SharedUMEM() || s1.UMEM() != u {
		t.Fatalf("kernel refused XDP_SHARED_UMEM across veths: %v", s1.SharedErr())
	}
	fillAll(t, s0, 0, 64)
	in := packetSock(t, b, v0.idxB)
	out := packetSock(t, b, v1.idxB)
	marker := []byte("xlatd-shared-umem")
	sendFrame(t, in, v0.idxB, udp4Frame(v0.macA, v0.macB, "192.0.2.2", "203.0.113.5", 7, 9, marker))
	got := receiveN(s0, 1, 3*time.Second)
	if len(got) != 1 {
		t.Fatalf("received %d frames", len(got))
	}
	d := got[0]
	off := d.Addr - u.Chunk(d.Addr)
	frame := u.Frame(d.Addr)[off:][:d.Len]
	copy(frame[0:6], v1.macB) // rewrite the MACs in place for the other link
	copy(frame[6:12], v1.macA)
	if k := s1.Transmit([]Desc{d}); k != 1 {
		t.Fatal("Transmit on the second socket failed")
	}
	if err := s1.Kick(); err != nil {
		t.Fatalf("Kick: %v", err)
	}
	f, ok := recvMarked(out, marker, 3*time.Second)
	if !ok {
		t.Fatal("frame did not arrive on the second link")
	}
	if !bytes.Equal(f[:6], v1.macB) || !bytes.Equal(f[6:12], v1.macA) {
		t.Errorf("arrived with MACs %x / %x", f[:6], f[6:12])
	}
	comp := make([]uint64, 4)
	var k int
	for end := time.Now().Add(time.Second); k == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		k = s1.Complete(comp)
	}
	if k != 1 || u.Chunk(comp[0]) != u.Chunk(d.Addr) {
		t.Fatalf("completion on the second socket: %d %#x, want chunk %#x", k, comp[:k], u.Chunk(d.Addr))
	}
	if s0.Complete(comp) != 0 {
		t.Error("completion showed up on the first socket")
	}
}

// TestZeroCopyVeth: veth has no zero-copy; ZeroCopyOn fails, auto falls
// back to copy mode.
func TestZeroCopyVeth(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	v := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	inNS(t, a, func() {
		u, err := NewUMEM(UMEMOptions{NumFrames: 64})
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		o := DefaultSocketOptions()
		o.ZeroCopy = ZeroCopyOn
		if s, err := NewSocket(u, v.idxA, 0, o); err == nil {
			t.Logf("zero-copy bind on veth succeeded: ZeroCopy() = %v", s.ZeroCopy())
			s.Close()
		} else {
			t.Logf("zero-copy bind on veth refused: %v", err)
		}
		o.ZeroCopy = ZeroCopyAuto
		s, err := NewSocket(u, v.idxA, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := u.Close(); !errors.Is(err, ErrUMEMBusy) {
			t.Errorf("UMEM.Close with an open socket: %v", err)
		}
		t.Logf("auto: zero-copy %v", s.ZeroCopy())
	})
}

func passProgram(t *testing.T) *ebpf.Program {
	t.Helper()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.XDP,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func attachedID(t *testing.T, ifindex int) uint32 {
	t.Helper()
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		t.Fatal(err)
	}
	if x := l.Attrs().Xdp; x != nil && x.Attached {
		return x.ProgId
	}
	return 0
}

func progID(t *testing.T, p *ebpf.Program) uint32 {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	return uint32(id)
}

// TestOtherProgramAttached: with someone else's XDP program on the
// interface (legacy netlink attach, or a bpf_link in the other mode),
// LoadProgram fails with ErrProgramAttached and the other program stays;
// Close detaches only our link.
func TestOtherProgramAttached(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	v0 := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	v1 := newVeth(t, a, "xa1", b, "xb1", "198.51.100.1", "198.51.100.2", "2001:db8:2::1", "2001:db8:2::2")
	inNS(t, a, func() {
		other := passProgram(t)
		otherID := progID(t, other)
		opts := ProgramOptions{Capture4: []netip.Prefix{capture4}}

		// Legacy (netlink) native attach on xa0.
		l0, err := netlink.LinkByIndex(v0.idxA)
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetXdpFdWithFlags(l0, other.FD(), 1<<2 /* XDP_FLAGS_DRV_MODE */); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []XDPMode{ModeAuto, ModeNative, ModeGeneric} {
			p, err := LoadProgram(v0.idxA, opts)
			if mode != ModeAuto {
				o := opts
				o.Mode = mode
				p, err = LoadProgram(v0.idxA, o)
			}
			if err == nil {
				p.Close()
				t.Errorf("mode %v: LoadProgram coexisted with a legacy-attached program (mode %v)", mode, p.Mode())
			} else if !errors.Is(err, ErrProgramAttached) {
				t.Errorf("mode %v: error %v does not wrap ErrProgramAttached", mode, err)
			} else {
				t.Logf("mode %v: %v", mode, err)
			}
			if id := attachedID(t, v0.idxA); id != otherID {
				t.Fatalf("mode %v: attached program is %d, want the other %d", mode, id, otherID)
			}
		}

		// bpf_link in generic mode on xa1: native and generic both refused.
		ol, err := link.AttachXDP(link.XDPOptions{Program: other, Interface: v1.idxA, Flags: link.XDPGenericMode})
		if err != nil {
			t.Fatal(err)
		}
		defer ol.Close()
		for _, mode := range []XDPMode{ModeAuto, ModeNative, ModeGeneric} {
			o := opts
			o.Mode = mode
			p, err := LoadProgram(v1.idxA, o)
			if err == nil {
				p.Close()
				t.Errorf("mode %v: coexisted with a generic bpf_link", mode)
			} else if !errors.Is(err, ErrProgramAttached) {
				t.Errorf("mode %v: error %v does not wrap ErrProgramAttached", mode, err)
			}
			if id := attachedID(t, v1.idxA); id != otherID {
				t.Fatalf("mode %v: attached program is %d, want the other %d", mode, id, otherID)
			}
		}

		// Close detaches only ours: ours on a free interface (a third veth
		// end is not needed: remove the legacy program from xa0 first).
		if err := netlink.LinkSetXdpFdWithFlags(l0, -1, 1<<2); err != nil {
			t.Fatal(err)
		}
		p, err := LoadProgram(v0.idxA, opts)
		if err != nil {
			t.Fatal(err)
		}
		ourID := attachedID(t, v0.idxA)
		if ourID == 0 || ourID == otherID {
			t.Fatalf("our program id %d", ourID)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if id := attachedID(t, v0.idxA); id != 0 {
			t.Errorf("after Close, xa0 still has program %d", id)
		}
		if id := attachedID(t, v1.idxA); id != otherID {
			t.Errorf("after our Close, xa1 has %d, want the other %d", id, otherID)
		}
	})
}

// fragment4 makes an IPv4 frame a non-first fragment (offset 1480, MF set):
// no L4 header, matched by destination alone.
func fragment4(f []byte) []byte {
	ip := f[14:34]
	binary.BigEndian.PutUint16(ip[6:], 0x2000|185)
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(ip, 0)))
	return f
}

// nsTo turns an IPv6 UDP frame into a unicast Neighbour Solicitation
// lookalike (ICMPv6 type 135) to the same destination.
func nsTo(f []byte) []byte {
	f[14+6] = 58
	f[14+40] = 135
	return f
}

// TestMultiBufferVeth (issue 8): with MTU 9000 on two veths, the program
// (declared for frags) attaches in native and generic mode; a socket bound
// with XDP_USE_SG and a second one sharing its UMEM on the other veth (which
// cannot pass bind flags: it inherits multi-buffer from the UMEM) both
// receive a 9014-byte frame as a chain of descriptors, all but the last
// with PktContd; and a chain transmitted on the sharing socket leaves as
// one 9014-byte frame. A socket without MultiBuffer loses such frames
// (rx_dropped).
func TestMultiBufferVeth(t *testing.T) {
	requireRoot(t)
	for _, mode := range []XDPMode{ModeNative, ModeGeneric} {
		t.Run(mode.String(), func(t *testing.T) {
			a, b := newNS(t), newNS(t)
			v0 := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
			v1 := newVeth(t, a, "xa1", b, "xb1", "198.51.100.1", "198.51.100.2", "2001:db8:2::1", "2001:db8:2::2")
			for _, c := range [][]string{{a, "xa0"}, {b, "xb0"}, {a, "xa1"}, {b, "xb1"}} {
				run(t, "ip", "-n", c[0], "link", "set", "dev", c[1], "mtu", "9000")
			}
			var u *UMEM
			var s0, s1 *Socket
			inNS(t, a, func() {
				var err error
				if u, err = NewUMEM(UMEMOptions{NumFrames: 512}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { u.Close() })
				o := DefaultSocketOptions()
				o.MultiBuffer = true
				if s0, err = NewSocket(u, v0.idxA, 0, o); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s0.Close() })
				if s1, err = NewSocket(u, v1.idxA, 0, DefaultSocketOptions()); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s1.Close() })
				for i, v := range []*veth{v0, v1} {
					p, err := LoadProgram(v.idxA, ProgramOptions{Mode: mode, Capture4: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
					if err != nil {
						t.Fatalf("%v XDP with MTU 9000: %v", mode, err)
					}
					t.Cleanup(func() { p.Close() })
					if !p.Frags() {
						t.Error("program not declared for frags")
					}
					if err := p.Register(0, []*Socket{s0, s1}[i]); err != nil {
						t.Fatal(err)
					}
				}
			})
			if !s0.MultiBuffer() || !s1.MultiBuffer() || !s1.SharedUMEM() {
				t.Fatalf("multi-buffer %v/%v, second socket shares the UMEM %v (%v)", s0.MultiBuffer(), s1.MultiBuffer(), s1.SharedUMEM(), s1.SharedErr())
			}
			fillAll(t, s0, 0, 64)
			fillAll(t, s1, 64, 64)
			payload := bytes.Repeat([]byte("jumbo-xlatd-"), 8972/12+1)[:8972] // 9014-byte frame
			for i, c := range []struct {
				s *Socket
				v *veth
			}{{s0, v0}, {s1, v1}} {
				in := packetSock(t, b, c.v.idxB)
				sendFrame(t, in, c.v.idxB, udp4Frame(c.v.macA, c.v.macB, c.v.ip4B, "203.0.113.5", 7, 9, payload))
				got := receiveN(c.s, 3, 3*time.Second)
				total := 0
				var lens []int
				for j, d := range got {
					total += int(d.Len)
					lens = append(lens, int(d.Len))
					if last := j == len(got)-1; (d.Opts&PktContd != 0) == last {
						t.Errorf("socket %d: descriptor %d of %d has options %#x", i, j, len(got), d.Opts)
					}
				}
				t.Logf("socket %d: a 9014-byte frame arrived as %d descriptors %v", i, len(got), lens)
				if total != 9014 || len(got) < 3 {
					t.Fatalf("socket %d: received %d descriptors, %d bytes", i, len(got), total)
				}
			}
			// Transmit a chain of three chunks (whole chunks, offset 0) on s1.
			f := udp4Frame(v1.macB, v1.macA, "198.51.100.1", "198.51.100.2", 9, 7, payload)
			var descs []Desc
			for k, rest := 0, f; len(rest) > 0; k++ {
				c := uint64((200 + k) * u.FrameSize())
				n := copy(u.Frame(c), rest)
				rest = rest[n:]
				d := Desc{Addr: c, Len: uint32(n)}
				if len(rest) > 0 {
					d.Opts = PktContd
				}
				descs = append(descs, d)
			}
			out := packetSock(t, b, v1.idxB)
			if k := s1.Transmit(descs); k != len(descs) {
				t.Fatalf("Transmit took %d of %d", k, len(descs))
			}
			if err := s1.Kick(); err != nil {
				t.Fatalf("Kick: %v", err)
			}
			got, ok := recvMarkedN(out, payload[:24], 16384, 3*time.Second)
			if !ok || !bytes.Equal(got, f) {
				t.Fatalf("the chain did not arrive as one frame (%d bytes, want %d)", len(got), len(f))
			}
			if st, err := s1.Stats(); err != nil || st.TxInvalid != 0 {
				t.Errorf("stats %+v, %v", st, err)
			}
		})
	}
}

// TestNativeMTUWithoutFrags: where the kernel refuses programs declared
// for frags (before 5.18; simulated), the program loads without, native
// XDP on a veth with MTU 9000 is refused and the error says why
// (ErrMTUTooLarge); auto falls back to generic.
func TestNativeMTUWithoutFrags(t *testing.T) {
	requireRoot(t)
	noFrags = true
	defer func() { noFrags = false }()
	a, b := newNS(t), newNS(t)
	v := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	run(t, "ip", "-n", a, "link", "set", "dev", "xa0", "mtu", "9000")
	run(t, "ip", "-n", b, "link", "set", "dev", "xb0", "mtu", "9000")
	inNS(t, a, func() {
		p, err := LoadProgram(v.idxA, ProgramOptions{Mode: ModeNative, Pool6: []netip.Prefix{pool6}})
		if err == nil {
			p.Close()
			t.Fatal("native XDP without frags attached on a veth with MTU 9000")
		}
		if !errors.Is(err, ErrMTUTooLarge) {
			t.Errorf("error %v does not wrap ErrMTUTooLarge", err)
		}
		if errors.Is(err, ErrProgramAttached) {
			t.Errorf("native refusal reported as another program: %v", err)
		}
		p, err = LoadProgram(v.idxA, ProgramOptions{Mode: ModeAuto, Pool6: []netip.Prefix{pool6}})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.Mode() != ModeGeneric || p.Frags() {
			t.Errorf("auto attached in mode %v, frags %v; want generic without", p.Mode(), p.Frags())
		}
	})
}

// recvMarkedN is recvMarked with a buffer of size bytes.
func recvMarkedN(fd int, marker []byte, size int, timeout time.Duration) ([]byte, bool) {
	buf := make([]byte, size)
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		tv := unix.NsecToTimeval(int64(100 * time.Millisecond))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil || n <= 0 {
			continue
		}
		if bytes.Contains(buf[:n], marker) {
			return append([]byte(nil), buf[:n]...), true
		}
	}
	return nil, false
}

// TestSingleBufferMTU: a socket without MultiBuffer on a veth with MTU 9000
// loses the frames longer than its chunk (rx_dropped); shorter ones arrive.
// So does one whose MultiBuffer the kernel refused (before 6.6; simulated).
func TestSingleBufferMTU(t *testing.T) {
	requireRoot(t)
	t.Run("off", func(t *testing.T) { testSingleBufferMTU(t, false) })
	t.Run("refused", func(t *testing.T) {
		refuseSG = true
		defer func() { refuseSG = false }()
		testSingleBufferMTU(t, true)
	})
}

func testSingleBufferMTU(t *testing.T, multiBuffer bool) {
	a, b := newNS(t), newNS(t)
	v := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	run(t, "ip", "-n", a, "link", "set", "dev", "xa0", "mtu", "9000")
	run(t, "ip", "-n", b, "link", "set", "dev", "xb0", "mtu", "9000")
	var s *Socket
	inNS(t, a, func() {
		u, err := NewUMEM(UMEMOptions{NumFrames: 256})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		o := DefaultSocketOptions()
		o.MultiBuffer = multiBuffer
		if s, err = NewSocket(u, v.idxA, 0, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p, err := LoadProgram(v.idxA, ProgramOptions{Mode: ModeNative, Capture4: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		if err := p.Register(0, s); err != nil {
			t.Fatal(err)
		}
	})
	if s.MultiBuffer() {
		t.Fatal("MultiBuffer() true")
	}
	fillAll(t, s, 0, 64)
	in := packetSock(t, b, v.idxB)
	sendFrame(t, in, v.idxB, udp4Frame(v.macA, v.macB, "192.0.2.2", "203.0.113.5", 7, 9, make([]byte, 8000)))
	sendFrame(t, in, v.idxB, udp4Frame(v.macA, v.macB, "192.0.2.2", "203.0.113.5", 7, 9, make([]byte, 3000)))
	got := receiveN(s, 2, time.Second)
	if len(got) != 1 || got[0].Len != 14+28+3000 || got[0].Opts != 0 {
		t.Fatalf("received %+v, want only the 3042-byte frame", got)
	}
	if st, err := s.Stats(); err != nil || st.RxDropped != 1 {
		t.Errorf("stats %+v, %v: want rx_dropped 1", st, err)
	}
}
