// Copy-on-write memory images (runtime/memory/memory_image.h): what an
// instance sees must be exactly what applying the data segments would
// give, and nothing one instance writes may reach another.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

constexpr uint32_t kPage = 65536;

// Overlapping active segments (later ones win), a segment in page 2, a
// passive segment, and accessors.
constexpr char kModule[] = R"(
  (module
    (memory (export "mem") 3 100)
    (data (i32.const 100) "aaaaaaaaaa")
    (data (i32.const 104) "BB")
    (data (i32.const 102) "c")
    (data (i32.const 131072) "page2")
    (data $passive "passive!")
    (func (export "load8") (param i32) (result i32)
      (i32.load8_u (local.get 0)))
    (func (export "store8") (param i32 i32)
      (i32.store8 (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32)
      (memory.grow (local.get 0)))
    (func (export "init") (param i32 i32 i32)
      (memory.init $passive (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (data.drop $passive)))
)";

// The bytes applying kModule's segments gives at [100, 110).
constexpr char kExpected100[] = "aacaBBaaaa";

struct Case {
  const char* name;
  bool pooling;
  bool cow;
};

class CowTest : public ::testing::TestWithParam<Case> {
 protected:
  CowTest() : engine_(MakeConfig()) {}

  Config MakeConfig() const {
    Config c;
    c.memory_init_cow = GetParam().cow;
    if (GetParam().pooling) {
      c.allocation_strategy = InstanceAllocationStrategy::kPooling;
      c.pooling.total_instances = 8;
      c.pooling.max_memory_size = 400 * uint64_t{kPage};  // the sparse module has 300
      c.pooling.max_memories_per_instance = 3;  // OneImagePerDefinedMemory
    }
    return c;
  }
  Module Compile(std::string_view wat) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, wat);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }
  static std::string Read(StoreOpaque& store, const Instance& inst,
                          uint32_t at, uint32_t len) {
    Memory mem = *inst.GetMemory(store, "mem");
    return std::string(reinterpret_cast<const char*>(mem.data(store).value()) + at,
                       len);
  }

  Engine engine_;
};

TEST_P(CowTest, SegmentsAppliedInOrderIncludingOverlaps) {
  Module m = Compile(kModule);
  EXPECT_EQ(m.HasCopyOnWriteImage(), GetParam().cow);
  Store<> store(engine_);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  EXPECT_EQ(Read(store, *inst, 100, 10), kExpected100);
  EXPECT_EQ(Read(store, *inst, 131072, 5), "page2");
  EXPECT_EQ(Read(store, *inst, 96, 4), std::string(4, '\0'));
  EXPECT_EQ(Read(store, *inst, 110, 4), std::string(4, '\0'));
  EXPECT_EQ(Read(store, *inst, 2 * kPage + 5, 4), std::string(4, '\0'));
}

TEST_P(CowTest, WritesNeverReachTheNextInstance) {
  Module m = Compile(kModule);
  for (int round = 0; round < 40; ++round) {
    Store<> store(engine_);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << round << ": " << inst.status();
    ASSERT_EQ(Read(store, *inst, 100, 10), kExpected100) << round;
    ASSERT_EQ(Read(store, *inst, 131072, 5), "page2") << round;
    ASSERT_EQ(Read(store, *inst, 5000, 1), std::string(1, '\0')) << round;
    auto store8 = *inst->GetTypedFunc<void(int32_t, int32_t)>(store, "store8");
    auto grow = *inst->GetTypedFunc<int32_t(int32_t)>(store, "grow");
    auto load8 = *inst->GetTypedFunc<int32_t(int32_t)>(store, "load8");
    // Write over image bytes, over zero pages inside and outside the
    // image, then grow and write into the new pages.
    ASSERT_TRUE(store8.Call(store, 100, 'X').ok());
    ASSERT_TRUE(store8.Call(store, 131072, 'Y').ok());
    ASSERT_TRUE(store8.Call(store, 5000, 'Z').ok());
    ASSERT_EQ(*load8.Call(store, 100), 'X');
    ASSERT_EQ(*grow.Call(store, 2), 3);
    ASSERT_EQ(*load8.Call(store, 3 * kPage + 7), 0) << round;  // fresh page
    ASSERT_TRUE(store8.Call(store, 3 * kPage + 7, 'G').ok());
    ASSERT_TRUE(store8.Call(store, 5 * kPage - 1, 'H').ok());
    // Another store alive at the same time sees the pristine image.
    if (round % 10 == 0) {
      Store<> other(engine_);
      Result<Instance> second = Instance::Create(other, m, {});
      ASSERT_TRUE(second.ok()) << second.status();
      EXPECT_EQ(Read(other, *second, 100, 10), kExpected100);
      EXPECT_EQ(Read(other, *second, 5000, 1), std::string(1, '\0'));
      EXPECT_EQ(*second->GetMemory(other, "mem")->size(other), 3u);
    }
  }
}

TEST_P(CowTest, ManyInstancesInOneStore) {
  Module m = Compile(kModule);
  Store<> store(engine_);
  const int n = GetParam().pooling ? 8 : 32;  // the pool has 8 slots
  std::vector<Instance> instances;
  for (int i = 0; i < n; ++i) {
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << i << ": " << inst.status();
    Memory mem = *inst->GetMemory(store, "mem");
    EXPECT_EQ(Read(store, *inst, 100, 10), kExpected100) << i;
    mem.data(store).value()[100] = static_cast<uint8_t>('0' + i % 10);
    mem.data(store).value()[131072] = static_cast<uint8_t>(i);
    instances.push_back(*inst);
  }
  for (int i = 0; i < n; ++i) {
    Memory mem = *instances[i].GetMemory(store, "mem");
    EXPECT_EQ(mem.data(store).value()[100], '0' + i % 10) << i;
    EXPECT_EQ(mem.data(store).value()[131072], static_cast<uint8_t>(i)) << i;
    EXPECT_EQ(mem.data(store).value()[131073], 'a') << i;  // "page2"
  }
}

TEST_P(CowTest, PassiveSegmentsMemoryInitAndDataDrop) {
  Module m = Compile(kModule);
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine_);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto init = *inst->GetTypedFunc<void(int32_t, int32_t, int32_t)>(store, "init");
    auto drop = *inst->GetTypedFunc<void()>(store, "drop");
    // The passive segment is not in memory until memory.init.
    EXPECT_EQ(Read(store, *inst, 1000, 8), std::string(8, '\0'));
    ASSERT_TRUE(init.Call(store, 1000, 0, 8).ok());
    EXPECT_EQ(Read(store, *inst, 1000, 8), "passive!");
    ASSERT_TRUE(init.Call(store, 102, 2, 3).ok());  // over image bytes
    EXPECT_EQ(Read(store, *inst, 100, 10), "aassiBaaaa");
    ASSERT_TRUE(drop.Call(store).ok());
    Result<void> after = init.Call(store, 1000, 0, 1);
    ASSERT_TRUE(after.is_trap());
    EXPECT_EQ(after.trap().code(), TrapCode::kMemoryOutOfBounds);
    ASSERT_TRUE(init.Call(store, 1000, 0, 0).ok());  // empty is fine
  }
}

// An offset from an imported global can only be known per instance: the
// module has no image and copies its segments, with the same result.
TEST_P(CowTest, NonQualifyingModuleCopiesAndBehavesTheSame) {
  Module m = Compile(R"(
    (module
      (import "env" "off" (global $off i32))
      (memory (export "mem") 2)
      (data (i32.const 100) "aaaaaaaaaa")
      (data (global.get $off) "BB")
      (data (i32.const 102) "c")
      (func (export "store8") (param i32 i32)
        (i32.store8 (local.get 0) (local.get 1))))
  )");
  EXPECT_FALSE(m.HasCopyOnWriteImage());
  EXPECT_TRUE(m.InitializeCopyOnWriteImage().ok());
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine_);
    absl::StatusOr<Global> off =
        Global::New(store, GlobalType{ValType::kI32, false}, Val::I32(104));
    ASSERT_TRUE(off.ok());
    Result<Instance> inst = Instance::Create(store, m, {Extern(*off)});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(Read(store, *inst, 100, 10), kExpected100);
    auto store8 = *inst->GetTypedFunc<void(int32_t, int32_t)>(store, "store8");
    ASSERT_TRUE(store8.Call(store, 100, 'X').ok());
  }
  // A segment past the minimum size traps at instantiation (no image:
  // earlier segments are applied first, then the trap).
  Module oob = Compile(R"(
    (module (memory 1) (data (i32.const 0) "x") (data (i32.const 65535) "yz")))");
  EXPECT_FALSE(oob.HasCopyOnWriteImage());
  Store<> store(engine_);
  Result<Instance> bad = Instance::Create(store, oob, {});
  ASSERT_TRUE(bad.is_trap());
  EXPECT_EQ(bad.trap().code(), TrapCode::kMemoryOutOfBounds);
}

TEST_P(CowTest, SparseSegmentsFarApart) {
  // 16 MiB apart: the image spans them but stores only two pages.
  Module m = Compile(R"(
    (module (memory (export "mem") 300)
      (data (i32.const 8) "low")
      (data (i32.const 16777216) "high")))");
  EXPECT_EQ(m.HasCopyOnWriteImage(), GetParam().cow);
  for (int round = 0; round < 2; ++round) {
    Store<> store(engine_);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(Read(store, *inst, 8, 3), "low");
    EXPECT_EQ(Read(store, *inst, 16777216, 4), "high");
    EXPECT_EQ(Read(store, *inst, 8 * 1024 * 1024, 4), std::string(4, '\0'));
    Memory mem = *inst->GetMemory(store, "mem");
    mem.data(store).value()[8] = 'L';
  }
}

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", getpid(),
                      ".cwasm");
}

TEST_P(CowTest, CwasmFromFileGivesTheSameMemory) {
  Module m = Compile(kModule);
  absl::StatusOr<std::vector<uint8_t>> bytes = m.Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string path = TempPath(GetParam().name);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  }
  absl::StatusOr<Module> from_file = Module::DeserializeFile(engine_, path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  absl::StatusOr<Module> from_bytes = Module::Deserialize(engine_, *bytes);
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.status();
  EXPECT_EQ(from_file->HasCopyOnWriteImage(), GetParam().cow);
  EXPECT_EQ(from_bytes->HasCopyOnWriteImage(), GetParam().cow);
  for (const Module* mod : {&m, &*from_file, &*from_bytes}) {
    for (int round = 0; round < 3; ++round) {
      Store<> store(engine_);
      Result<Instance> inst = Instance::Create(store, *mod, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      EXPECT_EQ(Read(store, *inst, 100, 10), kExpected100);
      EXPECT_EQ(Read(store, *inst, 131072, 5), "page2");
      EXPECT_EQ(Read(store, *inst, 0, 8), std::string(8, '\0'));
      Memory mem = *inst->GetMemory(store, "mem");
      mem.data(store).value()[100] = 'W';  // private: the file is not written
      mem.data(store).value()[131072] = 'W';
    }
  }
  // The file is unchanged by the instances' writes.
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> again((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  EXPECT_EQ(again, *bytes);
  unlink(path.c_str());
}

TEST_P(CowTest, CwasmOfSparseModuleStaysSmall) {
  Module m = Compile(R"(
    (module (memory (export "mem") 300)
      (data (i32.const 8) "low")
      (data (i32.const 16777216) "high")))");
  absl::StatusOr<std::vector<uint8_t>> bytes = m.Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_LT(bytes->size(), 64u * 1024) << "the sparse image was stored";
  const std::string path = TempPath("sparse");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  }
  absl::StatusOr<Module> from_file = Module::DeserializeFile(engine_, path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  Store<> store(engine_);
  Result<Instance> inst = Instance::Create(store, *from_file, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  EXPECT_EQ(Read(store, *inst, 16777216, 4), "high");
  unlink(path.c_str());
}

// Multi-memory: one image per defined memory, each mapped into its own
// memory (segments in any order, overlapping within a memory), and an
// imported memory before them (so defined memory k is memory k + 1).
constexpr char kMultiMemoryModule[] = R"(
  (module
    (import "env" "imported" (memory 1))
    (memory (export "m1") 1)
    (memory (export "m2") 2)
    (memory (export "m3") 1)
    (data (memory 2) (i32.const 65540) "one")
    (data (memory 1) (i32.const 8) "zero")
    (data (memory 3) (i32.const 0) "two")
    (data (memory 2) (i32.const 65536) "ONE!x")
    (func (export "load8_m2") (param i32) (result i32)
      (i32.load8_u 2 (local.get 0))))
)";

TEST_P(CowTest, OneImagePerDefinedMemory) {
  Module m = Compile(kMultiMemoryModule);
  EXPECT_EQ(m.HasCopyOnWriteImage(), GetParam().cow);
  for (int round = 0; round < 5; ++round) {
    Store<> store(engine_);
    absl::StatusOr<Memory> imported =
        Memory::New(store, MemoryType{{1, std::nullopt}});
    ASSERT_TRUE(imported.ok()) << imported.status();
    const Extern imports[] = {Extern(*imported)};
    Result<Instance> inst = Instance::Create(store, m, imports);
    ASSERT_TRUE(inst.ok()) << round << ": " << inst.status();
    auto bytes = [&](const char* name, uint32_t at, uint32_t len) {
      Memory mem = *inst->GetMemory(store, name);
      return std::string(
          reinterpret_cast<const char*>(mem.data(store).value()) + at, len);
    };
    ASSERT_EQ(bytes("m1", 8, 4), "zero") << round;
    // "one" at 65540, then "ONE!x" at 65536 over its first byte.
    ASSERT_EQ(bytes("m2", 65536, 8), std::string("ONE!xne\0", 8)) << round;
    ASSERT_EQ(bytes("m2", 0, 4), std::string(4, '\0')) << round;
    ASSERT_EQ(bytes("m3", 0, 3), "two") << round;
    ASSERT_EQ(imported->data(store).value()[8], 0) << round;  // not imaged
    auto load8 = *inst->GetTypedFunc<int32_t(int32_t)>(store, "load8_m2");
    ASSERT_EQ(*load8.Call(store, 65536 + 5), 'n');
    // Writes stay in this instance.
    for (const char* name : {"m1", "m2", "m3"}) {
      inst->GetMemory(store, name)->data(store).value()[0] = 'W';
      inst->GetMemory(store, name)->data(store).value()[8] = 'W';
    }
    ASSERT_EQ(*inst->GetMemory(store, "m2")->Grow(store, 1), 2u);
  }
}

// A .cwasm artifact stores memory 0's image; memory 1's is built from the
// segments on load. Both memories start with their data.
TEST_P(CowTest, CwasmOfAMultiMemoryModule) {
  Module m = Compile(R"(
    (module
      (memory (export "mem") 1)
      (memory (export "second") 1)
      (data (memory 1) (i32.const 32) "memory one")
      (data (memory 0) (i32.const 16) "memory zero"))
  )");
  absl::StatusOr<std::vector<uint8_t>> bytes = m.Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::string path = TempPath("multi");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  }
  absl::StatusOr<Module> from_file = Module::DeserializeFile(engine_, path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->HasCopyOnWriteImage(), GetParam().cow);
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine_);
    Result<Instance> inst = Instance::Create(store, *from_file, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(Read(store, *inst, 16, 11), "memory zero");
    Memory second = *inst->GetMemory(store, "second");
    uint8_t* data = second.data(store).value();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(data) + 32, 10),
              "memory one");
    EXPECT_EQ(data[16], 0);
    data[32] = 'W';  // private to this instance
  }
  unlink(path.c_str());
}

// A segment of memory 2 out of bounds fails the instantiation, even though
// memory 1 (before it) has an image and memory 2 none.
TEST_P(CowTest, ATrappingSegmentOfOneMemoryFailsTheInstantiation) {
  Module m = Compile(R"(
    (module
      (memory 1)
      (memory 1)
      (data (memory 0) (i32.const 0) "fine")
      (data (memory 1) (i32.const 65535) "too long"))
  )");
  EXPECT_EQ(m.HasCopyOnWriteImage(), GetParam().cow);
  Store<> store(engine_);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.status().ToString().find("out of bounds"), std::string::npos)
      << inst.status();
}

INSTANTIATE_TEST_SUITE_P(
    Allocators, CowTest,
    ::testing::Values(Case{"OnDemandCow", false, true},
                      Case{"OnDemandCopy", false, false},
                      Case{"PoolingCow", true, true},
                      Case{"PoolingCopy", true, false}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace kiln
