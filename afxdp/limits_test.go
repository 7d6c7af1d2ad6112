package afxdp

import (
	"net/netip"
	"testing"
)

// many6 returns n distinct /128s under 2001:db8:(base)::/48.
func many6(base byte, n int) []netip.Prefix {
	out := make([]netip.Prefix, n)
	for i := range out {
		out[i] = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, base, 0, 0, 0, 0, 0, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}), 128)
	}
	return out
}

// TestMapCapacity (issue 7): the kernel accepts tries of MapCapacity
// entries and Update replaces a set of MaxPrefixes by another disjoint one
// (both are in the trie for a moment); a set beyond MaxPrefixes is refused
// before any map changes, and the program keeps what it had.
func TestMapCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a trie with 2 x MaxPrefixes entries")
	}
	bx := newBox(t, ModeGeneric, SocketOptions{})
	a, b := many6(0x10, MaxPrefixes), many6(0x20, MaxPrefixes)
	inNS(t, bx.v.nsA, func() {
		if err := bx.p.Update(ProgramOptions{Pool6: a}); err != nil {
			t.Fatalf("%d prefixes: %v", len(a), err)
		}
		if err := bx.p.Update(ProgramOptions{Pool6: b}); err != nil {
			t.Fatalf("replacing %d prefixes by %d others: %v", len(a), len(b), err)
		}
		if err := bx.p.Update(ProgramOptions{Pool6: append(a, b[0]), Deny4: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}); err == nil {
			t.Fatal("MaxPrefixes+1 accepted")
		}
		n := 0
		var k xlatdLpm6
		var v uint8
		it := bx.p.objs.Pool6.Iterate()
		for it.Next(&k, &v) {
			n++
		}
		if n != len(b) {
			t.Errorf("pool6 holds %d entries after a refused update, want %d", n, len(b))
		}
		var k4 xlatdLpm4
		if it := bx.p.objs.Deny4.Iterate(); it.Next(&k4, &v) {
			t.Errorf("deny4 took %v from a refused update", k4)
		}
	})
}

// TestMapSpecs keeps the compiled object in step with the Go limits: the
// LPM tries hold MapCapacity entries and the socket map one socket per
// queue up to MaxQueues (config allows interfaces.queues up to 1024;
// before issue 7 the map held 256, and a socket on queue 256 failed at
// start naming xsks_map).
func TestMapSpecs(t *testing.T) {
	spec, err := loadXlatd()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]uint32{
		"xsks_map": MaxQueues, "pool6": MapCapacity, "deny6": MapCapacity, "capture4": MapCapacity, "deny4": MapCapacity,
	} {
		m := spec.Maps[name]
		if m == nil {
			t.Errorf("no map %s", name)
		} else if m.MaxEntries != want {
			t.Errorf("%s: max_entries %d, want %d", name, m.MaxEntries, want)
		}
	}
}
