package e2e

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestNAT64MultiQueue: two queues on the box's veths, so two workers, each
// owning its subscribers' state; frames that arrive on the other worker's
// queue are handed over. Three subscribers with 8 UDP flows each (every
// flow answered, endpoint-independent mapping, one pool4 address per
// subscriber: paired pooling across workers), 6 TCP streams at once, and
// hairpinning between two subscribers.
func TestNAT64MultiQueue(t *testing.T) {
	n := newNAT64BedWith(t, nat64Base(), nil, "XLATD_NETNS_QUEUES=2")
	h6, h4 := n.e("NS6"), n.e("NS4")
	udpServer(t, h4, ap(n.e("H4"), 7000))
	udpServer(t, h4, ap(n.e("H4"), 7001))
	dst := netip.AddrPortFrom(n.as6(n.e("H4")), 7000)
	dst2 := netip.AddrPortFrom(n.as6(n.e("H4")), 7001)
	if _, err := udpAskErr(udpSock(t, h6, ap(n.e("H6"), 40999)), dst, nil, 20); err != nil {
		t.Fatal(err)
	}
	subs := []string{sub2, sub3, sub4}
	type res struct {
		sub string
		err error
	}
	var mu sync.Mutex
	var all []res
	var wg sync.WaitGroup
	for _, s := range subs {
		for i := 0; i < 8; i++ {
			c := udpSock(t, h6, ap(s, 41000+i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := res{sub: s}
				// The mappings come from the BIB below; here only the
				// echoes.
				_, r.err = udpAskErr(c, dst, nil, 5)
				if r.err == nil {
					_, r.err = udpAskErr(c, dst2, nil, 5)
				}
				mu.Lock()
				all = append(all, r)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	for _, r := range all {
		if r.err != nil {
			t.Errorf("%s: %v", r.sub, r.err)
		}
	}
	bib := n.bib(t)
	for _, s := range subs {
		e := bibOf(bib, "udp", s)
		addrs := map[string]bool{}
		for _, b := range e {
			addrs[b.IPv4] = true
		}
		if len(e) != 8 || len(addrs) != 1 {
			t.Errorf("%s: %d UDP BIB entries on %d pool4 addresses %v, want 8 on one", s, len(e), len(addrs), addrs)
		}
	}
	// Endpoint-independent mapping across workers: each flow has one BIB
	// entry although it talked to two destinations, and two sessions.
	perFlow := map[string]int{}
	for _, s := range n.sessions(t) {
		if s.Protocol == "udp" && s.Port6 >= 41000 && s.Port6 < 41008 {
			perFlow[fmt.Sprintf("%s#%d->%s#%d", s.IPv6, s.Port6, s.IPv4, s.Port4)]++
		}
	}
	if len(perFlow) != 24 {
		t.Errorf("%d distinct mappings among the 24 flows' sessions, want 24", len(perFlow))
	}
	for k, v := range perFlow {
		if v != 2 {
			t.Errorf("mapping %s has %d sessions, want 2 (ports 7000 and 7001)", k, v)
		}
	}

	t.Run("tcp", func(t *testing.T) {
		tcpEcho(t, h4, 7100, nil)
		errs := make(chan error, 6)
		for i := 0; i < 6; i++ {
			go func() { errs <- tcpExchangeErr(h6, n.as6(n.e("H4")).String(), 7100, 100000) }()
		}
		for i := 0; i < 6; i++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
	t.Run("hairpin", func(t *testing.T) {
		a := udpSock(t, h6, ap(sub2, 42000))
		b := udpSock(t, h6, ap(sub3, 42001))
		ch := udpServer(t, h4, ap(n.e("H4"), 7002))
		ma := udpAsk(t, a, netip.AddrPortFrom(n.as6(n.e("H4")), 7002), ch)
		mb := udpAsk(t, b, netip.AddrPortFrom(n.as6(n.e("H4")), 7002), ch)
		aAs6 := netip.AddrPortFrom(n.as6(ma.Addr().String()), ma.Port())
		bAs6 := netip.AddrPortFrom(n.as6(mb.Addr().String()), mb.Port())
		ok := false
		for try := 0; try < 5 && !ok; try++ {
			_, _ = b.WriteToUDPAddrPort([]byte("hairpin"), aAs6)
			ok = string(recvFrom(a, bAs6, time.Second)) == "hairpin"
		}
		if !ok {
			t.Fatalf("hairpin %v -> %v across workers never arrived", bAs6, aAs6)
		}
	})
	m, _ := n.d.stats()
	c, _ := m["counters"].(map[string]any)
	t.Logf("hand-offs: sent %v, received %v, dropped %v", c["datapath.handoff_sent"], c["datapath.handoff_received"], c["datapath.handoff_dropped"])
	if d, _ := c["datapath.handoff_dropped"].(float64); d != 0 {
		t.Errorf("%v hand-offs dropped", d)
	}
}
