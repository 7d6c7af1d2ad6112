package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/xlatd/xlatd/bench/chart"
	"github.com/xlatd/xlatd/bench/rfc8219"
)

// A family is what one SUMMARY line reports; each gets its throughput
// chart (the SUMMARY's direction), the other directions and the latency
// get theirs beside it.
var families = []struct{ name, what string }{
	{"siit-udp", "SIIT, UDP, RFC 8219 zero-loss throughput"},
}

// machine describes the box: CPU model, CPUs, memory.
func machine() string {
	model, mem := "", ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int
			if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); n == 1 {
				mem = fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20))
				break
			}
		}
		f.Close()
	}
	parts := []string{}
	if model != "" {
		parts = append(parts, model)
	}
	parts = append(parts, fmt.Sprintf("%d CPUs", runtime.NumCPU()))
	if mem != "" {
		parts = append(parts, mem)
	}
	return strings.Join(parts, ", ")
}

// bounds returns the rate that passed (the throughput) and the lowest
// offered rate of a failing trial above it (NaN when none failed above:
// the generator's ceiling, or a single trial).
func bounds(c *Cell) (lo, hi float64) {
	lo, hi = c.ThroughputPPS, math.NaN()
	for _, st := range c.Steps {
		if !st.Pass && st.Offered > lo && (math.IsNaN(hi) || st.Offered < hi) {
			hi = st.Offered
		}
	}
	return lo, hi
}

func cellOf(rep *Report, c, d string, s int) *Cell {
	for _, cell := range rep.Cells {
		if cell.Case == c && cell.Direction == d && cell.FrameSize == s {
			return cell
		}
	}
	return nil
}

func measured(c *Cell) bool { return c != nil && c.Error == "" && len(c.Steps) > 0 }

func throughputSeries(rep *Report, o options, dir string) []chart.Series {
	var out []chart.Series
	for _, c := range o.cases {
		s := chart.Series{Name: c}
		for _, size := range o.sizes {
			cell := cellOf(rep, c, dir, size)
			if !measured(cell) {
				continue
			}
			lo, hi := bounds(cell)
			s.X = append(s.X, float64(size))
			s.Y = append(s.Y, cell.ThroughputPPS/1e6)
			s.Lo = append(s.Lo, lo/1e6)
			s.Hi = append(s.Hi, hi/1e6)
		}
		out = append(out, s)
	}
	return out
}

func latencyDists(rep *Report, o options, dir string, size int) []chart.Dist {
	var out []chart.Dist
	for _, c := range o.cases {
		cell := cellOf(rep, c, dir, size)
		if cell == nil || len(cell.LatencyHist) == 0 {
			continue
		}
		d := chart.Dist{Name: c}
		for _, b := range cell.LatencyHist {
			d.Buckets = append(d.Buckets, chart.DistBucket{Hi: float64(b.Hi) / 1e3, Count: float64(b.Count)})
		}
		out = append(out, d)
	}
	return out
}

func savePNG(path string, draw func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := draw(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// chartFiles names the PNGs of a run: o.png is the SUMMARY family's chart
// (throughput in the SUMMARY's direction), the others sit beside it.
func chartFiles(o options) (throughput map[string]string, latency string) {
	base := strings.TrimSuffix(o.png, ".png")
	throughput = map[string]string{}
	for i, d := range o.dirs {
		if i == 0 {
			throughput[d.String()] = o.png
		} else {
			throughput[d.String()] = base + "-" + d.String() + ".png"
		}
	}
	return throughput, base + "-latency.png"
}

// writeCharts draws every chart of the report.
func writeCharts(rep *Report, o options) error {
	tp, lat := chartFiles(o)
	for i, d := range o.dirs {
		title := fmt.Sprintf("Throughput %s, zero loss%s", d, tolText(rep.Tolerance))
		if i == 0 {
			title = fmt.Sprintf("%s: throughput %s, zero loss%s", families[0].name, d, tolText(rep.Tolerance))
		}
		p, err := chart.Throughput(title, throughputSeries(rep, o, d.String()), true)
		if err != nil {
			return err
		}
		if err := savePNG(tp[d.String()], func(w io.Writer) error { return chart.WritePNG(w, p) }); err != nil {
			return err
		}
	}
	dir := o.dirs[0].String()
	p, err := chart.Latency(fmt.Sprintf("Latency at the throughput rate, %s, %d-byte frames", dir, o.sizes[0]),
		latencyDists(rep, o, dir, o.sizes[0]))
	if err != nil {
		return err
	}
	return savePNG(lat, func(w io.Writer) error { return chart.WritePNG(w, p) })
}

// writeMarkdown writes the report: the machine, the kernel and the
// command, the SUMMARY line, and each table with its chart beside it.
func writeMarkdown(w io.Writer, rep *Report, o options, mdDir string) {
	rel := func(p string) string {
		if r, err := filepath.Rel(mdDir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	tp, lat := chartFiles(o)
	fmt.Fprintf(w, "# xlatd benchmark, %s\n\n", rep.Started.Format("2006-01-02 15:04 UTC"))
	m := rep.Machine
	if m == "" {
		m = fmt.Sprintf("%d CPUs (model not recorded in this run's JSON)", rep.CPUs)
	}
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	fmt.Fprintf(w, "| machine | %s |\n", m)
	fmt.Fprintf(w, "| kernel | %s |\n", orNA(rep.Kernel))
	fmt.Fprintf(w, "| command | `%s` |\n", strings.ReplaceAll(orNA(rep.Command), "|", `\|`))
	fmt.Fprintf(w, "| CPUs used | generator and sinks on CPU %d, DUT on the other (bench/run.sh DUT_CPU) |\n", rep.GenCPU)
	fmt.Fprintf(w, "| search | %s trials, precision %.3g, loss tolerance %.3g%% |\n", orNA(rep.Trial), rep.Precision, 100*rep.Tolerance)
	if !rep.Finished.IsZero() {
		fmt.Fprintf(w, "| duration | %s |\n", rep.Finished.Sub(rep.Started).Round(1e9))
	}
	fmt.Fprintf(w, "\n```\n%s\n```\n\n", summary(rep, o))
	fmt.Fprintf(w, "Throughput is the highest offered rate with no loss (RFC 8219 section 7.1), in Mpps per direction; "+
		"`*`: the generator's own top rate passed, so the figure is the generator's ceiling, not the DUT's. "+
		"Error bars (I, \"search spread\") run from that rate to the lowest offered rate that failed: where the true zero-loss rate lies.\n\n")
	for i, d := range o.dirs {
		if i == 0 {
			fmt.Fprintf(w, "## %s: %s, %s\n\n", families[0].name, families[0].what, d)
		} else {
			fmt.Fprintf(w, "## Throughput, %s\n\n", d)
		}
		fmt.Fprintf(w, "| frame size |")
		for _, c := range o.cases {
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintf(w, "\n|---:|")
		for range o.cases {
			fmt.Fprintf(w, "---:|")
		}
		fmt.Fprintln(w)
		for _, s := range o.sizes {
			fmt.Fprintf(w, "| %d |", s)
			for _, c := range o.cases {
				cell := cellOf(rep, c, d.String(), s)
				v := "-"
				switch {
				case cell == nil:
				case !measured(cell):
					v = "n/a"
				default:
					v = mpps(cell.ThroughputPPS)
					if cell.GeneratorBound {
						v += "\\*"
					}
				}
				fmt.Fprintf(w, " %s |", v)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "\n![throughput %s](%s)\n\n", d, rel(tp[d.String()]))
	}
	fmt.Fprintf(w, "## Latency at the throughput rate, %d-byte frames\n\n", o.sizes[0])
	fmt.Fprintf(w, "| direction | case | rate (Mpps) | min (µs) | median (µs) | 99th (µs) | 99.9th (µs) | PDV (µs) |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|\n")
	us := func(ns int64) string { return fmt.Sprintf("%.1f", float64(ns)/1e3) }
	for _, d := range o.dirs {
		for _, c := range o.cases {
			cell := cellOf(rep, c, d.String(), o.sizes[0])
			if cell == nil || cell.Latency == nil {
				continue
			}
			l := cell.Latency
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", d, c, mpps(l.Rate), us(l.MinNs), us(l.Median), us(l.P99), us(l.P999), us(l.PDVNs))
		}
	}
	fmt.Fprintf(w, "\n![latency CDF, %s](%s)\n\n", o.dirs[0], rel(lat))
	var errs []string
	for c, e := range rep.CaseError {
		errs = append(errs, fmt.Sprintf("- %s: %s", c, e))
	}
	for _, cell := range rep.Cells {
		if cell.Error != "" && rep.CaseError[cell.Case] == "" {
			errs = append(errs, fmt.Sprintf("- %s %s %d: %s", cell.Case, cell.Direction, cell.FrameSize, cell.Error))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		fmt.Fprintf(w, "## Not measured\n\n%s\n", strings.Join(errs, "\n"))
	}
}

func orNA(s string) string {
	if s == "" {
		return "not recorded"
	}
	return s
}

// writeReport writes the charts and the Markdown report md.
func writeReport(rep *Report, o options, md string) error {
	if err := writeCharts(rep, o); err != nil {
		return err
	}
	f, err := os.Create(md)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	writeMarkdown(bw, rep, o, filepath.Dir(md))
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// reportFromJSON rebuilds a report from a run's JSON (xlatd-bench -report):
// the cases, sizes and directions are those of the run.
func reportFromJSON(path, md, png string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	o := options{out: path, cases: rep.Cases}
	seenSize, seenDir := map[int]bool{}, map[string]bool{}
	for _, c := range rep.Cells {
		if !seenSize[c.FrameSize] {
			seenSize[c.FrameSize] = true
			o.sizes = append(o.sizes, c.FrameSize)
		}
		seenDir[c.Direction] = true
	}
	sort.Ints(o.sizes)
	for _, d := range []string{"6to4", "4to6", "bidir"} {
		if seenDir[d] {
			dd, _ := rfc8219.ParseDirection(d)
			o.dirs = append(o.dirs, dd)
		}
	}
	if len(o.cases) == 0 || len(o.sizes) == 0 || len(o.dirs) == 0 {
		return fmt.Errorf("%s: no measurements", path)
	}
	base := strings.TrimSuffix(path, ".json")
	if md == "" {
		md = base + ".md"
	}
	o.png = png
	if o.png == "" {
		o.png = strings.TrimSuffix(md, ".md") + ".png"
	}
	return writeReport(&rep, o, md)
}
