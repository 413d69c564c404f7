package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paperlens/paperlens/pkg/ingest"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/server"
)

// send sends a JSON body with an Authorization header ("" sends none).
func (ts *testServer) send(t *testing.T, method, path, auth, body string) response {
	t.Helper()
	return ts.with(t, method, path, body, "Content-Type", "application/json", "Authorization", auth)
}

func TestWritesNeedTheKey(t *testing.T) {
	seed, _ := seedPapers(t)
	const key = "correct horse battery staple"
	ts := newServer(t, server.Config{APIKey: key}, builtinEmbedder(t), seed)
	newPaper := `{"id": "2601.00001", "title": "Keys", "abstract": "Only the holder of the key may write."}`

	refused := []struct{ name, method, path, auth, body string }{
		{"adding papers without a key is refused", "POST", "/v1/papers", "", newPaper},
		{"adding papers with a wrong key is refused", "POST", "/v1/papers", "Bearer wrong", newPaper},
		{"adding papers with the key as Basic auth is refused", "POST", "/v1/papers", "Basic " + key, newPaper},
		{"adding papers with a key one byte short is refused", "POST", "/v1/papers", "Bearer " + key[:len(key)-1], newPaper},
		{"adding papers with the key and more is refused", "POST", "/v1/papers", "Bearer " + key + "x", newPaper},
		{"adding papers with an empty bearer token is refused", "POST", "/v1/papers", "Bearer ", newPaper},
		{"deleting without a key is refused", "DELETE", "/v1/papers/" + seed[0].ID, "", ""},
		{"deleting with a wrong key is refused", "DELETE", "/v1/papers/" + seed[0].ID, "Bearer nope", ""},
		{"an unauthorised write is refused before its body is read", "POST", "/v1/papers", "", "not even JSON"},
		{"adding papers with the key glued to the scheme is refused", "POST", "/v1/papers", "Bearer" + key, newPaper},
		{"adding papers with the key under another scheme is refused", "POST", "/v1/papers", "Token " + key, newPaper},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.send(t, tt.method, tt.path, tt.auth, tt.body)
			e := r.wantError(t, http.StatusUnauthorized, "unauthorized")
			if !strings.Contains(e.Error.Message, "Authorization: Bearer") {
				t.Errorf("message %q does not say how to send the key", e.Error.Message)
			}
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want Bearer", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	if n := ts.stored(); n != len(seed) {
		t.Fatalf("refused writes changed the store: %d papers, want %d", n, len(seed))
	}

	t.Run("reads need no key", func(t *testing.T) {
		var page paper.Page
		ts.send(t, "GET", "/v1/search?q=learning", "", "").decode(t, http.StatusOK, &page)
		ts.send(t, "POST", "/v1/search", "", `{"q": "learning"}`).decode(t, http.StatusOK, &page)
		ts.send(t, "POST", "/v1/similar", "", `{"text": "learning"}`).decode(t, http.StatusOK, &page)
		ts.send(t, "GET", "/v1/papers/"+seed[0].ID+"/similar", "", "").decode(t, http.StatusOK, &page)
		var p paper.Paper
		ts.send(t, "GET", "/v1/papers/"+seed[0].ID, "", "").decode(t, http.StatusOK, &p)
	})
	for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
		t.Run("the scheme "+scheme+" is accepted, since schemes are case-insensitive", func(t *testing.T) {
			var st ingest.Stats
			ts.send(t, "POST", "/v1/papers", scheme+" "+key, `{"id": "2601.00009", "abstract": "Any case."}`).decode(t, http.StatusCreated, &st)
			var del map[string]string
			ts.send(t, "DELETE", "/v1/papers/2601.00009", scheme+"  "+key, "").decode(t, http.StatusOK, &del)
		})
	}
	t.Run("the key lets a paper in and out", func(t *testing.T) {
		var st ingest.Stats
		ts.send(t, "POST", "/v1/papers", "Bearer "+key, newPaper).decode(t, http.StatusCreated, &st)
		if st.Added != 1 || ts.stored() != len(seed)+1 {
			t.Fatalf("stats %+v, store %d; want 1 added and %d stored", st, ts.stored(), len(seed)+1)
		}
		var del map[string]string
		ts.send(t, "DELETE", "/v1/papers/2601.00001", "Bearer "+key, "").decode(t, http.StatusOK, &del)
		if del["deleted"] != "2601.00001" || ts.stored() != len(seed) {
			t.Errorf("DELETE answered %v and the store holds %d; want 2601.00001 gone", del, ts.stored())
		}
	})
}

func TestWithoutAKeyWritesAreOpen(t *testing.T) {
	ts := newServer(t, server.Config{}, builtinEmbedder(t), nil)
	var st ingest.Stats
	ts.send(t, "POST", "/v1/papers", "", `{"id": "open-1", "abstract": "Anyone may write here."}`).decode(t, http.StatusCreated, &st)
	if st.Added != 1 {
		t.Errorf("stats %+v, want 1 added", st)
	}
}
