// Package config decodes and validates xlatd's TOML configuration
// (../shared/CONTRACT.md, docs/CONFIG.md). Addresses and prefixes are
// decoded straight into net/netip types; unknown keys are an error; every
// error names the key it is about ("translate.pool6: ...").
//
// Validation happens in two steps, both before any interface is touched:
// Validate checks syntax and semantics of the file alone, CheckInterfaces
// checks that the named interfaces exist in the current network namespace.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/xlatd/xlatd/config/nat64conf"
)

// Config is the whole configuration file.
type Config struct {
	Interfaces Interfaces `toml:"interfaces"`
	Translate  Translate  `toml:"translate"`
	EAMT       []EAM      `toml:"eamt"`
	NAT64      NAT64      `toml:"nat64"`
	Log        Log        `toml:"log"`
	Metrics    Metrics    `toml:"metrics"`
	Datapath   Datapath   `toml:"datapath"`
	Control    Control    `toml:"control"`
}

// Interfaces is the [interfaces] table.
type Interfaces struct {
	IPv6     string `toml:"ipv6"`     // faces the IPv6 network
	IPv4     string `toml:"ipv4"`     // faces the IPv4 network; may equal IPv6 (one-armed)
	Queues   int    `toml:"queues"`   // RX queues served per interface, 0 = all
	XDPMode  string `toml:"xdp_mode"` // auto | native | generic
	ZeroCopy string `toml:"zerocopy"` // auto | on | off

	// Capture4 lists IPv4 destination prefixes the XDP program steers to
	// xlatd in addition to the EAMT IPv4 ranges (one-armed mode, or to
	// narrow what a dedicated IPv4 interface captures: when non-empty on a
	// two-armed box, only these prefixes and the EAMT ranges are captured).
	Capture4 []netip.Prefix `toml:"capture4"`
	// Deny4 lists IPv4 destination prefixes never captured.
	Deny4 []netip.Prefix `toml:"deny4"`
}

// OneArmed reports whether both roles are played by one interface.
func (i *Interfaces) OneArmed() bool { return i.IPv4 == i.IPv6 }

// Translate is the [translate] table.
type Translate struct {
	Mode                 string       `toml:"mode"`  // siit | nat64
	Pool6                netip.Prefix `toml:"pool6"` // RFC 6052 prefix; zero = none (EAMT only)
	IPv4Address          netip.Addr   `toml:"ipv4_address"`
	IPv6Address          netip.Addr   `toml:"ipv6_address"`
	LowestIPv6MTU        int          `toml:"lowest_ipv6_mtu"`
	AmendUDPZeroChecksum bool         `toml:"amend_udp_zero_checksum"`
	ResetTrafficClass    bool         `toml:"reset_traffic_class"`
	ResetTOS             bool         `toml:"reset_tos"`
	TOS                  int          `toml:"tos"`

	// Added to the contract.
	RFC6791v4           netip.Prefix `toml:"rfc6791_v4"`
	RFC6791v6           netip.Prefix `toml:"rfc6791_v6"`
	ICMPErrorsPerSecond int          `toml:"icmp_errors_per_second"` // 0 = unlimited
}

// EAM is one [[eamt]] entry (RFC 7757).
type EAM struct {
	IPv6 netip.Prefix `toml:"ipv6"`
	IPv4 netip.Prefix `toml:"ipv4"`
}

// Log is the [log] table.
type Log struct {
	Mappings       string `toml:"mappings"`        // stderr | off | a file path
	MappingsFormat string `toml:"mappings_format"` // json | text
	IPFIX          string `toml:"ipfix"`           // host:port of an IPFIX collector, "" = off
}

// Metrics is the [metrics] table.
type Metrics struct {
	Listen string `toml:"listen"` // host:port for Prometheus /metrics, "" = off
}

// Datapath is the [datapath] table (added to the contract).
type Datapath struct {
	RingSize    int  `toml:"ring_size"`    // every AF_XDP ring, power of two
	Frames      int  `toml:"frames"`       // UMEM chunks per queue
	FrameSize   int  `toml:"frame_size"`   // UMEM chunk size: 2048 or 4096
	Batch       int  `toml:"batch"`        // frames per vector, 1..64
	BusyPoll    bool `toml:"busy_poll"`    // spin briefly before sleeping in poll(2)
	ForwardOnly bool `toml:"forward_only"` // testing knob: forward without translating

	// CPUs pins the worker thread of queue i to CPU CPUs[i mod len(CPUs)]
	// (the thread only: the Go runtime's threads stay elsewhere); empty:
	// not pinned.
	CPUs []int `toml:"cpus"`

	// NAPIBusyPoll > 0 turns on preferred busy polling (Linux >= 5.11)
	// with this budget (frames per NAPI poll, SO_BUSY_POLL_BUDGET): the
	// workers drive the devices' receive (NAPI) from their own threads
	// instead of the softirq. 0 = off.
	NAPIBusyPoll int `toml:"napi_busy_poll"`
}

// Control is the [control] table (added to the contract).
type Control struct {
	Socket string `toml:"socket"` // unix socket for `xlatd stats`, "" = off
}

// DefaultControlSocket is where `xlatd stats` looks by default.
const DefaultControlSocket = "/run/xlatd/xlatd.sock"

// Default returns the configuration an empty file means (apart from the
// required interface names): CONTRACT.md's values, Jool's defaults where the
// RFCs leave a choice.
func Default() Config {
	return Config{
		Interfaces: Interfaces{XDPMode: "auto", ZeroCopy: "auto"},
		Translate: Translate{
			Mode:                "siit",
			Pool6:               netip.MustParsePrefix("64:ff9b::/96"),
			LowestIPv6MTU:       1280,
			ICMPErrorsPerSecond: 1000,
		},
		NAT64:   nat64conf.Default(),
		Log:     Log{Mappings: "stderr", MappingsFormat: "json"},
		Metrics: Metrics{Listen: "127.0.0.1:9464"},
		Datapath: Datapath{
			RingSize:  2048,
			Frames:    8192,
			FrameSize: 4096,
			Batch:     64,
			BusyPoll:  true,
		},
		Control: Control{Socket: DefaultControlSocket},
	}
}

// Errors is a list of validation errors, each naming its key.
type Errors []error

func (e Errors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.Is/As see every error.
func (e Errors) Unwrap() []error { return e }

// KeyError is an error about one key.
type KeyError struct {
	Key string // dotted path, arrays indexed from 0: "eamt[1].ipv4"
	Msg string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }

func keyErr(key, format string, a ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, a...)}
}

// Load reads, decodes and validates the file at path (without looking at
// interfaces; see CheckInterfaces).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse decodes and validates a configuration.
func Parse(b []byte) (*Config, error) {
	// Syntax first, so that decoding errors below are about values.
	var syntax map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&syntax); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, err
	}
	c := Default()
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(&c)
	if err != nil {
		return nil, decodeError(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var errs Errors
		for _, k := range und {
			errs = append(errs, keyErr(k.String(), "unknown key"))
		}
		// Report what else is wrong too, so one -check run shows it all.
		if err := c.Validate(); err != nil {
			var more Errors
			if errors.As(err, &more) {
				errs = append(errs, more...)
			} else {
				errs = append(errs, err)
			}
		}
		return nil, errs
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// decodeError turns the TOML decoder's errors into "key: message (line N)".
func decodeError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		if pe.LastKey != "" {
			return keyErr(pe.LastKey, "%s (line %d)", pe.Message, pe.Position.Line)
		}
		return fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
	}
	// Type mismatches come as "toml: line N (last key "k"): msg".
	s := err.Error()
	if i := strings.Index(s, "(last key \""); i >= 0 {
		rest := s[i+len("(last key \""):]
		if j := strings.Index(rest, "\"): "); j >= 0 {
			line := strings.TrimSpace(strings.TrimPrefix(s[:i], "toml:"))
			return keyErr(rest[:j], "%s (%s)", rest[j+4:], line)
		}
	}
	return err
}

// The [nat64] table's types live in package nat64conf, a leaf that package
// nat64 reads without importing config (config builds batch.Config, which
// holds a *nat64.Plan). These aliases keep their config names.
type (
	NAT64     = nat64conf.NAT64
	Static    = nat64conf.Static
	Timeouts  = nat64conf.Timeouts
	PortRange = nat64conf.PortRange
	Duration  = nat64conf.Duration
)
