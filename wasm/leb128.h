// Bounds-checked byte reader for the WebAssembly binary format.
//
// All reads report errors with the spec's wording ("unexpected end",
// "integer representation too long", "integer too large",
// "malformed UTF-8 encoding", "length out of bounds") prefixed by the byte
// offset of the failing item: "at byte 0x1a: integer too large".
//
// Reads never throw and never read past the span. After an error the reader
// is left at an unspecified position; callers propagate the status.
#ifndef KILN_WASM_LEB128_H_
#define KILN_WASM_LEB128_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kiln::wasm {

// Builds "at byte 0x<offset>: <message>".
absl::Status ErrorAt(size_t offset, std::string_view message);

// Returns true if `s` is valid UTF-8 (no overlongs, no surrogates,
// at most U+10FFFF).
bool IsValidUtf8(absl::Span<const uint8_t> s);

class Reader {
 public:
  // `base_offset` is the offset of bytes[0] in the whole module, used for
  // error messages and offset().
  // `eof_message` is the error for reading past the end ("unexpected end",
  // or "unexpected end of section or function" inside a section).
  explicit Reader(absl::Span<const uint8_t> bytes, size_t base_offset = 0,
                  const char* eof_message = "unexpected end")
      : start_(bytes.data()),
        pos_(bytes.data()),
        end_(bytes.data() + bytes.size()),
        base_(base_offset),
        eof_(eof_message) {}

  // Absolute offset (in the module) of the next byte.
  size_t offset() const { return base_ + static_cast<size_t>(pos_ - start_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }
  const uint8_t* pos() const { return pos_; }
  absl::Span<const uint8_t> rest() const {
    return absl::Span<const uint8_t>(pos_, remaining());
  }

  // Error at the current offset.
  absl::Status Error(std::string_view message) const {
    return ErrorAt(offset(), message);
  }

  absl::StatusOr<uint8_t> U8() {
    if (pos_ == end_) return Error(eof_);
    return *pos_++;
  }
  // Reads a byte; the caller has checked !at_end().
  uint8_t NextByteUnchecked() { return *pos_++; }
  // Peek without consuming; false at end.
  bool Peek(uint8_t* b) const {
    if (pos_ == end_) return false;
    *b = *pos_;
    return true;
  }

  absl::StatusOr<uint32_t> U32() {
    // Fast path: single byte.
    if (pos_ != end_ && *pos_ < 0x80) return *pos_++;
    uint64_t v;
    absl::Status s = ReadUnsigned(32, &v);
    if (!s.ok()) return s;
    return static_cast<uint32_t>(v);
  }
  absl::StatusOr<uint64_t> U64() {
    uint64_t v;
    absl::Status s = ReadUnsigned(64, &v);
    if (!s.ok()) return s;
    return v;
  }
  absl::StatusOr<int32_t> S32() {
    int64_t v;
    absl::Status s = ReadSigned(32, &v);
    if (!s.ok()) return s;
    return static_cast<int32_t>(v);
  }
  absl::StatusOr<int64_t> S33() {
    int64_t v;
    absl::Status s = ReadSigned(33, &v);
    if (!s.ok()) return s;
    return v;
  }
  absl::StatusOr<int64_t> S64() {
    int64_t v;
    absl::Status s = ReadSigned(64, &v);
    if (!s.ok()) return s;
    return v;
  }
  // Raw little-endian IEEE bits.
  absl::StatusOr<uint32_t> F32Bits() {
    if (remaining() < 4) return Error(eof_);
    uint32_t v;
    std::memcpy(&v, pos_, 4);
    pos_ += 4;
    return v;
  }
  absl::StatusOr<uint64_t> F64Bits() {
    if (remaining() < 8) return Error(eof_);
    uint64_t v;
    std::memcpy(&v, pos_, 8);
    pos_ += 8;
    return v;
  }
  // Reads n raw bytes.
  absl::StatusOr<absl::Span<const uint8_t>> Bytes(size_t n) {
    if (remaining() < n) return Error(eof_);
    absl::Span<const uint8_t> r(pos_, n);
    pos_ += n;
    return r;
  }
  absl::Status Skip(size_t n) {
    if (remaining() < n) return Error(eof_);
    pos_ += n;
    return absl::OkStatus();
  }
  // A length-prefixed byte vector; "length out of bounds" if the length
  // exceeds the remaining bytes.
  absl::StatusOr<absl::Span<const uint8_t>> LengthPrefixed();
  // A length-prefixed UTF-8 name.
  absl::StatusOr<std::string> Name();

 private:
  absl::Status ReadUnsigned(int bits, uint64_t* out);
  absl::Status ReadSigned(int bits, int64_t* out);

  const uint8_t* start_;
  const uint8_t* pos_;
  const uint8_t* end_;
  size_t base_;
  const char* eof_;
};

}  // namespace kiln::wasm

#endif  // KILN_WASM_LEB128_H_
