package dataplane

import (
	"bytes"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/nat64"
)

func TestHandoffRing(t *testing.T) {
	r := newHandoffRing(3, 64) // rounded up to 4 slots
	if !r.empty() {
		t.Fatal("new ring not empty")
	}
	for i := 0; i < 4; i++ {
		if !r.push([]byte{byte(i), 1, 2}, 256, batch.Side4) {
			t.Fatalf("push %d refused", i)
		}
	}
	if r.push([]byte{9}, 256, batch.Side4) {
		t.Fatal("push into a full ring accepted")
	}
	if r.push(make([]byte, 65), 256, batch.Side4) {
		t.Fatal("frame larger than a slot accepted")
	}
	for i := 0; i < 4; i++ {
		b, off, in, ok := r.peek()
		if !ok || off != 256 || in != batch.Side4 || !bytes.Equal(b, []byte{byte(i), 1, 2}) {
			t.Fatalf("slot %d: %v %d %v %v", i, b, off, in, ok)
		}
		r.pop()
	}
	if _, _, _, ok := r.peek(); ok || !r.empty() {
		t.Fatal("ring not empty after taking everything")
	}
}

// TestHandoffRingConcurrent: one producer, one consumer, every frame
// arrives once and in order (run with -race).
func TestHandoffRingConcurrent(t *testing.T) {
	r := newHandoffRing(8, 8)
	const n = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; {
			if r.push([]byte{byte(i), byte(i >> 8)}, i%300, batch.Side6) {
				i++
			}
		}
	}()
	for i := 0; i < n; {
		b, off, _, ok := r.peek()
		if !ok {
			continue
		}
		if len(b) != 2 || int(b[0])|int(b[1])<<8 != i&0xffff || off != i%300 {
			t.Fatalf("frame %d: %v off %d", i, b, off)
		}
		r.pop()
		i++
	}
	wg.Wait()
}

func TestHandoffsWake(t *testing.T) {
	h, err := NewHandoffs(3, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.ring(0, 0) != nil || h.ring(0, 1) == nil || h.ring(2, 1) == nil {
		t.Fatal("rings: want one per ordered pair of different workers")
	}
	if h.pending(1) {
		t.Fatal("pending with nothing pushed")
	}
	h.ring(2, 1).push([]byte{1}, 0, batch.Side6)
	if !h.pending(1) || h.pending(0) {
		t.Fatal("pending(1) should be true, pending(0) false")
	}
	// A worker that does not sleep is not woken; a sleeping one is, once.
	h.wakeUp(1)
	h.sleep[1].Store(true)
	h.wakeUp(1)
	if h.sleep[1].Load() {
		t.Fatal("wakeUp left the sleep flag set")
	}
	var b [8]byte
	if n, err := unix.Read(h.wake[1], b[:]); err != nil || n != 8 || b[0] != 1 {
		t.Fatalf("eventfd: %d %v %v", n, err, b)
	}
}

func TestWithTableNoNAT64(t *testing.T) {
	w := &Worker{}
	if err := w.WithTable(func(*nat64.Table, int64) {}, 0); err != ErrNoNAT64 {
		t.Fatalf("WithTable without a table: %v", err)
	}
}

// TestHandoffReceived: a frame another worker put in this worker's ring is
// translated in this worker's next vector, as if received on its side; a
// frame this worker hands off leaves a copy in the owner's ring and its
// chunk free.
func TestHandoffReceived(t *testing.T) {
	h, err := NewHandoffs(2, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r := newRigWith(t, true, false, func(wc *WorkerConfig) { wc.Index, wc.Handoff = 1, h })
	f := udp6(h6, h4as6, 100)
	if !h.ring(0, 1).push(f, afxdp.Headroom, batch.Side6) {
		t.Fatal("push")
	}
	if n := r.w.Step(1); n != 1 {
		t.Fatalf("Step took %d frames, want the handed-off one", n)
	}
	if out := r.p4.sent(); len(out) != 1 {
		t.Fatalf("sent on the IPv4 side: %d frames", len(out))
	}
	if r.dp(HandoffReceived) != 1 || !h.ring(0, 1).empty() {
		t.Fatalf("handoff_received %d, ring empty %v", r.dp(HandoffReceived), h.ring(0, 1).empty())
	}
	r.conserved(t)

	// The other way: worker 1 hands a frame to worker 0.
	r.p6.inject(t, f)
	r.w.receive()
	v := &r.w.vec
	if v.N != 1 {
		t.Fatalf("received %d", v.N)
	}
	r.w.handoff(&v.Frames[0], 0)
	r.w.release(r.w.orig[0].mem, r.w.orig[0].chunk)
	r.w.handoff(&v.Frames[0], 1) // to itself: refused
	if r.w.dp[HandoffSent] != 1 || r.w.dp[HandoffDropped] != 1 || r.w.handedTo != 1 {
		t.Fatalf("sent %d dropped %d handedTo %b", r.w.dp[HandoffSent], r.w.dp[HandoffDropped], r.w.handedTo)
	}
	b, off, in, ok := h.ring(1, 0).peek()
	if !ok || !bytes.Equal(b, f) || off != afxdp.Headroom || in != batch.Side6 {
		t.Fatalf("ring 1->0: %v %d %v", ok, off, in)
	}
	r.conserved(t)
}

func testTable(t testing.TB) *nat64.Table {
	c := config.Default()
	c.NAT64.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/30")}
	c.NAT64.MaxSessions = 1024
	p, err := nat64.NewPlan(&c.NAT64, nat64.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	tab := nat64.NewTable(p, 0, Now(), nil)
	t.Cleanup(tab.Close)
	return tab
}

// TestHousekeepingAndRequests: an idle NAT64 worker translates an empty
// vector every HousekeepingEvery, and answers table requests between
// vectors.
func TestHousekeepingAndRequests(t *testing.T) {
	tab := testTable(t)
	r := newRigWith(t, true, false, func(wc *WorkerConfig) { wc.NAT64 = tab })
	now := Now()
	r.w.Step(now)
	if r.w.lastTranslate != now {
		t.Fatal("first idle Step did not housekeep")
	}
	r.w.Step(now + int64(HousekeepingEvery) - 1)
	if r.w.lastTranslate != now {
		t.Fatal("housekeeping before it was due")
	}
	r.w.Step(now + int64(HousekeepingEvery))
	if r.w.lastTranslate != now+int64(HousekeepingEvery) {
		t.Fatal("housekeeping not run when due")
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			r.w.Step(Now())
			time.Sleep(time.Millisecond)
		}
	}()
	var sessions = -1
	err := r.w.WithTable(func(t *nat64.Table, now int64) { sessions, _, _, _ = t.Len() }, 2*time.Second)
	stop.Store(true)
	<-done
	if err != nil || sessions != 0 {
		t.Fatalf("WithTable: %v, sessions %d", err, sessions)
	}
}

// TestHandoffWakesSleeper: a worker asleep in poll(2) (long timeout) takes
// a handed-off frame at once: the producer's wake-up reaches it through
// its eventfd.
func TestHandoffWakesSleeper(t *testing.T) {
	h, err := NewHandoffs(2, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r := newRigWith(t, true, false, func(wc *WorkerConfig) {
		wc.Index, wc.Handoff, wc.PollTimeout = 1, h, 10*time.Second
	})
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { defer close(done); r.w.Run(&stop) }()
	defer func() {
		stop.Store(true)
		h.wakeUp(1)
		h.sleep[1].Store(true)
		h.wakeUp(1)
		<-done
	}()
	// Wait until it sleeps.
	deadline := time.Now().Add(5 * time.Second)
	for !h.sleep[1].Load() {
		if time.Now().After(deadline) {
			t.Fatal("the worker never went to sleep")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if !h.ring(0, 1).push(udp6(h6, h4as6, 100), afxdp.Headroom, batch.Side6) {
		t.Fatal("push")
	}
	h.wakeUp(1)
	for r.w.Stats().DP[HandoffReceived].Load() == 0 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the sleeping worker did not take the frame within 5 s (its poll timeout is 10 s)")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHandoffAllocs: taking handed-off frames, translating them and
// handing frames on allocates nothing per vector.
func TestHandoffAllocs(t *testing.T) {
	h, err := NewHandoffs(2, 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	r := newRigWith(t, true, false, func(wc *WorkerConfig) { wc.Index, wc.Handoff = 1, h })
	f6 := udp6(h6, h4as6, 100)
	now := int64(0)
	allocs := testing.AllocsPerRun(200, func() {
		for i := 0; i < 16; i++ {
			h.ring(0, 1).push(f6, afxdp.Headroom, batch.Side6)
		}
		now++
		r.w.Step(now)
		r.p4.complete()
		// And the other way: hand the frames of one received vector on.
		for i := 0; i < 16; i++ {
			r.p6.inject(t, f6)
		}
		r.w.receive()
		for i := 0; i < r.w.vec.N; i++ {
			r.w.handoff(&r.w.vec.Frames[i], 0)
			r.w.release(r.w.orig[i].mem, r.w.orig[i].chunk)
		}
		r.w.vec.Reset()
		r.w.wakeOwners()
		for !h.ring(1, 0).empty() {
			h.ring(1, 0).pop()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per vector", allocs)
	}
	if r.dp(HandoffReceived) == 0 || r.w.dp[HandoffSent] == 0 {
		t.Fatal("nothing handed off")
	}
	r.conserved(t)
}
