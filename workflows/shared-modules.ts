// Preloaded last by the worker (worker/sandbox.ts), after zod and the domain modules: marks their
// module records as done, so the SDK's deep freeze of shared modules passes them by.
//
// Why: the SDK deep-freezes every preloaded module, so that no workflow can change state another
// workflow sees. zod 4 builds each schema's members (`parse`, `safeParse`, its internals) on first
// read and stores them on the schema — on a frozen schema that throws. Those first reads give every
// workflow the same value (a bound method, a compiled parser), so sharing them is no leak; our
// domain modules keep no state at all (rules, constants and schemas). A record frozen shallowly
// here is skipped by the SDK's freeze (it stops at a frozen object), and its exports stay writable.
// webpack's module factories (by module id) and the SDK's module cache (shared modules first).
declare const __webpack_modules__: Record<string, unknown>;
const cache = (globalThis as unknown as { __webpack_module_cache__: Record<string, object | undefined> }).__webpack_module_cache__;

let sealed = 0;
for (const id of Object.keys(__webpack_modules__)) {
  // Only preloaded modules are in the cache yet (no workflow exists), each loaded in full by now:
  // this module is preloaded after them.
  const record = cache[id];
  // ./domain/x.ts from sources, ./dist/domain/x.js in the build
  if (record && (id.includes('/node_modules/zod/') || /(^|\/)domain\/[^/]+\.[jt]s$/.test(id))) {
    Object.freeze(record);
    sealed += 1;
  }
}

export const sealedModules = sealed;

// Frames kept per stack trace in the workflow sandbox: 6, not V8's 10. The SDK captures a stack for
// every promise a workflow makes (for the `__stack_trace` query, the Web UI's "Stack Trace" tab) and
// maps each frame through the bundle's source map: on a replay of a lead's stored histories that was
// a quarter of the CPU — 80–84 ms a replay with 10 frames, 62–65 with 6 (README, "Performance"). The
// frames dropped are the deepest; the trace still names the line where the lead waits
// (test/workflows/stack-trace.test.ts). Set here, before the SDK freezes the sandbox's globals.
Error.stackTraceLimit = 6;
