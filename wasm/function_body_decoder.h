// One-pass function body decoder and validator (V8's pattern).
//
// FunctionBodyDecoder<Interface> walks a function body once, performs ALL
// validation (operand stack typing with the polymorphic stack after
// unreachable/br/return, control stack with block types including
// multi-value type-index block types, locals, labels, br_table arity and
// types, memory alignment, lane indices, data count requirements, declared
// function references, limits), and calls the Interface's hooks with the
// decoded immediates and validated types, so a compiler can build its IR in
// the same walk. The validator is the instantiation with NullInterface.
//
// The decoder is iterative (no recursion); it allocates only when a stack
// grows (the vectors are reused), never per instruction.
//
// ---------------------------------------------------------------------------
// The Interface
// ---------------------------------------------------------------------------
// An Interface is a class with two nested types and the hooks below.
//
//   using Value = ...;    // Payload of one operand-stack slot (e.g. an SSA
//                         // value id). Must be default-constructible.
//   using Control = ...;  // Payload of one control frame (e.g. IR blocks).
//
// Instruction hooks are called only while the code is reachable (V8's
// rule): after `unreachable`, `br`, `br_table` or `return`, until the end of
// the enclosing block, only control hooks are called (with the frame's
// reachability available through ControlFrame::reachable). Every hook
// receives its operands in stack order (deepest first) and writes its
// results through the out-parameters. Types are already validated.
//
// Function:
//   void StartFunction(const FuncType& sig, absl::Span<const ValType> locals,
//                      Control* function_block);
//       `locals` are all locals, parameters first.
//   void FinishFunction(absl::Span<const Value> returns);
//       After the final `end`, with the returned values (if reachable).
// Control (always called, reachable or not; ControlFrame::reachable says
// whether the frame was entered from reachable code, and its `payload` is
// the Interface's Control):
//   void Block(const BlockType& bt, absl::Span<Value> params,
//              ControlFrame* block);
//   void Loop(const BlockType& bt, absl::Span<Value> params,
//             ControlFrame* loop);
//   void If(const BlockType& bt, const Value& cond, absl::Span<Value> params,
//           ControlFrame* if_block);
//       `params` are the block's parameter values, which stay on the stack
//       inside the block; the interface may replace them (e.g. with loop
//       header phis). `cond` is a default Value if unreachable.
//   void Else(ControlFrame* if_block, absl::Span<const Value> then_results,
//             absl::Span<Value> else_params);
//       `then_results`: fallthrough values of the then-arm (empty if its
//       end is unreachable). The interface writes the else-arm's parameter
//       values into `else_params` (typically those it saw in If).
//   void End(ControlFrame* block, absl::Span<const Value> results,
//            absl::Span<Value> merged);
//       `results`: fallthrough values (empty if the end is unreachable).
//       The interface writes the values of the block's results after the
//       block (e.g. the merge block's parameters) into `merged`. Not called
//       for the function's outermost block (see FinishFunction).
//   In Else and End, whether the fallthrough (end of the then-arm, end of
//   the block) is reachable is `frame->reachable && !frame->unreachable`
//   (needed when there are no result values). In End, frame->kind is kIf
//   for an `if` without `else` (the implicit else passes the if's params
//   through as results) and kElse after an else.
// Branches (reachable only):
//   void Br(uint32_t depth, ControlFrame* target,
//           absl::Span<const Value> args);
//   void BrIf(uint32_t depth, ControlFrame* target, const Value& cond,
//             absl::Span<const Value> args);   // args stay on the stack
//   void BrTable(absl::Span<const uint32_t> depths, const Value& index,
//                absl::Span<const Value> args); // depths.back() = default
//   void Return(absl::Span<const Value> values);
//   void Unreachable();
// Parametric, variables:
//   void Drop(const Value& v);
//   void Select(ValType type, const Value& a, const Value& b,
//               const Value& cond, Value* result);
//   void LocalGet(uint32_t local, Value* result);
//   void LocalSet(uint32_t local, const Value& v);
//   void LocalTee(uint32_t local, const Value& v, Value* result);
//   void GlobalGet(uint32_t global, Value* result);
//   void GlobalSet(uint32_t global, const Value& v);
// Constants:
//   void I32Const(int32_t v, Value* result);
//   void I64Const(int64_t v, Value* result);
//   void F32Const(uint32_t bits, Value* result);
//   void F64Const(uint64_t bits, Value* result);
//   void V128Const(const uint8_t bytes[16], Value* result);
// Numeric and SIMD operators without immediates (every opcode in
// opcodes.def with Immediate kNone and a kSig_* signature; args.size() is
// the signature's parameter count):
//   void NumericOp(Opcode op, absl::Span<const Value> args, Value* result);
//   void SimdLaneOp(Opcode op, uint8_t lane, absl::Span<const Value> args,
//                   Value* result);      // extract_lane / replace_lane
//   void Shuffle(const uint8_t lanes[16], const Value& a, const Value& b,
//                Value* result);
// Memory:
//   void Load(Opcode op, const MemArg& m, const Value& addr, Value* result);
//   void Store(Opcode op, const MemArg& m, const Value& addr,
//              const Value& v);
//   void LoadLane(Opcode op, const MemArg& m, uint8_t lane,
//                 const Value& addr, const Value& vec, Value* result);
//   void StoreLane(Opcode op, const MemArg& m, uint8_t lane,
//                  const Value& addr, const Value& vec);
//   void MemorySize(uint32_t memory, Value* result);
//   void MemoryGrow(uint32_t memory, const Value& delta, Value* result);
//   void MemoryInit(uint32_t segment, uint32_t memory, const Value& dst,
//                   const Value& src, const Value& size);
//   void DataDrop(uint32_t segment);
//   void MemoryCopy(uint32_t dst_memory, uint32_t src_memory,
//                   const Value& dst, const Value& src, const Value& size);
//   void MemoryFill(uint32_t memory, const Value& dst, const Value& value,
//                   const Value& size);
// Threads (threads feature; the memarg's alignment is exactly natural):
//   void Atomic(Opcode op, const MemArg& m, absl::Span<const Value> args,
//               Value* result);
//       Every 0xFE opcode with a memarg: atomic loads, stores, RMWs,
//       cmpxchg, memory.atomic.notify / wait32 / wait64. `args` are the
//       signature's operands (address first); `result` is ignored when the
//       opcode has none (stores).
//   void AtomicFence();
// Tables and references:
//   void TableGet(uint32_t table, const Value& index, Value* result);
//   void TableSet(uint32_t table, const Value& index, const Value& v);
//   void TableSize(uint32_t table, Value* result);
//   void TableGrow(uint32_t table, const Value& init, const Value& delta,
//                  Value* result);
//   void TableFill(uint32_t table, const Value& index, const Value& v,
//                  const Value& size);
//   void TableInit(uint32_t segment, uint32_t table, const Value& dst,
//                  const Value& src, const Value& size);
//   void ElemDrop(uint32_t segment);
//   void TableCopy(uint32_t dst_table, uint32_t src_table, const Value& dst,
//                  const Value& src, const Value& size);
//   void RefNull(ValType type, Value* result);
//   void RefIsNull(const Value& v, Value* result);
//   void RefFunc(uint32_t function, Value* result);
// Calls:
//   void Call(uint32_t function, const FuncType& sig,
//             absl::Span<const Value> args, absl::Span<Value> results);
//   void CallIndirect(uint32_t type_index, uint32_t table,
//                     const FuncType& sig, const Value& index,
//                     absl::Span<const Value> args,
//                     absl::Span<Value> results);
// Tail calls (tail-call feature; the callee's results are the function's
// results, and the code after them is unreachable):
//   void ReturnCall(uint32_t function, const FuncType& sig,
//                   absl::Span<const Value> args);
//   void ReturnCallIndirect(uint32_t type_index, uint32_t table,
//                           const FuncType& sig, const Value& index,
//                           absl::Span<const Value> args);
//
// Notes for implementers:
//  * ControlFrame is FunctionBodyDecoder<YourInterface>::ControlFrame,
//    which needs YourInterface complete; declare the control hooks as
//    templates over the frame type (template <class Frame> void End(Frame*
//    ...)) or define them after the class.
//  * An interface that needs more context keeps a pointer to its decoder:
//    decoder.pc() is the module offset of the current instruction (source
//    locations), decoder.control_at(depth) the frame of a br_table target,
//    decoder.locals() the local types.
//  * One decoder can translate all functions of a module: Reset(func_index)
//    then Decode() again (buffers keep their capacity).
//
// BaseInterface<Value, Control> (below) implements every hook as an empty
// inline function; derive from it to implement only some hooks.
// NullInterface = BaseInterface<> is the validator.
//
// Usage:
//   MyInterface iface(...);
//   FunctionBodyDecoder<MyInterface> d(module, func_index, &iface);
//   absl::Status s = d.Decode();
#ifndef KILN_WASM_FUNCTION_BODY_DECODER_H_
#define KILN_WASM_FUNCTION_BODY_DECODER_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "wasm/features.h"
#include "wasm/leb128.h"
#include "wasm/limits.h"
#include "wasm/module_info.h"
#include "wasm/opcodes.h"
#include "wasm/types.h"

namespace kiln::wasm {

// The type of a block, loop or if: [params] -> [results].
struct BlockType {
  // Either a function type from the type section (multi-value) ...
  const FuncType* sig = nullptr;
  // ... or at most one result (0x40 = none, or one value type).
  bool has_single_result = false;
  ValType single_result = ValType::kI32;

  uint32_t num_params() const {
    return sig ? static_cast<uint32_t>(sig->params.size()) : 0;
  }
  uint32_t num_results() const {
    return sig ? static_cast<uint32_t>(sig->results.size())
               : (has_single_result ? 1 : 0);
  }
  ValType param(uint32_t i) const { return sig->params[i]; }
  ValType result(uint32_t i) const {
    return sig ? sig->results[i] : single_result;
  }
};

struct MemArg {
  uint32_t align_log2 = 0;
  uint64_t offset = 0;  // u32, or u64 for a 64-bit memory (memory64)
  uint32_t memory = 0;
};
// The memarg alignment bit that announces a memory index (multi-memory).
inline constexpr uint32_t kMemArgHasMemoryIndex = 1u << 6;

enum class ControlKind : uint8_t { kFunction, kBlock, kLoop, kIf, kElse };

// Internal "bottom" type of the polymorphic stack (never a real ValType).
inline constexpr ValType kBottomType = static_cast<ValType>(0);
inline constexpr ValType kI32Type = ValType::kI32;

template <class Interface>
class FunctionBodyDecoder {
 public:
  using Value = typename Interface::Value;

  struct ControlFrame {
    ControlKind kind = ControlKind::kBlock;
    BlockType type;
    uint32_t stack_base = 0;  // Operand stack height below the params.
    // The spec's flag: the rest of the block is unreachable and its stack
    // is polymorphic (after unreachable, br, br_table, return).
    bool unreachable = false;
    // The block was entered from reachable code. Instruction hooks run
    // only when reachable && !unreachable.
    bool reachable = true;
    size_t start_offset = 0;
    typename Interface::Control payload{};

    // Label arity/types: a loop's label takes its params, others results.
    uint32_t label_arity() const {
      return kind == ControlKind::kLoop ? type.num_params()
                                        : type.num_results();
    }
    ValType label_type(uint32_t i) const {
      return kind == ControlKind::kLoop ? type.param(i) : type.result(i);
    }
  };

  // `body` is the function's body (locals + code + end) located at
  // `body_offset` in the module bytes (for error offsets).
  FunctionBodyDecoder(const ModuleInfo& module, uint32_t func_index,
                      absl::Span<const uint8_t> body, size_t body_offset,
                      Interface* iface)
      : module_(module),
        func_index_(func_index),
        sig_(&module.func_type(func_index)),
        reader_(body, body_offset, "unexpected end of section or function"),
        iface_(iface) {}

  FunctionBodyDecoder(const ModuleInfo& module, uint32_t func_index,
                      Interface* iface)
      : FunctionBodyDecoder(module, func_index,
                            module.FunctionBody(func_index),
                            module.functions[func_index].body_offset, iface) {
  }

  absl::Status Decode();

  // Re-targets the decoder at another function of the same module, keeping
  // the buffers' capacity (a validator or translator reuses one decoder for
  // all functions of a module).
  void Reset(uint32_t func_index, absl::Span<const uint8_t> body,
             size_t body_offset) {
    func_index_ = func_index;
    sig_ = &module_.func_type(func_index);
    reader_ = Reader(body, body_offset, "unexpected end of section or function");
    pc_ = 0;
    locals_.clear();
    stack_types_.clear();
    stack_values_.clear();
    control_.clear();
  }
  void Reset(uint32_t func_index) {
    Reset(func_index, module_.FunctionBody(func_index),
          module_.functions[func_index].body_offset);
  }

  // Accessors for interfaces.
  const ModuleInfo& module() const { return module_; }
  uint32_t func_index() const { return func_index_; }
  absl::Span<const ValType> locals() const { return locals_; }
  size_t control_depth() const { return control_.size(); }
  ControlFrame& control_at(uint32_t depth) {
    return control_[control_.size() - 1 - depth];
  }
  // Current operand stack (types and values).
  absl::Span<const ValType> stack_types() const { return stack_types_; }
  absl::Span<Value> stack_values() { return absl::MakeSpan(stack_values_); }
  // Whether the current code is reachable (instruction hooks are called).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool reachable() const {
    const ControlFrame& c = control_.back();
    return c.reachable && !c.unreachable;
  }
  // Offset in the module of the instruction being decoded.
  size_t pc() const { return pc_; }

 private:
  absl::Status Error(std::string_view msg) const { return ErrorAt(pc_, msg); }
  absl::Status ErrorAtHere(std::string_view msg) const {
    return ErrorAt(reader_.offset(), msg);
  }
  static std::string TypeName(ValType t) {
    return t == kBottomType ? "<bottom>" : ValTypeName(t);
  }
  absl::Status TypeMismatch(ValType expected, ValType got) const {
    return Error(absl::StrCat("type mismatch: expected ", TypeName(expected),
                              ", got ", TypeName(got)));
  }
  absl::Status TypeMismatchEmpty(ValType expected) const {
    return Error(absl::StrCat("type mismatch: expected ", TypeName(expected),
                              ", got nothing"));
  }

  absl::Status DecodeLocals();
  absl::Status ReadBlockType(BlockType* bt);
  absl::Status ReadMemArg(ImmKind kind, MemArg* m);
  absl::Status ReadLane(int lanes, uint8_t* lane);
  absl::Status ReadZeroByte();
  absl::Status ReadMemoryIndex(uint32_t* memory);
  // memory64: the addresses and sizes of memory.size/grow/fill/copy/init
  // have the memory's index type; memory.copy's length has the narrower of
  // the two memories' types.
  void SetMemoryIndexTypes(Opcode op, ImmKind imm, uint32_t mem0,
                           uint32_t mem1, Signature* s) const {
    const ValType t0 = module_.memories[mem0].type.index_type();
    switch (imm) {
      case ImmKind::kMemory:
        if (op == Opcode::kMemorySize) {
          s->result = t0;
        } else if (op == Opcode::kMemoryGrow) {
          s->params[0] = s->result = t0;
        } else {  // memory.fill: dst, value, len
          s->params[0] = s->params[2] = t0;
        }
        break;
      case ImmKind::kMemoryCopy: {  // dst, src, len
        const ValType t1 = module_.memories[mem1].type.index_type();
        s->params[0] = t0;
        s->params[1] = t1;
        s->params[2] = t0 == ValType::kI64 && t1 == ValType::kI64
                           ? ValType::kI64
                           : ValType::kI32;
        break;
      }
      default:  // memory.init: dst, segment offset, len
        s->params[0] = t0;
        break;
    }
  }
  absl::Status CheckTable(uint32_t t) const {
    if (t >= module_.tables.size())
      return Error(absl::StrCat("unknown table ", t));
    return absl::OkStatus();
  }
  absl::Status CheckMemory(uint32_t m) const {
    if (m >= module_.memories.size())
      return Error(absl::StrCat("unknown memory ", m));
    return absl::OkStatus();
  }

  // Operand stack. Pop/Push in types; values mirror types.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Push(ValType t) {
    stack_types_.push_back(t);
    stack_values_.emplace_back();
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE Value* PushResult(ValType t) {
    Push(t);
    return &stack_values_.back();
  }
  // Ensures the top `n` slots above the current frame's base exist,
  // materializing bottom slots in unreachable code. Errors otherwise.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status EnsureArgs(
      uint32_t n, const ValType* expected) {
    if (stack_types_.size() - control_.back().stack_base >= n) {
      return absl::OkStatus();
    }
    return EnsureArgsSlow(n, expected);
  }
  absl::Status EnsureArgsSlow(uint32_t n, const ValType* expected);
  // Checks the top n slots against `types` (types[0] deepest), after
  // EnsureArgs. Does not pop.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status CheckTop(uint32_t n,
                                                     const ValType* types) {
    return CheckTopFn(n, [types](uint32_t i) { return types[i]; });
  }
  template <typename TypeAt>
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status CheckTopFn(uint32_t n,
                                                       TypeAt type_at) {
    const ControlFrame& c = control_.back();
    const size_t size = stack_types_.size();
    const uint32_t avail = static_cast<uint32_t>(size) - c.stack_base;
    for (uint32_t k = 0; k < n; ++k) {
      // k-th from the top corresponds to type n-1-k.
      ValType want = type_at(n - 1 - k);
      if (k >= avail) {
        if (c.unreachable) continue;
        return TypeMismatchEmpty(want);
      }
      ValType got = stack_types_[size - 1 - k];
      if (got != want && got != kBottomType) return TypeMismatch(want, got);
    }
    return absl::OkStatus();
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void PopN(uint32_t n) {
    stack_types_.resize(stack_types_.size() - n);
    stack_values_.resize(stack_values_.size() - n);
  }
  absl::Span<const Value> TopValues(uint32_t n) const {
    return absl::MakeConstSpan(stack_values_.data() + stack_values_.size() - n,
                               n);
  }
  absl::Span<Value> TopMutableValues(uint32_t n) {
    return absl::MakeSpan(stack_values_.data() + stack_values_.size() - n, n);
  }
  // Pops one value of any type; returns its type (bottom if polymorphic).
  absl::Status PopAny(ValType* t);
  // Pops a value of a specific type.
  absl::Status Pop(ValType expected);
  // Marks the rest of the current block unreachable.
  void SetUnreachable() {
    ControlFrame& c = control_.back();
    PopN(static_cast<uint32_t>(stack_types_.size()) - c.stack_base);
    c.unreachable = true;
  }
  // Checks the stack for the label of `target`.
  absl::Status CheckLabel(const ControlFrame& target) {
    uint32_t n = target.label_arity();
    return CheckTopFn(n, [&](uint32_t i) { return target.label_type(i); });
  }
  // Checks that the stack holds exactly the block's results at its end.
  absl::Status CheckEndOfBlock(const ControlFrame& c);
  void PushBlock(ControlKind kind, const BlockType& bt);

  absl::Status DecodeInstruction(Opcode op, const OpcodeInfo& info);
  absl::Status DecodeSimple(Opcode op, const OpcodeInfo& info);
  absl::Status DecodeMemoryAccess(Opcode op, const OpcodeInfo& info);
  absl::Status DecodeAtomic(Opcode op, const OpcodeInfo& info);
  absl::Status DecodeEnd();
  absl::Status DecodeBrTable();

  const ModuleInfo& module_;
  uint32_t func_index_;
  const FuncType* sig_;
  Reader reader_;
  Interface* iface_;
  size_t pc_ = 0;
  FuncType function_block_sig_;

  std::vector<ValType> locals_;
  std::vector<ValType> stack_types_;
  std::vector<Value> stack_values_;
  std::vector<ControlFrame> control_;
  std::vector<uint32_t> br_table_depths_;
  std::vector<Value> call_results_;
  std::vector<Value> scratch_;
};

struct EmptyValue {};
struct EmptyControl {};

// An Interface whose hooks all do nothing. Derive from it (with your Value
// and Control types) and define only the hooks you need; the derived hooks
// hide the base ones.
template <class V = EmptyValue, class C = EmptyControl>
struct BaseInterface {
  using Value = V;
  using Control = C;

  void StartFunction(const FuncType&, absl::Span<const ValType>, Control*) {}
  void FinishFunction(absl::Span<const Value>) {}
  template <class F>
  void Block(const BlockType&, absl::Span<Value>, F*) {}
  template <class F>
  void Loop(const BlockType&, absl::Span<Value>, F*) {}
  template <class F>
  void If(const BlockType&, const Value&, absl::Span<Value>, F*) {}
  template <class F>
  void Else(F*, absl::Span<const Value>, absl::Span<Value>) {}
  template <class F>
  void End(F*, absl::Span<const Value>, absl::Span<Value>) {}
  template <class F>
  void Br(uint32_t, F*, absl::Span<const Value>) {}
  template <class F>
  void BrIf(uint32_t, F*, const Value&, absl::Span<const Value>) {}
  void BrTable(absl::Span<const uint32_t>, const Value&,
               absl::Span<const Value>) {}
  void Return(absl::Span<const Value>) {}
  void Unreachable() {}
  void Drop(const Value&) {}
  void Select(ValType, const Value&, const Value&, const Value&, Value*) {}
  void LocalGet(uint32_t, Value*) {}
  void LocalSet(uint32_t, const Value&) {}
  void LocalTee(uint32_t, const Value&, Value*) {}
  void GlobalGet(uint32_t, Value*) {}
  void GlobalSet(uint32_t, const Value&) {}
  void I32Const(int32_t, Value*) {}
  void I64Const(int64_t, Value*) {}
  void F32Const(uint32_t, Value*) {}
  void F64Const(uint64_t, Value*) {}
  void V128Const(const uint8_t*, Value*) {}
  void NumericOp(Opcode, absl::Span<const Value>, Value*) {}
  void SimdLaneOp(Opcode, uint8_t, absl::Span<const Value>, Value*) {}
  void Shuffle(const uint8_t*, const Value&, const Value&, Value*) {}
  void Load(Opcode, const MemArg&, const Value&, Value*) {}
  void Store(Opcode, const MemArg&, const Value&, const Value&) {}
  void LoadLane(Opcode, const MemArg&, uint8_t, const Value&, const Value&,
                Value*) {}
  void StoreLane(Opcode, const MemArg&, uint8_t, const Value&,
                 const Value&) {}
  void MemorySize(uint32_t, Value*) {}
  void MemoryGrow(uint32_t, const Value&, Value*) {}
  void MemoryInit(uint32_t, uint32_t, const Value&, const Value&,
                  const Value&) {}
  void DataDrop(uint32_t) {}
  void MemoryCopy(uint32_t, uint32_t, const Value&, const Value&,
                  const Value&) {}
  void MemoryFill(uint32_t, const Value&, const Value&, const Value&) {}
  void Atomic(Opcode, const MemArg&, absl::Span<const Value>, Value*) {}
  void AtomicFence() {}
  void TableGet(uint32_t, const Value&, Value*) {}
  void TableSet(uint32_t, const Value&, const Value&) {}
  void TableSize(uint32_t, Value*) {}
  void TableGrow(uint32_t, const Value&, const Value&, Value*) {}
  void TableFill(uint32_t, const Value&, const Value&, const Value&) {}
  void TableInit(uint32_t, uint32_t, const Value&, const Value&,
                 const Value&) {}
  void ElemDrop(uint32_t) {}
  void TableCopy(uint32_t, uint32_t, const Value&, const Value&,
                 const Value&) {}
  void RefNull(ValType, Value*) {}
  void RefIsNull(const Value&, Value*) {}
  void RefFunc(uint32_t, Value*) {}
  void Call(uint32_t, const FuncType&, absl::Span<const Value>,
            absl::Span<Value>) {}
  void CallIndirect(uint32_t, uint32_t, const FuncType&, const Value&,
                    absl::Span<const Value>, absl::Span<Value>) {}
  void ReturnCall(uint32_t, const FuncType&, absl::Span<const Value>) {}
  void ReturnCallIndirect(uint32_t, uint32_t, const FuncType&, const Value&,
                          absl::Span<const Value>) {}
};

// The validator's interface.
struct NullInterface : BaseInterface<> {};

// ---------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------

#define KILN_FBD_RETURN_IF_ERROR(expr)      \
  do {                                      \
    ::absl::Status kiln_fbd_status_ = (expr); \
    if (!kiln_fbd_status_.ok()) return kiln_fbd_status_; \
  } while (0)

#define KILN_FBD_READ(var, expr)                  \
  do {                                            \
    auto kiln_fbd_or_ = (expr);                   \
    if (!kiln_fbd_or_.ok()) return kiln_fbd_or_.status(); \
    var = *kiln_fbd_or_;                          \
  } while (0)

template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeLocals() {
  locals_.assign(sig_->params.begin(), sig_->params.end());
  size_t at = reader_.offset();
  uint32_t groups;
  KILN_FBD_READ(groups, reader_.U32());
  // Each group takes at least two bytes.
  if (groups > reader_.remaining() / 2) {
    return ErrorAt(at, "unexpected end of section or function");
  }
  uint64_t total = locals_.size();
  // First pass: validate counts and types without allocating.
  Reader scan = reader_;
  for (uint32_t g = 0; g < groups; ++g) {
    uint32_t count;
    KILN_FBD_READ(count, scan.U32());
    total += count;
    if (total > kMaxLocals) return ErrorAt(at, "too many locals");
    size_t tat = scan.offset();
    uint8_t b;
    KILN_FBD_READ(b, scan.U8());
    if (!ValTypeFromByte(b)) return ErrorAt(tat, "malformed value type");
  }
  locals_.reserve(total);
  for (uint32_t g = 0; g < groups; ++g) {
    uint32_t count = *reader_.U32();
    ValType t = *ValTypeFromByte(*reader_.U8());
    locals_.insert(locals_.end(), count, t);
  }
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::ReadBlockType(BlockType* bt) {
  uint8_t b;
  if (!reader_.Peek(&b)) return ErrorAtHere("unexpected end of section or function");
  if (b == 0x40) {
    reader_.U8().IgnoreError();
    return absl::OkStatus();
  }
  if (std::optional<ValType> t = ValTypeFromByte(b)) {
    reader_.U8().IgnoreError();
    bt->has_single_result = true;
    bt->single_result = *t;
    return absl::OkStatus();
  }
  size_t at = reader_.offset();
  int64_t idx;
  KILN_FBD_READ(idx, reader_.S33());
  if (idx < 0) return ErrorAt(at, "malformed block type");
  if (static_cast<uint64_t>(idx) >= module_.types.size()) {
    return ErrorAt(at, absl::StrCat("unknown type ", idx));
  }
  bt->sig = &module_.types[idx];
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::ReadMemArg(ImmKind kind, MemArg* m) {
  KILN_FBD_READ(m->align_log2, reader_.U32());
  // Multi-memory: bit 6 of the alignment field says a memory index
  // follows (before the offset); without it the access is to memory 0.
  m->memory = 0;
  if (m->align_log2 & kMemArgHasMemoryIndex) {
    if (!module_.features.multi_memory) {
      return Error(FeatureDisabledMessage(Feature::k_multi_memory,
                                          "a memory index in a memarg"));
    }
    m->align_log2 &= ~kMemArgHasMemoryIndex;
    KILN_FBD_READ(m->memory, reader_.U32());
  }
  KILN_FBD_RETURN_IF_ERROR(CheckMemory(m->memory));
  // With memory64 on the offset is a u64 in the binary (3.0), and one
  // above 2^32 - 1 is invalid for a 32-bit memory.
  if (module_.features.memory64) {
    KILN_FBD_READ(m->offset, reader_.U64());
    if (!module_.memories[m->memory].type.is64 && m->offset > UINT32_MAX) {
      return Error("offset out of range");
    }
  } else {
    KILN_FBD_READ(m->offset, reader_.U32());
  }
  if (m->align_log2 > static_cast<uint32_t>(NaturalAlignmentLog2(kind))) {
    return Error("alignment must not be larger than natural");
  }
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::ReadLane(int lanes, uint8_t* lane) {
  KILN_FBD_READ(*lane, reader_.U8());
  if (*lane >= lanes) return Error("invalid lane index");
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::ReadMemoryIndex(uint32_t* memory) {
  // WebAssembly 2.0 reserves one zero byte here; multi-memory makes it a
  // memory index (u32 LEB128).
  if (!module_.features.multi_memory) {
    *memory = 0;
    return ReadZeroByte();
  }
  KILN_FBD_READ(*memory, reader_.U32());
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::ReadZeroByte() {
  size_t at = reader_.offset();
  uint8_t b;
  KILN_FBD_READ(b, reader_.U8());
  if (b != 0) return ErrorAt(at, "zero byte expected");
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::EnsureArgsSlow(uint32_t n,
                                                    const ValType* expected) {
  const ControlFrame& c = control_.back();
  uint32_t avail = static_cast<uint32_t>(stack_types_.size()) - c.stack_base;
  if (!c.unreachable) {
    // Report the first missing operand (the deepest one not present).
    if (!expected) return Error("type mismatch: expected a value, got nothing");
    return TypeMismatchEmpty(expected[n - avail - 1]);
  }
  uint32_t missing = n - avail;
  stack_types_.insert(stack_types_.begin() + c.stack_base, missing,
                      kBottomType);
  stack_values_.insert(stack_values_.begin() + c.stack_base, missing,
                       Value{});
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::PopAny(ValType* t) {
  const ControlFrame& c = control_.back();
  if (stack_types_.size() == c.stack_base) {
    if (!c.unreachable) {
      return Error("type mismatch: expected a value, got nothing");
    }
    *t = kBottomType;
    return absl::OkStatus();
  }
  *t = stack_types_.back();
  PopN(1);
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::Pop(ValType expected) {
  const ControlFrame& c = control_.back();
  if (stack_types_.size() == c.stack_base) {
    if (!c.unreachable) return TypeMismatchEmpty(expected);
    return absl::OkStatus();
  }
  ValType got = stack_types_.back();
  if (got != expected && got != kBottomType) {
    return TypeMismatch(expected, got);
  }
  PopN(1);
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::CheckEndOfBlock(const ControlFrame& c) {
  uint32_t n = c.type.num_results();
  KILN_FBD_RETURN_IF_ERROR(
      CheckTopFn(n, [&](uint32_t i) { return c.type.result(i); }));
  uint32_t height = static_cast<uint32_t>(stack_types_.size()) - c.stack_base;
  if (height > n) {
    return Error(absl::StrCat("type mismatch: block has ", height - n,
                              " extra value(s) on the stack at its end"));
  }
  return absl::OkStatus();
}

template <class I>
void FunctionBodyDecoder<I>::PushBlock(ControlKind kind, const BlockType& bt) {
  ControlFrame f;
  f.kind = kind;
  f.type = bt;
  f.stack_base =
      static_cast<uint32_t>(stack_types_.size()) - bt.num_params();
  f.reachable = control_.empty() || reachable();
  f.start_offset = pc_;
  control_.push_back(f);
}

template <class I>
absl::Status FunctionBodyDecoder<I>::Decode() {
  KILN_FBD_RETURN_IF_ERROR(DecodeLocals());
  // The function's outermost block: [] -> [results].
  function_block_sig_.results = sig_->results;
  {
    ControlFrame f;
    f.kind = ControlKind::kFunction;
    f.type.sig = &function_block_sig_;
    f.stack_base = 0;
    f.start_offset = reader_.offset();
    control_.push_back(f);
  }
  iface_->StartFunction(*sig_, locals_, &control_.back().payload);

  while (!reader_.at_end()) {
    pc_ = reader_.offset();
    uint8_t b = reader_.NextByteUnchecked();
    uint32_t code = b;
    uint8_t prefix = 0;
    if (IsPrefixByte(b)) {
      prefix = b;
      KILN_FBD_READ(code, reader_.U32());
    }
    Opcode op = LookupOpcode(prefix, code);
    if (op == Opcode::kInvalid) return Error("illegal opcode");
    if (op == Opcode::kEnd && control_.size() == 1) {
      // End of the function.
      ControlFrame& c = control_.back();
      KILN_FBD_RETURN_IF_ERROR(CheckEndOfBlock(c));
      uint32_t n = c.type.num_results();
      if (reachable()) {
        iface_->FinishFunction(TopValues(n));
      } else {
        iface_->FinishFunction({});
      }
      control_.clear();
      if (!reader_.at_end()) {
        return ErrorAtHere("operators remaining after end of function");
      }
      return absl::OkStatus();
    }
    const OpcodeInfo& info = GetOpcodeInfo(op);
    if (ABSL_PREDICT_FALSE(info.feature != Feature::kNone) &&
        !module_.features.Has(info.feature)) {
      return Error(FeatureDisabledMessage(info.feature, info.name));
    }
    KILN_FBD_RETURN_IF_ERROR(DecodeInstruction(op, info));
  }
  return ErrorAtHere("END opcode expected");
}

template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeEnd() {
  ControlFrame& c = control_.back();
  if (c.kind == ControlKind::kIf) {
    // Implicit empty else: params must equal results.
    uint32_t np = c.type.num_params(), nr = c.type.num_results();
    bool same = np == nr;
    for (uint32_t i = 0; same && i < np; ++i) {
      same = c.type.param(i) == c.type.result(i);
    }
    if (!same) {
      return Error(
          "type mismatch: if without else must have matching params and "
          "results");
    }
  }
  KILN_FBD_RETURN_IF_ERROR(CheckEndOfBlock(c));
  uint32_t n = c.type.num_results();
  const bool live = reachable();
  // Save the fallthrough values, then replace everything above the base
  // with the block's results (whose values the interface provides).
  if (live) scratch_.assign(TopValues(n).begin(), TopValues(n).end());
  PopN(static_cast<uint32_t>(stack_types_.size()) - c.stack_base);
  for (uint32_t i = 0; i < n; ++i) Push(c.type.result(i));
  iface_->End(&c, live ? absl::MakeConstSpan(scratch_)
                       : absl::Span<const Value>(),
              TopMutableValues(n));
  control_.pop_back();
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeBrTable() {
  size_t at = reader_.offset();
  uint32_t count;
  KILN_FBD_READ(count, reader_.U32());
  if (count > kMaxBrTableSize) {
    return ErrorAt(at, absl::StrCat("br_table too large: ", count,
                                    " targets (limit ", kMaxBrTableSize, ")"));
  }
  if (count > reader_.remaining()) {
    return ErrorAt(at, "unexpected end of section or function");
  }
  br_table_depths_.clear();
  for (uint32_t i = 0; i <= count; ++i) {
    uint32_t d;
    KILN_FBD_READ(d, reader_.U32());
    if (d >= control_.size()) return Error("unknown label");
    br_table_depths_.push_back(d);
  }
  const bool live = reachable();
  const ValType i32 = ValType::kI32;
  KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &i32));
  KILN_FBD_RETURN_IF_ERROR(CheckTop(1, &i32));
  Value index = stack_values_.back();
  PopN(1);
  uint32_t arity = control_at(br_table_depths_.back()).label_arity();
  for (uint32_t d : br_table_depths_) {
    const ControlFrame& t = control_at(d);
    if (t.label_arity() != arity) {
      return Error("type mismatch: br_table targets have different arities");
    }
    KILN_FBD_RETURN_IF_ERROR(CheckLabel(t));
  }
  KILN_FBD_RETURN_IF_ERROR(EnsureArgs(arity, nullptr));
  if (live) iface_->BrTable(br_table_depths_, index, TopValues(arity));
  SetUnreachable();
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeMemoryAccess(
    Opcode op, const OpcodeInfo& info) {
  MemArg m;
  KILN_FBD_RETURN_IF_ERROR(ReadMemArg(info.imm, &m));
  uint8_t lane = 0;
  int lanes = LaneCount(info.imm);
  if (lanes) KILN_FBD_RETURN_IF_ERROR(ReadLane(lanes, &lane));
  // The address (first operand) has the memory's index type (memory64).
  Signature s = GetSignature(info.sig);
  s.params[0] = module_.memories[m.memory].type.index_type();
  KILN_FBD_RETURN_IF_ERROR(EnsureArgs(s.num_params, s.params));
  KILN_FBD_RETURN_IF_ERROR(CheckTop(s.num_params, s.params));
  const bool live = reachable();
  size_t top = stack_values_.size();
  if (s.has_result) {
    Value result{};
    if (live) {
      if (lanes) {
        iface_->LoadLane(op, m, lane, stack_values_[top - 2],
                         stack_values_[top - 1], &result);
      } else {
        iface_->Load(op, m, stack_values_[top - 1], &result);
      }
    }
    PopN(s.num_params);
    *PushResult(s.result) = result;
  } else {
    if (live) {
      if (lanes) {
        iface_->StoreLane(op, m, lane, stack_values_[top - 2],
                          stack_values_[top - 1]);
      } else {
        iface_->Store(op, m, stack_values_[top - 2], stack_values_[top - 1]);
      }
    }
    PopN(s.num_params);
  }
  return absl::OkStatus();
}

// Atomic accesses, wait and notify: a memarg whose alignment must be exactly
// the access's natural alignment, then the signature's operands.
template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeAtomic(Opcode op,
                                                  const OpcodeInfo& info) {
  MemArg m;
  KILN_FBD_RETURN_IF_ERROR(ReadMemArg(info.imm, &m));
  if (m.align_log2 != static_cast<uint32_t>(NaturalAlignmentLog2(info.imm))) {
    return Error("atomic alignment must be natural");
  }
  // The address (first operand) has the memory's index type (memory64).
  Signature s = GetSignature(info.sig);
  s.params[0] = module_.memories[m.memory].type.index_type();
  KILN_FBD_RETURN_IF_ERROR(EnsureArgs(s.num_params, s.params));
  KILN_FBD_RETURN_IF_ERROR(CheckTop(s.num_params, s.params));
  Value result{};
  if (reachable()) iface_->Atomic(op, m, TopValues(s.num_params), &result);
  PopN(s.num_params);
  if (s.has_result) *PushResult(s.result) = result;
  return absl::OkStatus();
}

// Opcodes whose types come from the signature class in opcodes.def.
template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeSimple(Opcode op,
                                                  const OpcodeInfo& info) {
  Signature s = GetSignature(info.sig);  // memory64 adjusts a copy
  // Immediates.
  uint8_t lane = 0;
  uint8_t shuffle[16];
  uint32_t idx0 = 0, idx1 = 0;
  uint32_t mem0 = 0, mem1 = 0;  // memory indices (multi-memory)
  switch (info.imm) {
    case ImmKind::kNone:
      break;
    case ImmKind::kI32: {
      int32_t v;
      KILN_FBD_READ(v, reader_.S32());
      Value* r = PushResult(ValType::kI32);
      if (reachable()) iface_->I32Const(v, r);
      return absl::OkStatus();
    }
    case ImmKind::kI64: {
      int64_t v;
      KILN_FBD_READ(v, reader_.S64());
      Value* r = PushResult(ValType::kI64);
      if (reachable()) iface_->I64Const(v, r);
      return absl::OkStatus();
    }
    case ImmKind::kF32: {
      uint32_t v;
      KILN_FBD_READ(v, reader_.F32Bits());
      Value* r = PushResult(ValType::kF32);
      if (reachable()) iface_->F32Const(v, r);
      return absl::OkStatus();
    }
    case ImmKind::kF64: {
      uint64_t v;
      KILN_FBD_READ(v, reader_.F64Bits());
      Value* r = PushResult(ValType::kF64);
      if (reachable()) iface_->F64Const(v, r);
      return absl::OkStatus();
    }
    case ImmKind::kV128: {
      absl::Span<const uint8_t> v;
      KILN_FBD_READ(v, reader_.Bytes(16));
      Value* r = PushResult(ValType::kV128);
      if (reachable()) iface_->V128Const(v.data(), r);
      return absl::OkStatus();
    }
    case ImmKind::kShuffle: {
      absl::Span<const uint8_t> v;
      KILN_FBD_READ(v, reader_.Bytes(16));
      for (int i = 0; i < 16; ++i) {
        if (v[i] >= 32) return Error("invalid lane index");
        shuffle[i] = v[i];
      }
      break;
    }
    case ImmKind::kLane2:
    case ImmKind::kLane4:
    case ImmKind::kLane8:
    case ImmKind::kLane16:
      KILN_FBD_RETURN_IF_ERROR(ReadLane(LaneCount(info.imm), &lane));
      break;
    case ImmKind::kMemory:  // memory.size, memory.grow, memory.fill
      KILN_FBD_RETURN_IF_ERROR(ReadMemoryIndex(&mem0));
      KILN_FBD_RETURN_IF_ERROR(CheckMemory(mem0));
      break;
    case ImmKind::kMemoryCopy:  // destination, then source
      KILN_FBD_RETURN_IF_ERROR(ReadMemoryIndex(&mem0));
      KILN_FBD_RETURN_IF_ERROR(ReadMemoryIndex(&mem1));
      KILN_FBD_RETURN_IF_ERROR(CheckMemory(mem0));
      KILN_FBD_RETURN_IF_ERROR(CheckMemory(mem1));
      break;
    case ImmKind::kMemoryInit:
    case ImmKind::kData: {
      KILN_FBD_READ(idx0, reader_.U32());
      if (info.imm == ImmKind::kMemoryInit) {
        KILN_FBD_RETURN_IF_ERROR(ReadMemoryIndex(&mem0));
        KILN_FBD_RETURN_IF_ERROR(CheckMemory(mem0));
      }
      // Without a data count section, fall back to the number of data
      // segments (known when the whole module is decoded before bodies
      // are validated) so an out-of-range index reports the validation
      // error; an in-range index still requires the data count section.
      uint32_t num_data =
          module_.data_count
              ? *module_.data_count
              : static_cast<uint32_t>(module_.data_segments.size());
      if (idx0 >= num_data) {
        return Error(absl::StrCat("unknown data segment ", idx0));
      }
      if (!module_.data_count) return Error("data count section required");
      break;
    }
    case ImmKind::kTableInit:
    case ImmKind::kElem: {
      KILN_FBD_READ(idx0, reader_.U32());
      if (info.imm == ImmKind::kTableInit) {
        KILN_FBD_READ(idx1, reader_.U32());
        KILN_FBD_RETURN_IF_ERROR(CheckTable(idx1));
      }
      if (idx0 >= module_.elem_segments.size()) {
        return Error(absl::StrCat("unknown elem segment ", idx0));
      }
      if (info.imm == ImmKind::kTableInit &&
          module_.elem_segments[idx0].elem_type !=
              module_.tables[idx1].type.elem_type) {
        return Error(absl::StrCat(
            "type mismatch: element segment of type ",
            ValTypeName(module_.elem_segments[idx0].elem_type),
            " for table of type ",
            ValTypeName(module_.tables[idx1].type.elem_type)));
      }
      break;
    }
    case ImmKind::kTableCopy: {
      KILN_FBD_READ(idx0, reader_.U32());
      KILN_FBD_READ(idx1, reader_.U32());
      KILN_FBD_RETURN_IF_ERROR(CheckTable(idx0));
      KILN_FBD_RETURN_IF_ERROR(CheckTable(idx1));
      if (module_.tables[idx0].type.elem_type !=
          module_.tables[idx1].type.elem_type) {
        return Error("type mismatch: table.copy between tables of types " +
                     std::string(ValTypeName(
                         module_.tables[idx1].type.elem_type)) +
                     " and " +
                     ValTypeName(module_.tables[idx0].type.elem_type));
      }
      break;
    }
    default:
      return Error("internal error: unexpected immediate kind");
  }
  if (info.imm == ImmKind::kMemory || info.imm == ImmKind::kMemoryCopy ||
      info.imm == ImmKind::kMemoryInit) {
    SetMemoryIndexTypes(op, info.imm, mem0, mem1, &s);
  }

  KILN_FBD_RETURN_IF_ERROR(EnsureArgs(s.num_params, s.params));
  KILN_FBD_RETURN_IF_ERROR(CheckTop(s.num_params, s.params));
  const bool live = reachable();
  const size_t top = stack_values_.size();
  auto arg = [&](int i) -> const Value& {
    return stack_values_[top - s.num_params + i];
  };
  Value result{};
  if (live) {
    switch (info.imm) {
      case ImmKind::kNone:
        iface_->NumericOp(op, TopValues(s.num_params), &result);
        break;
      case ImmKind::kShuffle:
        iface_->Shuffle(shuffle, arg(0), arg(1), &result);
        break;
      case ImmKind::kLane2:
      case ImmKind::kLane4:
      case ImmKind::kLane8:
      case ImmKind::kLane16:
        iface_->SimdLaneOp(op, lane, TopValues(s.num_params), &result);
        break;
      case ImmKind::kMemory:
        if (op == Opcode::kMemorySize) {
          iface_->MemorySize(mem0, &result);
        } else if (op == Opcode::kMemoryGrow) {
          iface_->MemoryGrow(mem0, arg(0), &result);
        } else {
          iface_->MemoryFill(mem0, arg(0), arg(1), arg(2));
        }
        break;
      case ImmKind::kMemoryCopy:
        iface_->MemoryCopy(mem0, mem1, arg(0), arg(1), arg(2));
        break;
      case ImmKind::kMemoryInit:
        iface_->MemoryInit(idx0, mem0, arg(0), arg(1), arg(2));
        break;
      case ImmKind::kData:
        iface_->DataDrop(idx0);
        break;
      case ImmKind::kTableInit:
        iface_->TableInit(idx0, idx1, arg(0), arg(1), arg(2));
        break;
      case ImmKind::kElem:
        iface_->ElemDrop(idx0);
        break;
      case ImmKind::kTableCopy:
        iface_->TableCopy(idx0, idx1, arg(0), arg(1), arg(2));
        break;
      default:
        break;
    }
  }
  PopN(s.num_params);
  if (s.has_result) *PushResult(s.result) = result;
  return absl::OkStatus();
}

template <class I>
absl::Status FunctionBodyDecoder<I>::DecodeInstruction(
    Opcode op, const OpcodeInfo& info) {
  if (info.sig != SigClass::kSigSpecial) {
    if (info.prefix == 0xfe) return DecodeAtomic(op, info);
    if (NaturalAlignmentLog2(info.imm) >= 0) {
      return DecodeMemoryAccess(op, info);
    }
    return DecodeSimple(op, info);
  }
  const bool live = reachable();
  switch (op) {
    case Opcode::kUnreachable:
      if (live) iface_->Unreachable();
      SetUnreachable();
      return absl::OkStatus();
    case Opcode::kNop:
      return absl::OkStatus();
    case Opcode::kBlock:
    case Opcode::kLoop:
    case Opcode::kIf: {
      BlockType bt;
      KILN_FBD_RETURN_IF_ERROR(ReadBlockType(&bt));
      if (control_.size() >= kMaxControlDepth) {
        return Error("control nesting too deep");
      }
      Value cond{};
      if (op == Opcode::kIf) {
        KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &kI32Type));
        if (stack_types_.back() != ValType::kI32 &&
            stack_types_.back() != kBottomType) {
          return TypeMismatch(ValType::kI32, stack_types_.back());
        }
        cond = stack_values_.back();
        PopN(1);
      }
      uint32_t np = bt.num_params();
      KILN_FBD_RETURN_IF_ERROR(
          EnsureArgs(np, bt.sig ? bt.sig->params.data() : nullptr));
      KILN_FBD_RETURN_IF_ERROR(
          CheckTopFn(np, [&](uint32_t i) { return bt.param(i); }));
      // Params keep their (possibly bottom) types from the stack; retype
      // them to the declared types for the new block.
      for (uint32_t i = 0; i < np; ++i) {
        stack_types_[stack_types_.size() - np + i] = bt.param(i);
      }
      PushBlock(op == Opcode::kBlock  ? ControlKind::kBlock
                : op == Opcode::kLoop ? ControlKind::kLoop
                                      : ControlKind::kIf,
                bt);
      ControlFrame* f = &control_.back();
      absl::Span<Value> params = TopMutableValues(np);
      if (op == Opcode::kBlock) {
        iface_->Block(bt, params, f);
      } else if (op == Opcode::kLoop) {
        iface_->Loop(bt, params, f);
      } else {
        iface_->If(bt, cond, params, f);
      }
      return absl::OkStatus();
    }
    case Opcode::kElse: {
      ControlFrame& c = control_.back();
      if (c.kind != ControlKind::kIf) return Error("else without matching if");
      KILN_FBD_RETURN_IF_ERROR(CheckEndOfBlock(c));
      uint32_t n = c.type.num_results();
      const bool live = reachable();
      if (live) scratch_.assign(TopValues(n).begin(), TopValues(n).end());
      PopN(static_cast<uint32_t>(stack_types_.size()) - c.stack_base);
      uint32_t np = c.type.num_params();
      for (uint32_t i = 0; i < np; ++i) Push(c.type.param(i));
      // The hook still sees the then-arm's reachability in the frame.
      iface_->Else(&c,
                   live ? absl::MakeConstSpan(scratch_)
                        : absl::Span<const Value>(),
                   TopMutableValues(np));
      c.kind = ControlKind::kElse;
      c.unreachable = false;
      return absl::OkStatus();
    }
    case Opcode::kEnd:
      return DecodeEnd();
    case Opcode::kBr:
    case Opcode::kBrIf: {
      uint32_t depth;
      KILN_FBD_READ(depth, reader_.U32());
      if (depth >= control_.size()) return Error("unknown label");
      Value cond{};
      if (op == Opcode::kBrIf) {
        KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &kI32Type));
        if (stack_types_.back() != ValType::kI32 &&
            stack_types_.back() != kBottomType) {
          return TypeMismatch(ValType::kI32, stack_types_.back());
        }
        cond = stack_values_.back();
        PopN(1);
      }
      ControlFrame& t = control_at(depth);
      uint32_t n = t.label_arity();
      KILN_FBD_RETURN_IF_ERROR(CheckLabel(t));
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(n, nullptr));
      if (op == Opcode::kBr) {
        if (live) iface_->Br(depth, &t, TopValues(n));
        SetUnreachable();
      } else {
        if (live) iface_->BrIf(depth, &t, cond, TopValues(n));
        // br_if leaves the label's types on the stack.
        for (uint32_t i = 0; i < n; ++i) {
          stack_types_[stack_types_.size() - n + i] = t.label_type(i);
        }
      }
      return absl::OkStatus();
    }
    case Opcode::kBrTable: {
      return DecodeBrTable();
    }
    case Opcode::kReturn: {
      uint32_t n = static_cast<uint32_t>(sig_->results.size());
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(n, sig_->results.data()));
      KILN_FBD_RETURN_IF_ERROR(CheckTop(n, sig_->results.data()));
      if (live) iface_->Return(TopValues(n));
      SetUnreachable();
      return absl::OkStatus();
    }
    case Opcode::kCall:
    case Opcode::kCallIndirect:
    case Opcode::kReturnCall:
    case Opcode::kReturnCallIndirect: {
      const bool tail =
          op == Opcode::kReturnCall || op == Opcode::kReturnCallIndirect;
      const bool direct = op == Opcode::kCall || op == Opcode::kReturnCall;
      uint32_t index, table = 0;
      const FuncType* ft;
      KILN_FBD_READ(index, reader_.U32());
      if (direct) {
        if (index >= module_.functions.size()) {
          return Error(absl::StrCat("unknown function ", index));
        }
        ft = &module_.func_type(index);
      } else {
        KILN_FBD_READ(table, reader_.U32());
        if (index >= module_.types.size()) {
          return Error(absl::StrCat("unknown type ", index));
        }
        KILN_FBD_RETURN_IF_ERROR(CheckTable(table));
        if (module_.tables[table].type.elem_type != ValType::kFuncRef) {
          return Error(
              "type mismatch: call_indirect requires a funcref table");
        }
        ft = &module_.types[index];
      }
      // A tail call returns the callee's results as the caller's.
      if (tail && ft->results != sig_->results) {
        return Error(absl::StrCat("type mismatch: ", info.name,
                                  " callee's results differ from the "
                                  "function's results"));
      }
      Value callee_index{};
      if (!direct) {
        KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &kI32Type));
        if (stack_types_.back() != ValType::kI32 &&
            stack_types_.back() != kBottomType) {
          return TypeMismatch(ValType::kI32, stack_types_.back());
        }
        callee_index = stack_values_.back();
        PopN(1);
      }
      uint32_t np = static_cast<uint32_t>(ft->params.size());
      uint32_t nr = static_cast<uint32_t>(ft->results.size());
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(np, ft->params.data()));
      KILN_FBD_RETURN_IF_ERROR(CheckTop(np, ft->params.data()));
      if (tail) {
        if (live) {
          if (direct) {
            iface_->ReturnCall(index, *ft, TopValues(np));
          } else {
            iface_->ReturnCallIndirect(index, table, *ft, callee_index,
                                       TopValues(np));
          }
        }
        SetUnreachable();
        return absl::OkStatus();
      }
      call_results_.assign(nr, Value{});
      if (live) {
        if (op == Opcode::kCall) {
          iface_->Call(index, *ft, TopValues(np),
                       absl::MakeSpan(call_results_));
        } else {
          iface_->CallIndirect(index, table, *ft, callee_index, TopValues(np),
                               absl::MakeSpan(call_results_));
        }
      }
      PopN(np);
      for (uint32_t i = 0; i < nr; ++i) {
        *PushResult(ft->results[i]) = call_results_[i];
      }
      return absl::OkStatus();
    }
    case Opcode::kDrop: {
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, nullptr));
      if (live) iface_->Drop(stack_values_.back());
      PopN(1);
      return absl::OkStatus();
    }
    case Opcode::kSelect:
    case Opcode::kSelectT: {
      ValType type = kBottomType;
      if (op == Opcode::kSelectT) {
        uint32_t n;
        KILN_FBD_READ(n, reader_.U32());
        if (n != 1) return Error("invalid result arity");
        size_t at = reader_.offset();
        uint8_t b;
        KILN_FBD_READ(b, reader_.U8());
        std::optional<ValType> t = ValTypeFromByte(b);
        if (!t) return ErrorAt(at, "malformed value type");
        type = *t;
      }
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(3, nullptr));
      size_t top = stack_types_.size();
      ValType tc = stack_types_[top - 1];
      if (tc != ValType::kI32 && tc != kBottomType) {
        return TypeMismatch(ValType::kI32, tc);
      }
      ValType t1 = stack_types_[top - 3], t2 = stack_types_[top - 2];
      if (op == Opcode::kSelectT) {
        if (t1 != type && t1 != kBottomType) return TypeMismatch(type, t1);
        if (t2 != type && t2 != kBottomType) return TypeMismatch(type, t2);
      } else {
        if ((t1 != kBottomType && IsRefType(t1)) ||
            (t2 != kBottomType && IsRefType(t2))) {
          return Error(
              "type mismatch: select without type requires numeric or "
              "vector operands");
        }
        if (t1 != t2 && t1 != kBottomType && t2 != kBottomType) {
          return TypeMismatch(t1, t2);
        }
        type = t1 != kBottomType ? t1 : t2;
      }
      Value result{};
      if (live) {
        iface_->Select(type, stack_values_[top - 3], stack_values_[top - 2],
                       stack_values_[top - 1], &result);
      }
      PopN(3);
      *PushResult(type) = result;
      return absl::OkStatus();
    }
    case Opcode::kLocalGet:
    case Opcode::kLocalSet:
    case Opcode::kLocalTee: {
      uint32_t idx;
      KILN_FBD_READ(idx, reader_.U32());
      if (idx >= locals_.size()) {
        return Error(absl::StrCat("unknown local ", idx));
      }
      ValType t = locals_[idx];
      if (op == Opcode::kLocalGet) {
        Value* r = PushResult(t);
        if (live) iface_->LocalGet(idx, r);
        return absl::OkStatus();
      }
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &t));
      KILN_FBD_RETURN_IF_ERROR(CheckTop(1, &t));
      if (op == Opcode::kLocalSet) {
        if (live) iface_->LocalSet(idx, stack_values_.back());
        PopN(1);
      } else {
        Value result{};
        if (live) iface_->LocalTee(idx, stack_values_.back(), &result);
        PopN(1);
        *PushResult(t) = result;
      }
      return absl::OkStatus();
    }
    case Opcode::kGlobalGet:
    case Opcode::kGlobalSet: {
      uint32_t idx;
      KILN_FBD_READ(idx, reader_.U32());
      if (idx >= module_.globals.size()) {
        return Error(absl::StrCat("unknown global ", idx));
      }
      const GlobalType& g = module_.globals[idx].type;
      if (op == Opcode::kGlobalGet) {
        Value* r = PushResult(g.type);
        if (live) iface_->GlobalGet(idx, r);
        return absl::OkStatus();
      }
      if (!g.mutable_) return Error("global is immutable");
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, &g.type));
      KILN_FBD_RETURN_IF_ERROR(CheckTop(1, &g.type));
      if (live) iface_->GlobalSet(idx, stack_values_.back());
      PopN(1);
      return absl::OkStatus();
    }
    case Opcode::kTableGet:
    case Opcode::kTableSet:
    case Opcode::kTableSize:
    case Opcode::kTableGrow:
    case Opcode::kTableFill: {
      uint32_t t;
      KILN_FBD_READ(t, reader_.U32());
      KILN_FBD_RETURN_IF_ERROR(CheckTable(t));
      ValType rt = module_.tables[t].type.elem_type;
      ValType params[3];
      uint32_t np = 0;
      bool has_result = false;
      ValType result_type = ValType::kI32;
      switch (op) {
        case Opcode::kTableGet:
          params[np++] = ValType::kI32;
          has_result = true;
          result_type = rt;
          break;
        case Opcode::kTableSet:
          params[np++] = ValType::kI32;
          params[np++] = rt;
          break;
        case Opcode::kTableSize:
          has_result = true;
          break;
        case Opcode::kTableGrow:
          params[np++] = rt;
          params[np++] = ValType::kI32;
          has_result = true;
          break;
        default:  // kTableFill
          params[np++] = ValType::kI32;
          params[np++] = rt;
          params[np++] = ValType::kI32;
          break;
      }
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(np, params));
      KILN_FBD_RETURN_IF_ERROR(CheckTop(np, params));
      size_t top = stack_values_.size();
      auto arg = [&](uint32_t i) -> const Value& {
        return stack_values_[top - np + i];
      };
      Value result{};
      if (live) {
        switch (op) {
          case Opcode::kTableGet: iface_->TableGet(t, arg(0), &result); break;
          case Opcode::kTableSet: iface_->TableSet(t, arg(0), arg(1)); break;
          case Opcode::kTableSize: iface_->TableSize(t, &result); break;
          case Opcode::kTableGrow:
            iface_->TableGrow(t, arg(0), arg(1), &result);
            break;
          default: iface_->TableFill(t, arg(0), arg(1), arg(2)); break;
        }
      }
      PopN(np);
      if (has_result) *PushResult(result_type) = result;
      return absl::OkStatus();
    }
    case Opcode::kRefNull: {
      size_t at = reader_.offset();
      uint8_t b;
      KILN_FBD_READ(b, reader_.U8());
      std::optional<ValType> t = ValTypeFromByte(b);
      if (!t || !IsRefType(*t)) {
        return ErrorAt(at, "malformed reference type");
      }
      Value* r = PushResult(*t);
      if (live) iface_->RefNull(*t, r);
      return absl::OkStatus();
    }
    case Opcode::kRefIsNull: {
      KILN_FBD_RETURN_IF_ERROR(EnsureArgs(1, nullptr));
      ValType t = stack_types_.back();
      if (t != kBottomType && !IsRefType(t)) {
        return Error(absl::StrCat(
            "type mismatch: expected a reference type, got ", TypeName(t)));
      }
      Value result{};
      if (live) iface_->RefIsNull(stack_values_.back(), &result);
      PopN(1);
      *PushResult(ValType::kI32) = result;
      return absl::OkStatus();
    }
    case Opcode::kAtomicFence:
      KILN_FBD_RETURN_IF_ERROR(ReadZeroByte());
      if (live) iface_->AtomicFence();
      return absl::OkStatus();
    case Opcode::kRefFunc: {
      uint32_t f;
      KILN_FBD_READ(f, reader_.U32());
      if (f >= module_.functions.size()) {
        return Error(absl::StrCat("unknown function ", f));
      }
      if (f >= module_.declared_functions.size() ||
          !module_.declared_functions[f]) {
        return Error(absl::StrCat("undeclared function reference ", f));
      }
      Value* r = PushResult(ValType::kFuncRef);
      if (live) iface_->RefFunc(f, r);
      return absl::OkStatus();
    }
    default:
      return Error(absl::StrCat("illegal opcode ", OpcodeName(op)));
  }
}

}  // namespace kiln::wasm

#endif  // KILN_WASM_FUNCTION_BODY_DECODER_H_
