package weaviate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"

	"github.com/paperlens/paperlens/pkg/paper"
)

func TestKeyTermsKeepTheMostFrequentWords(t *testing.T) {
	for _, c := range []struct {
		name, in string
		max      int
		want     string
	}{
		{name: "a short text stays whole", in: "graph neural graph", max: 3, want: "graph neural graph"},
		{name: "the most frequent words, as often as they occur", in: "a b b c c c d", max: 2, want: "c c c b b"},
		{name: "ties go to the word seen first", in: "x y z", max: 2, want: "x y"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := keyTerms(strings.Fields(c.in), c.max)
			if !slices.Equal(got, strings.Fields(c.want)) {
				t.Fatalf("keyTerms(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
		})
	}
}

func TestRetryableTellsRefusalsThatMayPassFromWrongRequests(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "some papers of a batch refused", err: &partialWrite{stored: 1, of: 2, failed: []string{"a: no quorum"}}, want: true},
		{name: "a wrapped partial write", err: fmt.Errorf("batch 3: %w", &partialWrite{stored: 0, of: 1, failed: []string{"a: x"}}), want: true},
		{name: "no node answers", err: fmt.Errorf("%w: down", paper.ErrUnavailable), want: true},
		{name: "a server error", err: &fault.WeaviateClientError{StatusCode: 500, Msg: "failed to query leader"}, want: true},
		{name: "a bad request", err: &fault.WeaviateClientError{StatusCode: 422, Msg: "invalid property"}, want: false},
		{name: "anything else", err: errors.New("boom"), want: false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := retryable(c.err); got != c.want {
				t.Fatalf("retryable(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
	msg := (&partialWrite{stored: 2, of: 5, failed: []string{"a: x", "b: y", "c: z", "d: w"}}).Error()
	if !strings.Contains(msg, "stored 2 of 5") || strings.Contains(msg, "d: w") {
		t.Fatalf("message %q", msg)
	}
}
