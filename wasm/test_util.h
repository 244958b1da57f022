// Helpers for building WebAssembly binaries in tests.
#ifndef KILN_WASM_TEST_UTIL_H_
#define KILN_WASM_TEST_UTIL_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace kiln::wasm::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes Leb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
  return out;
}

inline Bytes SLeb(int64_t v) {
  Bytes out;
  bool more = true;
  while (more) {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
      more = false;
    } else {
      b |= 0x80;
    }
    out.push_back(b);
  }
  return out;
}

inline Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes Str(const std::string& s) {
  Bytes out = Leb(s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

inline Bytes Header() { return {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}; }

inline Bytes Section(uint8_t id, const Bytes& content) {
  return Cat({Bytes{id}, Leb(content.size()), content});
}

// A vector: count followed by the items.
inline Bytes Vec(std::initializer_list<Bytes> items) {
  Bytes out = Leb(items.size());
  for (const Bytes& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}

inline Bytes FuncTypeBytes(const Bytes& params, const Bytes& results) {
  return Cat({Bytes{0x60}, Leb(params.size()), params, Leb(results.size()),
              results});
}

// A function body: `locals` is the encoded local declarations vector
// (e.g. {0x00} for none) and `code` the instructions including the final
// end (0x0b).
inline Bytes Body(const Bytes& locals, const Bytes& code) {
  Bytes b = Cat({locals, code});
  return Cat({Leb(b.size()), b});
}

constexpr uint8_t kI32 = 0x7f, kI64 = 0x7e, kF32 = 0x7d, kF64 = 0x7c,
                  kV128 = 0x7b, kFuncRef = 0x70, kExternRef = 0x6f;

// A module with one function of type params -> results whose body is
// `code` (which must include the final end), plus optional extra sections
// placed in order: memory (one memory, 1 page) and a funcref table.
struct OneFunc {
  Bytes params;
  Bytes results;
  Bytes locals = {0x00};
  Bytes code = {0x0b};
  bool memory = false;
  bool table = false;
  bool data_count = false;  // Emits a data count of 1 + one passive segment.
  bool declare_func0 = false;  // Declarative elem segment with func 0.

  Bytes Build() const {
    Bytes m = Header();
    auto add = [&m](const Bytes& b) { m.insert(m.end(), b.begin(), b.end()); };
    add(Section(1, Vec({FuncTypeBytes(params, results)})));
    add(Section(3, Vec({Leb(0)})));
    if (table) add(Section(4, Vec({Bytes{kFuncRef, 0x00, 0x01}})));
    if (memory) add(Section(5, Vec({Bytes{0x00, 0x01}})));
    if (declare_func0) {
      add(Section(9, Vec({Bytes{0x03, 0x00, 0x01, 0x00}})));
    }
    if (data_count) add(Section(12, Leb(1)));
    add(Section(10, Vec({Body(locals, code)})));
    if (data_count) add(Section(11, Vec({Bytes{0x01, 0x01, 'x'}})));
    return m;
  }
};

}  // namespace kiln::wasm::testing

#endif  // KILN_WASM_TEST_UTIL_H_
