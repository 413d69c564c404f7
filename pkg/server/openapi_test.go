package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/paperlens/paperlens/pkg/server"
)

// TestAnswersMatchTheOpenAPIDocument sends real requests to every route,
// good and bad, and checks each answer (status, headers, body) against the
// document served at /openapi.json.
func TestAnswersMatchTheOpenAPIDocument(t *testing.T) {
	// A feed's body is checked as Atom by TestFeeds; here, as a string.
	openapi3filter.RegisterBodyDecoder("application/atom+xml", openapi3filter.PlainBodyDecoder)
	seed, _ := seedPapers(t)
	const key = "k"
	ts := newServer(t, server.Config{APIKey: key, Sync: syncing, CheckHost: true, MaxPapers: 2}, builtinEmbedder(t), seed)

	served := ts.get(t, "/openapi.json")
	if served.status != http.StatusOK || !bytes.Equal(served.body, server.OpenAPI) {
		t.Fatalf("/openapi.json answered %d and not the embedded document", served.status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(served.body)
	if err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: ts.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}

	id := seed[0].ID
	tests := []struct {
		name, method, path, ctype, auth, body string
		status                                int
		header                                []string
	}{
		{"health", "GET", "/healthz", "", "", "", 200, nil},
		{"stats", "GET", "/v1/stats", "", "", "", 200, nil},
		{"a search with every option", "GET", "/v1/search?q=learning&limit=3&offset=1&mode=hybrid&year_from=1990&year_to=2030&category=cs.LG&category=cs.AI&author=a&highlight=true&explain=true", "", "", "", 200, nil},
		{"a search with a bad limit", "GET", "/v1/search?q=x&limit=0", "", "", "", 400, nil},
		{"a search without q", "GET", "/v1/search", "", "", "", 400, nil},
		{"a POST search with highlights and explanations", "POST", "/v1/search", "application/json", "", `{"q": "learning", "limit": 2, "highlight": true, "explain": true}`, 200, nil},
		{"a POST search with an unknown field", "POST", "/v1/search", "application/json", "", `{"q": "x", "limt": 2}`, 400, nil},
		{"a POST search with malformed JSON", "POST", "/v1/search", "application/json", "", `{"q":`, 400, nil},
		{"a POST search as XML", "POST", "/v1/search", "application/xml", "", `<q/>`, 415, nil},
		{"a search sorted by date since a day", "GET", "/v1/search?q=learning&sort=date&since=2020-01-01&limit=3", "", "", "", 200, nil},
		{"a search with a since that is not a date", "GET", "/v1/search?q=learning&since=last-week", "", "", "", 400, nil},
		{"similar text", "POST", "/v1/similar", "application/json", "", `{"text": "neural networks", "limit": 2}`, 200, nil},
		{"a recommendation with every kind of example", "POST", "/v1/recommend", "application/json", "", `{"positive": ["` + id + `", {"text": "meta-learning for few-shot classification"}], "negative": [{"id": "` + seed[1].ID + `"}], "limit": 3, "sort": "date", "highlight": true, "explain": true}`, 200, nil},
		{"a recommendation without a positive", "POST", "/v1/recommend", "application/json", "", `{"negative": ["` + id + `"]}`, 400, nil},
		{"a recommendation of an unknown paper", "POST", "/v1/recommend", "application/json", "", `{"positive": ["nope"]}`, 404, nil},
		{"similar text that is empty", "POST", "/v1/similar", "application/json", "", `{"text": ""}`, 400, nil},
		{"a paper", "GET", "/v1/papers/" + id, "", "", "", 200, nil},
		{"an unknown paper", "GET", "/v1/papers/nope", "", "", "", 404, nil},
		{"papers like a paper", "GET", "/v1/papers/" + id + "/similar?limit=2&mode=vector", "", "", "", 200, nil},
		{"papers like an unknown paper", "GET", "/v1/papers/nope/similar", "", "", "", 404, nil},
		{"adding a paper without the key", "POST", "/v1/papers", "application/json", "", `{"id": "2601.00003", "abstract": "A."}`, 401, nil},
		{"adding a paper", "POST", "/v1/papers", "application/json", "Bearer " + key, `{"id": "2601.00003", "title": "T", "abstract": "A."}`, 201, nil},
		{"adding the same paper again", "POST", "/v1/papers", "application/json", "Bearer " + key, `[{"id": "2601.00003", "title": "T", "abstract": "A."}]`, 200, nil},
		{"adding an invalid paper", "POST", "/v1/papers", "application/json", "Bearer " + key, `{"id": "x"}`, 400, nil},
		{"adding papers as a form", "POST", "/v1/papers", "application/x-www-form-urlencoded", "Bearer " + key, `id=x`, 415, nil},
		{"deleting a paper without the key", "DELETE", "/v1/papers/2601.00003", "", "", "", 401, nil},
		{"deleting a paper", "DELETE", "/v1/papers/2601.00003", "", "Bearer " + key, "", 200, nil},
		{"deleting an unknown paper", "DELETE", "/v1/papers/2601.00003", "", "Bearer " + key, "", 404, nil},
		{"a search feed", "GET", "/feeds/search.atom?q=learning&since=2000-01-01&limit=5", "", "", "", 200, nil},
		{"a reading-list feed", "GET", "/feeds/like.atom?paper=" + id + "&not=" + seed[1].ID + "&since=2000-01-01", "", "", "", 200, nil},
		{"a reading-list feed of an unknown paper", "GET", "/feeds/like.atom?paper=nope", "", "", "", 404, nil},
		{"metrics", "GET", "/metrics", "", "", "", 200, nil},
		{"the document itself", "GET", "/openapi.json", "", "", "", 200, nil},
		{"a method a route does not have", "DELETE", "/healthz", "", "", "", 405, nil},
		{"adding a paper from another site", "POST", "/v1/papers", "application/json", "Bearer " + key, `{"id": "2601.00004", "abstract": "A."}`, 403, []string{"Origin", "https://evil.example"}},
		{"deleting a paper from another site", "DELETE", "/v1/papers/" + id, "", "Bearer " + key, "", 403, []string{"Sec-Fetch-Site", "cross-site"}},
		{"adding papers as plain text", "POST", "/v1/papers", "text/plain", "Bearer " + key, `{"id": "2601.00004", "abstract": "A."}`, 415, nil},
		{"adding more papers than a request may hold", "POST", "/v1/papers", "application/json", "Bearer " + key, `[{"id": "a", "abstract": "A."}, {"id": "b", "abstract": "B."}, {"id": "c", "abstract": "C."}]`, 413, nil},
		{"a search for another host", "GET", "/v1/search?q=x", "", "", "", 421, []string{"Host", "evil.example"}},
		{"a paper for another host", "GET", "/v1/papers/" + id, "", "", "", 421, []string{"Host", "evil.example"}},
		{"a feed for another host", "GET", "/feeds/search.atom?q=learning", "", "", "", 421, []string{"Host", "evil.example"}},
		{"a write for another host", "POST", "/v1/papers", "application/json", "Bearer " + key, `{"id": "x", "abstract": "A."}`, 421, []string{"Host", "evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers as documented", func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			for i := 0; i+1 < len(tt.header); i += 2 {
				if tt.header[i] == "Host" {
					req.Host = tt.header[i+1]
				} else {
					req.Header.Set(tt.header[i], tt.header[i+1])
				}
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, got)
			}
			if strings.Contains(tt.body, `"explain": true`) && (!bytes.Contains(got, []byte(`"highlights":[`)) || !bytes.Contains(got, []byte(`"explain":{`))) {
				t.Errorf("asked for highlights and explain, the hits lack them, so their schema went unchecked: %.300s", got)
			}

			// Route the request against the document (with a method the
			// route lacks, against the route's other method).
			find := req.Clone(context.Background())
			if tt.status == http.StatusMethodNotAllowed {
				find.Method = http.MethodGet
			}
			route, params, err := router.FindRoute(find)
			if err != nil {
				t.Fatalf("the document has no route for %s %s: %v", find.Method, tt.path, err)
			}
			if tt.status == http.StatusMethodNotAllowed {
				route = routeWithResponses(route, "405")
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 resp.StatusCode,
				Header:                 resp.Header,
				Body:                   io.NopCloser(bytes.NewReader(got)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			}
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Errorf("the answer does not match the document: %v\nbody: %.400s", err, got)
			}
		})
	}
}

// routeWithResponses checks that the route's operation documents the status
// and returns the route unchanged, so a 405 is validated against the
// operation that names it.
func routeWithResponses(r *routers.Route, status string) *routers.Route {
	if r.Operation.Responses.Value(status) == nil {
		return &routers.Route{Spec: r.Spec, Path: r.Path, PathItem: r.PathItem, Method: r.Method, Operation: &openapi3.Operation{Responses: openapi3.NewResponses()}}
	}
	return r
}
