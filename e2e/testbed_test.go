package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var tbSeq atomic.Int32

// testbed is one copy of the scripts/netns topology, private to a test.
type testbed struct {
	t      *testing.T
	prefix string
	run    string            // run directory
	env    map[string]string // scripts/netns/setup.sh's env file
}

// newTestbed builds topology ("two-armed" or "one-armed") under a unique
// prefix; t.Cleanup removes it. staticNeigh=false leaves ARP/ND to the
// kernels (no permanent neighbour entries); extraEnv goes to setup.sh
// (e.g. XLATD_NETNS_QUEUES=2).
func newTestbed(t *testing.T, topology string, staticNeigh bool, extraEnv ...string) *testbed {
	t.Helper()
	needRoot(t)
	prefix := fmt.Sprintf("e%d-%d", os.Getpid(), tbSeq.Add(1))
	tb := &testbed{t: t, prefix: prefix, run: filepath.Join("/run/xlatd-netns", prefix)}
	env := append(os.Environ(), "XLATD_NS_PREFIX="+prefix, "XLATD_RUN_DIR="+tb.run)
	if !staticNeigh {
		env = append(env, "XLATD_NETNS_STATIC_NEIGH=0")
	}
	env = append(env, extraEnv...)
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(repoRoot, "scripts", "netns", "teardown.sh"))
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("teardown: %v\n%s", err, out)
		}
	})
	cmd := exec.Command(setupPath, topology)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("setup.sh %s: %v\n%s", topology, err, out)
	}
	b, err := os.ReadFile(filepath.Join(tb.run, "env"))
	if err != nil {
		t.Fatal(err)
	}
	tb.env = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && !strings.HasPrefix(k, "#") {
			tb.env[k] = v
		}
	}
	return tb
}

// e returns an entry of the env file (addresses, namespace names).
func (tb *testbed) e(k string) string {
	v, ok := tb.env[k]
	if !ok {
		tb.t.Fatalf("testbed env has no %s", k)
	}
	return v
}

// ip runs "ip ARGS" and fails the test on error.
func (tb *testbed) ip(args ...string) string {
	tb.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		tb.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// exec runs a command in namespace ns with a timeout; it returns the
// combined output and the error.
func (tb *testbed) exec(ns string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ping sends count echo requests from ns to dst and reports whether all
// (want=true) were answered.
func (tb *testbed) ping(ns, dst string, count int) (string, error) {
	return tb.exec(ns, time.Duration(count+3)*time.Second, "ping", "-n", "-c", fmt.Sprint(count), "-i", "0.2", "-W", "2", dst)
}

// pingEventually retries a 1-packet ping for up to d (the daemon may need
// a moment to register its sockets) and fails the test if none succeeds.
func (tb *testbed) pingEventually(t *testing.T, ns, dst string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var out string
	var err error
	for time.Now().Before(deadline) {
		out, err = tb.exec(ns, 3*time.Second, "ping", "-n", "-c", "1", "-W", "1", dst)
		if err == nil {
			return
		}
	}
	t.Fatalf("ping from %s to %s never answered within %v: %v\n%s", ns, dst, d, err, out)
}

// inNS runs fn on an OS thread switched into network namespace ns. Sockets
// fn creates belong to ns and stay there.
func inNS(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: it dies with this goroutine.
		return fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// daemon is a running xlatd.
type daemon struct {
	tb   *testbed
	cmd  *exec.Cmd
	log  *syncBuf
	done chan struct{}
	err  error // exit status, valid after done
	cfg  string
	sock string
	// quiet: the test reports the log itself (no dump at cleanup).
	quiet bool
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// config returns the testbed's xlatd config as setup.sh wrote it (with the
// testbed's own control socket), without the metrics listener. Tests that
// need another config edit this text or write their own.
func (tb *testbed) config() string {
	b, err := os.ReadFile(tb.e("CONFIG"))
	if err != nil {
		tb.t.Fatal(err)
	}
	s := strings.Replace(string(b), `listen = "127.0.0.1:9464"`, `listen = ""`, 1)
	return s
}

var cfgSeq atomic.Int32

var socketRE = regexp.MustCompile(`(?m)^socket = "([^"]+)"`)

// start writes cfg (plus a [control] table with the test's own socket
// unless cfg has one) and runs xlatd in the box namespace; t.Cleanup stops
// it (SIGTERM) and checks the exit status is 0.
func (tb *testbed) start(t *testing.T, cfg string) *daemon {
	t.Helper()
	d, err := tb.tryStart(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// tryStart is start returning an error (start-up failure) instead of
// failing the test.
//
// A start that fails because an AF_XDP bind finds the queue busy is retried
// (3 times, 0.5 s apart) and logged: right after a stop, the kernel may
// still hold the previous instance's sockets (the XSKMAP that references
// them is freed asynchronously). See the README's limitations.
func (tb *testbed) tryStart(t *testing.T, cfg string) (*daemon, error) {
	t.Helper()
	for try := 0; ; try++ {
		d, err := tb.startOnce(t, cfg)
		if err == nil || try == 3 || d.running() || !strings.Contains(d.log.String(), "device or resource busy") {
			return d, err
		}
		t.Logf("xlatd start found an AF_XDP queue busy (previous instance not released yet); retrying in 0.5 s")
		time.Sleep(500 * time.Millisecond)
	}
}

func (tb *testbed) startOnce(t *testing.T, cfg string) (*daemon, error) {
	t.Helper()
	needXlatd(t)
	sock := filepath.Join(tb.run, fmt.Sprintf("xlatd-%d.sock", cfgSeq.Add(1)))
	if m := socketRE.FindStringSubmatch(cfg); m != nil {
		sock = m[1]
	} else {
		cfg += fmt.Sprintf("\n[control]\nsocket = %q\n", sock)
	}
	path := filepath.Join(tb.run, fmt.Sprintf("xlatd-%d.toml", cfgSeq.Add(1)))
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{tb: tb, log: &syncBuf{}, done: make(chan struct{}), cfg: path, sock: sock}
	d.cmd = exec.Command("ip", "netns", "exec", tb.e("NSX"), xlatdBin, "-config", path)
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		if d.running() {
			if code := d.stop(t); code != 0 {
				t.Errorf("xlatd exit status %d after SIGTERM, want 0\n%s", code, d.log.String())
			}
		}
		if t.Failed() && !d.quiet {
			t.Logf("xlatd log (%s):\n%s", path, d.log.String())
		}
	})
	return d, d.waitReady()
}

func (d *daemon) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// waitReady waits until xlatd has attached its XDP program on both
// interfaces and answers `xlatd stats`, or fails the test.
func (d *daemon) waitReady() error {
	tb := d.tb
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if !d.running() {
			return fmt.Errorf("xlatd exited during start-up (%v):\n%s", d.err, d.log.String())
		}
		if tb.xdpAttached(tb.e("IF6")) && tb.xdpAttached(tb.e("IF4")) {
			if _, err := d.stats(); err == nil {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("xlatd not ready after 15 s (XDP on %s: %v, on %s: %v):\n%s", tb.e("IF6"),
		tb.xdpAttached(tb.e("IF6")), tb.e("IF4"), tb.xdpAttached(tb.e("IF4")), d.log.String())
}

// stats runs `xlatd stats -json` against this daemon.
func (d *daemon) stats() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", d.tb.e("NSX"), xlatdBin, "stats", "-json", "-socket", d.sock)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("xlatd stats -json: %w (%s)", err, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("xlatd stats -json: %w: %q", err, out)
	}
	return m, nil
}

// stop sends SIGTERM and returns the exit status (killing after 10 s).
func (d *daemon) stop(t *testing.T) int {
	return d.signal(t, syscall.SIGTERM)
}

func (d *daemon) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if d.running() {
		_ = d.cmd.Process.Signal(sig)
	}
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
		t.Errorf("xlatd did not stop within 10 s of %v", sig)
		return -1
	}
	var ee *exec.ExitError
	if errors.As(d.err, &ee) {
		return ee.ExitCode()
	}
	if d.err != nil {
		return -1
	}
	return 0
}

// xdpAttached reports whether interface ifname of the box has an XDP program.
func (tb *testbed) xdpAttached(ifname string) bool {
	out, err := exec.Command("ip", "-n", tb.e("NSX"), "-d", "link", "show", "dev", ifname).CombinedOutput()
	return err == nil && bytes.Contains(out, []byte("prog/xdp"))
}

var staleNS = regexp.MustCompile(`^e([0-9]+)-[0-9]+-(h6|box|h4|sw)$`)

// removeStale deletes namespaces left by e2e runs whose process is gone
// (a run killed by a timeout does not reach its t.Cleanup).
func removeStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := staleNS.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); err == nil {
			continue // that run is still going
		}
		if pids, err := exec.Command("ip", "netns", "pids", f[0]).Output(); err == nil {
			for _, p := range strings.Fields(string(pids)) {
				_ = exec.Command("kill", "-KILL", p).Run()
			}
		}
		_ = exec.Command("ip", "netns", "delete", f[0]).Run()
		_ = os.RemoveAll(filepath.Join("/run/xlatd-netns", strings.TrimSuffix(f[0], "-"+m[2])))
	}
}
