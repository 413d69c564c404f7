package paper

// Record is a stored paper: the paper, the content hash of the text its
// vector was made from (see ContentHash), and the vector.
type Record struct {
	Paper  Paper
	Hash   string
	Vector []float32
}

// Scored is a paper id with a score, higher is better: what a ranking
// gives before the papers themselves are fetched.
type Scored struct {
	ID    string
	Score float64
}
