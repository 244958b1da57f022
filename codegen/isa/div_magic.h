// Division by a constant as a multiply by a "magic" reciprocal
// (Granlund & Montgomery; the unsigned 64-bit form as in libdivide): the
// instruction selection of an ISA with a multiply-high turns udiv / urem by
// a constant into mulhi + shifts, a few cycles instead of a divide's tens.
#ifndef KILN_CODEGEN_ISA_DIV_MAGIC_H_
#define KILN_CODEGEN_ISA_DIV_MAGIC_H_

#include <cstdint>

namespace kiln::isa {

// q = n / d for every n of `bits` (32 or 64) unsigned bits:
//   t = mulhi64(multiplier, n)  (n zero-extended to 64 bits)
//   q = add ? (((n - t) >> 1) + t) >> shift : t >> shift
// For bits == 32 the multiplier is floor(2^64 / d) + 1 and shift 0 (exact
// for n < 2^32, d < 2^32).
struct UnsignedDivMagic {
  uint64_t multiplier = 0;
  int shift = 0;
  bool add = false;
};

// Whether d (of `bits` bits) is a power of two (a shift, not a multiply).
bool IsPowerOfTwo(uint64_t d);
int Log2(uint64_t d);  // d a power of two

// The magic for a divisor d >= 3 that is not a power of two (d < 2^bits).
UnsignedDivMagic ComputeUnsignedDivMagic(uint64_t d, int bits);

// The quotient the sequence above computes (what the machine code does;
// tests check it against real division).
uint64_t ApplyUnsignedDivMagic(const UnsignedDivMagic& m, uint64_t n);

// q = n / d (truncating) for every n of `bits` (32 or 64) signed bits and a
// divisor d with |d| >= 3 that is not a power of two (Hacker's Delight
// 10-1):
//   t = mulhs(multiplier, n)   (the high half of the signed product)
//   t = t + correction * n     (correction: +1 when d > 0 and the
//                               multiplier is negative, -1 when d < 0 and
//                               it is positive, else 0)
//   t = t >> shift             (arithmetic)
//   q = t + (t >>> (bits - 1)) (rounds a negative quotient toward zero)
// all in `bits`-bit wrapping arithmetic. For bits == 32 the multiplier is a
// 32-bit signed value (an x64 imm32).
struct SignedDivMagic {
  int64_t multiplier = 0;
  int shift = 0;
  int correction = 0;
};

SignedDivMagic ComputeSignedDivMagic(int64_t d, int bits);

// The quotient of that sequence (`n` sign-extended from `bits` bits; the
// result too): what the machine code computes, for the tests.
int64_t ApplySignedDivMagic(const SignedDivMagic& m, int64_t n, int bits);

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_DIV_MAGIC_H_
