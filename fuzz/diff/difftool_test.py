#!/usr/bin/env python3
"""Unit tests of difftool's parsers and comparison (no engines needed)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difftool as d  # noqa: E402


def sigs(exports):
    """ModuleSigs with one exported function per (name, results)."""
    types = [([], results) for _, results in exports]
    return d.ModuleSigs(types, [], list(range(len(exports))),
                        [(name, 0, i) for i, (name, _) in enumerate(exports)])


class BinaryenParseTest(unittest.TestCase):
    def test_i64_log_is_split_low_high(self):
        # binaryen 108 logs an i64 as two i32 words: 0xff00000000000001.
        out = ("[fuzz-exec] calling f\n"
               "[LoggingExternalInterface logging 1 -16777216]\n")
        trace = d.parse_binaryen(out, sigs([("f", [])]), [["i64"]])
        self.assertEqual(trace[1], ("log", ["i64:ff00000000000001"]))

    def test_tuple_result_with_v128_and_wrapped_i64(self):
        out = ("[fuzz-exec] calling f\n[fuzz-exec] note result: f => "
               "(-18446744073709551615, i32x4 0x00000001 0x00000002 "
               "0x00000003 0xffffffff, -nan:0x7fffe7, 1.e+300)\n")
        trace = d.parse_binaryen(
            out, sigs([("f", ["i64", "v128", "f32", "f64"])]), [])
        self.assertEqual(trace[1], ("result", [
            "i64:0000000000000001",
            "v128:00000001_00000002_00000003_ffffffff",
            "f32:ffffffe7", "f64:7e37e43c8800759c"]))

    def test_traps_before_and_after_instantiation(self):
        out = ("[trap out of bounds memory access in memory.init]\n")
        trace = d.parse_binaryen(out, sigs([]), [])
        self.assertEqual(trace[0][0], "instantiate-trap")
        self.assertEqual(trace[0][1], {"mem"})
        out = "[fuzz-exec] calling f\n[trap i32.truncSFloat overflow]\n"
        trace = d.parse_binaryen(out, sigs([("f", ["i32"])]), [])
        self.assertEqual(trace[1][1], {"int_overflow"})


class CompareTest(unittest.TestCase):
    def test_any_nan_equals_any_nan(self):
        self.assertTrue(d.tokens_equal("f32:7fc00000", "f32:ffc00001"))
        self.assertTrue(d.tokens_equal("f64:7ff8000000000000", "f64:nan"))
        self.assertFalse(d.tokens_equal("f32:7fc00000", "f32:7f800000"))
        self.assertFalse(d.tokens_equal("f32:00000000", "f32:80000000"))
        self.assertFalse(d.tokens_equal("i32:7fc00000", "i32:ffc00000"))

    def test_v128_nan_lanes(self):
        self.assertTrue(d.tokens_equal(
            "v128:7fc00000_00000001_00000002_00000003",
            "v128:ffc00000_00000001_00000002_00000003"))
        self.assertFalse(d.tokens_equal(
            "v128:7fc00000_00000001_00000002_00000003",
            "v128:7fc00000_00000001_00000002_00000004"))

    def test_trap_kinds_intersect(self):
        v8 = ("trap", d.trap_kinds(d.V8_TRAPS,
                                   "float unrepresentable in integer range"),
              "")
        self.assertTrue(d.events_equal(("trap", {"bad_conv"}, ""), v8))
        self.assertTrue(d.events_equal(("trap", {"int_overflow"}, ""), v8))
        self.assertFalse(d.events_equal(("trap", {"mem"}, ""), v8))
        self.assertTrue(d.events_equal(("trap", {"mem"}, ""),
                                       ("trap", d.ANY, "?")))

    def test_first_difference(self):
        a = [("call", "f"), ("result", ["i32:00000001"])]
        b = [("call", "f"), ("result", ["i32:00000002"])]
        self.assertEqual(d.first_difference(a, b)[0], 1)
        self.assertIsNone(d.first_difference(a, list(a)))
        self.assertEqual(d.first_difference(a, a[:1])[0], 1)


MODULE = """(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (func (export "f") (result i64) (call $log (i32.const 7)) (i64.const -2))
  (func (export "g") (result i32) (i32.div_s (i32.const 1) (i32.const 0))))
"""

GOOD_V8 = """call f
log i32:00000007
result i64:fffffffffffffffe
call g
trap divide by zero
"""


@unittest.skipUnless(os.environ.get("KILN_DIFF_RUNNER"),
                     "needs KILN_DIFF_RUNNER (diff_smoke_test sets it)")
class EndToEndTest(unittest.TestCase):
    """The comparison must catch an oracle that disagrees with Kiln (here a
    forged V8 trace), so a broken comparer cannot pass silently."""

    def verdict(self, v8_output):
        import tempfile
        work = tempfile.mkdtemp()
        wat = os.path.join(work, "m.wat")
        with open(wat, "w") as f:
            f.write(MODULE)
        tools = d.Tools(kiln=os.environ["KILN_DIFF_RUNNER"],
                        oracles=("v8-liftoff",))
        wasm = d._wat_to_wasm(wat, work, 60)
        return d.compare_case(wasm, tools, d.kiln_runs([wasm], tools, work)[0],
                              {"v8-liftoff": v8_output})

    def test_agreeing_oracle_matches(self):
        self.assertEqual(self.verdict(GOOD_V8).status, "match")

    def test_wrong_value_trap_or_missing_event_is_a_mismatch(self):
        for bad in (GOOD_V8.replace("fffffffe", "fffffffd"),
                    GOOD_V8.replace("divide by zero", "unreachable"),
                    GOOD_V8.replace("log i32:00000007\n", "")):
            v = self.verdict(bad)
            self.assertEqual(v.status, "mismatch", bad)
            self.assertTrue(v.signature.startswith("v8-liftoff:"))


class BatchTest(unittest.TestCase):
    def test_split_files(self):
        out = "== file a\nx\ny\n== file b\n== file c\nz\n"
        self.assertEqual(d.split_files(out, ["a", "b", "c"]),
                         ["x\ny\n", "", "z\n"])
        self.assertEqual(d.split_files(out, ["a", "d"]), ["x\ny\n", None])
        # One file: no header.
        self.assertEqual(d.split_files("x\n", ["a"]), ["x\n"])

    def test_shards(self):
        self.assertEqual(d._shards(list(range(5)), 2), [[0, 1, 2], [3, 4]])
        self.assertEqual(d._shards([1], 4), [[1]])
        self.assertEqual(d._shards([], 2), [])

    @unittest.skipUnless(os.environ.get("KILN_DIFF_RUNNER"),
                         "needs KILN_DIFF_RUNNER (diff_smoke_test sets it)")
    def test_batched_kiln_run_is_each_file_alone(self):
        import tempfile
        work = tempfile.mkdtemp()
        paths = []
        for k, body in enumerate(["(i32.const 1)", "(unreachable)",
                                  "(i32.const 3)"]):
            wat = os.path.join(work, f"m{k}.wat")
            with open(wat, "w") as f:
                f.write(f'(module (func (export "f") (result i32) {body}))')
            paths.append(wat)
        wasms = []
        for k, wat in enumerate(paths):
            sub = os.path.join(work, str(k))
            os.mkdir(sub)
            wasms.append(d._wat_to_wasm(wat, sub, 60))
        tools = d.Tools(kiln=os.environ["KILN_DIFF_RUNNER"],
                        configs="default,noopt")
        batched = d.kiln_runs(wasms, tools, work)
        for wasm, proc in zip(wasms, batched):
            alone = d.kiln_runs([wasm], tools, work)[0]
            self.assertEqual(proc.stdout, alone.stdout)
        self.assertIn("trap unreachable", batched[1].stdout)


if __name__ == "__main__":
    unittest.main()
