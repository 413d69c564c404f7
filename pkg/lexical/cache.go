package lexical

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc64"
	"os"
	"path/filepath"
)

// The in-memory postings are saved in the index folder when it closes,
// so that the next open loads them instead of analysing every paper again
// (seconds for 20k papers, during which rankings wait). The file is a
// cache: it is used only when it holds exactly the store's papers (the
// count and sum of fingerprints that Open computes from the store) and its
// checksum is right; anything else means analysing again.

// cacheFile is the name of the saved postings inside the index folder.
const cacheFile = "paperlens-postings.bin"

// cacheMagic names the format; change it whenever analyse or the postings
// change what they hold, so that old files are not used.
const cacheMagic = "PLPOSTF1"

// checksum is the number of papers and the sum of their fingerprints: what
// ties saved postings to the store's papers.
type checksum struct {
	n   int
	sum uint64
}

// errCacheStale is returned for a cache of other papers than asked for.
var errCacheStale = errors.New("lexical: saved postings are of other papers")

// save writes the postings to path, replacing it whole (a temporary file
// renamed into place). No fsync: a cache lost in a crash is rebuilt.
func (x *postings) save(path string) error {
	x.mu.RLock()
	b := x.encodeLocked()
	x.mu.RUnlock()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("lexical: cannot save the postings: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("lexical: cannot save the postings: %w", err)
	}
	return nil
}

func (x *postings) encodeLocked() []byte {
	size := 64 + len(x.docs)*64
	for _, w := range x.words {
		size += len(w) + 4
	}
	for _, l := range x.lists {
		size += 4 + 8*len(l)
	}
	for _, d := range x.docs {
		size += 8 * len(d.terms)
	}
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, cacheMagic...)
	b = le.AppendUint64(b, uint64(len(x.byID)))
	b = le.AppendUint64(b, x.sum)
	b = le.AppendUint64(b, uint64(x.titleWords))
	b = le.AppendUint64(b, uint64(x.abstractWords))
	b = le.AppendUint64(b, uint64(x.dead))
	b = le.AppendUint32(b, uint32(len(x.words)))
	for t, w := range x.words {
		b = binary.AppendUvarint(b, uint64(len(w)))
		b = append(b, w...)
		b = le.AppendUint32(b, uint32(x.df[t]))
		b = le.AppendUint32(b, uint32(len(x.lists[t])))
		for _, p := range x.lists[t] {
			b = le.AppendUint32(b, uint32(p.doc))
			b = le.AppendUint16(b, p.title)
			b = le.AppendUint16(b, p.abstract)
		}
	}
	b = le.AppendUint32(b, uint32(len(x.docs)))
	for _, d := range x.docs {
		b = binary.AppendUvarint(b, uint64(len(d.id)))
		b = append(b, d.id...)
		b = le.AppendUint32(b, uint32(d.titleLen))
		b = le.AppendUint32(b, uint32(d.abstractLen))
		b = le.AppendUint64(b, d.fp)
		live := byte(0)
		if d.live {
			live = 1
		}
		b = append(b, live)
		b = le.AppendUint32(b, uint32(len(d.terms)))
		for i, t := range d.terms {
			b = le.AppendUint32(b, uint32(t))
			b = le.AppendUint32(b, uint32(d.freqs[i]))
		}
	}
	return le.AppendUint64(b, crc64.Checksum(b, crcTable))
}

// loadPostings reads postings saved by save, if they hold n papers whose
// fingerprints sum to sum.
func loadPostings(path string, n int, sum uint64) (*postings, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < len(cacheMagic)+8 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, fmt.Errorf("lexical: %s is not a postings file of this version", filepath.Base(path))
	}
	body, tail := b[:len(b)-8], b[len(b)-8:]
	if crc64.Checksum(body, crcTable) != binary.LittleEndian.Uint64(tail) {
		return nil, fmt.Errorf("lexical: %s is damaged (checksum)", filepath.Base(path))
	}
	r := &reader{b: body[len(cacheMagic):]}
	if int(r.u64()) != n || r.u64() != sum {
		return nil, errCacheStale
	}
	x := newPostings()
	x.sum = sum
	x.titleWords, x.abstractWords = int64(r.u64()), int64(r.u64())
	x.dead = int(r.u64())
	nt := int(r.u32())
	if nt > len(r.b) {
		return nil, r.fail()
	}
	x.words, x.df, x.lists = make([]string, nt), make([]int32, nt), make([][]posting, nt)
	x.terms = make(map[string]int32, nt)
	for t := range nt {
		w := r.str()
		x.words[t], x.terms[w] = w, int32(t)
		x.df[t] = int32(r.u32())
		if x.df[t] > 0 {
			x.live++
		}
		np := int(r.u32())
		if np*8 > len(r.b) {
			return nil, r.fail()
		}
		l := make([]posting, np)
		for i := range l {
			l[i] = posting{doc: int32(r.u32()), title: r.u16(), abstract: r.u16()}
		}
		x.lists[t] = l
	}
	nd := int(r.u32())
	if nd > len(r.b) {
		return nil, r.fail()
	}
	x.docs = make([]memDoc, nd)
	for i := range x.docs {
		d := &x.docs[i]
		d.id = r.str()
		d.titleLen, d.abstractLen = int32(r.u32()), int32(r.u32())
		d.fp = r.u64()
		d.live = r.byte1() == 1
		k := int(r.u32())
		if k*8 > len(r.b) {
			return nil, r.fail()
		}
		if k > 0 {
			d.terms, d.freqs = make([]int32, k), make([]int32, k)
			for j := range k {
				d.terms[j], d.freqs[j] = int32(r.u32()), int32(r.u32())
			}
		}
		if d.live {
			x.byID[d.id] = int32(i)
		}
	}
	if r.err != nil || len(r.b) != 0 || len(x.byID) != n {
		return nil, r.fail()
	}
	for _, l := range x.lists { // a damaged file must not index out of range later
		for _, p := range l {
			if p.doc < 0 || int(p.doc) >= nd {
				return nil, r.fail()
			}
		}
	}
	for _, d := range x.docs {
		for _, t := range d.terms {
			if t < 0 || int(t) >= nt {
				return nil, r.fail()
			}
		}
	}
	x.recountTitlesLocked()
	return x, nil
}

// reader decodes a postings file; after a short read every value is 0 and
// err is set.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() error {
	return errors.New("lexical: the saved postings are malformed")
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = r.fail()
		return make([]byte, 8) // the reads that get here take at most 8
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *reader) byte1() byte { return r.take(1)[0] }

func (r *reader) str() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)) {
		r.err = r.fail()
		return ""
	}
	r.b = r.b[k:]
	return string(r.take(int(n)))
}
