//go:build !amd64 || purego

package vecindex

// dots sets out[r] to the dot product of q with row r of codes, for
// len(out) rows of len(q) codes each.
func dots(q []int16, codes []int8, out []int32) { dotsGeneric(q, codes, out) }
