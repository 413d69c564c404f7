package main

import (
	"context"
	"errors"
)

// runBench is filled in by a later issue; until then it only answers --help.
func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench", "", "Not built yet.")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return errors.New("bench is not built yet")
}
