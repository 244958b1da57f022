// Store safety: a handle (Func, Memory, Table, Global, Instance, a funcref
// Val, a Linker definition) carries its store's never-reused StoreId, and
// every API that takes a store checks it before reading the handle. A
// handle whose store was freed -- even when the allocator hands the same
// address to the next store -- is an error status, never a read of freed
// memory. Run under AddressSanitizer by scripts/test.sh.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) { return s.status(); }
template <typename T>
absl::Status StatusOf(const Result<T>& r) { return r.status(); }

// EXPECT_WRONG_STORE(expr): expr failed with "object used with the wrong
// store" (possibly prefixed with where).
#define EXPECT_WRONG_STORE(expr)                                           \
  do {                                                                     \
    absl::Status _s = StatusOf(expr);                                      \
    EXPECT_EQ(_s.code(), absl::StatusCode::kInvalidArgument)               \
        << #expr << ": " << _s;                                            \
    EXPECT_TRUE(absl::StrContains(_s.message(),                            \
                                  "object used with the wrong store"))     \
        << #expr << ": " << _s;                                            \
  } while (0)

#define ASSERT_OK(expr)                                         \
  do {                                                          \
    absl::Status _s = StatusOf(expr);                           \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s;                \
  } while (0)

Module Compile(const Engine& engine, std::string_view wat) {
  absl::StatusOr<Module> m = Module::FromWat(engine, wat);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

constexpr char kExporter[] = R"(
  (module
    (import "host" "double" (func $double (param i32) (result i32)))
    (memory (export "mem") 1 4)
    (table (export "tab") 2 10 funcref)
    (global (export "g") (mut i32) (i32.const 7))
    (func $f (export "f") (param i32) (result i32)
      (call $double (local.get 0)))
    (elem (i32.const 0) $f))
)";

// Every kind of handle a store hands out, made in one store.
struct Handles {
  Instance instance;
  Func wasm_func;
  Func host_func;    // Func::New (store-owned)
  Func linker_func;  // an engine-owned HostFunc materialized in the store
  Memory memory;
  Memory host_memory;
  Table table;
  Table host_table;
  Global global;
  Global host_global;
  TypedFunc<int32_t(int32_t)> typed;
  Val funcref;
};

class StoreSafetyTest : public ::testing::Test {
 protected:
  StoreSafetyTest()
      : linker_(engine_), exporter_(Compile(engine_, kExporter)) {
    EXPECT_TRUE(
        linker_.FuncWrap("host", "double", [](int32_t x) { return 2 * x; })
            .ok());
  }

  Handles Make(Store<>& store) {
    Result<Instance> inst = linker_.Instantiate(store, exporter_);
    EXPECT_TRUE(inst.ok()) << inst.status();
    Func f = *inst->GetFunc(store, "f");
    absl::StatusOr<Func> host = Func::New(
        store, FuncType{{ValType::kI32}, {ValType::kI32}},
        [](Caller<>&, absl::Span<const Val> p,
           absl::Span<Val> r) -> std::optional<Trap> {
          r[0] = Val::I32(p[0].i32() + 1);
          return std::nullopt;
        });
    absl::StatusOr<Extern> wrapped = linker_.Get(store, "host", "double");
    absl::StatusOr<Memory> mem = Memory::New(store, MemoryType{{1, 2}});
    absl::StatusOr<Table> tab =
        Table::New(store, TableType{ValType::kFuncRef, {1, 5}},
                   Val::NullFuncRef());
    absl::StatusOr<Global> glob = Global::New(
        store, GlobalType{ValType::kI32, true}, Val::I32(0x1234));
    absl::StatusOr<TypedFunc<int32_t(int32_t)>> typed =
        TypedFunc<int32_t(int32_t)>::Create(store, f);
    EXPECT_TRUE(host.ok() && wrapped.ok() && mem.ok() && tab.ok() &&
                glob.ok() && typed.ok());
    return Handles{*inst,
                   f,
                   *host,
                   *wrapped->func(),
                   *inst->GetMemory(store, "mem"),
                   *mem,
                   *inst->GetTable(store, "tab"),
                   *tab,
                   *inst->GetGlobal(store, "g"),
                   *glob,
                   *typed,
                   Val::FuncRef(f)};
  }

  // Every API that takes a store and a handle, with `other`.
  void ExpectAllRefused(const Handles& h, Store<>& other) {
    for (const Func& f : {h.wasm_func, h.host_func, h.linker_func}) {
      EXPECT_WRONG_STORE(f.type(other));
      EXPECT_WRONG_STORE(f.type_id(other));
      EXPECT_WRONG_STORE(f.is_host(other));
      EXPECT_WRONG_STORE(f.Call(other, {Val::I32(1)}));
      Val result;
      EXPECT_WRONG_STORE(
          f.Call(other, {Val::I32(1)}, absl::MakeSpan(&result, 1)));
      ValRaw raw[1] = {ValRaw::I32(1)};
      EXPECT_WRONG_STORE(f.CallRaw(other, raw));
      EXPECT_WRONG_STORE(TypedFunc<int32_t(int32_t)>::Create(other, f));
    }
    EXPECT_WRONG_STORE(h.typed.Call(other, 1));
    for (const Memory& m : {h.memory, h.host_memory}) {
      EXPECT_WRONG_STORE(m.type(other));
      EXPECT_WRONG_STORE(m.data(other));
      EXPECT_WRONG_STORE(m.data_size(other));
      uint8_t byte = 0;
      EXPECT_WRONG_STORE(m.Read(other, 0, absl::MakeSpan(&byte, 1)));
      EXPECT_WRONG_STORE(m.Write(other, 0, absl::MakeConstSpan(&byte, 1)));
      EXPECT_WRONG_STORE(m.size(other));
      EXPECT_WRONG_STORE(m.Grow(other, 1));
    }
    for (const Table& t : {h.table, h.host_table}) {
      EXPECT_WRONG_STORE(t.type(other));
      EXPECT_WRONG_STORE(t.size(other));
      EXPECT_WRONG_STORE(t.Get(other, 0));
      EXPECT_WRONG_STORE(t.Set(other, 0, Val::NullFuncRef()));
      EXPECT_WRONG_STORE(t.Grow(other, 1, Val::NullFuncRef()));
    }
    for (const Global& g : {h.global, h.host_global}) {
      EXPECT_WRONG_STORE(g.Get(other));
      EXPECT_WRONG_STORE(g.Set(other, Val::I32(1)));
    }
    EXPECT_WRONG_STORE(h.instance.GetExport(other, "f"));
    EXPECT_WRONG_STORE(h.instance.GetFunc(other, "f"));
    EXPECT_WRONG_STORE(h.instance.GetMemory(other, "mem"));
    EXPECT_WRONG_STORE(h.instance.GetTable(other, "tab"));
    EXPECT_WRONG_STORE(h.instance.GetGlobal(other, "g"));
    EXPECT_WRONG_STORE(
        h.instance.GetTypedFunc<int32_t(int32_t)>(other, "f"));
    EXPECT_WRONG_STORE(h.instance.Exports(other));
    EXPECT_WRONG_STORE(h.instance.module(other));

    // A funcref value of the other store entering this one.
    absl::StatusOr<Table> own_table = Table::New(
        other, TableType{ValType::kFuncRef, {1, 5}}, Val::NullFuncRef());
    ASSERT_OK(own_table);
    EXPECT_WRONG_STORE(own_table->Set(other, 0, h.funcref));
    EXPECT_WRONG_STORE(own_table->Grow(other, 1, h.funcref));
    EXPECT_WRONG_STORE(
        Table::New(other, TableType{ValType::kFuncRef, {1, 5}}, h.funcref));
    EXPECT_WRONG_STORE(Global::New(
        other, GlobalType{ValType::kFuncRef, true}, h.funcref));
    absl::StatusOr<Global> own_global = Global::New(
        other, GlobalType{ValType::kFuncRef, true}, Val::NullFuncRef());
    ASSERT_OK(own_global);
    EXPECT_WRONG_STORE(own_global->Set(other, h.funcref));
    Module takes_ref = Compile(engine_, R"(
      (module (func (export "id") (param funcref) (result funcref)
        (local.get 0))))");
    Result<Instance> inst = Instance::Create(other, takes_ref, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    Func id = *inst->GetFunc(other, "id");
    EXPECT_WRONG_STORE(id.Call(other, {h.funcref}));

    // Instantiation with an import of the other store, one per kind.
    struct Import {
      const char* wat;
      Extern item;
    };
    const Import imports[] = {
        {R"((module (import "x" "f" (func (param i32) (result i32)))))",
         h.wasm_func},
        {R"((module (import "x" "f" (func (param i32) (result i32)))))",
         h.linker_func},
        {R"((module (import "x" "m" (memory 1))))", h.memory},
        {R"((module (import "x" "m" (memory 1))))", h.host_memory},
        {R"((module (import "x" "t" (table 1 funcref))))", h.table},
        {R"((module (import "x" "t" (table 1 funcref))))", h.host_table},
        {R"((module (import "x" "g" (global (mut i32)))))", h.global},
        {R"((module (import "x" "g" (global (mut i32)))))", h.host_global},
    };
    for (const Import& imp : imports) {
      Module m = Compile(engine_, imp.wat);
      EXPECT_WRONG_STORE(Instance::Create(other, m, {imp.item}));
      // Through a Linker: defining with the store is refused at once ...
      Linker<> linker(engine_);
      EXPECT_WRONG_STORE(linker.Define(other, "x", m.info().imports[0].name,
                                       imp.item));
      // ... and defined without one, it is refused where it is used.
      ASSERT_OK(linker.Define("x", m.info().imports[0].name, imp.item));
      EXPECT_WRONG_STORE(linker.Instantiate(other, m));
      EXPECT_WRONG_STORE(linker.InstantiatePre(other, m));
      EXPECT_WRONG_STORE(linker.Get(other, "x", m.info().imports[0].name));
      EXPECT_TRUE(linker.Iter(other).empty());
      ASSERT_OK(linker.DefineName("one", imp.item));
      EXPECT_WRONG_STORE(linker.GetName(other, "one"));
    }
    Linker<> linker(engine_);
    EXPECT_WRONG_STORE(linker.Instance(other, "inst", h.instance));
  }

  Engine engine_;
  Linker<> linker_;
  Module exporter_;
};

// The reproduction from the issue: a global defined in a Linker with its
// store, the store freed, a new store (often at the same address) used to
// instantiate a module importing it.
TEST_F(StoreSafetyTest, StaleGlobalInLinkerIsAnErrorNotFreedMemory) {
  Linker<> linker(engine_);
  Module importer = Compile(engine_, R"(
    (module (import "host" "g" (global i32))
      (func (export "get") (result i32) (global.get 0))))");
  auto* s1 = new Store<>(engine_);
  absl::StatusOr<Global> global =
      Global::New(*s1, GlobalType{ValType::kI32, false}, Val::I32(0x1234));
  ASSERT_OK(global);
  ASSERT_OK(linker.Define(*s1, "host", "g", *global));
  {
    Result<Instance> inst = linker.Instantiate(*s1, importer);
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto get = inst->GetTypedFunc<int32_t()>(*s1, "get");
    ASSERT_OK(get);
    EXPECT_EQ(*get->Call(*s1), 0x1234);
  }
  delete s1;
  auto* s2 = new Store<>(engine_);
  Result<Instance> inst = linker.Instantiate(*s2, importer);
  EXPECT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().message(),
            "import `host::g`: object used with the wrong store");
  EXPECT_WRONG_STORE(global->Get(*s2));
  delete s2;
}

TEST_F(StoreSafetyTest, EveryHandleOfAFreedStoreIsRefused_NewDelete) {
  auto* first = new Store<>(engine_);
  Handles h = Make(*first);
  // Usable in its own store.
  EXPECT_EQ(*h.typed.Call(*first, 21), 42);
  EXPECT_EQ(*h.global.Get(*first), Val::I32(7));
  delete first;
  for (int i = 0; i < 3; ++i) {
    auto* other = new Store<>(engine_);
    ExpectAllRefused(h, *other);
    delete other;
  }
}

TEST_F(StoreSafetyTest, EveryHandleOfAFreedStoreIsRefused_StackLoop) {
  // A store on the stack in a loop lives at the same address every time:
  // the previous iteration's handles look valid by address.
  std::optional<Handles> previous;
  const void* previous_address = nullptr;
  bool same_address_seen = false;
  for (int i = 0; i < 4; ++i) {
    Store<> store(engine_);
    if (previous.has_value()) {
      same_address_seen |= previous_address == &store;
      ExpectAllRefused(*previous, store);
    }
    previous.emplace(Make(store));
    previous_address = &store;
    EXPECT_EQ(*previous->typed.Call(store, 2), 4);
  }
  EXPECT_TRUE(same_address_seen);
}

TEST_F(StoreSafetyTest, HandlesOfAnotherLiveStoreAreRefused) {
  Store<> a(engine_);
  Store<> b(engine_);
  Handles h = Make(a);
  ExpectAllRefused(h, b);
  // Nothing of `a` was disturbed.
  EXPECT_EQ(*h.typed.Call(a, 5), 10);
  EXPECT_EQ(*h.host_global.Get(a), Val::I32(0x1234));
}

TEST_F(StoreSafetyTest, StoreIdsAreNeverReused) {
  StoreId last;
  for (int i = 0; i < 100; ++i) {
    Store<> store(engine_);
    EXPECT_TRUE(store.id().is_valid());
    EXPECT_NE(store.id(), last);
    EXPECT_GT(store.id().value(), last.value());
    last = store.id();
  }
}

TEST_F(StoreSafetyTest, HostResultFuncrefOfAnotherStoreTraps) {
  Store<> a(engine_);
  Store<> b(engine_);
  Handles h = Make(a);
  Val foreign = h.funcref;
  absl::StatusOr<Func> leak = Func::New(
      b, FuncType{{}, {ValType::kFuncRef}},
      [foreign](Caller<>&, absl::Span<const Val>,
                absl::Span<Val> r) -> std::optional<Trap> {
        r[0] = foreign;
        return std::nullopt;
      });
  ASSERT_OK(leak);
  Result<std::vector<Val>> r = leak->Call(b, {});
  ASSERT_TRUE(r.is_trap()) << r.status();
  EXPECT_TRUE(absl::StrContains(r.trap().message(), "another store"))
      << r.trap().message();

  Linker<> linker(engine_);
  ASSERT_OK(linker.FuncNew(
      "h", "leak", FuncType{{}, {ValType::kFuncRef}},
      [foreign](Caller<>&, absl::Span<const Val>, absl::Span<Val> r) {
        r[0] = foreign;
        return absl::OkStatus();
      }));
  Module m = Compile(engine_, R"(
    (module (import "h" "leak" (func $leak (result funcref)))
      (func (export "run") (result funcref) (call $leak))))");
  Result<Instance> inst = linker.Instantiate(b, m);
  ASSERT_TRUE(inst.ok()) << inst.status();
  Result<std::vector<Val>> run = inst->GetFunc(b, "run")->Call(b, {});
  ASSERT_TRUE(run.is_trap()) << run.status();
  EXPECT_TRUE(absl::StrContains(run.trap().message(), "another store"))
      << run.trap().message();
}

// A HostFunc written for Caller<int> cannot be materialized in a store of
// another data type through the untyped layer either.
TEST_F(StoreSafetyTest, TypedHostFuncRefusesAnotherStoreDataType) {
  absl::StatusOr<HostFunc> h =
      HostFunc::Wrap(engine_, [](Caller<int>& c) { c.data() += 1; });
  ASSERT_OK(h);
  Store<std::string> strings(engine_, "text");
  absl::StatusOr<Func> f = h->IntoFunc(strings);
  EXPECT_FALSE(f.ok());
  EXPECT_TRUE(absl::StrContains(f.status().message(), "store data type"))
      << f.status();
  Store<int> ints(engine_, 1);
  absl::StatusOr<Func> g = h->IntoFunc(ints);
  ASSERT_OK(g);
  ASSERT_OK(g->Call(ints, {}));
  EXPECT_EQ(ints.data(), 2);
}

}  // namespace
}  // namespace kiln
