//go:build !linux

package nat64

func hugePages[T any](s []T) {}
