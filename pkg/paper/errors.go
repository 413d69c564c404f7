package paper

import "errors"

// The errors every package wraps, so that a caller (the HTTP API, the
// pages, the CLI) can tell what went wrong with errors.Is, whatever part of
// the engine it came from.
var (
	// ErrNotFound is wrapped by errors about a paper id that is not
	// stored.
	ErrNotFound = errors.New("paper not found")
	// ErrInvalid is wrapped by errors about input that cannot be used: a
	// paper that cannot be stored ("invalid paper: …") or a request
	// parameter out of range ("invalid request: …").
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable is wrapped by errors that mean a server the engine
	// needs cannot be reached right now (an embedder, a Weaviate cluster);
	// a caller may retry later.
	ErrUnavailable = errors.New("unavailable")
)
