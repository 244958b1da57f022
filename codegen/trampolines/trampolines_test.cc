#include "codegen/trampolines/trampolines.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::trampolines {
namespace {

using wasm::FuncType;
using wasm::ValType;

// A v128 as the C calling convention passes it on every ISA (in a float /
// vector register), without ISA intrinsics.
typedef int32_t I32x4 __attribute__((vector_size(16)));

// C functions with the wasm convention (two hidden args first).
double Mixed(void* callee, void*, int32_t a, int64_t b, double c, float d) {
  EXPECT_EQ(callee, reinterpret_cast<void*>(0x1234));
  return a + b + c + d;
}
int64_t Many(void*, void*, int64_t a, int64_t b, int64_t c, int64_t d,
             int64_t e, int64_t f, int64_t g, int32_t h) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}
void Multi(void*, void*, int32_t x, float y, uint64_t* ret) {
  ret[0] = static_cast<uint64_t>(x + 1);
  float z = y * 2;
  uint32_t bits;
  std::memcpy(&bits, &z, 4);
  ret[1] = bits;
  ret[2] = 77;
}

struct Slots {
  alignas(16) uint8_t bytes[16 * 12] = {};
  template <typename T>
  void Set(int i, T v) { std::memcpy(bytes + 16 * i, &v, sizeof(T)); }
  template <typename T>
  T Get(int i) const {
    T v;
    std::memcpy(&v, bytes + 16 * i, sizeof(T));
    return v;
  }
};

TEST(TrampolinesTest, ArrayCallMixed) {
  FuncType t{{ValType::kI32, ValType::kI64, ValType::kF64, ValType::kF32},
             {ValType::kF64}};
  auto tramp = CompileArrayCall(t);
  ASSERT_TRUE(tramp.ok()) << tramp.status();
  Slots s;
  s.Set<int32_t>(0, -3);
  s.Set<int64_t>(1, 10);
  s.Set<double>(2, 0.5);
  s.Set<float>(3, 0.25f);
  reinterpret_cast<ArrayCallFn>(tramp->entry)(
      reinterpret_cast<const void*>(&Mixed), reinterpret_cast<void*>(0x1234),
      nullptr, s.bytes);
  EXPECT_EQ(s.Get<double>(0), 7.75);
}

TEST(TrampolinesTest, ArrayCallStackArgs) {
  FuncType t;
  for (int i = 0; i < 7; ++i) t.params.push_back(ValType::kI64);
  t.params.push_back(ValType::kI32);
  t.results = {ValType::kI64};
  auto tramp = CompileArrayCall(t);
  ASSERT_TRUE(tramp.ok());
  Slots s;
  for (int i = 0; i < 8; ++i) s.Set<int64_t>(i, i + 1);
  reinterpret_cast<ArrayCallFn>(tramp->entry)(
      reinterpret_cast<const void*>(&Many), nullptr, nullptr, s.bytes);
  EXPECT_EQ(s.Get<int64_t>(0), 1 + 4 + 9 + 16 + 25 + 36 + 49 + 64);
}

TEST(TrampolinesTest, ArrayCallMultiValue) {
  FuncType t{{ValType::kI32, ValType::kF32},
             {ValType::kI32, ValType::kF32, ValType::kI64}};
  auto tramp = CompileArrayCall(t);
  ASSERT_TRUE(tramp.ok());
  Slots s;
  s.Set<int32_t>(0, 41);
  s.Set<float>(1, 1.5f);
  reinterpret_cast<ArrayCallFn>(tramp->entry)(
      reinterpret_cast<const void*>(&Multi), nullptr, nullptr, s.bytes);
  EXPECT_EQ(s.Get<int32_t>(0), 42);
  EXPECT_EQ(s.Get<float>(1), 3.0f);
  EXPECT_EQ(s.Get<int64_t>(2), 77);
}

void* g_seen_ctx = nullptr;
void Dispatch(void* host_ctx, void*, uint8_t* values) {
  g_seen_ctx = host_ctx;
  int64_t sum = 0;
  for (int i = 0; i < 8; ++i) {
    int64_t v;
    std::memcpy(&v, values + 16 * i, 8);
    sum += v;
  }
  double d;
  std::memcpy(&d, values + 16 * 8, 8);
  int64_t r0 = sum;
  double r1 = d * 2;
  std::memcpy(values, &r0, 8);
  std::memcpy(values + 16, &r1, 8);
}

TEST(TrampolinesTest, RoundTripThroughHost) {
  // 8 i64 params (2 on the stack), an f64, two results (return area).
  FuncType t;
  for (int i = 0; i < 8; ++i) t.params.push_back(ValType::kI64);
  t.params.push_back(ValType::kF64);
  t.results = {ValType::kI64, ValType::kF64};
  auto entry = CompileArrayCall(t);
  auto host = CompileWasmToHost(t, &Dispatch);
  ASSERT_TRUE(entry.ok() && host.ok());
  Slots s;
  for (int i = 0; i < 8; ++i) s.Set<int64_t>(i, 100 + i);
  s.Set<double>(8, 1.25);
  reinterpret_cast<ArrayCallFn>(entry->entry)(
      host->entry, reinterpret_cast<void*>(0x99), nullptr, s.bytes);
  EXPECT_EQ(g_seen_ctx, reinterpret_cast<void*>(0x99));
  EXPECT_EQ(s.Get<int64_t>(0), 828);
  EXPECT_EQ(s.Get<double>(1), 2.5);
}

TEST(TrampolinesTest, SingleFloatResultFromHost) {
  FuncType t{{ValType::kF32}, {ValType::kF32}};
  auto entry = CompileArrayCall(t);
  auto host = CompileWasmToHost(
      t, [](void*, void*, uint8_t* values) {
        float f;
        std::memcpy(&f, values, 4);
        f += 1;
        std::memcpy(values, &f, 4);
      });
  ASSERT_TRUE(entry.ok() && host.ok());
  Slots s;
  s.Set<float>(0, 2.5f);
  reinterpret_cast<ArrayCallFn>(entry->entry)(host->entry, nullptr, nullptr,
                                              s.bytes);
  EXPECT_EQ(s.Get<float>(0), 3.5f);
}

// v128 travels in float / vector registers like a 16-byte vector.
I32x4 AddV128(void*, void*, int32_t k, I32x4 x, I32x4 y) { return x + y + k; }

TEST(TrampolinesTest, ArrayCallV128) {
  FuncType t{{ValType::kI32, ValType::kV128, ValType::kV128}, {ValType::kV128}};
  auto tramp = CompileArrayCall(t);
  ASSERT_TRUE(tramp.ok()) << tramp.status();
  Slots s;
  s.Set<int32_t>(0, 100);
  s.Set<I32x4>(1, I32x4{1, 2, 3, 4});
  s.Set<I32x4>(2, I32x4{10, 20, 30, 40});
  reinterpret_cast<ArrayCallFn>(tramp->entry)(
      reinterpret_cast<const void*>(&AddV128), nullptr, nullptr, s.bytes);
  int32_t lanes[4];
  std::memcpy(lanes, s.bytes, 16);
  EXPECT_EQ(lanes[0], 111);
  EXPECT_EQ(lanes[1], 122);
  EXPECT_EQ(lanes[2], 133);
  EXPECT_EQ(lanes[3], 144);
}

// Several results come back through the return area (the last argument):
// a v128 takes 16 bytes there, the others 8 (abi::ReturnAreaOffsets).
void MultiWithV128(void*, void*, int32_t k, uint8_t* ret) {
  const I32x4 v = {k, k + 1, k + 2, k + 3};
  const int64_t after = int64_t{k} << 32;
  const int32_t first = -k;
  std::memcpy(ret, &first, 4);       // i32 at 0
  std::memcpy(ret + 8, &v, 16);      // v128 at 8
  std::memcpy(ret + 24, &after, 8);  // i64 at 24
}

TEST(TrampolinesTest, ArrayCallV128AmongSeveralResults) {
  FuncType t{{ValType::kI32},
             {ValType::kI32, ValType::kV128, ValType::kI64}};
  auto tramp = CompileArrayCall(t);
  ASSERT_TRUE(tramp.ok()) << tramp.status();
  Slots s;
  s.Set<int32_t>(0, 7);
  reinterpret_cast<ArrayCallFn>(tramp->entry)(
      reinterpret_cast<const void*>(&MultiWithV128), nullptr, nullptr,
      s.bytes);
  EXPECT_EQ(s.Get<int32_t>(0), -7);
  int32_t lanes[4];
  std::memcpy(lanes, s.bytes + 16, 16);
  EXPECT_EQ(lanes[0], 7);
  EXPECT_EQ(lanes[1], 8);
  EXPECT_EQ(lanes[2], 9);
  EXPECT_EQ(lanes[3], 10);
  EXPECT_EQ(s.Get<int64_t>(2), int64_t{7} << 32);
}

TEST(TrampolinesTest, V128Unimplemented) {
  // Host functions and v128 arguments on the stack are not supported yet.
  FuncType host{{ValType::kV128}, {}};
  EXPECT_EQ(CompileWasmToHost(host, nullptr).status().code(),
            absl::StatusCode::kUnimplemented);
  FuncType host_multi{{}, {ValType::kV128, ValType::kI32}};
  EXPECT_EQ(CompileWasmToHost(host_multi, nullptr).status().code(),
            absl::StatusCode::kUnimplemented);
  FuncType stack{std::vector<ValType>(9, ValType::kV128), {}};
  EXPECT_EQ(CompileArrayCall(stack).status().code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace kiln::trampolines
