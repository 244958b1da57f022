// The decoder and validator with proposals on and off (wasm/features.def):
// tail calls, extended constant expressions, multi-memory, memory64,
// relaxed SIMD and threads.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wasm/decoder.h"
#include "wasm/features.h"
#include "wasm/wat.h"

namespace kiln::wasm {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> Wat(const char* text) {
  absl::StatusOr<std::vector<uint8_t>> b = WatToBinary(text);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : std::vector<uint8_t>{};
}

absl::StatusOr<std::unique_ptr<ModuleInfo>> Decode(
    const std::vector<uint8_t>& bytes, Features features = Features::All()) {
  DecodeOptions options;
  options.features = features;
  return DecodeModule(bytes, options);
}

constexpr char kTailCalls[] = R"(
  (module
    (type $t (func (param i64) (result i64)))
    (table 1 funcref)
    (func $f (param i64) (result i64) (return_call $f (local.get 0)))
    (func (param i64) (result i64)
      (return_call_indirect (type $t) (local.get 0) (i32.const 0))))
)";

TEST(FeaturesValidationTest, TailCallsOnByDefault) {
  auto m = Decode(Wat(kTailCalls));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->features.tail_call);
}

TEST(FeaturesValidationTest, TailCallOffIsAClearError) {
  Features f;
  f.tail_call = false;
  auto m = Decode(Wat(kTailCalls), f);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("return_call requires the tail-call feature, which is "
                        "disabled (Config::wasm_features.tail_call)"));
  EXPECT_THAT(m.status().message(), HasSubstr("at byte 0x"));
}

TEST(FeaturesValidationTest, TailCallResultsMustMatch) {
  auto m = Decode(Wat(R"(
    (module
      (func $g (result i64) (i64.const 1))
      (func (result i32) (return_call $g)))
  )"));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("type mismatch"));
}

TEST(FeaturesValidationTest, ExtendedConstFoldsConstants) {
  auto m = Decode(Wat(R"(
    (module
      (memory 1)
      (global i32 (i32.add (i32.mul (i32.const 20) (i32.const 2))
                           (i32.const 2)))
      (global i64 (i64.sub (i64.const 0) (i64.const 1)))
      (data (i32.sub (i32.const 100) (i32.const 36)) "x"))
  )"));
  ASSERT_TRUE(m.ok()) << m.status();
  const ModuleInfo& info = **m;
  EXPECT_EQ(info.globals[0].init.kind, ConstExpr::Kind::kI32Const);
  EXPECT_EQ(info.globals[0].init.bits, 42u);
  EXPECT_EQ(info.globals[1].init.kind, ConstExpr::Kind::kI64Const);
  EXPECT_EQ(info.globals[1].init.bits, ~uint64_t{0});
  // Constant after folding: copy-on-write images see a plain offset.
  EXPECT_EQ(info.data_segments[0].offset.kind, ConstExpr::Kind::kI32Const);
  EXPECT_EQ(info.data_segments[0].offset.bits, 64u);
}

TEST(FeaturesValidationTest, ExtendedConstWithGlobalGetIsAProgram) {
  auto m = Decode(Wat(R"(
    (module
      (import "env" "g" (global i32))
      (global i32 (i32.add (global.get 0) (i32.const 42))))
  )"));
  ASSERT_TRUE(m.ok()) << m.status();
  const ConstExpr& e = (*m)->globals[1].init;
  ASSERT_EQ(e.kind, ConstExpr::Kind::kExtended);
  ASSERT_EQ(e.ops.size(), 3u);
  EXPECT_EQ(EvalConstOps(e.ops, [](uint32_t) { return uint64_t{0xffffffff}; }),
            41u);  // i32 arithmetic wraps
}

TEST(FeaturesValidationTest, ExtendedConstOffAndTypeErrors) {
  const std::vector<uint8_t> bytes =
      Wat("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))");
  Features f;
  f.extended_const = false;
  auto off = Decode(bytes, f);
  ASSERT_FALSE(off.ok());
  EXPECT_THAT(off.status().message(), HasSubstr("constant expression required"));
  auto bad = Decode(
      Wat("(module (global i32 (i32.add (i64.const 1) (i32.const 2))))"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("type mismatch"));
  auto bad_op = Decode(
      Wat("(module (global i32 (i32.div_s (i32.const 1) (i32.const 2))))"));
  ASSERT_FALSE(bad_op.ok());
  EXPECT_THAT(bad_op.status().message(),
              HasSubstr("constant expression required"));
}

constexpr char kMultiMemory[] = R"(
  (module
    (import "env" "m" (memory $a 1))
    (memory $b 1 2)
    (memory $c 0)
    (data (memory $c) (i32.const 0) "xy")
    (data "z")
    (export "b" (memory $b))
    (export "c" (memory $c))
    (func (param i32) (result i32)
      (i32.store $b offset=4 (local.get 0) (i32.load $c (local.get 0)))
      (memory.fill $c (i32.const 0) (i32.const 1) (i32.const 1))
      (memory.copy $a $c (i32.const 0) (i32.const 0) (i32.const 1))
      (memory.init $b 1 (i32.const 0) (i32.const 0) (i32.const 1))
      (drop (memory.grow $c (i32.const 1)))
      (i32.add (memory.size $b) (i32.load8_u (local.get 0)))))
)";

TEST(FeaturesValidationTest, MultiMemoryOnByDefault) {
  auto m = Decode(Wat(kMultiMemory));
  ASSERT_TRUE(m.ok()) << m.status();
  const ModuleInfo& info = **m;
  EXPECT_TRUE(info.features.multi_memory);
  ASSERT_EQ(info.memories.size(), 3u);
  EXPECT_EQ(info.num_imported_memories, 1u);
  EXPECT_EQ(info.data_segments[0].memory_index, 2u);
  EXPECT_EQ(info.exports[1].index, 2u);
}

// A module of `memories` defined memories (limits min 0) and a body
// `code` (locals and end included), by hand so offsets are known.
std::vector<uint8_t> MemoryModule(int memories, std::vector<uint8_t> code) {
  std::vector<uint8_t> b = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                            // type 0: [] -> []
                            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                            // one function of type 0
                            0x03, 0x02, 0x01, 0x00};
  b.push_back(0x05);  // memory section
  b.push_back(static_cast<uint8_t>(1 + 2 * memories));
  b.push_back(static_cast<uint8_t>(memories));
  for (int i = 0; i < memories; ++i) {
    b.push_back(0x00);  // limits: min only
    b.push_back(0x00);
  }
  b.push_back(0x0a);  // code section
  b.push_back(static_cast<uint8_t>(code.size() + 2));
  b.push_back(0x01);
  b.push_back(static_cast<uint8_t>(code.size()));
  b.insert(b.end(), code.begin(), code.end());
  return b;
}

TEST(FeaturesValidationTest, MultiMemoryOffNamesTheSecondMemoryAndOffset) {
  Features f;
  f.multi_memory = false;
  const std::vector<uint8_t> bytes = MemoryModule(2, {0x00, 0x0b});
  ASSERT_TRUE(Decode(bytes).ok());
  auto m = Decode(bytes, f);
  ASSERT_FALSE(m.ok());
  // Header 8 + type section 6 + function section 4 + section id, size and
  // count 3 + the first memory's 2 bytes: the second memory is at 0x17.
  EXPECT_THAT(m.status().message(),
              HasSubstr("at byte 0x17: multiple memories requires the "
                        "multi-memory feature, which is disabled "
                        "(Config::wasm_features.multi_memory)"));
  // An imported memory and a defined one.
  auto imported = Decode(
      Wat(R"((module (import "env" "m" (memory 1)) (memory 1)))"), f);
  ASSERT_FALSE(imported.ok());
  EXPECT_THAT(imported.status().message(),
              HasSubstr("multiple memories requires the multi-memory"));
}

TEST(FeaturesValidationTest, MultiMemoryOffRejectsAMemargMemoryIndex) {
  Features f;
  f.multi_memory = false;
  // i32.const 0; i32.load with flags 0x42 (align 2 + bit 6), memory 0,
  // offset 0; drop; end. The function body starts at 0x1b (after its size
  // byte); the load is at 0x1b + 3 (locals count, i32.const 0).
  const std::vector<uint8_t> bytes = MemoryModule(
      1, {0x00, 0x41, 0x00, 0x28, 0x42, 0x00, 0x00, 0x1a, 0x0b});
  ASSERT_TRUE(Decode(bytes).ok()) << Decode(bytes).status();
  auto m = Decode(bytes, f);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("at byte 0x1e: a memory index in a memarg requires "
                        "the multi-memory feature"));
  // With the feature off, memory.size keeps 2.0's reserved zero byte.
  const std::vector<uint8_t> size1 =
      MemoryModule(1, {0x00, 0x3f, 0x01, 0x1a, 0x0b});
  auto s = Decode(size1, f);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("zero byte expected"));
  // With it on, the byte is a memory index: memory 1 does not exist.
  auto on = Decode(size1);
  ASSERT_FALSE(on.ok());
  EXPECT_THAT(on.status().message(), HasSubstr("unknown memory 1"));
}

TEST(FeaturesValidationTest, MultiMemoryUnknownMemoryInMemarg) {
  // i32.load with a memory index of 2 in a module of two memories.
  auto m = Decode(MemoryModule(
      2, {0x00, 0x41, 0x00, 0x28, 0x42, 0x02, 0x00, 0x1a, 0x0b}));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("unknown memory 2"));
  auto copy = Decode(MemoryModule(
      2, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x01, 0x03,
          0x0b}));
  ASSERT_FALSE(copy.ok());
  EXPECT_THAT(copy.status().message(), HasSubstr("unknown memory 3"));
}

constexpr char kRelaxedSimd[] = R"(
  (module
    (func (param v128 v128 v128) (result v128)
      (f32x4.relaxed_madd (local.get 0) (local.get 1)
        (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1)
                                              (local.get 2)))))
)";

constexpr char kMemory64[] = R"(
  (module
    (memory i64 1 70000)
    (data (i64.const 8) "x")
    (func (param i64) (result i64)
      (i64.store offset=0xfffffff0 (local.get 0) (i64.const 1))
      (memory.fill (local.get 0) (i32.const 0) (i64.const 4))
      (memory.copy (local.get 0) (local.get 0) (i64.const 4))
      (memory.init 0 (local.get 0) (i32.const 0) (i32.const 1))
      (drop (memory.grow (i64.const 1)))
      (i64.add (memory.size) (i64.load8_u (local.get 0)))))
)";

TEST(FeaturesValidationTest, Memory64OnByDefault) {
  auto m = Decode(Wat(kMemory64));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ((*m)->memories.size(), 1u);
  EXPECT_TRUE((*m)->memories[0].type.is64);
  EXPECT_EQ((*m)->memories[0].type.limits.max, 70000u);  // above 65536
  EXPECT_EQ((*m)->data_segments[0].offset.kind, ConstExpr::Kind::kI64Const);
}

TEST(FeaturesValidationTest, Memory64OffNamesTheLimitsAndOffset) {
  Features f;
  f.memory64 = false;
  // Header 8 + section id, size and count 3: the limits flags at 0xb.
  const std::vector<uint8_t> bytes = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                      0x05, 0x03, 0x01, 0x04, 0x01};
  ASSERT_TRUE(Decode(bytes).ok());
  auto m = Decode(bytes, f);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("at byte 0xb: a 64-bit memory (i64 limits) requires "
                        "the memory64 feature, which is disabled "
                        "(Config::wasm_features.memory64)"));
  // An imported 64-bit memory too.
  auto imported =
      Decode(Wat(R"((module (import "env" "m" (memory i64 1))))"), f);
  ASSERT_FALSE(imported.ok());
  EXPECT_THAT(imported.status().message(),
              HasSubstr("requires the memory64 feature"));
}

TEST(FeaturesValidationTest, Memory64IndexTypes) {
  // The address of a 64-bit memory is i64, of a 32-bit one i32.
  auto wrong = Decode(Wat(R"((module (memory i64 1)
      (func (drop (i32.load (i32.const 0))))))"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("type mismatch"));
  auto wrong32 = Decode(Wat(R"((module (memory 1)
      (func (drop (i32.load (i64.const 0))))))"));
  ASSERT_FALSE(wrong32.ok());
  // memory.size / memory.grow give i64.
  auto size = Decode(Wat(R"((module (memory i64 1)
      (func (result i32) (memory.size))))"));
  ASSERT_FALSE(size.ok());
  EXPECT_THAT(size.status().message(), HasSubstr("type mismatch"));
  // memory.copy between a 32- and a 64-bit memory: the length is i32 (the
  // narrower type), each address has its own memory's type.
  auto copy = Decode(Wat(R"((module (memory $a i64 1) (memory $b 1)
      (func (memory.copy $a $b (i64.const 0) (i32.const 0) (i32.const 1))
            (memory.copy $b $a (i32.const 0) (i64.const 0) (i32.const 1)))))"));
  EXPECT_TRUE(copy.ok()) << copy.status();
  auto copy_bad = Decode(Wat(R"((module (memory $a i64 1) (memory $b 1)
      (func (memory.copy $a $b (i64.const 0) (i32.const 0) (i64.const 1)))))"));
  EXPECT_FALSE(copy_bad.ok());
  // Limits: up to 2^48 pages for i64, 2^16 for i32.
  auto big = Decode(Wat("(module (memory i64 0x1000000000000))"));
  EXPECT_TRUE(big.ok()) << big.status();
  auto too_big = Decode(Wat("(module (memory i64 0x1000000000001))"));
  ASSERT_FALSE(too_big.ok());
  EXPECT_THAT(too_big.status().message(), HasSubstr("at most 2^48 pages"));
}

TEST(FeaturesValidationTest, RelaxedSimdOnByDefault) {
  auto m = Decode(Wat(kRelaxedSimd));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->features.relaxed_simd);
}

TEST(FeaturesValidationTest, RelaxedSimdOffNamesTheOpcodeAndOffset) {
  const std::vector<uint8_t> bytes = Wat(kRelaxedSimd);
  Features f;
  f.relaxed_simd = false;
  auto m = Decode(bytes, f);
  ASSERT_FALSE(m.ok());
  // The first relaxed opcode in the body is the dot (operands first): its
  // 0xfd prefix byte, followed by the LEB 0x93 0x02 (0x113).
  size_t at = 0;
  for (size_t i = 0; i + 2 < bytes.size(); ++i) {
    if (bytes[i] == 0xfd && bytes[i + 1] == 0x93 && bytes[i + 2] == 0x02) {
      at = i;
      break;
    }
  }
  ASSERT_NE(at, 0u);
  EXPECT_THAT(m.status().message(),
              HasSubstr("i32x4.relaxed_dot_i8x16_i7x16_add_s requires the "
                        "relaxed-simd feature, which is disabled "
                        "(Config::wasm_features.relaxed_simd)"));
  EXPECT_THAT(m.status().message(),
              HasSubstr(absl::StrFormat("at byte 0x%x", at)));
}

// Every relaxed opcode, types checked: the three-operand ones take three
// v128s, and an i32 operand is a type mismatch.
TEST(FeaturesValidationTest, RelaxedSimdTypes) {
  auto ok = Decode(Wat(R"(
    (module
      (func (param v128 v128 v128)
        (drop (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
        (drop (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
        (drop (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
        (drop (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
        (drop (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
        (drop (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
        (drop (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
        (drop (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
        (drop (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
        (drop (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
        (drop (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
        (drop (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
        (drop (f32x4.relaxed_min (local.get 0) (local.get 1)))
        (drop (f32x4.relaxed_max (local.get 0) (local.get 1)))
        (drop (f64x2.relaxed_min (local.get 0) (local.get 1)))
        (drop (f64x2.relaxed_max (local.get 0) (local.get 1)))
        (drop (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
        (drop (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))))
  )"));
  EXPECT_TRUE(ok.ok()) << ok.status();
  auto bytes = WatToBinary(R"(
    (module
      (func (param v128 v128) (result v128)
        (f64x2.relaxed_madd (local.get 0) (local.get 1) (i32.const 1))))
  )");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto bad = Decode(*bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("type mismatch"));
}

constexpr char kThreads[] = R"(
  (module
    (memory 1 2 shared)
    (func (param i32) (result i32)
      (atomic.fence)
      (i32.atomic.load (local.get 0))))
)";

TEST(FeaturesValidationTest, ThreadsOnByDefault) {
  auto m = Decode(Wat(kThreads));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->features.threads);
  EXPECT_TRUE((*m)->memories[0].type.shared);
}

TEST(FeaturesValidationTest, ThreadsOffRejectsSharedMemoriesAndAtomics) {
  Features f;
  f.threads = false;
  auto m = Decode(Wat(kThreads), f);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("a shared memory requires the threads feature, which "
                        "is disabled (Config::wasm_features.threads)"));
  auto unshared = Decode(Wat(R"(
    (module (memory 1)
      (func (param i32) (result i32) (i32.atomic.load (local.get 0)))))"),
                         f);
  ASSERT_FALSE(unshared.ok());
  EXPECT_THAT(unshared.status().message(),
              HasSubstr("i32.atomic.load requires the threads feature"));
}

TEST(FeaturesValidationTest, SharedMemoryNeedsAMaximum) {
  // (memory 1 shared) has no text form in wabt: flags 0x02 by hand.
  std::vector<uint8_t> bytes = Wat("(module (memory 1 2 shared))");
  const std::vector<uint8_t> limits = {0x03, 0x01, 0x02};
  auto at = std::search(bytes.begin(), bytes.end(), limits.begin(), limits.end());
  ASSERT_NE(at, bytes.end());
  *at = 0x02;
  bytes.erase(at + 2);                       // the maximum
  bytes[bytes.size() - 4] -= 1;              // section size
  auto m = Decode(bytes);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(),
              HasSubstr("shared memory must have maximum"));
}

TEST(FeaturesValidationTest, AtomicAlignmentMustBeNatural) {
  // i32.atomic.load: 0xfe 0x10, then the memarg's alignment 2 (natural);
  // 1 is valid for a plain load and invalid for an atomic one.
  std::vector<uint8_t> bytes = Wat(kThreads);
  const std::vector<uint8_t> op = {0xfe, 0x10, 0x02};
  auto at = std::search(bytes.begin(), bytes.end(), op.begin(), op.end());
  ASSERT_NE(at, bytes.end());
  at[2] = 0x01;
  auto m = Decode(bytes);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("atomic alignment must be natural"));
}

}  // namespace
}  // namespace kiln::wasm
