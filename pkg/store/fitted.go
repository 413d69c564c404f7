package store

import "time"

// Fitted is the hybrid ranking's fusion fitted to the folder's own papers
// and embedder (package tune), kept in the manifest so that every command
// that opens the folder ranks with it.
type Fitted struct {
	// Method is the fusion method ("score" or "rrf"), LexicalWeight and
	// VectorWeight its weights, K the reciprocal-rank constant.
	Method        string  `json:"method"`
	LexicalWeight float64 `json:"lexical_weight"`
	VectorWeight  float64 `json:"vector_weight"`
	K             float64 `json:"k,omitempty"`
	// Papers is how many papers the folder held when it was fitted, and
	// Queries how many pseudo-queries it was fitted on.
	Papers  int `json:"papers"`
	Queries int `json:"queries"`
	// NDCG is the fitted fusion's mean nDCG@10 over the pseudo-queries and
	// DefaultNDCG the default fusion's.
	NDCG        float64   `json:"ndcg@10"`
	DefaultNDCG float64   `json:"default_ndcg@10"`
	At          time.Time `json:"at"`
}

// SetFitted keeps f (nil: none) in the folder's manifest, where Manifest
// and the next Open find it.
func (s *Store) SetFitted(f *Fitted) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.dir != "" && s.log == nil {
		return ErrClosed
	}
	s.mu.Lock()
	if f != nil {
		c := *f
		f = &c
	}
	s.manifest.Fitted = f
	m := s.manifest
	m.Count = s.idx.Len()
	s.mu.Unlock()
	return s.writeManifest(m)
}
