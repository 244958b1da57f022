// Implements every documented Interface hook with its exact signature and
// checks each is called for a body that uses every instruction family.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wasm/decoder.h"
#include "wasm/function_body_decoder.h"
#include "wasm/test_util.h"

namespace kiln::wasm {
namespace {

using namespace ::kiln::wasm::testing;  // NOLINT

struct Recorder {
  using Value = int;  // an id
  struct Control {
    int id = 0;
  };
  std::set<std::string> hooks;
  int next = 1;
  void H(const char* n) { hooks.insert(n); }
  void Def(Value* r) { *r = next++; }

  void StartFunction(const FuncType&, absl::Span<const ValType>, Control* c) {
    H("StartFunction");
    c->id = next++;
  }
  void FinishFunction(absl::Span<const Value>) { H("FinishFunction"); }
  template <class F>
  void Block(const BlockType&, absl::Span<Value>, F* f) {
    H("Block");
    f->payload.id = next++;
  }
  template <class F>
  void Loop(const BlockType&, absl::Span<Value> params, F*) {
    H("Loop");
    for (Value& v : params) v = next++;
  }
  template <class F>
  void If(const BlockType&, const Value& cond, absl::Span<Value>, F* f) {
    H("If");
    // A default Value stands in for the condition when unreachable.
    if (f->reachable) {
      EXPECT_NE(cond, 0);
    }
  }
  template <class F>
  void Else(F*, absl::Span<const Value>, absl::Span<Value> else_params) {
    H("Else");
    for (Value& v : else_params) v = next++;
  }
  template <class F>
  void End(F*, absl::Span<const Value>, absl::Span<Value> merged) {
    H("End");
    for (Value& v : merged) v = next++;
  }
  template <class F>
  void Br(uint32_t, F*, absl::Span<const Value>) { H("Br"); }
  template <class F>
  void BrIf(uint32_t, F*, const Value&, absl::Span<const Value>) {
    H("BrIf");
  }
  void BrTable(absl::Span<const uint32_t> depths, const Value&,
               absl::Span<const Value>) {
    H("BrTable");
    EXPECT_EQ(depths.size(), 2u);
  }
  void Return(absl::Span<const Value>) { H("Return"); }
  void Unreachable() { H("Unreachable"); }
  void Drop(const Value&) { H("Drop"); }
  void Select(ValType, const Value&, const Value&, const Value&, Value* r) {
    H("Select");
    Def(r);
  }
  void LocalGet(uint32_t, Value* r) { H("LocalGet"); Def(r); }
  void LocalSet(uint32_t, const Value&) { H("LocalSet"); }
  void LocalTee(uint32_t, const Value&, Value* r) { H("LocalTee"); Def(r); }
  void GlobalGet(uint32_t, Value* r) { H("GlobalGet"); Def(r); }
  void GlobalSet(uint32_t, const Value&) { H("GlobalSet"); }
  void I32Const(int32_t, Value* r) { H("I32Const"); Def(r); }
  void I64Const(int64_t, Value* r) { H("I64Const"); Def(r); }
  void F32Const(uint32_t, Value* r) { H("F32Const"); Def(r); }
  void F64Const(uint64_t, Value* r) { H("F64Const"); Def(r); }
  void V128Const(const uint8_t*, Value* r) { H("V128Const"); Def(r); }
  void NumericOp(Opcode, absl::Span<const Value> args, Value* r) {
    H("NumericOp");
    for (Value v : args) EXPECT_NE(v, 0);
    Def(r);
  }
  void SimdLaneOp(Opcode, uint8_t, absl::Span<const Value>, Value* r) {
    H("SimdLaneOp");
    Def(r);
  }
  void Shuffle(const uint8_t*, const Value&, const Value&, Value* r) {
    H("Shuffle");
    Def(r);
  }
  void Load(Opcode, const MemArg&, const Value&, Value* r) {
    H("Load");
    Def(r);
  }
  void Store(Opcode, const MemArg&, const Value&, const Value&) {
    H("Store");
  }
  void LoadLane(Opcode, const MemArg&, uint8_t, const Value&, const Value&,
                Value* r) {
    H("LoadLane");
    Def(r);
  }
  void StoreLane(Opcode, const MemArg&, uint8_t, const Value&, const Value&) {
    H("StoreLane");
  }
  void MemorySize(uint32_t, Value* r) { H("MemorySize"); Def(r); }
  void MemoryGrow(uint32_t, const Value&, Value* r) {
    H("MemoryGrow");
    Def(r);
  }
  void MemoryInit(uint32_t, uint32_t, const Value&, const Value&,
                  const Value&) {
    H("MemoryInit");
  }
  void DataDrop(uint32_t) { H("DataDrop"); }
  void MemoryCopy(uint32_t, uint32_t, const Value&, const Value&,
                  const Value&) {
    H("MemoryCopy");
  }
  void MemoryFill(uint32_t, const Value&, const Value&, const Value&) {
    H("MemoryFill");
  }
  void Atomic(Opcode, const MemArg&, absl::Span<const Value>, Value* r) {
    H("Atomic");
    Def(r);
  }
  void AtomicFence() { H("AtomicFence"); }
  void TableGet(uint32_t, const Value&, Value* r) { H("TableGet"); Def(r); }
  void TableSet(uint32_t, const Value&, const Value&) { H("TableSet"); }
  void TableSize(uint32_t, Value* r) { H("TableSize"); Def(r); }
  void TableGrow(uint32_t, const Value&, const Value&, Value* r) {
    H("TableGrow");
    Def(r);
  }
  void TableFill(uint32_t, const Value&, const Value&, const Value&) {
    H("TableFill");
  }
  void TableInit(uint32_t, uint32_t, const Value&, const Value&,
                 const Value&) {
    H("TableInit");
  }
  void ElemDrop(uint32_t) { H("ElemDrop"); }
  void TableCopy(uint32_t, uint32_t, const Value&, const Value&,
                 const Value&) {
    H("TableCopy");
  }
  void RefNull(ValType, Value* r) { H("RefNull"); Def(r); }
  void RefIsNull(const Value&, Value* r) { H("RefIsNull"); Def(r); }
  void RefFunc(uint32_t, Value* r) { H("RefFunc"); Def(r); }
  void Call(uint32_t, const FuncType&, absl::Span<const Value>,
            absl::Span<Value> results) {
    H("Call");
    for (Value& v : results) v = next++;
  }
  void CallIndirect(uint32_t, uint32_t, const FuncType&, const Value&,
                    absl::Span<const Value>, absl::Span<Value> results) {
    H("CallIndirect");
    for (Value& v : results) v = next++;
  }
  void ReturnCall(uint32_t, const FuncType&, absl::Span<const Value>) {
    H("ReturnCall");
  }
  void ReturnCallIndirect(uint32_t, uint32_t, const FuncType&, const Value&,
                          absl::Span<const Value>) {
    H("ReturnCallIndirect");
  }
};

TEST(InterfaceTest, EveryHookIsCalled) {
  constexpr uint8_t E = 0x0b;
  const Bytes i0 = {0x41, 0x00};  // i32.const 0
  Bytes v0 = {0xfd, 0x0c};         // v128.const 0
  v0.insert(v0.end(), 16, 0);
  Bytes code = Cat({
      // Blocks, branches.
      Bytes{0x02, 0x40}, i0, Bytes{0x0d, 0x00, E},            // block br_if
      Bytes{0x03, 0x40, 0x0c, 0x01, E},                        // loop br 1
      i0, Bytes{0x04, 0x40}, Bytes{0x05, E},                   // if else
      Bytes{0x02, 0x40}, i0, Bytes{0x0e, 0x01, 0x00, 0x00, E},  // br_table
      // Variables, parametric.
      Bytes{0x20, 0x00, 0x22, 0x00, 0x21, 0x00},              // local ops
      Bytes{0x23, 0x00, 0x24, 0x00},                           // global ops
      i0, i0, i0, Bytes{0x1b, 0x1a},                           // select drop
      Bytes{0x42, 0x00, 0x1a, 0x43, 0, 0, 0, 0, 0x1a, 0x44, 0, 0, 0, 0, 0, 0,
            0, 0, 0x1a},                                       // consts
      i0, i0, Bytes{0x6a, 0x1a},                               // i32.add
      // SIMD.
      v0, Bytes{0xfd, 0x1b, 0x00, 0x1a},                      // extract
      v0, v0, Bytes{0xfd, 0x0d}, Bytes(16, 0), Bytes{0x1a},    // shuffle
      // Memory.
      i0, Bytes{0x28, 0x02, 0x00, 0x1a},                       // load
      i0, i0, Bytes{0x36, 0x02, 0x00},                         // store
      i0, v0, Bytes{0xfd, 0x54, 0x00, 0x00, 0x00, 0x1a},       // load8_lane
      i0, v0, Bytes{0xfd, 0x58, 0x00, 0x00, 0x00},             // store8_lane
      Bytes{0x3f, 0x00, 0x40, 0x00, 0x1a},                     // size grow
      i0, i0, i0, Bytes{0xfc, 0x08, 0x00, 0x00},               // memory.init
      Bytes{0xfc, 0x09, 0x00},                                 // data.drop
      i0, i0, i0, Bytes{0xfc, 0x0a, 0x00, 0x00},               // memory.copy
      i0, i0, i0, Bytes{0xfc, 0x0b, 0x00},                     // memory.fill
      i0, i0, Bytes{0xfe, 0x1e, 0x02, 0x00, 0x1a},             // rmw.add
      Bytes{0xfe, 0x03, 0x00},                                 // atomic.fence
      // Tables and references.
      i0, Bytes{0x25, 0x00},                                   // table.get
      Bytes{0xd1, 0x1a},                                       // ref.is_null
      i0, Bytes{0xd0, 0x70, 0x26, 0x00},                       // table.set
      Bytes{0xfc, 0x10, 0x00, 0x1a},                           // table.size
      Bytes{0xd2, 0x00}, i0, Bytes{0xfc, 0x0f, 0x00, 0x1a},    // table.grow
      i0, Bytes{0xd0, 0x70}, i0, Bytes{0xfc, 0x11, 0x00},      // table.fill
      i0, i0, i0, Bytes{0xfc, 0x0c, 0x00, 0x00},               // table.init
      Bytes{0xfc, 0x0d, 0x00},                                 // elem.drop
      i0, i0, i0, Bytes{0xfc, 0x0e, 0x00, 0x00},               // table.copy
      // Calls.
      Bytes{0x10, 0x00},                                       // call
      i0, Bytes{0x11, 0x00, 0x00},                             // call_indirect
      Bytes{0x02, 0x40, 0x00, E},                              // unreachable
      Bytes{0x0f},                                             // return
      Bytes{E},
  });
  Bytes m = Cat({
      Header(),
      Section(1, Vec({FuncTypeBytes({}, {})})),
      Section(3, Vec({Leb(0)})),
      Section(4, Vec({Bytes{kFuncRef, 0x00, 0x01}})),
      Section(5, Vec({Bytes{0x00, 0x01}})),
      Section(6, Vec({Bytes{kI32, 0x01, 0x41, 0x00, E}})),
      Section(9, Vec({Bytes{0x01, 0x00, 0x01, 0x00}})),  // passive, func 0
      Section(12, Leb(1)),
      Section(10, Vec({Body({0x01, 0x01, kI32}, code)})),
      Section(11, Vec({Bytes{0x01, 0x01, 'x'}})),
  });
  auto mod = DecodeModule(m);
  ASSERT_TRUE(mod.ok()) << mod.status();
  Recorder r;
  FunctionBodyDecoder<Recorder> d(**mod, 0, &r);
  absl::Status s = d.Decode();
  ASSERT_TRUE(s.ok()) << s;
  const char* all[] = {
      "StartFunction", "FinishFunction", "Block", "Loop", "If", "Else", "End",
      "Br", "BrIf", "BrTable", "Return", "Unreachable", "Drop", "Select",
      "LocalGet", "LocalSet", "LocalTee", "GlobalGet", "GlobalSet",
      "I32Const", "I64Const", "F32Const", "F64Const", "V128Const",
      "NumericOp", "SimdLaneOp", "Shuffle", "Load", "Store", "LoadLane",
      "StoreLane", "MemorySize", "MemoryGrow", "MemoryInit", "DataDrop",
      "MemoryCopy", "MemoryFill", "Atomic", "AtomicFence", "TableGet", "TableSet", "TableSize",
      "TableGrow", "TableFill", "TableInit", "ElemDrop", "TableCopy",
      "RefNull", "RefIsNull", "RefFunc", "Call", "CallIndirect"};
  for (const char* h : all) EXPECT_TRUE(r.hooks.count(h)) << h;
}


// A block entered from unreachable code is unreachable too: no instruction
// hook may run there (a translator has no values for it). Found by the
// compile fuzzer: a store inside `unreachable if ... end` crashed the
// translator.
TEST(InterfaceTest, NoInstructionHooksInBlocksEnteredUnreachable) {
  constexpr uint8_t E = 0x0b;
  const Bytes i0 = {0x41, 0x00};  // i32.const 0
  Bytes code = Cat({
      Bytes{0x00},                        // unreachable
      Bytes{0x04, 0x40},                  // if
      i0, Bytes{0x20, 0x00},              //   i32.const 0, local.get 0
      Bytes{0x37, 0x03, 0x00},            //   i64.store
      i0, Bytes{0x28, 0x02, 0x00, 0x1a},  //   i32.load, drop
      Bytes{E},                           // end
      Bytes{E},
  });
  Bytes m = Cat({
      Header(),
      Section(1, Vec({FuncTypeBytes({}, {})})),
      Section(3, Vec({Leb(0)})),
      Section(5, Vec({Bytes{0x00, 0x01}})),
      Section(10, Vec({Body({0x01, 0x01, kI64}, code)})),
  });
  auto mod = DecodeModule(m);
  ASSERT_TRUE(mod.ok()) << mod.status();
  Recorder r;
  FunctionBodyDecoder<Recorder> d(**mod, 0, &r);
  absl::Status s = d.Decode();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(r.hooks.count("Unreachable"));
  for (const char* h : {"I32Const", "LocalGet", "Store", "Load", "Drop"}) {
    EXPECT_FALSE(r.hooks.count(h)) << h << " ran in unreachable code";
  }
}

}  // namespace
}  // namespace kiln::wasm
