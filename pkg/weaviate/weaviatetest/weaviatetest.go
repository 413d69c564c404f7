//go:build weaviate

// Package weaviatetest runs a real Weaviate cluster for tests: it finds the
// weaviate-server binary that scripts/weaviate.sh builds, starts n nodes on
// free 127.0.0.1 ports with their data under the test's temporary folder,
// waits until they form one healthy cluster, and kills them when the test
// ends. Kill and Restart take a node down and bring it back, for tests of
// what a client sees while a node is lost:
//
//	c := weaviatetest.Start(t, 3)
//	… write through c.URL(0) …
//	c.Kill(1)
//	… read through nodes 0 and 2 …
//	c.Restart(1)
//
// Weaviate's gRPC and cluster data ports listen on every interface, with no
// setting to change that, so Start runs only inside a private network
// namespace whose one interface is loopback; scripts/weaviate-tests.sh runs
// the tests that way:
//
//	unshare -n sh -c 'ip link set lo up && go test -tags weaviate -run Weaviate ./...'
//
// Files that use it carry the build tag `weaviate` and `Weaviate` in their
// test names. Without a binary, or outside such a namespace, Start fails the
// test with a message saying what to do; it never skips.
package weaviatetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/testbin"
)

// Version is the Weaviate release that scripts/weaviate.sh builds.
const Version = "1.35.2"

// How long a node may take to answer ready, and the cluster to agree that
// every node is healthy. Cold starts take a few seconds here; the margin is
// for a machine busy with other builds.
const (
	readyTimeout   = 3 * time.Minute
	healthyTimeout = 2 * time.Minute
	stopTimeout    = 30 * time.Second
)

// Binary returns the path of the weaviate-server binary:
// $PAPERLENS_WEAVIATE_BIN if set, else where scripts/weaviate.sh caches it
// ($PAPERLENS_CACHE, default ~/.cache/paperlens, then
// weaviate-VERSION/weaviate-server). The error says how to get one.
func Binary() (string, error) {
	return testbin.Server{Env: "PAPERLENS_WEAVIATE_BIN", Path: filepath.Join("weaviate-"+Version, "weaviate-server"),
		Script: "scripts/weaviate.sh", Takes: "about 6 minutes on 2 cores", Need: "a real cluster"}.Find()
}

// LoopbackOnly returns an error, saying how to get one, unless this process
// runs in a network namespace whose only interface is loopback, and that
// interface is up.
func LoopbackOnly() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("weaviatetest: list network interfaces: %w", err)
	}
	var others []string
	loUp := false
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 {
			loUp = ifc.Flags&net.FlagUp != 0
			continue
		}
		others = append(others, ifc.Name)
	}
	if len(others) > 0 {
		return fmt.Errorf("weaviatetest: refusing to start Weaviate: its gRPC and cluster data ports listen on every interface, and this network namespace also has %s — run the tests in a private one with `bash scripts/weaviate-tests.sh`, or `unshare -n sh -c 'ip link set lo up && go test -tags weaviate -run Weaviate ./...'` (modules must already be downloaded)", strings.Join(others, ", "))
	}
	if !loUp {
		return errors.New("weaviatetest: loopback is down in this network namespace — run `ip link set lo up` before the tests")
	}
	return nil
}

// Cluster is a running Weaviate cluster owned by one test. Its methods
// other than URL, Len, LogPath and Stop must be called from the
// test's goroutine, since they fail the test.
type Cluster struct {
	tb    testing.TB
	bin   string
	nodes []*node
	http  *http.Client
}

// node is one weaviate-server process and the ports it keeps across restarts.
type node struct {
	name                                     string
	dir                                      string // data/ and weaviate.log
	httpPort, grpcPort, gossipPort, dataPort int
	raftPort                                 int // and raftPort+1 for raft RPC, which Weaviate derives locally

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts an n-node cluster and waits until every node answers
// /v1/.well-known/ready and node 0's /v1/nodes lists n healthy nodes. Each
// node keeps its data in its own folder under tb.TempDir() and its log in
// a file whose tail is printed if the test fails. The nodes are killed when
// the test ends. Start fails the test, never skips it, when the binary is
// missing or the process is not in a loopback-only network namespace.
//
// Nodes are named node0…node{n-1}. Anonymous access is on, there is no
// vectoriser module (DEFAULT_VECTORIZER_MODULE=none: clients send their own
// vectors), telemetry and the profiling port are off, and
// QUERY_DEFAULTS_LIMIT is 25. For classes with asynchronous replication
// (replicationConfig.asyncEnabled) the nodes compare replicas every 5 s and
// repair objects older than 1 s (ASYNC_REPLICATION_FREQUENCY and
// ASYNC_REPLICATION_PROPAGATION_DELAY; Weaviate's defaults are 30 s and
// 30 s), so that a restarted node catches up in seconds rather than half a
// minute. The test's own environment passes through to the nodes, but
// these settings win.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("weaviatetest: Start needs at least one node, not %d", n)
	}
	if err := LoopbackOnly(); err != nil {
		tb.Fatal(err)
	}
	bin, err := Binary()
	if err != nil {
		tb.Fatal(err)
	}
	ports, err := freePorts(n)
	if err != nil {
		tb.Fatalf("weaviatetest: find free ports: %v", err)
	}
	root := tb.TempDir()
	c := &Cluster{tb: tb, bin: bin, http: &http.Client{Timeout: 10 * time.Second}}
	for i := range n {
		p := ports[i]
		c.nodes = append(c.nodes, &node{
			name:       "node" + strconv.Itoa(i),
			dir:        filepath.Join(root, "node"+strconv.Itoa(i)),
			httpPort:   p[0],
			grpcPort:   p[1],
			gossipPort: p[2],
			dataPort:   p[3],
			raftPort:   p[4],
		})
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			c.logTails()
		}
		c.stop(syscall.SIGKILL)
	})

	began := time.Now()
	// Node 0 first: the others join it by gossip, and a node none of whose
	// join addresses answers exits at once.
	if err := c.startNode(0, ""); err != nil {
		c.tb.Fatal(err)
	}
	if err := c.waitGossip(0); err != nil {
		c.tb.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if err := c.startNode(i, c.gossipAddr(0)); err != nil {
			c.tb.Fatal(err)
		}
	}
	for i := range n {
		if err := c.waitReady(i); err != nil {
			c.tb.Fatal(err)
		}
	}
	if err := c.waitHealthy(0); err != nil {
		c.tb.Fatal(err)
	}
	tb.Logf("weaviatetest: %d-node Weaviate %s cluster ready in %.1f s (node 0 at %s)", n, Version, time.Since(began).Seconds(), c.URL(0))
	return c
}

// Len returns the number of nodes in the cluster.
func (c *Cluster) Len() int { return len(c.nodes) }

// URL returns node i's REST base URL, http://127.0.0.1:PORT. It stays the
// same across Kill and Restart.
func (c *Cluster) URL(i int) string {
	return "http://127.0.0.1:" + strconv.Itoa(c.nodes[i].httpPort)
}

// LogPath returns the file node i writes its log to.
func (c *Cluster) LogPath(i int) string {
	return filepath.Join(c.nodes[i].dir, "weaviate.log")
}

// Leader returns the index of the node that leads the cluster's raft
// group, which holds the schema, as the first running node's
// /v1/cluster/statistics reports it. Killing the leader stalls schema
// changes and batch writes until the others elect a new one (about 11 s
// here), so tests that mean to lose an ordinary node kill one that is not
// the leader, e.g. (c.Leader()+1)%c.Len().
func (c *Cluster) Leader() int {
	c.tb.Helper()
	for i, nd := range c.nodes {
		if !nd.running() {
			continue
		}
		var body struct {
			Statistics []struct {
				Name     string `json:"name"`
				LeaderID string `json:"leaderId"`
			} `json:"statistics"`
		}
		resp, err := c.http.Get(c.URL(i) + "/v1/cluster/statistics")
		if err != nil {
			c.tb.Fatalf("weaviatetest: find the raft leader: %v", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			c.tb.Fatalf("weaviatetest: find the raft leader: decode %s/v1/cluster/statistics (HTTP %d): %v", c.URL(i), resp.StatusCode, err)
		}
		for _, st := range body.Statistics {
			if st.Name == nd.name {
				for j, other := range c.nodes {
					if other.name == st.LeaderID {
						return j
					}
				}
				c.tb.Fatalf("weaviatetest: node %d reports raft leader %q, not a node of this cluster", i, st.LeaderID)
			}
		}
		c.tb.Fatalf("weaviatetest: %s/v1/cluster/statistics has no entry for %s", c.URL(i), nd.name)
	}
	c.tb.Fatal("weaviatetest: no node is running to ask for the raft leader")
	return -1
}

// Kill ends node i with SIGKILL, as a crash would, and waits until the
// process has exited. Its data folder and ports stay for Restart. Killing a
// node that is not running fails the test.
func (c *Cluster) Kill(i int) {
	c.tb.Helper()
	nd := c.nodes[i]
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.mu.Unlock()
	if cmd == nil {
		c.tb.Fatalf("weaviatetest: Kill(%d): node %d is not running", i, i)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	nd.mu.Lock()
	nd.cmd, nd.done = nil, nil
	nd.mu.Unlock()
}

// Restart starts node i again after Kill, with the same data folder and
// ports, joining the nodes that are running. It waits until the node
// answers ready and until every running node's /v1/nodes lists the running
// nodes (all n, unless others are still killed) as healthy. Restarting a
// running node fails the test.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	var join []string
	for j, nd := range c.nodes {
		if j != i && nd.running() {
			join = append(join, c.gossipAddr(j))
		}
	}
	began := time.Now()
	if err := c.startNode(i, strings.Join(join, ",")); err != nil {
		c.tb.Fatal(err)
	}
	if err := c.waitReady(i); err != nil {
		c.tb.Fatal(err)
	}
	ready := time.Since(began)
	c.Settle()
	c.tb.Logf("weaviatetest: node %d restarted: ready in %.1f s, all %d nodes healthy in %.1f s", i, ready.Seconds(), len(c.nodes), time.Since(began).Seconds())
}

// Settle waits until every running node's /v1/nodes lists exactly the
// running nodes, all healthy. After Kill that is when the cluster has
// noticed the node is gone, which gossip takes 4-6 s here to decide; until
// then Weaviate still counts the node's replicas when it plans a read.
func (c *Cluster) Settle() {
	c.tb.Helper()
	for j, nd := range c.nodes {
		if nd.running() {
			if err := c.waitHealthy(j); err != nil {
				c.tb.Fatal(err)
			}
		}
	}
}

// Stop stops every running node with SIGTERM, and SIGKILL after 30 s, and
// waits for them to exit; a graceful stop of three nodes at once takes
// about 7 s here. Calling it again does nothing. When the test ends, the
// nodes still running are killed instead, since their data goes with the
// test's temporary folder.
func (c *Cluster) Stop() { c.stop(syscall.SIGTERM) }

// stop sends sig to every running node, then SIGKILL to any that has not
// exited 30 s later, and waits for them all.
func (c *Cluster) stop(sig syscall.Signal) {
	var wg sync.WaitGroup
	for _, nd := range c.nodes {
		nd.mu.Lock()
		cmd, done := nd.cmd, nd.done
		nd.cmd, nd.done = nil, nil
		nd.mu.Unlock()
		if cmd == nil {
			continue
		}
		wg.Go(func() {
			_ = cmd.Process.Signal(sig)
			select {
			case <-done:
			case <-time.After(stopTimeout):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
			}
		})
	}
	wg.Wait()
}

func (nd *node) running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.cmd != nil
}

func (c *Cluster) gossipAddr(i int) string {
	return "127.0.0.1:" + strconv.Itoa(c.nodes[i].gossipPort)
}

// startNode starts node i's process, joining the gossip addresses in join
// (comma-separated; empty for the first node of a new cluster).
func (c *Cluster) startNode(i int, join string) error {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd != nil {
		return fmt.Errorf("weaviatetest: node %d is already running", i)
	}
	if err := os.MkdirAll(filepath.Join(nd.dir, "data"), 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(c.LogPath(i), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var raftJoin []string
	for _, other := range c.nodes {
		raftJoin = append(raftJoin, other.name+":"+strconv.Itoa(other.raftPort))
	}
	cmd := exec.Command(c.bin, "--scheme", "http", "--host", "127.0.0.1", "--port", strconv.Itoa(nd.httpPort))
	cmd.Dir = nd.dir
	cmd.Env = append(os.Environ(),
		"PERSISTENCE_DATA_PATH="+filepath.Join(nd.dir, "data"),
		"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
		"DEFAULT_VECTORIZER_MODULE=none",
		"DISABLE_TELEMETRY=true",
		// The classic BM25 path: 1.35.2's BlockMax WAND drops papers not
		// yet flushed from limited BM25 results (weaviate PR #11780).
		"USE_INVERTED_SEARCHABLE=false",
		"GO_PROFILING_DISABLE=true", // else every node serves pprof on :6060
		"QUERY_DEFAULTS_LIMIT=25",
		"ASYNC_REPLICATION_FREQUENCY=5s",
		"ASYNC_REPLICATION_PROPAGATION_DELAY=1s",
		"GRPC_PORT="+strconv.Itoa(nd.grpcPort),
		"CLUSTER_HOSTNAME="+nd.name,
		"CLUSTER_IN_LOCALHOST=true",
		"CLUSTER_BIND_ADDR=127.0.0.1",
		"CLUSTER_GOSSIP_BIND_PORT="+strconv.Itoa(nd.gossipPort),
		"CLUSTER_DATA_BIND_PORT="+strconv.Itoa(nd.dataPort),
		"CLUSTER_JOIN="+join,
		"RAFT_PORT="+strconv.Itoa(nd.raftPort),
		"RAFT_INTERNAL_RPC_PORT="+strconv.Itoa(nd.raftPort+1),
		"RAFT_JOIN="+strings.Join(raftJoin, ","),
		"RAFT_BOOTSTRAP_EXPECT="+strconv.Itoa(len(c.nodes)),
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGKILL if the test binary dies without stopping it, e.g. on a panic.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("weaviatetest: start %s for node %d: %w", c.bin, i, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	nd.cmd, nd.done = cmd, done
	return nil
}

// exited reports whether node i's process has ended by itself.
func (c *Cluster) exited(i int) bool {
	nd := c.nodes[i]
	nd.mu.Lock()
	done := nd.done
	nd.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// poll calls ok every 200 ms until it returns true, the node exits, or the
// timeout passes.
func (c *Cluster) poll(i int, timeout time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if c.exited(i) {
			return fmt.Errorf("weaviatetest: node %d exited while waiting for %s; see %s", i, what, c.LogPath(i))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("weaviatetest: node %d: no %s after %s; see %s", i, what, timeout, c.LogPath(i))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *Cluster) waitGossip(i int) error {
	return c.poll(i, readyTimeout, "gossip port "+c.gossipAddr(i), func() bool {
		conn, err := net.DialTimeout("tcp", c.gossipAddr(i), time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

func (c *Cluster) waitReady(i int) error {
	return c.poll(i, readyTimeout, "answer from "+c.URL(i)+"/v1/.well-known/ready", func() bool {
		resp, err := c.http.Get(c.URL(i) + "/v1/.well-known/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitHealthy waits until node i's /v1/nodes lists every running node of
// the cluster as HEALTHY, and no other node.
func (c *Cluster) waitHealthy(i int) error {
	var want []string
	for _, nd := range c.nodes {
		if nd.running() {
			want = append(want, nd.name)
		}
	}
	var last string
	err := c.poll(i, healthyTimeout, fmt.Sprintf("healthy %s in %s/v1/nodes", strings.Join(want, ", "), c.URL(i)), func() bool {
		var statuses map[string]string
		statuses, last = c.nodeStatuses(i)
		if len(statuses) != len(want) {
			return false
		}
		for _, name := range want {
			if statuses[name] != "HEALTHY" {
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("%w (last answer: %s)", err, last)
	}
	return nil
}

// nodeStatuses returns each node's status as node i's /v1/nodes reports
// it, and the answer in short for error messages.
func (c *Cluster) nodeStatuses(i int) (map[string]string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(i)+"/v1/nodes", nil)
	if err != nil {
		return nil, err.Error()
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Nodes []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Sprintf("HTTP %d, %v", resp.StatusCode, err)
	}
	statuses := map[string]string{}
	var short []string
	for _, nd := range body.Nodes {
		statuses[nd.Name] = nd.Status
		short = append(short, nd.Name+"="+nd.Status)
	}
	return statuses, fmt.Sprintf("HTTP %d, %s", resp.StatusCode, strings.Join(short, " "))
}

// logTails prints the last lines of every node's log.
func (c *Cluster) logTails() {
	const lines = 30
	for i := range c.nodes {
		data, err := os.ReadFile(c.LogPath(i))
		if err != nil {
			continue
		}
		all := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
		if len(all) > lines {
			all = all[len(all)-lines:]
		}
		c.tb.Logf("weaviatetest: last %d lines of node %d's log %s:\n%s", len(all), i, c.LogPath(i), bytes.Join(all, []byte("\n")))
	}
}

// freePorts returns, for each of n nodes, five ports nobody listens on:
// HTTP, gRPC, gossip (TCP and UDP), cluster data, and raft, whose next port
// (raft RPC) is free too. They come from below Linux's ephemeral range, so
// that an outgoing connection cannot take one while a node is down between
// Kill and Restart. Other test binaries may start clusters in the same
// namespace at the same time; the random start makes a clash unlikely and
// the checks catch the rest.
func freePorts(n int) ([][5]int, error) {
	const lo, hi = 10000, 32000
	var held []interface{ Close() error }
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	// take holds port p (TCP on every interface, as Weaviate binds, and
	// UDP too when udp is set) until freePorts returns.
	take := func(p int, udp bool) bool {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		if udp {
			u, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
			if err != nil {
				l.Close()
				return false
			}
			held = append(held, u)
		}
		held = append(held, l)
		return true
	}
	next := lo + rand.IntN(hi-lo)
	pick := func(pair, udp bool) (int, error) {
		for tries := 0; tries < hi-lo; tries++ {
			p := next
			next++
			if next+1 >= hi {
				next = lo
			}
			if !take(p, udp) {
				continue
			}
			if pair {
				if !take(p+1, false) {
					continue // p stays held, unused
				}
				next++
			}
			return p, nil
		}
		return 0, fmt.Errorf("no free port between %d and %d", lo, hi)
	}
	out := make([][5]int, n)
	for i := range out {
		for k, kind := range []struct{ pair, udp bool }{{}, {}, {udp: true}, {}, {pair: true}} {
			p, err := pick(kind.pair, kind.udp)
			if err != nil {
				return nil, err
			}
			out[i][k] = p
		}
	}
	return out, nil
}
