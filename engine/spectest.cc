#include "engine/spectest.h"

#include "engine/func.h"

namespace kiln {

absl::StatusOr<std::vector<std::pair<std::string, Extern>>> DefineSpectest(
    StoreOpaque& store) {
  std::vector<std::pair<std::string, Extern>> out;
  auto nop = [](Caller<>&, absl::Span<const Val>,
                absl::Span<Val>) -> std::optional<Trap> { return std::nullopt; };
  const std::pair<const char*, std::vector<ValType>> prints[] = {
      {"print", {}},
      {"print_i32", {ValType::kI32}},
      {"print_i64", {ValType::kI64}},
      {"print_f32", {ValType::kF32}},
      {"print_f64", {ValType::kF64}},
      {"print_i32_f32", {ValType::kI32, ValType::kF32}},
      {"print_f64_f64", {ValType::kF64, ValType::kF64}},
  };
  for (const auto& [name, params] : prints) {
    absl::StatusOr<Func> f = Func::New(store, FuncType{params, {}}, nop);
    if (!f.ok()) return f.status();
    out.emplace_back(name, *f);
  }
  const std::pair<const char*, Val> globals[] = {
      {"global_i32", Val::I32(666)},
      {"global_i64", Val::I64(666)},
      {"global_f32", Val::F32(666.6f)},
      {"global_f64", Val::F64(666.6)},
  };
  for (const auto& [name, value] : globals) {
    absl::StatusOr<Global> g =
        Global::New(store, GlobalType{value.type(), false}, value);
    if (!g.ok()) return g.status();
    out.emplace_back(name, *g);
  }
  TableType table_type;
  table_type.elem_type = ValType::kFuncRef;
  table_type.limits = {10, 20};
  absl::StatusOr<Table> table =
      Table::New(store, table_type, Val::NullFuncRef());
  if (!table.ok()) return table.status();
  out.emplace_back("table", *table);
  MemoryType memory_type;
  memory_type.limits = {1, 2};
  absl::StatusOr<Memory> memory = Memory::New(store, memory_type);
  if (!memory.ok()) return memory.status();
  out.emplace_back("memory", *memory);
  // The threads proposal's suite imports a shared memory of this type.
  MemoryType shared_type;
  shared_type.limits = {1, 2};
  shared_type.shared = true;
  absl::StatusOr<Memory> shared_memory = Memory::New(store, shared_type);
  if (!shared_memory.ok()) return shared_memory.status();
  out.emplace_back("shared_memory", *shared_memory);
  return out;
}

}  // namespace kiln
