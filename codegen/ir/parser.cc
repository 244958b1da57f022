#include "codegen/ir/parser.h"

#include "codegen/ir/simd.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kiln::ir {
namespace {

enum class Tok { kEof, kIdent, kNumber, kName, kPunct, kArrow };

struct Token {
  Tok kind = Tok::kEof;
  absl::string_view text;
  int line = 1;
  int col = 1;
};

class Lexer {
 public:
  explicit Lexer(absl::string_view s) : s_(s) {}

  Token Next() {
    SkipSpace();
    Token t;
    t.line = line_;
    t.col = col_;
    if (pos_ >= s_.size()) return t;
    size_t start = pos_;
    char c = s_[pos_];
    auto is_ident = [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ||
             ch == '.';
    };
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < s_.size() && is_ident(s_[pos_])) Advance();
      t.kind = Tok::kIdent;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && pos_ + 1 < s_.size() &&
                std::isdigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
      Advance();
      bool hex = false;
      while (pos_ < s_.size()) {
        char ch = s_[pos_];
        if (ch == 'x' || ch == 'X') hex = true;
        if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' ||
            ch == '_') {
          Advance();
        } else if ((ch == '+' || ch == '-') && !hex &&
                   (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')) {
          Advance();
        } else {
          break;
        }
      }
      t.kind = Tok::kNumber;
    } else if (c == '%') {
      // Function names may carry wasm name-section text ("$fac-rec"):
      // anything up to whitespace or the signature's '('.
      Advance();
      while (pos_ < s_.size() && s_[pos_] != '(' && s_[pos_] != ';' &&
             !std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        Advance();
      }
      t.kind = Tok::kName;
    } else if (c == '-' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '>') {
      Advance();
      Advance();
      t.kind = Tok::kArrow;
    } else {
      Advance();
      t.kind = Tok::kPunct;
    }
    t.text = s_.substr(start, pos_ - start);
    return t;
  }

 private:
  void Advance() {
    if (s_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }
  void SkipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ';') {
        while (pos_ < s_.size() && s_[pos_] != '\n') Advance();
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else {
        break;
      }
    }
  }

  absl::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

// "v12" -> 12 with prefix "v".
std::optional<uint32_t> EntityNumber(absl::string_view text,
                                     absl::string_view prefix) {
  if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  absl::string_view digits = text.substr(prefix.size());
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  uint32_t n = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    uint64_t next = uint64_t{n} * 10 + (c - '0');
    // Cap ids: a hostile "v4000000000" must not size the dense tables.
    if (next >= (1u << 20)) return std::nullopt;
    n = static_cast<uint32_t>(next);
  }
  return n;
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : lex_(text) { tok_ = lex_.Next(); }

  absl::StatusOr<std::vector<Function>> ParseAll() {
    std::vector<Function> out;
    while (tok_.kind != Tok::kEof) {
      Function f;
      if (absl::Status s = ParseFunc(f); !s.ok()) return s;
      out.push_back(std::move(f));
    }
    return out;
  }

 private:
  struct Use {
    Value v;
    int line, col;
  };

  absl::Status Error(const Token& t, absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat(t.line, ":", t.col, ": ", msg));
  }
  absl::Status Error(absl::string_view msg) { return Error(tok_, msg); }
  void Bump() { tok_ = lex_.Next(); }
  bool IsPunct(char c) const {
    return tok_.kind == Tok::kPunct && tok_.text[0] == c;
  }
  absl::Status Expect(char c) {
    if (!IsPunct(c)) {
      return Error(absl::StrCat("expected '", std::string(1, c), "', got '",
                                tok_.text, "'"));
    }
    Bump();
    return absl::OkStatus();
  }
  bool TakePunct(char c) {
    if (!IsPunct(c)) return false;
    Bump();
    return true;
  }

  absl::StatusOr<Type> ParseTypeTok() {
    if (tok_.kind == Tok::kIdent) {
      if (auto t = ParseType(tok_.text)) {
        Bump();
        return *t;
      }
    }
    return Error(absl::StrCat("expected a type, got '", tok_.text, "'"));
  }

  absl::StatusOr<int64_t> ParseInt() {
    if (tok_.kind != Tok::kNumber) {
      return Error(absl::StrCat("expected an integer, got '", tok_.text, "'"));
    }
    std::string s(tok_.text);
    bool neg = false;
    absl::string_view body = s;
    if (!body.empty() && body[0] == '-') {
      neg = true;
      body.remove_prefix(1);
    }
    uint64_t u = 0;
    bool ok;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
      ok = absl::SimpleHexAtoi(body.substr(2), &u);
    } else {
      ok = absl::SimpleAtoi(body, &u);
    }
    if (!ok) return Error(absl::StrCat("bad integer '", tok_.text, "'"));
    Bump();
    // Two's complement wrap: -9223372036854775808 and 0xffffffffffffffff
    // both read back.
    return static_cast<int64_t>(neg ? 0 - u : u);
  }

  absl::StatusOr<uint64_t> ParseFloatBits(bool is64) {
    if (tok_.kind != Tok::kNumber) {
      return Error(absl::StrCat("expected a float, got '", tok_.text, "'"));
    }
    std::string s(tok_.text);
    uint64_t bits = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      if (!absl::SimpleHexAtoi(absl::string_view(s).substr(2), &bits)) {
        return Error(absl::StrCat("bad float bits '", s, "'"));
      }
      if (!is64 && bits > 0xffffffffu) return Error("f32 bits out of range");
    } else {
      char* end = nullptr;
      errno = 0;
      if (is64) {
        double d = std::strtod(s.c_str(), &end);
        std::memcpy(&bits, &d, 8);
      } else {
        float f = std::strtof(s.c_str(), &end);
        uint32_t b;
        std::memcpy(&b, &f, 4);
        bits = b;
      }
      if (end != s.c_str() + s.size()) {
        return Error(absl::StrCat("bad float '", s, "'"));
      }
    }
    Bump();
    return bits;
  }

  // A value use: records it for the undefined-value check.
  absl::StatusOr<Value> ParseValueUse() {
    std::optional<uint32_t> n;
    if (tok_.kind == Tok::kIdent) n = EntityNumber(tok_.text, "v");
    if (!n) return Error(absl::StrCat("expected a value, got '", tok_.text, "'"));
    Value v = f_->EnsureValue(*n);
    uses_.push_back({v, tok_.line, tok_.col});
    Bump();
    return v;
  }

  absl::StatusOr<Block> ParseBlockRef() {
    std::optional<uint32_t> n;
    if (tok_.kind == Tok::kIdent) n = EntityNumber(tok_.text, "block");
    if (!n) return Error(absl::StrCat("expected a block, got '", tok_.text, "'"));
    Block b = f_->EnsureBlock(*n);
    block_uses_.push_back({b, tok_.line, tok_.col});
    Bump();
    return b;
  }

  // blockN or blockN(v1, v2)
  absl::Status ParseBlockCall(Block* b, std::vector<Value>* args) {
    auto blk = ParseBlockRef();
    if (!blk.ok()) return blk.status();
    *b = *blk;
    args->clear();
    if (TakePunct('(')) {
      if (!IsPunct(')')) {
        do {
          auto v = ParseValueUse();
          if (!v.ok()) return v.status();
          args->push_back(*v);
        } while (TakePunct(','));
      }
      if (auto s = Expect(')'); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ParseValueListUntil(char close, std::vector<Value>* out) {
    if (!IsPunct(close)) {
      do {
        auto v = ParseValueUse();
        if (!v.ok()) return v.status();
        out->push_back(*v);
      } while (TakePunct(','));
    }
    return Expect(close);
  }

  // Optional "+N" / "-N" after an address operand.
  absl::StatusOr<int64_t> ParseOffset() {
    if (TakePunct('+')) return ParseInt();
    if (tok_.kind == Tok::kNumber && tok_.text[0] == '-') return ParseInt();
    return 0;
  }

  absl::Status ParseSignature(Signature* sig) {
    if (auto s = Expect('('); !s.ok()) return s;
    if (!IsPunct(')')) {
      do {
        auto t = ParseTypeTok();
        if (!t.ok()) return t.status();
        sig->params.push_back(*t);
      } while (TakePunct(','));
    }
    if (auto s = Expect(')'); !s.ok()) return s;
    if (tok_.kind == Tok::kArrow) {
      Bump();
      do {
        auto t = ParseTypeTok();
        if (!t.ok()) return t.status();
        sig->results.push_back(*t);
      } while (TakePunct(','));
    }
    return absl::OkStatus();
  }

  absl::Status ParseFunc(Function& f) {
    f_ = &f;
    uses_.clear();
    block_uses_.clear();
    pending_.clear();
    if (tok_.kind != Tok::kIdent || tok_.text != "function") {
      return Error(absl::StrCat("expected 'function', got '", tok_.text, "'"));
    }
    Bump();
    if (tok_.kind != Tok::kName) return Error("expected a function name %name");
    f.set_name(std::string(tok_.text.substr(1)));
    Bump();
    Signature sig;
    if (auto s = ParseSignature(&sig); !s.ok()) return s;
    f.mutable_signature() = sig;
    if (auto s = Expect('{'); !s.ok()) return s;

    // Preamble.
    while (tok_.kind == Tok::kIdent) {
      if (auto n = EntityNumber(tok_.text, "sig")) {
        if (*n != f.num_signatures()) {
          return Error(absl::StrCat("expected sig", f.num_signatures()));
        }
        Bump();
        if (auto s = Expect('='); !s.ok()) return s;
        Signature d;
        if (auto s = ParseSignature(&d); !s.ok()) return s;
        f.DeclareSignature(std::move(d));
      } else if (auto n = EntityNumber(tok_.text, "fn")) {
        if (*n != f.num_ext_funcs()) {
          return Error(absl::StrCat("expected fn", f.num_ext_funcs()));
        }
        Bump();
        if (auto s = Expect('='); !s.ok()) return s;
        ExtFuncKind kind = ExtFuncKind::kWasm;
        if (tok_.kind == Tok::kIdent && tok_.text == "builtin") {
          kind = ExtFuncKind::kBuiltin;
        } else if (tok_.kind != Tok::kIdent || tok_.text != "func") {
          return Error("expected 'func' or 'builtin'");
        }
        Bump();
        auto idx = ParseInt();
        if (!idx.ok()) return idx.status();
        std::optional<uint32_t> sn;
        if (tok_.kind == Tok::kIdent) sn = EntityNumber(tok_.text, "sig");
        if (!sn || *sn >= f.num_signatures()) {
          return Error(absl::StrCat("expected a declared signature, got '",
                                    tok_.text, "'"));
        }
        Bump();
        f.DeclareFunction(static_cast<uint32_t>(*idx), SigRef(*sn), kind);
      } else {
        break;
      }
    }

    // Blocks.
    Block cur;
    while (!IsPunct('}')) {
      if (tok_.kind == Tok::kEof) return Error("unexpected end of input");
      if (tok_.kind == Tok::kIdent) {
        if (auto n = EntityNumber(tok_.text, "block")) {
          Token bt = tok_;
          Block b = f.EnsureBlock(*n);
          if (f.IsBlockInLayout(b)) {
            return Error(bt, absl::StrCat("block", *n, " defined twice"));
          }
          Bump();
          if (TakePunct('(')) {
            if (!IsPunct(')')) {
              do {
                std::optional<uint32_t> vn;
                if (tok_.kind == Tok::kIdent) vn = EntityNumber(tok_.text, "v");
                if (!vn) return Error("expected a block parameter vN");
                Token vt = tok_;
                Value v = f.EnsureValue(*vn);
                if (f.IsValueDefined(v)) {
                  return Error(vt, absl::StrCat("v", *vn, " defined twice"));
                }
                Bump();
                if (auto s = Expect(':'); !s.ok()) return s;
                auto t = ParseTypeTok();
                if (!t.ok()) return t.status();
                f.AppendBlockParamValue(b, v, *t);
              } while (TakePunct(','));
            }
            if (auto s = Expect(')'); !s.ok()) return s;
          }
          if (auto s = Expect(':'); !s.ok()) return s;
          f.AppendBlock(b);
          cur = b;
          continue;
        }
      }
      if (!cur.valid()) return Error("expected a block header before instructions");
      if (auto s = ParseInst(cur); !s.ok()) return s;
    }
    Bump();  // '}'
    return Finish();
  }

  absl::Status ParseInst(Block cur) {
    Function& f = *f_;
    uint32_t srcloc = kNoSrcLoc;
    if (IsPunct('@')) {
      Bump();
      uint64_t loc = 0;
      if ((tok_.kind != Tok::kNumber && tok_.kind != Tok::kIdent) ||
          !absl::SimpleHexAtoi(tok_.text, &loc) || loc >= kNoSrcLoc) {
        return Error(absl::StrCat("bad source location '@", tok_.text, "'"));
      }
      srcloc = static_cast<uint32_t>(loc);
      Bump();
    }
    // Results.
    std::vector<std::pair<Value, Token>> results;
    if (tok_.kind == Tok::kIdent && EntityNumber(tok_.text, "v")) {
      while (true) {
        std::optional<uint32_t> n;
        if (tok_.kind == Tok::kIdent) n = EntityNumber(tok_.text, "v");
        if (!n) return Error("expected a result value");
        Value v = f.EnsureValue(*n);
        if (f.IsValueDefined(v)) {
          return Error(absl::StrCat("v", *n, " defined twice"));
        }
        for (auto& [rv, rt] : results) {
          if (rv == v) return Error(absl::StrCat("v", *n, " defined twice"));
        }
        results.push_back({v, tok_});
        Bump();
        if (TakePunct(',')) continue;
        if (auto s = Expect('='); !s.ok()) return s;
        break;
      }
    }
    if (tok_.kind != Tok::kIdent) {
      return Error(absl::StrCat("expected an opcode, got '", tok_.text, "'"));
    }
    Token op_tok = tok_;
    absl::string_view name = tok_.text;
    Type ctrl = Type::kInvalid;
    if (size_t dot = name.find('.'); dot != absl::string_view::npos) {
      auto t = ParseType(name.substr(dot + 1));
      if (!t) return Error(absl::StrCat("bad type suffix in '", name, "'"));
      ctrl = *t;
      name = name.substr(0, dot);
    }
    // A lane shape or v128 suffix selects the vector row of a shared name
    // ("iadd.i32x4", "band.v128"); heap_load.v128 has no vector row.
    std::optional<Opcode> op;
    if (IsLaneShape(ctrl) || ctrl == Type::kV128) op = ParseVectorOpcode(name);
    if (!op) op = ParseOpcode(name);
    if (!op) return Error(absl::StrCat("unknown opcode '", name, "'"));
    const OpcodeInfo& info = GetOpcodeInfo(*op);
    if (info.result == ResultRule::kVector && ctrl == Type::kInvalid) {
      return Error(absl::StrCat("'", name, "' needs a lane shape suffix"));
    }
    if (info.result == ResultRule::kVector) {
      // Checked here, not only by the verifier: the result type (made at
      // creation) depends on it.
      if (!(ShapeBit(ctrl) & VectorShapes(*op))) {
        return Error(absl::StrCat("'", name, "' does not take the shape ",
                                  TypeName(ctrl)));
      }
    } else if (IsLaneShape(ctrl)) {
      return Error(absl::StrCat("'", name, "' is not a vector operation"));
    }
    if (info.result == ResultRule::kCtrl && ctrl == Type::kInvalid) {
      return Error(absl::StrCat("'", name, "' needs a type suffix"));
    }
    if (info.result != ResultRule::kCtrl && info.result != ResultRule::kVector &&
        ctrl != Type::kInvalid) {
      return Error(absl::StrCat("'", name, "' takes no type suffix"));
    }
    Bump();

    std::vector<Value> args;
    std::vector<std::pair<Block, std::vector<Value>>> targets;
    int64_t imm = 0;
    uint8_t code = 0;
    uint32_t ref = 0;
    auto value = [&]() -> absl::Status {
      auto v = ParseValueUse();
      if (!v.ok()) return v.status();
      args.push_back(*v);
      return absl::OkStatus();
    };
    auto values = [&](int n) -> absl::Status {
      for (int k = 0; k < n; ++k) {
        if (k) {
          if (auto s = Expect(','); !s.ok()) return s;
        }
        if (auto s = value(); !s.ok()) return s;
      }
      return absl::OkStatus();
    };
    // `call tail fnN(...)`: a wasm tail call (kCallIsTail).
    auto tail_flag = [&]() -> absl::Status {
      if (tok_.kind == Tok::kIdent && tok_.text == "tail") {
        code = kCallIsTail;
        Bump();
      }
      return absl::OkStatus();
    };
    auto trap_code = [&]() -> absl::Status {
      std::optional<TrapCode> tc;
      if (tok_.kind == Tok::kIdent) tc = ParseTrapCode(tok_.text);
      if (!tc) return Error(absl::StrCat("unknown trap code '", tok_.text, "'"));
      code = static_cast<uint8_t>(*tc);
      Bump();
      return absl::OkStatus();
    };
    // "+off" of a heap access: [0, 2^32).
    auto heap_offset = [&]() -> absl::Status {
      Token ot = tok_;
      auto off = ParseOffset();
      if (!off.ok()) return off.status();
      if (*off < 0 || *off > 0xffffffffll) {
        return Error(ot, "heap offset must be in [0, 2^32)");
      }
      imm = *off;
      return absl::OkStatus();
    };
    auto block_call = [&]() -> absl::Status {
      Block b;
      std::vector<Value> a;
      if (auto s = ParseBlockCall(&b, &a); !s.ok()) return s;
      targets.push_back({b, std::move(a)});
      return absl::OkStatus();
    };
    absl::Status st;
    switch (info.format) {
      case InstFormat::kUnaryImm: {
        auto i = ParseInt();
        if (!i.ok()) return i.status();
        imm = *i;
        if (TypeBits(ctrl) == 32) imm = static_cast<int32_t>(imm);
        break;
      }
      case InstFormat::kUnaryIeee32:
      case InstFormat::kUnaryIeee64: {
        auto b = ParseFloatBits(info.format == InstFormat::kUnaryIeee64);
        if (!b.ok()) return b.status();
        imm = static_cast<int64_t>(*b);
        break;
      }
      case InstFormat::kUnary:
        st = values(1);
        break;
      case InstFormat::kBinary:
        st = values(2);
        break;
      case InstFormat::kTernary:
        st = values(3);
        break;
      case InstFormat::kBinaryImm: {
        if (auto s = value(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        auto i = ParseInt();
        if (!i.ok()) return i.status();
        imm = *i;
        break;
      }
      case InstFormat::kIntCompare:
      case InstFormat::kFloatCompare: {
        std::optional<uint8_t> cc;
        if (tok_.kind == Tok::kIdent) {
          if (info.format == InstFormat::kIntCompare) {
            if (auto c = ParseIntCC(tok_.text)) cc = static_cast<uint8_t>(*c);
          } else if (auto c = ParseFloatCC(tok_.text)) {
            cc = static_cast<uint8_t>(*c);
          }
        }
        if (!cc) {
          return Error(absl::StrCat("unknown condition code '", tok_.text, "'"));
        }
        code = *cc;
        Bump();
        st = values(2);
        break;
      }
      case InstFormat::kLoad:
      case InstFormat::kStore: {
        while (tok_.kind == Tok::kIdent) {
          auto fl = ParseMemFlag(tok_.text);
          if (!fl) break;
          code |= *fl;
          Bump();
        }
        if (info.format == InstFormat::kStore) {
          if (auto s = value(); !s.ok()) return s;
          if (auto s = Expect(','); !s.ok()) return s;
        }
        if (auto s = value(); !s.ok()) return s;
        auto off = ParseOffset();
        if (!off.ok()) return off.status();
        imm = *off;
        break;
      }
      case InstFormat::kHeapLoad:
      case InstFormat::kHeapStore: {
        if (tok_.kind == Tok::kIdent && tok_.text == "shared") {
          code = kHeapShared;
          Bump();
        }
        if (auto s = values(info.format == InstFormat::kHeapStore ? 3 : 2);
            !s.ok()) {
          return s;
        }
        st = heap_offset();
        break;
      }
      case InstFormat::kAtomic: {
        // wN: the bytes accessed.
        int log2 = -1;
        if (tok_.kind == Tok::kIdent) {
          for (int k = 0; k < 4; ++k) {
            if (tok_.text == absl::StrCat("w", 8 << k)) log2 = k;
          }
        }
        if (log2 < 0) {
          return Error(absl::StrCat("expected an access width w8, w16, w32 "
                                    "or w64, got '", tok_.text, "'"));
        }
        code = static_cast<uint8_t>(log2);
        Bump();
        if (auto s = values(AtomicValueArgs(*op) + 2); !s.ok()) return s;
        st = heap_offset();
        break;
      }
      case InstFormat::kNullary:
        break;
      case InstFormat::kCall: {
        if (auto s = tail_flag(); !s.ok()) return s;
        std::optional<uint32_t> n;
        if (tok_.kind == Tok::kIdent) n = EntityNumber(tok_.text, "fn");
        if (!n || *n >= f.num_ext_funcs()) {
          return Error(absl::StrCat("expected a declared function fnN, got '",
                                    tok_.text, "'"));
        }
        ref = *n;
        Bump();
        if (auto s = Expect('('); !s.ok()) return s;
        st = ParseValueListUntil(')', &args);
        break;
      }
      case InstFormat::kCallIndirect: {
        if (auto s = tail_flag(); !s.ok()) return s;
        std::optional<uint32_t> n;
        if (tok_.kind == Tok::kIdent) n = EntityNumber(tok_.text, "sig");
        if (!n || *n >= f.num_signatures()) {
          return Error(absl::StrCat("expected a declared signature sigN, got '",
                                    tok_.text, "'"));
        }
        ref = *n;
        Bump();
        if (auto s = Expect(','); !s.ok()) return s;
        if (auto s = value(); !s.ok()) return s;
        if (auto s = Expect('('); !s.ok()) return s;
        st = ParseValueListUntil(')', &args);
        break;
      }
      case InstFormat::kTrap:
        st = trap_code();
        break;
      case InstFormat::kCondTrap:
        if (auto s = value(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        st = trap_code();
        break;
      case InstFormat::kJump:
        st = block_call();
        break;
      case InstFormat::kBrif:
        if (auto s = value(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        if (auto s = block_call(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        st = block_call();
        break;
      case InstFormat::kBrTable:
        if (auto s = value(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        if (auto s = block_call(); !s.ok()) return s;
        if (auto s = Expect(','); !s.ok()) return s;
        if (auto s = Expect('['); !s.ok()) return s;
        if (!IsPunct(']')) {
          do {
            if (auto s = block_call(); !s.ok()) return s;
          } while (TakePunct(','));
        }
        st = Expect(']');
        break;
      case InstFormat::kVector: {
        // Tokens in the row's signature order (see the printer).
        bool need_comma = false;
        for (char c : VectorSignature(*op).substr(2)) {
          if (need_comma) {
            if (auto s = Expect(','); !s.ok()) return s;
          }
          need_comma = true;
          if (c == 'c' || c == 'f') {
            std::optional<uint8_t> cc;
            if (tok_.kind == Tok::kIdent) {
              if (c == 'c') {
                if (auto x = ParseIntCC(tok_.text)) cc = static_cast<uint8_t>(*x);
              } else if (auto x = ParseFloatCC(tok_.text)) {
                cc = static_cast<uint8_t>(*x);
              }
            }
            if (!cc) {
              return Error(absl::StrCat("unknown condition code '", tok_.text, "'"));
            }
            code = *cc;
            Bump();
            need_comma = false;
          } else if (c == 'n') {
            auto l = ParseInt();
            if (!l.ok()) return l.status();
            imm = *l;
          } else if (auto s = value(); !s.ok()) {
            return s;
          }
        }
        break;
      }
      case InstFormat::kReturn:
        // Values until the end of the line: a return always ends a block,
        // so the next token is a block header or '}'.
        if (tok_.kind == Tok::kIdent && tok_.line == op_tok.line &&
            EntityNumber(tok_.text, "v")) {
          do {
            if (auto s = value(); !s.ok()) return s;
          } while (TakePunct(','));
        }
        break;
    }
    if (!st.ok()) return st;

    std::vector<BlockCallSpec> specs;
    for (auto& [b, a] : targets) specs.push_back({b, a});
    Inst inst = f.CreateInst(*op, ctrl, args, specs);
    InstData& d = f.mutable_inst(inst);
    d.imm = imm;
    d.code = code;
    d.ref = ref;
    d.srcloc = srcloc;
    uint32_t expected = f.ExpectedNumResults(inst);
    if (results.size() != expected) {
      return Error(op_tok, absl::StrCat("'", info.name, "' has ", expected,
                                        " result(s), ", results.size(),
                                        " given"));
    }
    for (uint32_t k = 0; k < results.size(); ++k) {
      f.AttachResult(inst, results[k].first, f.ResultType(inst, k));
    }
    if (!results.empty() || info.format == InstFormat::kStore ||
        info.format == InstFormat::kHeapStore ||
        d.opcode == Opcode::kAtomicStore) {
      pending_.push_back({inst, op_tok});
    }
    f.AppendInst(cur, inst);
    return absl::OkStatus();
  }

  // Checks references and infers result types that depended on forward
  // references.
  absl::Status Finish() {
    Function& f = *f_;
    for (const Use& u : uses_) {
      if (!f.IsValueDefined(u.v)) {
        return absl::InvalidArgumentError(absl::StrCat(
            u.line, ":", u.col, ": use of undefined value v", u.v.index));
      }
    }
    for (const auto& [b, line, col] : block_uses_) {
      if (!f.IsBlockInLayout(b)) {
        return absl::InvalidArgumentError(absl::StrCat(
            line, ":", col, ": reference to undefined block", b.index));
      }
    }
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto& [inst, tok] : pending_) {
        auto res = f.results(inst);
        for (uint32_t k = 0; k < res.size(); ++k) {
          if (f.value_type(res[k]) == Type::kInvalid) {
            Type t = f.ResultType(inst, k);
            if (t != Type::kInvalid) {
              f.set_value_type(res[k], t);
              changed = true;
            }
          }
        }
      }
    }
    for (auto& [inst, tok] : pending_) {
      for (Value r : f.results(inst)) {
        if (f.value_type(r) == Type::kInvalid) {
          return Error(tok, absl::StrCat("cannot infer the type of v", r.index,
                                         " (cyclic definition)"));
        }
      }
      const InstData& d = f.inst(inst);
      if (GetOpcodeInfo(d.opcode).format == InstFormat::kStore ||
          GetOpcodeInfo(d.opcode).format == InstFormat::kHeapStore ||
          d.opcode == Opcode::kAtomicStore) {
        f.mutable_inst(inst).ctrl_type = f.value_type(f.args(inst)[0]);
      }
    }
    return absl::OkStatus();
  }

  struct BlockUse {
    Block b;
    int line, col;
  };

  Lexer lex_;
  Token tok_;
  Function* f_ = nullptr;
  std::vector<Use> uses_;
  std::vector<BlockUse> block_uses_;
  std::vector<std::pair<Inst, Token>> pending_;
};

}  // namespace

absl::StatusOr<std::vector<Function>> ParseFunctions(absl::string_view text) {
  Parser p(text);
  return p.ParseAll();
}

absl::StatusOr<Function> ParseFunction(absl::string_view text) {
  auto fs = ParseFunctions(text);
  if (!fs.ok()) return fs.status();
  if (fs->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected exactly one function, found ", fs->size()));
  }
  return std::move((*fs)[0]);
}

}  // namespace kiln::ir
