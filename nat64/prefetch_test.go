package nat64

import (
	"encoding/binary"
	"testing"
)

// TestPrefetchChangesNothing: Prefetch6 and Prefetch4 over found, missing,
// ICMP and unsupported flows leave counters, sizes and invariants as they
// were, and the index tags find every entry afterwards.
func TestPrefetchChangesNothing(t *testing.T) {
	tb, _ := newTable(t, testConfig())
	defer tb.Close()
	var f6 []Flow6
	var f4 []Flow4
	for i := 0; i < 40; i++ {
		src := a6("2001:db8:1::")
		binary.BigEndian.PutUint16(src[14:], uint16(i/8))
		p := ProtoUDP
		if i%5 == 0 {
			p = ProtoICMP
		}
		f := Flow6{Proto: p, Src6: src, SPort: uint16(3000 + i), Dst4: a4("203.0.113.9"), DPort: 53}
		a, port, r := tb.Outbound(t0, f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort, 0)
		if r != OK {
			t.Fatalf("flow %d: %v", i, r)
		}
		dp := uint16(53)
		if p == ProtoICMP {
			dp = port
		}
		f6 = append(f6, f, Flow6{Proto: ProtoUDP, Src6: src, SPort: 9, Dst4: f.Dst4, DPort: 53}, Flow6{Proto: 99, Src6: src})
		f4 = append(f4, Flow4{Proto: p, Src4: f.Dst4, SPort: dp, Dst4: a, DPort: port}, Flow4{Proto: ProtoTCP, Src4: f.Dst4, Dst4: a, DPort: port})
	}
	c := tb.C
	s0, b0, u0, k0 := tb.Len()
	for off := 0; off < len(f6); off += MaxBatch {
		tb.Prefetch6(f6[off:min(off+MaxBatch, len(f6))])
	}
	tb.Prefetch4(f4) // more than MaxBatch: the rest is ignored
	if tb.C != c {
		t.Errorf("counters changed: %+v -> %+v", c, tb.C)
	}
	if s, b, u, k := tb.Len(); s != s0 || b != b0 || u != u0 || k != k0 {
		t.Errorf("sizes changed: %d %d %d %d -> %d %d %d %d", s0, b0, u0, k0, s, b, u, k)
	}
	checkInvariants(t, tb)
	for i := 0; i < len(f6); i += 3 {
		f := &f6[i]
		if _, _, ok := tb.LookupOutbound(f.Proto, f.Src6, f.SPort, f.Dst4, f.DPort); !ok {
			t.Errorf("flow %d not found", i/3)
		}
	}
}
