package dataplane

import (
	"errors"
	"testing"
)

// busyPort is a fakePort with preferred busy polling.
type busyPort struct {
	*fakePort
	on        bool // BusyPolling
	napi      int  // NAPIID's answer
	polls     int
	napiCalls int
}

func (p *busyPort) BusyPolling() bool { return p.on }
func (p *busyPort) BusyPoll() error   { p.polls++; return nil }
func (p *busyPort) NAPIID() (int, error) {
	p.napiCalls++
	if p.napi < 0 {
		return 0, errors.New("no")
	}
	return p.napi, nil
}

// TestNAPIBusyPoll: with NAPIBusyPoll each busy-polling port is polled once
// per Step whatever the number of frames; after its first frames the
// worker asks for its NAPI id once, and stops polling a port without one
// (NoNAPI). Without NAPIBusyPoll, or on a socket without the options,
// nothing is polled.
func TestNAPIBusyPoll(t *testing.T) {
	var b6, b4 *busyPort
	r := newRigWith(t, true, false, func(wc *WorkerConfig) {
		b6 = &busyPort{fakePort: wc.Six.Port.(*fakePort), on: true, napi: 7}
		b4 = &busyPort{fakePort: wc.Four.Port.(*fakePort), on: true, napi: 0}
		wc.Six.Port, wc.Four.Port = b6, b4
		wc.NAPIBusyPoll = true
	})
	if r.w.BusyPolling() != 2 {
		t.Fatalf("BusyPolling() = %d, want 2", r.w.BusyPolling())
	}
	r.w.Step(1)
	if b6.polls != 1 || b4.polls != 1 || r.w.dp[BusyPolls] != 2 {
		t.Fatalf("idle step: polls %d/%d, counter %d", b6.polls, b4.polls, r.w.dp[BusyPolls])
	}
	for i := 0; i < 20; i++ {
		r.p6.inject(t, udp6(h6, h4as6, 10))
	}
	if n := r.w.Step(2); n != 20 {
		t.Fatalf("Step received %d", n)
	}
	if b6.polls != 2 || b4.polls != 2 {
		t.Fatalf("20 frames: polls %d/%d, want 2/2 (one per Step)", b6.polls, b4.polls)
	}
	r.p4.complete()
	r.w.Step(3)
	r.w.Step(4)
	if b6.napiCalls != 1 || b4.napiCalls != 0 || b6.polls != 4 || b4.polls != 4 || r.w.NoNAPI() {
		t.Fatalf("after IPv6 frames: NAPIID calls %d/%d, polls %d/%d, NoNAPI %v", b6.napiCalls, b4.napiCalls, b6.polls, b4.polls, r.w.NoNAPI())
	}
	r.p4.inject(t, udp4(h4, h6as4, 10))
	r.w.Step(5)
	r.p6.complete()
	r.w.Step(6)
	r.w.Step(7)
	if b4.napiCalls != 1 || b4.polls != 5 || b6.polls != 7 || !r.w.NoNAPI() || r.w.BusyPolling() != 1 {
		t.Fatalf("after an IPv4 frame: NAPIID calls %d, polls %d/%d, NoNAPI %v, BusyPolling %d",
			b4.napiCalls, b6.polls, b4.polls, r.w.NoNAPI(), r.w.BusyPolling())
	}
	r.conserved(t)

	for _, c := range []struct {
		name   string
		config bool
		on     bool
	}{{"config off", false, true}, {"socket without", true, false}} {
		var p *busyPort
		r := newRigWith(t, true, false, func(wc *WorkerConfig) {
			p = &busyPort{fakePort: wc.Six.Port.(*fakePort), on: c.on, napi: 7}
			wc.Six.Port = p
			wc.NAPIBusyPoll = c.config
		})
		r.p6.inject(t, udp6(h6, h4as6, 10))
		r.w.Step(1)
		r.w.Step(2)
		if p.polls != 0 || p.napiCalls != 0 || r.w.BusyPolling() != 0 || r.w.dp[BusyPolls] != 0 {
			t.Errorf("%s: polls %d, NAPIID calls %d", c.name, p.polls, p.napiCalls)
		}
	}
}
