#include "runtime/vm/instance.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <tuple>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/traps/entry.h"
#include "runtime/vm/builtins.h"
#include "runtime/vm/on_demand_allocator.h"

namespace kiln::runtime {

using abi::TrapCode;

std::unique_ptr<TableImages> TableImagesForModule(
    const wasm::ModuleInfo& module) {
  auto images = std::make_unique<TableImages>();
  images->tables.resize(module.tables.size() - module.num_imported_tables);
  for (const wasm::ElemSegment& seg : module.elem_segments) {
    if (seg.mode != wasm::SegmentMode::kActive) continue;
    if (seg.table_index < module.num_imported_tables ||
        seg.table_index >= module.tables.size() ||
        seg.offset.kind != wasm::ConstExpr::Kind::kI32Const) {
      return nullptr;
    }
    const wasm::TableType& type = module.tables[seg.table_index].type;
    const uint64_t offset = static_cast<uint32_t>(seg.offset.bits);
    if (type.elem_type != wasm::ValType::kFuncRef ||
        offset + seg.items.size() > type.limits.min) {
      return nullptr;
    }
    std::vector<uint32_t>& image =
        images->tables[seg.table_index - module.num_imported_tables];
    if (image.size() < offset + seg.items.size()) {
      image.resize(offset + seg.items.size(), 0);
    }
    for (size_t k = 0; k < seg.items.size(); ++k) {
      const wasm::ConstExpr& item = seg.items[k];
      if (item.kind == wasm::ConstExpr::Kind::kRefFunc) {
        image[offset + k] = item.index + 1;
      } else if (item.kind == wasm::ConstExpr::Kind::kRefNull) {
        image[offset + k] = 0;
      } else {
        return nullptr;  // global.get: value known only per instance
      }
    }
  }
  return images;
}

void* Instance::ResolveLazySlot(void* ctx, uint32_t index) {
  const auto* lazy = static_cast<const LazyTable*>(ctx);
  if (index >= lazy->image->size()) return nullptr;
  const uint32_t f = (*lazy->image)[index];
  return f == 0 ? nullptr : lazy->instance->func_ref(f - 1);
}

Instance* Instance::FromVMContext(const void* vmctx) {
  return static_cast<Instance*>(
      static_cast<const abi::VMContextHeader*>(vmctx)->instance);
}

namespace {
// The instance object sits at the start of its block, the VMContext after
// it at this alignment.
constexpr uint64_t kVMContextAlign = 64;
uint64_t InstanceHeaderBytes() {
  return (sizeof(Instance) + kVMContextAlign - 1) / kVMContextAlign *
         kVMContextAlign;
}
constexpr uint64_t RoundUp16(uint64_t n) { return (n + 15) / 16 * 16; }
constexpr uint64_t kMemoryObjectBytes = RoundUp16(sizeof(LinearMemory));
constexpr uint64_t kTableObjectBytes = RoundUp16(sizeof(Table));
static_assert(alignof(LinearMemory) <= 16 && alignof(Table) <= 16);

// The defined functions' funcrefs, as offsets in the instance block:
// filled lazily (so sparsely), and the same for every instance of one
// module in one pool slot (code, type id, the slot's VMContext), which
// lets the pool keep them (PoolingAllocator::RecordInstanceBytes).
std::pair<uint64_t, uint64_t> DefinedFuncRefRange(
    const wasm::ModuleInfo& module, const abi::VMOffsets& offsets) {
  const uint64_t vmctx_at = InstanceHeaderBytes();
  return {vmctx_at + offsets.FuncRef(module.num_imported_functions),
          vmctx_at + offsets.FuncRef(
                         static_cast<uint32_t>(module.functions.size()))};
}
}  // namespace

Instance::~Instance() = default;

void Instance::operator delete(Instance* instance, std::destroying_delete_t) {
  InstanceAllocator* allocator = instance->allocator_;
  const InstanceAllocation allocation = instance->allocation_;
  const InstanceRequest request = instance->request_;
  for (uint32_t k = 0; k < instance->owned_memories_.size(); ++k) {
    allocator->DeallocateMemory(allocation, k, instance->owned_memories_[k]);
  }
  for (uint32_t k = 0; k < instance->owned_tables_.size(); ++k) {
    allocator->DeallocateTable(allocation, k, instance->owned_tables_[k]);
  }
  instance->~Instance();
  allocator->DeallocateInstance(allocation, request);
}

abi::VMGlobalDefinition* Instance::global(uint32_t index) const {
  if (index < module_->num_imported_globals) {
    return reinterpret_cast<const abi::VMGlobalImport*>(
               At(offsets_.ImportedGlobal(index)))
        ->from;
  }
  return reinterpret_cast<abi::VMGlobalDefinition*>(
      At(offsets_.DefinedGlobal(index - module_->num_imported_globals)));
}

absl::StatusOr<std::unique_ptr<Instance>> Instance::Create(
    const InstanceConfig& config) {
  const wasm::ModuleInfo* module = config.module;
  if (module == nullptr || config.limits == nullptr) {
    return absl::InvalidArgumentError(
        "Instance::Create: module and limits are required");
  }
  const uint32_t num_defined_functions =
      static_cast<uint32_t>(module->functions.size()) -
      module->num_imported_functions;
  auto count_error = [](const char* what, size_t want, size_t got) {
    return absl::InvalidArgumentError(
        absl::StrCat("Instance::Create: expected ", want, " ", what, ", got ",
                     got));
  };
  if (config.type_ids.size() != module->types.size()) {
    return count_error("type ids", module->types.size(), config.type_ids.size());
  }
  if (config.function_code.size() != num_defined_functions) {
    return count_error("defined function code pointers", num_defined_functions,
                       config.function_code.size());
  }
  if (config.imported_functions.size() != module->num_imported_functions) {
    return count_error("imported functions", module->num_imported_functions,
                       config.imported_functions.size());
  }
  if (config.imported_tables.size() != module->num_imported_tables) {
    return count_error("imported tables", module->num_imported_tables,
                       config.imported_tables.size());
  }
  if (config.imported_memories.size() != module->num_imported_memories) {
    return count_error("imported memories", module->num_imported_memories,
                       config.imported_memories.size());
  }
  if (config.imported_globals.size() != module->num_imported_globals) {
    return count_error("imported globals", module->num_imported_globals,
                       config.imported_globals.size());
  }

  const abi::VMOffsets offsets =
      config.offsets != nullptr ? *config.offsets
                                : abi::VMOffsets(InstanceCountsFor(*module));
  const abi::VMOffsetsCounts& counts = offsets.counts();
  InstanceAllocator* allocator = config.allocator != nullptr
                                     ? config.allocator
                                     : &OnDemandAllocator::Default();
  const uint64_t header_bytes = InstanceHeaderBytes();
  // Block: instance object | VMContext | imported functions' type ids |
  // room for the LinearMemory and Table objects of the defined memories
  // and tables (used by allocators that build them in place).
  const uint64_t objects_at =
      RoundUp16(header_bytes + offsets.size() +
                sizeof(uint32_t) * counts.num_imported_functions);
  const uint64_t tables_at =
      objects_at + counts.num_defined_memories * kMemoryObjectBytes;
  InstanceRequest request;
  request.block_bytes =
      tables_at + counts.num_defined_tables * kTableObjectBytes;
  request.defined_memories = counts.num_defined_memories;
  request.defined_tables = counts.num_defined_tables;
  std::tie(request.sparse_begin, request.sparse_end) =
      DefinedFuncRefRange(*module, offsets);
  request.module_id = config.module_id;
  absl::StatusOr<InstanceAllocation> allocation =
      allocator->AllocateInstance(request);
  if (!allocation.ok()) return allocation.status();
  void* block = allocation->block;
  // From here on, destroying `instance` gives the block back.
  std::unique_ptr<Instance> instance(new (block) Instance());
  instance->allocator_ = allocator;
  instance->allocation_ = *allocation;
  instance->request_ = request;
  instance->module_ = module;
  instance->offsets_ = offsets;
  const abi::VMOffsets& o = instance->offsets_;
  instance->vmctx_ = static_cast<uint8_t*>(block) + header_bytes;
  instance->limiter_ = config.limiter;
  instance->function_code_ = config.function_code.data();
  instance->type_ids_ = config.type_ids.data();
  instance->import_type_ids_ = reinterpret_cast<uint32_t*>(
      static_cast<uint8_t*>(instance->vmctx_) + o.size());
  for (uint32_t i = 0; i < config.imported_functions.size(); ++i) {
    instance->import_type_ids_[i] = config.imported_functions[i].type_id;
  }

  auto* header = static_cast<abi::VMContextHeader*>(instance->vmctx_);
  header->magic = abi::kVMContextMagic;
  header->runtime_limits = config.limits;
  header->store = config.store;
  header->type_ids = config.type_ids.data();
  header->builtins = BuiltinTable();
  header->instance = instance.get();

  // Imports.
  for (uint32_t i = 0; i < module->num_imported_functions; ++i) {
    auto* slot = reinterpret_cast<abi::VMFunctionImport*>(
        instance->At(o.ImportedFunction(i)));
    slot->code = config.imported_functions[i].code;
    slot->vmctx = config.imported_functions[i].vmctx;
  }
  for (uint32_t i = 0; i < module->num_imported_tables; ++i) {
    Table* table = config.imported_tables[i].table;
    if (table == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Instance::Create: imported table ", i, " is null"));
    }
    auto* slot =
        reinterpret_cast<abi::VMTableImport*>(instance->At(o.ImportedTable(i)));
    slot->from = const_cast<abi::VMTableDefinition*>(&table->definition());
    slot->vmctx = config.imported_tables[i].vmctx;
    instance->tables_.push_back(table);
  }
  for (uint32_t i = 0; i < module->num_imported_memories; ++i) {
    LinearMemory* memory = config.imported_memories[i].memory;
    if (memory == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Instance::Create: imported memory ", i, " is null"));
    }
    auto* slot = reinterpret_cast<abi::VMMemoryImport*>(
        instance->At(o.ImportedMemory(i)));
    slot->from = const_cast<abi::VMMemoryDefinition*>(&memory->definition());
    slot->vmctx = config.imported_memories[i].vmctx;
    instance->memories_.push_back(memory);
  }
  for (uint32_t i = 0; i < module->num_imported_globals; ++i) {
    abi::VMGlobalDefinition* def = config.imported_globals[i].definition;
    if (def == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Instance::Create: imported global ", i, " is null"));
    }
    reinterpret_cast<abi::VMGlobalImport*>(instance->At(o.ImportedGlobal(i)))
        ->from = def;
  }

  // Defined memories.
  instance->memory_from_image_.assign(module->memories.size(), false);
  for (uint32_t i = module->num_imported_memories; i < module->memories.size();
       ++i) {
    const wasm::Limits& limits = module->memories[i].type.limits;
    if (absl::Status s = AdmitMemory(
            config.limiter, "Instance::Create: memory", i, limits.min,
            limits.max.has_value() ? std::optional<uint64_t>(*limits.max)
                                   : std::nullopt);
        !s.ok()) {
      return s;
    }
    const uint32_t defined = i - module->num_imported_memories;
    const std::optional<uint64_t> max_pages =
        limits.max.has_value() ? std::optional<uint64_t>(*limits.max)
                               : std::nullopt;
    MemoryRequest memory_request;
    memory_request.index = i;
    memory_request.defined = defined;
    memory_request.min_pages = limits.min;
    memory_request.max_pages = max_pages;
    memory_request.options = config.memory_options;
    memory_request.options.index64 = module->memories[i].type.is64;
    memory_request.options.shared = module->memories[i].type.shared;
    memory_request.image = defined < config.memory_images.size()
                               ? config.memory_images[defined]
                               : nullptr;
    memory_request.image_id = config.module_id;
    memory_request.where =
        static_cast<uint8_t*>(block) + objects_at + defined * kMemoryObjectBytes;
    absl::StatusOr<LinearMemory*> created =
        allocator->AllocateMemory(instance->allocation_, memory_request);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("Instance::Create: memory ", i, ": ",
                                       created.status().message()));
    }
    LinearMemory* memory = *created;
    instance->owned_memories_.push_back(memory);
    instance->memory_from_image_[i] = memory_request.image != nullptr;
    memory->BindDefinition(reinterpret_cast<abi::VMMemoryDefinition*>(
        instance->At(o.DefinedMemory(defined))));
    instance->memories_.push_back(memory);
  }

  const bool lazy_tables =
      config.table_images != nullptr && config.funcref_table_init_bit &&
      config.table_images->tables.size() ==
          module->tables.size() - module->num_imported_tables;
  if (lazy_tables) {
    instance->lazy_tables_.resize(config.table_images->tables.size());
    instance->elems_from_image_ = true;
  }
  // Defined tables (initialised to null; wasm 2.0 has no table initializer
  // expressions).
  for (uint32_t i = module->num_imported_tables; i < module->tables.size();
       ++i) {
    const wasm::TableType& type = module->tables[i].type;
    if (absl::Status s = AdmitTable(
            config.limiter, "Instance::Create: table", i, type.limits.min,
            type.limits.max.has_value() ? std::optional<uint64_t>(*type.limits.max)
                                        : std::nullopt);
        !s.ok()) {
      return s;
    }
    const uint32_t defined = i - module->num_imported_tables;
    const bool lazy = lazy_tables && type.elem_type == wasm::ValType::kFuncRef;
    TableRequest table_request;
    table_request.index = i;
    table_request.defined = defined;
    table_request.elem_type = type.elem_type;
    table_request.min = type.limits.min;
    table_request.max = type.limits.max;
    table_request.init_bit = config.funcref_table_init_bit;
    table_request.leave_zero = lazy;
    table_request.where =
        static_cast<uint8_t*>(block) + tables_at + defined * kTableObjectBytes;
    absl::StatusOr<Table*> created =
        allocator->AllocateTable(instance->allocation_, table_request);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("Instance::Create: table ", i, ": ",
                                       created.status().message()));
    }
    Table* table = *created;
    instance->owned_tables_.push_back(table);
    if (lazy) {
      LazyTable& lazy_table = instance->lazy_tables_[defined];
      lazy_table.instance = instance.get();
      lazy_table.image = &config.table_images->tables[defined];
      // Created zero, pooled or not.
      if (absl::Status s = table->MakeLazy(&ResolveLazySlot, &lazy_table,
                                           /*slots_are_zero=*/true);
          !s.ok()) {
        return s;
      }
    }
    table->BindDefinition(reinterpret_cast<abi::VMTableDefinition*>(
        instance->At(o.DefinedTable(defined))));
    instance->tables_.push_back(table);
  }

  // Defined globals, in order (an initializer may read earlier globals).
  for (uint32_t i = module->num_imported_globals; i < module->globals.size();
       ++i) {
    auto* def = reinterpret_cast<abi::VMGlobalDefinition*>(instance->At(
        o.DefinedGlobal(i - module->num_imported_globals)));
    instance->EvalConstExpr(module->globals[i].init, def);
  }
  return instance;
}

abi::VMFuncRef* Instance::func_ref(uint32_t func_index) const {
  auto* ref =
      reinterpret_cast<abi::VMFuncRef*>(At(offsets_.FuncRef(func_index)));
  // Filled once vmctx is set (an import with a null vmctx is refilled,
  // idempotently, on every call).
  if (ref->vmctx != nullptr) return ref;
  if (func_index < module_->num_imported_functions) {
    const auto* import = reinterpret_cast<const abi::VMFunctionImport*>(
        At(offsets_.ImportedFunction(func_index)));
    ref->code = import->code;
    ref->type_id = import_type_ids_[func_index];
    ref->vmctx = import->vmctx;
  } else {
    ref->code = function_code_[func_index - module_->num_imported_functions];
    ref->type_id = type_ids_[module_->functions[func_index].type_index];
    ref->vmctx = vmctx_;
  }
  return ref;
}

void Instance::EvalConstExpr(const wasm::ConstExpr& expr,
                             abi::VMGlobalDefinition* out) const {
  std::memset(out->storage, 0, sizeof(out->storage));
  using Kind = wasm::ConstExpr::Kind;
  switch (expr.kind) {
    case Kind::kI32Const:
    case Kind::kF32Const: {
      const auto v = static_cast<uint32_t>(expr.bits);
      std::memcpy(out->storage, &v, 4);
      break;
    }
    case Kind::kI64Const:
    case Kind::kF64Const:
      std::memcpy(out->storage, &expr.bits, 8);
      break;
    case Kind::kV128Const:
      std::memcpy(out->storage, expr.v128.data(), 16);
      break;
    case Kind::kRefNull:
    case Kind::kRefFunc: {
      void* ref = EvalRef(expr);
      std::memcpy(out->storage, &ref, sizeof(ref));
      break;
    }
    case Kind::kGlobalGet:
      std::memcpy(out->storage, global(expr.index)->storage, 16);
      break;
    case Kind::kExtended: {
      const uint64_t v = wasm::EvalConstOps(expr.ops, [this](uint32_t g) {
        uint64_t bits;
        std::memcpy(&bits, global(g)->storage, 8);
        return bits;
      });
      // i32 results are already zero-extended: 4 or 8 bytes read the same.
      std::memcpy(out->storage, &v, 8);
      break;
    }
  }
}

void* Instance::EvalRef(const wasm::ConstExpr& expr) const {
  switch (expr.kind) {
    case wasm::ConstExpr::Kind::kRefFunc:
      return func_ref(expr.index);
    case wasm::ConstExpr::Kind::kGlobalGet: {
      void* ref;
      std::memcpy(&ref, global(expr.index)->storage, sizeof(ref));
      return ref;
    }
    default:
      return nullptr;  // ref.null (validation rules out anything else)
  }
}

std::optional<TrapCode> Instance::Initialize() {
  using wasm::SegmentMode;
  for (uint32_t i = 0; i < module_->elem_segments.size(); ++i) {
    const wasm::ElemSegment& seg = module_->elem_segments[i];
    if (seg.mode == SegmentMode::kActive && !elems_from_image_) {
      abi::VMGlobalDefinition offset;
      EvalConstExpr(seg.offset, &offset);
      uint32_t dst;
      std::memcpy(&dst, offset.storage, 4);
      if (auto trap = TableInit(seg.table_index, i, dst, 0,
                                static_cast<uint32_t>(seg.items.size()))) {
        return trap;
      }
    }
    if (seg.mode != SegmentMode::kPassive) ElemDrop(i);
  }
  for (uint32_t i = 0; i < module_->data_segments.size(); ++i) {
    const wasm::DataSegment& seg = module_->data_segments[i];
    if (seg.mode != SegmentMode::kActive) continue;
    if (memory_from_image_[seg.memory_index]) {  // there, cannot trap
      DataDrop(i);
      continue;
    }
    abi::VMGlobalDefinition offset;
    EvalConstExpr(seg.offset, &offset);
    uint32_t dst32;
    uint64_t dst64;
    std::memcpy(&dst32, offset.storage, 4);
    std::memcpy(&dst64, offset.storage, 8);
    const uint64_t dst =
        module_->memories[seg.memory_index].type.is64 ? dst64 : dst32;
    if (auto trap = MemoryInit(seg.memory_index, i, dst, 0, seg.data_size)) {
      return trap;
    }
    DataDrop(i);
  }
  return std::nullopt;
}

namespace {
// A limiter error becomes a trap. RaiseTrap skips destructors, so the
// Status is handed to the limiter and reset to OK (which owns nothing) in
// here first.
ABSL_ATTRIBUTE_NOINLINE bool TrapPending(ResourceLimiterHook* limiter,
                                         LimitedGrow& grow) {
  if (grow.error.ok()) return false;
  if (!InWasmActivation()) return false;  // host caller: plain -1
  limiter->OnTrap(grow.error);
  grow.error = absl::OkStatus();
  return true;
}
}  // namespace

int64_t Instance::MemoryGrow(uint32_t memory_index, uint64_t delta_pages) {
  if (limiter_ == nullptr) return memories_[memory_index]->Grow(delta_pages);
  LimitedGrow grow = GrowMemory(*memories_[memory_index], delta_pages, limiter_);
  if (TrapPending(limiter_, grow)) RaiseTrap(TrapCode::kHostError);
  return grow.old;
}

namespace {
// [at, at + len) within `size` bytes, without wrapping (u64 operands).
bool RangeInBounds(uint64_t at, uint64_t len, uint64_t size) {
  return len <= size && at <= size - len;
}
}  // namespace

std::optional<TrapCode> Instance::MemoryFill(uint32_t memory_index,
                                             uint64_t dst, uint8_t value,
                                             uint64_t len) {
  LinearMemory* m = memories_[memory_index];
  if (!RangeInBounds(dst, len, m->size_bytes())) {
    return TrapCode::kMemoryOutOfBounds;
  }
  std::memset(m->base() + dst, value, len);
  return std::nullopt;
}

std::optional<TrapCode> Instance::MemoryCopy(uint32_t dst_memory,
                                             uint32_t src_memory, uint64_t dst,
                                             uint64_t src, uint64_t len) {
  LinearMemory* d = memories_[dst_memory];
  LinearMemory* s = memories_[src_memory];
  if (!RangeInBounds(dst, len, d->size_bytes()) ||
      !RangeInBounds(src, len, s->size_bytes())) {
    return TrapCode::kMemoryOutOfBounds;
  }
  std::memmove(d->base() + dst, s->base() + src, len);
  return std::nullopt;
}

std::optional<TrapCode> Instance::MemoryInit(uint32_t memory_index,
                                             uint32_t data_index, uint64_t dst,
                                             uint64_t src, uint64_t len) {
  LinearMemory* m = memories_[memory_index];
  absl::Span<const uint8_t> data;
  if (!data_dropped(data_index)) {
    data = module_->DataBytes(module_->data_segments[data_index]);
  }
  if (!RangeInBounds(src, len, data.size()) ||
      !RangeInBounds(dst, len, m->size_bytes())) {
    return TrapCode::kMemoryOutOfBounds;
  }
  if (len > 0) std::memcpy(m->base() + dst, data.data() + src, len);
  return std::nullopt;
}

void Instance::DataDrop(uint32_t data_index) {
  *At(offsets_.DataDropped(data_index)) = 1;
}

std::optional<TrapCode> Instance::TableGet(uint32_t table_index,
                                           uint32_t index, void** out) {
  if (!tables_[table_index]->Get(index, out)) return TrapCode::kTableOutOfBounds;
  return std::nullopt;
}

std::optional<TrapCode> Instance::TableSet(uint32_t table_index,
                                           uint32_t index, void* value) {
  if (!tables_[table_index]->Set(index, value)) {
    return TrapCode::kTableOutOfBounds;
  }
  return std::nullopt;
}

int32_t Instance::TableGrow(uint32_t table_index, uint32_t delta, void* init) {
  if (limiter_ == nullptr) {
    return static_cast<int32_t>(tables_[table_index]->Grow(delta, init));
  }
  LimitedGrow grow = GrowTable(*tables_[table_index], delta, init, limiter_);
  if (TrapPending(limiter_, grow)) RaiseTrap(TrapCode::kHostError);
  return static_cast<int32_t>(grow.old);
}

std::optional<TrapCode> Instance::TableFill(uint32_t table_index,
                                            uint32_t dst, void* value,
                                            uint32_t len) {
  if (!tables_[table_index]->Fill(dst, value, len)) {
    return TrapCode::kTableOutOfBounds;
  }
  return std::nullopt;
}

std::optional<TrapCode> Instance::TableCopy(uint32_t dst_table,
                                            uint32_t src_table, uint32_t dst,
                                            uint32_t src, uint32_t len) {
  if (!Table::Copy(*tables_[dst_table], dst, *tables_[src_table], src, len)) {
    return TrapCode::kTableOutOfBounds;
  }
  return std::nullopt;
}

std::optional<TrapCode> Instance::TableInit(uint32_t table_index,
                                            uint32_t elem_index, uint32_t dst,
                                            uint32_t src, uint32_t len) {
  Table* table = tables_[table_index];
  const std::vector<wasm::ConstExpr>* items = nullptr;
  if (!elem_dropped(elem_index)) {
    items = &module_->elem_segments[elem_index].items;
  }
  const uint64_t num_items = items == nullptr ? 0 : items->size();
  if (uint64_t{src} + len > num_items || uint64_t{dst} + len > table->size()) {
    return TrapCode::kTableOutOfBounds;
  }
  for (uint32_t i = 0; i < len; ++i) {
    table->Set(dst + i, EvalRef((*items)[src + i]));
  }
  return std::nullopt;
}

void Instance::ElemDrop(uint32_t elem_index) {
  *At(offsets_.ElemDropped(elem_index)) = 1;
}

}  // namespace kiln::runtime
