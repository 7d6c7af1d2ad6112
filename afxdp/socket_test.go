package afxdp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSocketOptions(t *testing.T) {
	o := SocketOptions{}
	if err := o.normalize(); err != nil || o.RxSize != DefaultRingSize || o.CompSize != DefaultRingSize {
		t.Fatalf("zero options: %+v %v", o, err)
	}
	for _, bad := range []SocketOptions{{RxSize: 1000}, {TxSize: -2}, {FillSize: 3}, {ZeroCopy: 7}} {
		if err := bad.normalize(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	d := DefaultSocketOptions()
	if !d.NeedWakeup || d.ZeroCopy != ZeroCopyAuto || d.TxSize != 2048 {
		t.Errorf("defaults %+v", d)
	}
}

func TestUMEMGeometry(t *testing.T) {
	for _, bad := range []UMEMOptions{{FrameSize: 1024}, {FrameSize: 3000}, {FrameSize: 8192}, {NumFrames: -1}} {
		if u, err := NewUMEM(bad); err == nil {
			u.Close()
			t.Errorf("%+v accepted", bad)
		}
	}
	u, err := NewUMEM(UMEMOptions{NumFrames: 16, FrameSize: 2048})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.NumFrames() != 16 || u.FrameSize() != 2048 {
		t.Fatalf("geometry %d x %d", u.NumFrames(), u.FrameSize())
	}
	for _, addr := range []uint64{0, 1, 256, 2047, 2048, 2048 + 256, 15*2048 + 2047} {
		f := u.Frame(addr)
		c := u.Chunk(addr)
		if len(f) != 2048 || cap(f) != 2048 || c != addr/2048*2048 {
			t.Errorf("addr %d: len %d cap %d chunk %d", addr, len(f), cap(f), c)
		}
		f[addr-c] = byte(addr)
	}
	if u.Frame(2048 + 256)[256] != byte((2048+256)&0xff) {
		t.Error("Frame does not alias the area")
	}
	d, err := NewUMEM(UMEMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.NumFrames() != DefaultNumFrames || d.FrameSize() != DefaultFrameSize {
		t.Errorf("default geometry %d x %d", d.NumFrames(), d.FrameSize())
	}
}

func TestTransient(t *testing.T) {
	for _, e := range []error{unix.EAGAIN, unix.EBUSY, unix.ENOBUFS, unix.ENETDOWN} {
		if !Transient(e) {
			t.Errorf("%v not transient", e)
		}
	}
	for _, e := range []error{unix.EBADF, unix.EINVAL, errors.New("x"), nil} {
		if Transient(e) {
			t.Errorf("%v transient", e)
		}
	}
}

// TestFillEmpty: frames arriving while the fill ring is empty are dropped
// and counted by the kernel; after Fill (and WakeupFill) they arrive.
func TestFillEmpty(t *testing.T) {
	requireRoot(t)
	bx := newBox(t, ModeAuto, DefaultSocketOptions())
	v := bx.v
	// Take back every filled chunk: receive nothing yet, so drain by
	// sending and receiving until the kernel has used them all.
	f := udp4Frame(v.macA, v.macB, "192.0.2.2", "198.51.100.7", 1, 2, []byte("xlatd-fill-empty"))
	for i := 0; i < 256; i++ {
		sendFrame(t, bx.peer, v.idxB, f)
	}
	got := receiveN(bx.s, 256, 5*time.Second)
	if len(got) != 256 {
		t.Fatalf("received %d of 256 while draining the fill ring", len(got))
	}
	for i := 0; i < 4; i++ {
		sendFrame(t, bx.peer, v.idxB, f)
	}
	time.Sleep(100 * time.Millisecond)
	st, err := bx.s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.RxFillRingEmpty == 0 && st.RxDropped == 0 {
		t.Errorf("no drop counted with an empty fill ring: %+v", st)
	}
	t.Logf("fill ring empty: stats %+v, fill needs wakeup %v", st, bx.s.FillNeedsWakeup())
	if k := bx.s.Receive(make([]Desc, 8)); k != 0 {
		t.Fatalf("%d frames received with an empty fill ring", k)
	}
	addrs := make([]uint64, len(got))
	for i, d := range got {
		addrs[i] = bx.u.Chunk(d.Addr)
	}
	if k := bx.s.Fill(addrs); k != len(addrs) {
		t.Fatalf("refill took %d", k)
	}
	if err := bx.s.WakeupFill(); err != nil {
		t.Fatal(err)
	}
	sendFrame(t, bx.peer, v.idxB, f)
	if got := receiveN(bx.s, 1, 2*time.Second); len(got) != 1 {
		t.Fatal("nothing received after refilling")
	}
}

// TestNoAllocsSocket: the batch methods neither allocate nor fail on an
// idle socket.
func TestNoAllocsSocket(t *testing.T) {
	requireRoot(t)
	bx := newBox(t, ModeAuto, DefaultSocketOptions())
	descs := make([]Desc, 64)
	addrs := make([]uint64, 64)
	var kickErrs int
	a := testing.AllocsPerRun(200, func() {
		bx.s.Receive(descs)
		bx.s.Complete(addrs)
		bx.s.Fill(addrs[:0])
		bx.s.Transmit(descs[:0])
		if bx.s.Kick() != nil {
			kickErrs++
		}
		bx.s.WakeupFill()
	})
	if a != 0 {
		t.Errorf("%v allocations per batch", a)
	}
	if kickErrs != 0 {
		t.Errorf("%d Kick errors on an empty TX ring", kickErrs)
	}
}

// TestPrivateUMEMFallback: when the kernel refuses XDP_SHARED_UMEM the
// socket gets a private UMEM and reports it; it still transmits.
func TestPrivateUMEMFallback(t *testing.T) {
	requireRoot(t)
	a, b := newNS(t), newNS(t)
	v0 := newVeth(t, a, "xa0", b, "xb0", "192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2")
	v1 := newVeth(t, a, "xa1", b, "xb1", "198.51.100.1", "198.51.100.2", "2001:db8:2::1", "2001:db8:2::2")
	refuseSharing = unix.EOPNOTSUPP
	defer func() { refuseSharing = nil }()
	var u *UMEM
	var s0, s1 *Socket
	inNS(t, a, func() {
		var err error
		if u, err = NewUMEM(UMEMOptions{NumFrames: 64}); err != nil {
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
	})
	if !s0.SharedUMEM() || s0.UMEM() != u {
		t.Error("registering socket does not report the UMEM as its own")
	}
	if s1.SharedUMEM() || s1.UMEM() == u || !errors.Is(s1.SharedErr(), unix.EOPNOTSUPP) {
		t.Fatalf("fallback: shared %v, same UMEM %v, err %v", s1.SharedUMEM(), s1.UMEM() == u, s1.SharedErr())
	}
	out := packetSock(t, b, v1.idxB)
	marker := []byte("xlatd-private-umem")
	f := udp4Frame(v1.macB, v1.macA, "198.51.100.1", "198.51.100.2", 1, 2, marker)
	pu := s1.UMEM()
	copy(pu.Frame(0)[Headroom:], f)
	if s1.Transmit([]Desc{{Addr: Headroom, Len: uint32(len(f))}}) != 1 {
		t.Fatal("Transmit")
	}
	if err := s1.Kick(); err != nil {
		t.Fatal(err)
	}
	if got, ok := recvMarked(out, marker, 3*time.Second); !ok || !bytes.Equal(got, f) {
		t.Fatalf("frame from the private UMEM did not arrive intact (%v)", ok)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pu.Close(); err != nil { // already closed with the socket
		t.Fatal(err)
	}
}

func TestProgramOptionsValidation(t *testing.T) {
	bad := []ProgramOptions{
		{Pool6: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}},
		{Pool6: []netip.Prefix{netip.MustParsePrefix("::ffff:192.0.2.0/120")}},
		{Capture4: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}},
		{Deny4: []netip.Prefix{{}}},
		{Deny6: []netip.Prefix{netip.MustParsePrefix("198.51.100.1/32")}},
	}
	for _, o := range bad {
		if _, err := compile(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	s, err := compile(ProgramOptions{
		Pool6:    []netip.Prefix{netip.MustParsePrefix("2001:db8:46::1:2/96")},
		Capture4: []netip.Prefix{netip.MustParsePrefix("198.51.100.77/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.pool6[0].Prefixlen != 96 || s.pool6[0].Addr[15] != 0 || s.pool6[0].Addr[2] != 0x0d {
		t.Errorf("pool6 key %+v not masked", s.pool6[0])
	}
	if s.capture4[0].Prefixlen != 24 || s.capture4[0].Addr != [4]byte{198, 51, 100, 0} {
		t.Errorf("capture4 key %+v not masked", s.capture4[0])
	}
	if _, err := LoadProgram(0, ProgramOptions{}); err == nil {
		t.Error("ifindex 0 accepted")
	}
	if _, err := LoadProgram(1, ProgramOptions{Mode: 9}); err == nil {
		t.Error("bad mode accepted")
	}
}

// TestCounterNames keeps counterNames in step with enum counter in
// bpf/xlatd.c (the counters map has C_MAX entries).
func TestCounterNames(t *testing.T) {
	spec, err := loadXlatd()
	if err != nil {
		t.Fatal(err)
	}
	if n := spec.Maps["counters"].MaxEntries; int(n) != len(counterNames) {
		t.Fatalf("counters map has %d entries, counterNames %d", n, len(counterNames))
	}
	if spec.Maps["xsks_map"] == nil {
		t.Fatal("no xsks_map")
	}
}
