// Runs a wasm32-wasi command under Node's WASI (node:wasi, preview1):
//   node --no-liftoff node_wasi_run.mjs PROGRAM.wasm [ARGS...]
// With --no-liftoff V8 compiles every function with TurboFan before it runs.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// Exit at once: letting Node tear down after a large wasm memory has been
// seen to crash it (SIGSEGV after the program finished, node 20).
process.exit(wasi.start(instance));
