package dataplane

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xlatd/xlatd/afxdp"
)

// Preferred busy polling (datapath.napi_busy_poll, Linux >= 5.11): the
// sockets get SO_PREFER_BUSY_POLL, SO_BUSY_POLL and SO_BUSY_POLL_BUDGET,
// and each worker drives its sockets' NAPI once per loop iteration
// (Worker.busyPoll). For the NAPI to stay with the worker between those
// calls the device needs napi_defer_hard_irqs and gro_flush_timeout
// (Documentation/networking/napi.rst, "Preferred busy polling"); they are
// device-wide settings, so xlatd leaves them to the operator and only
// says when they are missing.

// checkBusyPoll records whether socket s took the busy polling options and
// says so when the kernel refused them (the socket then works as without).
func (d *Datapath) checkBusyPoll(s *afxdp.Socket, o afxdp.SocketOptions) {
	if o.BusyPollBudget <= 0 || s.BusyPolling() {
		return
	}
	d.info.NAPIBusyPoll = false
	d.log.Warn("kernel refused preferred busy polling (datapath.napi_busy_poll, Linux >= 5.11); this socket's receive stays in softirq",
		"ifindex", s.Ifindex(), "queue", s.Queue(), "err", s.BusyPollErr())
}

// NAPISettings reads a device's napi_defer_hard_irqs and gro_flush_timeout
// (ns) from /sys/class/net (of the caller's network namespace).
func NAPISettings(dev string) (deferIRQs, groFlushNs int64, err error) {
	read := func(name string) (int64, error) {
		b, err := os.ReadFile(filepath.Join("/sys/class/net", dev, name))
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	if deferIRQs, err = read("napi_defer_hard_irqs"); err != nil {
		return 0, 0, err
	}
	groFlushNs, err = read("gro_flush_timeout")
	return deferIRQs, groFlushNs, err
}

// checkNAPISettings warns about devices without the settings preferred
// busy polling needs.
func (d *Datapath) checkNAPISettings(oneArmed bool) {
	devs := []string{d.if6.Name}
	if !oneArmed {
		devs = append(devs, d.if4.Name)
	}
	for _, dev := range devs {
		di, gf, err := NAPISettings(dev)
		switch {
		case err != nil:
			d.log.Warn("cannot read the device's NAPI settings for busy polling", "interface", dev, "err", err)
		case di == 0 || gf == 0:
			d.log.Warn("busy polling without napi_defer_hard_irqs and gro_flush_timeout: the device's receive returns to softirq after every poll; set e.g. napi_defer_hard_irqs=2 gro_flush_timeout=200000 in /sys/class/net/DEV/ (docs/CONFIG.md)",
				"interface", dev, "napi_defer_hard_irqs", di, "gro_flush_timeout_ns", gf)
		default:
			d.log.Info("device NAPI settings for preferred busy polling", "interface", dev, "napi_defer_hard_irqs", di, "gro_flush_timeout_ns", gf)
		}
	}
}
