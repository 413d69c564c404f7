package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/lexical"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
	"github.com/paperlens/paperlens/pkg/store"
)

const defaultAddr = "127.0.0.1:8080"

func runServe(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "serve", "", "Answers the HTTP JSON API (see README.md) for the papers in the data folder.")
	c.register(fs, e, defaultDataDir(e, "default"))
	addr := fs.String("addr", envOr(e, "PAPERLENS_ADDR", defaultAddr), "`host:port` to listen on (env PAPERLENS_ADDR)")
	maxBody := fs.Int64("max-body", 16<<20, "largest request body in `bytes`")
	verbose := fs.Bool("verbose", false, "log every request to stderr")
	var cors originsFlag
	fs.Var(&cors, "cors-origin", "a site (`scheme://host[:port]`, or * for any) whose pages may call the API, as the related-papers widget does; repeat for more (env PAPERLENS_CORS_ORIGINS, comma-separated; default: none but this server's own pages)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, rest)
	}
	if len(cors) == 0 && e.getenv("PAPERLENS_CORS_ORIGINS") != "" {
		for _, o := range strings.Split(e.getenv("PAPERLENS_CORS_ORIGINS"), ",") {
			if err := cors.Set(o); err != nil {
				return fmt.Errorf("%w: PAPERLENS_CORS_ORIGINS: %v", errUsage, err)
			}
		}
	}
	emb, st, lx, err := c.openIndexed(ctx, false)
	if err != nil {
		return err
	}
	defer lx.Close()
	defer st.Close() // releases the folder's lock
	return serve(ctx, e, emb, st, lx, *addr, *maxBody, *verbose, nil, cors...)
}

// serve answers the API on addr until ctx is done, then shuts down
// gracefully. banner, if not nil, is called once the listener is open.
// corsOrigins are the sites allowed to call the API (server.Config).
func serve(ctx context.Context, e *env, emb embeddings.Embedder, st *store.Store, lx *lexical.Index, addr string, maxBody int64, verbose bool, banner func(url string), corsOrigins ...string) error {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	h := server.New(server.Config{MaxBodyBytes: maxBody, Logger: log, CORSOrigins: corsOrigins}, search.New(emb, st, lx), ingest.New(emb, st, lx))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another server running there? choose another with --addr)", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	url := "http://" + ln.Addr().String()
	if banner != nil {
		banner(url)
	} else {
		m := st.Manifest()
		fmt.Fprintf(e.stderr, "paperlens: serving %d papers from %s (%s/%s) at %s\n", m.Count, st.Dir(), m.Embedder, m.Model, url)
	}
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintln(e.stderr, "paperlens: stopped")
	return nil
}

// originsFlag collects --cors-origin values, checked as they are given.
type originsFlag []string

func (o *originsFlag) String() string { return strings.Join(*o, ",") }

func (o *originsFlag) Set(s string) error {
	origin, err := server.ParseOrigin(s)
	if err != nil {
		return err
	}
	*o = append(*o, origin)
	return nil
}
