#ifndef KILN_TESTS_UTIL_TYPED_EXPORT_H_
#define KILN_TESTS_UTIL_TYPED_EXPORT_H_

// A typed export for tests that look several up in a row: a missing or
// mistyped export fails the test with the lookup's message at the call
// site's line, and the test goes on to fail on the call instead of
// stopping at the lookup.
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln::test_util {

template <typename Sig>
TypedFunc<Sig> TypedExport(StoreOpaque& store, const Instance& instance,
                           std::string_view name) {
  absl::StatusOr<TypedFunc<Sig>> f = instance.GetTypedFunc<Sig>(store, name);
  EXPECT_TRUE(f.ok()) << name << ": " << f.status();
  return *std::move(f);
}

}  // namespace kiln::test_util

#endif  // KILN_TESTS_UTIL_TYPED_EXPORT_H_
