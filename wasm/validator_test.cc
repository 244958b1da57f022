#include "wasm/validator.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wasm/decoder.h"
#include "wasm/function_body_decoder.h"
#include "wasm/test_util.h"

namespace kiln::wasm {
namespace {

using ::testing::HasSubstr;
using namespace ::kiln::wasm::testing;  // NOLINT

// The rules of WebAssembly 2.0: proposals off (features_validation_test
// has them; with multi-memory, memory.size's zero byte is a memory index).
std::string Check(const OneFunc& f) {
  DecodeOptions wasm2;
  wasm2.features = Features::None();
  auto m = DecodeModule(f.Build(), wasm2);
  if (m.ok()) return "ok";
  return std::string(m.status().message());
}

struct Case {
  const char* name;
  OneFunc f;
  const char* expect;  // "ok" or a substring of the error.
};

OneFunc F(Bytes params, Bytes results, Bytes code) {
  OneFunc f;
  f.params = std::move(params);
  f.results = std::move(results);
  f.code = std::move(code);
  return f;
}
OneFunc WithMem(OneFunc f) {
  f.memory = true;
  return f;
}
OneFunc WithTable(OneFunc f) {
  f.table = true;
  return f;
}
OneFunc WithLocals(OneFunc f, Bytes locals) {
  f.locals = std::move(locals);
  return f;
}

constexpr uint8_t kEnd = 0x0b;

class ValidatorTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidatorTest, Validates) {
  const Case& c = GetParam();
  std::string got = Check(c.f);
  if (std::string(c.expect) == "ok") {
    EXPECT_EQ(got, "ok") << c.name;
  } else {
    EXPECT_THAT(got, HasSubstr(c.expect)) << c.name;
    EXPECT_THAT(got, ::testing::StartsWith("at byte 0x")) << c.name;
  }
}

const Case kCases[] = {
    // Basic typing.
    {"const_result", F({}, {kI32}, {0x41, 0x01, kEnd}), "ok"},
    {"wrong_result", F({}, {kI32}, {0x43, 0, 0, 0, 0, kEnd}),
     "type mismatch: expected i32, got f32"},
    {"missing_result", F({}, {kI32}, {kEnd}),
     "type mismatch: expected i32, got nothing"},
    {"extra_value", F({}, {}, {0x41, 0x01, kEnd}), "type mismatch"},
    {"add_params", F({kI32, kI32}, {kI32}, {0x20, 0, 0x20, 1, 0x6a, kEnd}),
     "ok"},
    {"add_mixed", F({kI32, kI64}, {kI32}, {0x20, 0, 0x20, 1, 0x6a, kEnd}),
     "type mismatch"},
    {"conversion", F({kF64}, {kI64}, {0x20, 0, 0xb0, kEnd}), "ok"},
    {"trunc_sat", F({kF32}, {kI32}, {0x20, 0, 0xfc, 0x00, kEnd}), "ok"},
    {"sign_ext", F({kI64}, {kI64}, {0x20, 0, 0xc4, kEnd}), "ok"},
    {"illegal_opcode", F({}, {}, {0xff, kEnd}), "illegal opcode"},
    {"illegal_prefixed", F({}, {}, {0xfc, 0x7f, kEnd}), "illegal opcode"},
    {"missing_end", F({}, {}, {0x01}), "END opcode expected"},
    {"junk_after_end", F({}, {}, {kEnd, 0x01}), "after end of function"},
    // Locals.
    {"local_get", WithLocals(F({}, {kI64}, {0x20, 0, kEnd}), {1, 1, kI64}),
     "ok"},
    {"unknown_local", F({}, {}, {0x20, 0, 0x1a, kEnd}), "unknown local 0"},
    {"local_set_type", F({kI32}, {}, {0x42, 0, 0x21, 0, kEnd}),
     "type mismatch"},
    {"local_tee", F({kI32}, {kI32}, {0x41, 1, 0x22, 0, kEnd}), "ok"},
    // Unreachable code and the polymorphic stack.
    {"unreachable_poly", F({}, {kI32}, {0x00, 0x6a, kEnd}), "ok"},
    {"unreachable_typed", F({}, {kI32}, {0x00, 0x42, 0, 0x6a, kEnd}),
     "type mismatch"},
    {"unreachable_block_not_poly",
     F({}, {}, {0x00, 0x02, 0x40, 0x6a, 0x1a, kEnd, kEnd}), "type mismatch"},
    {"br_then_anything", F({}, {kI32}, {0x41, 1, 0x0c, 0, 0x6a, kEnd}), "ok"},
    {"br_needs_values", F({}, {kI32}, {0x0c, 0, kEnd}),
     "type mismatch: expected i32, got nothing"},
    {"return_poly", F({}, {kI64}, {0x42, 0, 0x0f, 0x6a, kEnd}),
     "type mismatch"},
    {"select_bottom", F({}, {kI32}, {0x00, 0x1b, kEnd}), "ok"},
    // Blocks.
    {"block_result", F({}, {kI32}, {0x02, kI32, 0x41, 1, kEnd, kEnd}), "ok"},
    {"block_missing", F({}, {kI32}, {0x02, kI32, kEnd, kEnd}),
     "type mismatch"},
    {"block_cannot_see_outside",
     F({}, {kI32}, {0x41, 1, 0x02, kI32, 0x1a, 0x41, 1, kEnd, kEnd}),
     "type mismatch"},
    {"if_no_else_result", F({}, {kI32}, {0x41, 1, 0x04, kI32, 0x41, 1, kEnd,
                                         kEnd}),
     "type mismatch"},
    {"if_else", F({}, {kI32}, {0x41, 1, 0x04, kI32, 0x41, 1, 0x05, 0x41, 2,
                               kEnd, kEnd}),
     "ok"},
    {"if_cond_type", F({}, {}, {0x42, 1, 0x04, 0x40, kEnd, kEnd}),
     "type mismatch"},
    {"else_without_if", F({}, {}, {0x05, kEnd}), "else"},
    {"br_to_loop_has_no_values",
     F({}, {}, {0x03, kI32, 0x0c, 0, kEnd, 0x1a, kEnd}), "ok"},
    {"br_value", F({}, {kI32}, {0x02, kI32, 0x41, 1, 0x0c, 0, kEnd, kEnd}),
     "ok"},
    {"br_value_type", F({}, {kI32}, {0x02, kI32, 0x42, 1, 0x0c, 0, kEnd,
                                     kEnd}),
     "type mismatch"},
    {"unknown_label", F({}, {}, {0x0c, 1, kEnd}), "unknown label"},
    {"br_if", F({}, {kI32}, {0x02, kI32, 0x41, 1, 0x41, 0, 0x0d, 0, kEnd,
                             kEnd}),
     "ok"},
    {"block_type_index_unknown", F({}, {}, {0x02, 0x05, kEnd, kEnd}),
     "unknown type"},
    // br_table.
    {"br_table", F({}, {}, {0x02, 0x40, 0x41, 0, 0x0e, 1, 0, 1, kEnd, kEnd}),
     "ok"},
    {"br_table_arity", F({}, {kI32}, {0x02, 0x40, 0x41, 1, 0x41, 0, 0x0e, 1,
                                      0, 1, kEnd, 0x41, 1, kEnd}),
     "type mismatch"},
    {"br_table_unknown_label", F({}, {}, {0x41, 0, 0x0e, 0, 5, kEnd}),
     "unknown label"},
    // Calls.
    {"call_self", F({kI32}, {kI32}, {0x20, 0, 0x10, 0, kEnd}), "ok"},
    {"call_unknown", F({}, {}, {0x10, 7, kEnd}), "unknown function 7"},
    {"call_indirect", WithTable(F({}, {}, {0x41, 0, 0x11, 0, 0, kEnd})), "ok"},
    {"call_indirect_no_table", F({}, {}, {0x41, 0, 0x11, 0, 0, kEnd}),
     "unknown table 0"},
    {"call_indirect_unknown_type",
     WithTable(F({}, {}, {0x41, 0, 0x11, 3, 0, kEnd})), "unknown type 3"},
    // Memory.
    {"load", WithMem(F({}, {kI32}, {0x41, 0, 0x28, 2, 0, kEnd})), "ok"},
    {"load_no_memory", F({}, {kI32}, {0x41, 0, 0x28, 2, 0, kEnd}),
     "unknown memory 0"},
    {"load_align", WithMem(F({}, {kI32}, {0x41, 0, 0x28, 3, 0, kEnd})),
     "alignment must not be larger than natural"},
    {"load8_align", WithMem(F({}, {kI32}, {0x41, 0, 0x2c, 1, 0, kEnd})),
     "alignment must not be larger than natural"},
    {"store", WithMem(F({}, {}, {0x41, 0, 0x42, 0, 0x37, 3, 0, kEnd})), "ok"},
    {"store_type", WithMem(F({}, {}, {0x41, 0, 0x41, 0, 0x37, 3, 0, kEnd})),
     "type mismatch"},
    {"memory_grow", WithMem(F({}, {kI32}, {0x41, 1, 0x40, 0, kEnd})), "ok"},
    {"memory_size_zero_byte", WithMem(F({}, {kI32}, {0x3f, 1, kEnd})),
     "zero byte expected"},
    {"memory_fill", WithMem(F({}, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0b,
                                       0, kEnd})),
     "ok"},
    {"memory_copy", WithMem(F({}, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0a,
                                       0, 0, kEnd})),
     "ok"},
    // SIMD.
    {"v128_const_add",
     F({kV128}, {kV128}, {0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                     0, 0x20, 0, 0xfd, 0xae, 0x01, kEnd}),
     "ok"},
    {"extract_lane", F({kV128}, {kI32}, {0x20, 0, 0xfd, 0x1b, 3, kEnd}), "ok"},
    {"extract_lane_invalid", F({kV128}, {kI32}, {0x20, 0, 0xfd, 0x1b, 4,
                                                 kEnd}),
     "invalid lane index"},
    {"shuffle_invalid",
     F({kV128}, {kV128}, {0x20, 0, 0x20, 0, 0xfd, 0x0d, 0, 1, 2, 3, 4, 5, 6,
                          7, 8, 9, 10, 11, 12, 13, 14, 32, kEnd}),
     "invalid lane index"},
    {"load_lane", WithMem(F({kV128}, {kV128}, {0x41, 0, 0x20, 0, 0xfd, 0x56,
                                               2, 0, 3, kEnd})),
     "ok"},
    {"load_lane_invalid", WithMem(F({kV128}, {kV128}, {0x41, 0, 0x20, 0, 0xfd,
                                                       0x56, 2, 0, 4, kEnd})),
     "invalid lane index"},
    {"v128_load_align", WithMem(F({}, {kV128}, {0x41, 0, 0xfd, 0x00, 5, 0,
                                                kEnd})),
     "alignment must not be larger than natural"},
    {"shift", F({kV128}, {kV128}, {0x20, 0, 0x41, 1, 0xfd, 0x6b, kEnd}), "ok"},
    // References and select.
    {"ref_null_is_null", F({}, {kI32}, {0xd0, kExternRef, 0xd1, kEnd}), "ok"},
    {"ref_is_null_num", F({}, {kI32}, {0x41, 0, 0xd1, kEnd}), "type mismatch"},
    {"ref_null_bad_type", F({}, {}, {0xd0, kI32, 0x1a, kEnd}),
     "malformed reference type"},
    {"ref_func_undeclared", F({}, {}, {0xd2, 0, 0x1a, kEnd}),
     "undeclared function reference"},
    {"select_refs_untyped", F({}, {}, {0xd0, kFuncRef, 0xd0, kFuncRef, 0x41, 0,
                                       0x1b, 0x1a, kEnd}),
     "type mismatch"},
    {"select_typed", F({}, {kFuncRef}, {0xd0, kFuncRef, 0xd0, kFuncRef, 0x41,
                                        0, 0x1c, 1, kFuncRef, kEnd}),
     "ok"},
    {"select_typed_arity", F({}, {}, {0x41, 0, 0x41, 0, 0x41, 0, 0x1c, 2,
                                      kI32, kI32, 0x1a, kEnd}),
     "invalid result arity"},
    {"select_mismatch", F({}, {kI32}, {0x41, 0, 0x42, 0, 0x41, 0, 0x1b, kEnd}),
     "type mismatch"},
    {"table_get", WithTable(F({}, {kFuncRef}, {0x41, 0, 0x25, 0, kEnd})),
     "ok"},
    {"table_get_unknown", F({}, {kFuncRef}, {0x41, 0, 0x25, 0, kEnd}),
     "unknown table 0"},
    {"table_size_grow", WithTable(F({}, {kI32}, {0xd0, kFuncRef, 0x41, 1, 0xfc,
                                                 0x0f, 0, kEnd})),
     "ok"},
    // Globals.
    {"global_unknown", F({}, {kI32}, {0x23, 0, kEnd}), "unknown global 0"},
    // Bulk memory with segments.
    {"data_drop_without_count", WithMem(F({}, {}, {0xfc, 0x09, 0, kEnd})),
     "unknown data segment 0"},
    {"elem_drop_unknown", F({}, {}, {0xfc, 0x0d, 0, kEnd}),
     "unknown elem segment 0"},
};

INSTANTIATE_TEST_SUITE_P(Rules, ValidatorTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.name);
                         });

TEST(ValidatorExtraTest, DataCountRequiredAndSegmentIndex) {
  OneFunc f = WithMem(F({}, {}, {0xfc, 0x09, 0, kEnd}));
  f.data_count = true;
  EXPECT_EQ(Check(f), "ok");
  f.code = {0xfc, 0x09, 1, kEnd};
  EXPECT_THAT(Check(f), HasSubstr("unknown data segment 1"));
  f.code = {0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0, 0, kEnd};
  EXPECT_EQ(Check(f), "ok");
  // A data segment but no data count section: the binary is malformed.
  Bytes m = Cat({Header(), Section(1, Vec({FuncTypeBytes({}, {})})),
                 Section(3, Vec({Leb(0)})),
                 Section(5, Vec({Bytes{0x00, 0x01}})),
                 Section(10, Vec({Body({0}, {0xfc, 0x09, 0, kEnd})})),
                 Section(11, Vec({Bytes{0x01, 0x01, 'x'}}))});
  auto r = DecodeModule(m);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("data count section required"));
}

TEST(ValidatorExtraTest, DeclaredFunctionReference) {
  OneFunc f = F({}, {}, {0xd2, 0, 0x1a, kEnd});
  f.declare_func0 = true;
  f.table = true;
  EXPECT_EQ(Check(f), "ok");
}

TEST(ValidatorExtraTest, MultiValueBlockTypes) {
  // Type 0: [] -> [], type 1: [i32 i64] -> [i64 i32].
  Bytes m = Cat({Header(),
                 Section(1, Vec({FuncTypeBytes({}, {kI64, kI32}),
                                 FuncTypeBytes({kI32, kI64}, {kI64, kI32})})),
                 Section(3, Vec({Leb(0)})),
                 Section(10, Vec({Body({0}, {0x41, 1, 0x42, 2,
                                             // block (type 1): swap
                                             0x02, 0x01, 0x21, 0, 0x21, 1,
                                             0x20, 0, 0x20, 1, kEnd, kEnd})}))});
  // The body uses locals 0 and 1 which do not exist: expect unknown local.
  auto r = DecodeModule(m);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("unknown local"));
  Bytes m2 = Cat({Header(),
                  Section(1, Vec({FuncTypeBytes({}, {kI64, kI32}),
                                  FuncTypeBytes({kI32, kI64}, {kI64, kI32})})),
                  Section(3, Vec({Leb(0)})),
                  Section(10, Vec({Body({0x02, 0x01, kI64, 0x01, kI32},
                                        {0x41, 1, 0x42, 2,
                                         0x02, 0x01, 0x21, 0, 0x21, 1,
                                         0x20, 0, 0x20, 1, kEnd, kEnd})}))});
  auto r2 = DecodeModule(m2);
  EXPECT_TRUE(r2.ok()) << r2.status();
  // Loop with params: br to the loop must supply the params.
  Bytes m3 = Cat({Header(),
                  Section(1, Vec({FuncTypeBytes({}, {}),
                                  FuncTypeBytes({kI32}, {})})),
                  Section(3, Vec({Leb(0)})),
                  Section(10, Vec({Body({0}, {0x41, 1, 0x03, 0x01, 0x0c, 0,
                                              kEnd, kEnd})}))});
  auto r3 = DecodeModule(m3);
  EXPECT_TRUE(r3.ok()) << r3.status();
  Bytes m4 = Cat({Header(),
                  Section(1, Vec({FuncTypeBytes({}, {}),
                                  FuncTypeBytes({kI32}, {})})),
                  Section(3, Vec({Leb(0)})),
                  Section(10, Vec({Body({0}, {0x41, 1, 0x03, 0x01, 0x1a, 0x0c,
                                              0, kEnd, kEnd})}))});
  auto r4 = DecodeModule(m4);
  ASSERT_FALSE(r4.ok());
  EXPECT_THAT(r4.status().message(), HasSubstr("type mismatch"));
}

TEST(ValidatorExtraTest, ReusedDecoderAcrossFunctions) {
  // Three functions of different types; the decoder is reused (Reset) for
  // each, so state from one must not leak into the next.
  Bytes types = Section(1, Vec({FuncTypeBytes({kI32}, {kI32}),
                                FuncTypeBytes({}, {kI64, kI64}),
                                FuncTypeBytes({}, {})}));
  Bytes funcs = Section(3, Vec({Leb(0), Leb(1), Leb(2)}));
  Bytes f0 = Body({0x01, 0x03, kF32}, {0x20, 0, 0x02, 0x40, kEnd, kEnd});
  Bytes f1 = Body({0}, {0x42, 1, 0x42, 2, kEnd});
  Bytes ok2 = Body({0}, {kEnd});
  Bytes bad2 = Body({0}, {0x20, 0, 0x1a, kEnd});  // no locals in f2
  auto good = DecodeModule(Cat({Header(), types, funcs,
                                Section(10, Vec({f0, f1, ok2}))}));
  EXPECT_TRUE(good.ok()) << good.status();
  auto bad = DecodeModule(Cat({Header(), types, funcs,
                               Section(10, Vec({f0, f1, bad2}))}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown local 0"));
}

TEST(ValidatorExtraTest, GlobalImmutable) {
  Bytes m = Cat({Header(), Section(1, Vec({FuncTypeBytes({}, {})})),
                 Section(3, Vec({Leb(0)})),
                 Section(6, Vec({Bytes{kI32, 0x00, 0x41, 0x00, kEnd}})),
                 Section(10, Vec({Body({0}, {0x41, 1, 0x24, 0, kEnd})}))});
  auto r = DecodeModule(m);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("global is immutable"));
}

// ---------------------------------------------------------------------------
// A non-trivial interface: evaluates straight-line i32 code during the
// decoding walk, to check that hooks see validated operands in order.
// ---------------------------------------------------------------------------

struct EvalInterface : BaseInterface<int64_t> {
  std::vector<int64_t> args;
  std::vector<int64_t> returned;
  std::vector<std::string> trace;
  void I32Const(int32_t v, Value* r) { *r = v; }
  void LocalGet(uint32_t i, Value* r) { *r = args[i]; }
  void NumericOp(Opcode op, absl::Span<const Value> a, Value* r) {
    trace.push_back(OpcodeName(op));
    switch (op) {
      case Opcode::kI32Add: *r = static_cast<int32_t>(a[0] + a[1]); break;
      case Opcode::kI32Sub: *r = static_cast<int32_t>(a[0] - a[1]); break;
      case Opcode::kI32Mul: *r = static_cast<int32_t>(a[0] * a[1]); break;
      default: *r = 0;
    }
  }
  template <class F>
  void Block(const BlockType&, absl::Span<Value> params, F*) {
    trace.push_back("block/" + std::to_string(params.size()));
  }
  template <class F>
  void End(F*, absl::Span<const Value> results, absl::Span<Value> merged) {
    trace.push_back("end");
    for (size_t i = 0; i < merged.size(); ++i) merged[i] = results[i];
  }
  void Unreachable() { trace.push_back("unreachable"); }
  void FinishFunction(absl::Span<const Value> r) {
    returned.assign(r.begin(), r.end());
  }
};

TEST(FunctionBodyDecoderTest, InterfaceSeesValues) {
  // (x - 3) * (block (result i32) (i32.const 7)), then unreachable code.
  OneFunc f = F({kI32}, {kI32},
                {0x20, 0, 0x41, 3, 0x6b, 0x02, kI32, 0x41, 7, kEnd, 0x6c,
                 kEnd});
  auto m = DecodeModule(f.Build());
  ASSERT_TRUE(m.ok()) << m.status();
  EvalInterface iface;
  iface.args = {10};
  FunctionBodyDecoder<EvalInterface> d(**m, 0, &iface);
  ASSERT_TRUE(d.Decode().ok());
  ASSERT_EQ(iface.returned.size(), 1u);
  EXPECT_EQ(iface.returned[0], 49);
  EXPECT_THAT(iface.trace, ::testing::ElementsAre("i32.sub", "block/0", "end",
                                                  "i32.mul"));
}

TEST(FunctionBodyDecoderTest, NoInstructionHooksWhenUnreachable) {
  OneFunc f = F({}, {kI32}, {0x00, 0x41, 1, 0x41, 2, 0x6a, kEnd});
  auto m = DecodeModule(f.Build());
  ASSERT_TRUE(m.ok()) << m.status();
  EvalInterface iface;
  FunctionBodyDecoder<EvalInterface> d(**m, 0, &iface);
  ASSERT_TRUE(d.Decode().ok());
  EXPECT_THAT(iface.trace, ::testing::ElementsAre("unreachable"));
  EXPECT_TRUE(iface.returned.empty());
}

TEST(FunctionBodyDecoderTest, ValidateFunctionDirectly) {
  OneFunc f = F({}, {}, {0x6a, kEnd});
  DecodeOptions o;
  o.validate_function_bodies = false;
  auto m = DecodeModule(f.Build(), o);
  ASSERT_TRUE(m.ok());
  absl::Status s = ValidateFunction(**m, 0);
  EXPECT_THAT(s.message(), HasSubstr("type mismatch"));
  EXPECT_FALSE(ValidateFunction(**m, 5).ok());
}

}  // namespace
}  // namespace kiln::wasm
