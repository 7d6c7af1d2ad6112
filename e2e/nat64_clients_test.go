package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bg starts name args in namespace ns in the background; t.Cleanup kills
// it (by its own pid) and waits.
func bg(t *testing.T, ns string, log string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	return cmd
}

// TestNAT64Clients: real clients on the IPv6-only host through xlatd
// NAT64: curl to `python3 -m http.server` on the IPv4 host (by address,
// then by name through DNS64 by unbound: www.example has only an A
// record), iperf3 TCP and UDP (2 s each, UDP at 20 Mbit/s).
func TestNAT64Clients(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"curl", "iperf3", "unbound", "dig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	n := newNAT64Base(t)
	h6, h4 := n.e("NS6"), n.e("NS4")
	h4as6 := n.as6(n.e("H4")).String()

	www := filepath.Join(n.run, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		t.Fatal(err)
	}
	const hello = "hello from the IPv4-only host through NAT64"
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte(hello+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bg(t, h4, filepath.Join(n.run, "http.log"), "/usr/bin/python3", "-m", "http.server", "80", "--bind", n.e("H4"), "--directory", www)

	curl := func(url string) (string, error) {
		var out string
		var err error
		for try := 0; try < 10; try++ {
			out, err = n.exec(h6, 8*time.Second, "curl", "-sS", "--max-time", "5", url)
			if err == nil {
				return out, nil
			}
			time.Sleep(500 * time.Millisecond)
		}
		return out, err
	}
	t.Run("curl", func(t *testing.T) {
		out, err := curl("http://[" + h4as6 + "]/")
		if err != nil || strings.TrimSpace(out) != hello {
			t.Fatalf("curl http://[%s]/ from the IPv6-only host: %v\n%s", h4as6, err, out)
		}
		b, _ := readFile(filepath.Join(n.run, "http.log"))
		if !strings.Contains(b, "203.0.113.1") {
			t.Errorf("the web server's log does not show a pool4 client:\n%s", b)
		}
	})

	t.Run("dns64_curl_by_name", func(t *testing.T) {
		script := filepath.Join(repoRoot, "scripts", "netns", "dns64.sh")
		dns64 := func(verb string) (string, error) {
			cmd := exec.Command(script, verb)
			cmd.Env = append(os.Environ(), "XLATD_NS_PREFIX="+n.prefix, "XLATD_RUN_DIR="+n.run)
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		t.Cleanup(func() {
			if out, err := dns64("stop"); err != nil {
				t.Errorf("dns64.sh stop: %v\n%s", err, out)
			}
		})
		if out, err := dns64("start"); err != nil {
			t.Fatalf("dns64.sh start: %v\n%s", err, out)
		}
		out, err := n.exec(h6, 10*time.Second, "dig", "+time=2", "+tries=2", "+short", "AAAA", "www.example", "@"+n.e("BOX6"))
		if err != nil || strings.TrimSpace(out) != h4as6 {
			t.Fatalf("AAAA www.example = %q (%v), want the synthesized %s", strings.TrimSpace(out), err, h4as6)
		}
		out, err = curl("http://www.example/")
		if err != nil || strings.TrimSpace(out) != hello {
			t.Fatalf("curl http://www.example/ (DNS64 + NAT64): %v\n%s", err, out)
		}
	})

	iperf := func(t *testing.T, udp bool) map[string]any {
		t.Helper()
		port := "5201"
		if udp {
			port = "5202"
		}
		bg(t, h4, filepath.Join(n.run, "iperf3-"+port+".log"), "iperf3", "-s", "-1", "-B", n.e("H4"), "-p", port)
		args := []string{"-c", h4as6, "-p", port, "-t", "2", "-J", "--connect-timeout", "2000"}
		if udp {
			args = append(args, "-u", "-b", "20M", "-l", "1200")
		}
		var out string
		var err error
		var m map[string]any
		for try := 0; try < 10; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			b, e := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h6, "iperf3"}, args...)...).Output()
			cancel()
			out, err = string(b), e
			m = nil
			if err == nil {
				err = json.Unmarshal(b, &m)
			}
			if err == nil && m["error"] != nil {
				// e.g. the server is not listening yet.
				err = fmt.Errorf("iperf3: %v", m["error"])
			}
			if err == nil {
				return m
			}
			time.Sleep(300 * time.Millisecond)
		}
		t.Fatalf("iperf3 %v: %v\n%s", args, err, out)
		return nil
	}
	sum := func(m map[string]any, key string) map[string]any {
		end, _ := m["end"].(map[string]any)
		s, _ := end[key].(map[string]any)
		return s
	}
	t.Run("iperf3_tcp", func(t *testing.T) {
		s := sum(iperf(t, false), "sum_received")
		bps, _ := s["bits_per_second"].(float64)
		t.Logf("iperf3 TCP 6->4 through NAT64: %.0f Mbit/s", bps/1e6)
		if bps < 1e6 {
			t.Errorf("iperf3 TCP: %.0f bit/s, want more than 1 Mbit/s", bps)
		}
	})
	t.Run("iperf3_udp", func(t *testing.T) {
		// On the 2-core box the receiving iperf3 is often starved: what its
		// socket buffer overflows with (the IPv4 host's UDP RcvbufErrors)
		// is not the translator's loss.
		rb0 := udpRcvbufErrors(t, h4)
		s := sum(iperf(t, true), "sum")
		rb := udpRcvbufErrors(t, h4) - rb0
		lostN, _ := s["lost_packets"].(float64)
		lost, _ := s["lost_percent"].(float64)
		pk, _ := s["packets"].(float64)
		t.Logf("iperf3 UDP 6->4 through NAT64, 20 Mbit/s: %.0f packets, %.0f (%.2f%%) lost; the receiver's socket buffer overflowed %d times", pk, lostN, lost, rb)
		if pk == 0 || (lostN-float64(rb))/pk > 0.01 {
			t.Errorf("iperf3 UDP: %.0f packets, %.0f lost, only %d of them in the receiver's socket buffer (want the rest < 1%%)", pk, lostN, rb)
		}
	})
}

// udpRcvbufErrors is the UDP RcvbufErrors counter of namespace ns.
func udpRcvbufErrors(t *testing.T, ns string) int {
	t.Helper()
	var v int
	err := inNS(ns, func() error {
		b, err := os.ReadFile("/proc/thread-self/net/snmp") // this thread's namespace
		if err != nil {
			return err
		}
		var head []string
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) == 0 || f[0] != "Udp:" {
				continue
			}
			if head == nil {
				head = f
				continue
			}
			for i, k := range head {
				if k == "RcvbufErrors" && i < len(f) {
					v, err = strconv.Atoi(f[i])
					return err
				}
			}
		}
		return fmt.Errorf("no Udp RcvbufErrors in /proc/net/snmp")
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
