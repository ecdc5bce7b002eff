// End-to-end test of the sampling page (examples/web), run by `npm run test:e2e` after the page is
// built (examples/web/dist): serves dist/ with `vite preview` (the COOP/COEP headers) on
// localhost, drives Debian's Chromium through playwright-core (installed with apt-get when
// missing; no browser download), samples 16 images, downloads the PNG, runs `phys sample` with
// the same settings in Node and compares the two grids pixel by pixel; saves a screenshot and a
// report.json in examples/web/e2e-output/ (ignored by git). Exit code 0 when all holds.
//
// Tolerance: Philox draws, the schedule and every sampler update run the same code (the same
// WebAssembly kernels) in both; the network does not: onnxruntime-node's native CPU kernels and
// onnxruntime-web's WebAssembly kernels round differently (float32 sums in another order), so
// the images agree to within TOLERANCE_LEVELS of the 255 levels of the PNG, not bit for bit.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const outDir = path.join(here, '..', 'e2e-output');
const CHROMIUM = process.env.PHYS_E2E_CHROMIUM ?? '/usr/bin/chromium';
/** Largest difference between a page pixel and the CLI's, in 8-bit levels. */
const TOLERANCE_LEVELS = 2;
/** The settings of the run (the page's form; `phys sample` gets the same through cliArguments). */
const SETTINGS = { sampler: 'heun', seed: 7, steps: 18, count: 16, microBatch: 16, pg: 0 };
const CLI_ARGS = ['--sampler', 'heun', '--seed', '7', '-n', '16', '--micro-batch', '16', '--steps', '18'];

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
const checks = [];
const check = (what, ok, detail = '') => {
  checks.push(ok);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
};

/** Debian's chromium, installed with apt-get when it is missing (CI: a fresh machine, run as root). */
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log(`e2e: ${CHROMIUM} is missing; installing Debian's chromium with apt-get`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']]) {
    const cmd = [...sudo, ...args];
    const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) throw new Error(`e2e: '${cmd.join(' ')}' failed (exit ${r.status}); install chromium or set PHYS_E2E_CHROMIUM`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`e2e: apt-get installed chromium but ${CHROMIUM} does not exist`);
}

ensureChromium();
if (!existsSync(path.join(here, '..', 'dist', 'index.html'))) throw new Error('e2e: examples/web/dist is missing: npm run web:build -w @phys/examples first');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const { decodePng } = await import(path.join(root, 'packages/cli/dist/png-decode.js'));
const server = await preview({ configFile: path.join(here, '..', 'vite.config.ts'), logLevel: 'warn', preview: { host: '127.0.0.1', port: 4173, strictPort: false } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const report = { url, chromium: browser.version(), settings: SETTINGS, tolerance: `${TOLERANCE_LEVELS} of 255 levels per pixel` };
try {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1100, height: 1100 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
  report.backend = await page.evaluate(() => document.body.dataset.backend);
  check('the page loads the WebAssembly backend', (await page.evaluate(() => document.body.dataset.state)) === 'ready', await page.textContent('#status'));
  check('the page is cross-origin isolated (threads)', await page.evaluate(() => crossOriginIsolated), report.backend);

  // Cancel: start a long run (Restart, 400 main steps), cancel it, and the page says so.
  await page.selectOption('#sampler', 'restart:cifar10-pfgmpp');
  await page.fill('#steps', '400');
  await page.fill('#count', '4');
  await page.fill('#micro-batch', '4');
  await page.click('#sample');
  await page.waitForFunction(() => Number(document.querySelector('progress')?.value) > 0, null, { timeout: 120_000 });
  await page.click('#cancel');
  await page.waitForFunction(() => document.body.dataset.state !== 'sampling', null, { timeout: 60_000 });
  check('Cancel stops a run', (await page.evaluate(() => document.body.dataset.state)) === 'cancelled', await page.textContent('#status'));

  await page.selectOption('#sampler', SETTINGS.sampler);
  await page.fill('#seed', String(SETTINGS.seed));
  await page.fill('#steps', String(SETTINGS.steps));
  await page.fill('#count', String(SETTINGS.count));
  await page.fill('#micro-batch', String(SETTINGS.microBatch));
  await page.fill('#pg', String(SETTINGS.pg));
  await page.click('#sample');
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 300_000 });
  const status = await page.textContent('#status');
  check('the page samples 16 images', (await page.evaluate(() => document.body.dataset.state)) === 'done', status);
  report.pageSeconds = Number(await page.getAttribute('#status', 'data-seconds'));
  report.nfe = Number(await page.getAttribute('#status', 'data-nfe'));
  check('the page names the same phys sample command', status.includes(`phys sample ${CLI_ARGS.join(' ')}`), status.split('\n')[1]);
  await page.waitForFunction(() => (document.getElementById('labels')?.textContent ?? '') !== '', null, { timeout: 60_000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const pagePng = path.join(outDir, 'page.png');
  await download.saveAs(pagePng);
  await page.screenshot({ path: path.join(outDir, 'screenshot.png'), fullPage: true });
  check('no errors in the page', errors.length === 0, errors.join(' | '));

  // The same settings through the CLI.
  const cliPng = path.join(outDir, 'cli.png');
  const cli = JSON.parse(execFileSync(process.execPath, [path.join(root, 'packages/cli/bin/phys.js'), 'sample', ...CLI_ARGS, '--out', cliPng, '--json', '--quiet'], { cwd: root, encoding: 'utf8' }));
  report.cliSeconds = cli.wallSeconds;
  const a = decodePng(readFileSync(pagePng));
  const b = decodePng(readFileSync(cliPng));
  check('the grids have the same size', a.width === b.width && a.height === b.height, `${a.width}x${a.height} vs ${b.width}x${b.height}`);
  let maxDiff = 0;
  let differing = 0;
  const histogram = {};
  for (let p = 0; p < b.width * b.height; p++) {
    const d = Math.abs(a.data[p * a.channels] - b.data[p * b.channels]);
    if (d > 0) differing++;
    histogram[d] = (histogram[d] ?? 0) + 1;
    maxDiff = Math.max(maxDiff, d);
  }
  report.pixels = b.width * b.height;
  report.differingPixels = differing;
  report.maxDifferenceLevels = maxDiff;
  report.differenceHistogram = histogram;
  check(`the page's images match phys sample's within ${TOLERANCE_LEVELS} levels`, maxDiff <= TOLERANCE_LEVELS, `max ${maxDiff}, ${differing} of ${report.pixels} pixels differ`);
} finally {
  await browser.close();
  await server.close();
}
report.totalSeconds = Number(elapsed());
writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`e2e: page ${report.pageSeconds} s, phys sample ${report.cliSeconds?.toFixed(1)} s (NFE ${report.nfe}); report and screenshot in ${path.relative(root, outDir)}/ (${elapsed()} s)`);
const failed = checks.filter((ok) => !ok).length;
console.log(`e2e: ${checks.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
