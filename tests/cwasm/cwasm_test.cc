// Precompiled modules: Module::Serialize -> Deserialize / DeserializeFile
// behave exactly like the compiled module; broken artifacts are rejected
// with a message that says what is wrong.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "engine/kiln.h"
#include "engine/serialize.h"
#include "codegen/isa/host_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

// What loading an artifact of the other ISA says on this host.
#if defined(__aarch64__)
constexpr char kOtherIsaMessage[] =
    "it was compiled for x86-64, this host is aarch64";
#else
constexpr char kOtherIsaMessage[] =
    "it was compiled for aarch64, this host is x86-64";
#endif

using ::testing::HasSubstr;

constexpr char kWat[] = R"((module $demo
  (import "env" "log" (func $log (param i32)))
  (type $ii (func (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 16) "hello")
  (global $g (export "g") (mut i32) (i32.const 7))
  (table 4 funcref)
  (elem (i32.const 0) $double $square)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0)
                     (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "bump") (result i32)
    (call $log (global.get $g))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.get $g))
  (func (export "clz") (param i32) (result i32) (i32.clz (local.get 0)))
  (func (export "floor") (param f64) (result f64) (f64.floor (local.get 0)))
  (func $inner (unreachable))
  (func (export "boom") (call $inner))
))";

struct Outcome {
  std::string text;  // results or trap, one call per line
};

// Runs the same calls on `module` and describes the results.
std::string Exercise(const Engine& engine, const Module& module) {
  Store<> store(engine);
  std::string log;
  auto log_fn = Func::New(
      store, FuncType({ValType::kI32}, {}),
      [&log](Caller<>&, absl::Span<const Val> args,
             absl::Span<Val>) -> std::optional<Trap> {
        absl::StrAppend(&log, "log(", args[0].i32(), ") ");
        return std::nullopt;
      });
  Result<Instance> inst = Instance::Create(store, module, {Extern(*log_fn)});
  if (!inst.ok()) return absl::StrCat("instantiate: ", inst.status().ToString());
  std::string out;
  auto call = [&](const char* name, std::vector<Val> args) {
    absl::StatusOr<Func> f = inst->GetFunc(store, name);
    if (!f.ok()) {
      absl::StrAppend(&out, name, ": missing\n");
      return;
    }
    Result<std::vector<Val>> r = f->Call(store, args);
    absl::StrAppend(&out, name, ":");
    if (r.is_trap()) {
      absl::StrAppend(&out, " trap ", r.trap().ToString());
    } else if (!r.ok()) {
      absl::StrAppend(&out, " error ", r.status().ToString());
    } else {
      for (const Val& v : *r) absl::StrAppend(&out, " ", v.ToString());
    }
    out += "\n";
  };
  call("indirect", {Val::I32(0), Val::I32(21)});
  call("indirect", {Val::I32(1), Val::I32(9)});
  call("indirect", {Val::I32(3), Val::I32(9)});  // null entry: trap
  call("fac", {Val::I64(20)});
  call("load", {Val::I32(17)});
  call("load", {Val::I32(65536)});  // out of bounds: trap
  call("div", {Val::I32(7), Val::I32(-2)});
  call("div", {Val::I32(1), Val::I32(0)});
  call("bump", {});
  call("bump", {});
  call("clz", {Val::I32(1)});
  call("floor", {Val::F64(-1.5)});
  call("boom", {});
  return out + log;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name);
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class CwasmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Module> m = Module::FromWat(engine_, kWat);
    ASSERT_TRUE(m.ok()) << m.status();
    module_ = *m;
    absl::StatusOr<std::vector<uint8_t>> bytes = module_->Serialize();
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    artifact_ = *bytes;
  }
  absl::Status Load(absl::Span<const uint8_t> bytes) {
    return Module::Deserialize(engine_, bytes).status();
  }

  Engine engine_;
  std::optional<Module> module_;
  std::vector<uint8_t> artifact_;
};

TEST_F(CwasmTest, RoundTripBehavesIdentically) {
  const std::string expected = Exercise(engine_, *module_);
  EXPECT_THAT(expected, HasSubstr("fac: i64:2432902008176640000"));
  EXPECT_THAT(expected, HasSubstr("boom: trap"));
  EXPECT_THAT(expected, HasSubstr("log(7) log(8)"));

  absl::StatusOr<Module> loaded = Module::Deserialize(engine_, artifact_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(Exercise(engine_, *loaded), expected);
  EXPECT_EQ(loaded->name(), module_->name());
  EXPECT_EQ(loaded->info().exports.size(), module_->info().exports.size());
  // Serializing the loaded module gives the same bytes.
  absl::StatusOr<std::vector<uint8_t>> again = loaded->Serialize();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, artifact_);

  // A second engine with the same config loads it too.
  Engine other;
  absl::StatusOr<Module> in_other = Module::Deserialize(other, artifact_);
  ASSERT_TRUE(in_other.ok()) << in_other.status();
  EXPECT_EQ(Exercise(other, *in_other), expected);
}

TEST_F(CwasmTest, FileIsMappedInPlace) {
  const std::string path = TempPath("demo.cwasm");
  WriteFile(path, artifact_);
  absl::StatusOr<Module> loaded = Module::DeserializeFile(engine_, path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  // The code runs straight from the file mapping (unless the temp dir is
  // mounted noexec, where the loader falls back to a copy).
  const internal::ModuleImpl& impl = *loaded->impl();
  if (impl.code_mapping != nullptr) {
    EXPECT_EQ(impl.code, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(impl.code_base) %
                  sysconf(_SC_PAGESIZE),
              0u);
  }
  EXPECT_EQ(Exercise(engine_, *loaded), Exercise(engine_, *module_));
  // Serializing a mapped module reads its code from the mapping.
  absl::StatusOr<std::vector<uint8_t>> again = loaded->Serialize();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, artifact_);
  // Modules loaded from the same file are independent.
  absl::StatusOr<Module> second = Module::DeserializeFile(engine_, path);
  ASSERT_TRUE(second.ok()) << second.status();
  loaded = absl::UnknownError("dropped");
  EXPECT_EQ(Exercise(engine_, *second), Exercise(engine_, *module_));
}

// Multi-memory: every defined memory's image is stored (a kMemoryImage
// section per memory, keyed by its index) and mapped from the file.
TEST(CwasmMemoriesTest, EveryMemorysImageIsStoredAndMapped) {
  Engine engine;
  absl::StatusOr<Module> m = Module::FromWat(engine, R"((module
    (memory $a 1)
    (memory $b 2)
    (data (memory $a) (i32.const 16) "first")
    (data (memory $b) (i32.const 70000) "second")
    (func (export "a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
    (func (export "b") (param i32) (result i32)
      (i32.load8_u $b (local.get 0)))))");
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(*bytes);
  ASSERT_TRUE(view.ok()) << view.status();
  ASSERT_EQ(view->memory_images.size(), 2u);
  EXPECT_EQ(view->memory_images[0].memory_index, 0u);
  EXPECT_EQ(view->memory_images[1].memory_index, 1u);

  const std::string path = TempPath("two_memories.cwasm");
  WriteFile(path, *bytes);
  for (bool from_file : {true, false}) {
    absl::StatusOr<Module> loaded =
        from_file ? Module::DeserializeFile(engine, path)
                  : Module::Deserialize(engine, *bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, *loaded, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto a = inst->GetTypedFunc<int32_t(int32_t)>(store, "a");
    auto b = inst->GetTypedFunc<int32_t(int32_t)>(store, "b");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a->Call(store, 16), 'f');
    EXPECT_EQ(*a->Call(store, 20), 't');
    EXPECT_EQ(*b->Call(store, 70000), 's');
    EXPECT_EQ(*b->Call(store, 70005), 'd');
    EXPECT_EQ(*b->Call(store, 16), 0);
    // Both memories have an image (from the file's sections, or built).
    const internal::ModuleImpl& impl = *loaded->impl();
    ASSERT_EQ(impl.memory_image_ptrs.size(), 2u);
    EXPECT_NE(impl.memory_image_ptrs[0], nullptr);
    EXPECT_NE(impl.memory_image_ptrs[1], nullptr);
  }

  // A section that is not the image of its memory is rejected by name.
  std::vector<uint8_t> wrong(2 * 4096, 0);
  std::vector<serialize::MemoryImageSection> sections = {
      view->memory_images[0], {1, wrong}};
  const std::string bad_path = TempPath("two_memories_bad.cwasm");
  WriteFile(bad_path, serialize::WriteArtifact(view->target, view->wasm,
                                               view->compiled, view->code,
                                               sections));
  absl::Status s = Module::DeserializeFile(engine, bad_path).status();
  EXPECT_THAT(s.message(), HasSubstr("for memory 1")) << s;
  // Sections out of order are corrupt.
  std::swap(sections[0], sections[1]);
  EXPECT_THAT(Module::Deserialize(engine,
                                  serialize::WriteArtifact(
                                      view->target, view->wasm,
                                      view->compiled, view->code, sections))
                  .status()
                  .message(),
              HasSubstr("memory image sections for memory 1 then 0"));
}

TEST_F(CwasmTest, MissingFile) {
  absl::StatusOr<Module> m =
      Module::DeserializeFile(engine_, TempPath("no-such.cwasm"));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("no-such.cwasm: cannot open"));
}

TEST_F(CwasmTest, EmptyModuleRoundTrips) {
  absl::StatusOr<Module> m = Module::FromWat(engine_, "(module)");
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<Module> loaded = Module::Deserialize(engine_, *bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const std::string path = TempPath("empty.cwasm");
  WriteFile(path, *bytes);
  EXPECT_TRUE(Module::DeserializeFile(engine_, path).ok());
}

TEST_F(CwasmTest, NotAnArtifact) {
  absl::StatusOr<std::vector<uint8_t>> wasm =
      Module::WatToBinary("(module)");
  ASSERT_TRUE(wasm.ok());
  absl::Status s = Load(*wasm);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not a Kiln precompiled module"));
}

TEST_F(CwasmTest, EveryTruncationIsRejected) {
  for (size_t n = 0; n < artifact_.size(); ++n) {
    absl::Status s = Load(absl::MakeConstSpan(artifact_).first(n));
    ASSERT_FALSE(s.ok()) << "prefix " << n;
    ASSERT_THAT(s.message(), HasSubstr("truncated")) << "prefix " << n;
  }
  const std::string path = TempPath("cut.cwasm");
  WriteFile(path, std::vector<uint8_t>(artifact_.begin(),
                                       artifact_.end() - 100));
  absl::Status s = Module::DeserializeFile(engine_, path).status();
  EXPECT_THAT(s.message(), HasSubstr("cut.cwasm: precompiled module is truncated"));
}

TEST_F(CwasmTest, TrailingBytesAreRejected) {
  std::vector<uint8_t> longer = artifact_;
  longer.push_back(0);
  EXPECT_THAT(Load(longer).message(), HasSubstr("1 bytes after the end"));
}

TEST_F(CwasmTest, EveryFlippedHeaderByteIsRejected) {
  for (size_t i = 0; i < serialize::kArtifactHeaderSize; ++i) {
    std::vector<uint8_t> bad = artifact_;
    bad[i] ^= 0x01;
    absl::Status s = Load(bad);
    ASSERT_FALSE(s.ok()) << "byte " << i;
    if (i < 8) {
      EXPECT_THAT(s.message(), HasSubstr("not a Kiln precompiled module"));
    } else if (i < 12) {
      EXPECT_THAT(s.message(), HasSubstr("format version"));
    } else {
      EXPECT_THAT(s.message(), HasSubstr("corrupted: header checksum mismatch"))
          << "byte " << i;
    }
  }
}

TEST_F(CwasmTest, FlippedBodyBytesAreRejected) {
  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(artifact_);
  ASSERT_TRUE(view.ok()) << view.status();
  const size_t code_at = view->code_file_offset;
  const size_t wasm_at = view->wasm.data() - artifact_.data();
  for (size_t i : {code_at, code_at + view->code.size() - 1, wasm_at,
                   wasm_at + 9, artifact_.size() - 1,
                   size_t{serialize::kArtifactHeaderSize}}) {
    std::vector<uint8_t> bad = artifact_;
    bad[i] ^= 0x80;
    absl::Status s = Load(bad);
    EXPECT_THAT(s.message(), HasSubstr("corrupted: body checksum mismatch"))
        << "byte " << i;
  }
  // The same through the file mapping path.
  std::vector<uint8_t> bad = artifact_;
  bad[code_at + 3] ^= 0xff;
  const std::string path = TempPath("flipped.cwasm");
  WriteFile(path, bad);
  EXPECT_THAT(Module::DeserializeFile(engine_, path).status().message(),
              HasSubstr("flipped.cwasm: precompiled module is corrupted: body "
                        "checksum mismatch"));
}

// With checksums off (or a forged checksum), the structural checks still
// catch bad offsets.
TEST_F(CwasmTest, OffsetsAreBoundsCheckedWithoutChecksums) {
  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(artifact_);
  ASSERT_TRUE(view.ok());
  compiler::CompiledModule meta = view->compiled;
  auto rewrite = [&](const compiler::CompiledModule& m) {
    return serialize::WriteArtifact(view->target, view->wasm, m, view->code);
  };
  {
    compiler::CompiledModule m = meta;
    m.functions.back().code_size = 1 << 20;
    EXPECT_THAT(Load(rewrite(m)).message(), HasSubstr("out of bounds"));
  }
  {
    compiler::CompiledModule m = meta;
    m.functions[1].code_offset += 1;
    EXPECT_THAT(Load(rewrite(m)).message(), HasSubstr("misaligned"));
  }
  {
    compiler::CompiledModule m = meta;
    ASSERT_FALSE(m.traps.empty());
    m.traps.back().code = static_cast<abi::TrapCode>(200);
    EXPECT_THAT(Load(rewrite(m)).message(), HasSubstr("unknown trap code 200"));
  }
  {
    compiler::CompiledModule m = meta;
    m.functions.pop_back();
    m.traps.resize(m.functions.back().traps_end);
    m.source_map.resize(m.functions.back().source_map_end);
    EXPECT_THAT(Load(rewrite(m)).message(),
                HasSubstr("compiled functions, the module defines"));
  }
  {
    compiler::CompiledModule m = meta;
    m.functions[0].func_index = 0;
    EXPECT_THAT(Load(rewrite(m)).message(), HasSubstr("has index 0"));
  }
}

TEST_F(CwasmTest, MismatchedTargetsAreRejected) {
  const serialize::Target host = serialize::Target::ForEngine(engine_);
  struct Case {
    const char* name;
    void (*change)(serialize::Target&);
    const char* message;
  };
  const Case cases[] = {
      {"version", [](serialize::Target& t) { t.version = "kiln 0.0.1"; },
       "it was compiled by \"kiln 0.0.1\", this is \"kiln 0.1.0-dev\""},
      // The other ISA (this test runs on both).
      {"isa",
       [](serialize::Target& t) {
         t.isa = t.isa == serialize::kIsaX64 ? serialize::kIsaAarch64
                                             : serialize::kIsaX64;
       },
       kOtherIsaMessage},
      {"features", [](serialize::Target& t) { t.features |= 1u << 31; },
       "its code uses CPU features this host lacks: bit31"},
      {"optimize", [](serialize::Target& t) { t.options ^= serialize::kOptionOptimize; },
       "compiled with optimize="},
      {"guard", [](serialize::Target& t) { t.memory_guard_bytes = 0; },
       "memory guard of 0 bytes"},
      {"abi", [](serialize::Target& t) { t.abi_fingerprint ^= 1; },
       "ABI fingerprint"},
  };
  for (const Case& c : cases) {
    serialize::Target t = host;
    c.change(t);
    absl::StatusOr<std::vector<uint8_t>> bytes =
        serialize::SerializeForTarget(*module_, t);
    ASSERT_TRUE(bytes.ok());
    absl::Status s = Load(*bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << c.name;
    EXPECT_THAT(s.message(), HasSubstr("incompatible with this engine")) << c.name;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.name << ": " << s;
  }
  // Code compiled for fewer CPU features than the host has still loads.
  serialize::Target fewer = host;
  fewer.features = 0;
  absl::StatusOr<std::vector<uint8_t>> bytes =
      serialize::SerializeForTarget(*module_, fewer);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(Load(*bytes).ok());
  // Code using BMI2 (shlx, rorx) loads only on a host that has it.
  if (host.isa == serialize::kIsaX64) {
    serialize::Target bmi2 = host;
    bmi2.features |= serialize::kFeatureBmi2;
    bytes = serialize::SerializeForTarget(*module_, bmi2);
    ASSERT_TRUE(bytes.ok());
    const absl::Status s = Load(*bytes);
    if (host.features & serialize::kFeatureBmi2) {
      EXPECT_TRUE(s.ok()) << s;
    } else {
      EXPECT_THAT(s.message(), HasSubstr("CPU features this host lacks: bmi2")) << s;
    }
  }
}

TEST_F(CwasmTest, ConfigThatChangesCodeMustMatch) {
  Config config;
  config.optimize = false;
  Engine unoptimized(config);
  absl::Status s = Module::Deserialize(unoptimized, artifact_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              HasSubstr("it was compiled with optimize=on, stack-check=on"));
  EXPECT_THAT(s.message(), HasSubstr("the engine's Config gives optimize=off"));
  // Options that do not change code do not matter.
  Config threads;
  threads.compile_threads = 2;
  threads.verify = true;
  threads.max_wasm_stack = 1 << 20;
  EXPECT_TRUE(Module::Deserialize(Engine(threads), artifact_).ok());
}

// Threads: a module with atomics round-trips, and its artifact (compiled
// with every feature on) is refused by an engine without the threads
// feature: the feature set is in the artifact's option bits.
TEST_F(CwasmTest, ThreadsFeatureBitMustBeOn) {
  absl::StatusOr<Module> m = Module::FromWat(engine_, R"(
    (module
      (memory 1 1 shared)
      (func (export "add") (param i32) (result i32)
        (i32.atomic.rmw.add (i32.const 8) (local.get 0))))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Module> back = Module::Deserialize(engine_, *bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  Store<> store(engine_);
  Result<Instance> i = Instance::Create(store, *back, {});
  ASSERT_TRUE(i.ok()) << i.status();
  auto add = i->GetTypedFunc<int32_t(int32_t)>(store, "add");
  ASSERT_TRUE(add.ok());
  EXPECT_EQ(*add->Call(store, 5), 0);
  EXPECT_EQ(*add->Call(store, 1), 5);
  Config config;
  config.wasm_features.threads = false;
  absl::Status s = Module::Deserialize(Engine(config), *bytes).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("threads")) << s;
}

#if defined(__x86_64__)
// `kiln compile --target=aarch64 -o`: the artifact records aarch64 and this
// x86-64 engine refuses it by name (scripts/aarch64_test.sh runs one under
// qemu and checks that the AArch64 build refuses an x86-64 one).
TEST_F(CwasmTest, CrossCompiledArtifactNamesItsIsa) {
  const std::vector<uint8_t> wasm(module_->info().bytes.begin(),
                                  module_->info().bytes.end());
  std::unique_ptr<isa::Backend> a64 = isa::CreateBackendForTarget("aarch64");
  absl::StatusOr<std::vector<uint8_t>> cross =
      serialize::CompileArtifact(engine_, wasm, *a64);
  ASSERT_TRUE(cross.ok()) << cross.status();
  absl::StatusOr<serialize::ArtifactView> view = serialize::ParseArtifact(*cross);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->target.isa, serialize::kIsaAarch64);
  EXPECT_EQ(view->target.features, 0u);
  // The target's ABI fingerprint (equal to x86-64's since AArch64 also
  // has wasm callees pop their stack arguments: the ISA field refuses it).
  EXPECT_EQ(view->target.abi_fingerprint,
            serialize::Target::ForEngine(engine_, serialize::kIsaAarch64).abi_fingerprint);
  absl::Status s = Load(*cross);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("it was compiled for aarch64, this host is x86-64"));
  // The same call for the host's backend writes an artifact that loads and
  // runs as Module::Serialize's does.
  std::unique_ptr<isa::Backend> host = isa::CreateHostBackend();
  absl::StatusOr<std::vector<uint8_t>> native =
      serialize::CompileArtifact(engine_, wasm, *host);
  ASSERT_TRUE(native.ok()) << native.status();
  absl::StatusOr<Module> loaded = Module::Deserialize(engine_, *native);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(Exercise(engine_, *loaded), Exercise(engine_, *module_));
}
#endif

TEST_F(CwasmTest, TargetDescription) {
  const serialize::Target host = serialize::Target::ForEngine(engine_);
  EXPECT_THAT(host.ToString(),
              HasSubstr(absl::StrCat("kiln 0.1.0-dev, ",
                                     serialize::IsaName(host.isa), " [")));
  EXPECT_EQ(serialize::FeatureNames(serialize::kIsaX64,
                                    serialize::kFeatureLzcnt |
                                        serialize::kFeatureSse41 | (1u << 9)),
            "sse4.1 lzcnt bit9");
  EXPECT_EQ(serialize::FeatureNames(serialize::kIsaX64, serialize::kFeatureBmi2), "bmi2");
  // The bits are per ISA: AArch64's bit 0 is LSE, not SSE4.1.
  EXPECT_EQ(serialize::FeatureNames(serialize::kIsaAarch64,
                                    serialize::kFeatureLse | (1u << 3)),
            "lse bit3");
  EXPECT_EQ(serialize::FeatureNames(serialize::kIsaAarch64, 0), "none");
}

TEST(XxHash64Test, ReferenceValues) {
  // Reference values of XXH64 with seed 0.
  EXPECT_EQ(serialize::XxHash64({}), 0xEF46DB3751D8E999ull);
  const std::string abc = "abc";
  EXPECT_EQ(serialize::XxHash64(absl::MakeConstSpan(
                reinterpret_cast<const uint8_t*>(abc.data()), abc.size())),
            0x44BC2CF5AD770999ull);
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(serialize::XxHash64(absl::MakeConstSpan(
                reinterpret_cast<const uint8_t*>(fox.data()), fox.size())),
            0x0B242D361FDA71BCull);
}

}  // namespace
}  // namespace kiln
