#include "runtime/abi/vm_offsets.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/abi/builtins.h"

namespace kiln::abi {
namespace {

TEST(VMOffsetsTest, EmptyModuleIsJustTheHeader) {
  constexpr VMOffsets offsets{VMOffsetsCounts{}};
  static_assert(offsets.size() == VMOffsets::kHeaderSize);
  EXPECT_EQ(offsets.size(), 48u);
}

TEST(VMOffsetsTest, RegionsAreDisjointOrderedAndAligned) {
  VMOffsetsCounts c;
  c.num_imported_functions = 3;
  c.num_imported_tables = 2;
  c.num_imported_memories = 1;
  c.num_imported_globals = 5;
  c.num_defined_tables = 2;
  c.num_defined_memories = 1;
  c.num_defined_globals = 7;
  c.num_func_refs = 4;
  c.num_data_segments = 3;
  c.num_elem_segments = 2;
  VMOffsets o(c);

  // [begin, end) of every field.
  std::vector<std::pair<uint32_t, uint32_t>> fields;
  fields.push_back({0, VMOffsets::kHeaderSize});
  for (uint32_t i = 0; i < c.num_defined_memories; ++i)
    fields.push_back({o.DefinedMemory(i), o.DefinedMemory(i) + 16});
  for (uint32_t i = 0; i < c.num_imported_memories; ++i)
    fields.push_back({o.ImportedMemory(i), o.ImportedMemory(i) + 16});
  for (uint32_t i = 0; i < c.num_imported_functions; ++i)
    fields.push_back({o.ImportedFunction(i), o.ImportedFunction(i) + 16});
  for (uint32_t i = 0; i < c.num_imported_tables; ++i)
    fields.push_back({o.ImportedTable(i), o.ImportedTable(i) + 16});
  for (uint32_t i = 0; i < c.num_imported_globals; ++i)
    fields.push_back({o.ImportedGlobal(i), o.ImportedGlobal(i) + 8});
  for (uint32_t i = 0; i < c.num_defined_tables; ++i)
    fields.push_back({o.DefinedTable(i), o.DefinedTable(i) + 16});
  for (uint32_t i = 0; i < c.num_defined_globals; ++i) {
    EXPECT_EQ(o.DefinedGlobal(i) % 16, 0u);
    fields.push_back({o.DefinedGlobal(i), o.DefinedGlobal(i) + 16});
  }
  for (uint32_t i = 0; i < c.num_func_refs; ++i) {
    EXPECT_EQ(o.FuncRef(i) % 8, 0u);
    fields.push_back({o.FuncRef(i), o.FuncRef(i) + 24});
  }
  for (uint32_t i = 0; i < c.num_data_segments; ++i)
    fields.push_back({o.DataDropped(i), o.DataDropped(i) + 1});
  for (uint32_t i = 0; i < c.num_elem_segments; ++i)
    fields.push_back({o.ElemDropped(i), o.ElemDropped(i) + 1});

  // Fields were pushed in layout order: each starts at or after the end of
  // the previous one, and all fit.
  for (size_t i = 1; i < fields.size(); ++i) {
    EXPECT_GE(fields[i].first, fields[i - 1].second) << "field " << i;
  }
  EXPECT_LE(fields.back().second, o.size());
  EXPECT_EQ(o.size() % 16, 0u);
  // Pointer fields are 8-byte aligned.
  EXPECT_EQ(o.ImportedFunctionCode(2) % 8, 0u);
  EXPECT_EQ(o.ImportedGlobal(4) % 8, 0u);
  EXPECT_EQ(o.DefinedTableSize(1) - o.DefinedTableBase(1), 8u);
  EXPECT_EQ(o.FuncRefTypeId(3) - o.FuncRef(3), 16u);
}

TEST(VMOffsetsTest, StructsMatchOffsetsAtRuntime) {
  // A VMContext laid out by hand for 1 defined memory + 1 defined global.
  constexpr VMOffsets o(VMOffsetsCounts{.num_defined_memories = 1,
                                        .num_defined_globals = 1});
  alignas(16) unsigned char block[o.size()] = {};
  auto* header = reinterpret_cast<VMContextHeader*>(block);
  header->magic = kVMContextMagic;
  auto* mem = reinterpret_cast<VMMemoryDefinition*>(block + o.DefinedMemory(0));
  mem->length = 65536;
  uint64_t length;
  std::memcpy(&length, block + o.DefinedMemoryLength(0), 8);
  EXPECT_EQ(length, 65536u);
  EXPECT_EQ(o.DefinedGlobal(0), 64u);
}

TEST(BuiltinsTest, SignaturesComeFromTheTable) {
  const BuiltinSignature& grow = GetBuiltinSignature(BuiltinId::kMemoryGrow);
  EXPECT_EQ(grow.name, "MemoryGrow");
  EXPECT_EQ(grow.result, BuiltinType::kI32);
  ASSERT_EQ(grow.num_params, 3);
  EXPECT_EQ(grow.params[0], BuiltinType::kPtr);
  EXPECT_EQ(grow.params[1], BuiltinType::kI32);
  const BuiltinSignature& set = GetBuiltinSignature(BuiltinId::kTableSet);
  EXPECT_EQ(set.result, BuiltinType::kVoid);
  ASSERT_EQ(set.num_params, 4);
  EXPECT_EQ(set.params[3], BuiltinType::kPtr);
  for (uint32_t i = 0; i < kNumBuiltins; ++i) {
    const BuiltinSignature& s = GetBuiltinSignature(static_cast<BuiltinId>(i));
    EXPECT_GE(s.num_params, 1) << s.name;
    EXPECT_EQ(s.params[0], BuiltinType::kPtr) << s.name << ": vmctx first";
  }
}

}  // namespace
}  // namespace kiln::abi
