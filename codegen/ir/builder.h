// FunctionBuilder: constructs IR, including SSA form for mutable variables.
//
// Typical use by the wasm translator:
//
//   Function f("f0", sig);
//   FunctionBuilder b(&f);
//   Block entry = b.CreateBlock();
//   b.AppendEntryParams(entry);          // one param per signature param
//   b.SwitchToBlock(entry);
//   b.SealBlock(entry);                  // entry has no predecessors
//   Variable x = b.DeclareVar(Type::kI32);
//   b.DefVar(x, b.Iconst(Type::kI32, 0));
//   ...
//   Value s = b.Iadd(b.UseVar(x), one);
//   b.Brif(s, then_block, {}, else_block, {});
//
// Variables are resolved into block parameters with the algorithm of Braun
// et al., "Simple and Efficient Construction of SSA Form" (block params
// instead of phis): a block must be sealed once all its predecessors'
// branches have been emitted, and explicit parameters of a block must be
// created before any UseVar could add variable parameters to it. br_table
// targets must not take parameters: route such edges through a block that
// has a single predecessor (the br_table) and jumps on.
//
// Instruction helpers are generated from opcodes.def, one per opcode and
// shaped by its format:
//   Unary (same type):  Value Clz(Value x)
//   Unary (Ctrl):       Value Uextend(Type to, Value x)
//   Binary:             Value Iadd(Value x, Value y)
//   BinaryImm:          Value IaddImm(Value x, int64_t imm)
//   IntCompare:         Value Icmp(IntCC cc, Value x, Value y)
//   FloatCompare:       Value Fcmp(FloatCC cc, Value x, Value y)
//   Ternary:            Value Select(Value c, Value x, Value y)
//   Load:               Value Load(Type t, uint8_t memflags, Value p, int32_t off)
//   Store:              Inst Store(uint8_t memflags, Value x, Value p, int32_t off)
//   HeapLoad:           Value HeapUload8(Type t, Value base, Value index, uint32_t off)
//   HeapStore:          Inst HeapIstore8(Value x, Value base, Value index, uint32_t off)
//   CondTrap:           Inst Trapz(Value x, TrapCode code)
//   Atomic:             Value AtomicRmwAdd(Type t, int log2_bytes,
//                                          Span values, Value base,
//                                          Value index, uint32_t off)
//                       (no result: atomic_store returns Value())
//   Nullary:            Inst Fence()
// plus Iconst, F32const, F64const, Call, CallIndirect, Trap, Jump, Brif,
// BrTable and Return below.
#ifndef KILN_CODEGEN_IR_BUILDER_H_
#define KILN_CODEGEN_IR_BUILDER_H_

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/entities.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

struct VariableTag {};
// A mutable variable (a wasm local, an operand-stack slot) that the builder
// turns into SSA values.
using Variable = EntityRef<VariableTag>;

class FunctionBuilder {
 public:
  explicit FunctionBuilder(Function* f) : f_(f) {}
  // Starts over on another (empty) function, keeping the capacity of the
  // builder's tables.
  void Reset(Function* f);
  FunctionBuilder(const FunctionBuilder&) = delete;
  FunctionBuilder& operator=(const FunctionBuilder&) = delete;

  Function& func() { return *f_; }

  // Source location (wasm bytecode offset) given to the instructions
  // created from now on; kNoSrcLoc to clear.
  void SetSrcLoc(uint32_t wasm_offset) { srcloc_ = wasm_offset; }

  // --- Blocks ---------------------------------------------------------
  Block CreateBlock();
  Value AppendBlockParam(Block b, Type t) { return f_->AppendBlockParam(b, t); }
  // Adds one parameter per signature parameter (the vmctx pointers first).
  void AppendEntryParams(Block entry);
  // Makes `b` the insertion block, appending it to the layout if needed.
  void SwitchToBlock(Block b);
  Block current_block() const { return cur_; }
  // True once the current block has its terminator.
  bool IsFilled() const;
  // Declares that all predecessors of `b` are known.
  void SealBlock(Block b);
  void SealAllBlocks();
  bool IsSealed(Block b) const {
    return b.index < num_tables_ && sealed_[b.index];
  }

  // --- Variables ------------------------------------------------------
  Variable DeclareVar(Type t);
  void DefVar(Variable var, Value v);
  Value UseVar(Variable var);

  // --- Instructions ---------------------------------------------------
  // Generic emission into the current block; returns the instruction.
  Inst Emit(Opcode op, Type ctrl, absl::Span<const Value> args,
            absl::Span<const BlockCallSpec> targets = {});
  Value EmitValue(Opcode op, Type ctrl, absl::Span<const Value> args) {
    return f_->first_result(Emit(op, ctrl, args));
  }

  Value Iconst(Type t, int64_t v);
  Value F32const(float v);
  Value F64const(double v);
  Value F32constBits(uint32_t bits);
  Value F64constBits(uint64_t bits);
  // Results via func().results(inst).
  Inst Call(FuncRef fn, absl::Span<const Value> args);
  Inst CallIndirect(SigRef sig, Value callee, absl::Span<const Value> args);
  Inst Trap(TrapCode code);
  Inst Jump(Block dest, absl::Span<const Value> args = {});
  Inst Brif(Value c, Block then_block, absl::Span<const Value> then_args,
            Block else_block, absl::Span<const Value> else_args);
  Inst BrTable(Value index, Block default_block,
               absl::Span<const Block> table);
  Inst Return(absl::Span<const Value> values = {});
  Inst Return(std::initializer_list<Value> values) {
    return Return(absl::MakeConstSpan(values.begin(), values.size()));
  }

#define KILN_IR_BUILD_UnaryImm(name, result)
#define KILN_IR_BUILD_UnaryIeee32(name, result)
#define KILN_IR_BUILD_UnaryIeee64(name, result)
#define KILN_IR_BUILD_Unary_SameAsArg0(name) \
  Value name(Value x) { return EmitValue(Opcode::k##name, Type::kInvalid, {x}); }
#define KILN_IR_BUILD_Unary_Ctrl(name) \
  Value name(Type to, Value x) { return EmitValue(Opcode::k##name, to, {x}); }
#define KILN_IR_BUILD_Unary(name, result) KILN_IR_BUILD_Unary_##result(name)
#define KILN_IR_BUILD_Binary(name, result)                         \
  Value name(Value x, Value y) {                                   \
    return EmitValue(Opcode::k##name, Type::kInvalid, {x, y});     \
  }
#define KILN_IR_BUILD_BinaryImm(name, result)                                  \
  Value name(Value x, int64_t imm) {                                           \
    Inst i = f_->CreateInst(Opcode::k##name, Type::kInvalid, {x});             \
    f_->mutable_inst(i).imm = imm;                                             \
    return f_->first_result(Insert(i));                                        \
  }
#define KILN_IR_BUILD_Ternary(name, result)                          \
  Value name(Value c, Value x, Value y) {                            \
    return EmitValue(Opcode::k##name, Type::kInvalid, {c, x, y});    \
  }
#define KILN_IR_BUILD_IntCompare(name, result)                                 \
  Value name(IntCC cc, Value x, Value y) {                                     \
    Inst i = f_->CreateInst(Opcode::k##name, Type::kInvalid, {x, y});          \
    f_->mutable_inst(i).code = static_cast<uint8_t>(cc);                       \
    return f_->first_result(Insert(i));                                        \
  }
#define KILN_IR_BUILD_FloatCompare(name, result)                               \
  Value name(FloatCC cc, Value x, Value y) {                                   \
    Inst i = f_->CreateInst(Opcode::k##name, Type::kInvalid, {x, y});          \
    f_->mutable_inst(i).code = static_cast<uint8_t>(cc);                       \
    return f_->first_result(Insert(i));                                        \
  }
#define KILN_IR_BUILD_Load(name, result)                                       \
  Value name(Type t, uint8_t flags, Value p, int32_t off) {                    \
    Inst i = f_->CreateInst(Opcode::k##name, t, {p});                          \
    f_->mutable_inst(i).code = flags;                                          \
    f_->mutable_inst(i).imm = off;                                             \
    return f_->first_result(Insert(i));                                        \
  }
#define KILN_IR_BUILD_Store(name, result)                                      \
  Inst name(uint8_t flags, Value x, Value p, int32_t off) {                    \
    Inst i = f_->CreateInst(Opcode::k##name, f_->value_type(x), {x, p});       \
    f_->mutable_inst(i).code = flags;                                          \
    f_->mutable_inst(i).imm = off;                                             \
    return Insert(i);                                                          \
  }
#define KILN_IR_BUILD_HeapLoad(name, result)                                   \
  Value name(Type t, Value base, Value index, uint32_t off) {                  \
    Inst i = f_->CreateInst(Opcode::k##name, t, {base, index});                \
    f_->mutable_inst(i).imm = off;                                             \
    return f_->first_result(Insert(i));                                        \
  }
#define KILN_IR_BUILD_HeapStore(name, result)                                  \
  Inst name(Value x, Value base, Value index, uint32_t off) {                  \
    Inst i = f_->CreateInst(Opcode::k##name, f_->value_type(x),                \
                            {x, base, index});                                 \
    f_->mutable_inst(i).imm = off;                                             \
    return Insert(i);                                                          \
  }
#define KILN_IR_BUILD_CondTrap(name, result)                                   \
  Inst name(Value x, TrapCode code) {                                          \
    Inst i = f_->CreateInst(Opcode::k##name, Type::kInvalid, {x});             \
    f_->mutable_inst(i).code = static_cast<uint8_t>(code);                     \
    return Insert(i);                                                          \
  }
#define KILN_IR_BUILD_Atomic(name, result)                                      \
  Value name(Type t, int log2_bytes, absl::Span<const Value> values,           \
             Value base, Value index, uint32_t off) {                          \
    std::vector<Value> a(values.begin(), values.end());                        \
    a.push_back(base);                                                         \
    a.push_back(index);                                                        \
    Inst i = f_->CreateInst(Opcode::k##name, t, a);                            \
    f_->mutable_inst(i).code = static_cast<uint8_t>(log2_bytes);               \
    f_->mutable_inst(i).imm = off;                                             \
    Inst in = Insert(i);                                                       \
    return f_->results(in).empty() ? Value() : f_->first_result(in);           \
  }
#define KILN_IR_BUILD_Nullary(name, result) \
  Inst name() { return Emit(Opcode::k##name, Type::kInvalid, {}); }
#define KILN_IR_BUILD_Call(name, result)
#define KILN_IR_BUILD_CallIndirect(name, result)
#define KILN_IR_BUILD_Trap(name, result)
#define KILN_IR_BUILD_Jump(name, result)
#define KILN_IR_BUILD_Brif(name, result)
#define KILN_IR_BUILD_BrTable(name, result)
#define KILN_IR_BUILD_Return(name, result)
#define KILN_IR_BUILD_Vector(name, result)  // Emit with a shape (simd.h)
#define KILN_IR_OPCODE(name, text, format, result, operands, flags) \
  KILN_IR_BUILD_##format(name, result)
#include "codegen/ir/opcodes.def"
#undef KILN_IR_OPCODE

 private:
  // Inserts a created instruction at the end of the current block, makes
  // its results and records CFG edges for variable resolution.
  Inst Insert(Inst i);
  void EnsureBlockTables(Block b) {
    if (b.index >= num_tables_) GrowBlockTables(b);
  }
  void GrowBlockTables(Block b);
  Value UseVarIn(Variable var, Block b);
  void AddPredecessorArgs(Variable var, Block b, Value param);
  Value ZeroValue(Type t, Block b);
  static uint64_t Key(Variable v, Block b) {
    return (uint64_t{v.index} << 32) | b.index;
  }

  struct Pred {
    Block block;
    Inst inst;
  };
  // (variable, block) -> definition: open addressing with linear probing,
  // cleared in O(1) by moving to a new generation (the table keeps its
  // size from one function to the next).
  class DefMap {
   public:
    bool Find(uint64_t key, Value* v) const {
      if (slots_.empty()) return false;
      for (size_t i = Hash(key);; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.gen != gen_) return false;
        if (s.key == key) {
          *v = s.value;
          return true;
        }
      }
    }
    void Set(uint64_t key, Value v) {
      if ((size_ + 1) * 2 > slots_.size()) Grow();
      for (size_t i = Hash(key);; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.gen != gen_) {
          s = Slot{key, v, gen_};
          ++size_;
          return;
        }
        if (s.key == key) {
          s.value = v;
          return;
        }
      }
    }
    void Clear();

   private:
    struct Slot {
      uint64_t key;
      Value value;
      uint32_t gen;  // the slot is empty unless gen == gen_
    };
    size_t Hash(uint64_t key) const {
      return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
    }
    void Grow();

    std::vector<Slot> slots_;
    size_t size_ = 0;
    size_t mask_ = 0;
    int shift_ = 64;
    uint32_t gen_ = 1;
  };
  // Scratch stacks of UseVarIn, kept to avoid allocating per lookup.
  struct LookupFrame {
    bool finish;  // false: look up the variable in `block`; true: add args.
    Block block;
    Value param;
  };
  std::vector<LookupFrame> lookup_calls_;
  std::vector<Value> lookup_results_;
  std::vector<Block> lookup_chain_;

  Function* f_;
  Block cur_;
  uint32_t srcloc_ = kNoSrcLoc;
  // Per-block tables, valid for blocks below num_tables_ (entries past it
  // are left over from an earlier function and reset when reached).
  uint32_t num_tables_ = 0;
  std::vector<uint8_t> sealed_;
  std::vector<std::vector<Pred>> preds_;
  std::vector<std::vector<std::pair<Variable, Value>>> incomplete_;
  std::vector<Type> var_types_;
  DefMap defs_;
};

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_BUILDER_H_
