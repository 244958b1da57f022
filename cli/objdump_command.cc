// `kiln objdump FILE`: what is in a module (.wasm, .wat) or a precompiled
// module (.cwasm): sections with offsets and sizes, types, imports,
// exports, functions with their code ranges, and each function's machine
// code annotated with wasm byte offsets (cli/asm_printer).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/asm_printer.h"
#include "cli/module_loader.h"
#include "cli/subcommand.h"
#include "engine/kiln.h"
#include "engine/serialize.h"
#include "wasm/decoder.h"

namespace kiln::cli {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: kiln objdump [OPTIONS] FILE

Prints what is in a WebAssembly module (binary .wasm or text .wat, which is
compiled first) or in a precompiled module (.cwasm, from `kiln compile -o`,
read without compiling): for a .cwasm its header (Kiln version, target CPU
features, options); then the sections with their byte offsets and sizes,
types, imports, exports, functions (type, body range in the module, code
range and frame size in the compiled code, trap sites), and each function's
disassembly (x86-64 or AArch64: the artifact's ISA) annotated with the wasm
byte offset of each instruction ("; @0x1a3") and trap sites ("; trap: ...").

Options:
  --headers       only the header and the section table
  -x, --details   header, sections, types, imports, exports, functions; no
                  disassembly
  -d, --disassemble
                  only the disassembly
  --func=N        disassemble only function N (function index space)
  --no-opt        compile a .wasm/.wat without the optimization passes
  -h, --help      this text
)";

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

int Usage(std::string_view error) {
  std::fprintf(stderr, "kiln objdump: %.*s\n\n%.*s",
               static_cast<int>(error.size()), error.data(),
               static_cast<int>(kHelp.size()), kHelp.data());
  return 2;
}

const char* SectionName(uint8_t id) {
  static constexpr const char* kNames[] = {
      "custom", "type",   "import", "function", "table", "memory",   "global",
      "export", "start",  "elem",   "code",     "data",  "datacount"};
  return id < sizeof(kNames) / sizeof(kNames[0]) ? kNames[id] : "unknown";
}

// Reads an unsigned LEB128 u32 at `*pos` (bounds-checked).
bool ReadU32(absl::Span<const uint8_t> b, size_t* pos, uint32_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= b.size()) return false;
    const uint8_t byte = b[(*pos)++];
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      if (v > UINT32_MAX) return false;
      *out = static_cast<uint32_t>(v);
      return true;
    }
  }
  return false;
}

// The section table of a (decoded, so well-formed) binary module.
void PrintSections(absl::Span<const uint8_t> wasm, std::string* out) {
  absl::StrAppend(out, "Sections:\n");
  absl::StrAppendFormat(out, "  %-10s %-10s %-10s %s\n", "name", "start",
                        "size", "contents");
  size_t pos = 8;
  while (pos < wasm.size()) {
    const size_t start = pos;
    const uint8_t id = wasm[pos++];
    uint32_t size;
    if (!ReadU32(wasm, &pos, &size) || size > wasm.size() - pos) {
      absl::StrAppendFormat(out, "  (malformed section header at 0x%x)\n",
                            start);
      return;
    }
    const size_t payload = pos;
    std::string contents;
    size_t p = payload;
    const absl::Span<const uint8_t> body = wasm.first(payload + size);
    if (id == 0) {
      uint32_t len;
      if (ReadU32(body, &p, &len) && len <= body.size() - p) {
        contents = absl::StrCat(
            "\"",
            absl::string_view(reinterpret_cast<const char*>(&body[p]), len),
            "\"");
      }
    } else if (id == 8) {
      uint32_t f;
      if (ReadU32(body, &p, &f)) contents = absl::StrCat("func ", f);
    } else if (id <= 12) {
      uint32_t count;
      if (ReadU32(body, &p, &count)) contents = absl::StrCat("count ", count);
    }
    absl::StrAppendFormat(out, "  %-10s 0x%08x 0x%08x %s\n", SectionName(id),
                          start, size, contents);
    pos = payload + size;
  }
  out->push_back('\n');
}

std::string LimitsText(const wasm::Limits& l) {
  return l.max.has_value() ? absl::StrCat("min ", l.min, " max ", *l.max)
                           : absl::StrCat("min ", l.min);
}

std::string ExternText(const wasm::ModuleInfo& m, const wasm::Import& i) {
  switch (i.kind) {
    case wasm::ExternKind::kFunction:
      return absl::StrCat("type ", i.func_type_index, " ",
                          m.types[i.func_type_index].ToString());
    case wasm::ExternKind::kTable:
      return absl::StrCat(wasm::ValTypeName(i.table.elem_type), " ",
                          LimitsText(i.table.limits));
    case wasm::ExternKind::kMemory:
      return absl::StrCat(i.memory.is64 ? "i64 " : "", "pages ",
                          LimitsText(i.memory.limits));
    case wasm::ExternKind::kGlobal:
      return absl::StrCat(i.global.mutable_ ? "mut " : "",
                          wasm::ValTypeName(i.global.type));
  }
  return "";
}

void PrintDetails(const wasm::ModuleInfo& m,
                  const compiler::CompiledModule& cm, std::string* out) {
  absl::StrAppend(out, "Types: ", m.types.size(), "\n");
  for (size_t t = 0; t < m.types.size(); ++t) {
    absl::StrAppend(out, "  type[", t, "] ", m.types[t].ToString(), "\n");
  }
  absl::StrAppend(out, "\nImports: ", m.imports.size(), "\n");
  uint32_t counts[4] = {};
  for (const wasm::Import& i : m.imports) {
    const uint32_t index = counts[static_cast<int>(i.kind)]++;
    absl::StrAppend(out, "  ", wasm::ExternKindName(i.kind), "[", index,
                    "] ", i.module, "::", i.name, ": ", ExternText(m, i),
                    "\n");
  }
  absl::StrAppend(out, "\nExports: ", m.exports.size(), "\n");
  for (const wasm::Export& e : m.exports) {
    absl::StrAppend(out, "  ", wasm::ExternKindName(e.kind), "[", e.index,
                    "] \"", e.name, "\"\n");
  }
  if (!m.tables.empty() || !m.memories.empty() || !m.globals.empty()) {
    absl::StrAppend(out, "\nTables: ", m.tables.size(), ", memories: ",
                    m.memories.size(), ", globals: ", m.globals.size(), "\n");
    for (size_t t = 0; t < m.tables.size(); ++t) {
      absl::StrAppend(out, "  table[", t, "] ",
                      wasm::ValTypeName(m.tables[t].type.elem_type), " ",
                      LimitsText(m.tables[t].type.limits),
                      m.tables[t].imported ? " (imported)" : "", "\n");
    }
    for (size_t i = 0; i < m.memories.size(); ++i) {
      absl::StrAppend(out, "  memory[", i, "] ",
                      m.memories[i].type.is64 ? "i64 " : "", "pages ",
                      LimitsText(m.memories[i].type.limits),
                      m.memories[i].imported ? " (imported)" : "", "\n");
    }
    for (size_t g = 0; g < m.globals.size(); ++g) {
      absl::StrAppend(out, "  global[", g, "] ",
                      m.globals[g].type.mutable_ ? "mut " : "",
                      wasm::ValTypeName(m.globals[g].type.type),
                      m.globals[g].imported ? " (imported)" : "", "\n");
    }
  }
  if (m.start.has_value()) absl::StrAppend(out, "\nStart: func ", *m.start, "\n");
  absl::StrAppend(out, "\nFunctions: ", m.functions.size(), " (",
                  m.num_imported_functions, " imported)\n");
  for (uint32_t f = 0; f < m.functions.size(); ++f) {
    const wasm::Function& fn = m.functions[f];
    const std::string* name = m.FunctionName(f);
    std::string line = absl::StrCat("  func[", f, "]",
                                    name ? absl::StrCat(" $", *name) : "",
                                    " type ", fn.type_index, " ",
                                    m.types[fn.type_index].ToString());
    if (fn.imported) {
      const wasm::Import& i = m.imports[fn.import_index];
      absl::StrAppend(&line, " imported ", i.module, "::", i.name);
    } else {
      absl::StrAppendFormat(&line, " body 0x%x+%u", fn.body_offset,
                            fn.body_size);
      if (f >= cm.num_imported_functions &&
          f - cm.num_imported_functions < cm.functions.size()) {
        const compiler::CompiledFunctionInfo& c = cm.Function(f);
        absl::StrAppendFormat(&line, " code 0x%x+%u frame %u traps %u",
                              c.code_offset, c.code_size, c.frame_size,
                              c.traps_end - c.traps_begin);
      }
    }
    absl::StrAppend(out, line, "\n");
  }
  out->push_back('\n');
}

int Run(const std::vector<std::string_view>& args) {
  bool headers = true, details = true, disassemble = true;
  bool optimize = true;
  int64_t only_func = -1;
  std::string file;
  for (std::string_view arg : args) {
    if (arg == "--headers") {
      details = disassemble = false;
    } else if (arg == "-x" || arg == "--details") {
      disassemble = false;
    } else if (arg == "-d" || arg == "--disassemble") {
      headers = details = false;
    } else if (arg.substr(0, 7) == "--func=") {
      if (!absl::SimpleAtoi(AV(arg.substr(7)), &only_func) || only_func < 0) {
        return Usage("--func needs a function index");
      }
    } else if (arg == "--no-opt") {
      optimize = false;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage(absl::StrCat("unknown option '", AV(arg), "'"));
    } else if (file.empty()) {
      file = std::string(arg);
    } else {
      return Usage("more than one file given");
    }
  }
  if (file.empty()) return Usage("no file given");
  auto fail = [&](const absl::Status& status) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(),
                 std::string(status.message()).c_str());
    return 1;
  };

  // Both forms end up as an artifact: a .wasm is compiled and serialized in
  // memory, so one path prints both.
  std::vector<uint8_t> artifact;
  const bool precompiled = IsPrecompiledFile(file);
  if (precompiled) {
    absl::StatusOr<std::string> contents = ReadFileToString(file);
    if (!contents.ok()) return fail(contents.status());
    artifact.assign(contents->begin(), contents->end());
  } else {
    Config config;
    config.optimize = optimize;
    Engine engine(config);
    absl::StatusOr<Module> module = LoadModule(engine, file);
    if (!module.ok()) return fail(module.status());
    absl::StatusOr<std::vector<uint8_t>> bytes = module->Serialize();
    if (!bytes.ok()) return fail(bytes.status());
    artifact = *std::move(bytes);
  }
  absl::StatusOr<serialize::ArtifactView> view =
      serialize::ParseArtifact(artifact);
  if (!view.ok()) return fail(view.status());
  wasm::DecodeOptions decode_options;
  decode_options.validate_function_bodies = false;
  absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> info =
      wasm::DecodeModule(view->wasm, decode_options);
  if (!info.ok()) {
    return fail(absl::Status(
        info.status().code(),
        absl::StrCat(precompiled ? "embedded wasm module: " : "",
                     info.status().message())));
  }
  const wasm::ModuleInfo& m = **info;
  compiler::CompiledModule& cm = view->compiled;
  cm.num_imported_functions = m.num_imported_functions;
  if (cm.functions.size() != m.num_defined_functions()) {
    return fail(absl::InvalidArgumentError(
        "precompiled module is corrupted: function count differs from the "
        "module's"));
  }

  std::string out;
  if (headers) {
    if (precompiled) {
      absl::StrAppendFormat(
          &out,
          "%s: Kiln precompiled module, format %u, %u bytes\n"
          "  target: %s\n"
          "  compatibility hash: %016x\n"
          "  embedded wasm: %u bytes; code: %u bytes at file offset 0x%x, %u "
          "functions, %u trap sites, %u source map entries\n",
          file, view->format_version, artifact.size(),
          view->target.ToString(), view->compat_hash, view->wasm.size(),
          view->code.size(), view->code_file_offset, cm.functions.size(),
          cm.traps.size(), cm.source_map.size());
      for (const serialize::MemoryImageSection& image :
           view->memory_images) {
        absl::StrAppendFormat(&out,
                              "  memory %u image: %u bytes at file offset 0x%x "
                              "(mapped copy-on-write by instances)\n",
                              image.memory_index, image.bytes.size(),
                              image.file_offset);
      }
      out.push_back('\n');
    } else {
      absl::StrAppendFormat(&out,
                            "%s: WebAssembly module, %u bytes; compiled: %u "
                            "bytes of code, %u trap sites\n\n",
                            file, view->wasm.size(), view->code.size(),
                            cm.traps.size());
    }
    PrintSections(view->wasm, &out);
  }
  if (details) PrintDetails(m, cm, &out);
  if (disassemble) {
    if (headers || details) out += "Disassembly:\n";
    for (const compiler::CompiledFunctionInfo& f : cm.functions) {
      if (only_func >= 0 && f.func_index != only_func) continue;
      // The artifact's ISA (a cross-compiled .cwasm holds AArch64 code).
      PrintAsm(m, cm, view->code, f, &out,
               view->target.isa == serialize::kIsaAarch64 ? "aarch64" : "x64");
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

const Subcommand& ObjdumpSubcommand() {
  static const Subcommand kSubcommand = {
      .name = "objdump",
      .summary = "show a module's or .cwasm's sections, imports, exports and "
                 "machine code",
      .help = kHelp,
      .run = &Run,
  };
  return kSubcommand;
}

}  // namespace kiln::cli
