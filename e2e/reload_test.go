package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// counter returns one counter of `xlatd stats -json` (-1 when unreadable).
func (d *daemon) counter(name string) float64 {
	m, err := d.stats()
	if err != nil {
		return -1
	}
	c, _ := m["counters"].(map[string]any)
	v, ok := c[name].(float64)
	if !ok {
		return -1
	}
	return v
}

// counterSum adds every counter whose name starts with prefix.
func (d *daemon) counterSum(prefix string) float64 {
	m, err := d.stats()
	if err != nil {
		return -1
	}
	c, _ := m["counters"].(map[string]any)
	sum := 0.0
	for k, v := range c {
		if f, ok := v.(float64); ok && strings.HasPrefix(k, prefix) {
			sum += f
		}
	}
	return sum
}

// waitCounter polls until counter name reaches want (bounded).
func (d *daemon) waitCounter(t *testing.T, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if d.counter(name) >= want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("counter %s did not reach %v (is %v)", name, want, d.counter(name))
}

// TestReload: SIGHUP swaps a new EAMT in; a bad file on SIGHUP keeps the
// running configuration. The Prometheus endpoint answers meanwhile.
func TestReload(t *testing.T) {
	tb := newTestbed(t, "two-armed", true)
	cfg := strings.Replace(tb.config(), `listen = ""`, `listen = "127.0.0.1:9464"`, 1)
	d := tb.start(t, cfg)
	h6, h4 := tb.e("NS6"), tb.e("NS4")
	tb.pingEventually(t, h4, "203.0.113.6", 10*time.Second) // EAMT 2001:db8:6::/124 <-> 203.0.113.0/28

	// New EAMT: the same IPv6 range is now 203.0.113.16/28 (2001:db8:6::6 = 203.0.113.22).
	newCfg := strings.Replace(cfg, `ipv4 = "203.0.113.0/28"`, `ipv4 = "203.0.113.16/28"`, 1)
	if newCfg == cfg {
		t.Fatal("testbed config has no EAMT line to change")
	}
	if err := os.WriteFile(d.cfg, []byte(newCfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitCounter(t, "config.reloads", 1)
	tb.pingEventually(t, h4, "203.0.113.22", 5*time.Second)
	if out, err := tb.ping(h4, "203.0.113.6", 1); err == nil {
		t.Errorf("old EAMT mapping still answers after reload:\n%s", out)
	}

	// A bad file: refused, the running config stays.
	bad := strings.Replace(newCfg, `pool6 = "2001:db8:100::/40"`, `pool6 = "2001:db8::/33"`, 1)
	if err := os.WriteFile(d.cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitCounter(t, "config.reload_errors", 1)
	if !d.running() {
		t.Fatalf("xlatd exited on a bad reload:\n%s", d.log.String())
	}
	if !strings.Contains(d.log.String(), "pool6") {
		t.Errorf("the refused reload is not explained in the log:\n%s", d.log.String())
	}
	if out, err := tb.ping(h4, "203.0.113.22", 2); err != nil {
		t.Errorf("translation after a refused reload: %v\n%s", err, out)
	}
	if out, err := tb.ping(h6, tb.e("H4_AS6"), 1); err != nil {
		t.Errorf("pool6 translation after a refused reload: %v\n%s", err, out)
	}

	// deny4 through a reload: the XDP program's prefix maps change, the
	// IPv6 host's IPv4 name goes to the kernel (which has no route for it),
	// and comes back with the next reload.
	denied := strings.Replace(newCfg, "xdp_mode = \"auto\"\n", "xdp_mode = \"auto\"\ndeny4 = [\"192.0.2.33/32\"]\n", 1)
	if denied == newCfg {
		t.Fatal("no xdp_mode line to add deny4 after")
	}
	for i, c := range []struct {
		cfg    string
		answer bool
	}{{denied, false}, {newCfg, true}} {
		if err := os.WriteFile(d.cfg, []byte(c.cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = d.cmd.Process.Signal(syscall.SIGHUP)
		d.waitCounter(t, "config.reloads", float64(2+i))
		if c.answer {
			tb.pingEventually(t, h4, tb.e("H6_AS4"), 5*time.Second)
		} else if out, err := tb.ping(h4, tb.e("H6_AS4"), 2); err == nil {
			t.Errorf("deny4 192.0.2.33/32 reloaded, but the ping was still translated:\n%s", out)
		}
	}

	t.Run("metrics", func(t *testing.T) {
		// HTTP/1.0 by hand: the socket must be created on the thread that
		// is in the box namespace (net/http dials from other goroutines).
		var c net.Conn
		err := inNS(tb.e("NSX"), func() (err error) {
			c, err = net.DialTimeout("tcp", "127.0.0.1:9464", 3*time.Second)
			return err
		})
		var body string
		if err == nil {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
			b, rerr := io.ReadAll(c)
			body = string(b)
			if rerr != nil {
				err = rerr
			} else if !strings.HasPrefix(body, "HTTP/1.0 200") && !strings.HasPrefix(body, "HTTP/1.1 200") {
				err = fmt.Errorf("answer %q", body[:min(len(body), 40)])
			}
		}
		if err != nil {
			t.Fatalf("GET /metrics in the box namespace: %v", err)
		}
		for _, want := range []string{"# TYPE xlatd_", `xlatd_config_total{counter="reloads"} 3`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	})
}
