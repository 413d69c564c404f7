// Package fileview reads the files that a data folder loads whole at open
// (the store's snapshot, the word index's saved postings) as views of
// their bytes: mapped into memory rather than read into a buffer the
// runtime must first clear, and checked by blocks on every core. Reading
// 1.5 GB took 1.8 s of processor time with os.ReadFile, most of it
// clearing the new buffer (docs/performance.md).
package fileview

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
)

// Map returns the bytes of the file at path, mapped private and
// copy-on-write: changing them changes no file, and a file replaced by a
// rename later leaves them as they were. The mapping is never undone,
// since strings and slices made from the bytes may outlive any owner; a
// process maps each file it loads once.
func Map(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size == 0 {
		return []byte{}, nil
	}
	if size != int64(int(size)) {
		return nil, fmt.Errorf("fileview: %s is too large to map", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		// Where mapping is refused, read the file instead.
		return io.ReadAll(f)
	}
	return b, nil
}

// Block is how many bytes each checksum covers.
const Block = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sums is the CRC-32C of each Block of b (the last one shorter), worked
// out on every core.
func Sums(b []byte) []uint32 {
	sums := make([]uint32, (len(b)+Block-1)/Block)
	workers := min(runtime.GOMAXPROCS(0), len(sums))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(sums); i += workers {
				sums[i] = crc32.Checksum(b[i*Block:min((i+1)*Block, len(b))], castagnoli)
			}
		})
	}
	wg.Wait()
	return sums
}

// AppendSums appends sums to tail, followed by their number.
func AppendSums(tail []byte, sums []uint32) []byte {
	for _, s := range sums {
		tail = binary.LittleEndian.AppendUint32(tail, s)
	}
	return binary.LittleEndian.AppendUint32(tail, uint32(len(sums)))
}

// ErrDamaged is returned by Check for bytes whose checksums do not match.
var ErrDamaged = errors.New("wrong checksum")

// Check splits b into a body and the checksums that AppendSums appended
// to it, and checks them. It returns the body.
func Check(b []byte) ([]byte, error) {
	if len(b) < 4 {
		return nil, ErrDamaged
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if n > (len(b)-4)/4 {
		return nil, ErrDamaged
	}
	body, tail := b[:len(b)-4-4*n], b[len(b)-4-4*n:len(b)-4]
	if (len(body)+Block-1)/Block != n {
		return nil, ErrDamaged
	}
	for i, s := range Sums(body) {
		if s != binary.LittleEndian.Uint32(tail[4*i:]) {
			return nil, ErrDamaged
		}
	}
	return body, nil
}

// Writer writes through to w, keeping the checksums of what it wrote, by
// Block, for AppendSums.
type Writer struct {
	w    io.Writer
	sums []uint32
	n    int64 // bytes written
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (c *Writer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		at := int(c.n % Block)
		if at == 0 {
			c.sums = append(c.sums, 0)
		}
		part := p[:min(len(p), Block-at)]
		c.sums[len(c.sums)-1] = crc32.Update(c.sums[len(c.sums)-1], castagnoli, part)
		k, err := c.w.Write(part)
		written += k
		c.n += int64(k)
		if err != nil {
			return written, err
		}
		p = p[len(part):]
	}
	return written, nil
}

// Sums is the checksums of what was written.
func (c *Writer) Sums() []uint32 { return c.sums }

// Len is how many bytes were written.
func (c *Writer) Len() int64 { return c.n }
