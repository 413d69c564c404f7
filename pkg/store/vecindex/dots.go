package vecindex

// dotsGeneric is dots in plain Go, for machines without AVX2 and as the
// reference the assembly is tested against.
func dotsGeneric(q []int16, codes []int8, out []int32) {
	d := len(q)
	for r := range out {
		row := codes[r*d : (r+1)*d : (r+1)*d]
		var s0, s1, s2, s3 int32
		for j := 0; j+4 <= d; j += 4 {
			s0 += int32(q[j]) * int32(row[j])
			s1 += int32(q[j+1]) * int32(row[j+1])
			s2 += int32(q[j+2]) * int32(row[j+2])
			s3 += int32(q[j+3]) * int32(row[j+3])
		}
		out[r] = s0 + s1 + s2 + s3
	}
}
