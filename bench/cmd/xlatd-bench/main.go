// Command xlatd-bench runs the RFC 8219 measurements of bench/rfc8219 on
// the netns testbed of bench/testbed.sh: for each case (the generator
// straight into the sink, xlatd, xlatd's AF_XDP path forwarding without
// translation, kernel forwarding, TAYGA) it starts the DUT, searches the
// zero-loss throughput per direction and frame size, measures latency at
// that rate, and writes a table, JSON, a PNG chart and one SUMMARY line.
//
//	xlatd-bench -prefix xb123 -testbed bench/testbed.sh -out bench/results/run.json
//
// It expects the testbed to be up (bench/run.sh does all of it).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xlatd/xlatd/bench/gen"
	"github.com/xlatd/xlatd/bench/port"
	"github.com/xlatd/xlatd/bench/rfc8219"
)

// Cases in the order they run; "generator" first, it is the ceiling.
var allCases = []string{"generator", "afxdp_fwd", "xlatd", "kernel", "tayga"}

type options struct {
	suite                     string // siit | nat64
	nat                       natOptions
	prefix, testbed, out, png string
	cases                     []string
	sizes                     []int
	dirs                      []rfc8219.Direction
	search                    rfc8219.SearchConfig
	latencyTrial, drain       time.Duration
	lossRates                 []float64
	budget                    time.Duration
	genCPU, sinkCPU           int
	batch                     int
	frames                    int
	verbose                   bool
	sinkNAPI                  bool
	afPacket                  bool
}

// Cell is one (case, direction, frame size) measurement.
type Cell struct {
	Case           string              `json:"case"`
	Direction      string              `json:"direction"`
	FrameSize      int                 `json:"frame_size"`
	ThroughputPPS  float64             `json:"throughput_pps"`
	GeneratorBound bool                `json:"generator_bound"`
	CeilingPPS     float64             `json:"generator_ceiling_pps"`
	LossAtMax      float64             `json:"loss_rate_at_max"`
	FwdAtMaxPPS    float64             `json:"forwarding_rate_at_max_pps"` // received rate of the unpaced trial (RFC 2889 forwarding rate at overload)
	Steps          []rfc8219.Step      `json:"steps"`
	Latency        *rfc8219.Latency    `json:"latency,omitempty"`
	LatencyHist    []gen.Bucket        `json:"latency_buckets,omitempty"`
	Loss           []rfc8219.LossPoint `json:"frame_loss,omitempty"`
	Error          string              `json:"error,omitempty"`
}

// Report is the JSON document of a run.
type Report struct {
	Started   time.Time         `json:"started"`
	Finished  time.Time         `json:"finished"`
	Command   string            `json:"command"`
	Machine   string            `json:"machine,omitempty"`
	Kernel    string            `json:"kernel"`
	CPUs      int               `json:"cpus"`
	GenCPU    int               `json:"generator_cpu"`
	SinkCPU   int               `json:"sink_cpu"`
	Trial     string            `json:"trial"`
	Precision float64           `json:"precision"`
	Tolerance float64           `json:"loss_tolerance"`
	Cases     []string          `json:"cases"`
	CaseError map[string]string `json:"case_errors,omitempty"`
	Cells     []*Cell           `json:"cells"`
	// GeneratorTXPPS is the best unpaced send rate of the run.
	GeneratorTXPPS float64 `json:"generator_tx_pps"`
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-nat-report" || os.Args[1] == "--nat-report") {
		os.Exit(natReportMain(os.Args[2:]))
	}
	if len(os.Args) > 1 && (os.Args[1] == "-report" || os.Args[1] == "--report") {
		os.Exit(reportMain(os.Args[2:]))
	}
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if o.suite == "nat64" {
		rep, err := runNAT(ctx, o)
		if rep != nil {
			finishNAT(os.Stdout, rep, o)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
			os.Exit(1)
		}
		return
	}
	rep, err := run(ctx, o)
	if rep != nil {
		finish(rep, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("xlatd-bench", flag.ContinueOnError)
	fs.StringVar(&o.prefix, "prefix", os.Getenv("XB_PREFIX"), "testbed namespace prefix (bench/testbed.sh's XB_PREFIX)")
	fs.StringVar(&o.testbed, "testbed", "bench/testbed.sh", "testbed script (start/stop CASE)")
	fs.StringVar(&o.out, "out", "", "JSON output file (default bench/results/bench-<time>.json)")
	fs.StringVar(&o.png, "png", "", "PNG chart (default: the JSON name with .png)")
	fs.StringVar(&o.suite, "suite", "siit", "siit (RFC 8219) or nat64 (RFC 9693 stateful NAT: xlatd NAT64, kernel NAT44, TAYGA + NAT44)")
	cases := fs.String("cases", "", "cases to run (default: all of the suite: "+strings.Join(allCases, ",")+" | "+strings.Join(natCases, ",")+")")
	sizes := fs.String("sizes", "", "IPv6-side frame sizes (FCS included; default 84,128,256,512,1024,1280,1518, nat64: 84)")
	dirs := fs.String("dirs", "6to4,4to6,bidir", "directions (nat64: 6to4 only)")
	natFlags(fs, &o.nat)
	fs.DurationVar(&o.search.TrialDuration, "trial", 200*time.Millisecond, "trial length of the throughput search")
	fs.Float64Var(&o.search.Precision, "precision", 0.03, "binary search stops when (hi-lo)/hi is below this")
	fs.IntVar(&o.search.MaxIterations, "iterations", 6, "binary search trials after the first")
	fs.Float64Var(&o.search.MaxRate, "max-rate", 0, "first trial's rate in packets/s per direction (0: the generator's unpaced rate)")
	fs.Float64Var(&o.search.LossTolerance, "loss-tolerance", 0, "loss fraction a passing trial may show (RFC 8219: 0)")
	fs.DurationVar(&o.latencyTrial, "latency-trial", 400*time.Millisecond, "trial length of the latency measurement at the throughput rate")
	fs.DurationVar(&o.drain, "drain", 60*time.Millisecond, "wait after the generator stops before counting")
	loss := fs.String("loss-rates", "", "extra frame loss trials at these fractions of the generator's rate (e.g. 1,0.9,0.8)")
	fs.DurationVar(&o.budget, "budget", 8*time.Minute, "stop measuring (and report what is done) after this long")
	fs.IntVar(&o.genCPU, "gen-cpu", 0, "CPU of the generator threads (-1: not pinned)")
	fs.IntVar(&o.sinkCPU, "sink-cpu", 0, "CPU of the sink threads (-1: not pinned)")
	fs.IntVar(&o.batch, "batch", 64, "generator TX batch")
	fs.IntVar(&o.frames, "frames", 16384, "UMEM frames per endpoint (half TX, half RX; rings hold half of them), power of two")
	fs.BoolVar(&o.verbose, "v", false, "print every trial")
	fs.BoolVar(&o.afPacket, "af-packet", false, "generator and sinks on AF_PACKET instead of AF_XDP (also the automatic fallback)")
	fs.BoolVar(&o.sinkNAPI, "sink-napi", true, "threaded NAPI on the hosts' veths, on the generator's CPU (testbed.sh sink-napi)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.frames < 128 || o.frames&(o.frames-1) != 0 {
		return o, fmt.Errorf("-frames %d: want a power of two >= 128", o.frames)
	}
	if o.prefix == "" {
		return o, errors.New("-prefix (or XB_PREFIX) is required")
	}
	known := allCases
	switch o.suite {
	case "siit":
		if *sizes == "" {
			*sizes = "84,128,256,512,1024,1280,1518"
		}
	case "nat64":
		known = natCases
		if *sizes == "" {
			*sizes = "84"
		}
		*dirs = "6to4"
		if err := o.nat.parse(); err != nil {
			return o, err
		}
	default:
		return o, fmt.Errorf("-suite %q: want siit or nat64", o.suite)
	}
	if *cases == "" {
		*cases = strings.Join(known, ",")
	}
	for _, c := range strings.Split(*cases, ",") {
		c = strings.TrimSpace(c)
		ok := false
		for _, k := range known {
			ok = ok || c == k
		}
		if !ok {
			return o, fmt.Errorf("unknown case %q (%s)", c, strings.Join(known, ","))
		}
		o.cases = append(o.cases, c)
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 84 || n > 1518 {
			return o, fmt.Errorf("frame size %q: want 84..1518", s)
		}
		o.sizes = append(o.sizes, n)
	}
	for _, s := range strings.Split(*dirs, ",") {
		d, err := rfc8219.ParseDirection(strings.TrimSpace(s))
		if err != nil {
			return o, err
		}
		o.dirs = append(o.dirs, d)
	}
	if *loss != "" {
		for _, s := range strings.Split(*loss, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || f <= 0 || f > 1 {
				return o, fmt.Errorf("loss rate %q: want a fraction in (0,1]", s)
			}
			o.lossRates = append(o.lossRates, f)
		}
	}
	if o.out == "" {
		name := "bench-"
		if o.suite == "nat64" {
			name = "nat64-"
		}
		o.out = filepath.Join("bench", "results", name+time.Now().UTC().Format("20060102-150405")+".json")
	}
	if o.png == "" {
		o.png = strings.TrimSuffix(o.out, ".json") + ".png"
	}
	return o, nil
}

func kernelRelease() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// testbedOut runs a testbed verb and returns its trimmed stdout.
func testbedOut(o options, verb, cas string) (string, error) {
	cmd := exec.Command(o.testbed, verb, cas)
	cmd.Env = append(os.Environ(), "XB_PREFIX="+o.prefix, fmt.Sprintf("GEN_CPU=%d", max(o.genCPU, 0)))
	if o.suite == "nat64" {
		cmd.Env = append(cmd.Env, fmt.Sprintf("NAT_SRC_ADDRS=%d", o.nat.srcAddrs))
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s %s: %v: %s", o.testbed, verb, cas, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func testbed(o options, verb, cas string) error {
	_, err := testbedOut(o, verb, cas)
	return err
}

func run(ctx context.Context, o options) (*Report, error) {
	rep := &Report{
		Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Kernel: kernelRelease(), Machine: machine(),
		CPUs: runtime.NumCPU(), GenCPU: o.genCPU, SinkCPU: o.sinkCPU, Trial: o.search.TrialDuration.String(),
		Precision: o.search.Precision, Tolerance: o.search.LossTolerance, Cases: o.cases, CaseError: map[string]string{},
	}
	b, closeBed, err := openBed(o)
	if err != nil {
		return nil, err
	}
	defer closeBed()

	deadline := time.Now().Add(o.budget)
	ceiling := map[string]float64{} // "dir/size" -> generator pps
	cells := map[string]*Cell{}
	key := func(c string, d rfc8219.Direction, s int) string { return fmt.Sprintf("%s/%s/%d", c, d, s) }
	for _, c := range o.cases {
		for _, d := range o.dirs {
			for _, s := range o.sizes {
				cell := &Cell{Case: c, Direction: d.String(), FrameSize: s}
				cells[key(c, d, s)] = cell
				rep.Cells = append(rep.Cells, cell)
			}
		}
	}
	// Phase 1 measures the smallest frame size of every case (what the
	// SUMMARY line needs) before phase 2 spends the rest of the budget.
	phases := [][]int{o.sizes[:1], o.sizes[1:]}
	for _, sizes := range phases {
		if len(sizes) == 0 {
			continue
		}
		for _, c := range o.cases {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			if _, bad := rep.CaseError[c]; bad {
				continue
			}
			if time.Now().After(deadline) {
				break
			}
			fmt.Fprintf(os.Stderr, "== %s (sizes %v)\n", c, sizes)
			err := testbed(o, "start", c)
			if err != nil {
				// One more try: a DUT that lost a race with the previous
				// one's teardown usually starts the second time.
				_ = testbed(o, "stop", c)
				time.Sleep(500 * time.Millisecond)
				err = testbed(o, "start", c)
			}
			if err != nil {
				rep.CaseError[c] = err.Error()
				fmt.Fprintln(os.Stderr, "  ", err)
				_ = testbed(o, "stop", c)
				continue
			}
			b.cas = c
			for _, d := range o.dirs {
				for _, s := range sizes {
					if time.Now().After(deadline) {
						cells[key(c, d, s)].Error = "time budget exhausted"
						continue
					}
					cell := cells[key(c, d, s)]
					measure(ctx, o, b, cell, d, s, ceiling)
					if c == "generator" && cell.Error == "" {
						ceiling[fmt.Sprintf("%s/%d", d, s)] = cell.ThroughputPPS
					}
					cell.CeilingPPS = ceiling[fmt.Sprintf("%s/%d", d, s)]
					printCell(cell)
				}
			}
			if err := testbed(o, "stop", c); err != nil {
				fmt.Fprintln(os.Stderr, "  ", err)
			}
		}
	}
	return rep, nil
}

// openBed opens the four host endpoints of the testbed (AF_XDP, or
// AF_PACKET as the fallback); the function returned closes them.
func openBed(o options) (*bed, func(), error) {
	xo := port.XSKOptions{Frames: o.frames, FrameSize: 2048, Ring: o.frames / 2}
	ns := func(s string) string { return o.prefix + "-" + s }
	b := &bed{drain: o.drain, batch: o.batch, maxPPS: 20e6, verbose: o.verbose}
	var err error
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if b.g6, err = openEndpoint(ns("gen"), "g6", macG6, o.genCPU, o.sinkCPU, xo, o.afPacket); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, b.g6.close)
	if b.s4, err = openEndpoint(ns("sink"), "s4", macS4, o.genCPU, o.sinkCPU, xo, o.afPacket); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, b.s4.close)
	if b.gx, err = openEndpoint(ns("gen"), "gx", macGX, o.genCPU, o.sinkCPU, xo, o.afPacket); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, b.gx.close)
	if b.sx, err = openEndpoint(ns("sink"), "sx", macSX, o.genCPU, o.sinkCPU, xo, o.afPacket); err != nil {
		closeAll()
		return nil, nil, err
	}
	closers = append(closers, b.sx.close)
	if o.sinkNAPI && b.g6.x != nil {
		if err := testbed(o, "sink-napi", ""); err != nil {
			fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
		}
	}
	if b.g6.x != nil {
		fmt.Fprintf(os.Stderr, "xlatd-bench: AF_XDP endpoints up (sink programs native=%v, zero-copy=%v)\n", b.g6.x.Native, b.g6.x.ZeroCopy())
	} else {
		fmt.Fprintln(os.Stderr, "xlatd-bench: AF_PACKET endpoints up")
	}

	return b, closeAll, nil
}

func measure(ctx context.Context, o options, b *bed, cell *Cell, d rfc8219.Direction, size int, ceiling map[string]float64) {
	th, err := rfc8219.SearchThroughput(ctx, b, d, size, o.search)
	cell.Steps = th.Steps
	if len(th.Steps) > 0 {
		s0 := th.Steps[0]
		if s0.Sent > 0 {
			cell.LossAtMax = float64(s0.Sent-min(s0.Received, s0.Sent)) / float64(s0.Sent)
			cell.FwdAtMaxPPS = s0.Offered * float64(min(s0.Received, s0.Sent)) / float64(s0.Sent)
		}
	}
	if err != nil {
		cell.Error = err.Error()
		return
	}
	cell.ThroughputPPS, cell.GeneratorBound = th.Rate, th.GeneratorBound
	if th.Rate > 0 {
		l, r, err := rfc8219.MeasureLatency(ctx, b, d, size, th.Rate, o.latencyTrial)
		if err != nil {
			cell.Error = err.Error()
			return
		}
		cell.Latency = &l
		if r.Latency != nil && size == o.sizes[0] {
			// The full distribution for the smallest frames (the chart's);
			// the summary figures for every size.
			cell.LatencyHist = r.Latency.Buckets()
		}
	}
	if len(o.lossRates) > 0 {
		top := ceiling[fmt.Sprintf("%s/%d", d, size)]
		if len(th.Steps) > 0 && top == 0 {
			top = th.Steps[0].Offered
		}
		var rates []float64
		for _, f := range o.lossRates {
			rates = append(rates, f*top)
		}
		pts, err := rfc8219.FrameLossRate(ctx, b, d, size, rates, o.search.TrialDuration)
		cell.Loss = pts
		if err != nil {
			cell.Error = err.Error()
		}
	}
}

func mpps(pps float64) string { return fmt.Sprintf("%.3f", pps/1e6) }

func printCell(c *Cell) {
	if c.Error != "" {
		fmt.Fprintf(os.Stderr, "   %-9s %-5s %4d  error: %s\n", c.Case, c.Direction, c.FrameSize, c.Error)
		return
	}
	lat := ""
	if c.Latency != nil {
		lat = fmt.Sprintf(" latency median %.1f µs p99.9 %.1f µs", float64(c.Latency.Median)/1e3, float64(c.Latency.P999)/1e3)
	}
	fmt.Fprintf(os.Stderr, "   %-9s %-5s %4d  %s Mpps (loss at max %.1f%%, %d trials)%s\n",
		c.Case, c.Direction, c.FrameSize, mpps(c.ThroughputPPS), 100*c.LossAtMax, len(c.Steps), lat)
}

func finish(rep *Report, o options) {
	rep.Finished = time.Now().UTC()
	rep.GeneratorTXPPS, _ = txCeiling(rep)
	printTable(os.Stdout, rep, o)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err == nil {
		if js, err := json.MarshalIndent(rep, "", "  "); err == nil {
			if err := os.WriteFile(o.out, js, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
			} else {
				fmt.Printf("JSON: %s\n", o.out)
			}
		}
	}
	md := strings.TrimSuffix(o.out, ".json") + ".md"
	if err := writeReport(rep, o, md); err != nil {
		fmt.Fprintln(os.Stderr, "xlatd-bench: report:", err)
	} else {
		fmt.Printf("chart: %s\nreport: %s\n", o.png, md)
	}
	fmt.Println(summary(rep, o))
}

// summary is the one line per case family, Mpps at the smallest frame
// size, IPv6 -> IPv4.
func summary(rep *Report, o options) string {
	dir := rfc8219.Dir6to4.String()
	if len(o.dirs) > 0 {
		dir = o.dirs[0].String()
	}
	size := o.sizes[0]
	val := func(c string) string {
		for _, cell := range rep.Cells {
			if cell.Case == c && cell.Direction == dir && cell.FrameSize == size && cell.Error == "" && len(cell.Steps) > 0 {
				return mpps(cell.ThroughputPPS)
			}
		}
		return "n/a"
	}
	return fmt.Sprintf("SUMMARY siit-udp xlatd=%s kernel=%s tayga=%s afxdp_fwd=%s generator=%s",
		val("xlatd"), val("kernel"), val("tayga"), val("afxdp_fwd"), val("generator"))
}

// reportMain is `xlatd-bench -report RUN.json [-md FILE.md] [-png FILE.png]`:
// the Markdown report and its charts from a run's JSON, without measuring.
func reportMain(args []string) int {
	fs := flag.NewFlagSet("xlatd-bench -report", flag.ContinueOnError)
	md := fs.String("md", "", "Markdown output (default: the JSON name with .md)")
	png := fs.String("png", "", "main chart (default: the Markdown name with .png; the others beside it)")
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: xlatd-bench -report RUN.json [-md FILE.md] [-png FILE.png]")
		return 2
	}
	in := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if err := reportFromJSON(in, *md, *png); err != nil {
		fmt.Fprintln(os.Stderr, "xlatd-bench:", err)
		return 1
	}
	return 0
}
