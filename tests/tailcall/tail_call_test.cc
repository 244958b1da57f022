// Tail calls end to end. Deep loops run with a small max_wasm_stack: a
// return_call that kept its frame would trap "call stack exhausted".
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

constexpr int64_t kDeep = 1'000'000;

class TailCallTest : public ::testing::Test {
 protected:
  static Config SmallStack() {
    Config c;
    c.max_wasm_stack = 64 * 1024;  // ~2,000 ordinary frames
    return c;
  }
  explicit TailCallTest(Config config = SmallStack())
      : engine_(config), store_(engine_) {}

  Instance Instantiate(std::string_view wat,
                       absl::Span<const Extern> imports = {}) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, wat);
    EXPECT_TRUE(m.ok()) << m.status();
    Result<Instance> i = Instance::Create(store_, *m, imports);
    EXPECT_TRUE(i.ok()) << i.status();
    return *i;
  }

  Engine engine_;
  Store<> store_;
};

constexpr char kLoops[] = R"(
  (module
    (type $ii (func (param i64 i64) (result i64)))
    (table $t 2 funcref)
    (elem (i32.const 0) $count_ind $wrong)
    (func $count (export "count") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call $count (i64.sub (local.get $n) (i64.const 1))
                                  (i64.add (local.get $acc) (i64.const 2))))))
    (func $plain (export "plain") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (call $plain (i64.sub (local.get $n) (i64.const 1))
                           (i64.add (local.get $acc) (i64.const 2))))))
    (func $count_ind (export "count_ind") (param $n i64) (param $acc i64)
          (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call_indirect (type $ii)
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (i64.const 1))
                (i32.const 0)))))
    (func $wrong (param i32) (result i64) (i64.const 0))
    (func (export "bad_sig") (param i32) (result i64)
      (return_call_indirect (type $ii) (i64.const 1) (i64.const 2)
                            (local.get 0)))
    ;; Different numbers of arguments: 2 and 3 (all in registers).
    (func $even (export "even") (param $n i64) (result i32)
      (if (result i32) (i64.eqz (local.get $n))
        (then (i32.const 1))
        (else (return_call $odd (i64.sub (local.get $n) (i64.const 1))
                                (i64.const 7) (i64.const 8)))))
    (func $odd (param $n i64) (param i64) (param i64) (result i32)
      (if (result i32) (i64.eqz (local.get $n))
        (then (i32.const 0))
        (else (return_call $even (i64.sub (local.get $n) (i64.const 1))))))
    ;; Eight i64 parameters: four of them on the machine stack.
    (func $many (export "many") (param $n i64) (param $a i64) (param $b i64)
          (param $c i64) (param $d i64) (param $e i64) (param $f i64)
          (param $g i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (i64.add (local.get $a)
                (i64.add (local.get $b)
                  (i64.add (local.get $c)
                    (i64.add (local.get $d)
                      (i64.add (local.get $e)
                        (i64.add (local.get $f) (local.get $g))))))))
        (else (return_call $many (i64.sub (local.get $n) (i64.const 1))
                 (local.get $b) (local.get $c) (local.get $d) (local.get $e)
                 (local.get $f) (local.get $g)
                 (i64.add (local.get $a) (i64.const 1))))))
    ;; Fewer stack arguments than the caller has: 8 parameters -> 6.
    (func (export "down") (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
      (return_call $six (local.get 7) (local.get 6) (local.get 5)
                        (local.get 4) (local.get 3) (local.get 2)))
    (func $six (param i64 i64 i64 i64 i64 i64) (result i64)
      (i64.add (i64.mul (local.get 0) (i64.const 100000))
        (i64.add (i64.mul (local.get 1) (i64.const 10000))
          (i64.add (i64.mul (local.get 2) (i64.const 1000))
            (i64.add (i64.mul (local.get 3) (i64.const 100))
              (i64.add (i64.mul (local.get 4) (i64.const 10))
                       (local.get 5)))))))
    ;; Several results (through the return area).
    (func $pair (export "pair") (param $n i64) (param $x i64)
          (result i64 i64)
      (if (result i64 i64) (i64.eqz (local.get $n))
        (then (local.get $x) (i64.mul (local.get $x) (i64.const 2)))
        (else (return_call $pair (i64.sub (local.get $n) (i64.const 1))
                                 (i64.add (local.get $x) (i64.const 1)))))))
)";

TEST_F(TailCallTest, ReturnCallRunsInConstantStack) {
  Instance inst = Instantiate(kLoops);
  auto count = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "count");
  ASSERT_TRUE(count.ok());
  Result<int64_t> r = count->Call(store_, kDeep, 5);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, 5 + 2 * kDeep);
  // The same recursion with call runs out of the 64 KiB stack.
  auto plain = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "plain");
  ASSERT_TRUE(plain.ok());
  Result<int64_t> p = plain->Call(store_, kDeep, 5);
  ASSERT_TRUE(p.is_trap());
  EXPECT_EQ(p.trap().code(), TrapCode::kStackOverflow);
  // The store is fine afterwards.
  r = count->Call(store_, 3, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 6);
}

TEST_F(TailCallTest, ReturnCallIndirectRunsInConstantStack) {
  Instance inst = Instantiate(kLoops);
  auto f = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "count_ind");
  ASSERT_TRUE(f.ok());
  Result<int64_t> r = f->Call(store_, kDeep, 0);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, kDeep);
}

TEST_F(TailCallTest, ReturnCallIndirectChecksSignatureAndBounds) {
  Instance inst = Instantiate(kLoops);
  auto f = inst.GetTypedFunc<int64_t(int32_t)>(store_, "bad_sig");
  ASSERT_TRUE(f.ok());
  Result<int64_t> r = f->Call(store_, 1);  // $wrong: (i32) -> i64
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kBadSignature);
  r = f->Call(store_, 5);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kIndirectCallOutOfBounds);
  r = f->Call(store_, 0);  // $count_ind (1, 2): one step
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
}

TEST_F(TailCallTest, MutualRecursionWithDifferentArgumentCounts) {
  Instance inst = Instantiate(kLoops);
  auto even = inst.GetTypedFunc<int32_t(int64_t)>(store_, "even");
  ASSERT_TRUE(even.ok());
  Result<int32_t> r = even->Call(store_, kDeep);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, 1);
  r = even->Call(store_, kDeep + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
}

TEST_F(TailCallTest, StackArgumentsInConstantStack) {
  Instance inst = Instantiate(kLoops);
  auto many = inst.GetTypedFunc<int64_t(int64_t, int64_t, int64_t, int64_t,
                                        int64_t, int64_t, int64_t, int64_t)>(
      store_, "many");
  ASSERT_TRUE(many.ok());
  // Every step rotates the seven values and adds 1 to one of them.
  Result<int64_t> r = many->Call(store_, kDeep, 1, 2, 3, 4, 5, 6, 7);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, 28 + kDeep);
  r = many->Call(store_, 1, 1, 2, 3, 4, 5, 6, 7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 29);
}

TEST_F(TailCallTest, FewerStackArguments) {
  Instance inst = Instantiate(kLoops);
  auto down = inst.GetTypedFunc<int64_t(int64_t, int64_t, int64_t, int64_t,
                                        int64_t, int64_t, int64_t, int64_t)>(
      store_, "down");
  ASSERT_TRUE(down.ok());
  Result<int64_t> r = down->Call(store_, 1, 2, 3, 4, 5, 6, 7, 8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 876543);
}

TEST_F(TailCallTest, SeveralResults) {
  Instance inst = Instantiate(kLoops);
  absl::StatusOr<Func> pair = inst.GetFunc(store_, "pair");
  ASSERT_TRUE(pair.ok());
  Result<std::vector<Val>> r =
      pair->Call(store_, {Val::I64(kDeep), Val::I64(10)});
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].i64(), 10 + kDeep);
  EXPECT_EQ((*r)[1].i64(), 2 * (10 + kDeep));
}

TEST_F(TailCallTest, TrapsAndBacktracesThroughTailCalls) {
  Instance inst = Instantiate(R"(
    (module
      (func $inner (param i32) (result i32)
        (i32.div_u (i32.const 1) (local.get 0)))
      (func $middle (param i32) (result i32)
        (return_call $inner (local.get 0)))
      (func $outer (export "run") (param i32) (result i32)
        (i32.add (call $middle (local.get 0)) (i32.const 1))))
  )");
  auto run = inst.GetTypedFunc<int32_t(int32_t)>(store_, "run");
  ASSERT_TRUE(run.ok());
  Result<int32_t> r = run->Call(store_, 0);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kIntegerDivisionByZero);
  const auto& bt = r.trap().backtrace();
  // $middle's frame was replaced by $inner's: inner, then outer.
  ASSERT_EQ(bt.size(), 2u) << r.trap().ToString();
  EXPECT_EQ(bt[0].func_name, "inner");
  EXPECT_EQ(bt[1].func_name, "outer");
  r = run->Call(store_, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
}

TEST_F(TailCallTest, TailCallsIntoHostFunctions) {
  int calls = 0;
  absl::StatusOr<Func> host = Func::New(
      store_, FuncType{{ValType::kI64}, {ValType::kI64}},
      [&calls](Caller<>&, absl::Span<const Val> params,
               absl::Span<Val> results) -> std::optional<Trap> {
        ++calls;
        if (params[0].i64() < 0) return Trap::Host("negative");
        results[0] = Val::I64(params[0].i64() * 3);
        return std::nullopt;
      });
  ASSERT_TRUE(host.ok()) << host.status();
  Instance inst = Instantiate(R"(
    (module
      (import "env" "h" (func $h (param i64) (result i64)))
      (func $to_host (export "to_host") (param i64) (result i64)
        (return_call $h (local.get 0)))
      ;; A loop that ends in a host call, many times over.
      (func $loop (export "loop") (param $n i64) (result i64)
        (if (result i64) (i64.eqz (local.get $n))
          (then (return_call $h (i64.const 14)))
          (else (return_call $loop (i64.sub (local.get $n) (i64.const 1)))))))
  )", {Extern(*host)});
  auto to_host = inst.GetTypedFunc<int64_t(int64_t)>(store_, "to_host");
  ASSERT_TRUE(to_host.ok());
  Result<int64_t> r = to_host->Call(store_, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 15);
  Result<int64_t> t = to_host->Call(store_, -1);
  ASSERT_TRUE(t.is_trap());
  EXPECT_EQ(t.trap().message(), "negative");
  auto loop = inst.GetTypedFunc<int64_t(int64_t)>(store_, "loop");
  ASSERT_TRUE(loop.ok());
  r = loop->Call(store_, kDeep);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(calls, 3);
}

// Mutual tail recursion between $zero (no stack arguments) and $ten (ten
// stack arguments on x86-64: 9 i64 and 13 f64 parameters, four i64 and
// eight f64 of them in registers), directly and through
// return_call_indirect. $ten folds every argument into the accumulator in
// order (h = h * 31 + p), so a misplaced argument changes the result.
constexpr int kTenInts = 7;     // after $n and $acc
constexpr int kTenFloats = 13;

std::string TenStackArgsModule() {
  std::string ten_params, args, fold = "(local.get $acc)";
  for (int k = 0; k < kTenInts; ++k) {
    absl::StrAppend(&ten_params, " (param i64)");
    absl::StrAppend(&args, " (i64.add (local.get $n) (i64.const ", k + 1, "))");
    fold = absl::StrCat("(i64.add (i64.mul ", fold, " (i64.const 31)) (local.get ",
                        k + 2, "))");
  }
  for (int k = 0; k < kTenFloats; ++k) {
    absl::StrAppend(&ten_params, " (param f64)");
    absl::StrAppend(&args, " (f64.add (f64.convert_i64_s (local.get $n)) (f64.const ",
                    k, ".5))");
    // 2 * (n + k + 0.5) is an exact integer.
    fold = absl::StrCat("(i64.add (i64.mul ", fold,
                        " (i64.const 31)) (i64.trunc_f64_s (f64.mul (local.get ",
                        k + 2 + kTenInts, ") (f64.const 2))))");
  }
  return absl::StrCat(R"(
  (module
    (type $zt (func (param i64 i64) (result i64)))
    (type $tt (func (param i64 i64))", ten_params, R"( (result i64)))
    (table $t 2 funcref)
    (elem (i32.const 0) $zero_ind $ten_ind)
    (func $zero (export "zero") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call $ten (i64.sub (local.get $n) (i64.const 1))
                                (local.get $acc))", args, R"())))
    (func $ten (export "ten") (param $n i64) (param $acc i64))", ten_params,
                      R"( (result i64)
      (if (i64.eq (local.get $n) (i64.const -7)) (then (unreachable)))
      (return_call $zero (local.get $n) )", fold, R"())
    (func $zero_ind (export "zero_ind") (param $n i64) (param $acc i64)
          (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else (return_call_indirect (type $tt)
                (i64.sub (local.get $n) (i64.const 1)) (local.get $acc))",
                      args, R"( (i32.const 1)))))
    (func $ten_ind (param $n i64) (param $acc i64))", ten_params,
                      R"( (result i64)
      (return_call_indirect (type $zt) (local.get $n) )", fold,
                      R"( (i32.const 0)))
    ;; Ordinary calls with ten stack arguments, many times: the callee pops
    ;; them and this frame's stack pointer must come back each time.
    (func (export "call_ten") (param $n i64) (result i64)
      (local $acc i64)
      (block $done
        (loop $next
          (br_if $done (i64.eqz (local.get $n)))
          (local.set $n (i64.sub (local.get $n) (i64.const 1)))
          (local.set $acc
            (call $ten (i64.const 0) (local.get $acc))", args, R"())
          (br $next)))
      (local.get $acc))
    ;; A trap in $ten reached by a tail call that grew the stack area.
    (func $outer (export "trap_in_ten") (result i64)
      (i64.add (call $zero (i64.const -6) (i64.const 0)) (i64.const 1)))
  )
)");
}

// What the module computes, in C++.
int64_t Fold(int64_t n, int64_t acc) {
  uint64_t h = static_cast<uint64_t>(acc);
  for (int k = 0; k < kTenInts; ++k) h = h * 31 + static_cast<uint64_t>(n + k + 1);
  for (int k = 0; k < kTenFloats; ++k) h = h * 31 + static_cast<uint64_t>(2 * (n + k) + 1);
  return static_cast<int64_t>(h);
}
// $zero builds $ten's arguments from its own n, then counts down.
int64_t ExpectedZero(int64_t n, int64_t acc) {
  for (; n != 0; --n) acc = Fold(n, acc);
  return acc;
}

TEST_F(TailCallTest, MutualRecursionWithTenStackArguments) {
  Instance inst = Instantiate(TenStackArgsModule());
  for (const char* name : {"zero", "zero_ind"}) {
    auto f = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, name);
    ASSERT_TRUE(f.ok()) << name;
    Result<int64_t> r = f->Call(store_, kDeep, 3);
    ASSERT_TRUE(r.ok()) << name << ": " << r.trap().ToString();
    EXPECT_EQ(*r, ExpectedZero(kDeep, 3)) << name;
    r = f->Call(store_, 2, 3);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(*r, ExpectedZero(2, 3)) << name;
  }
}

TEST_F(TailCallTest, CallsWithStackArgumentsKeepTheStackPointer) {
  Instance inst = Instantiate(TenStackArgsModule());
  auto f = inst.GetTypedFunc<int64_t(int64_t)>(store_, "call_ten");
  ASSERT_TRUE(f.ok());
  Result<int64_t> r = f->Call(store_, kDeep);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  // Each step's arguments come from the loop's counter after it counts down.
  int64_t acc = 0;
  for (int64_t n = kDeep - 1; n >= 0; --n) acc = Fold(n, acc);
  EXPECT_EQ(*r, acc);
  // Entered from the host with its stack arguments (the entry trampoline).
  absl::StatusOr<Func> ten = inst.GetFunc(store_, "ten");
  ASSERT_TRUE(ten.ok());
  std::vector<Val> args = {Val::I64(0), Val::I64(5)};
  for (int k = 0; k < kTenInts; ++k) args.push_back(Val::I64(k + 1));
  for (int k = 0; k < kTenFloats; ++k) args.push_back(Val::F64(k + 0.5));
  Result<std::vector<Val>> v = ten->Call(store_, args);
  ASSERT_TRUE(v.ok()) << v.trap().ToString();
  EXPECT_EQ((*v)[0].i64(), Fold(0, 5));
}

TEST_F(TailCallTest, TrapAfterATailCallThatGrewTheArgumentArea) {
  Instance inst = Instantiate(TenStackArgsModule());
  auto run = inst.GetTypedFunc<int64_t()>(store_, "trap_in_ten");
  ASSERT_TRUE(run.ok());
  Result<int64_t> r = run->Call(store_);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kUnreachableCodeReached);
  const auto& bt = r.trap().backtrace();
  // $zero's frame was replaced by $ten's: ten, then outer.
  ASSERT_EQ(bt.size(), 2u) << r.trap().ToString();
  EXPECT_EQ(bt[0].func_name, "ten");
  EXPECT_EQ(bt[1].func_name, "outer");
  // The store still runs deep loops afterwards.
  auto f = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "zero");
  ASSERT_TRUE(f.ok());
  Result<int64_t> ok = f->Call(store_, kDeep, 1);
  ASSERT_TRUE(ok.ok()) << ok.trap().ToString();
  EXPECT_EQ(*ok, ExpectedZero(kDeep, 1));
}

TEST_F(TailCallTest, TailCallsIntoHostFunctionsWithStackArguments) {
  // (i64 x 9, f64 x 13) -> i64: ten stack arguments, like $ten.
  FuncType type;
  for (int k = 0; k < 2 + kTenInts; ++k) type.params.push_back(ValType::kI64);
  for (int k = 0; k < kTenFloats; ++k) type.params.push_back(ValType::kF64);
  type.results = {ValType::kI64};
  int calls = 0;
  absl::StatusOr<Func> host = Func::New(
      store_, type,
      [&calls](Caller<>&, absl::Span<const Val> params,
               absl::Span<Val> results) -> std::optional<Trap> {
        ++calls;
        uint64_t h = static_cast<uint64_t>(params[1].i64());
        for (int k = 0; k < kTenInts; ++k) {
          h = h * 31 + static_cast<uint64_t>(params[2 + k].i64());
        }
        for (int k = 0; k < kTenFloats; ++k) {
          h = h * 31 + static_cast<uint64_t>(params[2 + kTenInts + k].f64() * 2);
        }
        results[0] = Val::I64(static_cast<int64_t>(h));
        return std::nullopt;
      });
  ASSERT_TRUE(host.ok()) << host.status();
  std::string ten_params, args;
  for (int k = 0; k < kTenInts; ++k) {
    absl::StrAppend(&ten_params, " (param i64)");
    absl::StrAppend(&args, " (i64.add (local.get $n) (i64.const ", k + 1, "))");
  }
  for (int k = 0; k < kTenFloats; ++k) {
    absl::StrAppend(&ten_params, " (param f64)");
    absl::StrAppend(&args, " (f64.add (f64.convert_i64_s (local.get $n)) (f64.const ",
                    k, ".5))");
  }
  Instance inst = Instantiate(absl::StrCat(R"(
    (module
      (import "env" "h" (func $h (param i64 i64))", ten_params, R"( (result i64)))
      ;; No stack arguments of its own; loops, then ends in the host call.
      (func $loop (export "loop") (param $n i64) (param $acc i64) (result i64)
        (if (result i64) (i64.eqz (local.get $n))
          (then (return_call $h (local.get $n) (local.get $acc))", args, R"())
          (else (return_call $loop (i64.sub (local.get $n) (i64.const 1))
                                   (i64.add (local.get $acc) (i64.const 1))))))
      ;; Host calls in a loop, each with ten stack arguments.
      (func (export "call_host") (param $n i64) (result i64)
        (local $acc i64)
        (block $done
          (loop $next
            (br_if $done (i64.eqz (local.get $n)))
            (local.set $n (i64.sub (local.get $n) (i64.const 1)))
            (local.set $acc (call $h (i64.const 0) (local.get $acc))", args, R"())
            (br $next)))
        (local.get $acc)))
  )"), {Extern(*host)});
  auto loop = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "loop");
  ASSERT_TRUE(loop.ok());
  for (int round = 0; round < 3; ++round) {
    Result<int64_t> r = loop->Call(store_, kDeep, 0);
    ASSERT_TRUE(r.ok()) << r.trap().ToString();
    EXPECT_EQ(*r, Fold(0, kDeep));
  }
  EXPECT_EQ(calls, 3);
  auto call_host = inst.GetTypedFunc<int64_t(int64_t)>(store_, "call_host");
  ASSERT_TRUE(call_host.ok());
  Result<int64_t> r = call_host->Call(store_, 100'000);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  int64_t acc = 0;
  for (int64_t n = 100'000 - 1; n >= 0; --n) acc = Fold(n, acc);
  EXPECT_EQ(*r, acc);
}

class TailCallFuelTest : public TailCallTest {
 protected:
  static Config WithChecks() {
    Config c = SmallStack();
    c.consume_fuel = true;
    c.epoch_interruption = true;
    return c;
  }
  TailCallFuelTest() : TailCallTest(WithChecks()) {}
};

TEST_F(TailCallFuelTest, FuelAndEpochsInTailLoops) {
  Instance inst = Instantiate(kLoops);
  auto count = inst.GetTypedFunc<int64_t(int64_t, int64_t)>(store_, "count");
  ASSERT_TRUE(count.ok());
  store_.SetEpochDeadline(1'000'000);
  // Not enough fuel: the loop stops with the fuel trap, not a stack one.
  ASSERT_TRUE(store_.SetFuel(10'000).ok());
  Result<int64_t> r = count->Call(store_, kDeep, 0);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
  // Enough fuel: it finishes in constant stack.
  ASSERT_TRUE(store_.SetFuel(uint64_t{1} << 40).ok());
  r = count->Call(store_, kDeep, 0);
  ASSERT_TRUE(r.ok()) << r.trap().ToString();
  EXPECT_EQ(*r, 2 * kDeep);
  // A reached epoch deadline interrupts the loop at a function entry.
  store_.SetEpochDeadline(0);
  engine_.IncrementEpoch();
  r = count->Call(store_, kDeep, 0);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
}

TEST(TailCallConfigTest, DisabledFeatureIsAClearError) {
  Config config;
  config.wasm_features.tail_call = false;
  Engine engine(config);
  absl::StatusOr<Module> m = Module::FromWat(
      engine, "(module (func $f (return_call $f)))");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find(
                "return_call requires the tail-call feature, which is "
                "disabled"),
            std::string::npos)
      << m.status();
}

}  // namespace
}  // namespace kiln
