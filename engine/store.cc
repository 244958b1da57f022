#include "engine/store.h"

#include "engine/internal.h"

namespace kiln {

StoreOpaque::StoreOpaque(const Engine& engine, const void* data_tag)
    : engine_(engine),
      id_(StoreId::Next()),
      data_tag_(data_tag),
      impl_(std::make_unique<internal::StoreImpl>()) {}

StoreOpaque::~StoreOpaque() = default;

}  // namespace kiln
