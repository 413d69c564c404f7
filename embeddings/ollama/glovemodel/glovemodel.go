// Package glovemodel turns the built-in embedder's word vectors into a model
// that a real Ollama server can serve, so that paperlens's Ollama client is
// tested against the real server without a model download.
//
// The model is a BERT with zero encoder layers, written the way a Hugging
// Face sentence-transformers checkpoint is (config.json, tokenizer.json with
// a WordPiece vocabulary, model.safetensors, modules.json with mean pooling
// and normalisation), and imported through Ollama's /api/blobs and
// /api/create, where Ollama's own converter turns it into GGUF. Ollama then
// computes, for a text,
//
//	normalize(mean over tokens t of LayerNorm(E[t] + P[pos] + T[0]))
//
// with E the token table, P the position table and T the token-type table.
// The builtin embedder computes normalize(sum of the rows of the text's
// words). To make the two agree:
//
//   - P and T are zero, and the rows of the padding, unknown and special
//     tokens are zero, so only known words count (mean and sum point the
//     same way);
//   - LayerNorm is made linear: its ε is so large (1e14) that
//     1/√(var+ε) is the constant 1e-7 whatever the row, and its weight is
//     1e7, so it leaves x − mean(x);
//   - the mean subtraction is made a no-op by storing each 100-dimensional
//     row v as H·[v; 0] in 101 dimensions, where H is the Householder
//     reflection that swaps the last axis with the all-ones direction: H is
//     orthogonal, so cosines are kept, and every stored row is orthogonal to
//     the all-ones vector, so its mean is zero.
//
// ToBuiltin maps a served 101-dimensional vector back to the builtin
// embedder's 100 dimensions. Tokenisation differs in small ways: Ollama's
// WordPiece splits words only at spaces and punctuation, so a word glued to
// a symbol ("x+y", "$n$") is one unknown token there but known words to the
// builtin tokenizer; CJK ideographs are split one by one.
package glovemodel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/ollama/ollama/api"

	"github.com/paperlens/paperlens/embeddings/builtin"
)

// Name is the model name the tests and cmd/mkmodel create.
const Name = "paperlens-glove"

// Dimension is the length of the vectors the served model returns: one
// more than the builtin embedder's, see the package documentation.
const Dimension = builtinDim + 1

const (
	builtinDim = 100
	// contextLength is the longest input in tokens; Ollama truncates
	// longer ones. Abstracts are under 1,000 tokens.
	contextLength = 2048
	// scale multiplies every row so that the smallest row maximum (the
	// most frequent words have tiny SIF weights) stays a normal float16.
	scale = 16
	// eps and normWeight make the embedding LayerNorm linear:
	// normWeight/√(var+eps) = 1 for any var ≪ eps (rows here have var < 1e4).
	eps        = 1e14
	normWeight = 1e7
)

// specials are the first rows of the vocabulary, all zero.
var specials = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}

// Files lists the files of the model, relative to its folder, in the order
// Write writes them. 1_Pooling/config.json is in a sub-folder, as in a
// sentence-transformers checkpoint.
var Files = []string{
	"config.json",
	"tokenizer.json",
	"tokenizer_config.json",
	"modules.json",
	"1_Pooling/config.json",
	"model.safetensors",
}

// Write writes the model's files into dir, creating it. It takes about a
// second and writes about 35 MB.
func Write(dir string) error {
	emb, err := builtin.New()
	if err != nil {
		return err
	}
	if d := emb.Info().Dimension; d != builtinDim {
		return fmt.Errorf("glovemodel: builtin embedder has %d dimensions, this package is written for %d", d, builtinDim)
	}
	words := emb.Vocabulary()

	vocab := make(map[string]int, len(specials)+len(words))
	var added []map[string]any
	for i, s := range specials {
		vocab[s] = i
		added = append(added, map[string]any{
			"id": i, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true,
		})
	}
	for i, w := range words {
		vocab[w] = len(specials) + i
	}

	jsonFiles := map[string]any{
		"config.json": map[string]any{
			"architectures":           []string{"BertModel"},
			"model_type":              "bert",
			"vocab_size":              len(vocab),
			"hidden_size":             Dimension,
			"num_hidden_layers":       0,
			"num_attention_heads":     1,
			"intermediate_size":       Dimension,
			"max_position_embeddings": contextLength,
			"type_vocab_size":         2,
			"layer_norm_eps":          eps,
			"pad_token_id":            0,
		},
		"tokenizer.json": map[string]any{
			"version":        "1.0",
			"added_tokens":   added,
			"normalizer":     map[string]any{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": false, "lowercase": true},
			"pre_tokenizer":  map[string]any{"type": "BertPreTokenizer"},
			"post_processor": nil,
			"decoder":        map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
			"model":          map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
		},
		"tokenizer_config.json": map[string]any{
			"do_lower_case":    true,
			"pad_token":        "[PAD]",
			"unk_token":        "[UNK]",
			"cls_token":        "[CLS]",
			"sep_token":        "[SEP]",
			"mask_token":       "[MASK]",
			"tokenizer_class":  "BertTokenizer",
			"model_max_length": contextLength,
		},
		"modules.json": []map[string]any{
			{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
			{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
			{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
		},
		"1_Pooling/config.json": map[string]any{
			"word_embedding_dimension": Dimension,
			"pooling_mode_mean_tokens": true,
			"pooling_mode_cls_token":   false,
		},
	}
	for name, v := range jsonFiles {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("glovemodel: encode %s: %w", name, err)
		}
		if err := writeFile(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}

	// The token table, float16: zero rows for the specials, then H·[16v; 0].
	table := make([]uint16, len(vocab)*Dimension)
	row := make([]float32, Dimension)
	for i := range words {
		emb.Vector(i, row[:builtinDim])
		for j := range builtinDim {
			row[j] *= scale
		}
		row[builtinDim] = 0
		reflect(row)
		out := table[(len(specials)+i)*Dimension:]
		for j, x := range row {
			out[j] = float16(x)
		}
	}
	weight := make([]float32, Dimension)
	for j := range weight {
		weight[j] = normWeight
	}
	tensors := []tensor{
		{"embeddings.word_embeddings.weight", "F16", []int{len(vocab), Dimension}, u16bytes(table)},
		{"embeddings.position_embeddings.weight", "F16", []int{contextLength, Dimension}, make([]byte, 2*contextLength*Dimension)},
		{"embeddings.token_type_embeddings.weight", "F32", []int{2, Dimension}, make([]byte, 4*2*Dimension)},
		{"embeddings.LayerNorm.weight", "F32", []int{Dimension}, f32bytes(weight)},
		{"embeddings.LayerNorm.bias", "F32", []int{Dimension}, make([]byte, 4*Dimension)},
	}
	var buf bytes.Buffer
	if err := writeSafetensors(&buf, tensors); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "model.safetensors"), buf.Bytes())
}

// Import uploads the files that Write wrote into dir to the server behind
// client, each as a blob named by its SHA-256, and creates the model name
// from them. The server converts them to GGUF. Creating a model that exists
// with the same files again changes nothing. progress, when not nil, gets
// the server's status lines.
func Import(ctx context.Context, client *api.Client, name, dir string, progress func(string)) error {
	files := make(map[string]string, len(Files))
	for _, f := range Files {
		digest, err := upload(ctx, client, filepath.Join(dir, f))
		if err != nil {
			return err
		}
		files[f] = digest
	}
	req := &api.CreateRequest{Model: name, Files: files}
	err := client.Create(ctx, req, func(p api.ProgressResponse) error {
		if progress != nil {
			progress(p.Status)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("glovemodel: create model %s: %w", name, err)
	}
	return nil
}

// upload sends one file as a blob and returns its digest.
func upload(ctx context.Context, client *api.Client, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("glovemodel: %w — write the model first (glovemodel.Write)", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("glovemodel: read %s: %w", path, err)
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("glovemodel: read %s: %w", path, err)
	}
	if err := client.CreateBlob(ctx, digest, f); err != nil {
		return "", fmt.Errorf("glovemodel: upload %s: %w", filepath.Base(path), err)
	}
	return digest, nil
}

// ToBuiltin maps a vector served by the model (Dimension long) back to the
// builtin embedder's space: H is its own inverse, and the last coordinate of
// H·y is zero up to rounding, so it is dropped.
func ToBuiltin(y []float32) []float32 {
	v := slices.Clone(y)
	reflect(v)
	return v[:builtinDim]
}

// reflect applies in place the Householder reflection H = I − 2uuᵀ/(uᵀu),
// u = e_last − 1/√n, that swaps the last axis e_last with the unit all-ones
// vector 1/√n. So H·[v; 0] is orthogonal to the all-ones vector for every v.
func reflect(x []float32) {
	n := len(x)
	c := 1 / math.Sqrt(float64(n))
	// u_j = −c for j < n−1, u_{n−1} = 1 − c; uᵀu = 2 − 2c.
	var dot float64
	for j := range n - 1 {
		dot -= c * float64(x[j])
	}
	dot += (1 - c) * float64(x[n-1])
	f := 2 * dot / (2 - 2*c)
	for j := range n - 1 {
		x[j] = float32(float64(x[j]) + f*c)
	}
	x[n-1] = float32(float64(x[n-1]) - f*(1-c))
}

// tensor is one entry of a safetensors file.
type tensor struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// writeSafetensors writes tensors in the safetensors format: a little-endian
// uint64 header length, a JSON header padded with spaces to a multiple of 8
// bytes, then the data.
func writeSafetensors(w io.Writer, tensors []tensor) error {
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	off := 0
	for _, t := range tensors {
		header[t.name] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int{off, off + len(t.data)}}
		off += len(t.data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("glovemodel: safetensors header: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	if err := binary.Write(w, binary.LittleEndian, uint64(len(h))); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("glovemodel: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("glovemodel: %w", err)
	}
	return nil
}

func u16bytes(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// float16 converts f to IEEE 754 half precision, rounding to nearest even.
// Values here are finite and below 65504 in magnitude.
func float16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23&0xff) - 127 + 15
	mant := bits & 0x7fffff
	switch {
	case exp >= 0x1f: // overflow: infinity
		return sign | 0x7c00
	case exp <= 0: // subnormal or zero
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint32(14 - exp)
		half := uint32(1) << (shift - 1)
		m := mant >> shift
		rest := mant & (1<<shift - 1)
		if rest > half || (rest == half && m&1 == 1) {
			m++
		}
		return sign | uint16(m)
	}
	m := mant >> 13
	rest := mant & 0x1fff
	h := uint32(exp)<<10 | m
	if rest > 0x1000 || (rest == 0x1000 && m&1 == 1) {
		h++ // may carry into the exponent, which is right
	}
	return sign | uint16(h)
}
