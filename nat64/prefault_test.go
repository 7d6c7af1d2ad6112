package nat64

import "testing"

// TestPrefault: a table whose arrays are mapped outside the Go heap can be
// faulted in whole, and works as before afterwards.
func TestPrefault(t *testing.T) {
	c := testConfig()
	c.MaxSessions = 1 << 20
	tb, _ := newTable(t, c)
	defer tb.Close()
	mapped := tb.MappedBytes()
	if mapped == 0 {
		t.Fatal("a 1M-session table has no mapped arrays")
	}
	n, err := tb.Prefault()
	if err != nil || n != mapped {
		t.Fatalf("Prefault = %d, %v; mapped %d", n, err, mapped)
	}
	src4, _, r := tb.Outbound(t0+1e9, ProtoUDP, host6, 1000, remote, 53, 0)
	if r != OK {
		t.Fatalf("Outbound after Prefault: %v", r)
	}
	inPool(t, tb, src4, 1024)
}
