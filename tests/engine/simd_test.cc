// v128 through the embedding API: Func::Call with Val::V128 (array-call
// trampoline), v128 globals, values live across calls (16-byte spills).
#include <cstdint>
#include <string>

#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

class SimdTest : public ::testing::Test {
 protected:
  SimdTest() : store_(engine_) {}
  Instance Instantiate(std::string_view wat) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, wat);
    EXPECT_TRUE(m.ok()) << m.status();
    Result<Instance> i = Instance::Create(store_, *m, {});
    EXPECT_TRUE(i.ok()) << i.status();
    return *i;
  }
  Engine engine_;
  Store<> store_;
};

TEST_F(SimdTest, CallsAndGlobals) {
  Instance inst = Instantiate(R"(
    (module
      (global $g (export "g") (mut v128) (v128.const i64x2 7 8))
      (func $twice (param v128) (result v128)
        (i32x4.add (local.get 0) (local.get 0)))
      (func (export "f") (param i32 v128 v128) (result v128)
        (local $t v128)
        ;; $t and the params stay live across the calls.
        (local.set $t (i32x4.mul (local.get 1) (local.get 2)))
        (drop (call $twice (local.get 2)))
        (i32x4.add
          (i32x4.add (call $twice (local.get $t)) (local.get 1))
          (i32x4.add (global.get $g) (i32x4.splat (local.get 0)))))
      (func (export "set") (param v128) (global.set $g (local.get 0)))))");
  absl::StatusOr<Func> f = inst.GetFunc(store_, "f");
  ASSERT_TRUE(f.ok());
  // lanes: a = (1, 2, 3, 4), b = (10, 20, 30, 40) as i32x4.
  auto v = [](uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3) {
    return Val::V128(uint64_t{x0} | uint64_t{x1} << 32,
                     uint64_t{x2} | uint64_t{x3} << 32);
  };
  Result<std::vector<Val>> r =
      f->Call(store_, {Val::I32(100), v(1, 2, 3, 4), v(10, 20, 30, 40)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  // 2*a*b + a + g + 100; g = i64x2 (7, 8) = i32x4 (7, 0, 8, 0).
  EXPECT_EQ((*r)[0], v(20 + 1 + 7 + 100, 80 + 2 + 100, 180 + 3 + 8 + 100,
                       320 + 4 + 100));

  absl::StatusOr<Global> g = inst.GetGlobal(store_, "g");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g->Get(store_), Val::V128(7, 8));
  absl::StatusOr<Func> set = inst.GetFunc(store_, "set");
  ASSERT_TRUE(set->Call(store_, {Val::V128(~0ull, 1ull << 63)}).ok());
  EXPECT_EQ(*g->Get(store_), Val::V128(~0ull, 1ull << 63));
  ASSERT_TRUE(g->Set(store_, Val::V128(1, 2)).ok());
  EXPECT_EQ(*g->Get(store_), Val::V128(1, 2));
}

}  // namespace
}  // namespace kiln
