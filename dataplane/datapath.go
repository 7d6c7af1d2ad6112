package dataplane

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xlatd/xlatd/afxdp"
	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/nat64"
	"github.com/xlatd/xlatd/nat64/natlog"
	"github.com/xlatd/xlatd/neigh"
	"golang.org/x/sys/unix"
)

// Options configure a Datapath.
type Options struct {
	Config *config.Config
	Mirror *neigh.Mirror
	Source *batch.ConfigSource // the translator's configuration, swapped on reload
	Logger *slog.Logger
	// NAT64 is the stateful NAT64 plan (nil: SIIT only), built for
	// Workers(Config, snapshot) workers: each worker gets a table of its
	// own, whose mapping events go to NAT64Sink.
	NAT64     *nat64.Plan
	NAT64Sink natlog.Sink
}

// Info describes what is in force; logged at start and exported.
type Info struct {
	XDPMode    string // native | generic (per program: "native" or "ipv6=native ipv4=generic")
	ZeroCopy   bool   // every socket is in zero-copy mode
	SharedUMEM bool   // the IPv6- and IPv4-side sockets share their UMEM (no copies)
	// MultiBuffer: every socket takes frames longer than a chunk as chains
	// (XDP_USE_SG); they are translated on the jumbo slow path.
	MultiBuffer bool
	OneArmed    bool
	Queues      int
	// NAPIBusyPoll: datapath.napi_busy_poll is on and every socket took
	// the options of preferred busy polling.
	NAPIBusyPoll bool
}

// Datapath owns the UMEMs, sockets, XDP programs and workers.
type Datapath struct {
	log     *slog.Logger
	cfg     *config.Config
	mirror  *neigh.Mirror
	if6     *neigh.Iface
	if4     *neigh.Iface
	prog6   *afxdp.Program       // one-armed: the only program
	prog4   *afxdp.Program       // nil when one-armed
	opts6   afxdp.ProgramOptions // what prog6's maps hold
	opts4   afxdp.ProgramOptions // what prog4's maps hold
	umems   []*afxdp.UMEM
	sockets []*afxdp.Socket
	workers []*Worker
	stats   []*Stats
	tables  []*nat64.Table
	handoff *Handoffs
	stop    atomic.Bool
	wg      sync.WaitGroup
	info    Info

	mu sync.Mutex // Update
}

// rxQueues returns the number of RX queues of an interface (sysfs), 1 when
// unknown.
func rxQueues(name string) int {
	ents, err := os.ReadDir(filepath.Join("/sys/class/net", name, "queues"))
	if err != nil {
		return 1
	}
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "rx-") {
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return n
}

func xdpMode(s string) afxdp.XDPMode {
	switch s {
	case "native":
		return afxdp.ModeNative
	case "generic":
		return afxdp.ModeGeneric
	}
	return afxdp.ModeAuto
}

func zeroCopyMode(s string) afxdp.ZeroCopyMode {
	switch s {
	case "on":
		return afxdp.ZeroCopyOn
	case "off":
		return afxdp.ZeroCopyOff
	}
	return afxdp.ZeroCopyAuto
}

// queueCounts returns the number of workers and of queues served on the
// IPv6 and IPv4 interfaces.
func queueCounts(c *config.Config, if6, if4 string) (n, n6, n4 int) {
	n6, n4 = rxQueues(if6), rxQueues(if4)
	n = n6
	if !c.Interfaces.OneArmed() && n4 > n {
		n = n4
	}
	q := c.Interfaces.Queues
	if q <= 0 && n > afxdp.MaxQueues {
		q = afxdp.MaxQueues
	}
	if q > 0 {
		n6, n4 = min(n6, q), min(n4, q)
		n = min(n, q)
	}
	return n, n6, n4
}

// Workers is the number of workers Start will run for c: the NAT64 plan
// is built for it.
func Workers(c *config.Config) int {
	n, _, _ := queueCounts(c, c.Interfaces.IPv6, c.Interfaces.IPv4)
	return n
}

// WithTables runs fn on every worker with its NAT64 table, one worker
// after the other, each between two of its vectors (Worker.WithTable).
func (d *Datapath) WithTables(fn func(worker int, t *nat64.Table, now int64), timeout time.Duration) error {
	if len(d.tables) == 0 {
		return ErrNoNAT64
	}
	for i, w := range d.workers {
		if err := w.WithTable(func(t *nat64.Table, now int64) { fn(i, t, now) }, timeout); err != nil {
			return fmt.Errorf("worker %d: %w", i, err)
		}
	}
	return nil
}

// ErrNoWorker is returned by WithTable for a worker number out of range.
var ErrNoWorker = errors.New("no such worker")

// WithTable runs fn on worker i with its NAT64 table (Worker.WithTable).
func (d *Datapath) WithTable(i int, fn TableFunc, timeout time.Duration) error {
	if len(d.tables) == 0 {
		return ErrNoNAT64
	}
	if i < 0 || i >= len(d.workers) {
		return ErrNoWorker
	}
	return d.workers[i].WithTable(fn, timeout)
}

// NAT64 reports whether the workers have NAT64 tables.
func (d *Datapath) NAT64() bool { return len(d.tables) > 0 }

// ProgramPrefixes computes what the XDP programs capture (docs/CONFIG.md,
// "What the XDP program steers to xlatd"): for the IPv6-side program
// (prog6) and the IPv4-side program (prog4); one-armed, prog6 gets both.
func ProgramPrefixes(c *config.Config, snap *neigh.Snapshot) (prog6, prog4 afxdp.ProgramOptions) {
	local4, local6 := snap.LocalPrefixes()
	var pool6, capture4 []netip.Prefix
	if c.Translate.Pool6.IsValid() {
		pool6 = append(pool6, c.Translate.Pool6)
	}
	for _, e := range c.EAMT {
		pool6 = append(pool6, e.IPv6)
		capture4 = append(capture4, e.IPv4)
	}
	capture4 = append(capture4, c.Interfaces.Capture4...)
	var shared4 []netip.Prefix
	var sharedPorts [2]uint16
	if c.Translate.Mode == "nat64" {
		// Replies to the state's mappings. A pool4 address that is also
		// one of the box's own stays in deny4 (the kernel keeps it) with
		// an exception for the pool4 ports (shared4; Pool4Local).
		capture4 = append(capture4, c.NAT64.Pool4...)
		for _, l := range local4 {
			for _, p := range c.NAT64.Pool4 {
				if p.Overlaps(l) {
					shared4 = append(shared4, l)
					break
				}
			}
		}
		if len(shared4) > 0 {
			sharedPorts = [2]uint16{c.NAT64.Ports.Lo, c.NAT64.Ports.Hi}
		}
	}
	if !c.Interfaces.OneArmed() && len(c.Interfaces.Capture4) == 0 {
		// Jool's SIIT on a dedicated IPv4 interface: everything but the
		// box's own addresses and deny4.
		capture4 = []netip.Prefix{netip.PrefixFrom(netip.IPv4Unspecified(), 0)}
	}
	deny4 := append(append([]netip.Prefix(nil), local4...), c.Interfaces.Deny4...)
	mode := xdpMode(c.Interfaces.XDPMode)
	if c.Interfaces.OneArmed() {
		return afxdp.ProgramOptions{Mode: mode, Pool6: pool6, Capture4: capture4, Deny4: deny4, Deny6: local6, Shared4: shared4, SharedPorts: sharedPorts},
			afxdp.ProgramOptions{}
	}
	return afxdp.ProgramOptions{Mode: mode, Pool6: pool6, Deny6: local6},
		afxdp.ProgramOptions{Mode: mode, Capture4: capture4, Deny4: deny4, Shared4: shared4, SharedPorts: sharedPorts}
}

// Pool4Local lists the pool4 prefixes that hold one of the box's own IPv4
// addresses: to those addresses the XDP program captures only what
// belongs to nat64.ports (TCP/UDP destination ports, ICMP identifiers),
// the rest stays with the kernel, whose own connections must then use
// ports outside nat64.ports.
func Pool4Local(c *config.Config, snap *neigh.Snapshot) []netip.Prefix {
	if c.Translate.Mode != "nat64" {
		return nil
	}
	local4, _ := snap.LocalPrefixes()
	var out []netip.Prefix
	for _, p := range c.NAT64.Pool4 {
		for _, l := range local4 {
			if p.Overlaps(l) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// Start builds the datapath: per queue one UMEM, a socket on each side, a
// worker; the XDP programs attached and the sockets registered last, so
// that nothing is redirected before a worker is ready. On error everything
// built so far is torn down.
func Start(o Options) (*Datapath, error) {
	c := o.Config
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &Datapath{log: o.Logger, cfg: c, mirror: o.Mirror}
	if err := d.start(o); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

func (d *Datapath) start(o Options) (err error) {
	c := o.Config
	snap := o.Mirror.Snapshot()
	d.if6 = snap.IfaceByName(c.Interfaces.IPv6)
	d.if4 = snap.IfaceByName(c.Interfaces.IPv4)
	if d.if6 == nil {
		return fmt.Errorf("interfaces.ipv6: interface %q does not exist", c.Interfaces.IPv6)
	}
	if d.if4 == nil {
		return fmt.Errorf("interfaces.ipv4: interface %q does not exist", c.Interfaces.IPv4)
	}
	oneArmed := c.Interfaces.OneArmed()
	d.info.OneArmed = oneArmed
	n, n6, n4 := queueCounts(c, d.if6.Name, d.if4.Name)
	if all := max(rxQueues(d.if6.Name), rxQueues(d.if4.Name)); c.Interfaces.Queues <= 0 && all > afxdp.MaxQueues {
		d.log.Warn("the interfaces have more RX queues than xlatd serves; packets on the others stay with the kernel (xdp.no_socket)",
			"queues", all, "served", afxdp.MaxQueues)
	}
	d.info.Queues = n
	if o.NAT64 != nil {
		if o.NAT64.Workers() != n {
			return fmt.Errorf("nat64: the plan is for %d workers, the datapath has %d", o.NAT64.Workers(), n)
		}
		// Rings between the workers, and with a single worker still
		// the eventfd that wakes it for control requests.
		fs := c.Datapath.FrameSize
		if fs <= 0 {
			fs = 4096
		}
		if d.handoff, err = NewHandoffs(n, fs); err != nil {
			return fmt.Errorf("nat64 hand-off rings: %w", err)
		}
		now := Now()
		for q := 0; q < n; q++ {
			d.tables = append(d.tables, nat64.NewTable(o.NAT64, q, now, o.NAT64Sink))
		}
		d.prefault()
	}
	if !oneArmed && n6 != n4 {
		d.log.Warn("the interfaces have different numbers of RX queues; a worker without a socket on the egress side drops what it cannot send (datapath.no_tx_socket): give both the same channel count (ethtool -L)",
			"ipv6_queues", n6, "ipv4_queues", n4)
	}

	if err := CheckCPUs(c.Datapath.CPUs); err != nil {
		return err
	}
	p6, p4 := ProgramPrefixes(c, snap)
	sopts := afxdp.DefaultSocketOptions()
	sopts.RxSize, sopts.TxSize = c.Datapath.RingSize, c.Datapath.RingSize
	sopts.FillSize, sopts.CompSize = c.Datapath.RingSize, c.Datapath.RingSize
	sopts.ZeroCopy = zeroCopyMode(c.Interfaces.ZeroCopy)
	sopts.MultiBuffer = true // chains go to the jumbo slow path (jumbo.go)
	sopts.BusyPollBudget = c.Datapath.NAPIBusyPoll

	d.info.ZeroCopy, d.info.SharedUMEM, d.info.MultiBuffer = true, true, true
	d.info.NAPIBusyPoll = sopts.BusyPollBudget > 0
	type qsock struct{ s6, s4 *afxdp.Socket }
	qs := make([]qsock, n)
	for q := 0; q < n; q++ {
		u, err := afxdp.NewUMEM(afxdp.UMEMOptions{NumFrames: c.Datapath.Frames, FrameSize: c.Datapath.FrameSize})
		if err != nil {
			return err
		}
		d.umems = append(d.umems, u)
		if q < n6 {
			s, err := d.newSocket(u, d.if6.Index, q, sopts)
			if err != nil {
				return fmt.Errorf("AF_XDP socket on %s queue %d: %w", d.if6.Name, q, err)
			}
			d.sockets = append(d.sockets, s)
			qs[q].s6 = s
			d.info.ZeroCopy = d.info.ZeroCopy && s.ZeroCopy()
			d.info.MultiBuffer = d.info.MultiBuffer && s.MultiBuffer()
			d.checkBusyPoll(s, sopts)
		}
		if !oneArmed && q < n4 {
			s, err := d.newSocket(u, d.if4.Index, q, sopts)
			if err != nil {
				return fmt.Errorf("AF_XDP socket on %s queue %d: %w", d.if4.Name, q, err)
			}
			d.sockets = append(d.sockets, s)
			qs[q].s4 = s
			d.info.ZeroCopy = d.info.ZeroCopy && s.ZeroCopy()
			d.info.MultiBuffer = d.info.MultiBuffer && s.MultiBuffer()
			d.checkBusyPoll(s, sopts)
			if !s.SharedUMEM() {
				d.info.SharedUMEM = false
				d.log.Warn("kernel refused a shared UMEM; frames are copied once between the interfaces",
					"queue", q, "err", s.SharedErr())
			}
		}
	}
	if oneArmed {
		d.info.SharedUMEM = true
	}
	d.warnMTU(c.Datapath.FrameSize)
	if d.info.NAPIBusyPoll {
		d.checkNAPISettings(oneArmed)
	}
	for q := 0; q < n; q++ {
		st := new(Stats)
		wc := WorkerConfig{
			Queue:       q,
			Batch:       c.Datapath.Batch,
			BusyPoll:    c.Datapath.BusyPoll,
			ForwardOnly: c.Datapath.ForwardOnly,
			Config:      o.Source,
			Neigh:       func() NextHops { return o.Mirror.Snapshot() },
			Resolve:     o.Mirror.Resolve,
			Stats:       st,
			Logger:      d.log,
			Index:       q,
			Handoff:     d.handoff,
		}
		if d.tables != nil {
			wc.NAT64 = d.tables[q]
		}
		wc.NAPIBusyPoll = sopts.BusyPollBudget > 0
		if cpus := c.Datapath.CPUs; len(cpus) > 0 {
			wc.Pin, wc.CPU = true, cpus[q%len(cpus)]
		}
		wc.Six = SideConfig{Ifindex: d.if6.Index, MAC: d.if6.MAC}
		wc.Four = SideConfig{Ifindex: d.if4.Index, MAC: d.if4.MAC}
		if s := qs[q].s6; s != nil {
			wc.Six.Port, wc.Six.Mem = s, s.UMEM()
		}
		if oneArmed {
			wc.Four.Port, wc.Four.Mem = wc.Six.Port, wc.Six.Mem
		} else if s := qs[q].s4; s != nil {
			wc.Four.Port, wc.Four.Mem = s, s.UMEM()
		}
		d.workers = append(d.workers, NewWorker(wc))
		d.stats = append(d.stats, st)
	}

	// Touch the interfaces last.
	d.prog6, err = afxdp.LoadProgram(d.if6.Index, p6)
	if err != nil {
		return fmt.Errorf("XDP program on %s: %w", d.if6.Name, err)
	}
	d.opts6 = p6
	d.info.XDPMode = d.prog6.Mode().String()
	if !oneArmed {
		d.prog4, err = afxdp.LoadProgram(d.if4.Index, p4)
		if err != nil {
			return fmt.Errorf("XDP program on %s: %w", d.if4.Name, err)
		}
		d.opts4 = p4
		if m := d.prog4.Mode().String(); m != d.info.XDPMode {
			d.info.XDPMode = "ipv6=" + d.info.XDPMode + " ipv4=" + m
		}
	}
	for q := range qs {
		if s := qs[q].s6; s != nil {
			if err := d.prog6.Register(q, s); err != nil {
				return err
			}
		}
		if s := qs[q].s4; s != nil {
			if err := d.prog4.Register(q, s); err != nil {
				return err
			}
		}
	}
	for _, w := range d.workers {
		d.wg.Add(1)
		go func(w *Worker) {
			defer d.wg.Done()
			for !d.runWorker(w) {
			}
		}(w)
	}
	return nil
}

// runWorker runs w until stopped and reports true, or recovers from a
// panic (a bug: logged with its stack and counted) and reports false so
// that the worker is restarted; the frames of that vector are lost.
func (d *Datapath) runWorker(w *Worker) (stopped bool) {
	defer func() {
		if r := recover(); r != nil {
			if n := w.cfg.Stats.DP[WorkerPanics].Add(1); n <= 5 || n%1000 == 0 {
				d.log.Error("worker panic, restarting it (please report)", "queue", w.cfg.Queue, "panic", r, "stack", string(debug.Stack()), "count", n)
			}
			time.Sleep(10 * time.Millisecond)
			stopped = d.stop.Load()
		}
	}()
	w.Run(&d.stop)
	return true
}

// Info says what is in force.
func (d *Datapath) Info() Info {
	info := d.info
	for _, w := range d.workers {
		if w.NoNAPI() {
			info.NAPIBusyPoll = false // checkNAPI: the kernel cannot busy-poll a socket
		}
	}
	return info
}

// Interfaces returns the IPv6-side and IPv4-side interfaces as found at start.
func (d *Datapath) Interfaces() (if6, if4 *neigh.Iface) { return d.if6, d.if4 }

// Update replaces the XDP programs' prefix maps for a new configuration
// (SIGHUP) or after the box's addresses changed, all or nothing: both
// programs' prefixes are checked before either map is touched, a program
// whose update fails puts its previous prefixes back (afxdp.Program.Update),
// and when the IPv4-side program fails the IPv6-side one gets its previous
// prefixes back too. On error nothing has changed.
func (d *Datapath) Update(c *config.Config, snap *neigh.Snapshot) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p6, p4 := ProgramPrefixes(c, snap)
	var progs []prefixUpdater
	var opts, prev []afxdp.ProgramOptions
	if d.prog6 != nil {
		progs, opts, prev = append(progs, d.prog6), append(opts, p6), append(prev, d.opts6)
	}
	if d.prog4 != nil {
		progs, opts, prev = append(progs, d.prog4), append(opts, p4), append(prev, d.opts4)
	}
	if err := updatePrograms(progs, opts, prev, afxdp.CheckOptions); err != nil {
		return err
	}
	d.opts6, d.opts4 = p6, p4
	d.cfg = c
	return nil
}

// prefixUpdater is what Update needs of an XDP program.
type prefixUpdater interface {
	Update(afxdp.ProgramOptions) error
}

// updatePrograms gives progs[i] the prefixes opts[i], all or nothing: every
// set passes check before the first program is touched, and when a program
// fails (having restored its own maps), the programs updated before it get
// prev[i] back.
func updatePrograms(progs []prefixUpdater, opts, prev []afxdp.ProgramOptions, check func(afxdp.ProgramOptions) error) error {
	for i := range progs {
		if err := check(opts[i]); err != nil {
			return err
		}
	}
	for i, p := range progs {
		if err := p.Update(opts[i]); err != nil {
			var errs []error
			for j := i - 1; j >= 0; j-- {
				if rerr := progs[j].Update(prev[j]); rerr != nil {
					errs = append(errs, fmt.Errorf("restoring the previous prefixes: %w", rerr))
				}
			}
			return errors.Join(append([]error{err}, errs...)...)
		}
	}
	return nil
}

// Snapshot sums the workers' counters.
func (d *Datapath) Snapshot() Snapshot {
	var s Snapshot
	for _, st := range d.stats {
		st.AddTo(&s)
	}
	return s
}

// SocketStats sums XDP_STATISTICS over the sockets.
func (d *Datapath) SocketStats() afxdp.SocketStats {
	var t afxdp.SocketStats
	for _, s := range d.sockets {
		st, err := s.Stats()
		if err != nil {
			continue
		}
		t.RxDropped += st.RxDropped
		t.RxInvalid += st.RxInvalid
		t.TxInvalid += st.TxInvalid
		t.RxRingFull += st.RxRingFull
		t.RxFillRingEmpty += st.RxFillRingEmpty
		t.TxRingEmpty += st.TxRingEmpty
	}
	return t
}

// ProgramCounters sums the XDP programs' counters.
func (d *Datapath) ProgramCounters() map[string]uint64 {
	m := map[string]uint64{}
	for _, p := range []*afxdp.Program{d.prog6, d.prog4} {
		if p == nil {
			continue
		}
		c, err := p.Counters()
		if err != nil {
			continue
		}
		for k, v := range c {
			m[k] += v
		}
	}
	return m
}

// Stop detaches the XDP programs (only ours), stops the workers and frees
// the sockets and UMEMs. It may be called more than once.
func (d *Datapath) Stop() error {
	var errs []error
	for _, p := range []**afxdp.Program{&d.prog6, &d.prog4} {
		if *p != nil {
			errs = append(errs, (*p).Close())
			*p = nil
		}
	}
	d.stop.Store(true)
	d.wg.Wait()
	for _, s := range d.sockets {
		errs = append(errs, s.Close())
	}
	d.sockets = nil
	for _, u := range d.umems {
		errs = append(errs, u.Close())
	}
	d.umems = nil
	for _, t := range d.tables {
		t.Close()
	}
	d.tables = nil
	d.handoff.Close()
	d.handoff = nil
	return errors.Join(errs...)
}

// newSocket binds an AF_XDP socket, retrying for a while when the kernel
// says EBUSY: a previous instance's sockets on the same queue are released
// asynchronously after it exits, so a restart right after a stop can find
// the queue still taken for a moment.
func (d *Datapath) newSocket(u *afxdp.UMEM, ifindex, queue int, o afxdp.SocketOptions) (*afxdp.Socket, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		s, err := afxdp.NewSocket(u, ifindex, queue, o)
		if err == nil || !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return s, err
		}
		d.log.Info("AF_XDP queue still busy, retrying", "ifindex", ifindex, "queue", queue, "err", err)
		time.Sleep(200 * time.Millisecond)
	}
}

// warnMTU warns about interface MTUs whose frames xlatd drops: with
// multi-buffer sockets (XDP_USE_SG) only frames beyond JumboMax; without,
// frames longer than a UMEM chunk holds after its headroom (the kernel
// drops them, counted as socket.rx_dropped).
func (d *Datapath) warnMTU(fs int) {
	if fs <= 0 {
		fs = afxdp.DefaultFrameSize
	}
	for _, ifc := range []*neigh.Iface{d.if6, d.if4} {
		switch {
		case d.info.MultiBuffer && ifc.MTU+14 > JumboMax:
			d.log.Warn("interface MTU is larger than the jumbo slow path takes: longer frames are dropped (datapath.jumbo_too_long); lower the MTU to max_mtu",
				"interface", ifc.Name, "mtu", ifc.MTU, "max_mtu", JumboMax-14)
		case !d.info.MultiBuffer && ifc.MTU+14 > fs-afxdp.Headroom:
			d.log.Warn("interface MTU is larger than a UMEM frame holds and the kernel refused multi-buffer AF_XDP sockets (XDP_USE_SG, Linux >= 6.6; zero-copy drivers may lack it): longer frames are dropped (docs/DESIGN.md, Jumbo frames); lower the MTU to max_mtu, or raise datapath.frame_size if below 4096",
				"interface", ifc.Name, "mtu", ifc.MTU, "frame_size", fs, "max_mtu", fs-afxdp.Headroom-14)
		}
	}
}
