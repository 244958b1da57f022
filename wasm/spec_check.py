#!/usr/bin/env python3
"""Checks //wasm:wasm_decode against the WebAssembly spec suite.

usage: spec_check.py WASM_DECODE TESTSUITE_DIR WORK_DIR [-v]

Converts every .wast with wast2json (wabt) into WORK_DIR, then requires:
every `module` (and the modules of assert_unlinkable/assert_uninstantiable)
decodes and validates; every binary assert_invalid / assert_malformed is
rejected. Prints disagreements and message mismatches (expected text not a
substring of the error); exits 1 on any disagreement.
"""
import glob
import json
import os
import subprocess
import sys


def main():
    decode, suite, work = sys.argv[1:4]
    verbose = '-v' in sys.argv[4:]
    cases = []
    wasts = sorted(glob.glob(os.path.join(suite, '*.wast')))
    if not wasts:
        print('no .wast files in', suite)
        return 1
    for wast in wasts:
        name = os.path.basename(wast)[:-5]
        out = os.path.join(work, name)
        os.makedirs(out, exist_ok=True)
        js = os.path.join(out, name + '.json')
        subprocess.run(['wast2json', wast, '-o', js], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in json.load(open(js))['commands']:
            t = c['type']
            if c.get('module_type', 'binary') != 'binary':
                continue
            path = os.path.join(out, c.get('filename', ''))
            if t in ('module', 'assert_unlinkable', 'assert_uninstantiable'):
                cases.append((name, c['line'], 'valid', path, None))
            elif t in ('assert_invalid', 'assert_malformed'):
                cases.append((name, c['line'], t, path, c['text']))
    r = subprocess.run([decode, '-'], input='\n'.join(c[3] for c in cases),
                       capture_output=True, text=True, check=True)
    res = {}
    for line in r.stdout.splitlines():
        p = line.split('\t')
        res[p[0]] = (p[1], p[2] if len(p) > 2 else '')
    bad = mism = 0
    for name, line, kind, path, text in cases:
        st, msg = res[path]
        if kind == 'valid' and st != 'ok':
            bad += 1
            print('should decode: %s.wast:%d: %s' % (name, line, msg))
        elif kind != 'valid' and st == 'ok':
            bad += 1
            print('should be rejected (%s "%s"): %s.wast:%d' %
                  (kind, text, name, line))
        elif kind != 'valid' and text not in msg:
            mism += 1
            if verbose:
                print('message: %s.wast:%d: expected "%s", got "%s"' %
                      (name, line, text, msg))
    print('%d files, %d binary modules, %d disagreements, '
          '%d message mismatches' % (len(wasts), len(cases), bad, mism))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
