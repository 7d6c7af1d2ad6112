//go:build !linux

package nat64

func bigSlice[T any](n int, mapped *[][]byte) []T { return make([]T, n) }

func unmap(b []byte) {}

func populate(b []byte) error { return nil }
