package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/xlatd/xlatd/batch"
	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/dataplane"
	"github.com/xlatd/xlatd/nat64"
	"github.com/xlatd/xlatd/neigh"
)

// load reads and validates a config file completely, the interfaces
// included.
func load(path string) (*config.Config, error) {
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := c.CheckInterfaces(nil); err != nil {
		return nil, err
	}
	return c, nil
}

// checkCmd validates the file. Interfaces that do not exist in this
// network namespace are reported as warnings, not errors: a config is often
// checked on another host than the one it is for (CI, a deploy step), and
// the daemon itself refuses to start without them.
func checkCmd(path string, stdout, stderr io.Writer) int {
	c, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s:\n%s\n", path, indent(err.Error()))
		return 1
	}
	if err := c.CheckInterfaces(nil); err != nil {
		fmt.Fprintf(stderr, "%s: warning (the daemon would refuse to start here):\n%s\n", path, indent(err.Error()))
	}
	if shared := sharedPool4Here(c); len(shared) > 0 {
		fmt.Fprintf(stderr, "%s: note: nat64.pool4 holds %v, an address of this host: xlatd would take only nat64.ports (%d-%d) to it; the host's own connections must use other ports\n",
			path, shared, c.NAT64.Ports.Lo, c.NAT64.Ports.Hi)
	}
	fmt.Fprintf(stdout, "%s: config OK\n", path)
	return 0
}

func indent(s string) string {
	out := "  "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "  "
		}
	}
	return out
}

type daemon struct {
	log    *slog.Logger
	path   string
	cfg    atomic.Pointer[config.Config]
	src    batch.ConfigSource
	mirror *neigh.Mirror
	dp     *dataplane.Datapath

	mu         sync.Mutex // reload and environment changes
	env        config.Env
	lastLocal  string
	started    time.Time
	stopMirror context.CancelFunc
	ctl        net.Listener
	ctlPath    string
	httpSrv    *http.Server

	reloads    atomic.Uint64
	reloadErrs atomic.Uint64

	sd *systemd // sdnotify.go

	nat *natRuntime // nat64.go; nil in SIIT mode
}

func daemonMain(path string, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(log)
	c, err := load(path)
	if err != nil {
		// Nothing has been touched yet.
		log.Error("invalid configuration, not starting", "file", path, "err", err)
		fmt.Fprintf(stderr, "%s:\n%s\n", path, indent(err.Error()))
		return 1
	}
	d := &daemon{log: log, path: path, started: time.Now(), sd: newSystemd(log)}
	d.cfg.Store(c)
	// Signals from now on: a SIGTERM during start-up stops cleanly after it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := d.start(c); err != nil {
		log.Error("start failed", "err", err)
		d.sd.stopping("start failed: " + err.Error())
		d.shutdown()
		return 1
	}
	d.sd.ready(d)
	if code := d.wait(sigs); code != 0 {
		return code
	}
	d.log.Info("stopped cleanly")
	return 0
}

func (d *daemon) start(c *config.Config) (err error) {
	d.log.Info("starting xlatd", "version", versionString(), "config", d.path, "ipv6", c.Interfaces.IPv6, "ipv4", c.Interfaces.IPv4,
		"mode", c.Translate.Mode, "pool6", c.Translate.Pool6, "eamt", len(c.EAMT), "forward_only", c.Datapath.ForwardOnly)
	// The mirror follows every interface: the box's own addresses (never
	// captured) are on all of them.
	// The control socket first: a second xlatd with the same socket stops
	// here, before touching any interface.
	if err := d.startControl(c); err != nil {
		return err
	}
	var ifx []int
	for _, n := range []string{c.Interfaces.IPv6, c.Interfaces.IPv4} {
		i, err := net.InterfaceByName(n)
		if err != nil {
			return fmt.Errorf("interface %q: %w", n, err)
		}
		ifx = append(ifx, i.Index)
	}
	d.mirror, err = neigh.New(neigh.Options{Logger: d.log, Ifindexes: ifx, OnChange: d.envChanged})
	if err != nil {
		return err
	}
	snap := d.mirror.Snapshot()
	if err := d.startNAT64(c); err != nil {
		return err
	}
	if d.nat != nil {
		if l := dataplane.Pool4Local(c, snap); len(l) > 0 {
			d.log.Info("nat64.pool4 holds addresses of this box: xlatd takes only TCP/UDP ports and ICMP identifiers of nat64.ports to them, the kernel keeps the rest",
				"pool4", l, "ports", fmt.Sprintf("%d-%d", c.NAT64.Ports.Lo, c.NAT64.Ports.Hi))
			if lo, hi, ok := localPortRange(); ok && int(lo) <= int(c.NAT64.Ports.Hi) && int(hi) >= int(c.NAT64.Ports.Lo) {
				d.log.Warn("the kernel's ephemeral ports overlap nat64.ports on a shared pool4 address: replies to the box's own connections from those ports would go to xlatd",
					"ip_local_port_range", fmt.Sprintf("%d-%d", lo, hi), "nat64.ports", fmt.Sprintf("%d-%d", c.NAT64.Ports.Lo, c.NAT64.Ports.Hi),
					"hint", "set net.ipv4.ip_local_port_range outside nat64.ports (or shrink nat64.ports)")
			}
		}
	}
	if err := d.applyEnv(c, snap, true); err != nil {
		return err
	}
	opts := dataplane.Options{Config: c, Mirror: d.mirror, Source: &d.src, Logger: d.log}
	if d.nat != nil {
		opts.NAT64, opts.NAT64Sink = d.nat.plan, d.nat.sink()
	}
	d.dp, err = dataplane.Start(opts)
	if err != nil {
		d.dp = nil
		return explainStart(c, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stopMirror = cancel
	go func() {
		if err := d.mirror.Run(ctx); err != nil {
			d.log.Error("neighbour mirror stopped", "err", err)
		}
	}()
	info := d.dp.Info()
	if6, if4 := d.dp.Interfaces()
	cfg := d.src.Load()
	d.log.Info("datapath running", "xdp_mode", info.XDPMode, "zerocopy", info.ZeroCopy, "shared_umem", info.SharedUMEM,
		"multi_buffer", info.MultiBuffer, "napi_busy_poll", info.NAPIBusyPoll,
		"queues", info.Queues, "one_armed", info.OneArmed,
		"ipv6_if", if6.Name, "ipv4_if", if4.Name, "mtu6", cfg.MTU6, "mtu4", cfg.MTU4,
		"icmpv4_source", cfg.ICMPv4Source, "icmpv6_source", cfg.ICMPv6Source)
	if !cfg.ICMPv4Source.IsValid() || !cfg.ICMPv6Source.IsValid() {
		d.log.Warn("no source address for some ICMP errors xlatd originates; they are dropped (drop.icmp_no_source)",
			"hint", "set translate.ipv4_address / translate.ipv6_address or give the interfaces global addresses")
	}
	if d.ctl != nil {
		go d.serveControl(d.ctl)
	}
	if err := d.startMetrics(c); err != nil {
		return err
	}
	return nil
}

// envOf reads the interface MTUs and addresses the translator needs.
func envOf(c *config.Config, snap *neigh.Snapshot) config.Env {
	var e config.Env
	if i := snap.IfaceByName(c.Interfaces.IPv4); i != nil {
		e.MTU4, e.Addr4 = i.MTU, i.Global4()
	}
	if i := snap.IfaceByName(c.Interfaces.IPv6); i != nil {
		e.MTU6, e.Addr6 = i.MTU, i.Global6()
	}
	return e
}

// applyEnv builds and stores the translator configuration when the config
// or the environment changed.
func (d *daemon) applyEnv(c *config.Config, snap *neigh.Snapshot, force bool) error {
	env := envOf(c, snap)
	if !force && env == d.env {
		return nil
	}
	bc, err := d.batchConfig(c, env)
	if err != nil {
		return err
	}
	d.env = env
	d.src.Store(bc)
	return nil
}

// envChanged is the mirror's OnChange: MTUs and addresses feed the
// translator's configuration, and the box's addresses the XDP programs.
func (d *daemon) envChanged(snap *neigh.Snapshot) {
	c := d.cfg.Load()
	if c == nil || d.dp == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.env
	if err := d.applyEnv(c, snap, false); err != nil {
		d.log.Warn("cannot apply interface change", "err", err)
	} else if old != d.env {
		d.log.Info("interface attributes changed", "mtu6", d.env.MTU6, "mtu4", d.env.MTU4, "addr6", d.env.Addr6, "addr4", d.env.Addr4)
	}
	l4, l6 := snap.LocalPrefixes()
	key := fmt.Sprint(l4, l6)
	if key != d.lastLocal {
		d.lastLocal = key
		if err := d.dp.Update(c, snap); err != nil {
			d.log.Warn("cannot update the XDP programs' prefixes", "err", err)
		}
	}
}

// reload is SIGHUP: re-read, validate all, swap atomically; on error keep
// the old configuration.
func (d *daemon) reload() {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.cfg.Load()
	c, err := load(d.path)
	if err == nil {
		var bc *batch.Config
		var plan *nat64.Plan
		bc, err = d.batchConfig(c, envOf(c, d.mirror.Snapshot()))
		if err == nil {
			plan, err = d.reloadNAT64(old, c)
		}
		if err == nil {
			if diff := restartOnly(old, c); len(diff) > 0 {
				d.log.Warn("reload: these keys take effect only at the next start; keeping the running values", "keys", diff)
				keepRestartOnly(old, c)
			}
			if err = d.dp.Update(c, d.mirror.Snapshot()); err == nil {
				if err = d.applyPlan(plan); err == nil {
					if plan != nil {
						bc.NAT64 = plan
					}
					d.env = envOf(c, d.mirror.Snapshot())
					d.src.Store(bc)
					d.cfg.Store(c)
				} else if uerr := d.dp.Update(old, d.mirror.Snapshot()); uerr != nil {
					err = errors.Join(err, uerr)
				}
			}
		}
	}
	if err != nil {
		d.reloadErrs.Add(1)
		d.log.Error("reload failed, keeping the running configuration", "file", d.path, "err", err)
		return
	}
	d.reloads.Add(1)
	d.log.Info("configuration reloaded", "file", d.path, "pool6", c.Translate.Pool6, "eamt", len(c.EAMT))
}

// restartOnly lists the keys that differ between a and b and cannot change
// without a restart.
func restartOnly(a, b *config.Config) []string {
	var diff []string
	ia, ib := a.Interfaces, b.Interfaces
	ia.Capture4, ib.Capture4, ia.Deny4, ib.Deny4 = nil, nil, nil, nil
	if !reflect.DeepEqual(ia, ib) {
		diff = append(diff, "interfaces")
	}
	if !reflect.DeepEqual(a.Datapath, b.Datapath) { // holds a slice (cpus)
		diff = append(diff, "datapath")
	}
	if a.Metrics != b.Metrics {
		diff = append(diff, "metrics")
	}
	if a.Control != b.Control {
		diff = append(diff, "control")
	}
	return diff
}

func keepRestartOnly(old, c *config.Config) {
	c4, d4 := c.Interfaces.Capture4, c.Interfaces.Deny4
	c.Interfaces = old.Interfaces
	c.Interfaces.Capture4, c.Interfaces.Deny4 = c4, d4
	c.Datapath, c.Metrics, c.Control = old.Datapath, old.Metrics, old.Control
}

func (d *daemon) wait(sigs chan os.Signal) int {
	for s := range sigs {
		if s == syscall.SIGHUP {
			d.log.Info("SIGHUP: reloading", "file", d.path)
			d.sd.reloading(d.path)
			errs := d.reloadErrs.Load()
			d.reload()
			d.sd.reloaded(d, errs)
			continue
		}
		d.log.Info("stopping", "signal", s.String())
		d.sd.stopping(s.String())
		break
	}
	return d.shutdown()
}

func (d *daemon) shutdown() int {
	code := 0
	if d.dp != nil {
		if err := d.dp.Stop(); err != nil {
			d.log.Error("datapath stop", "err", err)
			code = 1
		}
	}
	d.nat.stop() // after the workers: nobody writes mapping events any more
	if d.stopMirror != nil {
		d.stopMirror()
	}
	if d.ctl != nil {
		d.ctl.Close()
		os.Remove(d.ctlPath)
	}
	if d.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		d.httpSrv.Shutdown(ctx)
		cancel()
	}
	if d.mirror != nil {
		d.mirror.Close()
	}
	return code
}

func (d *daemon) startMetrics(c *config.Config) error {
	if c.Metrics.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", c.Metrics.Listen)
	if err != nil {
		return fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", d.metricsHandler())
	d.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := d.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("metrics server stopped", "err", err)
		}
	}()
	d.log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return nil
}

func (d *daemon) startControl(c *config.Config) error {
	p := c.Control.Socket
	if p == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("control.socket: %w", err)
	}
	if conn, err := net.DialTimeout("unix", p, 200*time.Millisecond); err == nil {
		conn.Close()
		return fmt.Errorf("control.socket: another xlatd is listening on %s", p)
	}
	os.Remove(p)
	ln, err := net.Listen("unix", p)
	if err != nil {
		return fmt.Errorf("control.socket: %w", err)
	}
	os.Chmod(p, 0o600)
	d.ctl, d.ctlPath = ln, p
	return nil
}

// explainStart names the config key behind a start-up failure where one
// is plainly responsible.
func explainStart(c *config.Config, err error) error {
	msg := err.Error()
	switch {
	case c.Interfaces.ZeroCopy == "on" && strings.Contains(msg, "AF_XDP socket"):
		return fmt.Errorf("interfaces.zerocopy = \"on\": %w (the driver may not support zero-copy; try \"auto\")", err)
	case c.Interfaces.XDPMode != "auto" && strings.Contains(msg, "attach XDP program"):
		return fmt.Errorf("interfaces.xdp_mode = %q: %w", c.Interfaces.XDPMode, err)
	}
	return err
}
