package main

import (
	"fmt"
	"io"
	"strings"
)

// printTable writes one row per (direction, frame size) and one column per
// case: throughput in Mpps, then latency at that rate.
func printTable(w io.Writer, rep *Report, o options) {
	get := func(c, d string, s int) *Cell {
		for _, cell := range rep.Cells {
			if cell.Case == c && cell.Direction == d && cell.FrameSize == s {
				return cell
			}
		}
		return nil
	}
	fmt.Fprintf(w, "\nRFC 8219 throughput (Mpps, zero loss%s, %s trials), generator ceiling beside every case\n",
		tolText(o.search.LossTolerance), o.search.TrialDuration)
	fmt.Fprintf(w, "%-6s %5s", "dir", "size")
	for _, c := range o.cases {
		fmt.Fprintf(w, " %10s", c)
	}
	fmt.Fprintf(w, " %10s\n", "ceiling")
	for _, d := range o.dirs {
		for _, s := range o.sizes {
			fmt.Fprintf(w, "%-6s %5d", d, s)
			ceil := ""
			for _, c := range o.cases {
				cell := get(c, d.String(), s)
				v := "-"
				switch {
				case cell == nil:
				case cell.Error != "" || len(cell.Steps) == 0:
					v = "n/a"
				default:
					v = mpps(cell.ThroughputPPS)
					if cell.GeneratorBound {
						v += "*"
					}
					if cell.CeilingPPS > 0 {
						ceil = mpps(cell.CeilingPPS)
					}
				}
				fmt.Fprintf(w, " %10s", v)
			}
			fmt.Fprintf(w, " %10s\n", ceil)
		}
	}
	fmt.Fprintln(w, "* = the generator's unpaced rate passed: bounded by the generator, not the DUT")
	if tx, cell := txCeiling(rep); tx > 0 {
		fmt.Fprintf(w, "generator alone (AF_XDP TX, unpaced, best trial of the run): %s Mpps per direction (%s %s %dB)\n",
			mpps(tx), cell.Case, cell.Direction, cell.FrameSize)
	}
	fmt.Fprintf(w, "\nforwarding rate under overload (Mpps received while the generator sent unpaced; loss %%)\n")
	fmt.Fprintf(w, "%-6s %5s", "dir", "size")
	for _, c := range o.cases {
		fmt.Fprintf(w, " %16s", c)
	}
	fmt.Fprintln(w)
	for _, d := range o.dirs {
		for _, s := range o.sizes {
			fmt.Fprintf(w, "%-6s %5d", d, s)
			for _, c := range o.cases {
				v := "-"
				if cell := get(c, d.String(), s); cell != nil && len(cell.Steps) > 0 {
					v = fmt.Sprintf("%s (%.1f%%)", mpps(cell.FwdAtMaxPPS), 100*cell.LossAtMax)
				}
				fmt.Fprintf(w, " %16s", v)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "\nlatency at the throughput rate, %d-byte frames (median / 99.9th percentile / PDV, µs)\n", o.sizes[0])
	for _, d := range o.dirs {
		for _, c := range o.cases {
			cell := get(c, d.String(), o.sizes[0])
			if cell == nil || cell.Latency == nil {
				continue
			}
			l := cell.Latency
			fmt.Fprintf(w, "%-6s %-10s %8.1f / %8.1f / %8.1f  at %s Mpps\n", d, c,
				float64(l.Median)/1e3, float64(l.P999)/1e3, float64(l.PDVNs)/1e3, mpps(l.Rate))
		}
	}
	var errs []string
	for c, e := range rep.CaseError {
		errs = append(errs, fmt.Sprintf("%s: %s", c, e))
	}
	for _, cell := range rep.Cells {
		if cell.Error != "" && rep.CaseError[cell.Case] == "" {
			errs = append(errs, fmt.Sprintf("%s %s %d: %s", cell.Case, cell.Direction, cell.FrameSize, cell.Error))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nnot measured:")
		fmt.Fprintln(w, "  "+strings.Join(errs, "\n  "))
	}
	fmt.Fprintln(w)
}

func tolText(t float64) string {
	if t == 0 {
		return ""
	}
	return fmt.Sprintf(" (tolerance %.3g%%)", 100*t)
}

// txCeiling is the highest unpaced send rate of the run: how far the
// generator goes on its own, whatever the sink or DUT did with the frames.
func txCeiling(rep *Report) (float64, *Cell) {
	var best float64
	var at *Cell
	for _, c := range rep.Cells {
		for _, st := range c.Steps {
			if st.Target == 0 && st.Offered > best {
				best, at = st.Offered, c
			}
		}
	}
	return best, at
}
