// Precompiled modules: see engine/serialize.h for the artifact format.
#include "engine/serialize.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/internal.h"
#include "runtime/memory/memory_image.h"
#include "runtime/abi/builtins.h"
#include "runtime/abi/aarch64/call_conv.h"
#include "runtime/abi/call_conv.h"
#include "runtime/abi/x64/call_conv.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace kiln {
namespace serialize {
namespace {

// Header field offsets (see serialize.h).
constexpr size_t kOffFormatVersion = 8;
constexpr size_t kOffHeaderSize = 12;
constexpr size_t kOffFileSize = 16;
constexpr size_t kOffHeaderChecksum = 24;
constexpr size_t kOffBodyChecksum = 32;
constexpr size_t kOffCompatHash = 40;
constexpr size_t kOffIsa = 48;
constexpr size_t kOffFeatures = 52;
constexpr size_t kOffOptions = 56;
constexpr size_t kOffNumSections = 60;
constexpr size_t kOffGuardBytes = 64;
constexpr size_t kOffAbi = 72;
constexpr size_t kOffVersion = 80;
constexpr size_t kVersionBytes = 48;
constexpr size_t kOffSections = 128;
constexpr size_t kSectionEntrySize = 24;
static_assert(kOffSections + kArtifactMaxSections * kSectionEntrySize <=
              kArtifactHeaderSize);
static_assert(kOffVersion + kVersionBytes <= kOffSections);

// A field added to the compiler's output must be written and read here (and
// kArtifactFormatVersion bumped); these catch the addition.
static_assert(sizeof(compiler::CompiledFunctionInfo) == 8 * 4,
              "serialize the new CompiledFunctionInfo field");
static_assert(sizeof(compiler::TrapEntry) == 8 &&
                  sizeof(compiler::SourceMapEntry) == 8,
              "serialize the new trap / source map field");
static_assert(sizeof(compiler::CompiledModule) ==
                  5 * sizeof(std::vector<uint8_t>) + 8 +
                      sizeof(abi::VMOffsetsCounts),
              "serialize the new CompiledModule field");

constexpr size_t kFunctionRecordSize = 8 * 4;
constexpr size_t kTrapRecordSize = 8;
constexpr size_t kSourceMapRecordSize = 8;

void Put32(std::vector<uint8_t>& out, size_t at, uint32_t v) {
  std::memcpy(out.data() + at, &v, 4);
}
void Put64(std::vector<uint8_t>& out, size_t at, uint64_t v) {
  std::memcpy(out.data() + at, &v, 8);
}
void Append32(std::vector<uint8_t>& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  std::memcpy(out.data() + at, &v, 4);
}
uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

// --- xxHash64 -------------------------------------------------------------

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ull;

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kPrime2;
  acc = Rotl(acc, 31);
  return acc * kPrime1;
}
inline uint64_t MergeRound(uint64_t acc, uint64_t val) {
  acc ^= Round(0, val);
  return acc * kPrime1 + kPrime4;
}

// --- target -----------------------------------------------------------------

// Who pops a wasm callee's stack arguments on `isa` (its
// runtime/abi/<isa>/call_conv.h kCalleePopsStackArgs; checked for the host
// below), so a cross-compiled artifact carries the target's fingerprint.
constexpr bool CalleePopsStackArgs(uint32_t isa) {
  return isa == kIsaX64 ? abi::x64::CallConv::kCalleePopsStackArgs
                        : abi::aarch64::CallConv::kCalleePopsStackArgs;
}

#if defined(__aarch64__)
constexpr uint32_t kHostIsa = kIsaAarch64;
#else
constexpr uint32_t kHostIsa = kIsaX64;
#endif
static_assert(CalleePopsStackArgs(kHostIsa) ==
              abi::HostCallConv::kCalleePopsStackArgs);

uint64_t AbiFingerprint(uint32_t isa) {
  using abi::VMOffsets;
  const uint64_t values[] = {
      VMOffsets::kRuntimeLimits,
      VMOffsets::kStore,
      VMOffsets::kTypeIds,
      VMOffsets::kBuiltins,
      VMOffsets::kInstance,
      VMOffsets::kHeaderSize,
      VMOffsets::kRuntimeLimitsStackLimit,
      VMOffsets::kMemoryDefinitionSize,
      VMOffsets::kMemoryImportSize,
      VMOffsets::kFunctionImportSize,
      VMOffsets::kTableDefinitionStructSize,
      VMOffsets::kTableImportSize,
      VMOffsets::kGlobalImportSize,
      VMOffsets::kGlobalDefinitionSize,
      VMOffsets::kFuncRefSize,
      abi::kVMContextMagic,
      abi::kFuncRefInitBit,
      abi::kNumBuiltins,
      static_cast<uint64_t>(abi::kNumTrapCodes),
      compiler::kFunctionAlignment,
      // Who pops a wasm callee's stack arguments.
      uint64_t{CalleePopsStackArgs(isa)},
  };
  return XxHash64(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(values), sizeof(values)));
}

// CpuFeatures is a struct of bools, one per feature the backend may use;
// bit i is its i-th field (kFeature* name the known ones). Taking every
// byte means a feature added to the backend is recorded (and checked)
// without a change here; name it in FeatureNames.
static_assert(std::is_trivially_copyable_v<isa::CpuFeatures>);
static_assert(sizeof(isa::CpuFeatures) <= 32);
uint32_t FeatureBits(const isa::CpuFeatures& features) {
  unsigned char raw[sizeof(isa::CpuFeatures)];
  std::memcpy(raw, &features, sizeof(raw));
  uint32_t bits = 0;
  for (size_t i = 0; i < sizeof(raw); ++i) {
    if (raw[i] != 0) bits |= 1u << i;
  }
  return bits;
}

std::string OptionNames(uint32_t options) {
  return absl::StrCat(
      (options & kOptionOptimize) ? "optimize=on" : "optimize=off",
      (options & kOptionStackCheck) ? ", stack-check=on" : ", stack-check=off",
      (options & kOptionFuncRefInitBit) ? ", lazy-funcref-tables=on"
                                        : ", lazy-funcref-tables=off",
      // Only when on, so the usual description stays as it was.
      (options & kOptionConsumeFuel) ? ", consume-fuel=on" : "",
      (options & kOptionEpochInterruption) ? ", epoch-interruption=on" : "",
      (options & kOptionRelaxedSimdDeterministic)
          ? ", relaxed-simd-deterministic=on"
          : "",
      ", wasm features [",
      wasm::Features::FromBits(options >> kOptionWasmFeaturesShift)
          .ToString(),
      "]");
}

absl::Status Corrupted(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("precompiled module is corrupted: ", what));
}

}  // namespace

uint64_t XxHash64(absl::Span<const uint8_t> data, uint64_t seed) {
  const uint8_t* p = data.data();
  const uint8_t* const end = p + data.size();
  uint64_t h;
  if (data.size() >= 32) {
    uint64_t v1 = seed + kPrime1 + kPrime2;
    uint64_t v2 = seed + kPrime2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - kPrime1;
    const uint8_t* const limit = end - 32;
    do {
      v1 = Round(v1, Get64(p));
      v2 = Round(v2, Get64(p + 8));
      v3 = Round(v3, Get64(p + 16));
      v4 = Round(v4, Get64(p + 24));
      p += 32;
    } while (p <= limit);
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = MergeRound(h, v1);
    h = MergeRound(h, v2);
    h = MergeRound(h, v3);
    h = MergeRound(h, v4);
  } else {
    h = seed + kPrime5;
  }
  h += static_cast<uint64_t>(data.size());
  while (p + 8 <= end) {
    h ^= Round(0, Get64(p));
    h = Rotl(h, 27) * kPrime1 + kPrime4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= static_cast<uint64_t>(Get32(p)) * kPrime1;
    h = Rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  while (p < end) {
    h ^= (*p) * kPrime5;
    h = Rotl(h, 11) * kPrime1;
    ++p;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

Target Target::ForEngine(const Engine& engine) {
  return ForEngine(engine, kHostIsa);
}

Target Target::ForEngine(const Engine& engine, uint32_t isa) {
  const compiler::CompileOptions options =
      internal::CompileOptionsFor(engine.config());
  Target t;
  t.isa = isa;
  // A cross-compile uses the target's baseline: no optional CPU features.
  t.features = isa == kHostIsa ? FeatureBits(options.features) : 0;
  t.options = (options.optimize ? kOptionOptimize : 0) |
              (options.stack_check ? kOptionStackCheck : 0) |
              (options.translate.funcref_table_init_bit ? kOptionFuncRefInitBit
                                                        : 0) |
              (options.translate.consume_fuel ? kOptionConsumeFuel : 0) |
              (options.translate.epoch_interruption ? kOptionEpochInterruption
                                                    : 0) |
              (options.translate.relaxed_simd.deterministic
                   ? kOptionRelaxedSimdDeterministic
                   : 0) |
              (engine.config().wasm_features.Bits()
               << kOptionWasmFeaturesShift);
  t.memory_guard_bytes = options.translate.memory_guard_bytes;
  t.abi_fingerprint = AbiFingerprint(isa);
  return t;
}

std::string FeatureNames(uint32_t isa, uint32_t features) {
  std::vector<std::string> names;
  using Names = absl::Span<const std::pair<uint32_t, const char*>>;
  static constexpr std::pair<uint32_t, const char*> kX64Names[] = {
      {kFeatureSse41, "sse4.1"},
      {kFeaturePopcnt, "popcnt"},
      {kFeatureLzcnt, "lzcnt"},
      {kFeatureBmi1, "bmi1"},
      {kFeatureSse42, "sse4.2"},
      {kFeatureFma, "fma"},
      {kFeatureAvx, "avx"},
      {kFeatureBmi2, "bmi2"},
  };
  static constexpr std::pair<uint32_t, const char*> kAarch64Names[] = {
      {kFeatureLse, "lse"},
  };
  const Names kNames = isa == kIsaX64       ? Names(kX64Names)
                       : isa == kIsaAarch64 ? Names(kAarch64Names)
                                            : Names();
  uint32_t known = 0;
  for (const auto& [bit, name] : kNames) {
    known |= bit;
    if (features & bit) names.push_back(name);
  }
  for (int b = 0; b < 32; ++b) {
    if ((features & ~known) & (1u << b)) names.push_back(absl::StrCat("bit", b));
  }
  return names.empty() ? "none" : absl::StrJoin(names, " ");
}

std::string IsaName(uint32_t isa) {
  return isa == kIsaX64       ? std::string("x86-64")
         : isa == kIsaAarch64 ? std::string("aarch64")
                              : absl::StrCat("isa ", isa);
}

std::string Target::ToString() const {
  return absl::StrFormat(
      "%s, %s [%s], %s, memory guard %u bytes, ABI %016x", version,
      IsaName(isa),
      FeatureNames(isa, features), OptionNames(options), memory_guard_bytes,
      abi_fingerprint);
}

uint64_t Target::Hash() const {
  std::vector<uint8_t> buf(version.begin(), version.end());
  buf.push_back(0);
  for (uint32_t v : {isa, features, options}) Append32(buf, v);
  for (uint64_t v : {memory_guard_bytes, abi_fingerprint}) {
    Append32(buf, static_cast<uint32_t>(v));
    Append32(buf, static_cast<uint32_t>(v >> 32));
  }
  return XxHash64(buf);
}

bool IsArtifact(absl::Span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(kArtifactMagic) &&
         std::memcmp(bytes.data(), kArtifactMagic, sizeof(kArtifactMagic)) ==
             0;
}

std::vector<uint8_t> WriteArtifact(
    const Target& target, absl::Span<const uint8_t> wasm,
    const compiler::CompiledModule& compiled, absl::Span<const uint8_t> code,
    absl::Span<const MemoryImageSection> memory_images) {
  std::vector<uint8_t> out(kArtifactHeaderSize, 0);
  std::memcpy(out.data(), kArtifactMagic, sizeof(kArtifactMagic));
  Put32(out, kOffFormatVersion, kArtifactFormatVersion);
  Put32(out, kOffHeaderSize, kArtifactHeaderSize);
  Put32(out, kOffIsa, target.isa);
  Put32(out, kOffFeatures, target.features);
  Put32(out, kOffOptions, target.options);
  Put64(out, kOffGuardBytes, target.memory_guard_bytes);
  Put64(out, kOffAbi, target.abi_fingerprint);
  std::memcpy(out.data() + kOffVersion, target.version.data(),
              std::min(target.version.size(), kVersionBytes - 1));
  Put64(out, kOffCompatHash, target.Hash());

  uint32_t num_sections = 0;
  auto begin_section = [&](SectionKind kind, size_t align) {
    out.resize(AlignUp(out.size(), align), 0);
    const size_t entry = kOffSections + num_sections * kSectionEntrySize;
    ++num_sections;
    Put32(out, entry, static_cast<uint32_t>(kind));
    Put64(out, entry + 8, out.size());
    return entry;
  };
  auto end_section = [&](size_t entry) {
    Put64(out, entry + 16, out.size() - Get64(out.data() + entry + 8));
  };

  size_t e = begin_section(SectionKind::kWasm, 8);
  out.insert(out.end(), wasm.begin(), wasm.end());
  end_section(e);

  e = begin_section(SectionKind::kFunctions, 8);
  for (const compiler::CompiledFunctionInfo& f : compiled.functions) {
    for (uint32_t v : {f.func_index, f.code_offset, f.code_size, f.frame_size,
                       f.traps_begin, f.traps_end, f.source_map_begin,
                       f.source_map_end}) {
      Append32(out, v);
    }
  }
  end_section(e);

  e = begin_section(SectionKind::kTraps, 8);
  for (const compiler::TrapEntry& t : compiled.traps) {
    Append32(out, t.code_offset);
    Append32(out, static_cast<uint32_t>(t.code));
  }
  end_section(e);

  e = begin_section(SectionKind::kSourceMap, 8);
  for (const compiler::SourceMapEntry& s : compiled.source_map) {
    Append32(out, s.code_offset);
    Append32(out, s.wasm_offset);
  }
  end_section(e);

  // Page aligned, so instances can map them straight from the file.
  for (const MemoryImageSection& image : memory_images) {
    e = begin_section(SectionKind::kMemoryImage, kArtifactCodeAlignment);
    Put32(out, e + 4, image.memory_index);
    out.insert(out.end(), image.bytes.begin(), image.bytes.end());
    end_section(e);
  }

  // Last, page aligned: a file mapping can make it executable in place.
  e = begin_section(SectionKind::kCode, kArtifactCodeAlignment);
  out.insert(out.end(), code.begin(), code.end());
  end_section(e);

  Put32(out, kOffNumSections, num_sections);
  Put64(out, kOffFileSize, out.size());
  Put64(out, kOffBodyChecksum,
        XxHash64(absl::MakeConstSpan(out).subspan(kArtifactHeaderSize)));
  Put64(out, kOffHeaderChecksum,
        XxHash64(absl::MakeConstSpan(out).first(kArtifactHeaderSize)));
  return out;
}

absl::StatusOr<ArtifactView> ParseArtifact(absl::Span<const uint8_t> bytes,
                                           bool verify_checksums) {
  // Magic. A prefix of the magic is a truncated artifact.
  const size_t magic_len = std::min(bytes.size(), sizeof(kArtifactMagic));
  if (magic_len > 0 &&
      std::memcmp(bytes.data(), kArtifactMagic, magic_len) != 0) {
    return absl::InvalidArgumentError(
        "not a Kiln precompiled module (no \"KILNCWSM\" magic at byte 0)");
  }
  if (bytes.size() < kOffFormatVersion + 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "precompiled module is truncated: ", bytes.size(),
        " bytes, shorter than its ", kArtifactHeaderSize, "-byte header"));
  }
  ArtifactView view;
  view.format_version = Get32(bytes.data() + kOffFormatVersion);
  if (view.format_version != kArtifactFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "precompiled module has format version ", view.format_version,
        "; this Kiln (", kKilnVersion, ") reads version ",
        kArtifactFormatVersion, " (recompile it with `kiln compile -o`)"));
  }
  if (bytes.size() < kArtifactHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "precompiled module is truncated: ", bytes.size(),
        " bytes, shorter than its ", kArtifactHeaderSize, "-byte header"));
  }
  const uint8_t* h = bytes.data();
  {
    uint8_t header[kArtifactHeaderSize];
    std::memcpy(header, h, kArtifactHeaderSize);
    std::memset(header + kOffHeaderChecksum, 0, 8);
    const uint64_t want = Get64(h + kOffHeaderChecksum);
    const uint64_t got = XxHash64(absl::MakeConstSpan(header));
    if (want != got) {
      return Corrupted(absl::StrFormat(
          "header checksum mismatch (stored %016x, computed %016x)", want,
          got));
    }
  }
  if (Get32(h + kOffHeaderSize) != kArtifactHeaderSize) {
    return Corrupted(absl::StrCat("header size ", Get32(h + kOffHeaderSize),
                                  ", expected ", kArtifactHeaderSize));
  }
  const uint64_t file_size = Get64(h + kOffFileSize);
  if (bytes.size() < file_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("precompiled module is truncated: ", bytes.size(),
                     " bytes, its header says ", file_size));
  }
  if (bytes.size() > file_size) {
    return Corrupted(absl::StrCat(bytes.size() - file_size,
                                  " bytes after the end its header gives (",
                                  file_size, " bytes)"));
  }
  if (verify_checksums) {
    const uint64_t want = Get64(h + kOffBodyChecksum);
    const uint64_t got = XxHash64(bytes.subspan(kArtifactHeaderSize));
    if (want != got) {
      return Corrupted(absl::StrFormat(
          "body checksum mismatch (stored %016x, computed %016x)", want, got));
    }
  }

  view.compat_hash = Get64(h + kOffCompatHash);
  Target& t = view.target;
  t.isa = Get32(h + kOffIsa);
  t.features = Get32(h + kOffFeatures);
  t.options = Get32(h + kOffOptions);
  t.memory_guard_bytes = Get64(h + kOffGuardBytes);
  t.abi_fingerprint = Get64(h + kOffAbi);
  const char* version = reinterpret_cast<const char*>(h + kOffVersion);
  t.version = std::string(version, strnlen(version, kVersionBytes));
  if (t.Hash() != view.compat_hash) {
    return Corrupted("compatibility hash does not match the target fields");
  }

  // Sections.
  const uint32_t num_sections = Get32(h + kOffNumSections);
  if (num_sections > kArtifactMaxSections) {
    return Corrupted(absl::StrCat(num_sections, " sections (at most ",
                                  kArtifactMaxSections, ")"));
  }
  constexpr uint32_t kMaxKind = static_cast<uint32_t>(SectionKind::kMemoryImage);
  const uint32_t image_kind = static_cast<uint32_t>(SectionKind::kMemoryImage);
  absl::Span<const uint8_t> sections[kMaxKind + 1];
  uint64_t section_offsets[kMaxKind + 1] = {};
  bool seen[kMaxKind + 1] = {};
  for (uint32_t i = 0; i < num_sections; ++i) {
    const uint8_t* e = h + kOffSections + i * kSectionEntrySize;
    const uint32_t kind = Get32(e);
    const uint64_t offset = Get64(e + 8);
    const uint64_t size = Get64(e + 16);
    if (kind == 0 || kind > kMaxKind) {
      return Corrupted(absl::StrCat("unknown section kind ", kind));
    }
    if (seen[kind] && kind != image_kind) {
      return Corrupted(absl::StrCat("section kind ", kind, " twice"));
    }
    if (offset < kArtifactHeaderSize || offset > file_size ||
        size > file_size - offset) {
      return Corrupted(absl::StrCat("section ", kind, " [", offset, ", +",
                                    size, ") out of bounds of the ",
                                    file_size, "-byte file"));
    }
    seen[kind] = true;
    sections[kind] = bytes.subspan(offset, size);
    section_offsets[kind] = offset;
    if (kind == image_kind) {
      // One per memory, in ascending memory index.
      const uint32_t memory = Get32(e + 4);
      if (!view.memory_images.empty() &&
          memory <= view.memory_images.back().memory_index) {
        return Corrupted(absl::StrCat("memory image sections for memory ",
                                      view.memory_images.back().memory_index,
                                      " then ", memory));
      }
      view.memory_images.push_back({memory, sections[kind], offset});
    }
  }
  for (uint32_t kind = 1; kind <= 5; ++kind) {
    if (!seen[kind]) {
      return Corrupted(absl::StrCat("section kind ", kind, " missing"));
    }
  }
  view.wasm = sections[static_cast<int>(SectionKind::kWasm)];
  view.code = sections[static_cast<int>(SectionKind::kCode)];
  view.code_file_offset = section_offsets[static_cast<int>(SectionKind::kCode)];
  if (view.code_file_offset % kArtifactCodeAlignment != 0) {
    return Corrupted(absl::StrCat("code section at ", view.code_file_offset,
                                  " is not ", kArtifactCodeAlignment,
                                  "-byte aligned"));
  }
  for (const MemoryImageSection& image : view.memory_images) {
    if (image.file_offset % kArtifactCodeAlignment != 0 ||
        image.bytes.size() % kArtifactCodeAlignment != 0 ||
        image.bytes.empty()) {
      return Corrupted(absl::StrCat("memory image section [",
                                    image.file_offset, ", +",
                                    image.bytes.size(),
                                    ") is not page aligned"));
    }
    // Nothing else may share the code's pages (they become executable).
    if (image.file_offset + image.bytes.size() > view.code_file_offset) {
      return Corrupted(absl::StrCat("section ", image_kind,
                                    " overlaps the code section"));
    }
  }
  // Nothing else may share the code's pages (they become executable).
  for (uint32_t kind = 1; kind <= kMaxKind; ++kind) {
    if (kind == static_cast<uint32_t>(SectionKind::kCode) || !seen[kind] ||
        kind == image_kind) {
      continue;
    }
    if (section_offsets[kind] + sections[kind].size() > view.code_file_offset) {
      return Corrupted(
          absl::StrCat("section ", kind, " overlaps the code section"));
    }
  }
  const uint64_t code_size = view.code.size();
  if (code_size > UINT32_MAX) return Corrupted("code section over 4 GiB");

  compiler::CompiledModule& cm = view.compiled;
  absl::Span<const uint8_t> traps =
      sections[static_cast<int>(SectionKind::kTraps)];
  if (traps.size() % kTrapRecordSize != 0) {
    return Corrupted("trap table size is not a multiple of 8");
  }
  cm.traps.resize(traps.size() / kTrapRecordSize);
  for (size_t k = 0, prev = 0; k < cm.traps.size(); ++k) {
    compiler::TrapEntry& entry = cm.traps[k];
    entry.code_offset = Get32(traps.data() + k * kTrapRecordSize);
    const uint32_t code = Get32(traps.data() + k * kTrapRecordSize + 4);
    if (code >= static_cast<uint32_t>(abi::kNumTrapCodes)) {
      return Corrupted(absl::StrCat("trap ", k, ": unknown trap code ", code));
    }
    entry.code = static_cast<abi::TrapCode>(code);
    if (entry.code_offset >= code_size || entry.code_offset < prev) {
      return Corrupted(absl::StrCat("trap ", k, ": code offset ",
                                    entry.code_offset,
                                    " out of order or out of bounds"));
    }
    prev = entry.code_offset;
  }

  absl::Span<const uint8_t> smap =
      sections[static_cast<int>(SectionKind::kSourceMap)];
  if (smap.size() % kSourceMapRecordSize != 0) {
    return Corrupted("source map size is not a multiple of 8");
  }
  static_assert(sizeof(compiler::SourceMapEntry) == kSourceMapRecordSize);
  cm.source_map.resize(smap.size() / kSourceMapRecordSize);
  if (!smap.empty()) std::memcpy(cm.source_map.data(), smap.data(), smap.size());
  for (size_t k = 0, prev = 0; k < cm.source_map.size(); ++k) {
    const compiler::SourceMapEntry& entry = cm.source_map[k];
    if (entry.code_offset > code_size || entry.wasm_offset > view.wasm.size() ||
        entry.code_offset < prev) {
      return Corrupted(absl::StrCat("source map entry ", k,
                                    " out of order or out of bounds"));
    }
    prev = entry.code_offset;
  }

  absl::Span<const uint8_t> funcs =
      sections[static_cast<int>(SectionKind::kFunctions)];
  if (funcs.size() % kFunctionRecordSize != 0) {
    return Corrupted("function table size is not a multiple of 32");
  }
  cm.functions.reserve(funcs.size() / kFunctionRecordSize);
  uint64_t prev_end = 0;
  uint32_t prev_traps = 0, prev_smap = 0;
  for (size_t i = 0; i < funcs.size(); i += kFunctionRecordSize) {
    const uint8_t* r = funcs.data() + i;
    compiler::CompiledFunctionInfo f;
    f.func_index = Get32(r);
    f.code_offset = Get32(r + 4);
    f.code_size = Get32(r + 8);
    f.frame_size = Get32(r + 12);
    f.traps_begin = Get32(r + 16);
    f.traps_end = Get32(r + 20);
    f.source_map_begin = Get32(r + 24);
    f.source_map_end = Get32(r + 28);
    const size_t n = i / kFunctionRecordSize;
    if (f.code_offset % compiler::kFunctionAlignment != 0 ||
        f.code_offset < prev_end ||
        uint64_t{f.code_offset} + f.code_size > code_size) {
      return Corrupted(absl::StrCat("function record ", n, ": code [",
                                    f.code_offset, ", +", f.code_size,
                                    ") misaligned, overlapping or out of "
                                    "bounds of the ",
                                    code_size, "-byte code section"));
    }
    if (f.traps_begin != prev_traps || f.traps_end < f.traps_begin ||
        f.traps_end > cm.traps.size() ||
        f.source_map_begin != prev_smap ||
        f.source_map_end < f.source_map_begin ||
        f.source_map_end > cm.source_map.size()) {
      return Corrupted(absl::StrCat("function record ", n,
                                    ": trap or source map range out of "
                                    "bounds"));
    }
    for (uint32_t k = f.traps_begin; k < f.traps_end; ++k) {
      const uint32_t at = cm.traps[k].code_offset;
      if (at < f.code_offset || at >= f.code_offset + f.code_size) {
        return Corrupted(absl::StrCat("function record ", n, ": trap ", k,
                                      " outside the function"));
      }
    }
    prev_end = uint64_t{f.code_offset} + f.code_size;
    prev_traps = f.traps_end;
    prev_smap = f.source_map_end;
    cm.functions.push_back(f);
  }
  if (prev_traps != cm.traps.size() || prev_smap != cm.source_map.size()) {
    return Corrupted("trap or source map entries outside every function");
  }
  if (!cm.functions.empty()) {
    cm.num_imported_functions = cm.functions.front().func_index;
  }
  return view;
}

absl::Status CheckCompatible(const Target& artifact, const Engine& engine) {
  const Target host = Target::ForEngine(engine);
  auto mismatch = [](std::string what) {
    return absl::FailedPreconditionError(
        absl::StrCat("precompiled module is incompatible with this engine: ",
                     what, " (recompile it with `kiln compile -o`)"));
  };
  if (artifact.version != host.version) {
    return mismatch(absl::StrCat("it was compiled by \"", artifact.version,
                                 "\", this is \"", host.version, "\""));
  }
  if (artifact.isa != host.isa) {
    return mismatch(absl::StrCat("it was compiled for ", IsaName(artifact.isa),
                                 ", this host is ", IsaName(host.isa)));
  }
  if ((artifact.features & ~host.features) != 0) {
    return mismatch(absl::StrCat(
        "its code uses CPU features this host lacks: ",
        FeatureNames(host.isa, artifact.features & ~host.features),
        " (compiled for [", FeatureNames(host.isa, artifact.features),
        "], host has [", FeatureNames(host.isa, host.features), "])"));
  }
  const uint32_t artifact_wasm =
      (artifact.options & kOptionWasmFeaturesMask) >> kOptionWasmFeaturesShift;
  const uint32_t host_wasm =
      (host.options & kOptionWasmFeaturesMask) >> kOptionWasmFeaturesShift;
  if ((artifact_wasm & ~host_wasm) != 0) {
    return mismatch(absl::StrCat(
        "it was validated with WebAssembly features the engine's Config "
        "turns off: ",
        wasm::Features::FromBits(artifact_wasm & ~host_wasm).ToString()));
  }
  if ((artifact.options & ~kOptionWasmFeaturesMask) !=
      (host.options & ~kOptionWasmFeaturesMask)) {
    return mismatch(absl::StrCat("it was compiled with ",
                                 OptionNames(artifact.options),
                                 ", the engine's Config gives ",
                                 OptionNames(host.options)));
  }
  if (artifact.memory_guard_bytes != host.memory_guard_bytes) {
    return mismatch(absl::StrCat("its code assumes a memory guard of ",
                                 artifact.memory_guard_bytes,
                                 " bytes, the runtime reserves ",
                                 host.memory_guard_bytes));
  }
  if (artifact.abi_fingerprint != host.abi_fingerprint) {
    return mismatch(absl::StrFormat(
        "ABI fingerprint %016x differs from this build's %016x (VMContext "
        "layout, builtins or trap codes changed)",
        artifact.abi_fingerprint, host.abi_fingerprint));
  }
  return absl::OkStatus();
}

namespace {

// The kMemoryImage section of memory `memory_index`: its copy-on-write
// image bytes, or empty when it has none or the image is much sparser than
// its data (a few bytes at offset 0 and at 1 GiB must not make a 1 GiB
// file; the loader then builds the image from the segments, sparsely).
std::vector<uint8_t> MemoryImageBytes(const wasm::ModuleInfo& module,
                                      uint32_t memory_index) {
  std::optional<runtime::ModuleImageSource> source =
      runtime::ImageSourceForMemory(module, memory_index);
  if (!source.has_value()) return {};
  std::optional<runtime::MemoryImage::Extent> extent =
      runtime::MemoryImage::Layout(source->segments, source->memory_size_bytes);
  if (!extent.has_value()) return {};
  uint64_t data_bytes = 0;
  for (const runtime::MemoryImage::Segment& seg : source->segments) {
    data_bytes += seg.bytes.size();
  }
  if (extent->length > 2 * data_bytes + 64 * 1024) return {};
  std::vector<uint8_t> image(extent->length, 0);
  for (const runtime::MemoryImage::Segment& seg : source->segments) {
    if (seg.bytes.empty()) continue;
    std::memcpy(image.data() + (seg.offset - extent->offset), seg.bytes.data(),
                seg.bytes.size());
  }
  return image;
}

}  // namespace

std::vector<MemoryImageSection> MemoryImageSections(
    const wasm::ModuleInfo& m, std::vector<std::vector<uint8_t>>& storage) {
  constexpr size_t kRoom = kArtifactMaxSections - 5;
  storage.clear();
  std::vector<uint32_t> indexes;
  for (uint32_t mem = m.num_imported_memories;
       mem < m.memories.size() && storage.size() < kRoom; ++mem) {
    std::vector<uint8_t> image = MemoryImageBytes(m, mem);
    if (image.empty()) continue;
    storage.push_back(std::move(image));
    indexes.push_back(mem);
  }
  std::vector<MemoryImageSection> sections;
  for (size_t k = 0; k < storage.size(); ++k) {
    sections.push_back({indexes[k], storage[k]});
  }
  return sections;
}

absl::StatusOr<std::vector<uint8_t>> SerializeForTarget(const Module& module,
                                                        const Target& target) {
  const internal::ModuleImpl& impl = *module.impl();
  if (impl.compiled == nullptr) {
    return absl::FailedPreconditionError(
        "module has no compiled metadata to serialize");
  }
  std::vector<std::vector<uint8_t>> images;
  return WriteArtifact(
      target, impl.info->bytes, *impl.compiled,
      absl::Span<const uint8_t>(impl.code_base, impl.code_size),
      MemoryImageSections(*impl.info, images));
}

namespace {

// Decodes the embedded wasm and builds the module. `mapping` as in
// internal::ModuleFromCompiled.
absl::StatusOr<Module> Load(const Engine& engine, ArtifactView view,
                            std::shared_ptr<const void> mapping) {
  if (!engine.init_status().ok()) return engine.init_status();
  if (absl::Status s = CheckCompatible(view.target, engine); !s.ok()) {
    return s;
  }
  wasm::DecodeOptions options;
  options.validate_function_bodies = false;  // validated when compiled
  options.features = wasm::Features::FromBits(view.target.options >>
                                              kOptionWasmFeaturesShift);
  absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> info =
      wasm::DecodeModule(view.wasm, options);
  if (!info.ok()) {
    return Corrupted(absl::StrCat("embedded wasm module: ",
                                  info.status().message()));
  }
  const wasm::ModuleInfo& m = **info;
  if (view.compiled.functions.size() != m.num_defined_functions()) {
    return Corrupted(absl::StrCat(view.compiled.functions.size(),
                                  " compiled functions, the module defines ",
                                  m.num_defined_functions()));
  }
  for (size_t i = 0; i < view.compiled.functions.size(); ++i) {
    if (view.compiled.functions[i].func_index != m.num_imported_functions + i) {
      return Corrupted(absl::StrCat("function record ", i, " has index ",
                                    view.compiled.functions[i].func_index,
                                    ", expected ",
                                    m.num_imported_functions + i));
    }
  }
  view.compiled.num_imported_functions = m.num_imported_functions;
  view.compiled.vmctx_counts = compiler::VMContextCountsFor(m);
  return internal::ModuleFromCompiled(engine, *std::move(info),
                                      std::move(view.compiled), view.code,
                                      std::move(mapping));
}

// A module from `path` whose artifact has kMemoryImage `sections`: each
// memory's image maps its part of the file (no build, no copy). Each
// section must be the image that memory's segments give.
absl::Status UseFileImages(Module& module, int fd,
                           absl::Span<const MemoryImageSection> sections) {
  internal::ModuleImpl& impl = *module.impl();
  if (!impl.engine.config().memory_init_cow) return absl::OkStatus();
  const wasm::ModuleInfo& m = *impl.info;
  std::vector<std::unique_ptr<runtime::MemoryImage>> preset;
  for (const MemoryImageSection& section : sections) {
    const uint64_t size = section.bytes.size();
    std::optional<runtime::MemoryImage::Extent> extent;
    if (section.memory_index >= m.num_imported_memories &&
        section.memory_index < m.memories.size()) {
      std::optional<runtime::ModuleImageSource> source =
          runtime::ImageSourceForMemory(m, section.memory_index);
      if (source.has_value()) {
        extent = runtime::MemoryImage::Layout(source->segments,
                                              source->memory_size_bytes);
      }
    }
    if (!extent.has_value() || extent->length != size) {
      return Corrupted(absl::StrCat(
          "memory image section of ", size, " bytes for memory ",
          section.memory_index, ", its data segments give ",
          extent.has_value() ? absl::StrCat(extent->length, " bytes")
                             : std::string("no image")));
    }
    absl::StatusOr<std::unique_ptr<runtime::MemoryImage>> image =
        runtime::MemoryImage::FromFile(fd, section.file_offset,
                                       extent->offset, extent->length);
    if (!image.ok()) return image.status();
    const uint32_t defined = section.memory_index - m.num_imported_memories;
    if (preset.size() <= defined) preset.resize(defined + 1);
    preset[defined] = *std::move(image);
  }
  absl::Status status = absl::OkStatus();
  std::call_once(impl.memory_image_once, [&] {
    // Memories without a section get theirs built.
    status = impl.memory_image_status =
        internal::SetMemoryImages(impl, std::move(preset));
    impl.memory_images_ready.store(true, std::memory_order_release);
  });
  return status;
}

absl::Status FileError(const std::string& path, absl::string_view what) {
  return absl::NotFoundError(
      absl::StrCat(path, ": ", what, ": ", std::strerror(errno)));
}

}  // namespace
}  // namespace serialize

absl::StatusOr<std::vector<uint8_t>> serialize::CompileArtifact(
    const Engine& engine, absl::Span<const uint8_t> wasm,
    const isa::Backend& backend) {
  if (!engine.init_status().ok()) return engine.init_status();
  uint32_t isa;
  if (backend.name() == "x64") {
    isa = serialize::kIsaX64;
  } else if (backend.name() == "aarch64") {
    isa = serialize::kIsaAarch64;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "serialize::CompileArtifact: no artifact ISA for backend ",
        std::string(backend.name())));
  }
  wasm::DecodeOptions decode;
  decode.validate_function_bodies = false;  // CompileModule validates them
  decode.features = engine.config().wasm_features;
  absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> info =
      wasm::DecodeModule(wasm, decode);
  if (!info.ok()) return info.status();
  compiler::CompileOptions options = internal::CompileOptionsFor(engine.config());
  options.backend = &backend;
  const serialize::Target target = serialize::Target::ForEngine(engine, isa);
  if (target.features == 0) options.features = {};
  absl::StatusOr<compiler::CompiledModule> compiled =
      compiler::CompileModule(**info, {}, options);
  if (!compiled.ok()) {
    if (absl::Status v = wasm::ValidateAllFunctions(**info); !v.ok()) return v;
    return compiled.status();
  }
  if (!compiled->relocations.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "serialize::CompileArtifact: ", compiled->relocations.size(),
        " unresolved relocations"));
  }
  std::vector<uint8_t> code = std::move(compiled->code);
  compiled->code.clear();
  std::vector<std::vector<uint8_t>> images;
  return serialize::WriteArtifact(target, wasm, *compiled, code,
                                  serialize::MemoryImageSections(**info, images));
}

absl::StatusOr<std::vector<uint8_t>> Module::Serialize() const {
  return serialize::SerializeForTarget(
      *this, serialize::Target::ForEngine(engine()));
}

absl::StatusOr<Module> Module::Deserialize(const Engine& engine,
                                           absl::Span<const uint8_t> bytes) {
  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(bytes);
  if (!view.ok()) return view.status();
  return serialize::Load(engine, *std::move(view), nullptr);
}

absl::StatusOr<Module> Module::DeserializeFile(const Engine& engine,
                                               const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return serialize::FileError(path, "cannot open");
  struct stat st;
  if (fstat(fd, &st) != 0) {
    absl::Status s = serialize::FileError(path, "cannot stat");
    close(fd);
    return s;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": precompiled module is truncated: 0 bytes"));
  }
  void* base = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (base == MAP_FAILED) {
    absl::Status s = serialize::FileError(path, "cannot map");
    close(fd);
    return s;
  }
  // Open until the memory image (if any) has dup'ed it.
  std::unique_ptr<int, void (*)(int*)> fd_closer(new int(fd), [](int* f) {
    close(*f);
    delete f;
  });
  std::shared_ptr<const void> mapping(
      base, [size](const void* p) { munmap(const_cast<void*>(p), size); });
  absl::Span<const uint8_t> bytes(static_cast<const uint8_t*>(base), size);

  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(bytes);
  if (!view.ok()) {
    return absl::Status(view.status().code(),
                        absl::StrCat(path, ": ", view.status().message()));
  }
  // Make the page-aligned code section executable in place (the file
  // mapping is private and was never writable). A file system mounted
  // noexec refuses; then the code is copied into fresh code memory.
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::shared_ptr<const void> code_mapping;
  if (!view->code.empty() && view->code_file_offset % page == 0) {
    uint8_t* code = static_cast<uint8_t*>(base) + view->code_file_offset;
    const size_t len = serialize::AlignUp(view->code.size(), page);
    if (mprotect(code, len, PROT_READ | PROT_EXEC) == 0) {
      code_mapping = mapping;
    }
  }
  // The spans point into `mapping`, alive until the end of this function.
  const std::vector<serialize::MemoryImageSection> images =
      view->memory_images;
  absl::StatusOr<Module> module =
      serialize::Load(engine, *std::move(view), std::move(code_mapping));
  if (module.ok() && !images.empty()) {
    if (absl::Status s = serialize::UseFileImages(*module, fd, images);
        !s.ok()) {
      module = s;
    }
  }
  if (!module.ok()) {
    return absl::Status(module.status().code(),
                        absl::StrCat(path, ": ", module.status().message()));
  }
  return module;
}

}  // namespace kiln
