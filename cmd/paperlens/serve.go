package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paperlens/paperlens/pkg/backend"
	"github.com/paperlens/paperlens/pkg/harvest"
	"github.com/paperlens/paperlens/pkg/metrics"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/server"
	"github.com/paperlens/paperlens/pkg/tune"
)

const defaultAddr = "127.0.0.1:8080"

// Defaults of serve's limits and timeouts.
const (
	defaultReadTimeout     = time.Minute
	defaultWriteTimeout    = 5 * time.Minute
	defaultIdleTimeout     = 2 * time.Minute
	defaultShutdownTimeout = 30 * time.Second
)

// serveOptions are what serve needs besides the store and the embedder.
type serveOptions struct {
	addr    string
	verbose bool
	// api holds the limits, key and CORS origins; its Logger and Metrics
	// are filled by serve.
	api server.Config
	// readTimeout, writeTimeout and idleTimeout bound a connection
	// (http.Server); shutdownTimeout bounds the wait for requests in
	// flight once serve is asked to stop.
	readTimeout, writeTimeout, idleTimeout, shutdownTimeout time.Duration
	// banner, if not nil, is called once the listener is open instead of
	// printing the "serving" line.
	banner func(url string)
	// sync is what to sync in the background; nothing when it has no
	// sources.
	sync syncSchedule
}

func runServe(ctx context.Context, e *env, args []string) error {
	var c config
	fs := newFlagSet(e, "serve", "", "Answers the HTTP JSON API (see README.md) for the papers in the data folder.\n"+
		"With --sync, also keeps the folder current from Hugging Face Daily Papers or arXiv in the background,\n"+
		"as 'paperlens sync' does: one source at a time, every --sync-every, writing as the API writes.")
	c.register(fs, e, defaultDataDir(e, "default"))
	o := serveOptions{}
	fs.StringVar(&o.addr, "addr", envOr(e, "PAPERLENS_ADDR", defaultAddr), "`host:port` to listen on (env PAPERLENS_ADDR); without an API key, keep it on 127.0.0.1")
	fs.Int64Var(&o.api.MaxBodyBytes, "max-body", server.DefaultMaxBodyBytes, "largest request body in `bytes`")
	fs.IntVar(&o.api.MaxQueryBytes, "max-query-bytes", search.MaxQueryLength, "longest query or text to compare, in `bytes` (at most the default)")
	fs.IntVar(&o.api.MaxDepth, "max-depth", search.MaxDepth, "deepest a client may page: offset+limit at most `n` (at most the default)")
	keyFile := fs.String("api-key-file", "", "read the API key that writes (POST /v1/papers, DELETE) need from `FILE` (env PAPERLENS_API_KEY holds the key itself)")
	fs.DurationVar(&o.readTimeout, "read-timeout", defaultReadTimeout, "longest time to read a request, body included")
	fs.DurationVar(&o.writeTimeout, "write-timeout", defaultWriteTimeout, "longest time to answer a request once it is read")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", defaultIdleTimeout, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM or Ctrl-C, how long to let requests in flight finish")
	fs.BoolVar(&o.verbose, "verbose", false, "log every request to stderr")
	var cors originsFlag
	fs.Var(&cors, "cors-origin", "a site (`scheme://host[:port]`, or * for any) whose pages may call the API, as the related-papers widget does; repeat for more (env PAPERLENS_CORS_ORIGINS, comma-separated; default: none but this server's own pages)")
	fs.IntVar(&o.api.MaxPapers, "max-papers", server.DefaultMaxPapers, "most papers one POST /v1/papers may hold")
	var hosts listFlag
	fs.Var(&hosts, "allowed-host", "a host `name` this server answers besides localhost when it listens on loopback, such as the name a reverse proxy passes on; repeat for more (env PAPERLENS_ALLOWED_HOSTS, comma-separated). Other names are refused, which stops DNS rebinding")
	var syncs syncFlags
	syncs.register(fs, e)
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
	o.api.CORSOrigins = cors
	if len(hosts) == 0 && e.getenv("PAPERLENS_ALLOWED_HOSTS") != "" {
		hosts = strings.Split(e.getenv("PAPERLENS_ALLOWED_HOSTS"), ",")
	}
	o.api.AllowedHosts = hosts
	for _, f := range []struct {
		name string
		v    int64
	}{{"--max-body", o.api.MaxBodyBytes}, {"--max-query-bytes", int64(o.api.MaxQueryBytes)}, {"--max-depth", int64(o.api.MaxDepth)}, {"--max-papers", int64(o.api.MaxPapers)}} {
		if f.v < 1 {
			return fmt.Errorf("%w: %s must be 1 or more, got %d", errUsage, f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"--read-timeout", o.readTimeout}, {"--write-timeout", o.writeTimeout}, {"--idle-timeout", o.idleTimeout}, {"--shutdown-timeout", o.shutdownTimeout}} {
		if f.v <= 0 {
			return fmt.Errorf("%w: %s must be more than 0, got %v", errUsage, f.name, f.v)
		}
	}
	if o.api.APIKey, err = apiKey(e, *keyFile); err != nil {
		return err
	}
	if o.sync, err = syncs.schedule(fs, e, c.Data); err != nil {
		return err
	}
	papers, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	err = serveWith(ctx, e, papers, o)
	// Requests are over: every acknowledged write is on disk once the
	// folder is closed, before the process exits.
	if cerr := papers.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// apiKey reads the key from file when one is named, else from
// PAPERLENS_API_KEY; "" means writes are open. A key of only white space
// is an error, not open writes.
func apiKey(e *env, file string) (string, error) {
	if file == "" {
		return envKey(e)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%w: --api-key-file: %v", errUsage, err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("%w: --api-key-file %s is empty: put the key in it", errUsage, file)
	}
	return key, nil
}

// envKey is the API key PAPERLENS_API_KEY holds: "" when it is unset or
// empty, an error when it holds only white space (a key meant, but lost).
func envKey(e *env) (string, error) {
	raw := e.getenv("PAPERLENS_API_KEY")
	key := strings.TrimSpace(raw)
	if key == "" && raw != "" {
		return "", fmt.Errorf("%w: PAPERLENS_API_KEY holds only white space: set it to the key, or unset it to leave writes open", errUsage)
	}
	return key, nil
}

// defaultServeOptions are serve's defaults, for demo: addr, the timeouts,
// and the API key from PAPERLENS_API_KEY.
func defaultServeOptions(e *env, addr string) (serveOptions, error) {
	key, err := envKey(e)
	return serveOptions{
		addr:        addr,
		api:         server.Config{APIKey: key},
		readTimeout: defaultReadTimeout, writeTimeout: defaultWriteTimeout, idleTimeout: defaultIdleTimeout, shutdownTimeout: defaultShutdownTimeout,
	}, err
}

// serveWith answers the API until ctx is done. Then it stops accepting
// connections and waits up to o.shutdownTimeout for the requests in flight
// to be answered; the caller closes the store once it returns.
func serveWith(ctx context.Context, e *env, papers *backend.Papers, o serveOptions) error {
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	m := metrics.New()
	emb := m.Embedder(papers.Embedder)
	o.api.Logger, o.api.Metrics = log, m
	o.api.CheckHost = server.IsLoopbackHost(o.addr) // see server.Config.CheckHost
	// The embedder counted by the metrics, and the fusion fitted to the
	// folder (Papers.Engine) as every other command ranks with.
	counted := &backend.Papers{Backend: papers.Backend, Embedder: emb}
	eng, ing := counted.Engine(), counted.Ingester()
	var syncs *harvest.Scheduler
	if len(o.sync.sources) > 0 { // the syncs write through the API's ingester
		syncs = o.sync.scheduler(ing, log)
		o.api.Sync = syncs.Status
	}
	h := server.New(o.api, eng, ing)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (is another server running there? choose another with --addr)", o.addr, err)
	}
	if o.api.APIKey == "" && !server.IsLoopbackHost(ln.Addr().String()) {
		fmt.Fprintf(e.stderr, "paperlens: warning: listening on %s without an API key: anyone who can reach it may add and delete papers; set PAPERLENS_API_KEY or --api-key-file, or listen on 127.0.0.1\n", ln.Addr())
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, o.readTimeout),
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	if o.banner != nil {
		o.banner(url)
	} else {
		info := papers.Embedder.Info()
		fmt.Fprintf(e.stderr, "paperlens: serving %d papers from %s (%s/%s) at %s\n", eng.Count(), papers.Where(), info.Embedder, info.Model, url)
		if syncs != nil {
			fmt.Fprintf(e.stderr, "paperlens: syncing %s\n", o.sync)
		}
	}
	if e.ready != nil {
		e.ready(ln.Addr().String())
	}
	if syncs != nil {
		syncCtx, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() { syncs.Run(syncCtx); close(stopped) }()
		// However serve ends, the sync in flight stops before the caller
		// closes the store.
		defer func() { stop(); <-stopped }()
	}
	// The API's writes and the syncs change the papers while serve runs:
	// the fusion is fitted again when they changed enough, as ingest does.
	refitCtx, stopRefit := context.WithCancel(ctx)
	refitStopped := make(chan struct{})
	go func() { refitWhileServing(refitCtx, e, counted, eng, log); close(refitStopped) }()
	defer func() { stopRefit(); <-refitStopped }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(e.stderr, "paperlens: stopping: finishing the requests in flight (at most %v)\n", o.shutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		fmt.Fprintf(e.stderr, "paperlens: requests still running after %v were cut off; their clients got no answer, and what they sent may or may not be stored: send it again\n", o.shutdownTimeout)
	}
	fmt.Fprintln(e.stderr, "paperlens: stopped")
	return nil
}

// refitEvery is how often serve looks whether its papers changed enough
// since the fusion was fitted to them (tune.Stale) to fit it again; tests
// shorten it.
var refitEvery = time.Minute

// refitWhileServing fits the hybrid ranking's fusion to papers again, in
// the background, whenever they have changed enough (refitIfStale, as
// ingest does), and hands the new fusion to eng; it returns when ctx is
// done. The queries meanwhile rank with the fusion before. A backend that
// cannot be fitted (Weaviate) is never stale.
func refitWhileServing(ctx context.Context, e *env, papers *backend.Papers, eng *search.Engine, log *slog.Logger) {
	tick := time.NewTicker(refitEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rec, err := refitIfStale(ctx, e, papers, false)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("ranking with the fusion before; will try again", "error", err, "retry_in", refitEvery)
		case rec != nil:
			eng.SetFusion(tune.FusionOf(rec))
		}
	}
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
