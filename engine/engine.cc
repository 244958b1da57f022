#include "engine/engine.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "runtime/pool/pooling_instance_allocator.h"
#include "runtime/traps/entry.h"
#include "runtime/vm/on_demand_allocator.h"

namespace kiln {

uint32_t SignatureRegistry::Intern(const wasm::FuncType& type) {
  absl::MutexLock lock(&mu_);
  auto it = ids_.find(type);
  if (it != ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(types_.size());
  types_.push_back(type);
  ids_.emplace(type, id);
  by_id_.Set(id, &types_.back());
  return id;
}

const wasm::FuncType& SignatureRegistry::LookupSlow(uint32_t id) const {
  absl::MutexLock lock(&mu_);
  return types_[id];
}

size_t SignatureRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return types_.size();
}

Engine::Engine(const Config& config)
    : impl_(internal::SharedRef<internal::EngineImpl>::Make()) {
  impl_->config = config;
  impl_->init_status = runtime::InitTrapHandling();
  if (config.allocation_strategy == InstanceAllocationStrategy::kPooling) {
    // Stacks: up to total_instances kept for reuse.
    absl::StatusOr<std::unique_ptr<runtime::PoolingInstanceAllocator>> pool =
        runtime::PoolingInstanceAllocator::Create(config.pooling,
                                                  config.async_stack_size);
    if (pool.ok()) {
      impl_->allocator = *std::move(pool);
    } else {
      impl_->allocator_status = pool.status();
    }
  } else {
    // Up to 256 fiber stacks kept for reuse (address space only,
    // MAP_NORESERVE, beyond the pages a call touched).
    impl_->allocator = std::make_unique<runtime::OnDemandAllocator>(
        config.async_stack_size, 256);
  }
}

namespace internal {
uint64_t NextModuleId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace internal

const Config& Engine::config() const { return impl_->config; }
SignatureRegistry& Engine::signatures() const { return impl_->signatures; }
absl::Status Engine::init_status() const { return impl_->init_status; }

absl::StatusOr<trampolines::ArrayCallFn> Engine::ArrayCallTrampoline(
    uint32_t sig) const {
  if (const void* fast = impl_->array_call_table.Get(sig)) {
    return reinterpret_cast<trampolines::ArrayCallFn>(const_cast<void*>(fast));
  }
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->array_calls.find(sig);
  if (it == impl_->array_calls.end()) {
    absl::StatusOr<trampolines::Trampoline> t =
        trampolines::CompileArrayCall(impl_->signatures.Lookup(sig));
    if (!t.ok()) return t.status();
    it = impl_->array_calls.emplace(sig, *std::move(t)).first;
    impl_->array_call_table.Set(sig, it->second.entry);
  }
  return reinterpret_cast<trampolines::ArrayCallFn>(
      const_cast<void*>(it->second.entry));
}

absl::StatusOr<const void*> Engine::WasmToHostTrampoline(uint32_t sig) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->host_calls.find(sig);
  if (it == impl_->host_calls.end()) {
    absl::StatusOr<trampolines::Trampoline> t = trampolines::CompileWasmToHost(
        impl_->signatures.Lookup(sig), &internal::HostDispatch);
    if (!t.ok()) return t.status();
    it = impl_->host_calls.emplace(sig, *std::move(t)).first;
  }
  return it->second.entry;
}

}  // namespace kiln
