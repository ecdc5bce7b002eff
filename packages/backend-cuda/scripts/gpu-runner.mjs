// A minimal jest-compatible runner for the GPU machine, which has Node but no node_modules: it
// defines describe / it / expect (the matchers the reference suites use), imports one compiled test
// file, runs its tests in order and exits 1 when one fails. Usage: node gpu-runner.mjs <test.js>
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, inspect } from 'node:util';

const tests = [];
const hooks = { beforeAll: [], afterAll: [] };
const stack = [];
const full = (name) => [...stack, name].join(' > ');
const format = (name, args) => {
  let i = 0;
  return name.replace(/%[sdp]/g, () => String(args[i++]));
};

const describe = (name, fn) => {
  stack.push(name);
  fn();
  stack.pop();
};
describe.each = (table) => (name, fn) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    describe(format(name, args), () => fn(...args));
  }
};
describe.skip = (name) => tests.push({ name: full(name), skip: true });
const it = (name, fn) => tests.push({ name: full(name), fn });
it.skip = (name) => tests.push({ name: full(name), skip: true });
it.each = (table) => (name, fn) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    it(format(name, args), () => fn(...args));
  }
};

/** Jest's toEqual for the values the suites compare: Object.is on numbers (so -0 !== 0), NaN equals NaN. */
function equal(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && Object.getPrototypeOf(a) === Object.prototype) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return isDeepStrictEqual(a, b);
}

function expect(actual) {
  const fail = (what) => {
    throw new Error(`expect(${inspect(actual, { maxArrayLength: 8 })}) ${what}`);
  };
  const m = {
    toBe: (e) => Object.is(actual, e) || fail(`toBe ${inspect(e)}`),
    toEqual: (e) => equal(actual, e) || fail(`toEqual ${inspect(e, { maxArrayLength: 8 })}`),
    toBeCloseTo: (e, digits = 2) => Math.abs(actual - e) < 10 ** -digits / 2 || fail(`toBeCloseTo ${e} (${digits} digits)`),
    toBeLessThan: (e) => actual < e || fail(`toBeLessThan ${e}`),
    toBeLessThanOrEqual: (e) => actual <= e || fail(`toBeLessThanOrEqual ${e}`),
    toBeGreaterThan: (e) => actual > e || fail(`toBeGreaterThan ${e}`),
    toBeGreaterThanOrEqual: (e) => actual >= e || fail(`toBeGreaterThanOrEqual ${e}`),
    toBeInstanceOf: (c) => actual instanceof c || fail(`toBeInstanceOf ${c.name}`),
    toContain: (e) => actual.includes(e) || fail(`toContain ${inspect(e)}`),
    toMatch: (re) => (typeof re === 'string' ? actual.includes(re) : re.test(actual)) || fail(`toMatch ${re}`),
    toBeUndefined: () => actual === undefined || fail('toBeUndefined'),
    toThrow: (e) => {
      let thrown;
      try {
        actual();
      } catch (err) {
        thrown = err ?? new Error('undefined thrown');
      }
      if (!thrown) fail('toThrow: nothing was thrown');
      if (e === undefined) return true;
      if (typeof e === 'function') return thrown instanceof e || fail(`toThrow ${e.name}, threw ${thrown}`);
      const msg = String(thrown.message);
      return (typeof e === 'string' ? msg.includes(e) : e.test(msg)) || fail(`toThrow ${e}, threw ${thrown}`);
    },
  };
  return m;
}

Object.assign(globalThis, { describe, it, test: it, expect, beforeAll: (f) => hooks.beforeAll.push(f), afterAll: (f) => hooks.afterAll.push(f) });

const file = process.argv[2];
if (!file) {
  console.error('usage: node gpu-runner.mjs <compiled test file>');
  process.exit(2);
}
await import(pathToFileURL(path.resolve(file)).href);
for (const h of hooks.beforeAll) await h();
const count = { passed: 0, failed: 0, skipped: 0 };
for (const t of tests) {
  if (t.skip) {
    count.skipped++;
    console.log(`  skipped  ${t.name}`);
    continue;
  }
  const t0 = performance.now();
  try {
    await t.fn();
    count.passed++;
    console.log(`  ok       ${t.name} (${(performance.now() - t0).toFixed(0)} ms)`);
  } catch (e) {
    count.failed++;
    console.log(`  FAILED   ${t.name}\n           ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n           ')}`);
  }
}
for (const h of hooks.afterAll) await h();
console.log(`tests: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`);
process.exit(count.failed > 0 || count.passed === 0 ? 1 : 0);
