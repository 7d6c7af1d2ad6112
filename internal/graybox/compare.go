package graybox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir returns the corpus folder: $XLATD_GRAYBOX, or
// ../shared/conformance/jool-graybox beside the repository root (the folder
// holding go.mod, searched upwards from the working directory).
func Dir() (string, error) {
	dir := os.Getenv("XLATD_GRAYBOX")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				return "", errors.New("graybox: repository root (go.mod) not found above " + wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "conformance", "jool-graybox")
	}
	if _, err := os.Stat(filepath.Join(dir, "INDEX.md")); err != nil {
		return dir, fmt.Errorf("graybox corpus not found at %s (set XLATD_GRAYBOX): %w", dir, err)
	}
	return dir, nil
}

// Required reports whether a missing corpus is a failure
// (XLATD_REQUIRE_GRAYBOX=1, as in CI) rather than a reason to skip.
func Required() bool { return os.Getenv("XLATD_REQUIRE_GRAYBOX") == "1" }

// Compare applies Jool's equality (INDEX.md section 2) to an actual IP
// packet got and the expected packet want, and returns the differences
// found (nil when equal):
//
//   - lengths must be equal, and the bytes, except at exempt offsets;
//   - the zero-ID rule: where the expected IPv4 Identification (outer, or of
//     the IPv4 packet inside an ICMPv4 error) is 0, the actual one is not
//     compared, and the actual IPv4 header checksum must be valid instead;
//   - in 6->4 ICMP-error rows the inner ID is translator-chosen, so the
//     ICMPv4 checksum (which covers it) is verified by recomputation;
//   - IPv4 TOS (offset 1) is exempt only where Jool's script excepts it.
func Compare(r *Row, want, got []byte) []string {
	var p []string
	skip := map[int]bool{}
	if len(want) >= 20 && want[0]>>4 == 4 {
		ihl := int(want[0]&0xf) * 4
		if r.TOS {
			skip[1] = true
		}
		if binary.BigEndian.Uint16(want[4:]) == 0 {
			skip[4], skip[5], skip[10], skip[11] = true, true, true, true
			if !IPv4HeaderValid(got) {
				p = append(p, "zero-ID rule: outer IPv4 header checksum invalid")
			}
		}
		fragOff := binary.BigEndian.Uint16(want[6:]) & 0x1fff
		if want[9] == 1 && fragOff == 0 && len(want) >= ihl+8+20 && isICMPv4Error(want[ihl]) && want[ihl+8]>>4 == 4 {
			in := ihl + 8
			if binary.BigEndian.Uint16(want[in+4:]) == 0 {
				skip[in+4], skip[in+5], skip[in+10], skip[in+11] = true, true, true, true
				gihl := 0
				if len(got) >= 20 {
					gihl = int(got[0]&0xf) * 4
				}
				if len(got) < gihl+8+20 || !IPv4HeaderValid(got[gihl+8:]) {
					p = append(p, "zero-ID rule: inner IPv4 header checksum invalid")
				}
				if r.Dir == "64" || r.ICMPCsum {
					skip[ihl+2], skip[ihl+3] = true, true
					if len(got) < gihl+8 || Sum(got[gihl:]) != 0xffff {
						p = append(p, "ICMPv4 checksum invalid (verified by recomputation)")
					}
				}
			}
		}
	}
	if len(want) != len(got) {
		p = append(p, fmt.Sprintf("length %d, want %d", len(got), len(want)))
	}
	n := 0
	for i := 0; i < len(want) && i < len(got); i++ {
		if want[i] == got[i] || skip[i] {
			continue
		}
		n++
		if n <= 16 {
			p = append(p, fmt.Sprintf("offset %d: want %#02x got %#02x", i, want[i], got[i]))
		}
	}
	if n > 16 {
		p = append(p, fmt.Sprintf("... %d differing bytes in all", n))
	}
	return p
}

func isICMPv4Error(typ byte) bool {
	return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
}

// IPv4HeaderValid reports whether b starts with an IPv4 header whose
// checksum verifies.
func IPv4HeaderValid(b []byte) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0]&0xf) * 4
	if ihl < 20 || len(b) < ihl {
		return false
	}
	return Sum(b[:ihl]) == 0xffff
}

// Sum is the folded RFC 1071 one's-complement sum of b (not complemented):
// 0xffff over a region whose checksum is right.
func Sum(b []byte) uint16 {
	var s uint32
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
