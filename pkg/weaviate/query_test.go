package weaviate

import (
	"errors"
	"testing"

	"github.com/weaviate/weaviate/entities/models"
)

func TestAnswersThatPassAsTheClusterSettlesAreToldApart(t *testing.T) {
	tests := []struct {
		name string
		msgs []string
		want bool
	}{
		{"a node it could not resolve", []string{`explorer: get class: vector search: object vector search at index paper: remote shard 6CG0sYQ16T7B: remote shard 6CG0sYQ16T7B: resolve node name "node1" to host`}, true},
		{"a remote shard that did not answer", []string{"remote shard abc: context deadline exceeded"}, true},
		{"one of several errors", []string{"something else", `resolve node name "node2" to host`}, true},
		{"a query the class refuses", []string{`Cannot query field "nope" on type "Paper".`}, false},
		{"a bad filter", []string{"invalid 'where' filter: no such prop with name 'x' found in class 'Paper'"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &models.GraphQLResponse{}
			for _, m := range tt.msgs {
				resp.Errors = append(resp.Errors, &models.GraphQLError{Message: m})
			}
			var qe *queryError
			if err := gqlErrors(resp); !errors.As(err, &qe) {
				t.Fatalf("gqlErrors = %v, want a *queryError", err)
			}
			if got := qe.clusterSide(); got != tt.want {
				t.Errorf("clusterSide() = %v, want %v for %q", got, tt.want, tt.msgs)
			}
		})
	}
}
