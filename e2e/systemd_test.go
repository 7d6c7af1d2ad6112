package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unitCaps returns the capabilities packaging/xlatd.service grants
// (CapabilityBoundingSet), for setpriv: "net_admin,bpf,...".
func unitCaps(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "packaging", "xlatd.service"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^CapabilityBoundingSet=(.+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("packaging/xlatd.service has no CapabilityBoundingSet=")
	}
	var caps []string
	for _, c := range strings.Fields(string(m[1])) {
		caps = append(caps, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	return strings.Join(caps, ",")
}

// TestSystemdNotify runs xlatd as packaging/xlatd.service does, with a
// $NOTIFY_SOCKET the test listens on, $WATCHDOG_USEC set, only the unit's
// capabilities (setpriv --bounding-set) and LimitMEMLOCK=infinity, and
// checks the sd_notify messages and their order: READY=1 only once the XDP
// programs are attached and the control socket answers, WATCHDOG=1 while
// running, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload
// (`xlatd reload`, the unit's ExecReload=: exit 0, or 1 for a bad file),
// STOPPING=1 at SIGTERM, exit 0. It also proves the unit's capability list
// is enough to start, translate and stop.
func TestSystemdNotify(t *testing.T) {
	needXlatd(t)
	for _, tool := range []string{"setpriv", "prlimit"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (util-linux)", tool)
		}
	}
	tb := newTestbed(t, "two-armed", true)
	notify := filepath.Join(tb.run, "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	msgs := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()

	sock := filepath.Join(tb.run, "systemd.sock")
	cfg := tb.config()
	if m := socketRE.FindStringSubmatch(cfg); m != nil {
		sock = m[1]
	} else {
		cfg += fmt.Sprintf("\n[control]\nsocket = %q\n", sock)
	}
	path := filepath.Join(tb.run, "systemd.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{tb: tb, log: &syncBuf{}, done: make(chan struct{}), cfg: path, sock: sock}
	// LimitMEMLOCK=infinity, where this machine allows raising the limit
	// (a container without CAP_SYS_RESOURCE does not: then the unit's
	// CAP_IPC_LOCK alone has to make the UMEM work, which it does).
	args := []string{"netns", "exec", tb.e("NSX")}
	if out, err := exec.Command("prlimit", "--memlock=unlimited:unlimited", "true").CombinedOutput(); err == nil {
		args = append(args, "prlimit", "--memlock=unlimited:unlimited", "--")
	} else {
		t.Logf("RLIMIT_MEMLOCK stays as it is (%s): running with CAP_IPC_LOCK only", strings.TrimSpace(string(out)))
	}
	args = append(args, "setpriv", "--bounding-set=-all,"+unitCaps(t), "--inh-caps=-all", "--", xlatdBin, "-config", path)
	d.cmd = exec.Command("ip", args...)
	d.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify, "WATCHDOG_USEC=400000")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		if d.running() {
			_ = d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("xlatd log:\n%s", d.log.String())
		}
	})

	watchdogs := 0
	// next returns the next message that is not a watchdog keep-alive.
	next := func(want string) string {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("notify socket closed waiting for %s", want)
				}
				if m == "WATCHDOG=1" {
					watchdogs++
					continue
				}
				if !strings.HasPrefix(m, want+"\n") && m != want {
					t.Fatalf("got %q, want %s next", m, want)
				}
				return m
			case <-d.done:
				t.Fatalf("xlatd exited (%v) waiting for %s", d.err, want)
			case <-deadline:
				t.Fatalf("no %s within 15 s", want)
			}
		}
	}

	// READY=1 means: XDP attached on both sides, sockets bound.
	m := next("READY=1")
	if !tb.xdpAttached(tb.e("IF6")) || !tb.xdpAttached(tb.e("IF4")) {
		t.Errorf("READY=1 before both XDP programs are attached")
	}
	if _, err := d.stats(); err != nil {
		t.Errorf("READY=1 but the control socket does not answer: %v", err)
	}
	if !strings.Contains(m, "STATUS=") {
		t.Errorf("READY=1 without STATUS: %q", m)
	}
	tb.pingEventually(t, tb.e("NS6"), tb.e("H4_AS6"), 10*time.Second)

	// The watchdog: 400 ms timeout, a keep-alive every 200 ms.
	time.Sleep(time.Second)

	// `xlatd reload` (the unit's ExecReload=, here finding the daemon's PID
	// through the control socket): SIGHUP, then it waits for the outcome.
	reload := func(wantOK bool) {
		t.Helper()
		out, err := tb.exec(tb.e("NSX"), 40*time.Second, xlatdBin, "reload", "-socket", sock)
		if (err == nil) != wantOK {
			t.Errorf("xlatd reload: %v (want success %v)\n%s", err, wantOK, out)
		}
		if pid := fmt.Sprintf("PID %d", d.cmd.Process.Pid); !strings.Contains(out, pid) {
			t.Errorf("xlatd reload does not name %s:\n%s", pid, out)
		}
	}
	// A good reload: RELOADING=1 with a plausible MONOTONIC_USEC, then READY=1.
	reload(true)
	m = next("RELOADING=1")
	var us int64
	if i := strings.Index(m, "MONOTONIC_USEC="); i < 0 {
		t.Errorf("RELOADING=1 without MONOTONIC_USEC: %q", m)
	} else if _, err := fmt.Sscanf(m[i:], "MONOTONIC_USEC=%d", &us); err != nil || us <= 0 {
		t.Errorf("bad MONOTONIC_USEC in %q", m)
	}
	m = next("READY=1")
	if !strings.Contains(m, "reloaded") {
		t.Errorf("READY=1 after reload does not say it reloaded: %q", m)
	}
	// A broken file: `xlatd reload` fails, and still RELOADING=1 then
	// READY=1 (xlatd runs on with the old config), the status saying so.
	if err := os.WriteFile(path, []byte("[translate]\npool6 = \"2001:db8::/33\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reload(false)
	next("RELOADING=1")
	if m = next("READY=1"); !strings.Contains(m, "reload failed") {
		t.Errorf("READY=1 after a failed reload does not say so: %q", m)
	}
	tb.pingEventually(t, tb.e("NS6"), tb.e("H4_AS6"), 5*time.Second)

	if watchdogs < 2 {
		t.Errorf("%d WATCHDOG=1 in over a second with WATCHDOG_USEC=400000, want several", watchdogs)
	}

	// SIGTERM: STOPPING=1, then a clean exit.
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	next("STOPPING=1")
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("xlatd did not stop within 10 s of SIGTERM")
	}
	if d.err != nil {
		t.Errorf("exit: %v", d.err)
	}
	if tb.xdpAttached(tb.e("IF6")) || tb.xdpAttached(tb.e("IF4")) {
		t.Errorf("XDP program left attached")
	}
}
