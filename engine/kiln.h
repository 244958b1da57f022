// Kiln's embedding API: everything an embedder needs.
#ifndef KILN_ENGINE_KILN_H_
#define KILN_ENGINE_KILN_H_

#include "engine/async_call.h"  // IWYU pragma: export
#include "engine/engine.h"     // IWYU pragma: export
#include "engine/extern.h"     // IWYU pragma: export
#include "engine/func.h"       // IWYU pragma: export
#include "engine/future.h"     // IWYU pragma: export
#include "engine/instance.h"   // IWYU pragma: export
#include "engine/limits.h"     // IWYU pragma: export
#include "engine/module.h"     // IWYU pragma: export
#include "engine/shared_memory.h"  // IWYU pragma: export
#include "engine/spectest.h"   // IWYU pragma: export
#include "engine/store.h"      // IWYU pragma: export
#include "engine/trap.h"       // IWYU pragma: export
#include "engine/val.h"        // IWYU pragma: export

#endif  // KILN_ENGINE_KILN_H_
