package server

import (
	"github.com/gin-gonic/gin"

	"github.com/paperlens/paperlens/pkg/paper"
	"github.com/paperlens/paperlens/pkg/search"
)

// recommendBody is the body of POST /v1/recommend.
type recommendBody struct {
	Positive []search.Example `json:"positive"`
	Negative []search.Example `json:"negative"`
	search.Params
}

// recommend answers POST /v1/recommend: papers like the positive examples
// and unlike the negative ones (search.Engine.Recommend).
func (s *server) recommend(c *gin.Context) {
	var req recommendBody
	if !s.decodeBody(c, &req, `{"positive": ["2509.03687", {"text": "…"}], "negative": [], "limit": 10}`) {
		return
	}
	o, ok := s.options(c, req.Params, nil)
	if !ok {
		return
	}
	s.answerPage(c, func() (paper.Page, error) {
		return s.eng.Recommend(c.Request.Context(), req.Positive, req.Negative, o)
	})
}
