// Removes blocks not reachable from the entry block. Passes that change
// control flow call it so that no block is left referring to values whose
// definitions they removed.
#ifndef KILN_CODEGEN_OPT_UNREACHABLE_H_
#define KILN_CODEGEN_OPT_UNREACHABLE_H_

#include "codegen/ir/function.h"

namespace kiln::opt {

// Returns whether any block was removed.
bool RemoveUnreachableBlocks(ir::Function& f);

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_UNREACHABLE_H_
