package sdnotify

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func recv(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotify(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify"),
		fmt.Sprintf("@xlatd-sdnotify-test-%d", os.Getpid()), // abstract
	} {
		c := listen(t, name)
		t.Setenv("NOTIFY_SOCKET", name)
		n := FromEnv()
		if !n.Enabled() || os.Getenv("NOTIFY_SOCKET") != "" {
			t.Fatalf("%s: not enabled, or NOTIFY_SOCKET left for children", name)
		}
		if err := n.Ready("running\non two lines"); err != nil {
			t.Fatal(err)
		}
		if got := recv(t, c); got != "READY=1\nSTATUS=running on two lines" {
			t.Errorf("%s: got %q", name, got)
		}
		before := Monotonic().Microseconds()
		_ = n.Reloading("reloading")
		got := recv(t, c)
		var us int64
		if _, err := fmt.Sscanf(strings.Split(got, "\n")[1], "MONOTONIC_USEC=%d", &us); err != nil ||
			!strings.HasPrefix(got, "RELOADING=1\n") || us < before || us > Monotonic().Microseconds() {
			t.Errorf("%s: reloading sent %q", name, got)
		}
		_ = n.Stopping("bye")
		if got := recv(t, c); got != "STOPPING=1\nSTATUS=bye" {
			t.Errorf("%s: got %q", name, got)
		}
		_ = n.Watchdog()
		if got := recv(t, c); got != "WATCHDOG=1" {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestDisabled(t *testing.T) {
	for _, name := range []string{"", "relative/path", "vsock:2:1"} {
		n := New(name)
		if n.Enabled() || n.Ready("x") != nil {
			t.Errorf("%q: enabled", name)
		}
	}
	var n *Notifier
	if n.Enabled() {
		t.Error("nil notifier enabled")
	}
	// A socket nobody listens on is an error, not a hang.
	if err := New(filepath.Join(t.TempDir(), "none")).Ready(""); err == nil {
		t.Error("no error for a missing socket")
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, c := range []struct {
		usec, pid string
		want      time.Duration
		err       bool
	}{
		{"", "", 0, false},
		{"30000000", "", 15 * time.Second, false},
		{"30000000", fmt.Sprint(os.Getpid()), 15 * time.Second, false},
		{"30000000", "1", 0, false}, // another process's watchdog
		{"0", "", 0, true},
		{"x", "", 0, true},
	} {
		t.Setenv("WATCHDOG_USEC", c.usec)
		t.Setenv("WATCHDOG_PID", c.pid)
		got, err := WatchdogInterval()
		if got != c.want || (err != nil) != c.err {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v (error %v)", c.usec, c.pid, got, err, c.want, c.err)
		}
	}
}
