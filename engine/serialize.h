// Precompiled modules (.cwasm): Module::Serialize / Module::Deserialize /
// Module::DeserializeFile are declared in engine/module.h and implemented in
// engine/serialize.cc. This header exposes the artifact format for tools
// (`kiln objdump`, tests): parsing and checking an artifact without loading
// it, and writing one for an explicit target (to test mismatches).
//
// A .cwasm is TRUSTED input, like wasmtime's: its machine code runs as is.
// The loader checks the header, the compatibility fields, checksums and
// every offset and length (so a truncated, corrupted or foreign file is a
// clear error, never undefined behaviour), but it cannot tell a malicious
// artifact with correct checksums from a good one. Only load artifacts you
// (or your build) produced.
//
// Layout (all integers little-endian):
//   0   char[8]  magic "KILNCWSM"
//   8   u32      format version (kArtifactFormatVersion)
//   12  u32      header size (kArtifactHeaderSize)
//   16  u64      file size (the whole artifact)
//   24  u64      header checksum: xxHash64 of bytes [0, header size) with
//                this field read as zero
//   32  u64      body checksum: xxHash64 of bytes [header size, file size)
//   40  u64      compatibility hash: xxHash64 of the target description
//                (the fields at 48.. below); a cache key for "same target"
//   48  u32      ISA (1 = x86-64, 2 = AArch64)
//   52  u32      CPU features the code uses (bit set, kFeature*)
//   56  u32      code-changing options (kOption*; bits 16.. are the
//                WebAssembly proposals the module was validated with)
//   60  u32      number of sections
//   64  u64      memory guard bytes the code assumes (bounds checks elided)
//   72  u64      ABI fingerprint (VMContext layout, builtins, trap codes)
//   80  char[48] Kiln version string, NUL padded
//   128 section table: per section {u32 kind, u32 memory index
//                (kMemoryImage; else 0), u64 offset, u64 size};
//                kArtifactMaxSections entries (unused: kind 0)
//   then the sections, each 8-byte aligned; the code section last, at an
//   offset that is a multiple of kArtifactCodeAlignment so that a file
//   mapping of the artifact can make it executable in place.
// Sections: kWasm (the original module bytes), kFunctions (per defined
// function: func_index, code_offset, code_size, frame_size, traps_begin,
// traps_end, source_map_begin, source_map_end as u32), kTraps ({u32
// code_offset, u32 trap code}), kSourceMap ({u32 code_offset, u32
// wasm_offset}), kCode (the position-independent code blob), and optional
// kMemoryImage sections (format 3: one per defined memory that has one,
// its memory index in the entry, ascending; format 2 had memory 0's
// only): a memory's copy-on-write image, page aligned, before the code:
// exactly the bytes [offset, offset + length) of that memory after its
// active data segments are applied, where offset and length are what
// runtime::MemoryImage::Layout gives for its segments (recomputed by the
// loader and checked against the section size). DeserializeFile maps each
// MAP_PRIVATE from the file into each instance; written only when the
// image is not much sparser than its data (otherwise the loader builds it
// from the data segments, as for memories without a section), for at most
// the kArtifactMaxSections - 5 first such memories.
#ifndef KILN_ENGINE_SERIALIZE_H_
#define KILN_ENGINE_SERIALIZE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/compiler/compiled_module.h"
#include "engine/engine.h"
#include "engine/module.h"

namespace kiln::isa {
class Backend;
}  // namespace kiln::isa

namespace kiln::serialize {

// The version string artifacts record; an artifact from another version is
// rejected.
inline constexpr char kKilnVersion[] = "kiln 0.1.0-dev";
inline constexpr char kArtifactMagic[8] = {'K', 'I', 'L', 'N',
                                           'C', 'W', 'S', 'M'};
// 2: kMemoryImage; 3: one kMemoryImage section per memory.
inline constexpr uint32_t kArtifactFormatVersion = 3;
inline constexpr uint32_t kArtifactHeaderSize = 512;
inline constexpr uint32_t kArtifactMaxSections = 16;
inline constexpr uint32_t kArtifactCodeAlignment = 4096;  // x86-64 page
inline constexpr uint32_t kIsaX64 = 1;
inline constexpr uint32_t kIsaAarch64 = 2;

// CPU feature bits: bit i is field i of codegen/isa's CpuFeatures (a
// struct of bools) the code was compiled for; every field is recorded, the
// known ones have names. The bits mean different features per ISA
// (Target::isa): x86-64's first, then AArch64's.
inline constexpr uint32_t kFeatureSse41 = 1u << 0;
inline constexpr uint32_t kFeaturePopcnt = 1u << 1;
inline constexpr uint32_t kFeatureLzcnt = 1u << 2;
inline constexpr uint32_t kFeatureBmi1 = 1u << 3;
inline constexpr uint32_t kFeatureSse42 = 1u << 4;
inline constexpr uint32_t kFeatureFma = 1u << 5;
inline constexpr uint32_t kFeatureAvx = 1u << 6;
inline constexpr uint32_t kFeatureBmi2 = 1u << 7;
inline constexpr uint32_t kFeatureLse = 1u << 0;  // AArch64
// Code-changing options.
inline constexpr uint32_t kOptionOptimize = 1u << 0;
inline constexpr uint32_t kOptionStackCheck = 1u << 1;
inline constexpr uint32_t kOptionFuncRefInitBit = 1u << 2;
// Interruption checks in the code (Config::consume_fuel,
// Config::epoch_interruption).
inline constexpr uint32_t kOptionConsumeFuel = 1u << 3;
inline constexpr uint32_t kOptionEpochInterruption = 1u << 4;
// Config::relaxed_simd_deterministic.
inline constexpr uint32_t kOptionRelaxedSimdDeterministic = 1u << 5;
// Bits 16..31: the WebAssembly proposals (wasm::Features::Bits(), one bit
// per row of wasm/features.def) the module was validated with. An engine
// loads an artifact whose features are a subset of its Config's
// wasm_features (the module uses nothing the engine turned off); the other
// option bits must be equal.
inline constexpr uint32_t kOptionWasmFeaturesShift = 16;
inline constexpr uint32_t kOptionWasmFeaturesMask = 0xffffu
                                                    << kOptionWasmFeaturesShift;

enum class SectionKind : uint32_t {
  kNone = 0,
  kWasm = 1,
  kFunctions = 2,
  kTraps = 3,
  kSourceMap = 4,
  kCode = 5,
  kMemoryImage = 6,  // optional
};

// Everything about the producer that must agree with the loader.
struct Target {
  std::string version = kKilnVersion;
  uint32_t isa = kIsaX64;
  uint32_t features = 0;
  uint32_t options = 0;
  uint64_t memory_guard_bytes = 0;
  uint64_t abi_fingerprint = 0;

  // What `engine` compiles for (and so what it can load).
  static Target ForEngine(const Engine& engine);
  // What `engine`'s settings compile to for `isa` (kIsa*): a cross-compile
  // records no optional CPU features and the target's ABI fingerprint.
  static Target ForEngine(const Engine& engine, uint32_t isa);
  // "x86-64 [sse4.1 popcnt lzcnt bmi1], optimize, stack-check, ..." for
  // messages and objdump.
  std::string ToString() const;
  uint64_t Hash() const;
};

// "x86-64", "aarch64" or "isa N".
std::string IsaName(uint32_t isa);

// Names of the bits in `features` for `isa` (x86-64: "sse4.1 popcnt lzcnt
// bmi1", AArch64: "lse"), unknown bits as "bit31".
std::string FeatureNames(uint32_t isa, uint32_t features);

// One kMemoryImage section: memory `memory_index`'s image bytes (and,
// parsed, their offset in the artifact).
struct MemoryImageSection {
  uint32_t memory_index = 0;
  absl::Span<const uint8_t> bytes;
  uint64_t file_offset = 0;
};

// Every defined memory's image of `m` (as far as the section table has
// room) as kMemoryImage sections; their bytes live in `storage`.
std::vector<MemoryImageSection> MemoryImageSections(
    const wasm::ModuleInfo& m, std::vector<std::vector<uint8_t>>& storage);

// A parsed and bounds-checked artifact. Spans point into the parsed bytes.
struct ArtifactView {
  uint32_t format_version = 0;
  uint64_t compat_hash = 0;
  Target target;
  absl::Span<const uint8_t> wasm;
  // Metadata; `compiled.code` stays empty (see `code`).
  compiler::CompiledModule compiled;
  absl::Span<const uint8_t> code;
  uint64_t code_file_offset = 0;  // offset of `code` in the artifact
  // The kMemoryImage sections, ascending memory index.
  std::vector<MemoryImageSection> memory_images;
};

// Parses `bytes`: magic, format version, sizes, checksums (unless
// `verify_checksums` is false), the section table and every per-function
// offset, trap and source map entry. Does not check the target against an
// engine (see CheckCompatible). Errors: kInvalidArgument ("not a Kiln
// precompiled module", "truncated", "corrupted: ... checksum mismatch",
// "... out of bounds"), kFailedPrecondition (format version).
absl::StatusOr<ArtifactView> ParseArtifact(absl::Span<const uint8_t> bytes,
                                           bool verify_checksums = true);

// kFailedPrecondition naming the first thing that differs between the
// artifact's target and what `engine` needs (Kiln version, ISA, CPU
// features the host lacks, options, guard size, ABI).
absl::Status CheckCompatible(const Target& artifact, const Engine& engine);

// True if `bytes` starts with the artifact magic.
bool IsArtifact(absl::Span<const uint8_t> bytes);

// Writes an artifact for `target` (normally Target::ForEngine). Tests use
// other targets to produce mismatched artifacts.
// `memory_images` become kMemoryImage sections (their file_offset is
// ignored).
std::vector<uint8_t> WriteArtifact(
    const Target& target, absl::Span<const uint8_t> wasm,
    const compiler::CompiledModule& compiled, absl::Span<const uint8_t> code,
    absl::Span<const MemoryImageSection> memory_images = {});

// Module::Serialize with an explicit target (tests).
absl::StatusOr<std::vector<uint8_t>> SerializeForTarget(const Module& module,
                                                        const Target& target);

// Compiles `wasm` with `engine`'s settings for `backend`'s ISA and returns
// the artifact: `kiln compile --target=aarch64 -o F.cwasm` on an x86-64
// host writes one the AArch64 build loads (and x86-64 refuses).
absl::StatusOr<std::vector<uint8_t>> CompileArtifact(
    const Engine& engine, absl::Span<const uint8_t> wasm,
    const isa::Backend& backend);

// xxHash64 (the reference algorithm), seed 0 by default.
uint64_t XxHash64(absl::Span<const uint8_t> data, uint64_t seed = 0);

}  // namespace kiln::serialize

#endif  // KILN_ENGINE_SERIALIZE_H_
