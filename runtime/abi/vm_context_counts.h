// The VMContext counts of a module: the one definition both sides use
// (the translator lays out its VMContext accesses with them, the runtime
// allocates the VMContext with them, .cwasm artifacts record them).
#ifndef KILN_RUNTIME_ABI_VM_CONTEXT_COUNTS_H_
#define KILN_RUNTIME_ABI_VM_CONTEXT_COUNTS_H_

#include "runtime/abi/vm_offsets.h"
#include "wasm/module_info.h"

namespace kiln::abi {

// Imports and definitions by kind, one VMFuncRef per function (funcref
// index == function index), one dropped flag per data / element segment.
VMOffsetsCounts VMContextCountsFor(const wasm::ModuleInfo& module);

}  // namespace kiln::abi

#endif  // KILN_RUNTIME_ABI_VM_CONTEXT_COUNTS_H_
