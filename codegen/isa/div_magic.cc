#include "codegen/isa/div_magic.h"

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

}  // namespace kiln::isa
