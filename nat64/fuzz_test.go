package nat64

import (
	"flag"
	"net/netip"
	"testing"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// FuzzTable drives one table with operations decoded from the input: new
// and old flows both ways with any TCP flags (single and batched calls), garbage protocols, ICMP
// error lookups, fragments, clock jumps and expiry. After every operation:
// inbound packets and lookups never create BIB entries or subscribers,
// quotas and max_sessions hold; at the end the table invariants hold.
//
// Speed: NewTable costs ~3 ms (its held-SYN, fragment and notice stores
// are sized for the defaults), 100x an input's operations, so when
// fuzzing each worker process keeps one table per configuration (the 4
// of in[0]&3) and an input starts where the previous one ended: after
// the final expiry, which leaves only the static BIB entries (checked),
// and a Flush, which also forgets held SYNs and fragments. That state is
// the empty table the fresh one is, up to free-list order, the random
// state and the clock, which is history the checks do not depend on. A
// table is rebuilt after a failed input and before its clock runs past
// a week (lifetimes are compared as wrapping 32-bit milliseconds). Plain
// `go test` runs (seed corpus, testdata reproducers) use a fresh table
// per input. The final expiry advances 600 s a call until everything is
// gone, up to the 200 calls (33 hours) it always made; it stops once the
// table is down to its static entries.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{2, 1, 2, 3, 4, 5, 0, 9, 2, 3, 4, 1, 0, 33, 2, 3, 4, 1, 5, 200, 200, 7, 0, 0})
	f.Add([]byte("\x00\x01\x11\x00\x35\x01\x01\x11\x00\x35\x00\x02\x06\x02\x50\x01\x02\x06\x12\x50\x03\xff"))
	fuzzing := flag.Lookup("test.fuzz") != nil && flag.Lookup("test.fuzz").Value.String() != ""
	var kept [4]*fuzzTable
	f.Fuzz(func(t *testing.T, in []byte) {
		var variant byte
		if len(in) > 0 {
			variant = in[0] & 3
		}
		ft := kept[variant]
		if ft == nil || ft.dirty || ft.now-t0 > 7*24*3600e9 {
			if ft != nil {
				ft.tb.Close()
			}
			ft = newFuzzTable(t, variant)
			if fuzzing {
				kept[variant] = ft
			} else {
				defer ft.tb.Close()
			}
		}
		ft.dirty = true // until the input passes
		tb, now := ft.tb, ft.now
		tb.Flush(now)
		tb.Notices(nil)
		ft.rec.ev = ft.rec.ev[:0] // the log sink grows with the table's life
		protos := []Proto{ProtoTCP, ProtoUDP, ProtoICMP, 58}
		var out [2]Mapped
		for len(in) >= 6 {
			op, x, y, z, fl, pr := in[0], in[1], in[2], in[3], TCPFlags(in[4]), protos[in[5]%4]
			in = in[6:]
			src6 := a6("2001:db8:1::")
			src6[14], src6[15] = x>>4, x // 16 subscribers of /120 with 16 hosts each
			dst4 := a4("198.51.100.0")
			dst4[3] = y & 7
			_, bib0, sub0, _ := tb.Len()
			switch op % 8 {
			case 0:
				tb.Outbound(now, pr, src6, uint16(z&7), dst4, uint16(y>>3), fl)
			case 1: // the same packet twice in one vector
				f := Flow6{Proto: pr, Flags: fl, Src6: src6, SPort: uint16(z & 7), Dst4: dst4, DPort: uint16(y >> 3)}
				tb.OutboundBatch(now, []Flow6{f, f}, out[:2])
			case 2, 3:
				pool := a4("192.0.2.0")
				pool[3] = x & 3
				if op%8 == 2 {
					tb.Inbound(now, pr, dst4, uint16(y>>3), pool, 1024+uint16(z&63), fl)
				} else {
					f := Flow4{Proto: pr, Flags: fl, Src4: dst4, SPort: uint16(y >> 3), Dst4: pool, DPort: 1024 + uint16(z&63)}
					tb.InboundBatch(now, []Flow4{f, f}, out[:2])
				}
				if _, b, s, _ := tb.Len(); b > bib0 || s > sub0 {
					t.Fatal("an inbound packet created a mapping")
				}
			case 4:
				pool := a4("192.0.2.0")
				pool[3] = x & 3
				before := tb.C
				tb.LookupInbound(pr, dst4, uint16(y>>3), pool, 1024+uint16(z&63))
				tb.LookupOutbound(pr, src6, uint16(z&7), dst4, uint16(y>>3))
				if tb.C != before {
					t.Fatal("lookup changed state")
				}
			case 5:
				now += int64(z) * 1e9 * int64(x&15+1)
				tb.Expire(now, int(y)+1)
			case 6:
				k := FragKey{Src: src6, ID: uint32(y), Proto: pr}
				if fl&1 == 0 {
					tb.FragFirst(now, k, [16]byte{1})
				} else {
					tb.FragNext(now, k)
				}
			case 7:
				tb.Notices(nil)
			}
			if n, _, _, _ := tb.Len(); n > 40 {
				t.Fatalf("%d sessions beyond max_sessions", n)
			}
			for i := range tb.subs {
				if s := &tb.subs[i]; s.used && (s.nsess > 12 || s.nblocks > 2) {
					t.Fatalf("subscriber beyond quota: %+v", *s)
				}
			}
		}
		checkInvariants(t, tb)
		// Everything expires in the end, static entries stay.
		for i := 0; i < 200; i++ {
			now += 600e9
			tb.Expire(now, 1<<20)
			if n, b, s, bl := tb.Len(); n == 0 && b == 2 && s == 0 && bl == 0 {
				break
			}
		}
		if n, b, s, bl := tb.Len(); n != 0 || b != 2 || s != 0 || bl != 0 {
			t.Fatalf("left after expiry: %d sessions %d BIB %d subscribers %d blocks", n, b, s, bl)
		}
		checkInvariants(t, tb)
		ft.now, ft.dirty = now, false
	})
}

// fuzzTable is a table FuzzTable keeps from one input to the next.
type fuzzTable struct {
	tb    *Table
	rec   *recorder
	now   int64
	dirty bool // an input started on it and did not pass
}

// newFuzzTable is the table of FuzzTable's configuration variant (bit 0:
// address-dependent filtering, bit 1: deterministic subscribers).
func newFuzzTable(t *testing.T, variant byte) *fuzzTable {
	c := testConfig()
	c.MaxSessions = 40
	c.MaxSessionsPerSubscriber = 12
	c.PortBlockSize = 8
	c.MaxBlocksPerSubscriber = 2
	c.Ports = nat64conf.PortRange{Lo: 1024, Hi: 1024 + 63}
	c.Static[0].Port4, c.Static[1].Port4 = 80, 1
	c.SubscriberPrefixLength = 120
	if variant&1 == 1 {
		c.Filtering = "address-dependent"
	}
	if variant&2 == 2 {
		// 16 subscribers of /120, 4 addresses x 4 ranges of 16 ports
		c.Deterministic = true
		c.Subscribers = []netip.Prefix{netip.MustParsePrefix("2001:db8:1::/116")}
	}
	tb, rec := newTable(t, c)
	return &fuzzTable{tb: tb, rec: rec, now: t0}
}

// TestFloods: many flows from one subscriber stay within its quota, from
// many within max_sessions; the invariants hold after each.
func TestFloods(t *testing.T) {
	c := testConfig()
	c.MaxSessions = 500
	c.PortBlockSize, c.MaxBlocksPerSubscriber = 8, 32 // 256 ports each, 512 blocks
	tb, _ := newTable(t, c)
	res := map[Result]int{}
	for i := 0; i < 5000; i++ {
		d := remote
		d[2], d[3] = byte(i>>8), byte(i)
		_, _, r := tb.Outbound(t0, ProtoUDP, host6, uint16(i), d, 53, 0)
		res[r]++
	}
	if res[OK] != 256 || res[QuotaPorts] != 5000-256 {
		t.Fatalf("one subscriber: %v", res)
	}
	checkInvariants(t, tb)
	clear(res)
	for i := 0; i < 5000; i++ {
		src := a6("2001:db8:2::")
		src[12], src[13] = byte(i>>8), byte(i)
		_, _, r := tb.Outbound(t0, ProtoUDP, src, 1, remote, 53, 0)
		res[r]++
	}
	if n, _, _, _ := tb.Len(); n != 500 || res[OK] != 500-256 || res[TableFull] != 5000-res[OK] {
		t.Fatalf("many subscribers: %d sessions, %v", n, res)
	}
	checkInvariants(t, tb)
}
