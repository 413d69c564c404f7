package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/paperlens/paperlens/embeddings"
	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
	"github.com/paperlens/paperlens/pkg/web"
)

// Error codes of the API; the package documentation says when each is used.
// Those of a bad ranking request (invalid_parameter, empty_query,
// query_too_long) are package search's, answered as they are.
const (
	codeInvalidParameter     = search.CodeInvalidParameter
	codeMalformedJSON        = "malformed_json"
	codeUnknownField         = "unknown_field"
	codeUnauthorized         = "unauthorized"
	codeEmptyBody            = "empty_body"
	codeInvalidPaper         = "invalid_paper"
	codeNotFound             = "not_found"
	codeMethodNotAllowed     = "method_not_allowed"
	codeBodyTooLarge         = "body_too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeEmbedderUnavailable  = "embedder_unavailable"
	codeBackendUnavailable   = "backend_unavailable"
	codeInternal             = "internal"
	codeClientClosed         = "client_closed_request"
	codeTooManyPapers        = "too_many_papers"
)

// apiError is the body of every error answer.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail answers an error and stops the handler chain.
func (s *server) fail(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, apiError{Error: errorBody{Code: code, Message: message}})
}

func (s *server) tooLarge(c *gin.Context) {
	limit, what := s.bodyLimit(c), "send fewer papers per request"
	if limit < s.maxBody {
		what = "a search needs no more"
	}
	s.fail(c, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
		"the request body is longer than "+strconv.FormatInt(limit, 10)+" bytes: "+what)
}

// failWith answers err with the status its kind calls for: 400 for a bad
// request (with the code package search gives it) or a bad paper, 404 for
// an unknown paper, 503 when the embedder or the backend is down, 499 when
// the client left, and 500 for anything else, with a message that keeps
// the error's text to the log.
func (s *server) failWith(c *gin.Context, err error) {
	_ = c.Error(err) // for the request log
	var (
		tooBig *http.MaxBytesError
		bad    *search.Error
	)
	switch {
	case c.Request.Context().Err() != nil:
		s.fail(c, web.StatusClientClosed, codeClientClosed, "the client closed the connection before the answer")
	case errors.As(err, &tooBig):
		s.tooLarge(c)
	case errors.As(err, &bad):
		s.fail(c, http.StatusBadRequest, bad.Code, bad.Error())
	case errors.Is(err, embeddings.ErrUnavailable):
		s.fail(c, http.StatusServiceUnavailable, codeEmbedderUnavailable,
			"the embedder is unavailable: "+err.Error()+"; start it or check its address, then retry")
	case errors.Is(err, paper.ErrUnavailable):
		s.fail(c, http.StatusServiceUnavailable, codeBackendUnavailable,
			err.Error()+"; check that the backend's servers are running, then retry")
	case errors.Is(err, paper.ErrNotFound):
		s.fail(c, http.StatusNotFound, codeNotFound, err.Error()+": check the id, or add the paper with POST /v1/papers")
	case errors.Is(err, paper.ErrInvalid):
		s.fail(c, http.StatusBadRequest, codeInvalidPaper, err.Error()+"; nothing was stored: fix that paper and send the request again")
	default:
		s.fail(c, http.StatusInternalServerError, codeInternal, "the server could not answer this request: the server log has the details")
	}
}
