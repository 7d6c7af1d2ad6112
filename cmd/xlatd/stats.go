package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xlatd/xlatd/config"
	"github.com/xlatd/xlatd/dataplane"
)

// StatsReply is what the control socket answers to "stats".
type StatsReply struct {
	Version  string    `json:"version"`
	Info     StatsInfo `json:"info"`
	Counters []Counter `json:"counters"`
}

// StatsInfo describes the running datapath.
type StatsInfo struct {
	XDPMode    string `json:"xdp_mode"`
	ZeroCopy   bool   `json:"zerocopy"`
	SharedUMEM bool   `json:"shared_umem"`
	// MultiBuffer: the sockets take jumbo frames as chains (XDP_USE_SG).
	MultiBuffer bool   `json:"multi_buffer"`
	OneArmed    bool   `json:"one_armed"`
	Queues      int    `json:"queues"`
	IPv6If      string `json:"ipv6_interface"`
	IPv4If      string `json:"ipv4_interface"`
	Uptime      string `json:"uptime"`
	// NAPIBusyPoll: datapath.napi_busy_poll is on and every socket took
	// the options of preferred busy polling.
	NAPIBusyPoll bool   `json:"napi_busy_poll"`
	Config       string `json:"config"`
}

func (d *daemon) statsReply() StatsReply {
	info := d.dp.Info()
	i6, i4 := d.dp.Interfaces()
	return StatsReply{
		Version: versionString(),
		Info: StatsInfo{
			XDPMode: info.XDPMode, ZeroCopy: info.ZeroCopy, SharedUMEM: info.SharedUMEM, MultiBuffer: info.MultiBuffer,
			NAPIBusyPoll: info.NAPIBusyPoll, OneArmed: info.OneArmed, Queues: info.Queues, IPv6If: i6.Name, IPv4If: i4.Name,
			Uptime: time.Since(d.started).Truncate(time.Second).String(), Config: d.path,
		},
		Counters: d.collect(),
	}
}

// serveControl answers one request line per connection: "stats",
// "nat64 bib", "nat64 sessions", "nat64 lookup ARG", "nat64 flush" (nat64.go).
func (d *daemon) serveControl(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func(conn net.Conn) {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil && line == "" {
				return
			}
			req := strings.TrimSpace(line)
			switch {
			case req == "stats":
				json.NewEncoder(conn).Encode(d.statsReply())
			case strings.HasPrefix(req, "nat64 "):
				conn.SetDeadline(time.Now().Add(time.Minute)) // a large table is copied page by page
				json.NewEncoder(conn).Encode(d.nat64Request(strings.TrimPrefix(req, "nat64 ")))
			default:
				fmt.Fprintf(conn, "{\"error\":%q}\n", "unknown request "+strings.TrimSpace(line))
			}
		}(conn)
	}
}

func statsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("xlatd stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON: {\"version\", \"info\", \"counters\": {name: value}}")
	explain := fs.Bool("explain", false, "describe each counter in one line")
	all := fs.Bool("all", false, "print counters that are zero too (always with -json and -explain)")
	sock := fs.String("socket", config.DefaultControlSocket, "control socket of the running daemon ([control] socket)")
	cfgPath := fs.String("config", "", "read the control socket's path from this config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "xlatd stats: %s:\n%s\n", *cfgPath, indent(err.Error()))
			return 1
		}
		if c.Control.Socket == "" {
			fmt.Fprintf(stderr, "xlatd stats: %s turns the control socket off (control.socket = \"\")\n", *cfgPath)
			return 1
		}
		*sock = c.Control.Socket
	}
	conn, err := net.DialTimeout("unix", *sock, 2*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "xlatd stats: cannot reach the daemon at %s: %v\n", *sock, err)
		return 1
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "stats\n"); err != nil {
		fmt.Fprintf(stderr, "xlatd stats: %v\n", err)
		return 1
	}
	var r StatsReply
	if err := json.NewDecoder(conn).Decode(&r); err != nil {
		fmt.Fprintf(stderr, "xlatd stats: bad reply: %v\n", err)
		return 1
	}
	if *asJSON {
		counters := make(map[string]uint64, len(r.Counters))
		for _, c := range r.Counters {
			counters[c.Name] = c.Value
		}
		out := struct {
			Version  string            `json:"version"`
			Info     StatsInfo         `json:"info"`
			Counters map[string]uint64 `json:"counters"`
		}{r.Version, r.Info, counters}
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		e.Encode(out)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	if !*explain {
		fmt.Fprintf(tw, "# xlatd %s, up %s, xdp_mode=%s zerocopy=%v shared_umem=%v multi_buffer=%v one_armed=%v queues=%d\n",
			r.Version, r.Info.Uptime, r.Info.XDPMode, r.Info.ZeroCopy, r.Info.SharedUMEM, r.Info.MultiBuffer, r.Info.OneArmed, r.Info.Queues)
	}
	for _, c := range r.Counters {
		switch {
		case *explain:
			fmt.Fprintf(tw, "%s\t%d\t%s\n", c.Name, c.Value, c.Help)
		case c.Value != 0 || *all:
			fmt.Fprintf(tw, "%s\t%d\n", c.Name, c.Value)
		}
	}
	tw.Flush()
	return 0
}

// metricsHandler exports the same counters in the Prometheus text format,
// computed at scrape time (off the packet path).
func (d *daemon) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{d: d})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

type collector struct{ d *daemon }

// metric maps "group.name" to a metric family and label.
func metricOf(name string) (family, label, value string) {
	group, n, _ := strings.Cut(name, ".")
	switch group {
	case "verdict":
		return "xlatd_verdicts_total", "verdict", n
	case "drop":
		return "xlatd_drops_total", "reason", n
	case "event":
		return "xlatd_events_total", "event", n
	case dataplane.Family:
		return "xlatd_datapath_total", "counter", n
	case "xdp":
		return "xlatd_xdp_program_total", "counter", n
	case "socket":
		return "xlatd_xdp_socket_total", "counter", n
	case "neigh":
		return "xlatd_neighbour_total", "counter", n
	case "config":
		return "xlatd_config_total", "counter", n
	case "nat64":
		return "xlatd_nat64", "item", n
	case "nat64_sessions":
		return "xlatd_nat64_sessions", "state", n
	case "nat64_bib":
		return "xlatd_nat64_bib_entries", "protocol", n
	case "nat64_pool4":
		return "xlatd_nat64_pool4_blocks_in_use", "address", n
	case "nat64_events":
		return "xlatd_nat64_events_total", "event", n
	}
	return "xlatd_other_total", "counter", name
}

var familyHelp = map[string]string{
	"xlatd_verdicts_total":            "Frames by translator verdict (xlatd stats -explain describes each).",
	"xlatd_drops_total":               "Frames dropped by the translator, by reason.",
	"xlatd_events_total":              "Translator events.",
	"xlatd_datapath_total":            dataplane.FamilyHelp,
	"xlatd_xdp_program_total":         "XDP program counters (what was steered to xlatd or left to the kernel).",
	"xlatd_xdp_socket_total":          "AF_XDP socket statistics (XDP_STATISTICS).",
	"xlatd_neighbour_total":           "Neighbour and route mirror counters.",
	"xlatd_config_total":              "Configuration reloads.",
	"xlatd_other_total":               "Other counters.",
	"xlatd_nat64":                     "NAT64 state now (sessions, bib_entries, subscribers, blocks_in_use, blocks, blocks_per_address, held_syns).",
	"xlatd_nat64_sessions":            nat64Help["nat64_sessions"] + ".",
	"xlatd_nat64_bib_entries":         nat64Help["nat64_bib"] + ".",
	"xlatd_nat64_pool4_blocks_in_use": nat64Help["nat64_pool4"] + ".",
	"xlatd_nat64_events_total":        "NAT64 state events: results (refusals by quota and capacity), sessions and blocks, mapping-log and IPFIX drops.",
}

// Describe sends nothing: the collector is unchecked (its counters are
// computed at scrape time).
func (c *collector) Describe(chan<- *prometheus.Desc) {}

var infoDesc = prometheus.NewDesc("xlatd_info", "The datapath in force (value 1).",
	[]string{"version", "xdp_mode", "zerocopy", "shared_umem", "multi_buffer", "one_armed", "queues"}, nil)

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	r := c.d.statsReply()
	descs := map[string]*prometheus.Desc{}
	for _, ctr := range r.Counters {
		f, l, v := metricOf(ctr.Name)
		desc := descs[f]
		if desc == nil {
			desc = prometheus.NewDesc(f, familyHelp[f], []string{l}, nil)
			descs[f] = desc
		}
		vt := prometheus.CounterValue
		if ctr.Gauge {
			vt = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(desc, vt, float64(ctr.Value), v)
	}
	ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, r.Version, r.Info.XDPMode,
		strconv.FormatBool(r.Info.ZeroCopy), strconv.FormatBool(r.Info.SharedUMEM), strconv.FormatBool(r.Info.MultiBuffer), strconv.FormatBool(r.Info.OneArmed),
		strconv.Itoa(r.Info.Queues))
}
