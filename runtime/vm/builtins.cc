#include "runtime/vm/builtins.h"

#include <atomic>
#include <cstdint>
#include <optional>

#include "runtime/abi/builtins.h"
#include "runtime/abi/trap_code.h"
#include "runtime/traps/entry.h"
#include "runtime/vm/instance.h"

namespace kiln::runtime {
namespace {

using abi::TrapCode;

Instance* Self(void* vmctx) { return Instance::FromVMContext(vmctx); }

// Raises if `trap` is set. Takes the code by value so no object with a
// destructor is alive in the caller when it unwinds.
inline void MaybeRaise(std::optional<TrapCode> trap) {
  if (trap.has_value()) RaiseTrap(*trap);
}

// The memory builtins for 32-bit memories (T = uint32_t) and 64-bit ones
// (T = uint64_t, memory64): addresses, lengths and page counts are T.
template <class T>
T MemoryGrow(void* vmctx, uint32_t memory_index, T delta) {
  return static_cast<T>(Self(vmctx)->MemoryGrow(memory_index, delta));
}
template <class T>
void MemoryFill(void* vmctx, uint32_t memory_index, T dst, uint32_t value,
                T len) {
  MaybeRaise(Self(vmctx)->MemoryFill(memory_index, dst,
                                     static_cast<uint8_t>(value), len));
}
template <class T>
void MemoryCopy(void* vmctx, uint32_t dst_memory, uint32_t src_memory, T dst,
                T src, T len) {
  MaybeRaise(Self(vmctx)->MemoryCopy(dst_memory, src_memory, dst, src, len));
}
template <class T>
void MemoryInit(void* vmctx, uint32_t memory_index, uint32_t data_index,
                T dst, T src, T len) {
  MaybeRaise(Self(vmctx)->MemoryInit(memory_index, data_index, dst, src, len));
}
void DataDrop(void* vmctx, uint32_t data_index) {
  Self(vmctx)->DataDrop(data_index);
}
void* TableGet(void* vmctx, uint32_t table_index, uint32_t index) {
  void* value = nullptr;
  MaybeRaise(Self(vmctx)->TableGet(table_index, index, &value));
  return value;
}
void TableSet(void* vmctx, uint32_t table_index, uint32_t index, void* value) {
  MaybeRaise(Self(vmctx)->TableSet(table_index, index, value));
}
uint32_t TableGrow(void* vmctx, uint32_t table_index, uint32_t delta,
                   void* init) {
  return static_cast<uint32_t>(Self(vmctx)->TableGrow(table_index, delta, init));
}
void TableFill(void* vmctx, uint32_t table_index, uint32_t dst, void* value,
               uint32_t len) {
  MaybeRaise(Self(vmctx)->TableFill(table_index, dst, value, len));
}
void TableCopy(void* vmctx, uint32_t dst_table, uint32_t src_table,
               uint32_t dst, uint32_t src, uint32_t len) {
  MaybeRaise(Self(vmctx)->TableCopy(dst_table, src_table, dst, src, len));
}
void TableInit(void* vmctx, uint32_t table_index, uint32_t elem_index,
               uint32_t dst, uint32_t src, uint32_t len) {
  MaybeRaise(Self(vmctx)->TableInit(table_index, elem_index, dst, src, len));
}
uint32_t TableSize(void* vmctx, uint32_t table_index) {
  return Self(vmctx)->table(table_index)->size();
}
void ElemDrop(void* vmctx, uint32_t elem_index) {
  Self(vmctx)->ElemDrop(elem_index);
}
void* RefFunc(void* vmctx, uint32_t func_index) {
  return Self(vmctx)->func_ref(func_index);
}
// Compiled code found a slot without the init bit: resolve it (lazy
// tables) and return the decoded value.
void* TableGetLazyInit(void* vmctx, uint32_t table_index, uint32_t index) {
  Table* table = Self(vmctx)->table(table_index);
  if (index >= table->size()) RaiseTrap(TrapCode::kTableOutOfBounds);
  return table->ResolveSlot(index);
}
void RaiseTrapBuiltin(void* vmctx, uint32_t trap_code) {
  (void)vmctx;
  const std::optional<TrapCode> code =
      abi::TrapCodeFromInt(static_cast<int>(trap_code));
  RaiseTrap(code.value_or(TrapCode::kUnreachableCodeReached));
}

// Compiled code saw *epoch_ptr >= epoch_deadline. The store's policy
// (set by the engine, which owns the deadline callback) either moves the
// deadline and we return to the re-check, or we trap. The policy runs to
// completion before RaiseTrap, so its C++ locals are destroyed.
void NewEpoch(void* vmctx) {
  const auto* header = static_cast<const abi::VMContextHeader*>(vmctx);
  abi::VMRuntimeLimits* limits = header->runtime_limits;
  if (limits->on_epoch_deadline != nullptr &&
      limits->on_epoch_deadline(header->store)) {
    return;
  }
  RaiseTrap(TrapCode::kInterrupt);
}

// Compiled code saw fuel_consumed >= 0. The store's policy (a fuel yield
// interval: refuel from the reserve and yield) returns true when it added
// fuel, and compiled code re-checks; else OutOfFuel traps, as the policy
// has returned (its C++ locals are gone).
void OutOfFuel(void* vmctx) {
  const auto* header = static_cast<const abi::VMContextHeader*>(vmctx);
  abi::VMRuntimeLimits* limits = header->runtime_limits;
  if (limits->on_out_of_fuel != nullptr &&
      limits->on_out_of_fuel(header->store)) {
    return;
  }
  RaiseTrap(TrapCode::kOutOfFuel);
}

// Threads. The trap (alignment first, as the spec's interpreter checks it,
// then bounds) of an atomic access of `bytes` at `addr`, if any.
std::optional<TrapCode> CheckAtomicAccess(const LinearMemory* memory,
                                          uint64_t addr, uint64_t bytes) {
  if (addr % bytes != 0) return TrapCode::kHeapMisaligned;
  if (addr + bytes > memory->size_bytes()) return TrapCode::kMemoryOutOfBounds;
  return std::nullopt;
}

uint32_t MemoryAtomicNotify(void* vmctx, uint32_t memory_index, uint64_t addr,
                            uint32_t count) {
  uint32_t woken = 0;
  std::optional<TrapCode> trap;
  {
    LinearMemory* memory = Self(vmctx)->memory(memory_index);
    trap = CheckAtomicAccess(memory, addr, 4);
    // An unshared memory has no waiters: nothing to wake.
    if (!trap.has_value() && memory->shared()) {
      woken = memory->parking_lot()->Notify(
          reinterpret_cast<uintptr_t>(memory->base() + addr), count);
    }
  }
  MaybeRaise(trap);
  return woken;
}

template <typename T>
uint32_t AtomicWait(void* vmctx, uint32_t memory_index, uint64_t addr,
                    T expected, int64_t timeout_ns) {
  uint32_t result = 0;
  std::optional<TrapCode> trap;
  {
    LinearMemory* memory = Self(vmctx)->memory(memory_index);
    trap = CheckAtomicAccess(memory, addr, sizeof(T));
    if (!trap.has_value() && !memory->shared()) {
      trap = TrapCode::kAtomicWaitNonSharedMemory;
    }
    if (!trap.has_value()) {
      T* p = reinterpret_cast<T*>(memory->base() + addr);
      const std::optional<uint64_t> timeout =
          timeout_ns < 0 ? std::nullopt
                         : std::optional<uint64_t>(
                               static_cast<uint64_t>(timeout_ns));
      result = static_cast<uint32_t>(memory->parking_lot()->Park(
          reinterpret_cast<uintptr_t>(p),
          [&] {
            return std::atomic_ref<T>(*p).load(std::memory_order_seq_cst) ==
                   expected;
          },
          timeout));
    }
  }
  MaybeRaise(trap);
  return result;
}

uint32_t MemoryAtomicWait32(void* vmctx, uint32_t memory_index, uint64_t addr,
                            uint32_t expected, uint64_t timeout_ns) {
  return AtomicWait<uint32_t>(vmctx, memory_index, addr, expected,
                              static_cast<int64_t>(timeout_ns));
}
uint32_t MemoryAtomicWait64(void* vmctx, uint32_t memory_index, uint64_t addr,
                            uint64_t expected, uint64_t timeout_ns) {
  return AtomicWait<uint64_t>(vmctx, memory_index, addr, expected,
                              static_cast<int64_t>(timeout_ns));
}

// The .def's machine types as C types: each row's signature becomes a
// function pointer type the implementation must convert to exactly.
namespace sig {
using Ptr = void*;
using I32 = uint32_t;
using I64 = uint64_t;
using Void = void;
}  // namespace sig

#define KILN_BUILTIN_IMPL_RaiseTrap RaiseTrapBuiltin
#define KILN_BUILTIN_IMPL(name) KILN_BUILTIN_IMPL_##name

}  // namespace

const void* const* BuiltinTable() {
  using namespace sig;
  static const void* const kTable[] = {
#define KILN_BUILTIN_IMPL_MemoryGrow MemoryGrow<uint32_t>
#define KILN_BUILTIN_IMPL_MemoryFill MemoryFill<uint32_t>
#define KILN_BUILTIN_IMPL_MemoryCopy MemoryCopy<uint32_t>
#define KILN_BUILTIN_IMPL_MemoryInit MemoryInit<uint32_t>
#define KILN_BUILTIN_IMPL_DataDrop DataDrop
#define KILN_BUILTIN_IMPL_TableGet TableGet
#define KILN_BUILTIN_IMPL_TableSet TableSet
#define KILN_BUILTIN_IMPL_TableGrow TableGrow
#define KILN_BUILTIN_IMPL_TableFill TableFill
#define KILN_BUILTIN_IMPL_TableCopy TableCopy
#define KILN_BUILTIN_IMPL_TableInit TableInit
#define KILN_BUILTIN_IMPL_TableSize TableSize
#define KILN_BUILTIN_IMPL_ElemDrop ElemDrop
#define KILN_BUILTIN_IMPL_RefFunc RefFunc
#define KILN_BUILTIN_IMPL_TableGetLazyInit TableGetLazyInit
#define KILN_BUILTIN_IMPL_NewEpoch NewEpoch
#define KILN_BUILTIN_IMPL_OutOfFuel OutOfFuel
#define KILN_BUILTIN_IMPL_MemoryGrow64 MemoryGrow<uint64_t>
#define KILN_BUILTIN_IMPL_MemoryFill64 MemoryFill<uint64_t>
#define KILN_BUILTIN_IMPL_MemoryCopy64 MemoryCopy<uint64_t>
#define KILN_BUILTIN_IMPL_MemoryInit64 MemoryInit<uint64_t>
#define KILN_BUILTIN_IMPL_MemoryAtomicNotify MemoryAtomicNotify
#define KILN_BUILTIN_IMPL_MemoryAtomicWait32 MemoryAtomicWait32
#define KILN_BUILTIN_IMPL_MemoryAtomicWait64 MemoryAtomicWait64
#define KILN_BUILTIN(name, result, params) \
  reinterpret_cast<const void*>(           \
      static_cast<result(*) params>(&KILN_BUILTIN_IMPL(name))),
#include "runtime/abi/builtins.def"
#undef KILN_BUILTIN
  };
  static_assert(sizeof(kTable) / sizeof(kTable[0]) == abi::kNumBuiltins);
  return kTable;
}

}  // namespace kiln::runtime
