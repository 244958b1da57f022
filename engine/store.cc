#include "engine/store.h"

#include "engine/async_call.h"
#include "engine/internal.h"

namespace kiln {

StoreOpaque::StoreOpaque(const Engine& engine, const void* data_tag)
    : engine_(engine.LocalHandle()),
      id_(StoreId::Next()),
      data_tag_(data_tag),
      impl_(std::make_unique<internal::StoreImpl>()),
      sync_call_refused_(engine.config().async_support) {}

// An unfinished async call is cancelled (its fiber unwound) while the
// store, its instances and its hooks are all still there; the driver then
// waits in the engine for the next store.
StoreOpaque::~StoreOpaque() {
  if (impl_->async_driver != nullptr) {
    internal::AsyncDriver::Retire(std::move(impl_->async_driver));
  }
  async_driver_ = nullptr;
}

}  // namespace kiln
