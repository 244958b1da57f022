#include "wasm/decoder.h"

#include <sys/mman.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wasm/limits.h"
#include "wasm/test_util.h"

namespace kiln::wasm {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::kiln::wasm::testing;  // NOLINT

std::string DecodeError(const Bytes& b, DecodeOptions o = {}) {
  auto m = DecodeModule(b, o);
  if (m.ok()) return "ok";
  return std::string(m.status().message());
}

TEST(DecoderTest, EmptyModule) {
  auto m = DecodeModule(Header());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->functions.empty());
}

TEST(DecoderTest, Header) {
  EXPECT_THAT(DecodeError({}), HasSubstr("unexpected end"));
  EXPECT_THAT(DecodeError({0x00, 0x61, 0x73}), HasSubstr("unexpected end"));
  EXPECT_THAT(DecodeError({'a', 's', 'm', 0}),
              HasSubstr("magic header not detected"));
  EXPECT_THAT(DecodeError({0x00, 0x61, 0x73, 0x6d}),
              HasSubstr("unexpected end"));
  EXPECT_THAT(DecodeError({0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}),
              HasSubstr("unknown binary version"));
}

TEST(DecoderTest, ErrorsStartWithOffset) {
  Bytes b = Cat({Header(), Bytes{0x0d, 0x00}});
  EXPECT_EQ(DecodeError(b), "at byte 0x8: malformed section id");
}

TEST(DecoderTest, SectionOrderAndDuplicates) {
  Bytes type = Section(1, Vec({}));
  Bytes mem = Section(5, Vec({}));
  EXPECT_EQ(DecodeError(Cat({Header(), type, mem})), "ok");
  EXPECT_THAT(DecodeError(Cat({Header(), mem, type})),
              HasSubstr("unexpected content after last section"));
  EXPECT_THAT(DecodeError(Cat({Header(), type, type})),
              HasSubstr("unexpected content after last section"));
  // Custom sections can go anywhere; data count goes before code.
  Bytes custom = Section(0, Str("x"));
  EXPECT_EQ(DecodeError(Cat({Header(), custom, type, custom, mem, custom})),
            "ok");
  EXPECT_EQ(DecodeError(Cat({Header(), Section(12, Leb(0)),
                             Section(10, Vec({}))})),
            "ok");
  EXPECT_THAT(DecodeError(Cat({Header(), Section(10, Vec({})),
                               Section(12, Leb(0))})),
              HasSubstr("unexpected content after last section"));
}

TEST(DecoderTest, SectionSizeMismatch) {
  // Type section claims 2 bytes but its content is 1 byte (count 0) + junk.
  Bytes b = Cat({Header(), Bytes{0x01, 0x02, 0x00, 0x00}});
  EXPECT_THAT(DecodeError(b), HasSubstr("section size mismatch"));
  // Section size larger than the module.
  Bytes c = Cat({Header(), Bytes{0x01, 0x05, 0x00}});
  EXPECT_THAT(DecodeError(c), HasSubstr("length out of bounds"));
}

TEST(DecoderTest, FunctionCodeMismatch) {
  Bytes types = Section(1, Vec({FuncTypeBytes({}, {})}));
  Bytes funcs = Section(3, Vec({Leb(0)}));
  EXPECT_THAT(DecodeError(Cat({Header(), types, funcs})),
              HasSubstr("function and code section have inconsistent "
                        "lengths"));
  EXPECT_THAT(DecodeError(Cat({Header(), types, funcs,
                               Section(10, Vec({Body({0}, {0x0b}),
                                                Body({0}, {0x0b})}))})),
              HasSubstr("function and code section have inconsistent "
                        "lengths"));
}

TEST(DecoderTest, DataCountMismatch) {
  Bytes mem = Section(5, Vec({Bytes{0x00, 0x01}}));
  EXPECT_THAT(DecodeError(Cat({Header(), mem, Section(12, Leb(1))})),
              HasSubstr("data count and data section have inconsistent "
                        "lengths"));
  EXPECT_THAT(
      DecodeError(Cat({Header(), mem, Section(12, Leb(2)),
                       Section(11, Vec({Bytes{0x01, 0x00}}))})),
      HasSubstr("data count and data section have inconsistent lengths"));
}

TEST(DecoderTest, DecodesAllParts) {
  Bytes m = Cat({
      Header(),
      Section(1, Vec({FuncTypeBytes({kI32}, {kI32}), FuncTypeBytes({}, {})})),
      Section(2, Vec({Cat({Str("env"), Str("f"), Bytes{0x00, 0x00}}),
                      Cat({Str("env"), Str("g"), Bytes{0x03, kI32, 0x00}})})),
      Section(3, Vec({Leb(0), Leb(1)})),
      Section(4, Vec({Bytes{kFuncRef, 0x01, 0x01, 0x05}})),
      Section(5, Vec({Bytes{0x01, 0x01, 0x02}})),
      Section(6, Vec({Bytes{kI32, 0x01, 0x23, 0x00, 0x0b}})),
      Section(7, Vec({Cat({Str("run"), Bytes{0x00, 0x01}}),
                      Cat({Str("mem"), Bytes{0x02, 0x00}})})),
      Section(8, Leb(2)),
      Section(9, Vec({Bytes{0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x01}})),
      Section(12, Leb(2)),
      Section(10, Vec({Body({0}, {0x20, 0x00, 0x0b}),
                       Body({0x01, 0x02, kI64}, {0x0b})})),
      Section(11, Vec({Bytes{0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i'},
                       Bytes{0x01, 0x01, 'z'}})),
      Section(0, Cat({Str("name"),
                      Bytes{0x01},  // function names
                      Leb(Cat({Vec({Cat({Leb(1), Str("add")}),
                                    Cat({Leb(2), Str("start")})})})
                              .size()),
                      Vec({Cat({Leb(1), Str("add")}),
                           Cat({Leb(2), Str("start")})})})),
  });
  auto r = DecodeModule(m);
  ASSERT_TRUE(r.ok()) << r.status();
  const ModuleInfo& mi = **r;
  EXPECT_EQ(mi.types.size(), 2u);
  ASSERT_EQ(mi.imports.size(), 2u);
  EXPECT_EQ(mi.imports[0].module, "env");
  EXPECT_EQ(mi.imports[1].kind, ExternKind::kGlobal);
  EXPECT_EQ(mi.num_imported_functions, 1u);
  EXPECT_EQ(mi.num_imported_globals, 1u);
  ASSERT_EQ(mi.functions.size(), 3u);
  EXPECT_TRUE(mi.functions[0].imported);
  EXPECT_EQ(mi.functions[1].type_index, 0u);
  EXPECT_EQ(mi.FunctionBody(1).size(), 4u);  // locals vec + 3 code bytes
  EXPECT_EQ(mi.FunctionBody(2).back(), 0x0b);
  ASSERT_EQ(mi.tables.size(), 1u);
  EXPECT_EQ(mi.tables[0].type.limits.min, 1u);
  EXPECT_EQ(*mi.tables[0].type.limits.max, 5u);
  ASSERT_EQ(mi.memories.size(), 1u);
  EXPECT_EQ(*mi.memories[0].type.limits.max, 2u);
  ASSERT_EQ(mi.globals.size(), 2u);
  EXPECT_EQ(mi.globals[1].init.kind, ConstExpr::Kind::kGlobalGet);
  ASSERT_EQ(mi.exports.size(), 2u);
  EXPECT_EQ(mi.exports[1].name, "mem");
  EXPECT_EQ(mi.start, 2u);
  ASSERT_EQ(mi.elem_segments.size(), 1u);
  EXPECT_EQ(mi.elem_segments[0].items.size(), 2u);
  EXPECT_EQ(mi.elem_segments[0].items[1].index, 1u);
  EXPECT_TRUE(mi.declared_functions[0]);
  EXPECT_TRUE(mi.declared_functions[1]);
  ASSERT_EQ(mi.data_segments.size(), 2u);
  EXPECT_EQ(mi.data_segments[1].mode, SegmentMode::kPassive);
  auto d = mi.DataBytes(mi.data_segments[0]);
  EXPECT_EQ(std::string(d.begin(), d.end()), "hi");
  EXPECT_EQ(mi.data_count, 2u);
  ASSERT_NE(mi.FunctionName(1), nullptr);
  EXPECT_EQ(*mi.FunctionName(1), "add");
  EXPECT_EQ(*mi.FunctionName(2), "start");
}

TEST(DecoderTest, ModuleInfoOutlivesInput) {
  OneFunc f;
  f.code = {0x41, 0x07, 0x1a, 0x0b};
  auto input = std::make_unique<Bytes>(f.Build());
  auto r = DecodeModule(*input);
  ASSERT_TRUE(r.ok());
  input.reset();
  auto body = (*r)->FunctionBody(0);
  EXPECT_EQ(Bytes(body.begin(), body.end()), Bytes({0x00, 0x41, 0x07, 0x1a,
                                                    0x0b}));
}

TEST(DecoderTest, BrokenNameSectionIsIgnored) {
  OneFunc f;
  Bytes m = f.Build();
  Bytes bad_name = Section(0, Cat({Str("name"), Bytes{0x01, 0x10, 0x05}}));
  m.insert(m.end(), bad_name.begin(), bad_name.end());
  auto r = DecodeModule(m);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)->function_names.empty());
}

TEST(DecoderTest, CustomSectionNameMustBeUtf8) {
  Bytes m = Cat({Header(), Section(0, Bytes{0x01, 0xff})});
  EXPECT_THAT(DecodeError(m), HasSubstr("malformed UTF-8 encoding"));
}

TEST(DecoderTest, ImportAndExportErrors) {
  Bytes types = Section(1, Vec({FuncTypeBytes({}, {})}));
  EXPECT_THAT(DecodeError(Cat({Header(), types,
                               Section(2, Vec({Cat({Str("a"), Str("b"),
                                                    Bytes{0x04, 0x00}})}))})),
              HasSubstr("malformed import kind"));
  EXPECT_THAT(DecodeError(Cat({Header(), types,
                               Section(2, Vec({Cat({Str("a"), Str("b"),
                                                    Bytes{0x00, 0x05}})}))})),
              HasSubstr("unknown type"));
  EXPECT_THAT(
      DecodeError(Cat({Header(),
                       Section(2, Vec({Cat({Str("a"), Str("b"),
                                            Bytes{0x03, kI32, 0x02}})}))})),
      HasSubstr("malformed mutability"));
  Bytes mem = Section(5, Vec({Bytes{0x00, 0x01}}));
  EXPECT_THAT(DecodeError(Cat({Header(), mem,
                               Section(7, Vec({Cat({Str("m"), Bytes{2, 0}}),
                                               Cat({Str("m"), Bytes{2, 0}})}))})),
              HasSubstr("duplicate export name"));
  EXPECT_THAT(DecodeError(Cat({Header(),
                               Section(7, Vec({Cat({Str("m"), Bytes{0, 0}})}))})),
              HasSubstr("unknown function 0"));
}

TEST(DecoderTest, MemoryRules) {
  // Two memories: WebAssembly 2.0 has one; multi-memory (on by default)
  // allows more.
  const Bytes two = Cat({Header(), Section(5, Vec({Bytes{0x00, 0x01},
                                                   Bytes{0x00, 0x01}}))});
  DecodeOptions wasm2;
  wasm2.features = Features::None();
  EXPECT_THAT(DecodeError(two, wasm2), HasSubstr("multiple memories"));
  EXPECT_EQ(DecodeError(two), "ok");
  EXPECT_THAT(DecodeError(Cat({Header(), Section(5, Vec({Cat(
                                                    {Bytes{0x00}, Leb(65537)})}))})),
              HasSubstr("memory size must be at most 65536 pages (4GiB)"));
  EXPECT_THAT(DecodeError(Cat({Header(), Section(5, Vec({Bytes{0x01, 0x02,
                                                               0x01}}))})),
              HasSubstr("size minimum must not be greater than maximum"));
  EXPECT_EQ(DecodeError(Cat({Header(), Section(5, Vec({Cat({Bytes{0x01, 0x00},
                                                            Leb(65536)})}))})),
            "ok");
}

TEST(DecoderTest, MultipleTablesAllowed) {
  EXPECT_EQ(DecodeError(Cat({Header(), Section(4, Vec({Bytes{kFuncRef, 0, 1},
                                                       Bytes{kExternRef, 0, 1}}))})),
            "ok");
  EXPECT_THAT(DecodeError(Cat({Header(), Section(4, Vec({Bytes{0x7f, 0, 1}}))})),
              HasSubstr("malformed reference type"));
}

TEST(DecoderTest, ConstantExpressions) {
  auto global = [](Bytes init) {
    return Cat({Header(), Section(6, Vec({Cat({Bytes{kI32, 0x00}, init})}))});
  };
  EXPECT_EQ(DecodeError(global({0x41, 0x05, 0x0b})), "ok");
  EXPECT_THAT(DecodeError(global({0x42, 0x05, 0x0b})),
              HasSubstr("type mismatch"));
  EXPECT_THAT(DecodeError(global({0x0b})), HasSubstr("type mismatch"));
  EXPECT_THAT(DecodeError(global({0x41, 0x00, 0x41, 0x00, 0x0b})),
              HasSubstr("type mismatch"));
  // i32.add is constant with extended-const (on by default), not in 2.0.
  EXPECT_EQ(DecodeError(global({0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b})), "ok");
  DecodeOptions wasm2;
  wasm2.features = Features::None();
  auto m = DecodeModule(global({0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b}), wasm2);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("constant expression required"));
  EXPECT_THAT(DecodeError(global({0x23, 0x00, 0x0b})),
              HasSubstr("unknown global 0"));
}

TEST(DecoderTest, StartFunctionType) {
  Bytes m = Cat({Header(), Section(1, Vec({FuncTypeBytes({kI32}, {})})),
                 Section(3, Vec({Leb(0)})), Section(8, Leb(0)),
                 Section(10, Vec({Body({0}, {0x0b})}))});
  EXPECT_THAT(DecodeError(m), HasSubstr("start function"));
}

TEST(DecoderTest, ValidateBodiesOption) {
  OneFunc f;
  f.code = {0x6a, 0x0b};  // i32.add on an empty stack
  EXPECT_THAT(DecodeError(f.Build()), HasSubstr("type mismatch"));
  DecodeOptions o;
  o.validate_function_bodies = false;
  EXPECT_EQ(DecodeError(f.Build(), o), "ok");
}

// ---------------------------------------------------------------------------
// Implementation limits: each is rejected before anything is allocated for
// the claimed count.
// ---------------------------------------------------------------------------

TEST(LimitsTest, FourBillionFunctionsRejectedWithoutAllocation) {
  // Header + function section with count 0xffffffff and nothing else.
  Bytes m = Cat({Header(), Section(3, Leb(0xffffffffu))});
  auto r = DecodeModule(m);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("too many functions"));
  // Under the limit but more than the bytes can hold: bounded reservation,
  // then a clean error at the real end of the section.
  Bytes m2 = Cat({Header(), Section(1, Vec({FuncTypeBytes({}, {})})),
                  Section(3, Leb(kMaxFunctions))});
  auto r2 = DecodeModule(m2);
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.status().message(), HasSubstr("unexpected end"));
}

struct CountLimitCase {
  const char* name;
  uint8_t section;
  uint64_t count;
  const char* message;
};

TEST(LimitsTest, SectionCounts) {
  const CountLimitCase cases[] = {
      {"types", 1, kMaxTypes + 1ull, "too many types"},
      {"imports", 2, kMaxImports + 1ull, "too many imports"},
      {"functions", 3, kMaxFunctions + 1ull, "too many functions"},
      {"tables", 4, kMaxTables + 1ull, "too many tables"},
      {"globals", 6, kMaxGlobals + 1ull, "too many globals"},
      {"exports", 7, kMaxExports + 1ull, "too many exports"},
      {"elems", 9, kMaxElemSegments + 1ull, "too many element segments"},
      {"data", 11, kMaxDataSegments + 1ull, "too many data segments"},
      {"datacount", 12, kMaxDataSegments + 1ull, "too many data segments"},
  };
  for (const auto& c : cases) {
    Bytes m = Cat({Header(), Section(c.section, Leb(c.count))});
    EXPECT_THAT(DecodeError(m), HasSubstr(c.message)) << c.name;
  }
}

TEST(LimitsTest, ParamsAndResults) {
  Bytes params(kMaxParams + 1, kI32);
  EXPECT_THAT(DecodeError(Cat({Header(), Section(1, Vec({FuncTypeBytes(
                                                    params, {})}))})),
              HasSubstr("too many params"));
  Bytes ok_params(kMaxParams, kI32);
  EXPECT_EQ(DecodeError(Cat({Header(), Section(1, Vec({FuncTypeBytes(
                                                  ok_params, {})}))})),
            "ok");
  Bytes results(kMaxResults + 1, kI32);
  EXPECT_THAT(DecodeError(Cat({Header(), Section(1, Vec({FuncTypeBytes(
                                                    {}, results)}))})),
              HasSubstr("too many results"));
}

TEST(LimitsTest, TableSize) {
  EXPECT_THAT(DecodeError(Cat({Header(), Section(4, Vec({Cat(
                                                    {Bytes{kFuncRef, 0x00},
                                                     Leb(kMaxTableSize + 1)})}))})),
              HasSubstr("table size must be at most"));
  // The maximum may exceed the implementation limit (spec: table.wast).
  EXPECT_EQ(DecodeError(Cat({Header(), Section(4, Vec({Cat(
                                                  {Bytes{kFuncRef, 0x01, 0x00},
                                                   Leb(0xffffffffu)})}))})),
            "ok");
}

TEST(LimitsTest, MemoryPages) {
  EXPECT_THAT(DecodeError(Cat({Header(), Section(5, Vec({Cat(
                                                    {Bytes{0x00},
                                                     Leb(kMaxMemoryPages + 1)})}))})),
              HasSubstr("memory size must be at most 65536 pages"));
}

TEST(LimitsTest, ElementItemsTotal) {
  Bytes seg = Cat({Bytes{0x01, 0x00}, Leb(kMaxElemItemsTotal + 1)});
  EXPECT_THAT(DecodeError(Cat({Header(), Section(9, Vec({seg}))})),
              HasSubstr("too many element items"));
}

TEST(LimitsTest, FunctionBodySize) {
  Bytes m = Cat({Header(), Section(1, Vec({FuncTypeBytes({}, {})})),
                 Section(3, Vec({Leb(0)})),
                 Section(10, Cat({Leb(1), Leb(kMaxFunctionBodySize + 1)}))});
  EXPECT_THAT(DecodeError(m), HasSubstr("function body too large"));
}

TEST(LimitsTest, Locals) {
  OneFunc f;
  f.locals = Cat({Leb(1), Leb(kMaxLocals + 1), Bytes{kI32}});
  EXPECT_THAT(DecodeError(f.Build()), HasSubstr("too many locals"));
  f.locals = Cat({Leb(1), Leb(kMaxLocals), Bytes{kI32}});
  EXPECT_EQ(DecodeError(f.Build()), "ok");
  // Two groups whose sum overflows 32 bits.
  f.locals = Cat({Leb(2), Leb(0xffffffffu), Bytes{kI32}, Leb(0xffffffffu),
                  Bytes{kI32}});
  EXPECT_THAT(DecodeError(f.Build()), HasSubstr("too many locals"));
}

TEST(LimitsTest, BrTableSize) {
  OneFunc f;
  Bytes code = Cat({Bytes{0x41, 0x00, 0x0e}, Leb(kMaxBrTableSize + 1)});
  code.insert(code.end(), kMaxBrTableSize + 2, 0x00);
  code.push_back(0x0b);
  f.code = code;
  EXPECT_THAT(DecodeError(f.Build()), HasSubstr("br_table too large"));
  Bytes ok = Cat({Bytes{0x41, 0x00, 0x0e}, Leb(kMaxBrTableSize)});
  ok.insert(ok.end(), kMaxBrTableSize + 1, 0x00);
  ok.push_back(0x0b);
  f.code = ok;
  EXPECT_EQ(DecodeError(f.Build()), "ok");
}

TEST(LimitsTest, ControlDepth) {
  OneFunc f;
  Bytes code;
  for (uint32_t i = 0; i < kMaxControlDepth + 1; ++i) {
    code.push_back(0x02);
    code.push_back(0x40);
  }
  for (uint32_t i = 0; i < kMaxControlDepth + 1; ++i) code.push_back(0x0b);
  code.push_back(0x0b);
  f.code = code;
  EXPECT_THAT(DecodeError(f.Build()), HasSubstr("control nesting too deep"));
  // Deep but legal nesting works without recursion.
  Bytes ok;
  for (uint32_t i = 0; i < kMaxControlDepth - 1; ++i) {
    ok.push_back(0x02);
    ok.push_back(0x40);
  }
  for (uint32_t i = 0; i < kMaxControlDepth - 1; ++i) ok.push_back(0x0b);
  ok.push_back(0x0b);
  f.code = ok;
  EXPECT_EQ(DecodeError(f.Build()), "ok");
}

TEST(LimitsTest, ModuleSize) {
  // A reservation larger than the limit; never touched, since the size is
  // checked before the bytes are copied or read.
  size_t size = kMaxModuleSize + 1;
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                 MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto r = DecodeModule(
      absl::MakeConstSpan(static_cast<const uint8_t*>(p), size));
  munmap(p, size);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("module too large"));
}

}  // namespace
}  // namespace kiln::wasm
