#include "runtime/vm/table.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<std::unique_ptr<Table>> Table::Create(
    wasm::ValType elem_type, uint32_t min, std::optional<uint32_t> max,
    void* init, bool init_bit, bool leave_zero) {
  if (!wasm::IsRefType(elem_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Table::Create: element type ",
                     wasm::ValTypeName(elem_type), " is not a reference type"));
  }
  if (max.has_value() && *max < min) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Table::Create: maximum ", *max, " is below the minimum ", min));
  }
  if (min > kMaxElements) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "Table::Create: ", min, " elements exceed the limit of ",
        kMaxElements));
  }
  std::unique_ptr<Table> table(new Table());
  table->elem_type_ = elem_type;
  table->init_bit_ = init_bit;
  table->max_ = max;
  table->limit_ = std::min<uint64_t>(max.value_or(kMaxElements), kMaxElements);
  // Small bounded tables never move.
  if (table->limit_ <= 4096) table->owned_.reserve(table->limit_);
  table->owned_.assign(min, leave_zero ? uintptr_t{0} : table->Encode(init));
  table->slots_ = table->owned_.data();
  table->size_ = min;
  table->Publish();
  return table;
}

absl::StatusOr<Table*> Table::CreateInStorage(
    void* where, wasm::ValType elem_type, uint32_t min,
    std::optional<uint32_t> max, void* init, bool init_bit,
    uintptr_t* storage, uint64_t capacity, bool leave_zero) {
  if (storage == nullptr || min > capacity) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "Table::CreateInStorage: ", min,
        " elements do not fit the storage of ", capacity));
  }
  if (!wasm::IsRefType(elem_type) || (max.has_value() && *max < min)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Table::CreateInStorage: invalid element type ",
        wasm::ValTypeName(elem_type), " or maximum below the minimum ", min));
  }
  auto* table = new (where) Table();
  Table& t = *table;
  t.elem_type_ = elem_type;
  t.init_bit_ = init_bit;
  t.max_ = max;
  t.external_ = true;
  t.limit_ = std::min<uint64_t>(
      {max.value_or(kMaxElements), kMaxElements, capacity});
  t.slots_ = storage;
  t.size_ = min;
  const uintptr_t encoded = t.Encode(init);
  if (encoded != 0 && !leave_zero) {
    std::fill_n(storage, min, encoded);
    t.NoteWritten(0, min);
  }
  t.Publish();
  return table;
}

absl::Status Table::MakeLazy(LazyResolver resolver, void* ctx,
                             bool slots_are_zero) {
  if (elem_type_ != wasm::ValType::kFuncRef || !init_bit_ ||
      resolver == nullptr) {
    return absl::FailedPreconditionError(
        "Table::MakeLazy: only funcref tables with the init bit can be lazy");
  }
  resolver_ = resolver;
  resolver_ctx_ = ctx;
  if (!slots_are_zero) {
    std::fill_n(slots_, size_, uintptr_t{0});
    NoteWritten(0, size_);
  }
  return absl::OkStatus();
}

void* Table::ResolveSlot(uint32_t index) const {
  uintptr_t raw = slots_[index];
  if (raw == 0 && resolver_ != nullptr) {
    raw = Encode(resolver_(resolver_ctx_, index));
    slots_[index] = raw;
    NoteWritten(index, 1);
  }
  return Decode(raw);
}

bool Table::Get(uint32_t index, void** out) const {
  if (index >= size_) return false;
  *out = ResolveSlot(index);
  return true;
}

bool Table::Set(uint32_t index, void* value) {
  if (index >= size_) return false;
  slots_[index] = Encode(value);
  NoteWritten(index, 1);
  return true;
}

int64_t Table::Grow(uint32_t delta, void* init) {
  const uint64_t old_size = size_;
  if (delta == 0) return static_cast<int64_t>(old_size);
  if (old_size + delta > limit_) return -1;
  if (external_) {  // limit_ <= capacity: the storage is there already
    std::fill_n(slots_ + old_size, delta, Encode(init));
  } else {
    owned_.resize(old_size + delta, Encode(init));
    slots_ = owned_.data();
  }
  NoteWritten(old_size, delta);
  size_ = static_cast<uint32_t>(old_size + delta);
  Publish();
  return static_cast<int64_t>(old_size);
}

bool Table::Fill(uint32_t dst, void* value, uint32_t len) {
  if (uint64_t{dst} + len > size_) return false;
  std::fill_n(slots_ + dst, len, Encode(value));
  NoteWritten(dst, len);
  return true;
}

bool Table::Copy(Table& dst_table, uint32_t dst, const Table& src_table,
                 uint32_t src, uint32_t len) {
  if (uint64_t{dst} + len > dst_table.size_ ||
      uint64_t{src} + len > src_table.size_) {
    return false;
  }
  if (len == 0) return true;
  dst_table.NoteWritten(dst, len);
  if (src_table.lazy()) {  // materialise the source range first
    for (uint32_t i = 0; i < len; ++i) src_table.ResolveSlot(src + i);
  }
  if (dst_table.Encode(nullptr) == src_table.Encode(nullptr)) {
    std::memmove(dst_table.slots_ + dst, src_table.slots_ + src,
                 len * sizeof(uintptr_t));
  } else {  // different encodings: decode and re-encode, overlap-safe
    for (uint32_t i = 0; i < len; ++i) {
      const uint32_t k = (dst <= src) ? i : len - 1 - i;
      dst_table.slots_[dst + k] =
          dst_table.Encode(src_table.Decode(src_table.slots_[src + k]));
    }
  }
  return true;
}

bool Table::Init(uint32_t dst, absl::Span<void* const> items, uint32_t src,
                 uint32_t len) {
  if (uint64_t{src} + len > items.size() ||
      uint64_t{dst} + len > size_) {
    return false;
  }
  for (uint32_t i = 0; i < len; ++i) slots_[dst + i] = Encode(items[src + i]);
  NoteWritten(dst, len);
  return true;
}

void Table::BindDefinition(abi::VMTableDefinition* target) {
  bound_ = target;
  Publish();
}

void Table::Publish() {
  definition_.base = reinterpret_cast<void**>(slots_);
  definition_.size = size_;
  if (bound_ != nullptr) *bound_ = definition_;
}

}  // namespace kiln::runtime
