package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/xlatd/xlatd/internal/sdnotify"
)

// systemd tells the service manager (Type=notify, packaging/xlatd.service)
// where the daemon is: READY=1 once the XDP programs are attached and every
// socket (AF_XDP, control, metrics) is bound; RELOADING=1 then READY=1
// around a SIGHUP; STOPPING=1 at a stop; WATCHDOG=1 at half WatchdogSec
// while the control path (d.mu: reloads, interface changes) is not stuck.
// The workers themselves are not probed: an idle worker sleeps in poll(2)
// and shows no progress to tell it from a stuck one.
// Without $NOTIFY_SOCKET it does nothing.
type systemd struct {
	n      *sdnotify.Notifier
	log    *slog.Logger
	stopWD chan struct{}
}

func newSystemd(log *slog.Logger) *systemd {
	return &systemd{n: sdnotify.FromEnv(), log: log}
}

func (s *systemd) send(err error) {
	if err != nil {
		s.log.Warn("cannot notify the service manager", "err", err)
	}
}

// ready is sent once start-up is complete; it also starts the watchdog.
func (s *systemd) ready(d *daemon) {
	if !s.n.Enabled() {
		return
	}
	status := "translating"
	if d.dp != nil {
		info := d.dp.Info()
		status = fmt.Sprintf("translating: %d queue(s), XDP %s, zerocopy %v", info.Queues, info.XDPMode, info.ZeroCopy)
	}
	s.send(s.n.Ready(status))
	iv, err := sdnotify.WatchdogInterval()
	if err != nil {
		s.log.Warn("watchdog not armed", "err", err)
	}
	if iv <= 0 {
		return
	}
	s.log.Info("systemd watchdog armed", "interval", iv)
	s.stopWD = make(chan struct{})
	go func() {
		t := time.NewTicker(iv)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// Only while the daemon's control path is not stuck: a
				// reload or interface change holding d.mu for longer
				// than WatchdogSec gets xlatd restarted.
				d.mu.Lock()
				d.mu.Unlock() //nolint:staticcheck // an empty critical section is the check
				s.send(s.n.Watchdog())
			case <-s.stopWD:
				return
			}
		}
	}()
}

// reloading is sent when a SIGHUP arrives, before the file is read.
func (s *systemd) reloading(path string) {
	s.send(s.n.Reloading("reloading " + path))
}

// reloaded is sent after the reload, whether it succeeded or not: xlatd
// runs on in both cases (with the old config after a failure).
func (s *systemd) reloaded(d *daemon, errsBefore uint64) {
	if !s.n.Enabled() {
		return
	}
	status := "translating: configuration reloaded"
	if d.reloadErrs.Load() != errsBefore {
		status = "translating with the previous configuration: reload failed (see the log)"
	}
	s.send(s.n.Ready(status))
}

func (s *systemd) stopping(why string) {
	if s.stopWD != nil {
		close(s.stopWD)
		s.stopWD = nil
	}
	s.send(s.n.Stopping("stopping: " + why))
}
