package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xlatd/xlatd/bench/rfc8219"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-prefix", "x", "-cases", "xlatd,kernel", "-sizes", "84,1518", "-dirs", "bidir", "-loss-rates", "1,0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.cases) != 2 || len(o.sizes) != 2 || len(o.dirs) != 1 || len(o.lossRates) != 2 {
		t.Fatalf("%+v", o)
	}
	if !strings.HasSuffix(o.png, ".png") {
		t.Fatal(o.png)
	}
	for _, bad := range [][]string{
		{"-prefix", "x", "-cases", "jool"},
		{"-prefix", "x", "-sizes", "60"},
		{"-prefix", "x", "-dirs", "up"},
		{"-prefix", "x", "-loss-rates", "2"},
		{},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	o, _ := parseFlags([]string{"-prefix", "x"})
	rep := &Report{Cells: []*Cell{
		{Case: "xlatd", Direction: "6to4", FrameSize: 84, ThroughputPPS: 1234567, Steps: make([]rfc8219.Step, 1)},
		{Case: "generator", Direction: "6to4", FrameSize: 84, ThroughputPPS: 2e6, Steps: make([]rfc8219.Step, 1)},
		{Case: "kernel", Direction: "6to4", FrameSize: 84, Error: "boom"},
		{Case: "tayga", Direction: "6to4", FrameSize: 128, ThroughputPPS: 1, Steps: make([]rfc8219.Step, 1)},
	}}
	got := summary(rep, o)
	want := "SUMMARY siit-udp xlatd=1.235 kernel=n/a tayga=n/a afxdp_fwd=n/a generator=2.000"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestSmokeTestbed brings up bench/testbed.sh's namespaces and runs a few
// thousand packets through the generator case and kernel forwarding: the
// orchestrator, testbed script, AF_XDP generator and sinks end to end.
func TestSmokeTestbed(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (namespaces, AF_XDP)")
	}
	for _, tool := range []string{"ip", "taskset", "ethtool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	script, _ := filepath.Abs("../../testbed.sh")
	prefix := fmt.Sprintf("xbst%d", os.Getpid()%100000)
	env := append(os.Environ(), "XB_PREFIX="+prefix, "XB_RUN="+t.TempDir())
	tb := func(args ...string) error {
		cmd := exec.Command(script, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("testbed %v: %v\n%s", args, err, out)
		}
		return nil
	}
	t.Cleanup(func() { _ = tb("down") })
	if err := tb("up"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XB_RUN", env[len(env)-1][len("XB_RUN="):])
	dir := t.TempDir()
	o, err := parseFlags([]string{"-prefix", prefix, "-testbed", script, "-cases", "generator,kernel", "-sizes", "84",
		"-dirs", "6to4", "-trial", "10ms", "-iterations", "2", "-latency-trial", "10ms", "-drain", "30ms",
		"-loss-tolerance", "0.5", "-frames", "2048", "-sink-cpu", "-1", "-gen-cpu", "-1", "-out", filepath.Join(dir, "r.json")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	finish(rep, o)
	line := summary(rep, o)
	t.Log(line)
	if !regexp.MustCompile(`^SUMMARY siit-udp xlatd=n/a kernel=[0-9.]+ tayga=n/a afxdp_fwd=n/a generator=[0-9.]+$`).MatchString(line) {
		t.Fatalf("summary %q", line)
	}
	for _, c := range rep.Cells {
		if c.Error != "" || c.ThroughputPPS <= 0 || c.Latency == nil || c.Latency.Samples == 0 {
			t.Fatalf("%s: throughput %.0f error %q", c.Case, c.ThroughputPPS, c.Error)
		}
	}
	for _, f := range []string{"r.json", "r.png", "r.md", "r-latency.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s not written: %v", f, err)
		}
	}
}

func TestNATFlags(t *testing.T) {
	o, err := parseFlags([]string{"-prefix", "x", "-suite", "nat64"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.cases, ",") != "generator,xlatd,kernel_nat44,tayga_nat44" || len(o.sizes) != 1 || o.sizes[0] != 84 ||
		len(o.dirs) != 1 || len(o.nat.flows) != 2 || o.nat.flows[1] != 1000000 || !strings.Contains(o.out, "nat64-") {
		t.Fatalf("%+v", o)
	}
	for _, bad := range [][]string{
		{"-prefix", "x", "-suite", "nat66"},
		{"-prefix", "x", "-suite", "nat64", "-cases", "tayga"},
		{"-prefix", "x", "-suite", "nat64", "-nat-flows", "0"},
		{"-prefix", "x", "-suite", "nat64", "-nat-flows", "3000000"}, // more than half the default space
		{"-prefix", "x", "-suite", "nat64", "-nat-src-addrs", "129"},
		{"-prefix", "x", "-cases", "kernel_nat44"}, // a nat64 case in the siit suite
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestNATSummaryLines(t *testing.T) {
	o, _ := parseFlags([]string{"-prefix", "x", "-suite", "nat64", "-nat-flows", "10,100"})
	rep := &NATReport{Cases: []*NATCase{
		{Case: "generator", Cells: []*NATCell{{Flows: 10, FrameSize: 84, ThroughputPPS: 9e6, Steps: make([]rfc8219.Step, 1)},
			{Flows: 100, FrameSize: 84, ThroughputPPS: 2e6, Steps: make([]rfc8219.Step, 1)}}},
		{Case: "xlatd", Error: "testbed: xlatd -check refuses the nat64 config"},
		{Case: "kernel_nat44", CPS: 123456.7, CPSSteps: make([]rfc8219.Step, 3), Cells: []*NATCell{
			{Flows: 100, FrameSize: 84, ThroughputPPS: 1234567, Steps: make([]rfc8219.Step, 1)}}},
		{Case: "tayga_nat44", CPS: 5, CPSSteps: make([]rfc8219.Step, 1), CPSError: "boom", Cells: []*NATCell{
			{Flows: 100, FrameSize: 84, Error: "boom", Steps: make([]rfc8219.Step, 1)}}},
	}}
	udp, cps := natSummary(rep, o)
	if want := "SUMMARY nat64-udp xlatd=n/a kernel_nat44=1.235 tayga_nat44=n/a generator=2.000"; udp != want {
		t.Fatalf("got  %s\nwant %s", udp, want)
	}
	if want := "SUMMARY nat64-cps xlatd=n/a kernel_nat44=123457 tayga_nat44=n/a"; cps != want {
		t.Fatalf("got  %s\nwant %s", cps, want)
	}
	var buf strings.Builder
	o.out = filepath.Join(t.TempDir(), "n.json")
	finishNAT(&buf, rep, o)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 2 || lines[len(lines)-2] != udp || lines[len(lines)-1] != cps {
		t.Fatalf("output does not end with the SUMMARY lines:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "xlatd=n/a: testbed: xlatd -check refuses") {
		t.Fatalf("no reason for xlatd's n/a:\n%s", buf.String())
	}
}

// TestSmokeNAT64 runs the nat64 suite with tiny parameters on
// bench/testbed.sh: the generator case and kernel NAT44 (conntrack +
// nftables snat), preliminary phase, state count, setup rate, throughput
// and tear-down, and checks the SUMMARY lines.
func TestSmokeNAT64(t *testing.T) {
	rep, udp, cps := smokeNAT64(t, "generator,kernel_nat44", nil)
	if !regexp.MustCompile(`^SUMMARY nat64-udp xlatd=n/a kernel_nat44=[0-9]+\.[0-9]{3} tayga_nat44=n/a generator=[0-9]+\.[0-9]{3}$`).MatchString(udp) {
		t.Fatalf("summary %q", udp)
	}
	if !regexp.MustCompile(`^SUMMARY nat64-cps xlatd=n/a kernel_nat44=[0-9]+ tayga_nat44=n/a$`).MatchString(cps) {
		t.Fatalf("summary %q", cps)
	}
	k := rep.find("kernel_nat44")
	if k == nil || k.Error != "" || k.CPS <= 0 {
		t.Fatalf("kernel_nat44: %+v", k)
	}
	for _, c := range k.Cells {
		// Every flow of the preliminary phase made a conntrack entry (a
		// little loss is tolerated); the sink, which a busy shared box
		// starves now and then, learned some of them and the replies to
		// those came back.
		if c.Error != "" || c.PrelimSent != c.Flows || c.StateEntries < int64(c.Flows)*9/10 || c.ThroughputPPS <= 0 ||
			c.Learned == 0 || c.ReverseError != "" || c.ReversePPS <= 0 {
			t.Fatalf("kernel_nat44 %d flows: %+v", c.Flows, c)
		}
	}
}

// TestSmokeNAT64Xlatd runs the nat64 suite with tiny parameters for xlatd
// (built here): bench/testbed.sh clear empties its table with `xlatd
// nat64 flush` before the setup trials, and the tear-down is measured
// (or found too fast to resolve), as for the kernel cases.
func TestSmokeNAT64Xlatd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (namespaces, AF_XDP, nftables)")
	}
	bin := filepath.Join(t.TempDir(), "xlatd")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/xlatd").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/xlatd: %v\n%s", err, out)
	}
	rep, udp, cps := smokeNAT64(t, "generator,xlatd", []string{"XLATD=" + bin})
	if !regexp.MustCompile(`^SUMMARY nat64-udp xlatd=[0-9]+\.[0-9]{3} kernel_nat44=n/a tayga_nat44=n/a generator=[0-9]+\.[0-9]{3}$`).MatchString(udp) {
		t.Fatalf("summary %q", udp)
	}
	if !regexp.MustCompile(`^SUMMARY nat64-cps xlatd=[0-9]+ kernel_nat44=n/a tayga_nat44=n/a$`).MatchString(cps) {
		t.Fatalf("summary %q", cps)
	}
	x := rep.find("xlatd")
	if x == nil || x.Error != "" || x.CPS <= 0 || x.CPSError != "" {
		t.Fatalf("xlatd: %+v", x)
	}
	if strings.HasPrefix(x.TeardownNote, "not measured") || x.Teardown <= 0 && !strings.Contains(x.TeardownNote, "faster than the measurement resolves") {
		t.Fatalf("xlatd tear-down: %.0f conn/s, %q", x.Teardown, x.TeardownNote)
	}
	for _, c := range x.Cells {
		if c.Error != "" || c.PrelimSent != c.Flows || c.StateEntries < int64(c.Flows)*9/10 || c.ThroughputPPS <= 0 {
			t.Fatalf("xlatd %d flows: %+v", c.Flows, c)
		}
	}
}

// smokeNAT64 runs the nat64 suite for cases with tiny parameters on a
// testbed of its own (extra environment for bench/testbed.sh) and returns
// the report and its two SUMMARY lines.
func smokeNAT64(t *testing.T, cases string, extraEnv []string) (rep *NATReport, udp, cps string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (namespaces, AF_XDP, nftables)")
	}
	for _, tool := range []string{"ip", "taskset", "ethtool", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make deps)", tool)
		}
	}
	script, _ := filepath.Abs("../../testbed.sh")
	prefix := fmt.Sprintf("xbnt%d", os.Getpid()%100000)
	run := t.TempDir()
	env := append(os.Environ(), "XB_PREFIX="+prefix, "XB_RUN="+run)
	env = append(env, extraEnv...)
	tb := func(args ...string) error {
		cmd := exec.Command(script, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("testbed %v: %v\n%s", args, err, out)
		}
		return nil
	}
	t.Cleanup(func() { _ = tb("down") })
	if err := tb("up"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XB_RUN", run)
	for _, kv := range extraEnv {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	dir := t.TempDir()
	o, err := parseFlags([]string{"-suite", "nat64", "-prefix", prefix, "-testbed", script, "-cases", cases,
		"-nat-flows", "500,3000", "-nat-prelim-rate", "20000", "-trial", "20ms", "-iterations", "2", "-latency-trial", "10ms",
		"-drain", "30ms", "-loss-tolerance", "0.5", "-frames", "2048", "-sink-cpu", "-1", "-gen-cpu", "-1", "-out", filepath.Join(dir, "n.json")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err = runNAT(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	finishNAT(&buf, rep, o)
	t.Log("\n" + buf.String())
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if st, err := os.Stat(filepath.Join(dir, "n.json")); err != nil || st.Size() == 0 {
		t.Fatalf("JSON not written: %v", err)
	}
	return rep, lines[len(lines)-2], lines[len(lines)-1]
}

// TestReportFromSample: the Markdown report and its charts from the sample
// run's JSON (bench/sample): the machine, kernel and command, the SUMMARY
// line unchanged, one table and one chart per direction, the latency table
// and CDF, every image a PNG that exists beside the report.
func TestReportFromSample(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "run.md")
	if err := reportFromJSON(filepath.Join("..", "..", "sample", "bench-sample.json"), md, ""); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"| machine |", "| kernel | 6.18.44", "| command | `bin/xlatd-bench -prefix",
		"SUMMARY siit-udp xlatd=0.173 kernel=0.102 tayga=0.042 afxdp_fwd=0.140 generator=0.279",
		"## siit-udp:", "## Throughput, 4to6", "## Throughput, bidir", "| 1518 |",
		"![throughput 6to4](run.png)", "![throughput 4to6](run-4to6.png)", "![latency CDF, 6to4](run-latency.png)",
		"| 6to4 | xlatd | 0.", "Error bars",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report has no %q", want)
		}
	}
	for _, m := range regexp.MustCompile(`!\[[^]]*\]\(([^)]+)\)`).FindAllStringSubmatch(s, -1) {
		f, err := os.Open(filepath.Join(dir, m[1]))
		if err != nil {
			t.Errorf("image %s: %v", m[1], err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 600 {
			t.Errorf("image %s: %v (%dx%d)", m[1], err, cfg.Width, cfg.Height)
		}
	}
	if err := reportFromJSON(filepath.Join(dir, "none.json"), "", ""); err == nil {
		t.Error("no error for a missing JSON")
	}
}

// TestNATChartsFromSample: the nat64 sample run's JSON (bench/sample) gives
// one PNG per SUMMARY line beside the JSON.
func TestNATChartsFromSample(t *testing.T) {
	b, err := os.ReadFile("../../sample/nat64-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep NATReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(t.TempDir(), "run.json")
	var out strings.Builder
	natCharts(&out, &rep, js)
	for _, suffix := range []string{"-udp.png", "-cps.png"} {
		png := strings.TrimSuffix(js, ".json") + suffix
		p, err := os.ReadFile(png)
		if err != nil || !strings.HasPrefix(string(p), "\x89PNG") {
			t.Errorf("%s: not a PNG (%v); output:\n%s", png, err, out.String())
		}
	}
}
