package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/dataplane"
	"github.com/xlatd/xlatd/mapping"
	"github.com/xlatd/xlatd/nat64"
	"github.com/xlatd/xlatd/nat64/natlog"
	"github.com/xlatd/xlatd/natlog/ipfix"
)

// The daemon's side of stateful NAT64 (docs/DESIGN.md, "NAT64 in the
// daemon"): the plan, the mapping log and IPFIX, the control requests
// answered from the workers' tables, and reloads.

// mappingQueue is the number of mapping events held between the workers
// and the writer; beyond it events are dropped and counted
// (nat64.mapping_log_dropped).
const mappingQueue = 1 << 16

// requestTimeout bounds the wait for one worker's answer to a request.
const requestTimeout = 2 * time.Second

// retireTimeout bounds the wait for one worker's answer to a reload that
// removes pool4 addresses, or to `nat64 flush`: the worker ends that state
// all at once (about 0.25 µs per session, BenchmarkRetire in nat64).
const retireTimeout = 10 * time.Second

// pageSize is how many BIB entries or sessions one worker copies in one
// request: the worker goes back to its packets between pages.
const pageSize = 1 << 14

// maxListed bounds the entries of one `nat64 bib` or `nat64 sessions`
// answer; beyond it the answer says "truncated".
const maxListed = 1 << 20

type natRuntime struct {
	mu      sync.Mutex // plan (reload) against requests
	plan    *nat64.Plan
	queue   *natlog.Queue
	logDone chan struct{}
	logFile *os.File
	ipfix   *ipfix.Exporter
	owned   [][]int // per worker, per pool4 address: blocks owned (Plan.OwnedBlocks)
}

// ipfixSink hands the mapping events to the IPFIX exporter: the two
// packages were written apart, each with its own event.
type ipfixSink struct{ e *ipfix.Exporter }

func (s ipfixSink) Write(ev natlog.Event) { s.e.Export(ipfixEvent(ev)) }

func ipfixEvent(ev natlog.Event) ipfix.Event {
	out := ipfix.Event{Time: ev.Time, Subscriber: ev.Subscriber, Pool4: ev.Pool4, PortFirst: ev.PortLo, PortLast: ev.PortHi}
	switch ev.Kind {
	case natlog.BlockAlloc:
		out.Kind = ipfix.BlockAllocated
	case natlog.BlockRelease:
		out.Kind = ipfix.BlockReleased
	case natlog.QuotaExceeded:
		out.Kind = ipfix.QuotaExceeded
	case natlog.AddressExhausted:
		out.Kind = ipfix.AddressesExhausted
	}
	return out
}

// startNAT64 builds the plan for the datapath's workers and starts the
// mapping log and the IPFIX exporter; nothing in SIIT mode.
func (d *daemon) startNAT64(c *config.Config) error {
	if c.Translate.Mode != "nat64" {
		return nil
	}
	n := dataplane.Workers(c)
	plan, err := nat64.NewPlan(&c.NAT64, nat64.Options{Workers: n})
	if err != nil {
		return err
	}
	r := &natRuntime{plan: plan}
	for w := 0; w < n; w++ {
		r.owned = append(r.owned, plan.OwnedBlocks(w))
	}
	var out io.Writer = io.Discard
	switch m := c.Log.Mappings; m {
	case "", "off":
	case "stderr":
		out = os.Stderr
	default:
		f, err := os.OpenFile(m, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return fmt.Errorf("log.mappings: %w", err)
		}
		r.logFile, out = f, f
	}
	var extra []natlog.Sink
	if c.Log.IPFIX != "" {
		e, err := ipfix.New(ipfix.Options{Collector: c.Log.IPFIX, Logger: d.log})
		if err != nil {
			r.stop()
			return fmt.Errorf("log.ipfix: %w", err)
		}
		r.ipfix = e
		extra = append(extra, ipfixSink{e})
	}
	r.queue = natlog.NewQueue(mappingQueue)
	r.logDone = make(chan struct{})
	format := c.Log.MappingsFormat
	go func() {
		defer close(r.logDone)
		if err := natlog.Run(r.queue, out, format, extra...); err != nil {
			d.log.Error("mapping log stopped; further events are dropped", "file", c.Log.Mappings, "err", err)
			for range r.queue.Events() { // keep the queue drained
			}
		}
	}()
	d.nat = r
	d.log.Info("nat64 state", "pool4", c.NAT64.Pool4, "ports", fmt.Sprintf("%d-%d", c.NAT64.Ports.Lo, c.NAT64.Ports.Hi),
		"workers", n, "deterministic", c.NAT64.Deterministic, "mappings", c.Log.Mappings, "ipfix", c.Log.IPFIX)
	return nil
}

// stop ends the mapping log (after the workers stopped writing to it) and
// the exporter.
func (r *natRuntime) stop() {
	if r == nil {
		return
	}
	if r.queue != nil {
		r.queue.Close()
		<-r.logDone
		r.queue = nil
	}
	if r.logFile != nil {
		r.logFile.Close()
		r.logFile = nil
	}
	if r.ipfix != nil {
		r.ipfix.Close()
		r.ipfix = nil
	}
}

// sink is where the tables write their mapping events.
func (r *natRuntime) sink() natlog.Sink {
	if r == nil || r.queue == nil {
		return nil
	}
	return r.queue
}

// batchConfig is config.BatchConfig with the NAT64 plan in force.
func (d *daemon) batchConfig(c *config.Config, env config.Env) (*batch.Config, error) {
	bc, err := c.BatchConfig(env)
	if err != nil {
		return nil, err
	}
	if d.nat != nil && c.Translate.Mode == "nat64" {
		d.nat.mu.Lock()
		bc.NAT64 = d.nat.plan
		d.nat.mu.Unlock()
	}
	return bc, nil
}

// reloadNAT64 checks a new configuration's NAT64 keys against the running
// ones and returns the plan to swap in (nil: none, SIIT), or why the
// reload is refused.
func (d *daemon) reloadNAT64(old, c *config.Config) (*nat64.Plan, error) {
	if old.Translate.Mode != c.Translate.Mode {
		return nil, fmt.Errorf("translate.mode: %q -> %q needs a restart (the NAT64 state would start over)", old.Translate.Mode, c.Translate.Mode)
	}
	if c.Translate.Mode != "nat64" || d.nat == nil {
		return nil, nil
	}
	if diff := nat64.ShapingDiff(&old.NAT64, &c.NAT64); len(diff) > 0 {
		return nil, fmt.Errorf("%s: changing these needs a restart (they shape the NAT64 tables; the state would start over)", strings.Join(diff, ", "))
	}
	if old.Log != c.Log {
		return nil, fmt.Errorf("log: changing the mapping log or IPFIX collector needs a restart")
	}
	d.nat.mu.Lock()
	defer d.nat.mu.Unlock()
	return d.nat.plan.Reconfigured(&c.NAT64)
}

// applyPlan gives every worker's table the reloaded plan.
func (d *daemon) applyPlan(q *nat64.Plan) error {
	if q == nil {
		return nil
	}
	var dropped uint64
	if d.nat.queue != nil {
		dropped = d.nat.queue.Dropped()
	}
	timeout := requestTimeout
	if q.Retiring() {
		timeout = retireTimeout
	}
	var ret nat64.Retirement // WithTables runs fn on one worker after the other
	err := d.dp.WithTables(func(_ int, t *nat64.Table, now int64) {
		r := t.SetPlan(q, now)
		ret.Addresses = max(ret.Addresses, r.Addresses)
		ret.BIB += r.BIB
		ret.Sessions += r.Sessions
		ret.Blocks += r.Blocks
	}, timeout)
	if ret.Addresses > 0 {
		var gone []netip.Addr
		for _, a := range q.Pool4Addrs() {
			if q.Retired(a) && len(gone) < 16 {
				gone = append(gone, a)
			}
		}
		d.log.Info("nat64: pool4 addresses removed, their state ended", "addresses", ret.Addresses, "retired", gone,
			"bib_entries", ret.BIB, "sessions", ret.Sessions, "blocks_released", ret.Blocks)
		if d.nat.queue != nil && d.nat.queue.Dropped() > dropped {
			d.log.Error("nat64: the mapping log queue overflowed while the removed addresses' blocks were released: some block-release events are missing",
				"dropped", d.nat.queue.Dropped()-dropped)
		}
	}
	if err != nil {
		if ret.Addresses > 0 {
			// The tables that took the plan keep the removal: each
			// table goes from its own plan to the next one, so a later
			// reload settles every table whatever pool4 it names.
			err = fmt.Errorf("%w (the workers before it already ended the removed pool4 addresses' state)", err)
		}
		return err
	}
	d.nat.mu.Lock()
	d.nat.plan = q
	d.nat.mu.Unlock()
	return nil
}

// BIBJSON is one BIB entry of `xlatd nat64 bib -json`.
type BIBJSON struct {
	Protocol string `json:"protocol"`
	IPv6     string `json:"ipv6"`
	Port6    uint16 `json:"port6"`
	IPv4     string `json:"ipv4"`
	Port4    uint16 `json:"port4"`
	Static   bool   `json:"static"`
}

// SessionJSON is one session of `xlatd nat64 sessions -json`.
type SessionJSON struct {
	Protocol    string `json:"protocol"`
	IPv6        string `json:"ipv6"`
	Port6       uint16 `json:"port6"`
	IPv4        string `json:"ipv4"`
	Port4       uint16 `json:"port4"`
	Remote4     string `json:"remote4"`
	RemotePort  uint16 `json:"remote_port"`
	Remote6     string `json:"remote6"`
	State       string `json:"state"`
	ExpiresInMS int64  `json:"expires_in_ms"`
}

// LookupJSON is one answer of `xlatd nat64 lookup -json`.
type LookupJSON struct {
	Subscriber string `json:"subscriber"`
	IPv4       string `json:"ipv4"`
	Ports      string `json:"ports"`
	Protocol   string `json:"protocol"`
}

// NAT64Reply is the control socket's answer to a "nat64 ..." request.
type NAT64Reply struct {
	Error     string        `json:"error,omitempty"`
	Count     int           `json:"count"`
	Truncated bool          `json:"truncated,omitempty"`
	BIB       []BIBJSON     `json:"bib,omitempty"`
	Sessions  []SessionJSON `json:"sessions,omitempty"`
	Answers   []LookupJSON  `json:"answers,omitempty"`
	Flushed   *FlushJSON    `json:"flushed,omitempty"`
}

// FlushJSON is the answer of `xlatd nat64 flush -json`: the sessions and
// dynamic BIB entries ended, and how long the workers took (from the
// request to the last worker's answer).
type FlushJSON struct {
	Sessions  int     `json:"sessions"`
	BIB       int     `json:"bib"`
	ElapsedMS float64 `json:"elapsed_ms"`
}

func protoName(p nat64.Proto) string {
	switch p {
	case nat64.ProtoTCP:
		return "tcp"
	case nat64.ProtoUDP:
		return "udp"
	case nat64.ProtoICMP:
		return "icmp"
	}
	return strconv.Itoa(int(p))
}

// stateName is the session state as the CLI shows it: "established",
// "v4_init", ... for TCP, "udp" and "icmp" for the others.
func stateName(s string) string { return strings.ToLower(s) }

func rangeJSON(r nat64.DetRange, proto string) LookupJSON {
	return LookupJSON{Subscriber: r.Subscriber.String(), IPv4: r.Addr4.String(), Ports: fmt.Sprintf("%d-%d", r.PortLo, r.PortHi), Protocol: proto}
}

// nat64Request answers "nat64 bib", "nat64 sessions" and "nat64 lookup ARG"
// from the workers' tables, and "nat64 flush" by emptying them.
func (d *daemon) nat64Request(req string) NAT64Reply {
	if d.dp == nil || !d.dp.NAT64() {
		return NAT64Reply{Error: dataplane.ErrNoNAT64.Error()}
	}
	what, arg, _ := strings.Cut(strings.TrimSpace(req), " ")
	var r NAT64Reply
	var err error
	switch what {
	case "bib":
		err = d.eachPage(func(t *nat64.Table, now int64, from int) int {
			es, next := t.BIB(make([]nat64.BIBEntry, 0, pageSize), from)
			for _, e := range es {
				r.BIB = append(r.BIB, BIBJSON{protoName(e.Proto), e.Addr6.String(), e.Port6, e.Addr4.String(), e.Port4, e.Static})
			}
			return next
		}, func() bool { return len(r.BIB) >= maxListed })
		r.Count, r.Truncated = len(r.BIB), len(r.BIB) >= maxListed
	case "sessions":
		m := d.src.Load().Map
		err = d.eachPage(func(t *nat64.Table, now int64, from int) int {
			ss, next := t.Sessions(now, make([]nat64.SessionEntry, 0, pageSize), from)
			for _, s := range ss {
				r.Sessions = append(r.Sessions, SessionJSON{protoName(s.Proto), s.Addr6.String(), s.Port6, s.Addr4.String(), s.Port4,
					s.Remote4.String(), s.RemotePort, remote6(m, s.Remote4), stateName(s.State), s.Expires.Milliseconds()})
			}
			return next
		}, func() bool { return len(r.Sessions) >= maxListed })
		r.Count, r.Truncated = len(r.Sessions), len(r.Sessions) >= maxListed
	case "lookup":
		r.Answers, err = d.lookupRunning(arg)
		r.Count = len(r.Answers)
	case "flush":
		r.Flushed, err = d.flush()
	case "count":
		err = d.dp.WithTables(func(_ int, t *nat64.Table, _ int64) {
			s, _, _, _ := t.Len()
			r.Count += s
		}, requestTimeout)
	default:
		err = fmt.Errorf("unknown request nat64 %q (bib, sessions, lookup ARG, flush)", what)
	}
	if err != nil {
		return NAT64Reply{Error: err.Error()}
	}
	return r
}

// flush ends every worker's dynamic state (Table.Flush), one worker after
// the other, each between two of its vectors.
func (d *daemon) flush() (*FlushJSON, error) {
	var dropped uint64
	if d.nat != nil && d.nat.queue != nil {
		dropped = d.nat.queue.Dropped()
	}
	var f FlushJSON
	start := time.Now()
	err := d.dp.WithTables(func(_ int, t *nat64.Table, now int64) {
		s, b := t.Flush(now)
		f.Sessions += s
		f.BIB += b
	}, retireTimeout)
	took := time.Since(start)
	f.ElapsedMS = float64(took.Microseconds()) / 1000
	d.log.Info("nat64: state flushed", "sessions", f.Sessions, "bib_entries", f.BIB, "elapsed", took.Round(time.Microsecond))
	if d.nat != nil && d.nat.queue != nil && d.nat.queue.Dropped() > dropped {
		d.log.Error("nat64: the mapping log queue overflowed during the flush: some block-release events are missing",
			"dropped", d.nat.queue.Dropped()-dropped)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (the workers before it flushed their state: %d sessions, %d BIB entries)", err, f.Sessions, f.BIB)
	}
	return &f, nil
}

// eachPage pages through every worker's table: page copies from position
// from and returns the next position (-1 at the end).
func (d *daemon) eachPage(page func(t *nat64.Table, now int64, from int) int, full func() bool) error {
	for w := 0; ; w++ {
		from := 0
		for from >= 0 && !full() {
			f := from
			var next int
			err := d.dp.WithTable(w, func(t *nat64.Table, now int64) { next = page(t, now, f) }, requestTimeout)
			if errors.Is(err, dataplane.ErrNoWorker) {
				return nil
			}
			if err != nil {
				return err
			}
			from = next
		}
		if full() {
			return nil
		}
	}
}

func remote6(m *mapping.Table, a netip.Addr) string {
	if m == nil || !a.Is4() {
		return ""
	}
	v4 := a.As4()
	var out [16]byte
	if m.To6(&v4, &out) != mapping.OK {
		return ""
	}
	return netip.AddrFrom16(out).String()
}

// parseLookup parses `nat64 lookup`'s argument: ADDR4:PORT or ADDR6.
func parseLookup(arg string) (a4 netip.AddrPort, a6 netip.Addr, err error) {
	arg = strings.TrimSpace(arg)
	if ap, err := netip.ParseAddrPort(arg); err == nil && ap.Addr().Is4() {
		return ap, netip.Addr{}, nil
	}
	if a, err := netip.ParseAddr(arg); err == nil && a.Is6() && !a.Is4In6() {
		return netip.AddrPort{}, a, nil
	}
	return netip.AddrPort{}, netip.Addr{}, fmt.Errorf("%q is neither ADDR4:PORT nor an IPv6 address", arg)
}

// lookupPlan answers from the configuration alone (deterministic mode).
func lookupPlan(p *nat64.Plan, arg string) ([]LookupJSON, error) {
	a4, a6, err := parseLookup(arg)
	if err != nil {
		return nil, err
	}
	var r nat64.DetRange
	var ok bool
	if a6.IsValid() {
		r, ok = p.DetForward(a6)
	} else {
		r, ok = p.DetReverse(a4.Addr(), a4.Port())
	}
	if !ok {
		return nil, nil
	}
	return []LookupJSON{rangeJSON(r, "")}, nil
}

// lookupStatic answers from the config's static BIB entries: ADDR4:PORT
// held by one (any protocol), or ADDR6's entries.
func lookupStatic(c *config.Config, arg string) ([]LookupJSON, error) {
	a4, a6, err := parseLookup(arg)
	if err != nil {
		return nil, err
	}
	var out []LookupJSON
	for _, st := range c.NAT64.Static {
		if a6.IsValid() && st.IPv6 == a6 || a4.IsValid() && st.IPv4 == a4.Addr() && st.Port4 == int(a4.Port()) {
			out = append(out, LookupJSON{netip.PrefixFrom(st.IPv6, 128).String(), st.IPv4.String(), strconv.Itoa(st.Port4), st.Protocol})
		}
	}
	return out, nil
}

// lookupRunning answers from the running tables (dynamic mode).
func (d *daemon) lookupRunning(arg string) ([]LookupJSON, error) {
	a4, a6, err := parseLookup(arg)
	if err != nil {
		return nil, err
	}
	var out []LookupJSON
	err = d.dp.WithTables(func(_ int, t *nat64.Table, _ int64) {
		if a6.IsValid() {
			for _, r := range t.SubscriberBlocks(a6, nil) {
				out = append(out, rangeJSON(r, ""))
			}
		} else if r, ok := t.PortHolder(a4.Addr(), a4.Port()); ok {
			out = append(out, rangeJSON(r, ""))
		}
	}, requestTimeout)
	if err != nil {
		return nil, err
	}
	return out, err
}

// localPortRange reads the kernel's ephemeral port range
// (net.ipv4.ip_local_port_range) of this network namespace.
func localPortRange() (lo, hi uint16, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(f[0], 10, 16)
	h, err2 := strconv.ParseUint(f[1], 10, 16)
	return uint16(l), uint16(h), err1 == nil && err2 == nil
}

// sharedPool4Here lists the IPv4 addresses of this network namespace that
// lie in nat64.pool4 (for -check).
func sharedPool4Here(c *config.Config) []netip.Addr {
	if c.Translate.Mode != "nat64" {
		return nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok || !ip.Unmap().Is4() {
			continue
		}
		for _, p := range c.NAT64.Pool4 {
			if p.Contains(ip.Unmap()) {
				out = append(out, ip.Unmap())
				break
			}
		}
	}
	return out
}
