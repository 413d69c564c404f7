package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// TestRacingWritesToOneIDLeaveTheWordIndexWithTheStore has 32 clients
// add, change and delete the same few papers at once, as the review that
// found the word index behind the store did. Afterwards, without a
// restart, each paper's unique word must find it by lexical search
// exactly when the store holds it.
func TestRacingWritesToOneIDLeaveTheWordIndexWithTheStore(t *testing.T) {
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)
	const (
		clients = 32
		rounds  = 25
		shared  = 6
	)
	word := func(i int) string { return "zqracer" + string(rune('a'+i)) } // one word per paper, in no other
	id := func(i int) string { return fmt.Sprintf("race-%d", i) }
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 16))
			for r := range rounds {
				i := rng.IntN(shared)
				var req *http.Request
				var err error
				if rng.IntN(2) == 0 {
					// A new text each time: the word index must change with it.
					body := fmt.Sprintf(`{"id": %q, "title": "Racing writes %d", "abstract": "A paper about %s, written by client %d in round %d."}`, id(i), r, word(i), c, r)
					req, err = http.NewRequest(http.MethodPost, ts.URL+"/v1/papers", strings.NewReader(body))
					if err == nil {
						req.Header.Set("Content-Type", "application/json")
					}
				} else {
					req, err = http.NewRequest(http.MethodDelete, ts.URL+"/v1/papers/"+id(i), nil)
				}
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()

	stored := 0
	for i := range shared {
		t.Run(id(i)+" is found by its word exactly when it is stored", func(t *testing.T) {
			inStore := ts.get(t, "/v1/papers/"+id(i)).status == http.StatusOK
			if inStore {
				stored++
			}
			var page paper.Page
			ts.get(t, "/v1/search?mode=lexical&q="+word(i)).decode(t, http.StatusOK, &page)
			found := len(page.Results) == 1 && page.Results[0].ID == id(i)
			if inStore != found || page.Total != len(page.Results) {
				t.Errorf("stored %v, found by lexical search %v (total %d, results %v)", inStore, found, page.Total, ids(page.Results))
			}
		})
	}
	if n := ts.stored(); n != stored {
		t.Errorf("the store counts %d papers, %d of them answer GET", n, stored)
	}
}
