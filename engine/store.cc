#include "engine/store.h"

#include "engine/internal.h"

namespace kiln {

StoreOpaque::StoreOpaque(const Engine& engine)
    : engine_(engine), impl_(std::make_unique<internal::StoreImpl>()) {}

StoreOpaque::~StoreOpaque() = default;

}  // namespace kiln
