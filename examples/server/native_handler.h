// The guest's handler (guest.c) written natively in C++, for comparison
// (server --handler=native): the same routes, the same bytes.
#ifndef KILN_EXAMPLES_SERVER_NATIVE_HANDLER_H_
#define KILN_EXAMPLES_SERVER_NATIVE_HANDLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::server {

// The backend's answer for `key` (what env.backend_get returns after its
// wait, for both handlers).
int32_t BackendValue(int32_t key);

// The key the default route asks the backend for (FNV-1a of the path).
uint32_t PathKey(std::string_view path);

// /heavy?n=N: the body, computed here; nullopt for any other path.
std::optional<std::string> HeavyBody(std::string_view path);

// The default route's body once the backend answered `value`.
std::string BackendBody(std::string_view path, uint32_t key, int32_t value);

}  // namespace kiln::server

#endif  // KILN_EXAMPLES_SERVER_NATIVE_HANDLER_H_
