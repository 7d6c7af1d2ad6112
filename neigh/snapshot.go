// Package neigh mirrors the kernel's routes, neighbours and interface
// attributes over netlink (dump, then subscribe) into immutable snapshots
// that the datapath reads lock-free: the next hop of a destination by
// longest-prefix route match on the egress interface, then that next hop's
// MAC address. On a miss the datapath asks the Mirror (once per vector, not
// per packet) to have the kernel resolve the neighbour, counts the miss and
// drops the frame.
package neigh

import (
	"net/netip"
	"sort"
)

// Result is the outcome of a lookup.
type Result uint8

const (
	Found   Result = iota // MAC address known
	NoRoute               // no route on the egress interface covers the destination
	Miss                  // next hop known, its MAC address is not (yet)
)

// Iface is what the datapath needs of an interface.
type Iface struct {
	Index  int
	Name   string
	MAC    [6]byte
	MTU    int
	Up     bool
	Addrs4 []netip.Prefix // IPv4 addresses (with their prefix lengths)
	Addrs6 []netip.Prefix // IPv6 addresses, link-local included
}

// Global4 returns the interface's first global IPv4 address, or the zero Addr.
func (i *Iface) Global4() netip.Addr {
	for _, p := range i.Addrs4 {
		if a := p.Addr(); a.IsGlobalUnicast() {
			return a
		}
	}
	return netip.Addr{}
}

// Global6 returns the interface's first global (not link-local) IPv6
// address, or the zero Addr.
func (i *Iface) Global6() netip.Addr {
	for _, p := range i.Addrs6 {
		if a := p.Addr(); a.IsGlobalUnicast() {
			return a
		}
	}
	return netip.Addr{}
}

// route is one usable unicast route.
type route struct {
	prefix netip.Prefix
	oif    int
	gw     netip.Addr // invalid = on-link
	metric int
}

// lpmKey is a masked destination plus its prefix length.
type lpmKey struct {
	addr [16]byte
	bits int16
	oif  int32
}

type lpm struct {
	lengths []int // distinct prefix lengths, longest first
	routes  map[lpmKey]route
}

func (l *lpm) add(r route) {
	var a [16]byte
	if r.prefix.Addr().Is4() {
		b := r.prefix.Addr().As4()
		copy(a[:4], b[:])
	} else {
		a = r.prefix.Addr().As16()
	}
	k := lpmKey{addr: a, bits: int16(r.prefix.Bits()), oif: int32(r.oif)}
	if old, ok := l.routes[k]; ok && old.metric <= r.metric {
		return
	}
	l.routes[k] = r
	for _, b := range l.lengths {
		if b == r.prefix.Bits() {
			return
		}
	}
	i := 0
	for i < len(l.lengths) && l.lengths[i] > r.prefix.Bits() {
		i++
	}
	l.lengths = append(l.lengths, 0)
	copy(l.lengths[i+1:], l.lengths[i:])
	l.lengths[i] = r.prefix.Bits()
}

// lookup finds the longest prefix covering dst (an IPv4 address in its
// 4-byte form occupies addr[0:4]) on interface oif. Allocation-free.
func (l *lpm) lookup(dst *[16]byte, oif int, v4 bool) (route, bool) {
	for _, b := range l.lengths {
		var k lpmKey
		k.addr = *dst
		mask(&k.addr, b, v4)
		k.bits, k.oif = int16(b), int32(oif)
		if r, ok := l.routes[k]; ok {
			return r, true
		}
	}
	return route{}, false
}

// mask clears the bits of a beyond prefix length bits.
func mask(a *[16]byte, bits int, v4 bool) {
	n := 16
	if v4 {
		n = 4
	}
	for i := 0; i < 16; i++ {
		switch {
		case i >= n || bits <= 0:
			a[i] = 0
		case bits < 8:
			a[i] &= 0xff << (8 - bits)
		}
		bits -= 8
	}
}

// neighKey names a neighbour: interface and address (IPv4 in addr[0:4],
// with v4 set).
type neighKey struct {
	addr [16]byte
	oif  int32
	v4   bool
}

// Snapshot is an immutable view of the interfaces, routes and neighbours of
// interest. Lookups are lock-free and allocation-free.
type Snapshot struct {
	ifaces  map[int]*Iface
	routes4 lpm
	routes6 lpm
	neigh   map[neighKey][6]byte
	// Generation counts snapshots; a change means something was updated.
	Generation uint64
}

func newSnapshot() *Snapshot {
	return &Snapshot{
		ifaces:  map[int]*Iface{},
		routes4: lpm{routes: map[lpmKey]route{}},
		routes6: lpm{routes: map[lpmKey]route{}},
		neigh:   map[neighKey][6]byte{},
	}
}

// Iface returns the interface with the given index, or nil.
func (s *Snapshot) Iface(index int) *Iface { return s.ifaces[index] }

// IfaceByName returns the interface with the given name, or nil.
func (s *Snapshot) IfaceByName(name string) *Iface {
	for _, i := range s.ifaces {
		if i.Name == name {
			return i
		}
	}
	return nil
}

// Lookup4 returns the MAC address of the next hop towards the IPv4
// destination dst out of interface oif. On Miss, nh is the next hop to
// resolve (an IPv4 address in nh[0:4]).
func (s *Snapshot) Lookup4(oif int, dst [4]byte) (mac [6]byte, nh [16]byte, res Result) {
	var d [16]byte
	copy(d[:4], dst[:])
	r, ok := s.routes4.lookup(&d, oif, true)
	if !ok {
		return mac, nh, NoRoute
	}
	if r.gw.IsValid() {
		g := r.gw.As4()
		copy(nh[:4], g[:])
	} else {
		nh = d
	}
	mac, ok = s.neigh[neighKey{addr: nh, oif: int32(oif), v4: true}]
	if !ok {
		return mac, nh, Miss
	}
	return mac, nh, Found
}

// Lookup6 is Lookup4 for IPv6.
func (s *Snapshot) Lookup6(oif int, dst [16]byte) (mac [6]byte, nh [16]byte, res Result) {
	r, ok := s.routes6.lookup(&dst, oif, false)
	if !ok {
		return mac, nh, NoRoute
	}
	if r.gw.IsValid() {
		nh = r.gw.As16()
	} else {
		nh = dst
	}
	mac, ok = s.neigh[neighKey{addr: nh, oif: int32(oif)}]
	if !ok {
		return mac, nh, Miss
	}
	return mac, nh, Found
}

// LocalPrefixes returns the addresses of the given interfaces (all
// interfaces when none is given) as host prefixes (/32, /128): the box's own
// addresses, which the XDP program must leave to the kernel.
func (s *Snapshot) LocalPrefixes(indexes ...int) (v4, v6 []netip.Prefix) {
	if len(indexes) == 0 {
		for ix := range s.ifaces {
			indexes = append(indexes, ix)
		}
		sort.Ints(indexes)
	}
	for _, ix := range indexes {
		i := s.ifaces[ix]
		if i == nil {
			continue
		}
		for _, p := range i.Addrs4 {
			v4 = append(v4, netip.PrefixFrom(p.Addr(), 32))
		}
		for _, p := range i.Addrs6 {
			v6 = append(v6, netip.PrefixFrom(p.Addr(), 128))
		}
	}
	return v4, v6
}

// AddrOf returns the address a neighbour key holds.
func addrOf(nh [16]byte, v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte(nh[:4]))
	}
	return netip.AddrFrom16(nh)
}
