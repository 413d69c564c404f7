//go:build !purego

#include "textflag.h"

// func dotsAVX2(q *int16, codes *int8, pdim int, rows int, out *int32)
//
// For each of rows rows of pdim int8 codes (pdim a multiple of 32), out[r]
// is the dot product with the pdim int16 values at q.
TEXT ·dotsAVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ codes+8(FP), DI
	MOVQ pdim+16(FP), CX
	MOVQ rows+24(FP), DX
	MOVQ out+32(FP), R8
	TESTQ DX, DX
	JZ   done

row:
	VPXOR Y0, Y0, Y0
	VPXOR Y3, Y3, Y3
	XORQ  AX, AX
	MOVQ  SI, R9

inner:
	VPMOVSXBW (DI)(AX*1), Y1
	VPMOVSXBW 16(DI)(AX*1), Y2
	VPMADDWD  (R9), Y1, Y1
	VPMADDWD  32(R9), Y2, Y2
	VPADDD    Y1, Y0, Y0
	VPADDD    Y2, Y3, Y3
	ADDQ      $32, AX
	ADDQ      $64, R9
	CMPQ      AX, CX
	JLT       inner

	VPADDD       Y3, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, (R8)
	ADDQ         CX, DI
	ADDQ         $4, R8
	DECQ         DX
	JNZ          row
	VZEROUPPER

done:
	RET
