package config

import (
	"net/netip"
	"reflect"
	"sort"

	"github.com/xlatd/xlatd/batch"
)

// Keys returns every key the decoder accepts, as dotted paths ("eamt.ipv4",
// "nat64.timeouts.udp"), sorted.
func Keys() []string {
	var keys []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := f.Tag.Get("toml")
			if name == "" || name == "-" {
				continue
			}
			key := name
			if prefix != "" {
				key = prefix + "." + name
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && !isLeaf(ft.Elem()) {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !isLeaf(ft) {
				walk(key, ft)
				continue
			}
			keys = append(keys, key)
		}
	}
	walk("", reflect.TypeOf(Config{}))
	sort.Strings(keys)
	return keys
}

func isLeaf(t reflect.Type) bool {
	switch t {
	case reflect.TypeOf(netip.Prefix{}), reflect.TypeOf(netip.Addr{}), reflect.TypeOf(PortRange{}):
		return true
	}
	return false
}

// Env is what the running system contributes to the translator's
// configuration: interface MTUs and addresses (from package neigh).
type Env struct {
	MTU4, MTU6   int        // MTU of the IPv4-side / IPv6-side interface; 0 = 1500
	Addr4, Addr6 netip.Addr // first global address of each interface; used when ipv4_address / ipv6_address are empty
}

// BatchConfig builds the translator's immutable configuration.
func (c *Config) BatchConfig(env Env) (*batch.Config, error) {
	t, err := c.Table()
	if err != nil {
		return nil, err
	}
	bc := batch.DefaultConfig()
	bc.Map = t
	bc.ICMPv4Source = c.Translate.IPv4Address
	if !bc.ICMPv4Source.IsValid() {
		bc.ICMPv4Source = env.Addr4
	}
	bc.ICMPv6Source = c.Translate.IPv6Address
	if !bc.ICMPv6Source.IsValid() {
		bc.ICMPv6Source = env.Addr6
	}
	bc.RFC6791v4 = c.Translate.RFC6791v4
	bc.RFC6791v6 = c.Translate.RFC6791v6
	bc.LowestIPv6MTU = c.Translate.LowestIPv6MTU
	if env.MTU4 > 0 {
		bc.MTU4 = env.MTU4
	}
	if env.MTU6 > 0 {
		bc.MTU6 = env.MTU6
	}
	bc.AmendUDPZeroChecksum = c.Translate.AmendUDPZeroChecksum
	bc.ResetTrafficClass = c.Translate.ResetTrafficClass
	bc.ResetTOS = c.Translate.ResetTOS
	bc.TOS = uint8(c.Translate.TOS)
	bc.ICMPErrorsPerSecond = c.Translate.ICMPErrorsPerSecond
	if bc.ICMPErrorsPerSecond == 0 {
		bc.ICMPErrorsPerSecond = -1 // unlimited
	}
	return &bc, nil
}
