package main

import (
	"context"
	"errors"
)

// runEval is filled in by a later issue; until then it only answers --help.
func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "eval", "", "Not built yet.")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return errors.New("eval is not built yet")
}
