package glovemodel

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestFloat16(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		want uint16
	}{
		{"zero stays zero", 0, 0x0000},
		{"one is exact", 1, 0x3c00},
		{"minus two is exact", -2, 0xc000},
		{"the largest half is exact", 65504, 0x7bff},
		{"the smallest normal is exact", float32(math.Ldexp(1, -14)), 0x0400},
		{"the smallest subnormal is exact", float32(math.Ldexp(1, -24)), 0x0001},
		{"a third rounds to nearest", 1.0 / 3, 0x3555},
		{"a tie rounds to even", 1 + float32(math.Ldexp(1, -11)), 0x3c00},
		{"past the largest half is infinity", 1e6, 0x7c00},
		{"far below the smallest subnormal is zero", 1e-10, 0x0000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := float16(tt.in); got != tt.want {
				t.Errorf("float16(%g) = %#04x, want %#04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestReflect(t *testing.T) {
	v := make([]float32, Dimension)
	for j := range builtinDim {
		v[j] = float32(math.Sin(float64(j)*0.7) + 0.3)
	}
	orig := append([]float32(nil), v...)
	reflect(v)

	t.Run("a reflected row has zero mean, so LayerNorm's centring leaves it alone", func(t *testing.T) {
		var sum float64
		for _, x := range v {
			sum += float64(x)
		}
		if math.Abs(sum) > 1e-4 {
			t.Errorf("sum = %g, want 0", sum)
		}
	})
	t.Run("a reflection keeps the length", func(t *testing.T) {
		if a, b := norm(orig), norm(v); math.Abs(a-b) > 1e-4*a {
			t.Errorf("|v| = %g before, %g after", a, b)
		}
	})
	t.Run("ToBuiltin undoes it", func(t *testing.T) {
		back := ToBuiltin(v)
		if len(back) != builtinDim {
			t.Fatalf("len = %d, want %d", len(back), builtinDim)
		}
		for j := range back {
			if math.Abs(float64(back[j]-orig[j])) > 1e-5 {
				t.Fatalf("component %d = %g, want %g", j, back[j], orig[j])
			}
		}
	})
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		t.Run(f+" is written", func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("the safetensors header describes data that fills the file", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		n := binary.LittleEndian.Uint64(b)
		if n%8 != 0 {
			t.Errorf("header length %d is not a multiple of 8", n)
		}
		var header map[string]json.RawMessage
		if err := json.Unmarshal(bytes.TrimSpace(b[8:8+n]), &header); err != nil {
			t.Fatal(err)
		}
		var emb struct {
			Dtype   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(header["embeddings.word_embeddings.weight"], &emb); err != nil {
			t.Fatal(err)
		}
		if emb.Dtype != "F16" || len(emb.Shape) != 2 || emb.Shape[1] != Dimension || emb.Offsets[1]-emb.Offsets[0] != 2*emb.Shape[0]*emb.Shape[1] {
			t.Errorf("word embeddings = %+v", emb)
		}
		end := 0
		for name, raw := range header {
			if name == "__metadata__" {
				continue
			}
			var e struct {
				Offsets [2]int `json:"data_offsets"`
			}
			json.Unmarshal(raw, &e)
			end = max(end, e.Offsets[1])
		}
		if got := len(b) - 8 - int(n); got != end {
			t.Errorf("data is %d bytes, header says %d", got, end)
		}
		// The special tokens' rows (the first five) are zero; the next is not.
		data := b[8+int(n)+emb.Offsets[0]:]
		if n := 2 * Dimension * len(specials); bytes.Count(data[:n], []byte{0}) != n {
			t.Error("the special tokens' rows are not zero")
		}
		if bytes.Count(data[2*Dimension*len(specials):2*Dimension*(len(specials)+1)], []byte{0}) == 2*Dimension {
			t.Error("the first word's row is zero")
		}
	})
}
