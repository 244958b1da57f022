// An IR function: signature, preamble declarations, the data flow graph
// (instructions, values, value lists) and the layout (block order and the
// instruction order inside each block).
//
// Storage is dense: instructions, values and blocks live in vectors indexed
// by their ids; operand lists and block-call argument lists are slices of
// one shared pool (`value_pool_`), so creating an instruction allocates
// nothing beyond vector growth. The layout is index-linked (prev/next ids),
// so inserting or removing an instruction is O(1). Removed instructions and
// rewritten lists leave garbage in the vectors; a function is compiled once,
// so we never compact.
#ifndef KILN_CODEGEN_IR_FUNCTION_H_
#define KILN_CODEGEN_IR_FUNCTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/entities.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/types.h"

namespace kiln::ir {

struct Signature {
  std::vector<Type> params;
  std::vector<Type> results;
  friend bool operator==(const Signature& a, const Signature& b) {
    return a.params == b.params && a.results == b.results;
  }
};

// What a `call` reaches: a wasm function of the module (by function index;
// the backend emits a relocation against it) or a runtime builtin (libcall
// id, also a relocation). Text: "fn0 = func 3 sig0", "fn1 = builtin 2 sig1".
enum class ExtFuncKind : uint8_t { kWasm, kBuiltin };

struct ExtFuncData {
  uint32_t func_index = 0;  // Wasm function index or builtin id.
  SigRef sig;
  ExtFuncKind kind = ExtFuncKind::kWasm;
};

// Source location of an instruction: the wasm bytecode offset it came from
// (for trap tables and backtraces); kNoSrcLoc if none.
inline constexpr uint32_t kNoSrcLoc = ~0u;

enum class ValueDefKind : uint8_t { kNone, kResult, kParam };

struct ValueData {
  Type type = Type::kInvalid;
  ValueDefKind kind = ValueDefKind::kNone;
  uint32_t def = 0;  // Inst index (kResult) or Block index (kParam).
  uint32_t num = 0;  // Result or parameter position.
};

// A slice of the value pool.
struct ValueList {
  uint32_t start = 0;
  uint32_t size = 0;
};

// A branch target with its arguments: "block3(v1, v2)".
struct BlockCall {
  Block block;
  ValueList args;
};

struct InstData {
  Opcode opcode = Opcode::kIconst;
  // The ".T" type for Ctrl-result opcodes; for stores the stored type.
  Type ctrl_type = Type::kInvalid;
  // IntCC, FloatCC, MemFlag bits or TrapCode, depending on the format.
  uint8_t code = 0;
  ValueList args;
  ValueList results;
  // Branch targets: stored in `block_calls_` at [bcalls_start, +num_bcalls).
  // For br_table the first is the default.
  uint32_t bcalls_start = 0;
  uint32_t num_bcalls = 0;
  // iconst value, f32/f64 bits, memory offset, BinaryImm immediate.
  int64_t imm = 0;
  // FuncRef (call) or SigRef (call_indirect) index.
  uint32_t ref = 0;
  // Wasm bytecode offset (kNoSrcLoc if none).
  uint32_t srcloc = kNoSrcLoc;
  // Layout: the block it is in (none when not inserted) and neighbours.
  Block block;
  Inst prev;
  Inst next;
};

struct BlockData {
  std::vector<Value> params;
  Inst first_inst;
  Inst last_inst;
  Block prev;
  Block next;
  bool in_layout = false;
};

// A branch target as given to CreateInst.
struct BlockCallSpec {
  Block block;
  absl::Span<const Value> args;
};

class Function {
 public:
  Function() = default;
  explicit Function(std::string name, Signature sig)
      : name_(std::move(name)), signature_(std::move(sig)) {}

  // Empties the function and renames it, keeping the capacity of its
  // tables (a compiler thread reuses one Function for every body).
  void Reset(std::string name, Signature sig);

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  const Signature& signature() const { return signature_; }
  Signature& mutable_signature() { return signature_; }

  // --- Preamble -------------------------------------------------------
  SigRef DeclareSignature(Signature sig);
  FuncRef DeclareFunction(uint32_t func_index, SigRef sig,
                          ExtFuncKind kind = ExtFuncKind::kWasm);
  uint32_t num_signatures() const { return sigs_.size(); }
  uint32_t num_ext_funcs() const { return funcs_.size(); }
  const Signature& sig(SigRef s) const { return sigs_[s.index]; }
  const ExtFuncData& ext_func(FuncRef f) const { return funcs_[f.index]; }

  // --- Blocks ---------------------------------------------------------
  Block CreateBlock();
  // Parser use: make sure block `index` exists (creating unused blocks
  // up to it) and return it.
  Block EnsureBlock(uint32_t index);
  uint32_t num_blocks() const { return blocks_.size(); }
  Value AppendBlockParam(Block b, Type t);
  // Parser use: define value slot `v` (see EnsureValue) as the next param.
  void AppendBlockParamValue(Block b, Value v, Type t);
  absl::Span<const Value> block_params(Block b) const {
    return blocks_[b.index].params;
  }
  // Removes parameter `i` of `b`; the value becomes undefined. Branches to
  // `b` must be updated by the caller.
  void RemoveBlockParam(Block b, uint32_t i);

  // --- Layout ---------------------------------------------------------
  void AppendBlock(Block b);
  void InsertBlockAfter(Block after, Block b);
  void RemoveBlock(Block b);  // Unlinks b (its instructions stay in it).
  bool IsBlockInLayout(Block b) const {
    return b.valid() && b.index < blocks_.size() && blocks_[b.index].in_layout;
  }
  Block entry_block() const { return first_block_; }
  Block first_block() const { return first_block_; }
  Block next_block(Block b) const { return blocks_[b.index].next; }
  Block prev_block(Block b) const { return blocks_[b.index].prev; }
  Inst first_inst(Block b) const { return blocks_[b.index].first_inst; }
  Inst last_inst(Block b) const { return blocks_[b.index].last_inst; }
  Inst next_inst(Inst i) const { return insts_[i.index].next; }
  Inst prev_inst(Inst i) const { return insts_[i.index].prev; }
  Block inst_block(Inst i) const { return insts_[i.index].block; }

  void AppendInst(Block b, Inst i);
  void InsertInstBefore(Inst before, Inst i);
  void RemoveInst(Inst i);  // Unlinks i; its results become dangling.

  // Range-for helpers: for (Block b : f.blocks()), for (Inst i : f.insts(b)).
  template <typename E, typename Next>
  class Range {
   public:
    struct It {
      const Function* f;
      E cur;
      E operator*() const { return cur; }
      It& operator++() {
        cur = Next()(*f, cur);
        return *this;
      }
      bool operator!=(const It& o) const { return cur != o.cur; }
    };
    Range(const Function* f, E first) : f_(f), first_(first) {}
    It begin() const { return {f_, first_}; }
    It end() const { return {f_, E()}; }

   private:
    const Function* f_;
    E first_;
  };
  struct NextBlockFn {
    Block operator()(const Function& f, Block b) const { return f.next_block(b); }
  };
  struct NextInstFn {
    Inst operator()(const Function& f, Inst i) const { return f.next_inst(i); }
  };
  Range<Block, NextBlockFn> blocks() const { return {this, first_block_}; }
  Range<Inst, NextInstFn> insts(Block b) const {
    return {this, blocks_[b.index].first_inst};
  }

  // --- Instructions ---------------------------------------------------
  // Creates an unlinked instruction without results. Set immediates through
  // mutable_inst, then call MakeResults (or AttachResult in the parser).
  Inst CreateInst(Opcode op, Type ctrl_type, absl::Span<const Value> args,
                  absl::Span<const BlockCallSpec> targets = {});
  // Creates the result values according to the opcode's ResultRule, using
  // the operand types. Returns the first result (or none).
  Value MakeResults(Inst i);
  // Parser use: append value slot `v` as the next result of `i`.
  void AttachResult(Inst i, Value v, Type t);
  // The type MakeResults would give result `n`; kInvalid if an operand
  // type is unknown.
  Type ResultType(Inst i, uint32_t n) const;
  uint32_t ExpectedNumResults(Inst i) const;

  uint32_t num_insts() const { return insts_.size(); }
  const InstData& inst(Inst i) const { return insts_[i.index]; }
  InstData& mutable_inst(Inst i) { return insts_[i.index]; }
  Opcode opcode(Inst i) const { return insts_[i.index].opcode; }
  absl::Span<const Value> args(Inst i) const { return List(insts_[i.index].args); }
  absl::Span<Value> mutable_args(Inst i) { return List(insts_[i.index].args); }
  absl::Span<const Value> results(Inst i) const {
    return List(insts_[i.index].results);
  }
  Value first_result(Inst i) const {
    const ValueList& r = insts_[i.index].results;
    return r.size ? value_pool_[r.start] : Value();
  }
  absl::Span<const BlockCall> block_calls(Inst i) const {
    const InstData& d = insts_[i.index];
    return absl::MakeConstSpan(block_calls_.data() + d.bcalls_start,
                               d.num_bcalls);
  }
  absl::Span<BlockCall> mutable_block_calls(Inst i) {
    InstData& d = insts_[i.index];
    return absl::MakeSpan(block_calls_.data() + d.bcalls_start, d.num_bcalls);
  }
  absl::Span<const Value> List(ValueList l) const {
    return absl::MakeConstSpan(value_pool_.data() + l.start, l.size);
  }
  absl::Span<Value> List(ValueList l) {
    return absl::MakeSpan(value_pool_.data() + l.start, l.size);
  }
  // Appends `v` to a block call's argument list (moves the list to the end
  // of the pool unless it already is there).
  void AppendBlockCallArg(Inst i, uint32_t call_index, Value v);
  // Removes argument `n` of block call `call_index` of `i`.
  void RemoveBlockCallArg(Inst i, uint32_t call_index, uint32_t n);
  ValueList MakeList(absl::Span<const Value> vals);

  // In-place rewrites used by optimization passes. Results keep their
  // values (and so their uses).
  void ReplaceWithIconst(Inst i, int64_t value);  // Keeps the result type.
  void ReplaceWithF32const(Inst i, uint32_t bits);
  void ReplaceWithF64const(Inst i, uint64_t bits);
  // Turns a branch into "jump target" (target's args slice is reused).
  void ReplaceWithJump(Inst i, BlockCall target);

  // --- Values ---------------------------------------------------------
  uint32_t num_values() const { return values_.size(); }
  // Parser use: make sure value slot `index` exists (undefined if new).
  Value EnsureValue(uint32_t index);
  const ValueData& value(Value v) const { return values_[v.index]; }
  Type value_type(Value v) const { return values_[v.index].type; }
  void set_value_type(Value v, Type t) { values_[v.index].type = t; }
  // The instruction defining `v`, or none for block parameters.
  Inst DefiningInst(Value v) const {
    const ValueData& d = values_[v.index];
    return d.kind == ValueDefKind::kResult ? Inst(d.def) : Inst();
  }
  bool IsValueDefined(Value v) const {
    return v.valid() && v.index < values_.size() &&
           values_[v.index].kind != ValueDefKind::kNone;
  }

  // Type of a signature for a Call/CallIndirect instruction.
  const Signature* CallSignature(Inst i) const;

 private:
  Value NewValue(Type t, ValueDefKind kind, uint32_t def, uint32_t num);

  std::string name_;
  Signature signature_;
  std::vector<Signature> sigs_;
  std::vector<ExtFuncData> funcs_;
  std::vector<InstData> insts_;
  std::vector<ValueData> values_;
  std::vector<BlockData> blocks_;
  std::vector<Value> value_pool_;
  std::vector<BlockCall> block_calls_;
  Block first_block_;
  Block last_block_;
};

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_FUNCTION_H_
