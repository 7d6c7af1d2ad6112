package afxdp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// counterNames are the XDP program's counters, in the order of enum counter
// in bpf/xlatd.c.
var counterNames = [...]string{
	"redirected4",
	"redirected6",
	"no_socket",
	"pass_short",
	"pass_bad_ip",
	"pass_l2_multicast",
	"pass_arp",
	"pass_vlan",
	"pass_other_ethertype",
	"pass_multicast4",
	"pass_linklocal4",
	"pass_nomatch4",
	"pass_deny4",
	"pass_multicast6",
	"pass_linklocal6",
	"pass_nd",
	"pass_nomatch6",
	"pass_deny6",
	"redirected4_shared",
}

// CounterNames lists the keys of Program.Counters, in a stable order.
// (Addition.)
func CounterNames() []string { return counterNames[:] }

// MapCapacity is the capacity of each LPM trie (MAX_PREFIXES, max_entries
// in xlatd.c). The tries are BPF_F_NO_PREALLOC: memory is taken per entry
// in use, not for the capacity. (Addition.)
const MapCapacity = 1 << 19

// MaxPrefixes is the most prefixes one set of ProgramOptions (Pool6,
// Capture4, Deny4, Deny6) may hold: Update adds the new entries before it
// removes stale ones, so a trie must hold the old set and the new one
// together. config.Validate keeps configurations within it. (Addition.)
const MaxPrefixes = MapCapacity / 2

const maxPrefixes = MaxPrefixes

// MaxQueues is the number of RX queues whose sockets the program can
// redirect to (max_entries of xsks_map, MAX_QUEUES in xlatd.c): queues 0 to
// MaxQueues-1. (Addition.)
const MaxQueues = 1024

// CheckOptions reports whether o is a set of prefixes LoadProgram and
// Update accept, without touching any program: the check done before the
// first map is changed. (Addition.)
func CheckOptions(o ProgramOptions) error {
	_, err := compile(o)
	return err
}

// ProgramOptions says what the XDP program redirects to the AF_XDP sockets;
// everything else gets XDP_PASS.
type ProgramOptions struct {
	Mode XDPMode
	// Pool6: IPv6 destinations to capture (pool6 and EAMT IPv6 ranges).
	Pool6 []netip.Prefix
	// Capture4: IPv4 destinations to capture (EAMT IPv4 ranges, the
	// configured capture list, later pool4).
	Capture4 []netip.Prefix
	// Deny4, Deny6: never capture (the box's own addresses, a denylist).
	Deny4 []netip.Prefix
	Deny6 []netip.Prefix
	// Shared4: addresses of Deny4 (the box's own) that are NAT64 pool4
	// addresses too: packets to them whose TCP/UDP destination port, ICMP
	// echo reply identifier or quoted source port lies in SharedPorts
	// (lo, hi) are redirected, everything else stays with the kernel.
	// (Addition.)
	Shared4     []netip.Prefix
	SharedPorts [2]uint16
}

// String names the mode.
func (m XDPMode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	}
	return fmt.Sprintf("XDPMode(%d)", int(m))
}

// Program is xlatd's XDP program attached to one interface through a
// bpf_link.
type Program struct {
	ifindex int
	mode    XDPMode
	objs    xlatdObjects
	link    link.Link
	frags   bool // loaded with BPF_F_XDP_HAS_FRAGS

	mu     sync.Mutex // Update, Register, Close
	closed bool
	cur    prefixSets // what the maps hold (for Update's rollback)
}

// ErrMTUTooLarge is wrapped by LoadProgram's error when native XDP was
// refused with ERANGE: the interface (on veth, its peer) has an MTU larger
// than the driver takes in native mode. xlatd's program is declared for
// frags (multi-buffer XDP), so veth and drivers with multi-buffer XDP take
// any MTU (docs/DESIGN.md, "Jumbo frames"); a driver without it refuses
// frames longer than a page.
var ErrMTUTooLarge = errors.New("the interface MTU is too large for native XDP on this driver (no multi-buffer XDP: frames must fit a page; on veth with 4 KiB pages that is MTU 3506); lower the MTU or use xdp_mode = \"generic\"")

// LoadProgram loads the XDP program, fills its prefix maps and attaches it
// to ifindex with a bpf_link (link.AttachXDP). ModeAuto tries native then
// generic. If another XDP program is attached in a way the link cannot
// coexist with (EBUSY, EEXIST), the error wraps ErrProgramAttached and names
// the other program; it is never replaced or detached. Must run in the
// network namespace of ifindex.
func LoadProgram(ifindex int, o ProgramOptions) (*Program, error) {
	if ifindex <= 0 {
		return nil, fmt.Errorf("afxdp: bad ifindex %d", ifindex)
	}
	var tries []link.XDPAttachFlags
	switch o.Mode {
	case ModeAuto:
		tries = []link.XDPAttachFlags{link.XDPDriverMode, link.XDPGenericMode}
	case ModeNative:
		tries = []link.XDPAttachFlags{link.XDPDriverMode}
	case ModeGeneric:
		tries = []link.XDPAttachFlags{link.XDPGenericMode}
	default:
		return nil, fmt.Errorf("afxdp: bad XDPMode %d", o.Mode)
	}
	sets, err := compile(o)
	if err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		raiseMemlock()
	}
	p := &Program{ifindex: ifindex}
	if err := p.load(); err != nil {
		return nil, fmt.Errorf("afxdp: load XDP program: %w", err)
	}
	if err := p.apply(sets); err != nil {
		p.objs.Close()
		return nil, err
	}
	p.cur = sets
	var errs []error
	for _, f := range tries {
		l, err := link.AttachXDP(link.XDPOptions{Program: p.objs.XlatdXdp, Interface: ifindex, Flags: f})
		if err == nil {
			p.link = l
			p.mode = ModeNative
			if f == link.XDPGenericMode {
				p.mode = ModeGeneric
			}
			return p, nil
		}
		if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) {
			p.objs.Close()
			return nil, fmt.Errorf("%w on ifindex %d (%s); xlatd does not replace it: detach it or let xlatd's interfaces be free of other XDP programs: %v",
				ErrProgramAttached, ifindex, describeAttached(ifindex), err)
		}
		if f == link.XDPDriverMode && errors.Is(err, unix.ERANGE) {
			// Drivers without multi-buffer XDP refuse a program once a
			// frame no longer fits a page (veth does so for programs
			// not declared for frags: "Peer MTU is too large to set
			// XDP").
			err = fmt.Errorf("%w (%w)", err, ErrMTUTooLarge)
		}
		errs = append(errs, fmt.Errorf("%s: %w", modeOf(f), err))
	}
	p.objs.Close()
	return nil, fmt.Errorf("afxdp: attach XDP program to ifindex %d: %w", ifindex, errors.Join(errs...))
}

// noFrags, when set by tests, stands in for a kernel that refuses
// programs declared for frags (before 5.18).
var noFrags bool

// load loads the program declared for frags (multi-buffer XDP, Linux >=
// 5.18), or, if the kernel refuses that, the same program without the
// declaration: then native XDP takes only frames that fit a page.
func (p *Program) load() error {
	spec, err := loadXlatd()
	if err != nil {
		return err
	}
	ps := spec.Programs["xlatd_xdp"]
	if ps == nil {
		return errors.New("no program xlatd_xdp in the object")
	}
	if !noFrags {
		err = spec.LoadAndAssign(&p.objs, nil)
		if err == nil || ps.Flags&unix.BPF_F_XDP_HAS_FRAGS == 0 {
			p.frags = err == nil && ps.Flags&unix.BPF_F_XDP_HAS_FRAGS != 0
			return err
		}
	}
	ps.Flags &^= unix.BPF_F_XDP_HAS_FRAGS
	if err2 := spec.LoadAndAssign(&p.objs, nil); err2 != nil {
		return errors.Join(err, err2)
	}
	return nil
}

// Frags reports whether the program is declared for frags (multi-buffer
// XDP): false on kernels before 5.18, where native XDP refuses MTUs whose
// frames do not fit a page.
func (p *Program) Frags() bool { return p.frags }

func modeOf(f link.XDPAttachFlags) XDPMode {
	if f == link.XDPGenericMode {
		return ModeGeneric
	}
	return ModeNative
}

// describeAttached names the XDP program already on ifindex, best effort.
func describeAttached(ifindex int) string {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil || l.Attrs().Xdp == nil || !l.Attrs().Xdp.Attached {
		return "another XDP program or link is attached"
	}
	x := l.Attrs().Xdp
	mode := "unknown mode"
	switch x.AttachMode {
	case 1:
		mode = "native"
	case 2:
		mode = "generic"
	case 3:
		mode = "offload"
	case 4:
		mode = "multiple modes"
	}
	return fmt.Sprintf("%s has XDP program id %d attached in %s", l.Attrs().Name, x.ProgId, mode)
}

// Mode is the attach mode in force: ModeNative or ModeGeneric.
func (p *Program) Mode() XDPMode { return p.mode }

// Ifindex is the interface the program is attached to. (Addition.)
func (p *Program) Ifindex() int { return p.ifindex }

// Register steers packets received on queue to s (xsks_map[queue] = s).
// s must be bound to the program's interface and to that queue.
func (p *Program) Register(queue int, s *Socket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("afxdp: program closed")
	}
	if s.ifindex != p.ifindex || s.queue != queue {
		return fmt.Errorf("afxdp: socket is bound to ifindex %d queue %d, not ifindex %d queue %d",
			s.ifindex, s.queue, p.ifindex, queue)
	}
	if err := p.objs.XsksMap.Update(uint32(queue), uint32(s.FD()), ebpf.UpdateAny); err != nil {
		return fmt.Errorf("afxdp: xsks_map[%d] = socket: %w", queue, err)
	}
	return nil
}

// Unregister removes queue's socket: its packets go to the kernel again.
// (Addition.)
func (p *Program) Unregister(queue int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	err := p.objs.XsksMap.Delete(uint32(queue))
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("afxdp: delete xsks_map[%d]: %w", queue, err)
	}
	return nil
}

// Update replaces the prefix maps (SIGHUP). New entries are added before
// stale ones are removed, deny maps before capture maps, so a packet never
// sees an empty map in between.
func (p *Program) Update(o ProgramOptions) error {
	sets, err := compile(o)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("afxdp: program closed")
	}
	if err := p.apply(sets); err != nil {
		// All or nothing: put the previous prefixes back (they fitted
		// before, so they fit again).
		if rerr := p.apply(p.cur); rerr != nil {
			return fmt.Errorf("%w (and restoring the previous prefixes failed: %v)", err, rerr)
		}
		return err
	}
	p.cur = sets
	return nil
}

// Counters sums the per-CPU counters of the program (see CounterNames).
func (p *Program) Counters() (map[string]uint64, error) {
	m := make(map[string]uint64, len(counterNames))
	var vals []uint64
	for i, name := range counterNames {
		if err := p.objs.Counters.Lookup(uint32(i), &vals); err != nil {
			return nil, fmt.Errorf("afxdp: read counter %s: %w", name, err)
		}
		var sum uint64
		for _, v := range vals {
			sum += v
		}
		m[name] = sum
	}
	return m, nil
}

// Close detaches our link (only ours: another program is never touched)
// and frees the program and its maps.
func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.link != nil {
		errs = append(errs, p.link.Close())
	}
	errs = append(errs, p.objs.Close())
	return errors.Join(errs...)
}

// prefixSets are the validated, masked map contents.
type prefixSets struct {
	pool6, deny6             []xlatdLpm6
	capture4, deny4, shared4 []xlatdLpm4
	sharedPorts              [2]uint16
}

func compile(o ProgramOptions) (prefixSets, error) {
	var s prefixSets
	var err error
	if s.pool6, err = keys6("Pool6", o.Pool6); err != nil {
		return s, err
	}
	if s.deny6, err = keys6("Deny6", o.Deny6); err != nil {
		return s, err
	}
	if s.capture4, err = keys4("Capture4", o.Capture4); err != nil {
		return s, err
	}
	if s.deny4, err = keys4("Deny4", o.Deny4); err != nil {
		return s, err
	}
	if s.shared4, err = keys4("Shared4", o.Shared4); err != nil {
		return s, err
	}
	if len(o.Shared4) > 0 && (o.SharedPorts[0] == 0 || o.SharedPorts[0] > o.SharedPorts[1]) {
		return s, fmt.Errorf("afxdp: SharedPorts %d-%d is not a port range", o.SharedPorts[0], o.SharedPorts[1])
	}
	s.sharedPorts = o.SharedPorts
	return s, nil
}

func keys6(what string, ps []netip.Prefix) ([]xlatdLpm6, error) {
	if len(ps) > maxPrefixes {
		return nil, fmt.Errorf("afxdp: %s: %d prefixes, at most %d", what, len(ps), maxPrefixes)
	}
	out := make([]xlatdLpm6, 0, len(ps))
	for _, p := range ps {
		if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			return nil, fmt.Errorf("afxdp: %s: %v is not an IPv6 prefix", what, p)
		}
		p = p.Masked()
		out = append(out, xlatdLpm6{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As16()})
	}
	return out, nil
}

func keys4(what string, ps []netip.Prefix) ([]xlatdLpm4, error) {
	if len(ps) > maxPrefixes {
		return nil, fmt.Errorf("afxdp: %s: %d prefixes, at most %d", what, len(ps), maxPrefixes)
	}
	out := make([]xlatdLpm4, 0, len(ps))
	for _, p := range ps {
		if !p.IsValid() || !p.Addr().Is4() {
			return nil, fmt.Errorf("afxdp: %s: %v is not an IPv4 prefix", what, p)
		}
		p = p.Masked()
		out = append(out, xlatdLpm4{Prefixlen: uint32(p.Bits()), Addr: p.Addr().As4()})
	}
	return out, nil
}

func (p *Program) apply(s prefixSets) error {
	if err := sync6(p.objs.Deny6, s.deny6); err != nil {
		return fmt.Errorf("afxdp: deny6: %w", err)
	}
	// The shared exceptions before the deny list that they are
	// exceptions of.
	if err := p.objs.Shared4Ports.Update(uint32(0), xlatdPortRange{Lo: s.sharedPorts[0], Hi: s.sharedPorts[1]}, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("afxdp: shared4_ports: %w", err)
	}
	if err := sync4(p.objs.Shared4, s.shared4); err != nil {
		return fmt.Errorf("afxdp: shared4: %w", err)
	}
	if err := sync4(p.objs.Deny4, s.deny4); err != nil {
		return fmt.Errorf("afxdp: deny4: %w", err)
	}
	if err := sync6(p.objs.Pool6, s.pool6); err != nil {
		return fmt.Errorf("afxdp: pool6: %w", err)
	}
	if err := sync4(p.objs.Capture4, s.capture4); err != nil {
		return fmt.Errorf("afxdp: capture4: %w", err)
	}
	return nil
}

// syncMap makes the trie hold exactly want: insert all, then delete keys
// not wanted.
func syncMap[K comparable](m *ebpf.Map, want []K) error {
	keep := make(map[K]bool, len(want))
	one := uint8(1)
	for _, k := range want {
		keep[k] = true
		if err := m.Update(&k, &one, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("insert %v: %w", k, err)
		}
	}
	var stale []K
	var k K
	var v uint8
	it := m.Iterate()
	for it.Next(&k, &v) {
		if !keep[k] {
			stale = append(stale, k)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterate: %w", err)
	}
	for i := range stale {
		if err := m.Delete(&stale[i]); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("delete %v: %w", stale[i], err)
		}
	}
	return nil
}

func sync6(m *ebpf.Map, want []xlatdLpm6) error { return syncMap(m, want) }
func sync4(m *ebpf.Map, want []xlatdLpm4) error { return syncMap(m, want) }
