// Store<T>: owns instances and host-created objects (functions, memories,
// tables, globals) and the runtime limits their calls share; carries the
// embedder's data T. A store is used by one thread at a time. Handles
// (Func, Memory, Table, Global, Instance) from a store are valid while it
// lives and must only be used with it.
#ifndef KILN_ENGINE_STORE_H_
#define KILN_ENGINE_STORE_H_

#include <memory>
#include <utility>

#include "engine/engine.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln {

namespace internal {
struct StoreImpl;
}

// The part of a store that does not depend on T; API functions take it.
class StoreOpaque {
 public:
  explicit StoreOpaque(const Engine& engine);
  ~StoreOpaque();
  StoreOpaque(const StoreOpaque&) = delete;
  StoreOpaque& operator=(const StoreOpaque&) = delete;

  const Engine& engine() const { return engine_; }
  abi::VMRuntimeLimits* runtime_limits() { return &limits_; }
  internal::StoreImpl& impl() { return *impl_; }

 private:
  Engine engine_;
  abi::VMRuntimeLimits limits_;
  std::unique_ptr<internal::StoreImpl> impl_;
};

template <typename T = void>
class Store : public StoreOpaque {
 public:
  Store(const Engine& engine, T data)
      : StoreOpaque(engine), data_(std::move(data)) {}
  T& data() { return data_; }
  const T& data() const { return data_; }

 private:
  T data_;
};

template <>
class Store<void> : public StoreOpaque {
 public:
  explicit Store(const Engine& engine) : StoreOpaque(engine) {}
};

}  // namespace kiln

#endif  // KILN_ENGINE_STORE_H_
