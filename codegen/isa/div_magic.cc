#include "codegen/isa/div_magic.h"

#include <type_traits>

namespace kiln::isa {

bool IsPowerOfTwo(uint64_t d) { return d != 0 && (d & (d - 1)) == 0; }

int Log2(uint64_t d) { return 63 - __builtin_clzll(d); }

UnsignedDivMagic ComputeUnsignedDivMagic(uint64_t d, int bits) {
  UnsignedDivMagic m;
  if (bits == 32) {
    // n < 2^32 and d < 2^32: floor(n * (2^64 + e) / (d * 2^64)) with
    // 0 < e < d adds less than 2^-32 < 1/d to n/d, so it cannot reach the
    // next integer.
    m.multiplier = ~uint64_t{0} / d + 1;
    return m;
  }
  const int l = Log2(d);
  using U128 = unsigned __int128;
  const U128 num = U128{1} << (64 + l);
  uint64_t proposed = static_cast<uint64_t>(num / d);
  const uint64_t rem = static_cast<uint64_t>(num % d);
  m.shift = l;
  if (d - rem < (uint64_t{1} << l)) {
    m.multiplier = proposed + 1;  // 2^(64+l) / d rounded up is exact enough
    return m;
  }
  // A 65-bit multiplier: its top bit is folded into the add-and-halve step.
  proposed += proposed;
  const uint64_t twice_rem = rem + rem;
  if (twice_rem >= d || twice_rem < rem) proposed += 1;
  m.multiplier = proposed + 1;
  m.add = true;
  return m;
}

uint64_t ApplyUnsignedDivMagic(const UnsignedDivMagic& m, uint64_t n) {
  const uint64_t t =
      static_cast<uint64_t>((static_cast<unsigned __int128>(m.multiplier) * n) >> 64);
  if (!m.add) return t >> m.shift;
  return (((n - t) >> 1) + t) >> m.shift;
}

namespace {

// Hacker's Delight, figure 10-1, over unsigned W-bit arithmetic.
template <typename U>
SignedDivMagic SignedMagic(U d) {
  constexpr int kBits = 8 * sizeof(U);
  const U two = U{1} << (kBits - 1);
  const U ad = static_cast<U>(d) >> (kBits - 1) ? static_cast<U>(0 - d) : d;
  const U t = two + (d >> (kBits - 1));
  const U anc = t - 1 - t % ad;  // |nc|
  int p = kBits - 1;
  U q1 = two / anc, r1 = two - q1 * anc;
  U q2 = two / ad, r2 = two - q2 * ad;
  U delta;
  do {
    ++p;
    q1 *= 2;
    r1 *= 2;
    if (r1 >= anc) ++q1, r1 -= anc;
    q2 *= 2;
    r2 *= 2;
    if (r2 >= ad) ++q2, r2 -= ad;
    delta = ad - r2;
  } while (q1 < delta || (q1 == delta && r1 == 0));
  U mag = q2 + 1;
  const bool negative_d = (d >> (kBits - 1)) != 0;
  if (negative_d) mag = 0 - mag;
  SignedDivMagic m;
  using S = std::make_signed_t<U>;
  m.multiplier = static_cast<S>(mag);
  m.shift = p - kBits;
  if (!negative_d && m.multiplier < 0) m.correction = 1;
  if (negative_d && m.multiplier > 0) m.correction = -1;
  return m;
}

}  // namespace

SignedDivMagic ComputeSignedDivMagic(int64_t d, int bits) {
  if (bits == 32) return SignedMagic(static_cast<uint32_t>(d));
  return SignedMagic(static_cast<uint64_t>(d));
}

int64_t ApplySignedDivMagic(const SignedDivMagic& m, int64_t n, int bits) {
  if (bits == 32) {
    // The x64 sequence: the 64-bit product of the sign-extended values,
    // its high 32 bits, then 32-bit operations.
    const int64_t hi = (n * m.multiplier) >> 32;
    uint32_t t = static_cast<uint32_t>(hi) + static_cast<uint32_t>(m.correction * n);
    t = static_cast<uint32_t>(static_cast<int32_t>(t) >> m.shift);
    t += t >> 31;
    return static_cast<int32_t>(t);
  }
  const __int128 prod = static_cast<__int128>(n) * m.multiplier;
  uint64_t t = static_cast<uint64_t>(static_cast<int64_t>(prod >> 64));
  t += static_cast<uint64_t>(m.correction) * static_cast<uint64_t>(n);
  t = static_cast<uint64_t>(static_cast<int64_t>(t) >> m.shift);
  t += t >> 63;
  return static_cast<int64_t>(t);
}

}  // namespace kiln::isa
