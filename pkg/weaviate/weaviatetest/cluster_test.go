//go:build weaviate

package weaviatetest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paperlens/paperlens/pkg/weaviate/weaviatetest"
)

// The cluster test speaks Weaviate's REST and GraphQL API with net/http
// alone, so that it proves the harness and the server, not a client library.

const (
	class  = "Probe"
	dims   = 32
	before = 300 // objects written while all nodes run
	during = 60  // objects in each of two batches written while node 1 is down
)

// probe is one object the test writes: its own id and vector.
type probe struct {
	id     string
	n      int
	vector []float32
}

// probes returns count objects with ids and unit vectors made from their
// number, so that every run writes the same ones.
func probes(from, count int) []probe {
	out := make([]probe, count)
	for i := range out {
		n := from + i
		r := rand.New(rand.NewPCG(8, uint64(n)))
		v := make([]float32, dims)
		var norm float64
		for k := range v {
			x := r.NormFloat64()
			v[k] = float32(x)
			norm += x * x
		}
		for k := range v {
			v[k] /= float32(math.Sqrt(norm))
		}
		out[i] = probe{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), n: n, vector: v}
	}
	return out
}

func TestWeaviateClusterKeepsAnsweringWhileANodeIsDown(t *testing.T) {
	began := time.Now()
	c := weaviatetest.Start(t, 3)
	t.Logf("cluster start took %.1f s", time.Since(began).Seconds())
	api := &client{http: &http.Client{Timeout: 30 * time.Second}}

	t.Run("three nodes form one cluster", func(t *testing.T) {
		for i := range c.Len() {
			if status, got := api.nodes(t, c.URL(i)); len(got) != 3 {
				t.Errorf("node %d's /v1/nodes (HTTP %d) lists healthy nodes %v, want node0, node1 and node2", i, status, got)
			}
		}
	})
	createClass(t, api, c.URL(0))

	first := probes(0, before)
	t.Run("a batch written with consistency QUORUM is acknowledged for every object", func(t *testing.T) {
		if refused := api.batch(t, c.URL(0), "QUORUM", first); len(refused) > 0 {
			t.Errorf("%d of %d objects refused, the first: %s", len(refused), len(first), refused[0])
		}
	})

	// The node lost is a follower: losing the raft leader is another test.
	v := (c.Leader() + 1) % 3
	others := []int{(v + 1) % 3, (v + 2) % 3}
	c.Kill(v)
	killed := time.Now()
	second, third := probes(before, during), probes(before+during, during)
	t.Run("right after a node is killed, QUORUM refuses writes to the shards it holds", func(t *testing.T) {
		// With two replicas a quorum is both, as long as the cluster still
		// counts the lost node (about 5 s here). Two of the three shards
		// live on it. The same objects are written again below with ONE.
		refused := api.batch(t, c.URL(others[0]), "QUORUM", second)
		if len(refused) == 0 || len(refused) == len(second) {
			t.Fatalf("%d of %d objects refused %.2f s after the kill, want some but not all", len(refused), len(second), time.Since(killed).Seconds())
		}
		t.Logf("%d of %d refused, the first: %s", len(refused), len(second), refused[0])
	})
	// Reads must answer both before the others notice the node is gone
	// (they try it and fall back to the other replica) and after.
	reads := func(when string) {
		t.Run(when+", nearVector finds every object through the other nodes", func(t *testing.T) {
			deadline := time.Now().Add(30 * time.Second)
			for k, p := range first {
				node := others[k%2]
				if got := api.nearestWithin(t, c.URL(node), p.vector, deadline); got != p.id {
					t.Errorf("node %d: nearVector with object %d's own vector returned %q first, want %s", node, p.n, got, p.id)
				}
			}
		})
		t.Run(when+", every object reads back with consistency ONE", func(t *testing.T) {
			for k, p := range first {
				node := others[k%2]
				if n, ok := api.object(t, c.URL(node), p.id, "ONE"); !ok || n != p.n {
					t.Errorf("node %d: GET object %d (%s) with consistency ONE: found %v, n=%d", node, p.n, p.id, ok, n)
				}
			}
		})
	}
	reads("right after a node is killed")
	t.Run("/v1/nodes drops the killed node once gossip finds it dead", func(t *testing.T) {
		// Until then /v1/nodes fails (HTTP 500) as it cannot reach it.
		want := []string{fmt.Sprint("node", others[0]), fmt.Sprint("node", others[1])}
		slices.Sort(want)
		deadline := time.Now().Add(time.Minute)
		for {
			status, healthy := api.nodes(t, c.URL(others[0]))
			if status == http.StatusOK && slices.Equal(healthy, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a minute after the kill node %d's /v1/nodes answers HTTP %d with healthy nodes %v, want %v", others[0], status, healthy, want)
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("%.1f s after the kill", time.Since(killed).Seconds())
	})
	reads("once the cluster has dropped the node")

	t.Run("with the node dropped, a batch written with consistency ONE is acknowledged for every object", func(t *testing.T) {
		if refused := api.batch(t, c.URL(others[0]), "ONE", second); len(refused) > 0 {
			t.Errorf("%d of %d objects refused, the first: %s", len(refused), len(second), refused[0])
		}
	})
	t.Run("with the node dropped, QUORUM counts only the replicas left and acknowledges every object", func(t *testing.T) {
		// Weaviate builds a shard's replica set from the nodes gossip
		// knows, so once a node is dropped a quorum of the one replica
		// left is that replica: the object lives on one node until the
		// lost one is back and catches up.
		if refused := api.batch(t, c.URL(others[1]), "QUORUM", third); len(refused) > 0 {
			t.Errorf("%d of %d objects refused, the first: %s", len(refused), len(third), refused[0])
		}
	})
	t.Logf("node %d was down for %.1f s", v, time.Since(killed).Seconds())

	all := slices.Concat(first, second, third)
	c.Restart(v)
	restarted := time.Now()
	t.Run("after the restart every node lists three healthy nodes", func(t *testing.T) {
		for i := range c.Len() {
			if status, got := api.nodes(t, c.URL(i)); len(got) != 3 {
				t.Errorf("node %d's /v1/nodes (HTTP %d) lists healthy nodes %v, want node0, node1 and node2", i, status, got)
			}
		}
	})
	t.Run("after the restart an Aggregate count on every node becomes exact", func(t *testing.T) {
		// A count reads one replica of each shard, chosen per query, and
		// the restarted node's replicas lack what was written while it
		// was down until asynchronous replication copies it: wait for
		// three rounds in a row of exact counts on every node.
		waitExactCount(t, api, c, len(all), 2*time.Minute)
		t.Logf("counts exact on every node %.1f s after the restarted node was healthy again", time.Since(restarted).Seconds())
	})
	t.Run("after the restart the node serves every object, including those written while it was down", func(t *testing.T) {
		for _, p := range all {
			if n, ok := api.object(t, c.URL(v), p.id, "ONE"); !ok || n != p.n {
				t.Errorf("node %d: GET object %d (%s) with consistency ONE: found %v, n=%d", v, p.n, p.id, ok, n)
			}
		}
		for _, p := range slices.Concat(second, third) {
			if got := api.nearest(t, c.URL(v), p.vector); got != p.id {
				t.Errorf("node %d: nearVector with object %d's own vector returned %q first, want %s", v, p.n, got, p.id)
			}
		}
	})
	t.Logf("test before Stop took %.1f s", time.Since(began).Seconds())

	stopping := time.Now()
	c.Stop()
	t.Run("after Stop no node answers", func(t *testing.T) {
		for i := range c.Len() {
			if resp, err := api.http.Get(c.URL(i) + "/v1/.well-known/live"); err == nil {
				resp.Body.Close()
				t.Errorf("node %d still answers at %s after Stop: HTTP %d", i, c.URL(i), resp.StatusCode)
			}
		}
	})
	t.Logf("Stop took %.1f s", time.Since(stopping).Seconds())
}

func TestWeaviateClusterElectsANewLeaderWhenTheLeaderIsKilled(t *testing.T) {
	began := time.Now()
	c := weaviatetest.Start(t, 3)
	api := &client{http: &http.Client{Timeout: 30 * time.Second}}
	createClass(t, api, c.URL(0))
	first := probes(0, before)
	if refused := api.batch(t, c.URL(0), "QUORUM", first); len(refused) > 0 {
		t.Fatalf("%d of %d objects refused with all nodes up, the first: %s", len(refused), len(first), refused[0])
	}

	old := c.Leader()
	others := []int{(old + 1) % 3, (old + 2) % 3}
	c.Kill(old)
	killed := time.Now()
	t.Run("right after the leader is killed, nearVector finds every object through the other nodes", func(t *testing.T) {
		deadline := killed.Add(30 * time.Second)
		for k, p := range first {
			node := others[k%2]
			if got := api.nearestWithin(t, c.URL(node), p.vector, deadline); got != p.id {
				t.Errorf("node %d: nearVector with object %d's own vector returned %q first, want %s", node, p.n, got, p.id)
			}
		}
	})
	second := probes(before, during)
	t.Run("batches with consistency ONE are acknowledged again within a minute of the kill", func(t *testing.T) {
		// A batch sent while the others still follow the dead leader can
		// hang for ~20 s and fail with HTTP 500 (seen here: "failed to
		// query leader: … the client connection is closing"): the backend
		// must time out and retry writes that fail so.
		short := &client{http: &http.Client{Timeout: 10 * time.Second}}
		deadline := killed.Add(time.Minute)
		for attempt := 1; ; attempt++ {
			status, refused, err := short.tryBatch(c.URL(others[attempt%2]), "ONE", second)
			if err == nil && status == http.StatusOK && len(refused) == 0 {
				t.Logf("acknowledged %.1f s after the kill, at attempt %d", time.Since(killed).Seconds(), attempt)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a minute after the kill a batch still fails: HTTP %d, %v, refused %v", status, err, refused)
			}
			t.Logf("attempt %d, %.1f s after the kill: HTTP %d, %v, %d refused", attempt, time.Since(killed).Seconds(), status, err, len(refused))
			time.Sleep(500 * time.Millisecond)
		}
	})
	t.Run("the two nodes left elect a new leader", func(t *testing.T) {
		deadline := time.Now().Add(time.Minute)
		for {
			if l, ok := api.leader(t, c.URL(others[0])); ok && l != fmt.Sprint("node", old) {
				t.Logf("node %d killed; %s leads %.1f s later", old, l, time.Since(killed).Seconds())
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a minute after the leader (node %d) was killed, node %d knows no new leader", old, others[0])
			}
			time.Sleep(250 * time.Millisecond)
		}
	})
	c.Restart(old)
	t.Run("after the old leader's restart an Aggregate count on every node becomes exact", func(t *testing.T) {
		waitExactCount(t, api, c, before+during, 2*time.Minute)
	})
	t.Logf("whole test took %.1f s", time.Since(began).Seconds())
}

// createClass makes the test class: vectors from the client (no
// vectoriser), three shards (one per node), each on two nodes, and
// asynchronous replication, so that a node that comes back fetches what
// was written while it was away.
func createClass(t *testing.T, api *client, base string) {
	t.Helper()
	api.do(t, http.MethodPost, base+"/v1/schema", map[string]any{
		"class":             class,
		"vectorizer":        "none",
		"replicationConfig": map[string]any{"factor": 2, "asyncEnabled": true},
		"properties": []map[string]any{
			{"name": "n", "dataType": []string{"int"}},
		},
	}, nil)
}

// waitExactCount waits until every node's Aggregate count is want in three
// rounds in a row, since each count reads one replica of each shard,
// chosen per query.
func waitExactCount(t *testing.T, api *client, c *weaviatetest.Cluster, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var counts []int
	for exact := 0; exact < 3; {
		counts = counts[:0]
		ok := true
		for i := range c.Len() {
			n := api.count(t, c.URL(i))
			counts = append(counts, n)
			ok = ok && n == want
		}
		if ok {
			exact++
			continue
		}
		exact = 0
		if time.Now().After(deadline) {
			t.Fatalf("Aggregate counts on nodes 0..%d are %v after %s, want %d", c.Len()-1, counts, timeout, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// client makes the test's HTTP calls and fails the test on any transport
// error, unexpected status or undecodable answer.
type client struct {
	http *http.Client
}

// do sends body as JSON and decodes a 2xx answer into out (when not nil).
func (a *client) do(t testing.TB, method, url string, body, out any) {
	t.Helper()
	status, data := a.send(t, method, url, body)
	if status/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, url, status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, data, err)
		}
	}
}

func (a *client) send(t testing.TB, method, url string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, url, err)
	}
	return resp.StatusCode, data
}

// nodes returns the status of base's /v1/nodes and the names of the nodes
// it calls HEALTHY, sorted.
func (a *client) nodes(t testing.TB, base string) (int, []string) {
	t.Helper()
	status, data := a.send(t, http.MethodGet, base+"/v1/nodes", nil)
	var body struct {
		Nodes []struct{ Name, Status string }
	}
	if status == http.StatusOK {
		if err := json.Unmarshal(data, &body); err != nil {
			t.Fatalf("GET %s/v1/nodes: decode %s: %v", base, data, err)
		}
	}
	var names []string
	for _, n := range body.Nodes {
		if n.Status == "HEALTHY" {
			names = append(names, n.Name)
		}
	}
	slices.Sort(names)
	return status, names
}

// batch writes ps through /v1/batch/objects with the consistency level
// and returns the objects refused, as "ID: message". It fails the test if
// the request itself fails.
func (a *client) batch(t testing.TB, base, consistency string, ps []probe) []string {
	t.Helper()
	status, refused, err := a.tryBatch(base, consistency, ps)
	if err != nil {
		t.Fatalf("batch of %d objects with consistency %s to %s: HTTP %d: %v", len(ps), consistency, base, status, err)
	}
	return refused
}

// tryBatch is batch that returns the request's failure instead.
func (a *client) tryBatch(base, consistency string, ps []probe) (status int, refused []string, err error) {
	objs := make([]map[string]any, len(ps))
	for i, p := range ps {
		objs[i] = map[string]any{"class": class, "id": p.id, "vector": p.vector, "properties": map[string]any{"n": p.n}}
	}
	body, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		return 0, nil, err
	}
	resp, err := a.http.Post(base+"/v1/batch/objects?consistency_level="+consistency, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, fmt.Errorf("%.300s", data)
	}
	var results []struct {
		ID     string `json:"id"`
		Result struct {
			Errors *struct {
				Error []struct{ Message string }
			}
		}
	}
	if err := json.Unmarshal(data, &results); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("decode %.300s: %w", data, err)
	}
	if len(results) != len(ps) {
		return resp.StatusCode, nil, fmt.Errorf("%d results for %d objects", len(results), len(ps))
	}
	for _, r := range results {
		if r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 {
			refused = append(refused, r.ID+": "+r.Result.Errors.Error[0].Message)
		}
	}
	return resp.StatusCode, refused, nil
}

// leader returns the raft leader that every node in base's
// /v1/cluster/statistics agrees on, if they do.
func (a *client) leader(t testing.TB, base string) (string, bool) {
	t.Helper()
	status, data := a.send(t, http.MethodGet, base+"/v1/cluster/statistics", nil)
	if status != http.StatusOK {
		return "", false
	}
	var body struct {
		Statistics []struct {
			LeaderID string `json:"leaderId"`
		} `json:"statistics"`
	}
	if err := json.Unmarshal(data, &body); err != nil || len(body.Statistics) == 0 {
		return "", false
	}
	leader := body.Statistics[0].LeaderID
	for _, st := range body.Statistics {
		if st.LeaderID != leader {
			return "", false
		}
	}
	return leader, leader != ""
}

// graphql runs query on base and fails the test on GraphQL errors.
func (a *client) graphql(t testing.TB, base, query string, out any) {
	t.Helper()
	var body struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	a.do(t, http.MethodPost, base+"/v1/graphql", map[string]any{"query": query}, &body)
	if len(body.Errors) > 0 {
		t.Fatalf("GraphQL on %s: %s (query %.200s)", base, body.Errors[0].Message, query)
	}
	if err := json.Unmarshal(body.Data, out); err != nil {
		t.Fatalf("GraphQL on %s: decode %s: %v", base, body.Data, err)
	}
}

// nearest returns the id of the object nearest to v by a nearVector query.
func (a *client) nearest(t testing.TB, base string, v []float32) string {
	t.Helper()
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	var data struct {
		Get map[string][]struct {
			Additional struct{ ID string } `json:"_additional"`
		}
	}
	a.graphql(t, base, fmt.Sprintf(`{Get{%s(nearVector:{vector:[%s]}, limit:1){_additional{id}}}}`, class, strings.Join(parts, ",")), &data)
	hits := data.Get[class]
	if len(hits) == 0 {
		return ""
	}
	return hits[0].Additional.ID
}

// nearestWithin is nearest, asked again until deadline when the node
// answers with an error: right after a node is lost, the nodes left may
// for a moment not resolve each other under load ("remote shard …:
// resolve node name "node1" to host", seen with a CPU hog), which the
// backend also tries again (Backend.get). Each failure is logged; a wrong
// answer is returned at once.
func (a *client) nearestWithin(t testing.TB, base string, v []float32, deadline time.Time) string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		got, err := a.tryNearest(base, v)
		if err == nil {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: nearVector still fails after %d attempts: %v", base, attempt, err)
		}
		t.Logf("%s: attempt %d: %v", base, attempt, err)
		time.Sleep(250 * time.Millisecond)
	}
}

// tryNearest is nearest, returning what fails instead of failing the test.
func (a *client) tryNearest(base string, v []float32) (string, error) {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	query := fmt.Sprintf(`{Get{%s(nearVector:{vector:[%s]}, limit:1){_additional{id}}}}`, class, strings.Join(parts, ","))
	b, err := json.Marshal(map[string]any{"query": query})
	if err != nil {
		return "", err
	}
	resp, err := a.http.Post(base+"/v1/graphql", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Get map[string][]struct {
				Additional struct{ ID string } `json:"_additional"`
			}
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
	}
	if len(body.Errors) > 0 {
		return "", fmt.Errorf("GraphQL on %s: %s", base, body.Errors[0].Message)
	}
	if hits := body.Data.Get[class]; len(hits) > 0 {
		return hits[0].Additional.ID, nil
	}
	return "", nil
}

// object reads one object by id with the consistency level and returns
// its n and whether it was found.
func (a *client) object(t testing.TB, base, id, consistency string) (int, bool) {
	t.Helper()
	url := fmt.Sprintf("%s/v1/objects/%s/%s?consistency_level=%s", base, class, id, consistency)
	status, data := a.send(t, http.MethodGet, url, nil)
	if status == http.StatusNotFound {
		return 0, false
	}
	if status != http.StatusOK {
		t.Errorf("GET %s: HTTP %d: %s", url, status, data)
		return 0, false
	}
	var obj struct {
		Properties struct{ N int }
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatalf("GET %s: decode %s: %v", url, data, err)
	}
	return obj.Properties.N, true
}

// count returns the class's object count by an Aggregate query on base.
func (a *client) count(t testing.TB, base string) int {
	t.Helper()
	var data struct {
		Aggregate map[string][]struct {
			Meta struct{ Count int }
		}
	}
	a.graphql(t, base, fmt.Sprintf(`{Aggregate{%s{meta{count}}}}`, class), &data)
	if len(data.Aggregate[class]) != 1 {
		t.Fatalf("Aggregate on %s: %d groups, want 1", base, len(data.Aggregate[class]))
	}
	return data.Aggregate[class][0].Meta.Count
}
