//go:build !linux

package nat64

import "time"

func threadCPU() time.Duration { return 0 }
