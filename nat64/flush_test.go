package nat64

import (
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/config/nat64conf"
	"github.com/xlatd/xlatd/nat64/natlog"
)

func TestFlush(t *testing.T) {
	c := testConfig() // static tcp and icmp entries of 2001:db8::5 on 192.0.2.2
	tb, rec := newTable(t, c)
	defer tb.Close()
	const subs = 8
	for i := 0; i < subs; i++ {
		h := host6
		h[14] = byte(i)
		for _, p := range []Proto{ProtoUDP, ProtoTCP} {
			if _, _, r := tb.Outbound(t0, p, h, 5000, remote, 53, SYN); r != OK {
				t.Fatal(r)
			}
			if _, _, r := tb.Outbound(t0, p, h, 5000, remote2, 53, SYN); r != OK {
				t.Fatal(r)
			}
		}
	}
	// A session on the static TCP entry, a held SYN, held fragments, and a
	// fragment whose first fragment came (nothing held for it).
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote2, 4000, a4("192.0.2.2"), 80, SYN); r != OK {
		t.Fatal(r)
	}
	if _, _, r := tb.Inbound(t0, ProtoTCP, remote, 3333, a4("192.0.2.1"), 1500, SYN); r != HoldSYN {
		t.Fatal(r)
	}
	k := FragKey{Src: host6, Dst: a6("64:ff9b::c633:6407"), ID: 7, Proto: ProtoUDP}
	for i := 0; i < 2; i++ {
		if _, r := tb.FragNext(t0, k); r != HoldFrag {
			t.Fatal(r)
		}
	}
	k2 := k
	k2.ID = 8
	if _, ok := tb.FragFirst(t0, k2, [16]byte{192, 0, 2, 1}); !ok {
		t.Fatal("FragFirst")
	}
	checkInvariants(t, tb)
	sess0, bib0, _, blocks0 := tb.Len()
	if want := 4*subs + 1; sess0 != want || bib0 != 2*subs+2 || blocks0 != subs {
		t.Fatalf("before: %d sessions, %d BIB entries, %d blocks; want %d, %d, %d", sess0, bib0, blocks0, want, 2*subs+2, subs)
	}
	tb.Notices(nil)
	rec.ev = nil

	now := t0 + sec(1)
	s, b := tb.Flush(now)
	checkInvariants(t, tb)
	if s != sess0 || b != bib0-2 {
		t.Errorf("Flush = %d sessions, %d BIB entries; want %d, %d", s, b, sess0, bib0-2)
	}
	sess, bib, subsN, blocks := tb.Len()
	if sess != 0 || bib != 2 || subsN != 0 || blocks != 0 {
		t.Errorf("after: %d sessions, %d BIB entries, %d subscribers, %d blocks; want 0, 2 (static), 0, 0", sess, bib, subsN, blocks)
	}
	es, _ := tb.BIB(nil, 0)
	for _, e := range es {
		if !e.Static {
			t.Errorf("dynamic entry left: %+v", e)
		}
	}
	// Every block released and logged, nothing else.
	released := map[natlog.Event]bool{}
	for _, ev := range rec.ev {
		if ev.Kind != natlog.BlockRelease || ev.PortHi-ev.PortLo != 63 || ev.Time.UnixNano() != now {
			t.Fatalf("event %+v", ev)
		}
		released[ev] = true
	}
	if len(rec.ev) != blocks0 || len(released) != blocks0 {
		t.Errorf("%d release events (%d distinct), %d blocks", len(rec.ev), len(released), blocks0)
	}
	// The held SYN and fragments end with notices; nothing is held.
	n := tb.Notices(nil)
	var syn, frag int
	for _, x := range n {
		switch {
		case x.Kind == SYNDiscard && x.Tuple4 == (Tuple4{ProtoTCP, remote, a4("192.0.2.1"), 3333, 1500}):
			syn++
		case x.Kind == FragExpired && x.Frag == k:
			frag++
		default:
			t.Errorf("notice %+v", x)
		}
	}
	if syn != 1 || frag != 1 || tb.HeldSYNs() != 0 || tb.C.FragsExpired != 2 {
		t.Errorf("notices %+v, held SYNs %d, fragments expired %d", n, tb.HeldSYNs(), tb.C.FragsExpired)
	}
	if _, r := tb.FragNext(now, k2); r != HoldFrag {
		t.Errorf("fragment of a flushed packet: %v, want held afresh", r)
	}
	// Expiry finds nothing left; the table works again: new subscribers
	// get blocks whose reuse delay is not running, static entries answer.
	tb.Expire(now+sec(600), 1<<20)
	if len(tb.Notices(nil)) != 1 { // the fragment held just now
		t.Error("notices after expiry")
	}
	later := now + sec(600)
	for i := 0; i < subs; i++ {
		h := host6
		h[14] = byte(i)
		if _, _, r := tb.Outbound(later, ProtoUDP, h, 5000, remote, 53, 0); r != OK {
			t.Fatal(r)
		}
	}
	if _, _, r := tb.Inbound(later, ProtoTCP, remote2, 4001, a4("192.0.2.2"), 80, SYN); r != OK {
		t.Fatal(r)
	}
	checkInvariants(t, tb)
	if s, _, _, _ := tb.Len(); s != subs+1 {
		t.Errorf("%d sessions after new traffic, want %d", s, subs+1)
	}
	// An empty table flushes to nothing.
	tb2, _ := newTable(t, c)
	defer tb2.Close()
	if s, b := tb2.Flush(t0); s != 0 || b != 0 {
		t.Errorf("empty table: %d, %d", s, b)
	}
	checkInvariants(t, tb2)
}

// BenchmarkFlush: Flush of a table holding 2^20 UDP sessions of 4096
// subscribers; ns/op is the whole flush (sessions_ended per op).
func BenchmarkFlush(b *testing.B) {
	c := bigBenchConfig()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		_, tb := filledBenchTable(b, c)
		b.StartTimer()
		n, _ := tb.Flush(t0 + sec(1))
		b.StopTimer()
		if n != 1<<20 {
			b.Fatalf("%d sessions ended", n)
		}
		b.ReportMetric(float64(n), "sessions_ended")
		tb.Close()
	}
}

// bigBenchConfig: pool4 192.0.2.0/28, ports 1024-65535, blocks of 128, 8
// per subscriber, room for 2M sessions (BenchmarkFlush, BenchmarkRetire).
func bigBenchConfig() nat64conf.NAT64 {
	c := testConfig()
	c.Static = nil
	c.Pool4 = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28")}
	c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 65535}
	c.PortBlockSize = 128
	c.MaxBlocksPerSubscriber = 8
	c.MaxSessions = 1 << 21
	return c
}

// filledBenchTable: a one-worker table of c holding 2^20 UDP sessions
// (4096 subscribers of 256 each).
func filledBenchTable(b *testing.B, c nat64conf.NAT64) (*Plan, *Table) {
	b.Helper()
	p, err := NewPlan(&c, Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	tb := NewTable(p, 0, t0, nil)
	for s := 0; s < 1<<20; s++ {
		h := host6
		h[13], h[14] = byte(s>>18), byte(s>>10)
		if _, _, r := tb.Outbound(t0, ProtoUDP, h, uint16(1024+s>>2&255), remote, uint16(53+s&3), 0); r != OK {
			b.Fatal(s, r)
		}
	}
	return p, tb
}
