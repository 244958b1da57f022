#include "runtime/vm/instance.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "runtime/abi/builtins.h"
#include "runtime/traps/entry.h"
#include "runtime/vm/builtins.h"

namespace kiln::runtime {
namespace {

using abi::BuiltinId;
using abi::TrapCode;
using wasm::ConstExpr;
using wasm::ValType;

// A module with one imported function, two defined functions, a memory,
// a funcref table, globals and element / data segments of every mode.
wasm::ModuleInfo MakeModule() {
  wasm::ModuleInfo m;
  const std::string bytes = "hixyz";
  m.bytes.assign(bytes.begin(), bytes.end());
  m.types.push_back(wasm::FuncType{{}, {ValType::kI32}});
  wasm::Import imp;
  imp.module = "env";
  imp.name = "f";
  m.imports.push_back(imp);
  m.functions.push_back({0, true, 0, 0, 0});
  m.functions.push_back({0, false, 0, 0, 0});
  m.functions.push_back({0, false, 0, 0, 0});
  m.num_imported_functions = 1;
  m.memories.push_back({wasm::MemoryType{{1, 2}}, false});
  m.tables.push_back({wasm::TableType{ValType::kFuncRef, {4, 8}}, false});
  wasm::Global g0;
  g0.type = {ValType::kI32, false};
  g0.init = ConstExpr::I32(-42);
  m.globals.push_back(g0);
  wasm::Global g1;
  g1.type = {ValType::kFuncRef, false};
  g1.init = ConstExpr::RefFunc(2);
  m.globals.push_back(g1);
  wasm::Global g2;  // global.get of an earlier global
  g2.type = {ValType::kI32, false};
  g2.init.kind = ConstExpr::Kind::kGlobalGet;
  g2.init.index = 0;
  m.globals.push_back(g2);

  wasm::ElemSegment active;
  active.mode = wasm::SegmentMode::kActive;
  active.offset = ConstExpr::I32(1);
  active.items = {ConstExpr::RefFunc(1), ConstExpr::RefFunc(2)};
  wasm::ElemSegment passive;
  passive.mode = wasm::SegmentMode::kPassive;
  passive.items = {ConstExpr::RefFunc(0), ConstExpr::RefNull(ValType::kFuncRef)};
  wasm::ElemSegment declarative;
  declarative.mode = wasm::SegmentMode::kDeclarative;
  declarative.items = {ConstExpr::RefFunc(1)};
  m.elem_segments = {active, passive, declarative};

  wasm::DataSegment d_active;
  d_active.mode = wasm::SegmentMode::kActive;
  d_active.offset = ConstExpr::I32(8);
  d_active.data_offset = 0;
  d_active.data_size = 2;
  wasm::DataSegment d_passive;
  d_passive.mode = wasm::SegmentMode::kPassive;
  d_passive.data_offset = 2;
  d_passive.data_size = 3;
  m.data_segments = {d_active, d_passive};
  return m;
}

int32_t FakeCode() { return 0; }

class InstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTrapHandling().ok());
    module_ = MakeModule();
    imports_ = {ImportedFunction{reinterpret_cast<const void*>(&FakeCode),
                                 &import_ctx_, 77}};
    code_ = {reinterpret_cast<const void*>(0x1000),
             reinterpret_cast<const void*>(0x2000)};
    InstanceConfig config;
    config.module = &module_;
    config.type_ids = type_ids_;
    config.function_code = code_;
    config.imported_functions = imports_;
    config.limits = &limits_;
    config.store = &store_;
    auto instance = Instance::Create(config);
    ASSERT_TRUE(instance.ok()) << instance.status();
    instance_ = *std::move(instance);
  }

  template <typename T>
  T Read(uint32_t offset) {
    T v;
    std::memcpy(&v, static_cast<uint8_t*>(instance_->vmctx()) + offset,
                sizeof(T));
    return v;
  }
  uintptr_t FuncRefAddr(uint32_t f) {
    return reinterpret_cast<uintptr_t>(instance_->func_ref(f));
  }

  wasm::ModuleInfo module_;
  std::vector<ImportedFunction> imports_;
  std::vector<const void*> code_;
  uint32_t type_ids_[1] = {5};
  int import_ctx_ = 0;
  int store_ = 0;
  abi::VMRuntimeLimits limits_;
  std::unique_ptr<Instance> instance_;
};

TEST_F(InstanceTest, VMContextLayout) {
  const abi::VMOffsets& o = instance_->offsets();
  void* vmctx = instance_->vmctx();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(vmctx) % 16, 0u);
  EXPECT_EQ(Read<uint32_t>(abi::VMOffsets::kMagic), abi::kVMContextMagic);
  EXPECT_EQ(Read<abi::VMRuntimeLimits*>(abi::VMOffsets::kRuntimeLimits), &limits_);
  EXPECT_EQ(Read<void*>(abi::VMOffsets::kStore), &store_);
  EXPECT_EQ(Read<const uint32_t*>(abi::VMOffsets::kTypeIds), type_ids_);
  EXPECT_EQ(Read<const void* const*>(abi::VMOffsets::kBuiltins), BuiltinTable());
  EXPECT_EQ(Instance::FromVMContext(vmctx), instance_.get());
  // Memory 0 at [vmctx + 48].
  EXPECT_EQ(o.DefinedMemoryBase(0), 48u);
  EXPECT_EQ(Read<uint8_t*>(48), instance_->memory(0)->base());
  EXPECT_EQ(Read<uint64_t>(o.DefinedMemoryLength(0)), 65536u);
  // Imported function.
  EXPECT_EQ(Read<const void*>(o.ImportedFunctionCode(0)),
            reinterpret_cast<const void*>(&FakeCode));
  EXPECT_EQ(Read<void*>(o.ImportedFunctionVmctx(0)), &import_ctx_);
  // Funcrefs.
  EXPECT_EQ(instance_->func_ref(0)->type_id, 77u);
  EXPECT_EQ(instance_->func_ref(0)->vmctx, &import_ctx_);
  EXPECT_EQ(instance_->func_ref(2)->code, reinterpret_cast<const void*>(0x2000));
  EXPECT_EQ(instance_->func_ref(2)->vmctx, vmctx);
  EXPECT_EQ(instance_->func_ref(2)->type_id, 5u);
  // Globals.
  EXPECT_EQ(Read<int32_t>(o.DefinedGlobal(0)), -42);
  EXPECT_EQ(Read<uintptr_t>(o.DefinedGlobal(1)), FuncRefAddr(2));
  EXPECT_EQ(Read<int32_t>(o.DefinedGlobal(2)), -42);
  // Table definition.
  EXPECT_EQ(Read<uint64_t>(o.DefinedTableSize(0)), 4u);
  EXPECT_EQ(Read<void**>(o.DefinedTableBase(0)),
            instance_->table(0)->definition().base);
}

TEST_F(InstanceTest, InitializeAppliesActiveSegments) {
  ASSERT_EQ(instance_->Initialize(), std::nullopt);
  const abi::VMOffsets& o = instance_->offsets();
  Table* table = instance_->table(0);
  EXPECT_EQ(table->raw_slot(0), abi::kFuncRefInitBit);
  EXPECT_EQ(table->raw_slot(1), FuncRefAddr(1) | abi::kFuncRefInitBit);
  EXPECT_EQ(table->raw_slot(2), FuncRefAddr(2) | abi::kFuncRefInitBit);
  EXPECT_EQ(std::memcmp(instance_->memory(0)->base() + 8, "hi", 2), 0);
  // Active and declarative segments are dropped, passive ones are not.
  EXPECT_EQ(Read<uint8_t>(o.ElemDropped(0)), 1);
  EXPECT_EQ(Read<uint8_t>(o.ElemDropped(1)), 0);
  EXPECT_EQ(Read<uint8_t>(o.ElemDropped(2)), 1);
  EXPECT_EQ(Read<uint8_t>(o.DataDropped(0)), 1);
  EXPECT_EQ(Read<uint8_t>(o.DataDropped(1)), 0);
}

TEST_F(InstanceTest, OutOfBoundsActiveSegmentTraps) {
  module_.data_segments[0].offset = ConstExpr::I32(65535);
  EXPECT_EQ(instance_->Initialize(), TrapCode::kMemoryOutOfBounds);
  // The element segment before it was applied.
  EXPECT_EQ(instance_->table(0)->raw_slot(1),
            FuncRefAddr(1) | abi::kFuncRefInitBit);
  module_.elem_segments[0].offset = ConstExpr::I32(3);
  EXPECT_EQ(instance_->Initialize(), TrapCode::kTableOutOfBounds);
}

TEST_F(InstanceTest, BulkMemoryAndTableOperations) {
  ASSERT_EQ(instance_->Initialize(), std::nullopt);
  uint8_t* mem = instance_->memory(0)->base();
  EXPECT_EQ(instance_->MemoryInit(0, 1, 100, 0, 3), std::nullopt);
  EXPECT_EQ(std::memcmp(mem + 100, "xyz", 3), 0);
  EXPECT_EQ(instance_->MemoryInit(0, 1, 100, 1, 3), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(instance_->MemoryInit(0, 1, 65534, 0, 3), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(instance_->MemoryInit(0, 0, 0, 0, 0), std::nullopt);  // dropped, len 0
  EXPECT_EQ(instance_->MemoryInit(0, 0, 0, 0, 1), TrapCode::kMemoryOutOfBounds);
  instance_->DataDrop(1);
  EXPECT_EQ(instance_->MemoryInit(0, 1, 0, 0, 1), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(instance_->MemoryCopy(0, 0, 101, 100, 3), std::nullopt);
  EXPECT_EQ(std::memcmp(mem + 100, "xxyz", 4), 0);
  EXPECT_EQ(instance_->MemoryCopy(0, 0, 65535, 0, 2), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(instance_->MemoryFill(0, 200, 0xab, 4), std::nullopt);
  EXPECT_EQ(mem[203], 0xab);
  EXPECT_EQ(instance_->MemoryFill(0, 65536, 0, 0), std::nullopt);
  EXPECT_EQ(instance_->MemoryFill(0, 65536, 0, 1), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(instance_->MemoryGrow(0, 1), 1);
  EXPECT_EQ(instance_->MemoryGrow(0, 1), -1);
  EXPECT_EQ(Read<uint64_t>(instance_->offsets().DefinedMemoryLength(0)),
            2u * 65536);

  EXPECT_EQ(instance_->TableInit(0, 1, 2, 0, 2), std::nullopt);
  void* v = nullptr;
  EXPECT_EQ(instance_->TableGet(0, 2, &v), std::nullopt);
  EXPECT_EQ(v, instance_->func_ref(0));
  EXPECT_EQ(instance_->TableGet(0, 3, &v), std::nullopt);
  EXPECT_EQ(v, nullptr);
  EXPECT_EQ(instance_->TableGet(0, 4, &v), TrapCode::kTableOutOfBounds);
  EXPECT_EQ(instance_->TableInit(0, 0, 0, 0, 1), TrapCode::kTableOutOfBounds);
  instance_->ElemDrop(1);
  EXPECT_EQ(instance_->TableInit(0, 1, 0, 0, 1), TrapCode::kTableOutOfBounds);
  EXPECT_EQ(instance_->TableGrow(0, 2, instance_->func_ref(1)), 4);
  EXPECT_EQ(Read<uint64_t>(instance_->offsets().DefinedTableSize(0)), 6u);
  EXPECT_EQ(instance_->TableGrow(0, 3, nullptr), -1);
  EXPECT_EQ(instance_->TableCopy(0, 0, 0, 4, 2), std::nullopt);
  EXPECT_EQ(instance_->TableGet(0, 0, &v), std::nullopt);
  EXPECT_EQ(v, instance_->func_ref(1));
  EXPECT_EQ(instance_->TableFill(0, 5, nullptr, 2), TrapCode::kTableOutOfBounds);
}

// Builtins through the table, entered as wasm would call them.
TEST_F(InstanceTest, BuiltinsRaiseTrapsThroughEnterWasm) {
  ASSERT_EQ(instance_->Initialize(), std::nullopt);
  const void* const* table = BuiltinTable();
  void* vmctx = instance_->vmctx();
  auto table_get = reinterpret_cast<void* (*)(void*, uint32_t, uint32_t)>(
      const_cast<void*>(table[static_cast<int>(BuiltinId::kTableGet)]));
  void* v = nullptr;
  EXPECT_FALSE(CallWasm(table_get, &v, &limits_, vmctx, 0u, 1u).has_value());
  EXPECT_EQ(v, instance_->func_ref(1));
  std::optional<Trap> trap = CallWasm(table_get, &v, &limits_, vmctx, 0u, 9u);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kTableOutOfBounds);

  auto grow = reinterpret_cast<uint32_t (*)(void*, uint32_t, uint32_t)>(
      const_cast<void*>(table[static_cast<int>(BuiltinId::kMemoryGrow)]));
  uint32_t old = 0;
  EXPECT_FALSE(CallWasm(grow, &old, &limits_, vmctx, 0u, 1u).has_value());
  EXPECT_EQ(old, 1u);
  EXPECT_FALSE(CallWasm(grow, &old, &limits_, vmctx, 0u, 1u).has_value());
  EXPECT_EQ(old, 0xffffffffu);

  auto ref_func = reinterpret_cast<void* (*)(void*, uint32_t)>(
      const_cast<void*>(table[static_cast<int>(BuiltinId::kRefFunc)]));
  EXPECT_FALSE(CallWasm(ref_func, &v, &limits_, vmctx, 2u).has_value());
  EXPECT_EQ(v, instance_->func_ref(2));

  auto raise = reinterpret_cast<void (*)(void*, uint32_t)>(
      const_cast<void*>(table[static_cast<int>(BuiltinId::kRaiseTrap)]));
  trap = CallWasmVoid(raise, &limits_, vmctx,
                      static_cast<uint32_t>(TrapCode::kBadSignature));
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kBadSignature);
}

TEST(InstanceImageTest, ImageGivesSameMemoryAsSegments) {
  ASSERT_TRUE(InitTrapHandling().ok());
  wasm::ModuleInfo module = MakeModule();
  auto image = MemoryImageOfModule(module);
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_NE(*image, nullptr);
  std::vector<ImportedFunction> imports = {
      ImportedFunction{reinterpret_cast<const void*>(&FakeCode), nullptr, 1}};
  std::vector<const void*> code = {nullptr, nullptr};
  uint32_t type_ids[1] = {1};
  abi::VMRuntimeLimits limits;
  InstanceConfig config;
  config.module = &module;
  config.type_ids = type_ids;
  config.function_code = code;
  config.imported_functions = imports;
  config.limits = &limits;
  const MemoryImage* images[] = {image->get()};
  config.memory_images = images;
  for (int i = 0; i < 3; ++i) {
    auto instance = Instance::Create(config);
    ASSERT_TRUE(instance.ok()) << instance.status();
    ASSERT_EQ((*instance)->Initialize(), std::nullopt);
    uint8_t* mem = (*instance)->memory(0)->base();
    EXPECT_EQ(std::memcmp(mem + 8, "hi", 2), 0);
    EXPECT_EQ(mem[10], 0);
    mem[8] = 'H';  // copy-on-write: the next instance still sees "hi"
    EXPECT_EQ(*(static_cast<uint8_t*>((*instance)->vmctx()) +
                (*instance)->offsets().DataDropped(0)),
              1);
  }
  // A segment that would trap disqualifies the module.
  module.data_segments[0].offset = ConstExpr::I32(65535);
  auto none = MemoryImageOfModule(module);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

TEST(InstanceImageTest, LazyTablesResolveFromTheImage) {
  ASSERT_TRUE(InitTrapHandling().ok());
  wasm::ModuleInfo module = MakeModule();
  std::unique_ptr<TableImages> images = TableImagesForModule(module);
  ASSERT_NE(images, nullptr);
  ASSERT_EQ(images->tables.size(), 1u);
  EXPECT_EQ(images->tables[0], (std::vector<uint32_t>{0, 2, 3}));
  std::vector<ImportedFunction> imports = {
      ImportedFunction{reinterpret_cast<const void*>(&FakeCode), &imports, 1}};
  std::vector<const void*> code = {reinterpret_cast<const void*>(0x10),
                                   reinterpret_cast<const void*>(0x20)};
  uint32_t type_ids[1] = {1};
  abi::VMRuntimeLimits limits;
  InstanceConfig config;
  config.module = &module;
  config.type_ids = type_ids;
  config.function_code = code;
  config.imported_functions = imports;
  config.limits = &limits;
  config.table_images = images.get();
  auto created = Instance::Create(config);
  ASSERT_TRUE(created.ok()) << created.status();
  Instance& instance = **created;
  ASSERT_EQ(instance.Initialize(), std::nullopt);
  Table* table = instance.table(0);
  EXPECT_TRUE(table->lazy());
  for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(table->raw_slot(i), 0u) << i;
  EXPECT_EQ(*(static_cast<uint8_t*>(instance.vmctx()) +
              instance.offsets().ElemDropped(0)),
            1);

  // Compiled code's path: a slot without the init bit -> TableGetLazyInit.
  auto lazy_init = reinterpret_cast<void* (*)(void*, uint32_t, uint32_t)>(
      const_cast<void*>(
          BuiltinTable()[static_cast<int>(BuiltinId::kTableGetLazyInit)]));
  void* v = nullptr;
  ASSERT_FALSE(
      CallWasm(lazy_init, &v, &limits, instance.vmctx(), 0u, 1u).has_value());
  EXPECT_EQ(v, instance.func_ref(1));
  EXPECT_EQ(table->raw_slot(1),
            reinterpret_cast<uintptr_t>(instance.func_ref(1)) |
                abi::kFuncRefInitBit);
  auto trap = CallWasm(lazy_init, &v, &limits, instance.vmctx(), 0u, 4u);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kTableOutOfBounds);

  // Runtime reads resolve too; same results as the eager path.
  EXPECT_EQ(instance.TableGet(0, 2, &v), std::nullopt);
  EXPECT_EQ(v, instance.func_ref(2));
  EXPECT_EQ(instance.TableGet(0, 0, &v), std::nullopt);
  EXPECT_EQ(v, nullptr);
  EXPECT_EQ(instance.TableGet(0, 3, &v), std::nullopt);
  EXPECT_EQ(v, nullptr);
  // table.copy materialises its source; passive table.init still works.
  EXPECT_EQ(instance.TableCopy(0, 0, 2, 1, 2), std::nullopt);  // [n,1,1,2]
  EXPECT_EQ(instance.TableGet(0, 3, &v), std::nullopt);
  EXPECT_EQ(v, instance.func_ref(2));
  EXPECT_EQ(instance.TableInit(0, 1, 0, 0, 1), std::nullopt);
  EXPECT_EQ(instance.TableGet(0, 0, &v), std::nullopt);
  EXPECT_EQ(v, instance.func_ref(0));

  // Not eligible: an item that reads a global; an offset past the minimum.
  wasm::ModuleInfo with_global = MakeModule();
  with_global.elem_segments[0].items[0].kind = ConstExpr::Kind::kGlobalGet;
  EXPECT_EQ(TableImagesForModule(with_global), nullptr);
  wasm::ModuleInfo too_far = MakeModule();
  too_far.elem_segments[0].offset = ConstExpr::I32(3);
  EXPECT_EQ(TableImagesForModule(too_far), nullptr);
}

TEST(InstanceCreateTest, FuncRefsAreFilledOnFirstUse) {
  wasm::ModuleInfo module;
  module.types.push_back(wasm::FuncType{});
  module.types.push_back(wasm::FuncType{{ValType::kI32}, {}});
  const uint32_t n = 100000;
  std::vector<const void*> code(n);
  for (uint32_t i = 0; i < n; ++i) {
    module.functions.push_back({i % 2, false, 0, 0, 0});
    code[i] = reinterpret_cast<const void*>(uintptr_t{0x1000} + 16 * i);
  }
  uint32_t type_ids[2] = {10, 11};
  abi::VMRuntimeLimits limits;
  InstanceConfig config;
  config.module = &module;
  config.type_ids = type_ids;
  config.function_code = code;
  config.limits = &limits;
  auto instance = Instance::Create(config);
  ASSERT_TRUE(instance.ok()) << instance.status();
  EXPECT_GE((*instance)->offsets().size(), n * 24);
  abi::VMFuncRef* ref = (*instance)->func_ref(n - 1);
  EXPECT_EQ(ref->code, code[n - 1]);
  EXPECT_EQ(ref->type_id, 11u);
  EXPECT_EQ(ref->vmctx, (*instance)->vmctx());
  EXPECT_EQ((*instance)->func_ref(n - 1), ref);  // stable identity
  EXPECT_EQ((*instance)->func_ref(4)->type_id, 10u);
}

TEST(InstanceCreateTest, ChecksConfigCounts) {
  wasm::ModuleInfo module = MakeModule();
  abi::VMRuntimeLimits limits;
  InstanceConfig config;
  config.module = &module;
  config.limits = &limits;
  auto instance = Instance::Create(config);
  ASSERT_FALSE(instance.ok());
  EXPECT_NE(instance.status().message().find("Instance::Create"),
            std::string::npos);
}

}  // namespace
}  // namespace kiln::runtime
