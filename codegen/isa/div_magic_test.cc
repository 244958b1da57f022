#include "codegen/isa/div_magic.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::isa {
namespace {

// Divisors worth checking: small ones, around powers of two and of ten, and
// random ones of every magnitude.
std::vector<uint64_t> Divisors(int bits, std::mt19937_64& rng) {
  std::vector<uint64_t> ds;
  const uint64_t max = bits == 32 ? 0xffffffffull : ~uint64_t{0};
  for (uint64_t d = 3; d < 1000; ++d) ds.push_back(d);
  for (int k = 2; k < bits; ++k) {
    const uint64_t p = uint64_t{1} << k;
    ds.push_back(p - 1);
    ds.push_back(p + 1);
    ds.push_back(p + p / 2 + 1);
  }
  for (uint64_t p = 10; p <= max / 10; p *= 10) ds.push_back(p), ds.push_back(p + 7);
  ds.push_back(max);
  ds.push_back(max - 1);
  ds.push_back(max / 3);
  ds.push_back(max / 7);
  for (int k = 0; k < 2000; ++k) {
    uint64_t d = rng() >> (rng() % bits + (64 - bits));
    if (d > max) d &= max;
    ds.push_back(d);
  }
  std::vector<uint64_t> out;
  for (uint64_t d : ds) {
    if (d >= 3 && d <= max && !IsPowerOfTwo(d)) out.push_back(d);
  }
  return out;
}

void CheckBits(int bits) {
  std::mt19937_64 rng(bits);
  const uint64_t max = bits == 32 ? 0xffffffffull : ~uint64_t{0};
  for (uint64_t d : Divisors(bits, rng)) {
    const UnsignedDivMagic m = ComputeUnsignedDivMagic(d, bits);
    std::vector<uint64_t> ns = {0, 1, d - 1, d, d + 1, max, max - 1, max / d * d,
                                max / d * d - 1};
    for (int k = 0; k < 200; ++k) ns.push_back(rng() & max);
    for (int k = 0; k < 50; ++k) ns.push_back((rng() >> (rng() % 64)) & max);
    for (uint64_t n : ns) {
      n &= max;
      ASSERT_EQ(ApplyUnsignedDivMagic(m, n), n / d) << "n=" << n << " d=" << d << " bits=" << bits;
    }
  }
}

TEST(DivMagicTest, Unsigned32) { CheckBits(32); }
TEST(DivMagicTest, Unsigned64) { CheckBits(64); }

TEST(DivMagicTest, KnownMagics) {
  // 10^9 needs the 65-bit form at 64 bits; 3 does not.
  EXPECT_TRUE(ComputeUnsignedDivMagic(1000000000, 64).add);
  const UnsignedDivMagic three = ComputeUnsignedDivMagic(3, 64);
  EXPECT_FALSE(three.add);
  EXPECT_EQ(three.multiplier, 0xaaaaaaaaaaaaaaabull);
  EXPECT_EQ(three.shift, 1);
}

TEST(DivMagicTest, PowersOfTwo) {
  EXPECT_TRUE(IsPowerOfTwo(1));
  EXPECT_TRUE(IsPowerOfTwo(uint64_t{1} << 63));
  EXPECT_FALSE(IsPowerOfTwo(0));
  EXPECT_FALSE(IsPowerOfTwo(6));
  EXPECT_EQ(Log2(uint64_t{1} << 40), 40);
}

}  // namespace
}  // namespace kiln::isa
