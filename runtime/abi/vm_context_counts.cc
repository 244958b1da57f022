#include "runtime/abi/vm_context_counts.h"

#include <cstdint>

namespace kiln::abi {

VMOffsetsCounts VMContextCountsFor(const wasm::ModuleInfo& module) {
  VMOffsetsCounts c;
  c.num_imported_functions = module.num_imported_functions;
  c.num_imported_tables = module.num_imported_tables;
  c.num_imported_memories = module.num_imported_memories;
  c.num_imported_globals = module.num_imported_globals;
  c.num_defined_tables =
      static_cast<uint32_t>(module.tables.size()) - module.num_imported_tables;
  c.num_defined_memories = static_cast<uint32_t>(module.memories.size()) -
                           module.num_imported_memories;
  c.num_defined_globals =
      static_cast<uint32_t>(module.globals.size()) - module.num_imported_globals;
  c.num_func_refs = static_cast<uint32_t>(module.functions.size());
  c.num_data_segments = static_cast<uint32_t>(module.data_segments.size());
  c.num_elem_segments = static_cast<uint32_t>(module.elem_segments.size());
  return c;
}

}  // namespace kiln::abi
