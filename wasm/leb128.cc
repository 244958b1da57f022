#include "wasm/leb128.h"

#include "absl/strings/str_format.h"

namespace kiln::wasm {

absl::Status ErrorAt(size_t offset, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrFormat("at byte 0x%x: %s", offset, message));
}

bool IsValidUtf8(absl::Span<const uint8_t> s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < static_cast<size_t>(len)) return false;
    for (int k = 1; k < len; ++k) {
      uint8_t cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000))
      return false;  // Overlong.
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    if (cp > 0x10ffff) return false;
    i += len;
  }
  return true;
}

absl::Status Reader::ReadUnsigned(int bits, uint64_t* out) {
  const size_t start = offset();
  const int max_bytes = (bits + 6) / 7;
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos_ == end_) return ErrorAt(offset(), eof_);
    uint8_t b = *pos_++;
    int shift = 7 * i;
    if (i == max_bytes - 1) {
      if (b & 0x80) return ErrorAt(start, "integer representation too long");
      int used = bits - shift;  // Bits that may be set in this byte.
      if (used < 7 && (b >> used) != 0)
        return ErrorAt(start, "integer too large");
      result |= static_cast<uint64_t>(b) << shift;
      *out = result;
      return absl::OkStatus();
    }
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = result;
      return absl::OkStatus();
    }
  }
  return ErrorAt(start, "integer representation too long");  // Unreachable.
}

absl::Status Reader::ReadSigned(int bits, int64_t* out) {
  const size_t start = offset();
  const int max_bytes = (bits + 6) / 7;
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos_ == end_) return ErrorAt(offset(), eof_);
    uint8_t b = *pos_++;
    int shift = 7 * i;
    if (i == max_bytes - 1) {
      if (b & 0x80) return ErrorAt(start, "integer representation too long");
      int used = bits - shift;  // Payload bits in this byte (1..7).
      if (used < 7) {
        // Remaining high bits (of the 7) must all equal the sign bit.
        uint8_t sign = (b >> (used - 1)) & 1;
        uint8_t high = (b & 0x7f) >> used;
        uint8_t expect = sign ? (0x7f >> used) : 0;
        if (high != expect) return ErrorAt(start, "integer too large");
      }
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if (shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
      *out = static_cast<int64_t>(result);
      return absl::OkStatus();
    }
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      shift += 7;
      if (shift < 64 && (b & 0x40)) result |= ~uint64_t{0} << shift;
      *out = static_cast<int64_t>(result);
      return absl::OkStatus();
    }
  }
  return ErrorAt(start, "integer representation too long");  // Unreachable.
}

absl::StatusOr<absl::Span<const uint8_t>> Reader::LengthPrefixed() {
  absl::StatusOr<uint32_t> len = U32();
  if (!len.ok()) return len.status();
  if (*len > remaining()) return Error("length out of bounds");
  absl::Span<const uint8_t> r(pos_, *len);
  pos_ += *len;
  return r;
}

absl::StatusOr<std::string> Reader::Name() {
  absl::StatusOr<uint32_t> len = U32();
  if (!len.ok()) return len.status();
  if (*len > remaining()) return Error("length out of bounds");
  absl::Span<const uint8_t> r(pos_, *len);
  if (!IsValidUtf8(r)) return Error("malformed UTF-8 encoding");
  pos_ += *len;
  return std::string(reinterpret_cast<const char*>(r.data()), r.size());
}

}  // namespace kiln::wasm
