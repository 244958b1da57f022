#include "examples/server/native_handler.h"

#include <string>

namespace kiln::server {

int32_t BackendValue(int32_t key) {
  return static_cast<int32_t>((static_cast<uint32_t>(key) * 2654435761u) >> 8);
}

uint32_t PathKey(std::string_view path) {
  uint32_t h = 2166136261u;
  for (char c : path) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h & 0xffff;
}

namespace {
uint64_t ParseU(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

uint64_t Spin(uint64_t n) {
  uint64_t x = 88172645463325252ull;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}
}  // namespace

std::optional<std::string> HeavyBody(std::string_view path) {
  constexpr std::string_view kPrefix = "/heavy?n=";
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const uint64_t rounds = ParseU(path.substr(kPrefix.size()));
  return "heavy rounds=" + std::to_string(rounds) +
         " result=" + std::to_string(Spin(rounds)) + "\n";
}

std::string BackendBody(std::string_view path, uint32_t key, int32_t value) {
  std::string body = "hello from kiln: path=";
  body.append(path);
  body += " key=" + std::to_string(key) +
          " value=" + std::to_string(static_cast<uint32_t>(value)) + "\n";
  return body;
}

}  // namespace kiln::server
