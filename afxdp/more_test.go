package afxdp

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestKickDeviceDown: Kick on a downed device returns an error value (the
// caller counts it and backs off); nothing panics and the socket recovers
// when the link comes back.
func TestKickDeviceDown(t *testing.T) {
	requireRoot(t)
	o := DefaultSocketOptions()
	o.NeedWakeup = false
	bx := newBox(t, ModeAuto, o)
	v := bx.v
	run(t, "ip", "-n", v.nsA, "link", "set", v.ifA, "down")
	f := udp4Frame(v.macB, v.macA, "192.0.2.1", "192.0.2.2", 1, 2, []byte("xlatd-down"))
	copy(bx.u.Frame(0)[Headroom:], f)
	if bx.s.Transmit([]Desc{{Addr: Headroom, Len: uint32(len(f))}}) != 1 {
		t.Fatal("Transmit")
	}
	err := bx.s.Kick()
	t.Logf("Kick on a down link: %v (transient %v)", err, Transient(err))
	if err == nil {
		t.Fatal("Kick on a down link succeeded")
	}
	if !Transient(err) {
		t.Errorf("%v is not reported as transient", err)
	}
	run(t, "ip", "-n", v.nsA, "link", "set", v.ifA, "up")
	out := packetSock(t, v.nsB, v.idxB)
	var ok bool
	for end := time.Now().Add(5 * time.Second); !ok && time.Now().Before(end); {
		bx.s.Kick()
		_, ok = recvMarked(out, []byte("xlatd-down"), 200*time.Millisecond)
	}
	if !ok {
		st, _ := bx.s.Stats()
		t.Fatalf("frame not sent after the link came back up (stats %+v)", st)
	}
}

// TestNoSocketFallback: a captured packet on a queue without a socket
// goes to the kernel (the redirect's XDP_PASS fallback): ping to the box's
// address works although its prefix is captured and not denied.
func TestNoSocketFallback(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	v := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	var p *Program
	inNS(t, a, func() {
		var err error
		p, err = LoadProgram(v.idxA, ProgramOptions{
			Capture4: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
			Pool6:    []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64")},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
	})
	if err := ping(b, v.ip4A); err != nil {
		t.Error(err)
	}
	if err := ping(b, v.ip6A); err != nil {
		t.Error(err)
	}
	c, err := p.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c["no_socket"] < 4 {
		t.Errorf("no_socket = %d, want >= 4 (counters %v)", c["no_socket"], c)
	}
	if c["redirected4"]+c["redirected6"] != 0 {
		t.Errorf("redirect counted without a socket: %v", c)
	}
}

// TestSameQueueSharing: a second socket on the same device and queue
// shares the first one's fill and completion rings (Fill/Complete return 0
// on it); Register checks the socket's binding.
func TestSameQueueSharing(t *testing.T) {
	requireRoot(t)
	bx := newBox(t, ModeAuto, DefaultSocketOptions())
	var s2 *Socket
	inNS(t, bx.v.nsA, func() {
		var err error
		s2, err = NewSocket(bx.u, bx.v.idxA, 0, DefaultSocketOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s2.Close() })
		if err := bx.p.Register(1, s2); err == nil {
			t.Error("Register accepted a socket bound to another queue")
		}
		if err := bx.p.Register(0, s2); err != nil {
			t.Fatal(err)
		}
	})
	if !s2.SharedUMEM() || s2.UMEM() != bx.u {
		t.Fatalf("same-queue socket not sharing: %v", s2.SharedErr())
	}
	if s2.Fill([]uint64{0}) != 0 || s2.Complete(make([]uint64, 1)) != 0 {
		t.Error("same-queue socket has its own fill/completion rings")
	}
	// Frames now go to s2, filled from bx.s's fill ring.
	v := bx.v
	sendFrame(t, bx.peer, v.idxB, udp4Frame(v.macA, v.macB, "192.0.2.2", "198.51.100.7", 1, 2, []byte("xlatd-same-queue")))
	if got := receiveN(s2, 1, 3*time.Second); len(got) != 1 {
		t.Fatal("second socket received nothing")
	}
	if err := bx.p.Unregister(0); err != nil {
		t.Fatal(err)
	}
}

// TestMultiQueue: sockets on queues 0 and 1 of one two-queue veth share a
// UMEM (same device, other queue: own fill/completion rings), both register
// in the program, and both transmit.
func TestMultiQueue(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	run(t, "ip", "-n", a, "link", "add", "xa0", "numrxqueues", "2", "numtxqueues", "2", "type", "veth",
		"peer", "name", "xb0", "netns", b, "numrxqueues", "2", "numtxqueues", "2")
	run(t, "ip", "-n", a, "link", "set", "xa0", "up")
	run(t, "ip", "-n", b, "link", "set", "xb0", "up")
	var idxA, idxB int
	var macA, macB []byte
	inNS(t, a, func() {
		ifc, err := net.InterfaceByName("xa0")
		if err != nil {
			t.Fatal(err)
		}
		idxA, macA = ifc.Index, ifc.HardwareAddr
	})
	inNS(t, b, func() {
		ifc, err := net.InterfaceByName("xb0")
		if err != nil {
			t.Fatal(err)
		}
		idxB, macB = ifc.Index, ifc.HardwareAddr
	})
	var s [2]*Socket
	var u *UMEM
	inNS(t, a, func() {
		var err error
		if u, err = NewUMEM(UMEMOptions{NumFrames: 64}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		p, err := LoadProgram(idxA, ProgramOptions{Capture4: []netip.Prefix{capture4}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		for q := range s {
			if s[q], err = NewSocket(u, idxA, q, DefaultSocketOptions()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s[q].Close() })
			if err := p.Register(q, s[q]); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !s[1].SharedUMEM() {
		t.Fatalf("queue 1 socket did not share the UMEM: %v", s[1].SharedErr())
	}
	if s[1].FillFree(1) == 0 {
		t.Fatal("queue 1 socket has no fill ring of its own")
	}
	out := packetSock(t, b, idxB)
	for q := range s {
		m := []byte(fmt.Sprintf("xlatd-queue-%d", q))
		f := udp4Frame(macB, macA, "192.0.2.1", "192.0.2.2", 1, 2, m)
		addr := uint64(q*u.FrameSize()) + Headroom
		copy(u.Frame(addr)[Headroom:], f)
		if s[q].Transmit([]Desc{{Addr: addr, Len: uint32(len(f))}}) != 1 {
			t.Fatal("Transmit")
		}
		if err := s[q].Kick(); err != nil {
			t.Fatalf("queue %d Kick: %v", q, err)
		}
		if _, ok := recvMarked(out, m, 3*time.Second); !ok {
			t.Fatalf("frame from queue %d did not arrive", q)
		}
	}
}
