// An embedder's view: only the umbrella header, only public names.
#include "kiln.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace {

TEST(KilnApi, CompileInstantiateCallAndTrap) {
  kiln::Engine engine;
  auto module = kiln::Module::FromWat(engine, R"((module
    (func (export "add") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.add)
    (func (export "div") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.div_s)))");
  ASSERT_TRUE(module.ok()) << module.status();
  kiln::Store<void> store(engine);
  kiln::Result<kiln::Instance> instance =
      kiln::Instance::Create(store, *module, {});
  ASSERT_TRUE(instance.ok()) << instance.status();

  auto add = instance->GetTypedFunc<int32_t(int32_t, int32_t)>(store, "add");
  ASSERT_TRUE(add.ok()) << add.status();
  kiln::Result<int32_t> sum = add->Call(store, 40, 2);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 42);

  auto div = instance->GetTypedFunc<int32_t(int32_t, int32_t)>(store, "div");
  ASSERT_TRUE(div.ok()) << div.status();
  kiln::Result<int32_t> trapped = div->Call(store, 1, 0);
  ASSERT_TRUE(trapped.is_trap());
  EXPECT_NE(trapped.trap().ToString().find("integer divide by zero"),
            std::string::npos)
      << trapped.trap().ToString();

  // The store stays usable after a trap.
  kiln::Result<int32_t> again = add->Call(store, 1, 2);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 3);
}

}  // namespace
