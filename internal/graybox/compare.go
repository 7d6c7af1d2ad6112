package graybox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xlatd/xlatd/header"
	"github.com/xlatd/xlatd/internal/pktbuild"
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
			// Only 6->4 errors have a translator-chosen inner ID. In the
			// errors xlatd originates (44 rows) the quoted packet is the
			// original and must match byte for byte, as Jool's byte
			// comparator requires there (its script lacks 32,33,38,39).
			if r.Dir == "64" && binary.BigEndian.Uint16(want[in+4:]) == 0 {
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
					if len(got) < gihl+8 || pktbuild.Sum(got[gihl:], 0) != 0xffff {
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

func isICMPv4Error(typ byte) bool { return header.ICMPv4Type(typ).IsError() }

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
	return pktbuild.Sum(b[:ihl], 0) == 0xffff
}
