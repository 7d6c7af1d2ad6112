package neigh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Options configure a Mirror.
type Options struct {
	// Interfaces of interest (indexes). Routes and neighbours of other
	// interfaces are not mirrored; their attributes are.
	Ifindexes []int
	// Namespace to mirror; netns.None() (the zero value is not None, so
	// use NsHandle(-1) or leave UseNamespace false) means the current one.
	Namespace    netns.NsHandle
	UseNamespace bool
	// MinRefresh is the shortest time between two snapshots (default 10ms).
	MinRefresh time.Duration
	// ResolveInterval is how often the same next hop may be asked for
	// again (default 1s).
	ResolveInterval time.Duration
	Logger          *slog.Logger
	// OnChange, if set, is called (from the Mirror's goroutine) after every
	// new snapshot.
	OnChange func(*Snapshot)
}

// Request asks for a next hop to be resolved.
type Request struct {
	Oif  int
	Addr [16]byte // IPv4 in Addr[0:4] when V4
	V4   bool
}

// Requests is a fixed-size batch of resolution requests, sent by value once
// per vector (no allocation).
type Requests struct {
	N   int
	Req [8]Request
}

// Add records a request unless it is already there or the batch is full.
func (r *Requests) Add(oif int, addr [16]byte, v4 bool) {
	for i := 0; i < r.N; i++ {
		if r.Req[i].Addr == addr && r.Req[i].Oif == oif && r.Req[i].V4 == v4 {
			return
		}
	}
	if r.N < len(r.Req) {
		r.Req[r.N] = Request{Oif: oif, Addr: addr, V4: v4}
		r.N++
	}
}

// Mirror keeps a current Snapshot of the kernel's tables.
type Mirror struct {
	o     Options
	h     *netlink.Handle
	cur   atomic.Pointer[Snapshot]
	gen   uint64
	reqs  chan Requests
	dirty chan struct{}

	mu        sync.Mutex // guards lastAsked (Mirror goroutines only)
	lastAsked map[Request]time.Time

	// Counters (read by the daemon).
	Refreshes    atomic.Uint64
	Resolves     atomic.Uint64
	ResolveErrs  atomic.Uint64
	DroppedReqs  atomic.Uint64
	NetlinkErrs  atomic.Uint64
	lastErrorLog time.Time
}

// New dumps the tables once and returns a Mirror whose Snapshot is ready.
// Call Run to follow updates.
func New(o Options) (*Mirror, error) {
	if o.MinRefresh == 0 {
		o.MinRefresh = 10 * time.Millisecond
	}
	if o.ResolveInterval == 0 {
		o.ResolveInterval = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// One-armed: the same interface twice.
	var ifx []int
	for _, i := range o.Ifindexes {
		if !slices.Contains(ifx, i) {
			ifx = append(ifx, i)
		}
	}
	o.Ifindexes = ifx
	var h *netlink.Handle
	var err error
	if o.UseNamespace {
		h, err = netlink.NewHandleAt(o.Namespace)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		return nil, fmt.Errorf("neigh: netlink: %w", err)
	}
	m := &Mirror{o: o, h: h, reqs: make(chan Requests, 64), dirty: make(chan struct{}, 1), lastAsked: map[Request]time.Time{}}
	if err := m.refresh(); err != nil {
		h.Close()
		return nil, err
	}
	return m, nil
}

// Snapshot returns the current snapshot (never nil after New).
func (m *Mirror) Snapshot() *Snapshot { return m.cur.Load() }

// Refresh re-reads the kernel's tables now.
func (m *Mirror) Refresh() error { return m.refresh() }

// Resolve queues requests without blocking; when the queue is full they are
// dropped and counted (the next miss asks again).
func (m *Mirror) Resolve(r Requests) {
	if r.N == 0 {
		return
	}
	select {
	case m.reqs <- r:
	default:
		m.DroppedReqs.Add(1)
	}
}

func (m *Mirror) interesting(ix int) bool {
	if len(m.o.Ifindexes) == 0 {
		return true
	}
	for _, i := range m.o.Ifindexes {
		if i == ix {
			return true
		}
	}
	return false
}

// refresh dumps links, addresses, routes and neighbours and publishes a new
// snapshot.
func (m *Mirror) refresh() error {
	s := newSnapshot()
	links, err := m.h.LinkList()
	if err != nil {
		return fmt.Errorf("neigh: listing links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		i := &Iface{Index: a.Index, Name: a.Name, MTU: a.MTU, Up: a.Flags&net.FlagUp != 0}
		copy(i.MAC[:], a.HardwareAddr)
		s.ifaces[a.Index] = i
	}
	// Addresses of every interface: the box's own addresses are never
	// captured.
	addrs, err := m.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("neigh: listing addresses: %w", err)
	}
	for _, ad := range addrs {
		i := s.ifaces[ad.LinkIndex]
		p, ok := prefixOf(ad.IPNet)
		if i == nil || !ok {
			continue
		}
		if p.Addr().Is4() {
			i.Addrs4 = append(i.Addrs4, p)
		} else {
			i.Addrs6 = append(i.Addrs6, p)
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := m.h.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return fmt.Errorf("neigh: listing routes: %w", err)
		}
		for _, r := range routes {
			if r.Type != unix.RTN_UNICAST {
				continue
			}
			var dst netip.Prefix
			if r.Dst == nil {
				if fam == netlink.FAMILY_V4 {
					dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
				} else {
					dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
				}
			} else if p, ok := prefixOf(r.Dst); ok {
				dst = p.Masked()
			} else {
				continue
			}
			hops := []*netlink.NexthopInfo{{LinkIndex: r.LinkIndex, Gw: r.Gw}}
			if len(r.MultiPath) > 0 {
				hops = r.MultiPath
			}
			for _, nh := range hops {
				if !m.interesting(nh.LinkIndex) {
					continue
				}
				rt := route{prefix: dst, oif: nh.LinkIndex, metric: r.Priority}
				if nh.Gw != nil {
					if g, ok := netip.AddrFromSlice(nh.Gw); ok {
						rt.gw = g.Unmap()
					}
				}
				if fam == netlink.FAMILY_V4 {
					s.routes4.add(rt)
				} else {
					s.routes6.add(rt)
				}
			}
		}
	}
	for _, ix := range m.o.Ifindexes {
		if s.ifaces[ix] == nil {
			continue
		}
		ns, err := m.h.NeighList(ix, netlink.FAMILY_ALL)
		if err != nil {
			return fmt.Errorf("neigh: listing neighbours: %w", err)
		}
		for _, n := range ns {
			m.addNeigh(s, &n)
		}
	}
	if len(m.o.Ifindexes) == 0 {
		ns, err := m.h.NeighList(0, netlink.FAMILY_ALL)
		if err != nil {
			return fmt.Errorf("neigh: listing neighbours: %w", err)
		}
		for _, n := range ns {
			m.addNeigh(s, &n)
		}
	}
	m.gen++
	s.Generation = m.gen
	m.cur.Store(s)
	m.Refreshes.Add(1)
	if m.o.OnChange != nil {
		m.o.OnChange(s)
	}
	return nil
}

// usable neighbour states: the kernel itself would transmit to them.
const usable = netlink.NUD_REACHABLE | netlink.NUD_STALE | netlink.NUD_DELAY | netlink.NUD_PROBE |
	netlink.NUD_PERMANENT | netlink.NUD_NOARP

func (m *Mirror) addNeigh(s *Snapshot, n *netlink.Neigh) {
	if n.State&usable == 0 || len(n.HardwareAddr) != 6 {
		return
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return
	}
	a = a.Unmap()
	var k neighKey
	k.oif = int32(n.LinkIndex)
	if a.Is4() {
		b := a.As4()
		copy(k.addr[:4], b[:])
		k.v4 = true
	} else {
		k.addr = a.As16()
	}
	var mac [6]byte
	copy(mac[:], n.HardwareAddr)
	s.neigh[k] = mac
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

// Run follows kernel updates until ctx ends: every link, address, route or
// neighbour change leads to a new snapshot (at most one per MinRefresh), and
// resolution requests are carried out.
func (m *Mirror) Run(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	errCb := func(err error) {
		m.NetlinkErrs.Add(1)
		m.markDirty()
	}
	var ns *netns.NsHandle
	if m.o.UseNamespace {
		ns = &m.o.Namespace
	}
	linkCh := make(chan netlink.LinkUpdate, 64)
	addrCh := make(chan netlink.AddrUpdate, 64)
	routeCh := make(chan netlink.RouteUpdate, 256)
	neighCh := make(chan netlink.NeighUpdate, 256)
	if err := netlink.LinkSubscribeWithOptions(linkCh, done, netlink.LinkSubscribeOptions{Namespace: ns, ErrorCallback: errCb}); err != nil {
		return fmt.Errorf("neigh: subscribing to links: %w", err)
	}
	if err := netlink.AddrSubscribeWithOptions(addrCh, done, netlink.AddrSubscribeOptions{Namespace: ns, ErrorCallback: errCb}); err != nil {
		return fmt.Errorf("neigh: subscribing to addresses: %w", err)
	}
	if err := netlink.RouteSubscribeWithOptions(routeCh, done, netlink.RouteSubscribeOptions{Namespace: ns, ErrorCallback: errCb}); err != nil {
		return fmt.Errorf("neigh: subscribing to routes: %w", err)
	}
	if err := netlink.NeighSubscribeWithOptions(neighCh, done, netlink.NeighSubscribeOptions{Namespace: ns, ErrorCallback: errCb}); err != nil {
		return fmt.Errorf("neigh: subscribing to neighbours: %w", err)
	}
	// Anything that happened between New's dump and the subscriptions.
	m.markDirty()

	go m.resolver(ctx)

	// Periodic safety refresh in case a notification was lost (ENOBUFS).
	safety := time.NewTicker(30 * time.Second)
	defer safety.Stop()
	var timer *time.Timer
	var timerC <-chan time.Time
	last := time.Time{}
	schedule := func() {
		if timerC != nil {
			return
		}
		wait := m.o.MinRefresh - time.Since(last)
		if wait < 0 {
			wait = 0
		}
		timer = time.NewTimer(wait)
		timerC = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case _, ok := <-linkCh:
			if !ok {
				linkCh = nil
			}
			schedule()
		case _, ok := <-addrCh:
			if !ok {
				addrCh = nil
			}
			schedule()
		case _, ok := <-routeCh:
			if !ok {
				routeCh = nil
			}
			schedule()
		case u, ok := <-neighCh:
			if !ok {
				neighCh = nil
			}
			if ok && !m.interesting(u.LinkIndex) {
				continue
			}
			schedule()
		case <-m.dirty:
			schedule()
		case <-safety.C:
			schedule()
		case <-timerC:
			timerC = nil
			last = time.Now()
			if err := m.refresh(); err != nil {
				m.NetlinkErrs.Add(1)
				if time.Since(m.lastErrorLog) > 10*time.Second {
					m.lastErrorLog = time.Now()
					m.o.Logger.Warn("neighbour mirror refresh failed", "err", err)
				}
			}
		}
		if linkCh == nil && addrCh == nil && routeCh == nil && neighCh == nil {
			return errors.New("neigh: netlink subscriptions closed")
		}
	}
}

func (m *Mirror) markDirty() {
	select {
	case m.dirty <- struct{}{}:
	default:
	}
}

// resolver carries out resolution requests: it asks the kernel to resolve
// the neighbour (RTM_NEWNEIGH with NTF_USE, as `ip neigh ... use` would),
// at most once per ResolveInterval per next hop.
func (m *Mirror) resolver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case rs := <-m.reqs:
			now := time.Now()
			for i := 0; i < rs.N; i++ {
				r := rs.Req[i]
				m.mu.Lock()
				last, seen := m.lastAsked[r]
				if seen && now.Sub(last) < m.o.ResolveInterval {
					m.mu.Unlock()
					continue
				}
				m.lastAsked[r] = now
				if len(m.lastAsked) > 4096 {
					for k, t := range m.lastAsked {
						if now.Sub(t) > m.o.ResolveInterval {
							delete(m.lastAsked, k)
						}
					}
				}
				m.mu.Unlock()
				if err := m.ResolveNow(r.Oif, addrOf(r.Addr, r.V4)); err != nil {
					m.ResolveErrs.Add(1)
					if time.Since(m.lastErrorLog) > 10*time.Second {
						m.lastErrorLog = time.Now()
						m.o.Logger.Warn("neighbour resolution failed", "next_hop", addrOf(r.Addr, r.V4), "ifindex", r.Oif, "err", err)
					}
				}
			}
		}
	}
}

// ResolveNow asks the kernel to resolve addr on interface oif: it creates
// the neighbour entry if needed and triggers ARP / Neighbor Solicitation.
// The answer arrives as a neighbour update.
func (m *Mirror) ResolveNow(oif int, addr netip.Addr) error {
	m.Resolves.Add(1)
	fam := netlink.FAMILY_V6
	if addr.Is4() {
		fam = netlink.FAMILY_V4
	}
	return m.h.NeighSet(&netlink.Neigh{
		LinkIndex: oif,
		Family:    fam,
		IP:        net.IP(addr.AsSlice()),
		Flags:     netlink.NTF_USE,
		State:     netlink.NUD_NONE,
	})
}

// Close releases the netlink handle.
func (m *Mirror) Close() { m.h.Close() }
