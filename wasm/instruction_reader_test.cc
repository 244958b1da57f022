#include "wasm/instruction_reader.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "wasm/decoder.h"
#include "wasm/wat.h"

namespace kiln::wasm {
namespace {

struct Read {
  std::vector<Opcode> ops;
  std::vector<uint64_t> imms;
  bool malformed = false;
  bool at_end = false;
  uint32_t locals = 0;
};

Read ReadAll(absl::Span<const uint8_t> body) {
  Read out;
  InstructionReader r(body);
  out.locals = r.ReadLocals();
  Opcode op;
  uint64_t imm;
  while (r.Next(&op, &imm)) {
    out.ops.push_back(op);
    out.imms.push_back(imm);
  }
  out.malformed = r.malformed();
  out.at_end = r.at_end();
  return out;
}

// The body of the module's last function.
std::vector<uint8_t> LastBody(const std::vector<uint8_t>& bytes) {
  absl::StatusOr<std::unique_ptr<ModuleInfo>> m = DecodeModule(bytes);
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return {};
  const Function& f = (*m)->functions.back();
  return std::vector<uint8_t>(bytes.begin() + f.body_offset,
                              bytes.begin() + f.body_offset + f.body_size);
}

TEST(InstructionReaderTest, SkipsEveryKindOfImmediate) {
  absl::StatusOr<std::vector<uint8_t>> bytes = WatToBinary(R"(
    (module
      (memory 1 1 shared)
      (table 2 funcref)
      (type $t (func (param i32) (result i32)))
      (data $d "abc")
      (elem $e func $f)
      (func $f (param i32) (result i32) local.get 0)
      (func (param i32 i64) (result i32) (local f32 f64) (local v128)
        block $b
          loop $l
            local.get 0
            br_table $l $b $l
          end
        end
        f32.const 1.5
        local.set 2
        f64.const -2.5
        local.set 3
        v128.const i32x4 1 2 3 4
        v128.const i32x4 5 6 7 8
        i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
        i32x4.extract_lane 3
        drop
        i32.const 0
        local.get 4
        v128.load32_lane offset=8 2
        local.set 4
        i32.const 1
        i32.const 2
        i32.load16_u offset=300
        i32.const 0
        select (result i32)
        drop
        atomic.fence
        i32.const 0 i32.const 0 i32.const 3
        memory.init $d
        i32.const 0 i32.const 0 i32.const 1
        memory.copy
        i32.const 0 i32.const 0 i32.const 1
        table.init $e
        elem.drop $e
        i64.const -1
        drop
        i32.const 7
        call $f
        i32.const 0
        call_indirect (type $t)
        return_call $f))
  )");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const Read r = ReadAll(LastBody(*bytes));
  EXPECT_FALSE(r.malformed);
  EXPECT_TRUE(r.at_end);
  EXPECT_EQ(r.locals, 3u);
  ASSERT_FALSE(r.ops.empty());
  EXPECT_EQ(r.ops.front(), Opcode::kBlock);
  EXPECT_EQ(r.ops.back(), Opcode::kEnd);
  // Every opcode appears as one instruction: nothing was read as an
  // immediate and no immediate as an opcode.
  auto count = [&](Opcode op) {
    int n = 0;
    for (Opcode o : r.ops) n += o == op;
    return n;
  };
  EXPECT_EQ(count(Opcode::kAtomicFence), 1);
  EXPECT_EQ(count(Opcode::kUnreachable), 0);
  EXPECT_EQ(count(Opcode::kBrTable), 1);
  EXPECT_EQ(count(Opcode::kI8X16Shuffle), 1);
  EXPECT_EQ(count(Opcode::kV128Load32Lane), 1);
  EXPECT_EQ(count(Opcode::kMemoryInit), 1);
  EXPECT_EQ(count(Opcode::kTableInit), 1);
  EXPECT_EQ(count(Opcode::kCallIndirect), 1);
  EXPECT_EQ(count(Opcode::kEnd), 3);  // block, loop, function.
  for (size_t i = 0; i < r.ops.size(); ++i) {
    if (r.ops[i] == Opcode::kCall || r.ops[i] == Opcode::kReturnCall) {
      EXPECT_EQ(r.imms[i], 0u);  // $f.
    }
  }
  EXPECT_EQ(count(Opcode::kCall), 1);
  EXPECT_EQ(count(Opcode::kReturnCall), 1);
}

TEST(InstructionReaderTest, StopsAtMalformedBodies) {
  // A LEB128 that runs off the end.
  {
    const std::vector<uint8_t> body = {0x00, 0x41, 0x80, 0x80};
    const Read r = ReadAll(body);
    EXPECT_TRUE(r.malformed);
    EXPECT_TRUE(r.ops.empty());
  }
  // An opcode that does not exist.
  {
    const std::vector<uint8_t> body = {0x00, 0x01, 0xff, 0x0b};
    const Read r = ReadAll(body);
    EXPECT_TRUE(r.malformed);
    EXPECT_EQ(r.ops.size(), 1u);  // nop.
  }
  // A v128.const cut short, and a br_table claiming 2^32 targets.
  {
    const std::vector<uint8_t> body = {0x00, 0xfd, 0x0c, 1, 2, 3};
    EXPECT_TRUE(ReadAll(body).malformed);
    const std::vector<uint8_t> table = {0x00, 0x0e, 0xff, 0xff, 0xff, 0xff,
                                        0x0f, 0x00};
    EXPECT_TRUE(ReadAll(table).malformed);
  }
  // Locals declarations cut short.
  {
    const std::vector<uint8_t> body = {0x02, 0x01, 0x7f};
    const Read r = ReadAll(body);
    EXPECT_TRUE(r.malformed);
    EXPECT_EQ(r.locals, 0u);
  }
}

}  // namespace
}  // namespace kiln::wasm
