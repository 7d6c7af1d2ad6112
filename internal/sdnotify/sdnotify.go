// Package sdnotify is the service side of systemd's readiness protocol
// (sd_notify(3)): datagrams such as "READY=1" sent to the unix socket named
// by $NOTIFY_SOCKET. A name starting with '@' is an abstract socket (in the
// sender's network namespace). Without $NOTIFY_SOCKET every call is a no-op,
// so the daemon runs the same under systemd, in a shell or in a test.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Notifier sends state changes to the service manager.
type Notifier struct {
	addr *net.UnixAddr // nil: not run by a service manager
}

// FromEnv reads $NOTIFY_SOCKET. Like sd_notify(3) with unset_environment,
// it does not pass the variable on to the children xlatd may start.
func FromEnv() *Notifier {
	name := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	return New(name)
}

// New returns a Notifier for the socket name ("" = disabled). A leading '@'
// names an abstract socket.
func New(name string) *Notifier {
	if name == "" || (name[0] != '/' && name[0] != '@') {
		return &Notifier{}
	}
	// Go's net package reads a leading '@' as an abstract name too.
	return &Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}
}

// Enabled reports whether a service manager listens.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Notify sends one datagram of newline-separated assignments, e.g.
// "READY=1\nSTATUS=running".
func (n *Notifier) Notify(state ...string) error {
	if !n.Enabled() {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(strings.Join(state, "\n"))); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// Ready: start-up is complete (or a reload finished).
func (n *Notifier) Ready(status string) error {
	return n.Notify("READY=1", "STATUS="+oneLine(status))
}

// Reloading: a reload starts. MONOTONIC_USEC (systemd 253 and later
// require it with Type=notify-reload) is CLOCK_MONOTONIC in microseconds.
func (n *Notifier) Reloading(status string) error {
	return n.Notify("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(Monotonic().Microseconds(), 10), "STATUS="+oneLine(status))
}

// Stopping: the service is shutting down.
func (n *Notifier) Stopping(status string) error {
	return n.Notify("STOPPING=1", "STATUS="+oneLine(status))
}

// Status: free-form text for systemctl status.
func (n *Notifier) Status(status string) error { return n.Notify("STATUS=" + oneLine(status)) }

// Watchdog: keep-alive for WatchdogSec=.
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

// Monotonic is CLOCK_MONOTONIC as a duration since boot.
func Monotonic() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// WatchdogInterval reads $WATCHDOG_USEC (and $WATCHDOG_PID, which must be
// this process when set) and returns the interval at which to send
// WATCHDOG=1: half the timeout, as sd_watchdog_enabled(3) recommends. 0
// means no watchdog.
func WatchdogInterval() (time.Duration, error) {
	us := os.Getenv("WATCHDOG_USEC")
	pid := os.Getenv("WATCHDOG_PID")
	os.Unsetenv("WATCHDOG_USEC")
	os.Unsetenv("WATCHDOG_PID")
	if us == "" {
		return 0, nil
	}
	if pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil {
			return 0, fmt.Errorf("WATCHDOG_PID=%q: %w", pid, err)
		}
		if p != os.Getpid() {
			return 0, nil // meant for another process
		}
	}
	v, err := strconv.ParseUint(us, 10, 63)
	if err != nil || v == 0 {
		return 0, errors.New("WATCHDOG_USEC=" + strconv.Quote(us) + ": not a positive number of microseconds")
	}
	return time.Duration(v) * time.Microsecond / 2, nil
}
