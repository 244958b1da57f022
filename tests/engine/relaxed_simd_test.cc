// Config::relaxed_simd_deterministic: with it, every relaxed SIMD
// instruction gives the WebAssembly 3.0 deterministic profile's result;
// without it, a permitted result that may depend on the CPU (fused madd
// with FMA, a top-bit blend for laneselect with AVX, x86's minps, pshufb,
// pmulhrsw, pmaddubsw). Inputs are the cases where the two differ.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

constexpr char kOps[] = R"(
  (module
    (func (export "swizzle") (param v128 v128) (result v128)
      (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
    (func (export "q15mulr") (param v128 v128) (result v128)
      (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
    (func (export "min") (param v128 v128) (result v128)
      (f32x4.relaxed_min (local.get 0) (local.get 1)))
    (func (export "max") (param v128 v128) (result v128)
      (f64x2.relaxed_max (local.get 0) (local.get 1)))
    (func (export "dot") (param v128 v128) (result v128)
      (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
    (func (export "dot_add") (param v128 v128 v128) (result v128)
      (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
    (func (export "madd") (param v128 v128 v128) (result v128)
      (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "nmadd") (param v128 v128 v128) (result v128)
      (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "laneselect32") (param v128 v128 v128) (result v128)
      (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
    (func (export "laneselect8") (param v128 v128 v128) (result v128)
      (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
    (func (export "trunc") (param v128) (result v128)
      (i32x4.relaxed_trunc_f32x4_s (local.get 0))))
)";

Val Bytes(uint64_t each) { return Val::V128(each, each); }
Val F32s(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  const uint64_t q = uint64_t{b} | uint64_t{b} << 32;
  return Val::V128(q, q);
}
Val F64s(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return Val::V128(b, b);
}
uint32_t Lane32(const Val& v) { return static_cast<uint32_t>(v.v128_lo()); }

bool HostHas(const char* feature) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (std::string(feature) == "fma") return __builtin_cpu_supports("fma");
  if (std::string(feature) == "avx") return __builtin_cpu_supports("avx");
#endif
  return false;
}

class RelaxedSimdTest : public ::testing::TestWithParam<bool> {
 protected:
  static Config Make(bool deterministic) {
    Config c;
    c.relaxed_simd_deterministic = deterministic;
    return c;
  }
  RelaxedSimdTest() : engine_(Make(GetParam())), store_(engine_) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, kOps);
    EXPECT_TRUE(m.ok()) << m.status();
    Result<Instance> i = Instance::Create(store_, *m, {});
    EXPECT_TRUE(i.ok()) << i.status();
    inst_.emplace(*i);
  }
  bool deterministic() const { return GetParam(); }
  Val Call(const char* name, std::vector<Val> args) {
    absl::StatusOr<Func> f = inst_->GetFunc(store_, name);
    EXPECT_TRUE(f.ok()) << name;
    Result<std::vector<Val>> r = f->Call(store_, args);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status();
    return r.ok() ? (*r)[0] : Val::V128(0, 0);
  }

  Engine engine_;
  Store<> store_;
  std::optional<Instance> inst_;
};

TEST_P(RelaxedSimdTest, Swizzle) {
  // Index 0x10 (out of range, top bit clear): swizzle gives 0, pshufb
  // x[0]; 0x80: 0 either way.
  Val a = Val::V128(0x0807060504030201ull, 0x100f0e0d0c0b0a09ull);
  Val r = Call("swizzle", {a, Val::V128(0x0000000000008010ull, 0)});
  EXPECT_EQ(r.v128_lo() & 0xffff, deterministic() ? 0x0000u : 0x0001u);
}

TEST_P(RelaxedSimdTest, Q15MulrOverflow) {
  Val r = Call("q15mulr", {Bytes(0x8000800080008000ull),
                           Bytes(0x8000800080008000ull)});
  EXPECT_EQ(r.v128_lo(), deterministic() ? 0x7fff7fff7fff7fffull
                                         : 0x8000800080008000ull);
}

TEST_P(RelaxedSimdTest, MinMaxOfZeroesAndNaN) {
  // relaxed_min(-0, +0): fmin gives -0; minps gives its second operand.
  Val r = Call("min", {F32s(-0.0f), F32s(0.0f)});
  EXPECT_EQ(Lane32(r), deterministic() ? 0x80000000u : 0x00000000u);
  // relaxed_max(NaN, 1): fmax gives a NaN; maxpd gives 1.
  Val m = Call("max", {F64s(std::nan("")), F64s(1.0)});
  double d;
  const uint64_t bits = m.v128_lo();
  std::memcpy(&d, &bits, 8);
  if (deterministic()) {
    EXPECT_TRUE(std::isnan(d));
  } else {
    EXPECT_EQ(d, 1.0);
  }
}

TEST_P(RelaxedSimdTest, DotWithTopBitSet) {
  // a = -1 bytes, b = 0x80: signed (-1)(-128) * 2 = 256; pmaddubsw reads b
  // unsigned: (-1)(128) * 2 = -256.
  Val r = Call("dot", {Bytes(~0ull), Bytes(0x8080808080808080ull)});
  EXPECT_EQ(r.v128_lo() & 0xffff, deterministic() ? 256u : 0xff00u);
  // Deterministic: -128 * -128 * 2 = 32768 wraps to -32768 in 16 bits.
  if (deterministic()) {
    Val w = Call("dot", {Bytes(0x8080808080808080ull),
                         Bytes(0x8080808080808080ull)});
    EXPECT_EQ(w.v128_lo(), 0x8000800080008000ull);
  }
  // The i32 form: the two i16 dots of a lane added, plus c.
  Val s = Call("dot_add", {Bytes(~0ull), Bytes(0x8080808080808080ull),
                           Val::V128(5, 5)});
  EXPECT_EQ(Lane32(s), deterministic() ? 512u + 5 : static_cast<uint32_t>(-512 + 5));
}

TEST_P(RelaxedSimdTest, MaddRounding) {
  // 2796203.5 * 3 + 8388611 = 16777221.5: unfused rounds the product to
  // 8388610, then the sum to 16777220 (0x4b800002); fused rounds once, to
  // 16777222 (0x4b800003).
  Val r = Call("madd", {F32s(2796203.5f), F32s(3.0f), F32s(8388611.0f)});
  const bool fused = !deterministic() && HostHas("fma");
  EXPECT_EQ(Lane32(r), fused ? 0x4b800003u : 0x4b800002u);
  // nmadd stays unfused in both modes (see codegen/translate/simd.cc):
  // -(a * b) + c with a = 1 + 2^-52, b = 1 - 2^-53 rounds a * b to 1.
  const double a = 1.0 + 0x1p-52, b = 1.0 - 0x1p-53;
  Val n = Call("nmadd", {F64s(a), F64s(b), F64s(1.0)});
  double d;
  const uint64_t bits = n.v128_lo();
  std::memcpy(&d, &bits, 8);
  EXPECT_EQ(d, 0.0);
}

TEST_P(RelaxedSimdTest, LaneselectWithPartialMasks) {
  // Mask lanes with only the top bit set: bitselect takes that one bit
  // from a; a blend takes the whole lane.
  Val a = Bytes(0x9999999999999999ull), b = Bytes(0x2222222222222222ull);
  const bool blend = !deterministic() && HostHas("avx");
  Val lanes32 = Call("laneselect32", {a, b, Bytes(0x8000000080000000ull)});
  EXPECT_EQ(lanes32.v128_lo(), blend ? 0x9999999999999999ull : 0xa2222222a2222222ull);
  Val lanes8 = Call("laneselect8", {a, b, Bytes(0x8080808080808080ull)});
  EXPECT_EQ(lanes8.v128_lo(), blend ? 0x9999999999999999ull : 0xa2a2a2a2a2a2a2a2ull);
  // Whole-lane masks: the same either way.
  Val w = Call("laneselect32", {a, b, Val::V128(0xffffffff00000000ull, 0)});
  EXPECT_EQ(w.v128_lo(), 0x9999999922222222ull);
}

TEST_P(RelaxedSimdTest, TruncSaturatesEitherWay) {
  Val r = Call("trunc", {F32s(std::nanf(""))});
  EXPECT_EQ(r.v128_lo(), 0u);
  r = Call("trunc", {F32s(3e9f)});
  EXPECT_EQ(Lane32(r), 0x7fffffffu);
}

INSTANTIATE_TEST_SUITE_P(Both, RelaxedSimdTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Deterministic" : "Fast";
                         });

TEST(RelaxedSimdCwasmTest, TheSettingIsPartOfTheArtifact) {
  Config det;
  det.relaxed_simd_deterministic = true;
  Engine a(det), b;
  absl::StatusOr<Module> m = Module::FromWat(a, kOps);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_TRUE(Module::Deserialize(a, *bytes).ok());
  absl::StatusOr<Module> other = Module::Deserialize(b, *bytes);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("relaxed-simd-deterministic"),
            std::string::npos)
      << other.status();
}

}  // namespace
}  // namespace kiln
