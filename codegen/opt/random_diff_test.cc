// Differential test: random functions built with FunctionBuilder (straight
// code, diamonds, bounded loops, wasm-style variables, heap and global
// loads and stores that often meet at one place) must behave the same
// in the interpreter before and after the default pipeline plus
// split_critical_edges, with the verifier run after every pass.
#include <cstdio>
#include <random>
#include <vector>

#include "codegen/ir/builder.h"
#include "codegen/ir/interpreter.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/dce.h"
#include "codegen/opt/pass.h"
#include "codegen/opt/simplify_cfg.h"
#include "codegen/opt/split_critical_edges.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

using ir::Type;
using ir::Value;

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  ir::Function Make() {
    ir::Function f("rand", ir::Signature{{Type::kI64, Type::kI64, Type::kI32,
                                          Type::kI32, Type::kI64},
                                         {Type::kI32, Type::kI64}});
    ir::FunctionBuilder b(&f);
    b_ = &b;
    f_ = &f;
    ir::Block entry = b.CreateBlock();
    b.AppendEntryParams(entry);
    b.SwitchToBlock(entry);
    b.SealBlock(entry);
    auto p = f.block_params(entry);
    heap_base_ = p[0];
    for (int k = 0; k < 3; ++k) vars32_.push_back(b.DeclareVar(Type::kI32));
    for (int k = 0; k < 2; ++k) vars64_.push_back(b.DeclareVar(Type::kI64));
    b.DefVar(vars32_[0], p[2]);
    b.DefVar(vars32_[1], p[3]);
    b.DefVar(vars64_[0], p[4]);
    // vars32_[2] and vars64_[1] start undefined (zero).
    Section(3);
    b.Return({b.UseVar(vars32_[Pick(3)]), b.UseVar(vars64_[Pick(2)])});
    return f;
  }

 private:
  uint32_t Pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }

  Value Int(Type t) {
    auto& pool = t == Type::kI32 ? pool32_ : pool64_;
    auto& vars = t == Type::kI32 ? vars32_ : vars64_;
    if (pool.empty() || Pick(3) == 0) return b_->UseVar(vars[Pick(vars.size())]);
    return pool[Pick(pool.size())];
  }

  Value Const(Type t) {
    static const int64_t kEdge[] = {0, 1, -1, 2, 7, 31, 32, 63, 64,
                                    INT32_MIN, INT32_MAX, INT64_MIN, 0xff};
    return b_->Iconst(t, kEdge[Pick(std::size(kEdge))]);
  }

  void Emit() {
    Type t = Pick(2) ? Type::kI32 : Type::kI64;
    auto& pool = t == Type::kI32 ? pool32_ : pool64_;
    Value v;
    switch (Pick(14)) {
      case 0:
        v = Const(t);
        break;
      case 1: {
        static const ir::Opcode kOps[] = {
            ir::Opcode::kIadd, ir::Opcode::kIsub, ir::Opcode::kImul,
            ir::Opcode::kBand, ir::Opcode::kBor,  ir::Opcode::kBxor,
            ir::Opcode::kIshl, ir::Opcode::kUshr, ir::Opcode::kSshr,
            ir::Opcode::kRotl, ir::Opcode::kRotr};
        v = b_->EmitValue(kOps[Pick(std::size(kOps))], Type::kInvalid,
                          {Int(t), Int(t)});
        break;
      }
      case 2: {
        static const ir::Opcode kOps[] = {ir::Opcode::kSdiv, ir::Opcode::kUdiv,
                                          ir::Opcode::kSrem, ir::Opcode::kUrem};
        v = b_->EmitValue(kOps[Pick(4)], Type::kInvalid, {Int(t), Int(t)});
        break;
      }
      case 3:
        v = b_->Icmp(static_cast<ir::IntCC>(Pick(10)), Int(t), Int(t));
        t = Type::kI32;
        break;
      case 4:
        v = b_->Select(Int(Type::kI32), Int(t), Int(t));
        break;
      case 5:
        if (t == Type::kI32) {
          v = b_->Ireduce(Type::kI32, Int(Type::kI64));
        } else {
          v = Pick(2) ? b_->Uextend(Type::kI64, Int(Type::kI32))
                      : b_->Sextend(Type::kI64, Int(Type::kI32));
        }
        break;
      case 6: {
        static const ir::Opcode kOps[] = {ir::Opcode::kClz, ir::Opcode::kCtz,
                                          ir::Opcode::kPopcnt,
                                          ir::Opcode::kSextend8};
        v = b_->EmitValue(kOps[Pick(4)], Type::kInvalid, {Int(t)});
        break;
      }
      case 7:
        v = Pick(2) ? b_->IaddImm(Int(t), Pick(5) - 2) : b_->UshrImm(Int(t), Pick(70));
        break;
      case 8: {
        // A float detour that ends in an integer.
        Value fl = b_->FcvtFromSint(Type::kF64, Int(t));
        Value g = b_->FcvtFromUint(Type::kF64, Int(Type::kI32));
        Value h = Pick(2) ? b_->Fmin(fl, g) : b_->Fdiv(fl, g);
        v = Pick(2) ? b_->FcvtToSintSat(t, h) : b_->FcvtToSint(t, b_->Nearest(h));
        break;
      }
      case 9: {
        Value idx = b_->BandImm(Int(Type::kI32), 0xfff);
        if (Pick(2)) {
          b_->HeapStore(Int(t), heap_base_, idx, Pick(16));
          return;
        }
        v = t == Type::kI32 ? b_->HeapUload16(Type::kI32, heap_base_, idx, Pick(8))
                            : b_->HeapLoad(Type::kI64, heap_base_, idx, 0);
        break;
      }
      case 11: {
        // A store, maybe another one elsewhere, then a load of the first
        // place: redundant_loads food (forwarded only if nothing between
        // may overlap).
        Value idx = b_->BandImm(Int(Type::kI32), 0xfff);
        const int64_t off = 8 * Pick(3);
        b_->HeapStore(Int(t), heap_base_, idx, off);
        if (Pick(2)) {
          b_->HeapStore(Int(Type::kI32), heap_base_,
                        b_->BandImm(Int(Type::kI32), 0xfff), Pick(12));
        }
        v = t == Type::kI32 ? b_->HeapLoad(Type::kI32, heap_base_, idx, off)
                            : b_->HeapLoad(Type::kI64, heap_base_, idx, off);
        break;
      }
      case 12: {
        // Globals in the simulated VMContext (the second entry pointer):
        // eight slots, so stores and loads of one slot meet often.
        const ir::Value vmctx = f_->block_params(f_->entry_block())[1];
        const int32_t off = 8 * Pick(8);
        constexpr uint8_t kGlobal =
            ir::kMemNotrap | ir::kMemAligned | ir::kMemGlobal;
        if (Pick(2)) {
          b_->Store(kGlobal, Int(Type::kI64), vmctx, off);
          return;
        }
        v = b_->Load(Type::kI64, kGlobal, vmctx, off);
        if (t == Type::kI32) v = b_->Ireduce(Type::kI32, v);
        break;
      }
      case 10: {
        // Same expression twice: GVN food.
        Value x = Int(t), y = Int(t);
        Value a = b_->Iadd(x, y);
        Value c = b_->Iadd(y, x);
        v = b_->Bxor(a, c);
        break;
      }
      default: {
        auto& vars = t == Type::kI32 ? vars32_ : vars64_;
        b_->DefVar(vars[Pick(vars.size())], Int(t));
        return;
      }
    }
    (t == Type::kI32 ? pool32_ : pool64_).push_back(v);
    if (Pick(3) == 0) {
      auto& vars = t == Type::kI32 ? vars32_ : vars64_;
      b_->DefVar(vars[Pick(vars.size())], v);
    }
    (void)pool;
  }

  // x = mem[slot]; mem[slot] = x + 1; a variable takes x. The slot is a
  // global (invariant address) or a heap word (invariant index, and the
  // load leads nothing: never hoisted).
  void MemoryCount() {
    Value x;
    if (Pick(2)) {
      const ir::Value vmctx = f_->block_params(f_->entry_block())[1];
      const int32_t off = 8 * Pick(8);
      constexpr uint8_t kGlobal =
          ir::kMemNotrap | ir::kMemAligned | ir::kMemGlobal;
      x = b_->Load(Type::kI64, kGlobal, vmctx, off);
      b_->Store(kGlobal, b_->IaddImm(x, 1), vmctx, off);
      b_->DefVar(vars64_[Pick(vars64_.size())], x);
    } else {
      Value idx = b_->BandImm(b_->UseVar(vars32_[0]), 0xff0);
      x = b_->HeapLoad(Type::kI32, heap_base_, idx, 4);
      b_->HeapStore(b_->IaddImm(x, 1), heap_base_, idx, 4);
      b_->DefVar(vars32_[Pick(vars32_.size())], x);
    }
  }

  void Straight(int n) {
    for (int k = 0; k < n; ++k) Emit();
  }

  // Values defined inside a nested region are not visible after it.
  struct Scope {
    Generator* g;
    std::vector<Value> p32, p64;
    explicit Scope(Generator* gen)
        : g(gen), p32(gen->pool32_), p64(gen->pool64_) {}
    ~Scope() {
      g->pool32_ = p32;
      g->pool64_ = p64;
    }
  };

  void Section(int depth) {
    int parts = 1 + Pick(3);
    for (int k = 0; k < parts; ++k) {
      switch (depth > 0 ? Pick(4) : 0) {
        case 0:
          Straight(2 + Pick(6));
          break;
        case 1: {  // if / else
          ir::Block then_b = b_->CreateBlock(), else_b = b_->CreateBlock(),
                    join = b_->CreateBlock();
          b_->Brif(Int(Type::kI32), then_b, {}, else_b, {});
          b_->SealBlock(then_b);
          b_->SealBlock(else_b);
          {
            Scope s(this);
            b_->SwitchToBlock(then_b);
            Section(depth - 1);
            b_->Jump(join);
          }
          {
            Scope s(this);
            b_->SwitchToBlock(else_b);
            Section(depth - 1);
            b_->Jump(join);
          }
          b_->SwitchToBlock(join);
          b_->SealBlock(join);
          pool32_.clear();  // Conservative: only variables cross the join.
          pool64_.clear();
          break;
        }
        case 2: {  // counted loop, 0..7 iterations
          ir::Variable counter = b_->DeclareVar(Type::kI32);
          b_->DefVar(counter, b_->BandImm(Int(Type::kI32), 7));
          ir::Block header = b_->CreateBlock(), body = b_->CreateBlock(),
                    exit = b_->CreateBlock();
          b_->Jump(header);
          b_->SwitchToBlock(header);
          b_->Brif(b_->UseVar(counter), body, {}, exit, {});
          b_->SealBlock(body);
          {
            Scope s(this);
            pool32_.clear();
            pool64_.clear();
            b_->SwitchToBlock(body);
            Section(depth - 1);
            if (Pick(2)) {
              // A count kept in memory: its load must not leave the loop.
              MemoryCount();
            }
            b_->DefVar(counter, b_->IaddImm(b_->UseVar(counter), -1));
            b_->Jump(header);
          }
          b_->SealBlock(header);
          b_->SwitchToBlock(exit);
          b_->SealBlock(exit);
          pool32_.clear();
          pool64_.clear();
          break;
        }
        default: {  // br_table through edge blocks
          ir::Block join = b_->CreateBlock();
          std::vector<ir::Block> edges;
          for (int e = 0; e < 3; ++e) edges.push_back(b_->CreateBlock());
          ir::Block table[] = {edges[1], edges[2], edges[1]};
          b_->BrTable(Int(Type::kI32), edges[0], table);
          for (ir::Block e : edges) {
            Scope s(this);
            b_->SealBlock(e);
            b_->SwitchToBlock(e);
            Straight(1 + Pick(3));
            b_->Jump(join);
          }
          b_->SwitchToBlock(join);
          b_->SealBlock(join);
          pool32_.clear();
          pool64_.clear();
          break;
        }
      }
    }
  }

  std::mt19937 rng_;
  ir::FunctionBuilder* b_ = nullptr;
  ir::Function* f_ = nullptr;
  Value heap_base_;
  std::vector<ir::Variable> vars32_, vars64_;
  std::vector<Value> pool32_, pool64_;
};

absl::StatusOr<ir::InterpOutcome> Execute(const ir::Function& f,
                                          const std::vector<uint64_t>& args) {
  std::vector<uint8_t> heap(8192, 0);
  for (size_t k = 0; k < heap.size(); ++k) heap[k] = static_cast<uint8_t>(k * 7);
  std::vector<uint8_t> raw(64, 0);  // The simulated VMContext (globals).
  ir::InterpOptions opts;
  opts.heap = &heap;
  opts.raw_memory = &raw;
  return ir::Interpret(f, args, opts);
}

TEST(RandomDiffTest, OptimizationsPreserveBehaviour) {
  std::mt19937_64 arg_rng(1234);
  int trapped = 0, optimized_smaller = 0;
  for (uint32_t seed = 0; seed < 1000; ++seed) {
    ir::Function f = Generator(seed).Make();
    ASSERT_TRUE(ir::VerifyFunction(f).ok())
        << "seed " << seed << ": " << ir::VerifyFunction(f) << "\n"
        << ir::PrintFunction(f);
    ir::Function g = f;
    PassManager pm(/*verify_each=*/true);
    AddDefaultPipeline(pm);
    pm.Add(std::make_unique<SimplifyCfgPass>());
    pm.Add(std::make_unique<DcePass>());
    pm.Add(std::make_unique<SplitCriticalEdgesPass>());
    absl::Status s = pm.Run(g);
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s << "\n"
                        << ir::PrintFunction(f);
    if (ir::PrintFunction(g).size() < ir::PrintFunction(f).size()) {
      ++optimized_smaller;
    }
    for (int r = 0; r < 4; ++r) {
      std::vector<uint64_t> args = {0, 0, arg_rng() & 0xffffffff,
                                    r == 0 ? 0 : arg_rng() & 0xffffffff,
                                    arg_rng()};
      auto before = Execute(f, args);
      ASSERT_TRUE(before.ok()) << before.status();
      auto after = Execute(g, args);
      ASSERT_TRUE(after.ok()) << after.status();
      trapped += before->trapped;
      ASSERT_TRUE(*before == *after)
          << "seed " << seed << " run " << r << "\nbefore:\n"
          << ir::PrintFunction(f) << "after:\n"
          << ir::PrintFunction(g);
    }
  }
  // The generator should exercise both paths.
  EXPECT_GT(trapped, 10) << trapped;
  std::printf("%d of 4000 runs trapped, %d of 1000 functions shrank\n", trapped,
              optimized_smaller);
  EXPECT_GT(optimized_smaller, 100);
}

}  // namespace
}  // namespace kiln::opt
