#include "codegen/isa/div_magic.h"

#include <cstdint>
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

// Signed: every divisor above with both signs, and the extremes; the
// dividends include INT_MIN, INT_MIN + 1, -1 and INT_MAX (a divisor of -1,
// +-1, +-2 and powers of two take other sequences).
void CheckSignedBits(int bits) {
  std::mt19937_64 rng(bits + 1);
  const int64_t min = bits == 32 ? INT32_MIN : INT64_MIN;
  const int64_t max = bits == 32 ? INT32_MAX : INT64_MAX;
  auto narrow = [bits](uint64_t v) {
    return bits == 32 ? int64_t{static_cast<int32_t>(v)} : static_cast<int64_t>(v);
  };
  std::vector<int64_t> ds = {min + 1, max, min / 3, max / 7, min + 3};
  for (uint64_t d : Divisors(bits, rng)) ds.push_back(narrow(d));
  for (int64_t d : ds) {
    for (int64_t sd : {d, d == min ? d : -d}) {
      const uint64_t ad = sd < 0 ? 0 - static_cast<uint64_t>(sd) : static_cast<uint64_t>(sd);
      if (ad < 3 || IsPowerOfTwo(ad)) continue;
      const SignedDivMagic m = ComputeSignedDivMagic(sd, bits);
      std::vector<int64_t> ns = {0, 1, -1, min, min + 1, max, max - 1, sd, -sd, sd + 1,
                                 sd - 1, max / sd * sd, min / sd * sd, min / sd * sd + 1};
      for (int k = 0; k < 100; ++k) ns.push_back(narrow(rng()));
      for (int k = 0; k < 50; ++k) ns.push_back(narrow(rng() >> (rng() % 64)));
      for (int64_t n : ns) {
        n = narrow(static_cast<uint64_t>(n));
        ASSERT_EQ(ApplySignedDivMagic(m, n, bits), n / sd)
            << "n=" << n << " d=" << sd << " bits=" << bits;
      }
    }
  }
}

TEST(DivMagicTest, Unsigned32) { CheckBits(32); }
TEST(DivMagicTest, Signed32) { CheckSignedBits(32); }
TEST(DivMagicTest, Signed64) { CheckSignedBits(64); }

TEST(DivMagicTest, KnownSignedMagics) {
  // Hacker's Delight table 10-1: 7 needs the add, -7 the subtract.
  const SignedDivMagic seven = ComputeSignedDivMagic(7, 32);
  EXPECT_EQ(seven.multiplier, static_cast<int32_t>(0x92492493));
  EXPECT_EQ(seven.shift, 2);
  EXPECT_EQ(seven.correction, 1);
  const SignedDivMagic minus7 = ComputeSignedDivMagic(-7, 32);
  EXPECT_EQ(minus7.multiplier, 0x6DB6DB6D);
  EXPECT_EQ(minus7.correction, -1);
  const SignedDivMagic three = ComputeSignedDivMagic(3, 64);
  EXPECT_EQ(static_cast<uint64_t>(three.multiplier), 0x5555555555555556ull);
  EXPECT_EQ(three.shift, 0);
  EXPECT_EQ(three.correction, 0);
}
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
