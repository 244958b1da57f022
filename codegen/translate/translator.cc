#include "codegen/translate/translator.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/instructions.h"
#include "codegen/opt/unreachable.h"
#include "codegen/translate/simd.h"
#include "runtime/abi/builtins.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_context_counts.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/function_body_decoder.h"
#include "wasm/instruction_reader.h"
#include "wasm/limits.h"
#include "wasm/opcodes.h"

namespace kiln::translate {
namespace {

using abi::BuiltinId;
using abi::TrapCode;
using abi::VMOffsets;
using ir::Block;
using ir::FloatCC;
using ir::IntCC;
using ir::Type;
using wasm::ValType;
using wasm::kMaxMemory64Bytes;

constexpr Type kPtr = ir::kPointerType;

// Flags for VMContext fields that never change while code runs.
constexpr uint8_t kRO = ir::kMemNotrap | ir::kMemAligned | ir::kMemReadonly;
// Flags for VMContext fields that may change (lengths, globals, table bases).
constexpr uint8_t kRW = ir::kMemNotrap | ir::kMemAligned;
// kRW with the alias region (codegen/opt/alias.h): accesses of different
// regions never overlap, and a load without one is never optimized (the
// epoch counter and the fuel count keep plain kRW).
constexpr uint8_t kRWMemoryLength = kRW | ir::kMemVmctx;
constexpr uint8_t kRWGlobal = kRW | ir::kMemGlobal;
constexpr uint8_t kRWTable = kRW | ir::kMemTable;

// IR type of a wasm value type.
Type IrType(ValType t) {
  switch (t) {
    case ValType::kI32: return Type::kI32;
    case ValType::kI64: return Type::kI64;
    case ValType::kF32: return Type::kF32;
    case ValType::kF64: return Type::kF64;
    case ValType::kV128: return Type::kV128;
    case ValType::kFuncRef:
    case ValType::kExternRef: return kPtr;
    default: return Type::kInvalid;
  }
}


Type BuiltinIrType(abi::BuiltinType t) {
  switch (t) {
    case abi::BuiltinType::kI32: return Type::kI32;
    case abi::BuiltinType::kI64:
    case abi::BuiltinType::kPtr: return Type::kI64;
    default: return Type::kInvalid;
  }
}

}  // namespace

ir::Signature IrSignature(const wasm::FuncType& type) {
  ir::Signature s;
  s.params.reserve(type.params.size() + 2);
  s.params.push_back(kPtr);  // callee vmctx
  s.params.push_back(kPtr);  // caller vmctx
  for (ValType v : type.params) s.params.push_back(IrType(v));
  for (ValType v : type.results) s.results.push_back(IrType(v));
  return s;
}

std::string FunctionName(const wasm::ModuleInfo& module, uint32_t func_index) {
  (void)module;
  return absl::StrCat("f", func_index);
}

// ---------------------------------------------------------------------------
// Loop pre-scan: which locals each loop reads but never assigns.
// ---------------------------------------------------------------------------

// With SSA construction on the fly, a loop header is unsealed while its
// body is translated, so every local read in the body would become a
// header parameter (and an argument on every edge into the loop), almost
// all of them redundant. A cheap first walk finds, per loop, the locals
// that are read but not assigned anywhere inside it; the translator binds
// those to their pre-loop values in the header instead.
//
// Loops are numbered in the order their `loop` opcodes appear (the same
// order the translator's Loop hook sees), reachable or not.
struct LoopScanControl {
  int32_t loop = -1;  // index in LoopScan::ranges_, or -1
};

class LoopScan : public wasm::BaseInterface<wasm::EmptyValue, LoopScanControl> {
 public:
  using Value = wasm::EmptyValue;
  using Control = LoopScanControl;

  void StartFunction(const wasm::FuncType&, absl::Span<const ValType> locals,
                     Control*) {
    used_stamp_.assign(locals.size(), 0);
    assigned_stamp_.assign(locals.size(), 0);
    cur_stamp_ = 0;
  }

  void Reset() {
    ranges_.clear();
    invariant_.clear();
    open_.clear();
    used_.clear();
    assigned_.clear();
  }

  template <class F>
  void Loop(const wasm::BlockType&, absl::Span<Value>, F* frame) {
    frame->payload.loop = OpenLoop();
  }
  template <class F>
  void End(F* frame, absl::Span<const Value>, absl::Span<Value>) {
    if (frame->payload.loop >= 0) CloseLoop(frame->payload.loop);
  }
  // One event per local per innermost loop (stamps dedupe repeats).
  void LocalGet(uint32_t local, Value*) {
    if (cur_stamp_ && used_stamp_[local] != cur_stamp_) {
      used_stamp_[local] = cur_stamp_;
      used_.push_back(local);
    }
  }
  void LocalSet(uint32_t local, const Value&) { Assign(local); }
  void LocalTee(uint32_t local, const Value&, Value*) { Assign(local); }

  // The events a FunctionBodyDecoder<LoopScan> walk gives (loops in opcode
  // order, reachable or not; locals only where reachable, as the decoder
  // tracks it), from wasm::InstructionReader: no operand stack or types,
  // a fraction of the cost. False where the body does not read as
  // well-nested instructions with locals in range: the caller then runs
  // the validating walk, which reports the error. Any other invalid body
  // fails in the translating walk.
  bool Walk(absl::Span<const uint8_t> body, uint32_t num_params) {
    wasm::InstructionReader r(body);
    const uint64_t num_locals = uint64_t{num_params} + r.ReadLocals();
    if (r.malformed() || num_locals > wasm::kMaxLocals) return false;
    used_stamp_.assign(num_locals, 0);
    assigned_stamp_.assign(num_locals, 0);
    cur_stamp_ = 0;
    frames_.clear();
    frames_.push_back({-1, true, false});
    wasm::Opcode op;
    uint64_t imm;
    while (r.Next(&op, &imm)) {
      WalkFrame& top = frames_.back();
      const bool live = top.reachable && !top.unreachable;
      switch (op) {
        case wasm::Opcode::kBlock:
        case wasm::Opcode::kIf:
          frames_.push_back({-1, live, false});
          break;
        case wasm::Opcode::kLoop:
          frames_.push_back({OpenLoop(), live, false});
          break;
        case wasm::Opcode::kElse:
          top.unreachable = false;
          break;
        case wasm::Opcode::kEnd: {
          const int32_t loop = top.loop;
          frames_.pop_back();
          if (loop >= 0) CloseLoop(loop);
          if (frames_.empty()) return r.at_end();
          break;
        }
        case wasm::Opcode::kLocalGet:
        case wasm::Opcode::kLocalSet:
        case wasm::Opcode::kLocalTee:
          if (imm >= num_locals) return false;
          if (!live) break;
          if (op == wasm::Opcode::kLocalGet) {
            LocalGet(static_cast<uint32_t>(imm), nullptr);
          } else {
            Assign(static_cast<uint32_t>(imm));
          }
          break;
        // What the decoder follows with SetUnreachable().
        case wasm::Opcode::kUnreachable:
        case wasm::Opcode::kBr:
        case wasm::Opcode::kBrTable:
        case wasm::Opcode::kReturn:
        case wasm::Opcode::kReturnCall:
        case wasm::Opcode::kReturnCallIndirect:
          top.unreachable = true;
          break;
        default:
          break;
      }
    }
    return false;
  }

  // Locals read but not assigned in loop `i` (sorted).
  absl::Span<const uint32_t> Invariant(uint32_t i) const {
    if (i >= ranges_.size()) return {};
    return absl::MakeConstSpan(invariant_.data() + ranges_[i].start,
                               ranges_[i].size);
  }

 private:
  int32_t OpenLoop() {
    const int32_t index = static_cast<int32_t>(ranges_.size());
    ranges_.push_back({0, 0});
    cur_stamp_ = ++last_stamp_;
    open_.push_back({static_cast<uint32_t>(used_.size()),
                     static_cast<uint32_t>(assigned_.size()), cur_stamp_});
    return index;
  }
  void CloseLoop(int32_t loop) {
    const OpenLoopEntry o = open_.back();
    open_.pop_back();
    // Events recorded for the parent before this loop keep its stamp, so
    // they are not pushed again; this loop's are merged below.
    cur_stamp_ = open_.empty() ? 0 : open_.back().stamp;
    // This loop's events (its nested loops' included) are the tails of
    // used_ / assigned_; they stay there for the enclosing loop.
    scratch_used_.assign(used_.begin() + o.used_start, used_.end());
    scratch_assigned_.assign(assigned_.begin() + o.assigned_start,
                             assigned_.end());
    SortUnique(scratch_used_);
    SortUnique(scratch_assigned_);
    Range& r = ranges_[loop];
    r.start = static_cast<uint32_t>(invariant_.size());
    std::set_difference(scratch_used_.begin(), scratch_used_.end(),
                        scratch_assigned_.begin(), scratch_assigned_.end(),
                        std::back_inserter(invariant_));
    r.size = static_cast<uint32_t>(invariant_.size()) - r.start;
    // Keep the parent's lists short: replace the tails by the deduplicated
    // sets.
    used_.resize(o.used_start);
    used_.insert(used_.end(), scratch_used_.begin(), scratch_used_.end());
    assigned_.resize(o.assigned_start);
    assigned_.insert(assigned_.end(), scratch_assigned_.begin(),
                     scratch_assigned_.end());
    if (open_.empty()) {
      used_.clear();
      assigned_.clear();
    }
  }

  struct Range {
    uint32_t start, size;
  };
  struct OpenLoopEntry {
    uint32_t used_start, assigned_start;
    uint64_t stamp;
  };
  // Walk's control frames.
  struct WalkFrame {
    int32_t loop;  // As LoopScanControl::loop.
    bool reachable;
    bool unreachable;
  };
  void Assign(uint32_t local) {
    if (cur_stamp_ && assigned_stamp_[local] != cur_stamp_) {
      assigned_stamp_[local] = cur_stamp_;
      assigned_.push_back(local);
    }
  }
  static void SortUnique(std::vector<uint32_t>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }

  std::vector<Range> ranges_;
  std::vector<uint32_t> invariant_;
  std::vector<OpenLoopEntry> open_;
  std::vector<WalkFrame> frames_;
  std::vector<uint32_t> used_, assigned_;
  std::vector<uint32_t> scratch_used_, scratch_assigned_;
  // Stamp of the innermost open loop (0: none); stamps only grow, so
  // per-local stamps never need clearing between loops.
  uint64_t cur_stamp_ = 0, last_stamp_ = 0;
  std::vector<uint64_t> used_stamp_, assigned_stamp_;
};

// ---------------------------------------------------------------------------
// The decoder interface.
// ---------------------------------------------------------------------------

struct ControlPayload {
  // block / if: the block after `end` (params = results).
  // loop: the loop header (params = loop params).
  Block target;
  // if: the else arm.
  Block else_block;
  // if: where its params are saved in Translator::saved_params_.
  uint32_t saved_start = 0;
  // block / if: some branch or fallthrough targets `target`.
  bool reached = false;
  // Local-value cache state at the construct's start (see LocalGet).
  uint64_t start_epoch = 0;
  uint32_t log_start = 0;
};

class Translator
    : public wasm::BaseInterface<ir::Value, ControlPayload> {
 public:
  using Value = ir::Value;
  using Control = ControlPayload;
  using Decoder = wasm::FunctionBodyDecoder<Translator>;
  using Frame = Decoder::ControlFrame;

  Translator(const wasm::ModuleInfo& module, const VMOffsets& offsets,
             const TranslateOptions& options,
             const std::vector<ir::Signature>& type_sigs)
      : module_(module),
        offsets_(offsets),
        options_(options),
        type_sigs_(type_sigs) {}

  void Reset(ir::Function* f, uint32_t func_index, Decoder* decoder) {
    f_ = f;
    if (b_.has_value()) {
      b_->Reset(f);  // keeps the builder's tables from the last function
    } else {
      b_.emplace(f);
    }
    func_index_ = func_index;
    decoder_ = decoder;
    status_ = absl::OkStatus();
    dead_code_ = false;
    loop_counter_ = 0;
    locals_.clear();
    saved_params_.clear();
    scratch_.clear();
    vmctx_ = type_ids_ = builtins_ = ir::Value();
    heap_bases_.assign(module_.memories.size(), ir::Value());
    memdefs_.assign(module_.memories.size(), ir::Value());
    limits_ = epoch_ptr_ = ir::Value();
    fuel_pending_ = 0;
    fuel_charged_pc_ = ~size_t{0};
    cold_blocks_.clear();
    entry_ = ir::Block();
    func_refs_.clear();
    sig_refs_.clear();
    builtin_sigs_.clear();
  }
  absl::Status status() const { return status_; }

  // --- Function -------------------------------------------------------
  void StartFunction(const wasm::FuncType& sig,
                     absl::Span<const ValType> locals, Control*) {
    entry_ = b_->CreateBlock();
    b_->AppendEntryParams(entry_);
    b_->SwitchToBlock(entry_);
    b_->SealBlock(entry_);
    absl::Span<const ir::Value> params = f_->block_params(entry_);
    vmctx_ = params[0];
    locals_.reserve(locals.size());
    local_cache_.assign(locals.size(), LocalCacheEntry());
    touch_log_.clear();
    epoch_ = ++last_epoch_;
    for (size_t i = 0; i < locals.size(); ++i) {
      Type t = IrType(locals[i]);
      if (t == Type::kInvalid) {
        Unsupported("v128 local");
        return;
      }
      ir::Variable v = b_->DeclareVar(t);
      locals_.push_back(v);
      // Params are defined; other locals read as zero through the
      // builder's "never assigned" rule (a constant only where used).
      if (i < sig.params.size()) {
        b_->DefVar(v, params[i + 2]);
      } else if (t == Type::kV128) {
        static constexpr uint8_t kZero[16] = {};
        b_->DefVar(v, EmitV128Const(*b_, *f_, kZero));
      }
    }
    if (options_.consume_fuel) {
      fuel_var_ = b_->DeclareVar(Type::kI64);
      ReloadFuel();
      EntryCheck(&Translator::FuelCheck);
    }
    if (options_.epoch_interruption) EntryCheck(&Translator::EpochCheck);
  }

  void FinishFunction(absl::Span<const Value> returns) {
    if (!ok()) return;
    SetLoc();
    if (!b_->IsFilled() && decoder_->control_at(0).reachable &&
        !decoder_->control_at(0).unreachable) {
      FlushFuel();
      b_->Return(returns);
    }
    // Blocks created for dead code after a never-reached merge may be left
    // without a terminator; end them.
    if (dead_code_) for (ir::Block blk : f_->blocks()) {
      ir::Inst last = f_->last_inst(blk);
      if (!last.valid() || !ir::IsTerminator(f_->opcode(last))) {
        Enter(blk);
        b_->Trap(TrapCode::kUnreachableCodeReached);
      }
    }
    // Interrupt slow paths go after everything else, so the checks fall
    // through on the hot path and the cold code stays out of the way.
    for (ir::Block cold : cold_blocks_) {
      if (!f_->IsBlockInLayout(cold)) continue;
      f_->RemoveBlock(cold);
      f_->AppendBlock(cold);
    }
    b_->SealAllBlocks();
  }

  // --- Control --------------------------------------------------------
  void Block(const wasm::BlockType& bt, absl::Span<Value>, Frame* frame) {
    if (!ok() || !frame->reachable) return;
    if (!CheckBlockType(bt)) return;
    frame->payload.target = NewBlockWithResults(bt);
    MarkConstructStart(frame->payload);
  }

  void Loop(const wasm::BlockType& bt, absl::Span<Value> params,
            Frame* frame) {
    const uint32_t loop_index = loop_counter_++;
    if (!ok() || !frame->reachable) return;
    if (!CheckBlockType(bt)) return;
    SetLoc();
    ir::Block header = b_->CreateBlock();
    for (uint32_t i = 0; i < bt.num_params(); ++i) {
      b_->AppendBlockParam(header, IrType(bt.param(i)));
    }
    // Locals the loop reads but never assigns keep their pre-loop values:
    // resolve them here and define them in the header, so no header
    // parameter is made for them.
    absl::Span<const uint32_t> invariant =
        loop_scan_ ? loop_scan_->Invariant(loop_index)
                   : absl::Span<const uint32_t>();
    invariant_values_.clear();
    for (uint32_t l : invariant) {
      ir::Value v;
      LocalGet(l, &v);
      invariant_values_.push_back(v);
    }
    FlushFuel();
    b_->Jump(header, params);
    MarkConstructStart(frame->payload);
    Enter(header);
    for (size_t k = 0; k < invariant.size(); ++k) {
      const uint32_t l = invariant[k];
      b_->DefVar(locals_[l], invariant_values_[k]);
      local_cache_[l] = {epoch_, invariant_values_[k]};
    }
    absl::Span<const ir::Value> hp = f_->block_params(header);
    for (size_t i = 0; i < params.size(); ++i) params[i] = hp[i];
    frame->payload.target = header;
    // Every back-edge comes through the header: checking here bounds the
    // time between checks by one iteration.
    if (options_.consume_fuel) LoopCheck(header, params, &Translator::FuelCheck);
    if (options_.epoch_interruption) {
      LoopCheck(header, params, &Translator::EpochCheck);
    }
  }

  void If(const wasm::BlockType& bt, const Value& cond,
          absl::Span<Value> params, Frame* frame) {
    if (!ok() || !frame->reachable) return;
    if (!CheckBlockType(bt)) return;
    SetLoc();
    Control& c = frame->payload;
    c.target = NewBlockWithResults(bt);
    ir::Block then_block = b_->CreateBlock();
    c.else_block = b_->CreateBlock();
    c.saved_start = static_cast<uint32_t>(saved_params_.size());
    MarkConstructStart(c);
    saved_params_.insert(saved_params_.end(), params.begin(), params.end());
    FlushFuel();
    b_->Brif(cond, then_block, {}, c.else_block, {});
    b_->SealBlock(then_block);
    b_->SealBlock(c.else_block);
    Enter(then_block, /*straight_line=*/true);
  }

  void Else(Frame* frame, absl::Span<const Value> then_results,
            absl::Span<Value> else_params) {
    if (!ok() || !frame->reachable) return;
    SetLoc();
    Control& c = frame->payload;
    if (!b_->IsFilled()) {
      FlushFuel();
      b_->Jump(c.target, then_results);
      c.reached = true;
    }
    b_->SwitchToBlock(c.else_block);
    RestoreConstructStart(c);
    for (size_t i = 0; i < else_params.size(); ++i) {
      else_params[i] = saved_params_[c.saved_start + i];
    }
    c.else_block = ir::Block();  // consumed
  }

  void End(Frame* frame, absl::Span<const Value> results,
           absl::Span<Value> merged) {
    if (!ok() || !frame->reachable) return;
    SetLoc();
    Control& c = frame->payload;
    const bool live = !frame->unreachable && !b_->IsFilled();
    if (frame->kind == wasm::ControlKind::kLoop) {
      b_->SealBlock(c.target);
      if (live) {
        for (size_t i = 0; i < merged.size(); ++i) merged[i] = results[i];
        return;
      }
      // The loop never falls through: what follows is dead.
      dead_code_ = true;
      ir::Block dead = b_->CreateBlock();
      for (size_t i = 0; i < merged.size(); ++i) {
        merged[i] =
            b_->AppendBlockParam(dead, IrType(frame->type.result(i)));
      }
      Enter(dead);
      b_->SealBlock(dead);
      return;
    }
    if (live) {
      FlushFuel();
      b_->Jump(c.target, results);
      c.reached = true;
    }
    if (frame->kind == wasm::ControlKind::kIf) {
      c.reached = true;
      // No else arm: the else edge carries the params through.
      Enter(c.else_block);
      b_->Jump(c.target,
               absl::MakeConstSpan(saved_params_.data() + c.saved_start,
                                   frame->type.num_params()));
    }
    if (frame->kind == wasm::ControlKind::kIf ||
        frame->kind == wasm::ControlKind::kElse) {
      saved_params_.resize(c.saved_start);
    }
    if (!c.reached) dead_code_ = true;
    b_->SwitchToBlock(c.target);
    RestoreConstructStart(c);
    b_->SealBlock(c.target);
    absl::Span<const ir::Value> mp = f_->block_params(c.target);
    for (size_t i = 0; i < merged.size(); ++i) merged[i] = mp[i];
  }

  // --- Branches -------------------------------------------------------
  void Br(uint32_t, Frame* target, absl::Span<const Value> args) {
    if (!ok()) return;
    SetLoc();
    FlushFuel();
    if (target->kind == wasm::ControlKind::kFunction) {
      b_->Return(args);
    } else {
      b_->Jump(target->payload.target, args);
      target->payload.reached = true;
    }
  }

  void BrIf(uint32_t, Frame* target, const Value& cond,
            absl::Span<const Value> args) {
    if (!ok()) return;
    SetLoc();
    FlushFuel();
    ir::Block cont = b_->CreateBlock();
    if (target->kind == wasm::ControlKind::kFunction) {
      ir::Block ret = b_->CreateBlock();
      b_->Brif(cond, ret, {}, cont, {});
      b_->SealBlock(ret);
      Enter(ret);
      b_->Return(args);
    } else {
      b_->Brif(cond, target->payload.target, args, cont, {});
      target->payload.reached = true;
    }
    b_->SealBlock(cont);
    Enter(cont, /*straight_line=*/true);
  }

  void BrTable(absl::Span<const uint32_t> depths, const Value& index,
               absl::Span<const Value> args) {
    if (!ok()) return;
    SetLoc();
    FlushFuel();
    // Every edge goes through its own block (one per distinct target): a
    // br_table target must not take block arguments, and any merge block
    // may still gain variable parameters.
    size_t depth_count = decoder_->control_depth();
    if (edge_for_depth_.size() < depth_count) {
      edge_for_depth_.resize(depth_count);
    }
    table_scratch_.clear();
    ir::Block def;
    for (size_t k = 0; k < depths.size(); ++k) {
      uint32_t d = depths[k];
      ir::Block& e = edge_for_depth_[d];
      if (!e.valid()) e = b_->CreateBlock();
      if (k + 1 == depths.size()) {
        def = e;
      } else {
        table_scratch_.push_back(e);
      }
    }
    b_->BrTable(index, def, table_scratch_);
    for (uint32_t d : depths) {
      ir::Block& e = edge_for_depth_[d];
      if (!e.valid()) continue;
      b_->SealBlock(e);
      Enter(e);
      Frame& t = decoder_->control_at(d);
      if (t.kind == wasm::ControlKind::kFunction) {
        b_->Return(args);
      } else {
        b_->Jump(t.payload.target, args);
        t.payload.reached = true;
      }
      e = ir::Block();
    }
  }

  void Return(absl::Span<const Value> values) {
    if (!ok()) return;
    SetLoc();
    FlushFuel();
    b_->Return(values);
  }

  void Unreachable() {
    if (!ok()) return;
    SetLoc();
    FlushFuel();
    b_->Trap(TrapCode::kUnreachableCodeReached);
  }

  // --- Parametric, variables -----------------------------------------
  void Select(ValType type, const Value& a, const Value& b_val,
              const Value& cond, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->Select(cond, a, b_val);
  }
  // The builder resolves a variable with hash lookups (and walks up
  // predecessors, memoizing in every block it passes); remember each
  // local's current value while control stays on a straight path: in one
  // block, and into a block whose only predecessor is the current block
  // (after br_if, into an if's then-arm, the join of call_indirect's lazy
  // path). Any other block entry starts a new epoch. Resolved values never
  // change afterwards, so an entry of the current epoch cannot go stale.
  void LocalGet(uint32_t local, Value* result) {
    if (!ok()) return;
    ChargeFuel();
    LocalCacheEntry& e = local_cache_[local];
    if (e.epoch == epoch_) {
      *result = e.value;
      return;
    }
    SetLoc();
    *result = b_->UseVar(locals_[local]);
    e = {epoch_, *result};
    // The value may be a parameter of a merge inside an enclosing
    // construct, which does not dominate that construct's own merge.
    touch_log_.push_back(local);
  }
  void LocalSet(uint32_t local, const Value& v) {
    if (!ok()) return;
    ChargeFuel();
    b_->DefVar(locals_[local], v);
    local_cache_[local] = {epoch_, v};
    touch_log_.push_back(local);
  }
  void LocalTee(uint32_t local, const Value& v, Value* result) {
    if (!ok()) return;
    ChargeFuel();
    b_->DefVar(locals_[local], v);
    local_cache_[local] = {epoch_, v};
    touch_log_.push_back(local);
    *result = v;
  }
  void GlobalGet(uint32_t global, Value* result) {
    if (!ok()) return;
    SetLoc();
    const wasm::Global& g = module_.globals[global];
    Type t = IrType(g.type.type);
    if (t == Type::kInvalid) return Unsupported("v128 global");
    int32_t off = 0;
    ir::Value p = GlobalAddr(global, &off);
    *result = b_->Load(t, g.type.mutable_ ? kRWGlobal : kRO, p, off);
  }
  void GlobalSet(uint32_t global, const Value& v) {
    if (!ok()) return;
    SetLoc();
    const wasm::Global& g = module_.globals[global];
    if (IrType(g.type.type) == Type::kInvalid) {
      return Unsupported("v128 global");
    }
    int32_t off = 0;
    ir::Value p = GlobalAddr(global, &off);
    b_->Store(kRWGlobal, v, p, off);
  }

  // --- Constants ------------------------------------------------------
  void I32Const(int32_t v, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->Iconst(Type::kI32, v);
  }
  void I64Const(int64_t v, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->Iconst(Type::kI64, v);
  }
  void F32Const(uint32_t bits, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->F32constBits(bits);
  }
  void F64Const(uint64_t bits, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->F64constBits(bits);
  }
  // SIMD (codegen/translate/simd.cc).
  void V128Const(const uint8_t* bytes, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = EmitV128Const(*b_, *f_, bytes);
  }
  void SimdLaneOp(wasm::Opcode op, uint8_t lane, absl::Span<const Value> args,
                  Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = EmitSimd(*b_, *f_, op, args, lane, options_.relaxed_simd);
    if (!result->valid()) UnsupportedOp();
  }
  void Shuffle(const uint8_t* lanes, const Value& x, const Value& y,
               Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = EmitShuffle(*b_, *f_, lanes, x, y);
  }
  void LoadLane(wasm::Opcode op, const wasm::MemArg& m, uint8_t lane,
                const Value& addr, const Value& vec, Value* result) {
    if (!ok()) return;
    SetLoc();
    const HeapAddress a = CheckedHeapAddress(m, addr, SimdMemBytes(op));
    const uint32_t first = f_->num_insts();
    *result = EmitLoadLane(*b_, *f_, op, lane, a.base, a.index, a.offset, vec);
    MarkSharedAccesses(m.memory, first);
  }
  void StoreLane(wasm::Opcode op, const wasm::MemArg& m, uint8_t lane,
                 const Value& addr, const Value& vec) {
    if (!ok()) return;
    SetLoc();
    const HeapAddress a = CheckedHeapAddress(m, addr, SimdMemBytes(op));
    const uint32_t first = f_->num_insts();
    EmitStoreLane(*b_, *f_, op, lane, a.base, a.index, a.offset, vec);
    MarkSharedAccesses(m.memory, first);
  }

  void NumericOp(wasm::Opcode op, absl::Span<const Value> args,
                 Value* result);

  // --- Memory ---------------------------------------------------------
  void Load(wasm::Opcode op, const wasm::MemArg& m, const Value& addr,
            Value* result) {
    const uint32_t first = f_->num_insts();
    LoadImpl(op, m, addr, result);
    MarkSharedAccesses(m.memory, first);
  }
  void Store(wasm::Opcode op, const wasm::MemArg& m, const Value& addr,
             const Value& v) {
    const uint32_t first = f_->num_insts();
    StoreImpl(op, m, addr, v);
    MarkSharedAccesses(m.memory, first);
  }
  void LoadImpl(wasm::Opcode op, const wasm::MemArg& m, const Value& addr,
                Value* result);
  void StoreImpl(wasm::Opcode op, const wasm::MemArg& m, const Value& addr,
                 const Value& v);
  // Threads: atomic loads, stores, read-modify-writes, wait and notify.
  void Atomic(wasm::Opcode op, const wasm::MemArg& m,
              absl::Span<const Value> args, Value* result);
  void AtomicFence() {
    if (!ok()) return;
    SetLoc();
    b_->Fence();
  }

  void MemorySize(uint32_t memory, Value* result) {
    if (!ok()) return;
    SetLoc();
    int32_t moff;
    ir::Value mdef = MemoryDefinitionPtr(memory, &moff);
    ir::Value len = b_->Load(Type::kI64, MemoryLengthFlags(memory), mdef,
                             moff + VMOffsets::kMemoryDefinitionLength);
    ir::Value pages = b_->UshrImm(len, 16);
    *result = Is64(memory) ? pages : b_->Ireduce(Type::kI32, pages);
  }
  void MemoryGrow(uint32_t memory, const Value& delta, Value* result) {
    if (!ok()) return;
    SetLoc();
    ir::Value mem = b_->Iconst(Type::kI32, memory);
    *result = CallBuiltin(
        Is64(memory) ? BuiltinId::kMemoryGrow64 : BuiltinId::kMemoryGrow,
        {mem, delta});
    // The base never moves with the 4 GiB reservation
    // (runtime/memory/linear_memory.h), so the cached base stays valid.
  }
  void MemoryInit(uint32_t segment, uint32_t memory, const Value& dst,
                  const Value& src, const Value& size) {
    if (!ok()) return;
    SetLoc();
    ir::Value mem = b_->Iconst(Type::kI32, memory);
    ir::Value seg = b_->Iconst(Type::kI32, segment);
    if (Is64(memory)) {  // dst is i64; the segment offset and size are i32
      CallBuiltin(BuiltinId::kMemoryInit64,
                  {mem, seg, dst, b_->Uextend(Type::kI64, src),
                   b_->Uextend(Type::kI64, size)});
      return;
    }
    CallBuiltin(BuiltinId::kMemoryInit, {mem, seg, dst, src, size});
  }
  void DataDrop(uint32_t segment) {
    if (!ok()) return;
    SetLoc();
    CallBuiltin(BuiltinId::kDataDrop, {b_->Iconst(Type::kI32, segment)});
  }
  void MemoryCopy(uint32_t dst_memory, uint32_t src_memory, const Value& dst,
                  const Value& src, const Value& size) {
    if (!ok()) return;
    SetLoc();
    ir::Value dm = b_->Iconst(Type::kI32, dst_memory);
    ir::Value sm = src_memory == dst_memory ? dm
                                            : b_->Iconst(Type::kI32, src_memory);
    if (Is64(dst_memory) || Is64(src_memory)) {  // each i32 operand widened
      CallBuiltin(BuiltinId::kMemoryCopy64,
                  {dm, sm, Widen(dst), Widen(src), Widen(size)});
      return;
    }
    CallBuiltin(BuiltinId::kMemoryCopy, {dm, sm, dst, src, size});
  }
  void MemoryFill(uint32_t memory, const Value& dst, const Value& value,
                  const Value& size) {
    if (!ok()) return;
    SetLoc();
    ir::Value mem = b_->Iconst(Type::kI32, memory);
    CallBuiltin(Is64(memory) ? BuiltinId::kMemoryFill64 : BuiltinId::kMemoryFill,
                {mem, dst, value, size});
  }

  // --- Tables and references -----------------------------------------
  void TableGet(uint32_t table, const Value& index, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = CallBuiltin(BuiltinId::kTableGet,
                          {b_->Iconst(Type::kI32, table), index});
  }
  void TableSet(uint32_t table, const Value& index, const Value& v) {
    if (!ok()) return;
    SetLoc();
    CallBuiltin(BuiltinId::kTableSet,
                {b_->Iconst(Type::kI32, table), index, v});
  }
  void TableSize(uint32_t table, Value* result) {
    if (!ok()) return;
    SetLoc();
    int32_t toff;
    ir::Value tdef = TableDefinition(table, &toff);
    ir::Value size = b_->Load(Type::kI64, kRWTable, tdef,
                              toff + VMOffsets::kTableDefinitionSize);
    *result = b_->Ireduce(Type::kI32, size);
  }
  void TableGrow(uint32_t table, const Value& init, const Value& delta,
                 Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = CallBuiltin(BuiltinId::kTableGrow,
                          {b_->Iconst(Type::kI32, table), delta, init});
  }
  void TableFill(uint32_t table, const Value& index, const Value& v,
                 const Value& size) {
    if (!ok()) return;
    SetLoc();
    CallBuiltin(BuiltinId::kTableFill,
                {b_->Iconst(Type::kI32, table), index, v, size});
  }
  void TableInit(uint32_t segment, uint32_t table, const Value& dst,
                 const Value& src, const Value& size) {
    if (!ok()) return;
    SetLoc();
    CallBuiltin(BuiltinId::kTableInit,
                {b_->Iconst(Type::kI32, table),
                 b_->Iconst(Type::kI32, segment), dst, src, size});
  }
  void ElemDrop(uint32_t segment) {
    if (!ok()) return;
    SetLoc();
    CallBuiltin(BuiltinId::kElemDrop, {b_->Iconst(Type::kI32, segment)});
  }
  void TableCopy(uint32_t dst_table, uint32_t src_table, const Value& dst,
                 const Value& src, const Value& size) {
    if (!ok()) return;
    SetLoc();
    ir::Value dt = b_->Iconst(Type::kI32, dst_table);
    ir::Value st =
        src_table == dst_table ? dt : b_->Iconst(Type::kI32, src_table);
    CallBuiltin(BuiltinId::kTableCopy, {dt, st, dst, src, size});
  }
  void RefNull(ValType, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->Iconst(kPtr, 0);
  }
  void RefIsNull(const Value& v, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = b_->Icmp(IntCC::kEq, v, b_->Iconst(kPtr, 0));
  }
  void RefFunc(uint32_t function, Value* result) {
    if (!ok()) return;
    SetLoc();
    *result = CallBuiltin(BuiltinId::kRefFunc,
                          {b_->Iconst(Type::kI32, function)});
  }

  // --- Calls ----------------------------------------------------------
  void Call(uint32_t function, const wasm::FuncType& sig,
            absl::Span<const Value> args, absl::Span<Value> results) {
    EmitCall(function, args, results, /*tail=*/false);
  }
  void CallIndirect(uint32_t type_index, uint32_t table,
                    const wasm::FuncType& sig, const Value& index,
                    absl::Span<const Value> args, absl::Span<Value> results) {
    EmitCallIndirect(type_index, table, index, args, results, /*tail=*/false);
  }
  void ReturnCall(uint32_t function, const wasm::FuncType& sig,
                  absl::Span<const Value> args) {
    EmitCall(function, args, {}, /*tail=*/true);
  }
  void ReturnCallIndirect(uint32_t type_index, uint32_t table,
                          const wasm::FuncType& sig, const Value& index,
                          absl::Span<const Value> args) {
    EmitCallIndirect(type_index, table, index, args, {}, /*tail=*/true);
  }
  void EmitCall(uint32_t function, absl::Span<const Value> args,
                absl::Span<Value> results, bool tail);
  void EmitCallIndirect(uint32_t type_index, uint32_t table,
                        const Value& index, absl::Span<const Value> args,
                        absl::Span<Value> results, bool tail);
  // After a call: its results, or for a tail call the return of them
  // (marked for the backend, ir::kCallIsTail).
  void FinishCall(ir::Inst call, absl::Span<Value> results, bool tail) {
    if (!tail) {
      ReloadFuel();
      EmitCallResults(call, results);
      return;
    }
    f_->mutable_inst(call).code = ir::kCallIsTail;
    absl::InlinedVector<ir::Value, 4> r(f_->results(call).begin(),
                                        f_->results(call).end());
    b_->Return(r);
  }

 private:
  bool ok() const { return status_.ok(); }
  // Enters `b`. Local values stay cached only for a straight-line
  // continuation (b's single predecessor is the current block).
  void Enter(ir::Block b, bool straight_line = false) {
    if (!straight_line) epoch_ = ++last_epoch_;
    b_->SwitchToBlock(b);
  }
  // Merges after a block/if (and the else arm) see the values the locals
  // had at the construct's start, except for locals assigned inside it:
  // every path to the merge comes from the start without assigning them.
  // So the cache returns to the start's epoch and forgets every local
  // touched (assigned, or first read) inside the construct (touch_log_
  // records both in order): what survives was cached before the start,
  // whose block dominates the merge. Entries made inside the construct
  // under other epochs do not match again.
  void MarkConstructStart(Control& c) {
    c.start_epoch = epoch_;
    c.log_start = static_cast<uint32_t>(touch_log_.size());
  }
  void RestoreConstructStart(const Control& c) {
    const size_t n = touch_log_.size() - c.log_start;
    if (n > 4 * local_cache_.size() + 64) {
      epoch_ = ++last_epoch_;  // Cheaper to forget everything.
      return;
    }
    epoch_ = c.start_epoch;
    for (size_t i = c.log_start; i < touch_log_.size(); ++i) {
      local_cache_[touch_log_[i]].epoch = 0;
    }
  }
  void SetLoc() {
    b_->SetSrcLoc(static_cast<uint32_t>(decoder_->pc()));
    ChargeFuel();
  }

  // --- Fuel and epoch checks (TranslateOptions::consume_fuel,
  // epoch_interruption).
  //
  // Fuel: the cost of the operators translated since the last flush is
  // kept here and added before control leaves the IR block or calls out.
  // The running count lives in an SSA variable (a register; loaded from
  // VMRuntimeLimits::fuel_consumed at entry and after calls, which may
  // spend fuel) and each flush also stores it back, so a callee, a host
  // function and a trap all see an exact count and a straight-line
  // function is charged too. Only the add is on the loop-carried chain:
  // adding in memory (load, add, store) made a store-to-load dependence
  // that slowed a counting loop 2.5x.
  //
  // Every hook that emits code calls SetLoc (or ChargeFuel) first; the
  // operator's cost is read from its opcode byte, once per instruction
  // (hooks that run others, like Loop reading invariant locals, must not
  // charge twice).
  void ChargeFuel() {
    if (!options_.consume_fuel) return;
    const size_t pc = decoder_->pc();
    if (pc == fuel_charged_pc_) return;
    fuel_charged_pc_ = pc;
    if (pc < body_offset_ || pc - body_offset_ >= body_.size()) return;
    // Prefixed opcodes (0xfc, 0xfd) look up as kInvalid: they cost 1.
    switch (wasm::LookupOpcode(0, body_[pc - body_offset_])) {
      case wasm::Opcode::kUnreachable:
      case wasm::Opcode::kNop:
      case wasm::Opcode::kBlock:
      case wasm::Opcode::kLoop:
      case wasm::Opcode::kElse:
      case wasm::Opcode::kEnd:
      case wasm::Opcode::kReturn:
      case wasm::Opcode::kDrop:
        return;
      default:
        ++fuel_pending_;
    }
  }
  void FlushFuel() {
    if (fuel_pending_ == 0) return;
    const int64_t n = fuel_pending_;
    fuel_pending_ = 0;
    if (b_->IsFilled()) return;
    ir::Value consumed = b_->IaddImm(b_->UseVar(fuel_var_), n);
    b_->DefVar(fuel_var_, consumed);
    b_->Store(kRW, consumed, Limits(), VMOffsets::kRuntimeLimitsFuelConsumed);
  }
  // The count in memory may have changed (a call ran wasm or the host).
  void ReloadFuel() {
    if (!options_.consume_fuel) return;
    b_->DefVar(fuel_var_,
               b_->Load(Type::kI64, kRW, Limits(),
                        VMOffsets::kRuntimeLimitsFuelConsumed));
  }
  // Out of fuel once fuel_consumed (minus the fuel left) reaches 0: a cold
  // block calls the OutOfFuel builtin, which refuels (a fuel yield
  // interval) and returns, or traps OutOfFuel. Same shape as EpochCheck.
  ir::Block FuelCheck(ir::Block* cont) {
    ir::Value consumed = b_->UseVar(fuel_var_);
    return SlowPathIf(
        b_->Icmp(IntCC::kSge, consumed, b_->Iconst(Type::kI64, 0)),
        BuiltinId::kOutOfFuel, cont);
  }
  // Branches to a new cold block that calls NewEpoch when the engine's
  // epoch has reached the store's deadline; returns that block (the
  // caller ends it) and leaves the builder in the unsealed hot
  // continuation `*cont`. Both values are loaded every time: the epoch
  // changes under us (another thread), the deadline when a callee or host
  // function ran the deadline callback.
  ir::Block EpochCheck(ir::Block* cont) {
    ir::Value epoch = b_->Load(Type::kI64, kRW, EpochPtr(), 0);
    ir::Value deadline = b_->Load(Type::kI64, kRW, Limits(),
                                  VMOffsets::kRuntimeLimitsEpochDeadline);
    return SlowPathIf(b_->Icmp(IntCC::kUge, epoch, deadline),
                      BuiltinId::kNewEpoch, cont);
  }
  // The cold block of a check: calls `builtin` when `cond` holds.
  ir::Block SlowPathIf(ir::Value cond, BuiltinId builtin, ir::Block* cont) {
    ir::Block cold = b_->CreateBlock();
    *cont = b_->CreateBlock();
    b_->Brif(cond, cold, {}, *cont, {});
    b_->SealBlock(cold);
    cold_blocks_.push_back(cold);
    b_->SwitchToBlock(cold);
    CallBuiltin(builtin, {});
    ReloadFuel();  // the builtin may have set the fuel
    return cold;
  }
  using Check = ir::Block (Translator::*)(ir::Block*);
  // At a loop header the slow path re-enters the header: the body's first
  // block keeps the header as its only predecessor, so locals need no new
  // block parameters, and what the builtin changed is re-checked.
  void LoopCheck(ir::Block header, absl::Span<const Value> params,
                 Check check) {
    const uint64_t cache_epoch = epoch_;
    ir::Block cont;
    (this->*check)(&cont);
    b_->Jump(header, params);
    b_->SealBlock(cont);
    b_->SwitchToBlock(cont);
    epoch_ = cache_epoch;  // cont's only predecessor is the header.
  }
  // At function entry the slow path rejoins the body; the body's first
  // block then has two predecessors, so every local is bound there to its
  // entry value (parameters, zeros) instead of becoming a block parameter.
  void EntryCheck(Check check) {
    entry_values_.clear();
    for (ir::Variable v : locals_) entry_values_.push_back(b_->UseVar(v));
    ir::Block cont;
    (this->*check)(&cont);
    b_->Jump(cont, {});
    b_->SealBlock(cont);
    Enter(cont);
    for (size_t i = 0; i < locals_.size(); ++i) {
      b_->DefVar(locals_[i], entry_values_[i]);
      local_cache_[i] = {epoch_, entry_values_[i]};
    }
  }
  ir::Value Limits() {
    if (!limits_.valid()) {
      limits_ = EntryLoad(vmctx_, VMOffsets::kRuntimeLimits);
    }
    return limits_;
  }
  // The store never changes its epoch_ptr, so one load per function.
  ir::Value EpochPtr() {
    if (!epoch_ptr_.valid()) {
      epoch_ptr_ = EntryLoad(Limits(), VMOffsets::kRuntimeLimitsEpochPtr);
    }
    return epoch_ptr_;
  }
  void Unsupported(absl::string_view what) {
    if (!ok()) return;
    status_ = absl::UnimplementedError(absl::StrFormat(
        "function %u at offset 0x%x: %s is not supported (SIMD)",
        func_index_, decoder_->pc(), what));
  }
  void UnsupportedOp() {
    if (!ok()) return;
    const uint8_t* p = module_.bytes.data() + decoder_->pc();
    std::string name;
    // Name the opcode from the bytes at pc (prefix + LEB code).
    if (decoder_->pc() < module_.bytes.size() &&
        wasm::IsPrefixByte(p[0])) {
      uint32_t code = 0, shift = 0;
      size_t k = 1;
      while (decoder_->pc() + k < module_.bytes.size() && shift < 35) {
        code |= uint32_t{p[k] & 0x7fu} << shift;
        shift += 7;
        if (!(p[k++] & 0x80)) break;
      }
      wasm::Opcode op = wasm::LookupOpcode(p[0], code);
      name = op == wasm::Opcode::kInvalid
                 ? absl::StrFormat("opcode 0x%02x 0x%x", p[0], code)
                 : std::string(wasm::GetOpcodeInfo(op).name);
    } else {
      name = "a SIMD opcode";
    }
    Unsupported(name);
  }
  bool CheckBlockType(const wasm::BlockType&) { return true; }
  ir::Block NewBlockWithResults(const wasm::BlockType& bt) {
    ir::Block blk = b_->CreateBlock();
    for (uint32_t i = 0; i < bt.num_results(); ++i) {
      b_->AppendBlockParam(blk, IrType(bt.result(i)));
    }
    return blk;
  }

  // Inserts a load of a never-changing VMContext field at the top of the
  // entry block (so it dominates every use) and returns its value.
  ir::Value EntryLoad(ir::Value ptr, int32_t off) {
    ir::Inst i = f_->CreateInst(ir::Opcode::kLoad, kPtr, {ptr});
    f_->mutable_inst(i).code = kRO;
    f_->mutable_inst(i).imm = off;
    ir::Value v = f_->MakeResults(i);
    // After the loads already hoisted (keep them in creation order, so a
    // load of `ptr` comes after the definition of `ptr`).
    if (last_entry_load_.valid()) {
      ir::Inst next = f_->next_inst(last_entry_load_);
      if (next.valid()) {
        f_->InsertInstBefore(next, i);
      } else {
        f_->AppendInst(entry_, i);
      }
    } else {
      ir::Inst first = f_->first_inst(entry_);
      if (first.valid()) {
        f_->InsertInstBefore(first, i);
      } else {
        f_->AppendInst(entry_, i);
      }
    }
    last_entry_load_ = i;
    return v;
  }

  // The VMMemoryDefinition of memory `memory` is at [returned pointer +
  // *off]: the VMContext itself for a defined memory (memory 0 defined:
  // [vmctx + 48], the fast path), the import's `from` pointer (loaded once,
  // in the entry block) for an imported one.
  ir::Value MemoryDefinitionPtr(uint32_t memory, int32_t* off) {
    if (memory >= module_.num_imported_memories) {
      *off = static_cast<int32_t>(
          offsets_.DefinedMemory(memory - module_.num_imported_memories));
      return vmctx_;
    }
    ir::Value& memdef = memdefs_[memory];
    if (!memdef.valid()) {
      memdef = EntryLoad(vmctx_, offsets_.ImportedMemoryFrom(memory));
    }
    *off = 0;
    return memdef;
  }
  // Memory `memory`'s base, loaded once per function in the entry block
  // (every memory the same way, so memory N costs what memory 0 does).
  ir::Value HeapBase(uint32_t memory) {
    ir::Value& base = heap_bases_[memory];
    if (!base.valid()) {
      int32_t off;
      ir::Value p = MemoryDefinitionPtr(memory, &off);
      base = EntryLoad(p, off + VMOffsets::kMemoryDefinitionBase);
    }
    return base;
  }
  // Table `t`'s VMTableDefinition is at [returned pointer + *off].
  ir::Value TableDefinition(uint32_t t, int32_t* off) {
    if (t < module_.num_imported_tables) {
      *off = 0;
      return b_->Load(kPtr, kRO, vmctx_, offsets_.ImportedTableFrom(t));
    }
    *off = static_cast<int32_t>(
        offsets_.DefinedTable(t - module_.num_imported_tables));
    return vmctx_;
  }
  ir::Value GlobalAddr(uint32_t g, int32_t* off) {
    if (g < module_.num_imported_globals) {
      *off = 0;
      return b_->Load(kPtr, kRO, vmctx_, offsets_.ImportedGlobal(g));
    }
    *off = static_cast<int32_t>(
        offsets_.DefinedGlobal(g - module_.num_imported_globals));
    return vmctx_;
  }
  ir::Value TypeIds() {
    if (!type_ids_.valid()) type_ids_ = EntryLoad(vmctx_, VMOffsets::kTypeIds);
    return type_ids_;
  }
  ir::Value Builtins() {
    if (!builtins_.valid()) {
      builtins_ = EntryLoad(vmctx_, VMOffsets::kBuiltins);
    }
    return builtins_;
  }

  ir::SigRef SigForType(uint32_t type_index) {
    for (auto& [t, s] : sig_refs_) {
      if (t == type_index) return s;
    }
    ir::SigRef s = f_->DeclareSignature(type_sigs_[type_index]);
    sig_refs_.push_back({type_index, s});
    return s;
  }
  ir::Value CallBuiltin(BuiltinId id, std::initializer_list<ir::Value> args) {
    const abi::BuiltinSignature& bs = abi::GetBuiltinSignature(id);
    ir::SigRef sig;
    for (auto& [i, s] : builtin_sigs_) {
      if (i == id) sig = s;
    }
    if (!sig.valid()) {
      ir::Signature s;
      for (int k = 0; k < bs.num_params; ++k) {
        s.params.push_back(BuiltinIrType(bs.params[k]));
      }
      if (bs.result != abi::BuiltinType::kVoid) {
        s.results.push_back(BuiltinIrType(bs.result));
      }
      sig = f_->DeclareSignature(std::move(s));
      builtin_sigs_.push_back({id, sig});
    }
    ir::Value fn = b_->Load(kPtr, kRO, Builtins(),
                            static_cast<int32_t>(static_cast<uint32_t>(id) * 8));
    scratch_.clear();
    scratch_.push_back(vmctx_);
    scratch_.insert(scratch_.end(), args.begin(), args.end());
    ir::Inst call = b_->CallIndirect(sig, fn, scratch_);
    return f_->first_result(call);
  }

  bool Is64(uint32_t memory) const {
    return module_.memories[memory].type.is64;
  }
  // An address or length as i64 (i32 zero-extended).
  ir::Value Widen(ir::Value v) {
    return f_->value_type(v) == Type::kI64 ? v : b_->Uextend(Type::kI64, v);
  }

  // Explicit bounds check for accesses the guard region does not cover.
  void BoundsCheck(uint32_t memory, ir::Value index, uint64_t offset,
                   int bytes) {
    int32_t moff;
    ir::Value mdef = MemoryDefinitionPtr(memory, &moff);
    ir::Value len = b_->Load(Type::kI64, MemoryLengthFlags(memory), mdef,
                             moff + VMOffsets::kMemoryDefinitionLength);
    ir::Value idx = b_->Uextend(Type::kI64, index);
    uint64_t end = offset + static_cast<uint64_t>(bytes);
    ir::Value last = b_->Iadd(idx, b_->Iconst(Type::kI64, end));
    ir::Value oob = b_->Icmp(IntCC::kUgt, last, len);
    b_->Trapnz(oob, TrapCode::kMemoryOutOfBounds);
  }
  bool NeedsBoundsCheck(uint64_t offset, int bytes) const {
    return offset > options_.memory_guard_bytes ||
           offset + static_cast<uint64_t>(bytes) > options_.memory_guard_bytes;
  }

  // The operands of a heap_load/heap_store of `bytes` at addr + m.offset,
  // after the bounds check the access needs (trapping out of bounds).
  struct HeapAddress {
    ir::Value base, index;
    uint32_t offset;
  };
  HeapAddress CheckedHeapAddress(const wasm::MemArg& m, ir::Value addr,
                                 int bytes) {
    if (!module_.memories[m.memory].type.is64) {
      if (NeedsBoundsCheck(m.offset, bytes)) {
        BoundsCheck(m.memory, addr, m.offset, bytes);
      }
      return {HeapBase(m.memory), addr, static_cast<uint32_t>(m.offset)};
    }
    // Memory64. A 64-bit memory is reserved like a 32-bit one (at least
    // 4 GiB + the guard, runtime/memory/linear_memory.h), so an address
    // known to be below 2^32 needs no check where memory32 needs none.
    if (BelowFourGiB(addr) && !NeedsBoundsCheck(m.offset, bytes)) {
      return {HeapBase(m.memory), addr, static_cast<uint32_t>(m.offset)};
    }
    int32_t moff;
    ir::Value mdef = MemoryDefinitionPtr(m.memory, &moff);
    ir::Value len = b_->Load(Type::kI64, MemoryLengthFlags(m.memory), mdef,
                             moff + VMOffsets::kMemoryDefinitionLength);
    ir::Value oob;
    if (!NeedsBoundsCheck(m.offset, bytes)) {
      // offset + bytes <= the guard: addr < len suffices. The access then
      // ends before base + len + guard <= the end of the guard, and what
      // lies past len faults (MemoryOutOfBounds) as for memory32. One
      // compare with the length, which LICM hoists out of loops that do not
      // grow memory.
      oob = b_->Icmp(IntCC::kUge, addr, len);
    } else {
      // In bounds iff addr < len + 1 - (offset + bytes), the bound
      // saturating at 0 (len + 1 < 2^48 does not wrap).
      const uint64_t end = m.offset + static_cast<uint64_t>(bytes);
      ir::Value bound;
      if (m.offset > kMaxMemory64Bytes || end > kMaxMemory64Bytes) {
        bound = b_->Iconst(Type::kI64, 0);  // never in bounds
      } else {
        ir::Value end_v = b_->Iconst(Type::kI64, static_cast<int64_t>(end));
        ir::Value len1 = b_->IaddImm(len, 1);
        bound = b_->Select(b_->Icmp(IntCC::kUge, len1, end_v),
                           b_->Isub(len1, end_v), b_->Iconst(Type::kI64, 0));
      }
      oob = b_->Icmp(IntCC::kUge, addr, bound);
    }
    b_->Trapnz(oob, TrapCode::kMemoryOutOfBounds);
    if (m.offset <= UINT32_MAX) {
      return {HeapBase(m.memory), addr, static_cast<uint32_t>(m.offset)};
    }
    // In bounds, so addr + offset < 2^48 does not wrap.
    ir::Value index =
        b_->Iadd(addr, b_->Iconst(Type::kI64, static_cast<int64_t>(m.offset)));
    return {HeapBase(m.memory), index, 0};
  }
  // An i64 address that is provably below 2^32: a zero-extended i32 or a
  // small constant.
  bool BelowFourGiB(ir::Value addr) const {
    ir::Inst def = f_->DefiningInst(addr);
    if (!def.valid()) return false;
    switch (f_->opcode(def)) {
      case ir::Opcode::kUextend:
        return true;
      case ir::Opcode::kIconst:
        return static_cast<uint64_t>(f_->inst(def).imm) <= UINT32_MAX;
      default:
        return false;
    }
  }
  // The flags of a load of memory `memory`'s length. A shared memory's
  // grows under other threads: no region, so the load is volatile (never
  // forwarded or hoisted; codegen/opt/alias.h).
  uint8_t MemoryLengthFlags(uint32_t memory) const {
    return module_.memories[memory].type.shared ? kRW : kRWMemoryLength;
  }
  // Threads: flags the heap accesses made since instruction `first` as
  // accesses of a shared memory (ir::kHeapShared) when `memory` is one, so
  // the passes keep them in place (codegen/opt/alias.h).
  void MarkSharedAccesses(uint32_t memory, uint32_t first) {
    if (!module_.memories[memory].type.shared) return;
    for (uint32_t k = first; k < f_->num_insts(); ++k) {
      const ir::Inst i(k);
      const ir::InstFormat fmt = ir::GetOpcodeInfo(f_->opcode(i)).format;
      if (fmt == ir::InstFormat::kHeapLoad || fmt == ir::InstFormat::kHeapStore) {
        f_->mutable_inst(i).code |= ir::kHeapShared;
      }
    }
  }

  void EmitCallResults(ir::Inst call, absl::Span<Value> results) {
    absl::Span<const ir::Value> r = f_->results(call);
    for (size_t i = 0; i < results.size(); ++i) results[i] = r[i];
  }

  const wasm::ModuleInfo& module_;
  const VMOffsets& offsets_;
  const TranslateOptions& options_;
  const std::vector<ir::Signature>& type_sigs_;

  ir::Function* f_ = nullptr;
  std::optional<ir::FunctionBuilder> b_;
  uint32_t func_index_ = 0;
  Decoder* decoder_ = nullptr;
  absl::Status status_;
  // Some block may have no predecessors (code after a never-reached end).
  bool dead_code_ = false;
  ir::Block entry_;
  ir::Inst last_entry_load_;
  ir::Value vmctx_, type_ids_, builtins_;
  // Per memory index: its base and (imported) VMMemoryDefinition*, once
  // loaded.
  std::vector<ir::Value> heap_bases_, memdefs_;
  // Interruption: the store's VMRuntimeLimits* and its epoch_ptr.
  ir::Value limits_, epoch_ptr_;
  // Fuel of the operators since the last flush; the last charged pc.
  int64_t fuel_pending_ = 0;
  ir::Variable fuel_var_;  // the running fuel_consumed
  size_t fuel_charged_pc_ = ~size_t{0};
  // The body being translated (for operator costs) and its module offset.
  absl::Span<const uint8_t> body_;
  size_t body_offset_ = 0;
  std::vector<ir::Block> cold_blocks_;
  std::vector<ir::Value> entry_values_;

  // Reused across functions.
  std::vector<ir::Variable> locals_;
  struct LocalCacheEntry {
    uint64_t epoch = 0;
    ir::Value value;
  };
  std::vector<LocalCacheEntry> local_cache_;
  // The current epoch. Restoring a construct's start makes an old epoch
  // current again, so fresh epochs come from a separate counter that only
  // grows (an epoch number is never handed out twice, or entries of an
  // unrelated region would match again).
  uint64_t epoch_ = 1;
  uint64_t last_epoch_ = 1;
  const LoopScan* loop_scan_ = nullptr;
  uint32_t loop_counter_ = 0;
  std::vector<ir::Value> invariant_values_;
  std::vector<uint32_t> touch_log_;
  std::vector<ir::Value> saved_params_;
  std::vector<ir::Value> scratch_;
  std::vector<ir::Block> edge_for_depth_;
  std::vector<ir::Block> table_scratch_;
  std::vector<std::pair<uint32_t, ir::FuncRef>> func_refs_;
  std::vector<std::pair<uint32_t, ir::SigRef>> sig_refs_;
  std::vector<std::pair<BuiltinId, ir::SigRef>> builtin_sigs_;

  friend class FunctionTranslator;
};

// ---------------------------------------------------------------------------
// Numeric operators.
// ---------------------------------------------------------------------------

void Translator::NumericOp(wasm::Opcode op, absl::Span<const Value> args,
                           Value* result) {
  if (!ok()) return;
  SetLoc();
  using O = wasm::Opcode;
  auto& b = *b_;
  const ir::Value x = args.empty() ? ir::Value() : args[0];
  const ir::Value y = args.size() > 1 ? args[1] : ir::Value();
  ir::Value r;
  switch (op) {
    // Comparisons.
    case O::kI32Eqz: r = b.Icmp(IntCC::kEq, x, b.Iconst(Type::kI32, 0)); break;
    case O::kI64Eqz: r = b.Icmp(IntCC::kEq, x, b.Iconst(Type::kI64, 0)); break;
#define KILN_ICMP(I32, I64, cc)                    \
  case O::k##I32:                                  \
  case O::k##I64: r = b.Icmp(IntCC::cc, x, y); break;
    KILN_ICMP(I32Eq, I64Eq, kEq)
    KILN_ICMP(I32Ne, I64Ne, kNe)
    KILN_ICMP(I32LtS, I64LtS, kSlt)
    KILN_ICMP(I32LtU, I64LtU, kUlt)
    KILN_ICMP(I32GtS, I64GtS, kSgt)
    KILN_ICMP(I32GtU, I64GtU, kUgt)
    KILN_ICMP(I32LeS, I64LeS, kSle)
    KILN_ICMP(I32LeU, I64LeU, kUle)
    KILN_ICMP(I32GeS, I64GeS, kSge)
    KILN_ICMP(I32GeU, I64GeU, kUge)
#undef KILN_ICMP
#define KILN_FCMP(F32, F64, cc)                    \
  case O::k##F32:                                  \
  case O::k##F64: r = b.Fcmp(FloatCC::cc, x, y); break;
    KILN_FCMP(F32Eq, F64Eq, kEq)
    KILN_FCMP(F32Ne, F64Ne, kNe)
    KILN_FCMP(F32Lt, F64Lt, kLt)
    KILN_FCMP(F32Gt, F64Gt, kGt)
    KILN_FCMP(F32Le, F64Le, kLe)
    KILN_FCMP(F32Ge, F64Ge, kGe)
#undef KILN_FCMP
#define KILN_BIN2(A, B, ir_op)                     \
  case O::k##A:                                    \
  case O::k##B: r = b.ir_op(x, y); break;
#define KILN_UN2(A, B, ir_op)                      \
  case O::k##A:                                    \
  case O::k##B: r = b.ir_op(x); break;
    // Integer arithmetic.
    KILN_UN2(I32Clz, I64Clz, Clz)
    KILN_UN2(I32Ctz, I64Ctz, Ctz)
    KILN_UN2(I32Popcnt, I64Popcnt, Popcnt)
    KILN_BIN2(I32Add, I64Add, Iadd)
    KILN_BIN2(I32Sub, I64Sub, Isub)
    KILN_BIN2(I32Mul, I64Mul, Imul)
    KILN_BIN2(I32DivS, I64DivS, Sdiv)
    KILN_BIN2(I32DivU, I64DivU, Udiv)
    KILN_BIN2(I32RemS, I64RemS, Srem)
    KILN_BIN2(I32RemU, I64RemU, Urem)
    KILN_BIN2(I32And, I64And, Band)
    KILN_BIN2(I32Or, I64Or, Bor)
    KILN_BIN2(I32Xor, I64Xor, Bxor)
    KILN_BIN2(I32Shl, I64Shl, Ishl)
    KILN_BIN2(I32ShrS, I64ShrS, Sshr)
    KILN_BIN2(I32ShrU, I64ShrU, Ushr)
    KILN_BIN2(I32Rotl, I64Rotl, Rotl)
    KILN_BIN2(I32Rotr, I64Rotr, Rotr)
    // Float arithmetic.
    KILN_UN2(F32Abs, F64Abs, Fabs)
    KILN_UN2(F32Neg, F64Neg, Fneg)
    KILN_UN2(F32Ceil, F64Ceil, Ceil)
    KILN_UN2(F32Floor, F64Floor, Floor)
    KILN_UN2(F32Trunc, F64Trunc, Trunc)
    KILN_UN2(F32Nearest, F64Nearest, Nearest)
    KILN_UN2(F32Sqrt, F64Sqrt, Sqrt)
    KILN_BIN2(F32Add, F64Add, Fadd)
    KILN_BIN2(F32Sub, F64Sub, Fsub)
    KILN_BIN2(F32Mul, F64Mul, Fmul)
    KILN_BIN2(F32Div, F64Div, Fdiv)
    KILN_BIN2(F32Min, F64Min, Fmin)
    KILN_BIN2(F32Max, F64Max, Fmax)
    KILN_BIN2(F32Copysign, F64Copysign, Fcopysign)
    // Sign extension within a width.
    KILN_UN2(I32Extend8S, I64Extend8S, Sextend8)
    KILN_UN2(I32Extend16S, I64Extend16S, Sextend16)
    case O::kI64Extend32S: r = b.Sextend32(x); break;
#undef KILN_BIN2
#undef KILN_UN2
    // Conversions.
    case O::kI32WrapI64: r = b.Ireduce(Type::kI32, x); break;
    case O::kI64ExtendI32S: r = b.Sextend(Type::kI64, x); break;
    case O::kI64ExtendI32U: r = b.Uextend(Type::kI64, x); break;
    case O::kI32TruncF32S:
    case O::kI32TruncF64S: r = b.FcvtToSint(Type::kI32, x); break;
    case O::kI32TruncF32U:
    case O::kI32TruncF64U: r = b.FcvtToUint(Type::kI32, x); break;
    case O::kI64TruncF32S:
    case O::kI64TruncF64S: r = b.FcvtToSint(Type::kI64, x); break;
    case O::kI64TruncF32U:
    case O::kI64TruncF64U: r = b.FcvtToUint(Type::kI64, x); break;
    case O::kI32TruncSatF32S:
    case O::kI32TruncSatF64S: r = b.FcvtToSintSat(Type::kI32, x); break;
    case O::kI32TruncSatF32U:
    case O::kI32TruncSatF64U: r = b.FcvtToUintSat(Type::kI32, x); break;
    case O::kI64TruncSatF32S:
    case O::kI64TruncSatF64S: r = b.FcvtToSintSat(Type::kI64, x); break;
    case O::kI64TruncSatF32U:
    case O::kI64TruncSatF64U: r = b.FcvtToUintSat(Type::kI64, x); break;
    case O::kF32ConvertI32S:
    case O::kF32ConvertI64S: r = b.FcvtFromSint(Type::kF32, x); break;
    case O::kF32ConvertI32U:
    case O::kF32ConvertI64U: r = b.FcvtFromUint(Type::kF32, x); break;
    case O::kF64ConvertI32S:
    case O::kF64ConvertI64S: r = b.FcvtFromSint(Type::kF64, x); break;
    case O::kF64ConvertI32U:
    case O::kF64ConvertI64U: r = b.FcvtFromUint(Type::kF64, x); break;
    case O::kF32DemoteF64: r = b.Fdemote(Type::kF32, x); break;
    case O::kF64PromoteF32: r = b.Fpromote(Type::kF64, x); break;
    case O::kI32ReinterpretF32: r = b.Bitcast(Type::kI32, x); break;
    case O::kI64ReinterpretF64: r = b.Bitcast(Type::kI64, x); break;
    case O::kF32ReinterpretI32: r = b.Bitcast(Type::kF32, x); break;
    case O::kF64ReinterpretI64: r = b.Bitcast(Type::kF64, x); break;
    default:
      if (wasm::GetOpcodeInfo(op).prefix == 0xfd) {
        r = EmitSimd(b, *f_, op, args, 0, options_.relaxed_simd);
        if (r.valid()) break;
      }
      UnsupportedOp();
      if (ok()) {
        status_ = absl::UnimplementedError(absl::StrFormat(
            "function %u at offset 0x%x: opcode %s is not supported",
            func_index_, decoder_->pc(), wasm::GetOpcodeInfo(op).name));
      }
      return;
  }
  *result = r;
}

// ---------------------------------------------------------------------------
// Linear memory.
// ---------------------------------------------------------------------------

void Translator::LoadImpl(wasm::Opcode op, const wasm::MemArg& m,
                          const Value& addr, Value* result) {
  if (!ok()) return;
  SetLoc();
  using O = wasm::Opcode;
  auto& b = *b_;
  int bytes = 0;
  switch (op) {
    case O::kI32Load8S: case O::kI32Load8U: case O::kI64Load8S:
    case O::kI64Load8U: bytes = 1; break;
    case O::kI32Load16S: case O::kI32Load16U: case O::kI64Load16S:
    case O::kI64Load16U: bytes = 2; break;
    case O::kI32Load: case O::kF32Load: case O::kI64Load32S:
    case O::kI64Load32U: bytes = 4; break;
    case O::kI64Load: case O::kF64Load: bytes = 8; break;
    default:
      bytes = SimdMemBytes(op);
      if (bytes == 0) return UnsupportedOp();
      const HeapAddress a = CheckedHeapAddress(m, addr, bytes);
      *result = EmitSimdLoad(b, *f_, op, a.base, a.index, a.offset);
      return;
  }
  const HeapAddress a = CheckedHeapAddress(m, addr, bytes);
  const ir::Value base = a.base, index = a.index;
  const uint32_t off = a.offset;
  switch (op) {
    case O::kI32Load: *result = b.HeapLoad(Type::kI32, base, index, off); break;
    case O::kI64Load: *result = b.HeapLoad(Type::kI64, base, index, off); break;
    case O::kF32Load: *result = b.HeapLoad(Type::kF32, base, index, off); break;
    case O::kF64Load: *result = b.HeapLoad(Type::kF64, base, index, off); break;
    case O::kI32Load8S: *result = b.HeapSload8(Type::kI32, base, index, off); break;
    case O::kI32Load8U: *result = b.HeapUload8(Type::kI32, base, index, off); break;
    case O::kI32Load16S: *result = b.HeapSload16(Type::kI32, base, index, off); break;
    case O::kI32Load16U: *result = b.HeapUload16(Type::kI32, base, index, off); break;
    case O::kI64Load8S: *result = b.HeapSload8(Type::kI64, base, index, off); break;
    case O::kI64Load8U: *result = b.HeapUload8(Type::kI64, base, index, off); break;
    case O::kI64Load16S: *result = b.HeapSload16(Type::kI64, base, index, off); break;
    case O::kI64Load16U: *result = b.HeapUload16(Type::kI64, base, index, off); break;
    case O::kI64Load32S: *result = b.HeapSload32(Type::kI64, base, index, off); break;
    case O::kI64Load32U: *result = b.HeapUload32(Type::kI64, base, index, off); break;
    default: break;
  }
}

void Translator::StoreImpl(wasm::Opcode op, const wasm::MemArg& m,
                           const Value& addr, const Value& v) {
  if (!ok()) return;
  SetLoc();
  using O = wasm::Opcode;
  auto& b = *b_;
  int bytes = 0;
  switch (op) {
    case O::kI32Store8: case O::kI64Store8: bytes = 1; break;
    case O::kI32Store16: case O::kI64Store16: bytes = 2; break;
    case O::kI32Store: case O::kF32Store: case O::kI64Store32: bytes = 4; break;
    case O::kI64Store: case O::kF64Store: bytes = 8; break;
    case O::kV128Store: bytes = 16; break;
    default: return UnsupportedOp();
  }
  const HeapAddress a = CheckedHeapAddress(m, addr, bytes);
  const ir::Value base = a.base, index = a.index;
  const uint32_t off = a.offset;
  switch (op) {
    case O::kI32Store: case O::kI64Store: case O::kF32Store:
    case O::kF64Store: case O::kV128Store: b.HeapStore(v, base, index, off); break;
    case O::kI32Store8: case O::kI64Store8: b.HeapIstore8(v, base, index, off); break;
    case O::kI32Store16: case O::kI64Store16: b.HeapIstore16(v, base, index, off); break;
    case O::kI64Store32: b.HeapIstore32(v, base, index, off); break;
    default: break;
  }
}

void Translator::Atomic(wasm::Opcode op, const wasm::MemArg& m,
                        absl::Span<const Value> args, Value* result) {
  if (!ok()) return;
  SetLoc();
  using O = wasm::Opcode;
  auto& b = *b_;
  const wasm::OpcodeInfo& info = wasm::GetOpcodeInfo(op);
  const int log2 = wasm::NaturalAlignmentLog2(info.imm);
  const int bytes = 1 << log2;
  const ir::Value addr = args[0];
  if (op == O::kMemoryAtomicNotify || op == O::kMemoryAtomicWait32 ||
      op == O::kMemoryAtomicWait64) {
    // Builtins: they block or wake threads, and check alignment and bounds
    // themselves. The effective address of a 32-bit memory in 64 bits
    // cannot wrap; a 64-bit memory's is bounds-checked here first.
    ir::Value ea = addr;
    if (module_.memories[m.memory].type.is64) {
      const HeapAddress a = CheckedHeapAddress(m, addr, bytes);
      ea = a.offset == 0 ? a.index : b.IaddImm(a.index, a.offset);
    } else {
      ea = b.Uextend(Type::kI64, addr);
      if (m.offset != 0) ea = b.IaddImm(ea, static_cast<int64_t>(m.offset));
    }
    const ir::Value mem = b.Iconst(Type::kI32, m.memory);
    const BuiltinId id = op == O::kMemoryAtomicNotify ? BuiltinId::kMemoryAtomicNotify
                         : op == O::kMemoryAtomicWait32
                             ? BuiltinId::kMemoryAtomicWait32
                             : BuiltinId::kMemoryAtomicWait64;
    *result = op == O::kMemoryAtomicNotify
                  ? CallBuiltin(id, {mem, ea, args[1]})
                  : CallBuiltin(id, {mem, ea, args[1], args[2]});
    return;
  }
  // "unaligned atomic" before the access (and before its bounds trap).
  // Only the low bits of index + offset matter, so 32-bit arithmetic does.
  if (bytes > 1) {
    const int64_t mask = bytes - 1;
    ir::Value low = addr;
    if ((m.offset & mask) != 0) low = b.IaddImm(addr, m.offset & mask);
    b.Trapnz(b.BandImm(low, mask), TrapCode::kHeapMisaligned);
  }
  const HeapAddress a = CheckedHeapAddress(m, addr, bytes);
  const wasm::Signature& sig = wasm::GetSignature(info.sig);
  const Type t = sig.has_result ? IrType(sig.result) : IrType(sig.params[1]);
  const ir::Value base = a.base, index = a.index;
  const uint32_t off = a.offset;
  const auto in_range = [op](O first, O last) {
    return static_cast<int>(op) >= static_cast<int>(first) &&
           static_cast<int>(op) <= static_cast<int>(last);
  };
  if (in_range(O::kI32AtomicLoad, O::kI64AtomicLoad32U)) {
    *result = b.AtomicLoad(t, log2, {}, base, index, off);
    return;
  }
  if (in_range(O::kI32AtomicStore, O::kI64AtomicStore32)) {
    b.AtomicStore(t, log2, {args[1]}, base, index, off);
    return;
  }
  // The RMW rows of wasm/opcodes.def come in groups of seven (i32, i64,
  // i32 8/16, i64 8/16/32) per operation, add ... cmpxchg.
  static_assert(static_cast<int>(O::kI32AtomicRmwSub) -
                    static_cast<int>(O::kI32AtomicRmwAdd) == 7);
  static_assert(static_cast<int>(O::kI32AtomicRmwCmpxchg) -
                    static_cast<int>(O::kI32AtomicRmwAdd) == 42);
  switch ((static_cast<int>(op) - static_cast<int>(O::kI32AtomicRmwAdd)) / 7) {
    case 0: *result = b.AtomicRmwAdd(t, log2, {args[1]}, base, index, off); break;
    case 1: *result = b.AtomicRmwSub(t, log2, {args[1]}, base, index, off); break;
    case 2: *result = b.AtomicRmwAnd(t, log2, {args[1]}, base, index, off); break;
    case 3: *result = b.AtomicRmwOr(t, log2, {args[1]}, base, index, off); break;
    case 4: *result = b.AtomicRmwXor(t, log2, {args[1]}, base, index, off); break;
    case 5: *result = b.AtomicRmwXchg(t, log2, {args[1]}, base, index, off); break;
    case 6:
      *result = b.AtomicCas(t, log2, {args[1], args[2]}, base, index, off);
      break;
    default: return UnsupportedOp();
  }
}

// ---------------------------------------------------------------------------
// Calls.
// ---------------------------------------------------------------------------

void Translator::EmitCall(uint32_t function, absl::Span<const Value> args,
                          absl::Span<Value> results, bool tail) {
  if (!ok()) return;
  SetLoc();
  FlushFuel();
  const wasm::Function& fn = module_.functions[function];
  scratch_.clear();
  ir::Inst call;
  if (fn.imported) {
    // VMFunctionImport {code, vmctx}: indexes among imported functions are
    // the function indexes (imports come first).
    ir::Value code =
        b_->Load(kPtr, kRO, vmctx_, offsets_.ImportedFunctionCode(function));
    ir::Value callee_vmctx =
        b_->Load(kPtr, kRO, vmctx_, offsets_.ImportedFunctionVmctx(function));
    scratch_.push_back(callee_vmctx);
    scratch_.push_back(vmctx_);
    scratch_.insert(scratch_.end(), args.begin(), args.end());
    call = b_->CallIndirect(SigForType(fn.type_index), code, scratch_);
  } else {
    ir::FuncRef ref;
    for (auto& [i, r] : func_refs_) {
      if (i == function) ref = r;
    }
    if (!ref.valid()) {
      ref = f_->DeclareFunction(function, SigForType(fn.type_index));
      func_refs_.push_back({function, ref});
    }
    scratch_.push_back(vmctx_);
    scratch_.push_back(vmctx_);
    scratch_.insert(scratch_.end(), args.begin(), args.end());
    call = b_->Call(ref, scratch_);
  }
  FinishCall(call, results, tail);
}

void Translator::EmitCallIndirect(uint32_t type_index, uint32_t table,
                                  const Value& index,
                                  absl::Span<const Value> args,
                                  absl::Span<Value> results, bool tail) {
  if (!ok()) return;
  SetLoc();
  FlushFuel();
  auto& b = *b_;
  // Bounds check against the table's current size.
  int32_t toff;
  ir::Value def = TableDefinition(table, &toff);
  ir::Value size =
      b.Load(Type::kI64, kRWTable, def, toff + VMOffsets::kTableDefinitionSize);
  ir::Value idx = b.Uextend(Type::kI64, index);
  b.Trapnz(b.Icmp(IntCC::kUge, idx, size),
           TrapCode::kIndirectCallOutOfBounds);
  ir::Value base =
      b.Load(kPtr, kRWTable, def, toff + VMOffsets::kTableDefinitionBase);
  ir::Value slot_addr = b.Iadd(base, b.IshlImm(idx, 3));
  ir::Value slot = b.Load(kPtr, kRWTable, slot_addr, 0);
  ir::Value funcref = slot;
  if (options_.funcref_table_init_bit) {
    // Slots holding their final value carry kFuncRefInitBit; others are
    // resolved (and filled in) by the runtime.
    ir::Block slow = b.CreateBlock();
    ir::Block join = b.CreateBlock();
    ir::Value joined = b.AppendBlockParam(join, kPtr);
    ir::Value tagged = b.BandImm(slot, abi::kFuncRefInitBit);
    ir::Value untagged =
        b.BandImm(slot, ~static_cast<int64_t>(abi::kFuncRefInitBit));
    b.Brif(tagged, join, {untagged}, slow, {});
    b.SealBlock(slow);
    // No local changes on either path and everything before dominates the
    // join: the cached local values stay valid.
    Enter(slow, /*straight_line=*/true);
    ir::Value resolved = CallBuiltin(
        BuiltinId::kTableGetLazyInit, {b.Iconst(Type::kI32, table), index});
    b.Jump(join, {resolved});
    b.SealBlock(join);
    Enter(join, /*straight_line=*/true);
    funcref = joined;
  }
  b.Trapz(funcref, TrapCode::kIndirectCallToNull);
  // One integer compare of engine-wide signature ids.
  ir::Value expected = b.Load(Type::kI32, kRO, TypeIds(),
                              static_cast<int32_t>(type_index * 4));
  ir::Value actual =
      b.Load(Type::kI32, kRO, funcref, VMOffsets::kFuncRefTypeId);
  b.Trapnz(b.Icmp(IntCC::kNe, actual, expected), TrapCode::kBadSignature);
  ir::Value code = b.Load(kPtr, kRO, funcref, VMOffsets::kFuncRefCode);
  ir::Value callee_vmctx =
      b.Load(kPtr, kRO, funcref, VMOffsets::kFuncRefVmctx);
  scratch_.clear();
  scratch_.push_back(callee_vmctx);
  scratch_.push_back(vmctx_);
  scratch_.insert(scratch_.end(), args.begin(), args.end());
  ir::Inst call = b.CallIndirect(SigForType(type_index), code, scratch_);
  FinishCall(call, results, tail);
}

// ---------------------------------------------------------------------------
// FunctionTranslator
// ---------------------------------------------------------------------------

struct FunctionTranslator::Impl {
  Impl(const wasm::ModuleInfo& m, const TranslateOptions& o)
      : module(m),
        options(o),
        offsets(abi::VMContextCountsFor(m)),
        translator(m, offsets, options, type_sigs) {
    type_sigs.reserve(m.types.size());
    for (const wasm::FuncType& t : m.types) type_sigs.push_back(IrSignature(t));
  }

  const wasm::ModuleInfo& module;
  TranslateOptions options;
  VMOffsets offsets;
  std::vector<ir::Signature> type_sigs;
  Translator translator;
  LoopScan loop_scan;
};

FunctionTranslator::FunctionTranslator(const wasm::ModuleInfo& module,
                                       const TranslateOptions& options)
    : impl_(std::make_unique<Impl>(module, options)) {}

FunctionTranslator::~FunctionTranslator() = default;

absl::Status FunctionTranslator::Translate(uint32_t func_index,
                                           ir::Function* out) {
  const wasm::Function& fn = impl_->module.functions[func_index];
  return Translate(func_index, impl_->module.FunctionBody(func_index),
                   fn.body_offset, out);
}

absl::Status FunctionTranslator::Translate(uint32_t func_index,
                                           absl::Span<const uint8_t> body,
                                           size_t body_offset,
                                           ir::Function* out) {
  const wasm::ModuleInfo& m = impl_->module;
  if (func_index >= m.functions.size() || m.functions[func_index].imported) {
    return absl::InvalidArgumentError(absl::StrCat(
        "function ", func_index, " is not a defined function"));
  }
  const wasm::Function& fn = m.functions[func_index];
  out->Reset(FunctionName(m, func_index), impl_->type_sigs[fn.type_index]);
  Translator& t = impl_->translator;
  // First walk: loop-invariant locals, from the non-validating reader; a
  // body it cannot read takes the validating walk, which fails with the
  // message the translating walk would give (so does any other invalid
  // body, in the translating walk).
  LoopScan& scan = impl_->loop_scan;
  scan.Reset();
  // No 0x03 byte anywhere in the body: certainly no `loop`, skip the walk.
  const bool may_have_loops =
      std::memchr(body.data(), 0x03, body.size()) != nullptr;
  if (may_have_loops &&
      !scan.Walk(body, static_cast<uint32_t>(
                           m.types[fn.type_index].params.size()))) {
    scan.Reset();
    wasm::FunctionBodyDecoder<LoopScan> pre(m, func_index, body, body_offset,
                                            &scan);
    absl::Status s = pre.Decode();
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("function ", func_index,
                                                 ": ", s.message()));
    }
  }
  wasm::FunctionBodyDecoder<Translator> decoder(m, func_index, body,
                                                body_offset, &t);
  t.Reset(out, func_index, &decoder);
  t.body_ = body;
  t.body_offset_ = body_offset;
  t.loop_scan_ = may_have_loops ? &scan : nullptr;
  t.last_entry_load_ = ir::Inst();
  absl::Status s = decoder.Decode();
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("function ", func_index, ": ",
                                               s.message()));
  }
  if (!t.status().ok()) return t.status();
  // Dead code after never-reached merges leaves blocks without
  // predecessors; drop them so the function verifies.
  if (t.dead_code_) opt::RemoveUnreachableBlocks(*out);
  return absl::OkStatus();
}

}  // namespace kiln::translate
