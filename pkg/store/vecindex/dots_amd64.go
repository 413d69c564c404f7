//go:build amd64 && !purego

package vecindex

import "golang.org/x/sys/cpu"

// dotsAVX2 is in dots_amd64.s.
//
//go:noescape
func dotsAVX2(q *int16, codes *int8, pdim int, rows int, out *int32)

var hasAVX2 = cpu.X86.HasAVX2

// dots sets out[r] to the dot product of q with row r of codes, for
// len(out) rows of len(q) codes each. len(q) is a multiple of 32.
func dots(q []int16, codes []int8, out []int32) {
	if len(out) == 0 {
		return
	}
	if !hasAVX2 {
		dotsGeneric(q, codes, out)
		return
	}
	_ = codes[len(out)*len(q)-1] // the assembly reads this far
	dotsAVX2(&q[0], &codes[0], len(q), len(out), &out[0])
}
