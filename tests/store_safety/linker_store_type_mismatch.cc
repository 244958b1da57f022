// Must NOT compile: a Linker<int> whose host function takes Caller<int>&
// used with a Store<std::string> (the callable would write an int into the
// string). linker_store_type_test.sh checks that it fails for that reason
// and that, with -DKILN_MATCHING_STORE, the same file compiles.
#include <string>

#include "engine/kiln.h"
#include "linker/linker.h"

namespace kiln {

#ifdef KILN_MATCHING_STORE
using StoreData = int;
#else
using StoreData = std::string;
#endif

void Misuse(const Engine& engine, const Module& module) {
  Linker<int> linker(engine);
  (void)linker.FuncWrap("host", "bump", [](Caller<int>& c) { c.data() += 1; });
  Store<StoreData> store(engine, StoreData());
  (void)linker.Instantiate(store, module);
  (void)linker.InstantiatePre(store, module);
  (void)linker.Module(store, "m", module);
  (void)linker.Get(store, "host", "bump");
  (void)linker.GetDefault(store, "m");
  (void)linker.Iter(store);
}

}  // namespace kiln
