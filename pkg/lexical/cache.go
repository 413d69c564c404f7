package lexical

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/paperlens/paperlens/internal/fileview"
)

// The in-memory postings are saved in the index folder when it closes,
// so that the next open loads them instead of analysing every paper again
// (seconds for 20k papers, during which rankings wait). The file is a
// cache: it is used only when it holds exactly the store's papers (the
// count and sum of fingerprints that Open computes from the store) and its
// checksum is right; anything else means analysing again.
//
// It is laid out to be used where it is read: every column is a run of
// fixed-size little-endian values at a multiple of 8 bytes from the start
// of the file, so that the postings, the papers' terms and the other
// columns are slices of the file's bytes, and the words and ids are
// strings pointing into them; the words are sorted and the papers listed
// in the order of their ids, for binary search. Loading the postings of a
// million papers is reading the file, checking it, and making a slice
// header per word and a string header per paper (see docs/performance.md).
// The file holds no dead papers or words: save compacts.

// cacheFile is the name of the saved postings inside the index folder.
const cacheFile = "paperlens-postings.bin"

// cacheMagic names the format; change it whenever analyse or the postings
// change what they hold, so that old files are not used.
const (
	cacheMagic = "PLPOSTF4"
	cacheEnd   = "PLPOSTND"
)

// checksum is the number of papers and the sum of their fingerprints: what
// ties saved postings to the store's papers.
type checksum struct {
	n   int
	sum uint64
}

// errCacheStale is returned for a cache of other papers than asked for.
var errCacheStale = errors.New("lexical: saved postings are of other papers")

// cacheHeader is the fixed part at the start of the file.
type cacheHeader struct {
	Docs, Sum, TitleWords, AbstractWords  uint64
	Terms, Postings, DocTerms, Cats       uint64
	DocCats, IDBytes, AuthorBytes, Unused uint64
}

// save writes the postings to path, replacing it whole (a temporary file
// renamed into place). No fsync: a cache lost in a crash is rebuilt. It
// writes the columns as they are, leaving out dead papers and words and
// renumbering on the way, without a second copy of the postings in memory.
func (x *postings) save(path string) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	tmp := path + ".tmp"
	err := x.writeCache(tmp)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("lexical: cannot save the postings: %w", err)
	}
	return nil
}

// writeCache writes the file save writes. The caller holds x.mu.
func (x *postings) writeCache(path string) error {
	// The live papers in order, and their new numbers (nil: all live).
	var live []int32
	var docNum []int32
	if x.dead > 0 {
		docNum = make([]int32, len(x.ids))
		for d := range x.ids {
			docNum[d] = -1
			if x.lens[d].title >= 0 {
				docNum[d] = int32(len(live))
				live = append(live, int32(d))
			}
		}
	}
	docs := func(yield func(d int32) bool) {
		if live != nil {
			for _, d := range live {
				if !yield(d) {
					return
				}
			}
			return
		}
		for d := range x.ids {
			if !yield(int32(d)) {
				return
			}
		}
	}
	// The words some paper holds, sorted, and their new numbers.
	order := make([]int32, 0, x.live)
	for t := range x.words {
		if x.df[t] > 0 {
			order = append(order, int32(t))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(x.words[a], x.words[b]) })
	termNum := make([]int32, len(x.words))
	for n, t := range order {
		termNum[t] = int32(n)
	}

	h := cacheHeader{Docs: uint64(x.nlive), Sum: x.sum, TitleWords: uint64(x.titleWords), AbstractWords: uint64(x.abstractWords),
		Terms: uint64(len(order)), Cats: uint64(len(x.catNames))}
	for _, t := range order {
		h.Postings += uint64(x.df[t]) // a live paper is in a word's list once
	}
	ids, authors := make([]string, 0, x.nlive), make([]string, 0, x.nlive)
	for d := range docs {
		h.DocTerms += uint64(len(x.termsOf(d)))
		h.DocCats += uint64(len(x.catsOf(d)))
		ids, authors = append(ids, x.ids[d]), append(authors, x.authors[d])
	}
	words := make([]string, len(order))
	for n, t := range order {
		words[n] = x.words[t]
	}
	sortedIDs := make([]int32, len(ids))
	for i := range sortedIDs {
		sortedIDs[i] = int32(i)
	}
	slices.SortFunc(sortedIDs, func(a, b int32) int { return strings.Compare(ids[a], ids[b]) })

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fw := fileview.NewWriter(f)
	w := &cacheWriter{w: bufio.NewWriterSize(fw, 1<<20)}
	w.bytes([]byte(cacheMagic))
	writeColumn(w, []cacheHeader{h})
	listEnd := make([]int64, len(order))
	var chunk []posting
	var end int64
	for n, t := range order {
		l := x.lists[t]
		if docNum == nil {
			writeColumn(w, l)
			end += int64(len(l))
		} else {
			chunk = chunk[:0]
			for _, p := range l {
				if p.doc = docNum[p.doc]; p.doc >= 0 {
					chunk = append(chunk, p)
				}
			}
			writeColumn(w, chunk)
			end += int64(len(chunk))
		}
		listEnd[n] = end
	}
	if uint64(end) != h.Postings {
		return fmt.Errorf("lexical: the lists hold %d live postings, the document frequencies %d", end, h.Postings)
	}
	w.pad()
	writeColumn(w, listEnd)
	tdf := make([]int32, len(order)) // live papers holding each word in their title
	for n, t := range order {
		if int(t) < len(x.tdf) {
			tdf[n] = x.tdf[t]
		}
	}
	writeColumn(w, tdf)
	w.pad()
	termsEnd, catsEnd := make([]int64, 0, x.nlive), make([]int64, 0, x.nlive)
	var terms []int32
	var nTerms, nCats int64
	for d := range docs {
		terms = terms[:0]
		for _, t := range x.termsOf(d) {
			terms = append(terms, termNum[t])
		}
		writeColumn(w, terms)
		nTerms += int64(len(terms))
		termsEnd = append(termsEnd, nTerms)
		nCats += int64(len(x.catsOf(d)))
		catsEnd = append(catsEnd, nCats)
	}
	w.pad()
	writeColumn(w, termsEnd)
	writeColumn(w, gather(x.lens, live))
	writeColumn(w, gather(x.fps, live))
	writeColumn(w, gather(x.days, live))
	w.pad()
	for d := range docs {
		writeColumn(w, x.catsOf(d))
	}
	w.pad()
	writeColumn(w, catsEnd)
	writeColumn(w, sortedIDs)
	w.pad()
	for _, ss := range [][]string{ids, authors, words, x.catNames} {
		w.strings(ss)
	}
	if err := w.flush(); err != nil {
		return err
	}
	if _, err := f.Write(append(fileview.AppendSums(nil, fw.Sums()), cacheEnd...)); err != nil {
		return err
	}
	return f.Close()
}

// gather is col's values at the positions live, or col when live is nil.
func gather[T any](col []T, live []int32) []T {
	if live == nil {
		return col
	}
	out := make([]T, len(live))
	for i, d := range live {
		out[i] = col[d]
	}
	return out
}

// cacheWriter writes a cache file, counting its bytes and keeping the
// first error.
type cacheWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (w *cacheWriter) bytes(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
		w.n += int64(len(b))
	}
}

// pad writes zeros up to a multiple of 8 bytes.
func (w *cacheWriter) pad() { w.bytes(make([]byte, (8-w.n%8)%8)) }

// strings writes ss as their ends (int64s), then their bytes, padded.
func (w *cacheWriter) strings(ss []string) {
	ends := make([]int64, len(ss))
	var end int64
	for i, s := range ss {
		end += int64(len(s))
		ends[i] = end
	}
	writeColumn(w, ends)
	for _, s := range ss {
		w.bytes(unsafe.Slice(unsafe.StringData(s), len(s)))
	}
	w.pad()
}

func (w *cacheWriter) flush() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}

// littleEndian says whether a column can be written and read as its
// memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// writeColumn writes the fixed-size values of col, little-endian.
func writeColumn[T any](w *cacheWriter, col []T) {
	if len(col) == 0 || w.err != nil {
		return
	}
	if littleEndian {
		w.bytes(unsafe.Slice((*byte)(unsafe.Pointer(&col[0])), len(col)*int(unsafe.Sizeof(col[0]))))
		return
	}
	var buf bytes.Buffer
	w.err = binary.Write(&buf, binary.LittleEndian, col)
	w.bytes(buf.Bytes())
}

// savedFor reports whether the file at path starts as postings of n
// papers whose fingerprints sum to sum would: worth loading.
func savedFor(path string, n int, sum uint64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(cacheMagic)+int(unsafe.Sizeof(cacheHeader{})))
	if _, err := io.ReadFull(f, b); err != nil || string(b[:len(cacheMagic)]) != cacheMagic {
		return false
	}
	r := &cacheReader{b: b}
	h := readColumn[cacheHeader](r, 1, len(cacheMagic))
	return r.err == nil && h[0].Docs == uint64(n) && h[0].Sum == sum
}

// loadPostings reads postings saved by save, if they hold n papers whose
// fingerprints sum to sum. They keep the file's bytes.
func loadPostings(path string, n int, sum uint64) (*postings, error) {
	b, err := fileview.Map(path)
	if err != nil {
		return nil, err
	}
	r := &cacheReader{b: b}
	head := readColumn[cacheHeader](r, 1, len(cacheMagic))
	if len(b) < 40 || string(b[:len(cacheMagic)]) != cacheMagic || string(b[len(b)-len(cacheEnd):]) != cacheEnd || r.err != nil {
		return nil, fmt.Errorf("lexical: %s is not a postings file of this version", filepath.Base(path))
	}
	h := head[0]
	if h.Docs != uint64(n) || h.Sum != sum {
		return nil, errCacheStale
	}
	body, err := fileview.Check(b[:len(b)-len(cacheEnd)])
	if err != nil {
		return nil, fmt.Errorf("lexical: %s is damaged (checksum)", filepath.Base(path))
	}
	r.b = body
	x := newPostings()
	x.sum, x.nlive, x.titleWords, x.abstractWords = sum, n, int64(h.TitleWords), int64(h.AbstractWords)
	all := readColumn[posting](r, h.Postings, r.at)
	r.align()
	listEnd := readColumn[int64](r, h.Terms, r.at)
	tdf := readColumn[int32](r, h.Terms, r.at)
	r.align()
	x.termArena = readColumn[int32](r, h.DocTerms, r.at)
	r.align()
	x.termsEnd = readColumn[int64](r, h.Docs, r.at)
	x.lens = readColumn[docLen](r, h.Docs, r.at)
	x.fps = readColumn[uint64](r, h.Docs, r.at)
	x.days = readColumn[int32](r, h.Docs, r.at)
	r.align()
	x.catArena = readColumn[uint32](r, h.DocCats, r.at)
	r.align()
	x.catsEnd = readColumn[int64](r, h.Docs, r.at)
	x.sortedIDs = readColumn[int32](r, h.Docs, r.at)
	r.align()
	x.ids = r.strings(h.Docs)
	x.authors = r.strings(h.Docs)
	x.words = r.strings(h.Terms)
	x.catNames = r.strings(h.Cats)
	if r.err != nil || r.at != len(body) {
		return nil, errMalformed
	}
	// Every number must point inside what it numbers: a file that passes
	// the checksum but was not written by save must not crash a query.
	if !within(listEnd, len(all)) || !within(x.termsEnd, len(x.termArena)) || !within(x.catsEnd, len(x.catArena)) ||
		!below(x.termArena, h.Terms) || !below(x.catArena, h.Cats) || !below(x.sortedIDs, h.Docs) ||
		!slices.IsSortedFunc(x.sortedIDs, func(a, b int32) int { return strings.Compare(x.ids[a], x.ids[b]) }) ||
		!slices.IsSorted(x.words) || !postingsBelow(all, h.Docs) {
		return nil, errMalformed
	}
	x.lists, x.df = make([][]posting, h.Terms), make([]int32, h.Terms)
	var from int64
	for t, end := range listEnd {
		x.lists[t] = all[from:end:end] // full: an append copies the list
		x.df[t] = int32(end - from)
		from = end
	}
	x.live, x.sortedWords, x.loadedDocs = int(h.Terms), int(h.Terms), int(h.Docs)
	for i, c := range x.catNames {
		x.catNums[c] = uint32(i)
	}
	// The title counts as saved: counting them again would read every
	// posting.
	x.tdf = tdf
	for t := range tdf {
		if tdf[t] < 0 || tdf[t] > x.df[t] {
			return nil, errMalformed
		}
		x.sumTDF += int64(tdf[t])
		x.sumDF += int64(x.df[t])
	}
	return x, nil
}

var errMalformed = errors.New("lexical: the saved postings are malformed")

// within reports whether ends rise from 0 to at most n.
func within(ends []int64, n int) bool {
	var prev int64
	for _, e := range ends {
		if e < prev {
			return false
		}
		prev = e
	}
	return prev <= int64(n)
}

// below reports whether every value of col is in 0..n-1.
func below[T int32 | uint32](col []T, n uint64) bool {
	for _, v := range col {
		if v < 0 || uint64(v) >= n {
			return false
		}
	}
	return true
}

// postingsBelow reports whether every posting is of a paper numbered
// below n, checking on every core.
func postingsBelow(all []posting, n uint64) bool {
	workers := min(runtime.GOMAXPROCS(0), len(all)/(1<<20)+1)
	ok := make([]bool, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			hi, neg := int32(-1), false
			for _, p := range all[w*len(all)/workers : (w+1)*len(all)/workers] {
				hi, neg = max(hi, p.doc), neg || p.doc < 0
			}
			ok[w] = !neg && (hi < 0 || uint64(hi) < n)
		})
	}
	wg.Wait()
	return !slices.Contains(ok, false)
}

// cacheReader reads a cache file's columns from where the last one ended.
type cacheReader struct {
	b   []byte
	at  int
	err error
}

// align skips to the next multiple of 8.
func (r *cacheReader) align() { r.at = (r.at + 7) &^ 7 }

// readColumn reads n values of T at byte at.
func readColumn[T any](r *cacheReader, n uint64, at int) []T {
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	if r.err != nil || at < 0 || at > len(r.b) || n > uint64(len(r.b)-at)/size {
		r.err = errMalformed
		return nil
	}
	raw := r.b[at : at+int(n*size)]
	r.at = at + len(raw)
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&raw[0]))%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&raw[0])), n)
	}
	out := make([]T, n)
	if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, out); err != nil {
		r.err = errMalformed
	}
	return out
}

// strings reads n strings, written by cacheWriter.strings, as views of the
// file's bytes.
func (r *cacheReader) strings(n uint64) []string {
	ends := readColumn[int64](r, n, r.at)
	if r.err != nil || !within(ends, len(r.b)-r.at) {
		r.err = errMalformed
		return nil
	}
	blob := r.b[r.at:]
	out := make([]string, n)
	var from int64
	for i, end := range ends {
		if end > from {
			out[i] = unsafe.String(&blob[from], end-from)
		}
		from = end
	}
	r.at += int(from)
	r.align()
	return out
}
