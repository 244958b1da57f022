// The builtin (libcall) implementations compiled code calls through
// [[vmctx + VMOffsets::kBuiltins] + 8 * id]. Their C signatures are checked
// at compile time against runtime/abi/builtins.def.
//
// Every builtin finds its Instance through the VMContext header. Those that
// can trap do the work in an Instance method (whose locals are gone when it
// returns) and then call RaiseTrap, so no destructor is skipped. They must
// only be called from wasm running under EnterWasm (or through EnterWasm).
#ifndef KILN_RUNTIME_VM_BUILTINS_H_
#define KILN_RUNTIME_VM_BUILTINS_H_

namespace kiln::runtime {

// The table of abi::kNumBuiltins function pointers, indexed by
// abi::BuiltinId. Static; never freed.
const void* const* BuiltinTable();

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_BUILTINS_H_
