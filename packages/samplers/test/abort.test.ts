// Every sampler races its AbortSignal against the pending model call: a denoiser (or field) that
// never resolves still ends in the signal's reason; model errors come back wrapped with the step and
// sigma (cause kept); signals are validated.
import { pfgmppKernel } from '@phys/kernels';
import { PhiloxRng, Tensor, ValueError, type Denoiser } from '@phys/tensor';
import {
  DenoiserError,
  ddimSample,
  dpmSolverSample,
  edmStochasticSample,
  eulerMaruyamaSample,
  eulerSample,
  heunSample,
  integrateRk45,
  odeLogLikelihood,
  pfgmEncode,
  pfgmLogLikelihood,
  pfgmSample,
  predictorCorrectorSample,
  restartSample,
  rk45Sample,
  type NormalizedField,
  type SampleResult,
} from '../src/index.js';
import { gaussianDenoiser } from './gaussian.js';

const x = (): Tensor => Tensor.from([3, -2, 1, 4], [2, 2], 'float64');
const sigmas = [10, 5, 2, 1, 0.5, 0];
const alphasBar = [0.01, 0.2, 0.6, 0.9];

/** A model that answers `good` calls, then hangs forever; `pending` counts the hanging calls. */
function hangingAfter(good: number): { denoiser: Denoiser; field: NormalizedField; pending: () => number } {
  let calls = 0;
  let pending = 0;
  const hang = <T>(answer: () => Promise<T>): Promise<T> => {
    if (calls++ < good) return answer();
    pending++;
    return new Promise<T>(() => undefined);
  };
  return {
    denoiser: (xx, s) => hang(() => gaussianDenoiser(xx, s)),
    field: (xx) => hang(() => Promise.resolve({ vx: xx.clone(), vz: new Float64Array(xx.rows).fill(1) })),
    pending: () => pending,
  };
}

type Run = (denoiser: Denoiser, field: NormalizedField, signal: unknown) => Promise<unknown>;

const rng = (): PhiloxRng => new PhiloxRng(3);
const RUNS: Record<string, Run> = {
  euler: (d, _f, signal) => eulerSample(d, x(), sigmas, { signal } as never),
  heun: (d, _f, signal) => heunSample(d, x(), sigmas, { signal } as never),
  'edm-sde': (d, _f, signal) => edmStochasticSample(d, x(), sigmas, { signal, rng: rng(), sChurn: 10 } as never),
  'euler-maruyama': (d, _f, signal) => eulerMaruyamaSample(d, x(), sigmas, { signal, rng: rng() } as never),
  'predictor-corrector': (d, _f, signal) => predictorCorrectorSample(d, x(), sigmas, { signal, rng: rng() } as never),
  ddim: (d, _f, signal) => ddimSample(d, x(), alphasBar, { signal } as never),
  dpm: (d, _f, signal) => dpmSolverSample(d, x(), sigmas, { signal } as never),
  restart: (d, _f, signal) => restartSample(d, x(), sigmas, { signal, rng: rng(), kernel: pfgmppKernel({ D: 4 }), levels: { '0': [2, 1, 1, 2] } } as never),
  rk45: (d, _f, signal) => rk45Sample(d, x(), { signal, sigmaMax: 10, sigmaMin: 0.5 } as never),
  'ode-likelihood': (d, _f, signal) => odeLogLikelihood(d, x(), { signal, rng: rng(), sigmaMin: 0.5, sigmaMax: 10 } as never),
  'pfgm-euler': (_d, f, signal) => pfgmSample(f, x(), { signal, solver: 'euler', steps: 8 } as never),
  'pfgm-rk45': (_d, f, signal) => pfgmSample(f, x(), { signal } as never),
  'pfgm-encode': (_d, f, signal) => pfgmEncode(f, x(), { signal, solver: 'euler', steps: 8 } as never),
  'pfgm-likelihood': (_d, f, signal) => pfgmLogLikelihood(f, x(), { signal, rng: rng() } as never),
};

describe.each(Object.entries(RUNS))('%s', (_name, run) => {
  it.each([0, 2])('rejects with an AbortError while call %i + 1 of the model hangs', async (good) => {
    const model = hangingAfter(good);
    const ac = new AbortController();
    const result = run(model.denoiser, model.field, ac.signal);
    // Wait until the sampler is stuck inside the hanging call, then abort.
    while (model.pending() === 0) await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    await expect(result).rejects.toMatchObject({ name: 'AbortError' });
    expect(model.pending()).toBe(1);
  });

  it('rejects with the reason given to abort() and does not call the model when aborted before', async () => {
    const model = hangingAfter(0);
    const ac = new AbortController();
    ac.abort(new Error('user stop'));
    await expect(run(model.denoiser, model.field, ac.signal)).rejects.toThrow('user stop');
    expect(model.pending()).toBe(0);
  });

  it.each([{}, 'yes', 1, null])('rejects signal %p with a ValueError naming it', async (signal) => {
    const model = hangingAfter(100);
    await expect(run(model.denoiser, model.field, signal)).rejects.toThrow(ValueError);
    await expect(run(model.denoiser, model.field, signal)).rejects.toThrow(/^signal: expected an AbortSignal/);
  });

  it('wraps a model error with the step and sigma and keeps it as the cause', async () => {
    const boom = new RangeError('boom');
    let calls = 0;
    const denoiser: Denoiser = (xx, s) => (++calls > 2 ? Promise.reject(boom) : gaussianDenoiser(xx, s));
    const field: NormalizedField = (xx) => {
      if (++calls > 2) throw boom; // synchronous throw, wrapped too
      return Promise.resolve({ vx: xx.clone(), vz: new Float64Array(xx.rows).fill(1) });
    };
    const error: unknown = await run(denoiser, field, undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DenoiserError);
    const e = error as DenoiserError;
    expect(e.cause).toBe(boom);
    expect(Number.isInteger(e.step) && e.step >= 0).toBe(true);
    expect(e.sigma).toBeGreaterThan(0);
    expect(e.message).toMatch(/failed at step \d+ \((sigma|z) = [\d.e+-]+\): RangeError: boom/);
  });
});

describe('integrateRk45', () => {
  it('rejects with the abort reason while f hangs, and validates f and the signal', async () => {
    const ac = new AbortController();
    let pending = 0;
    const f = (): Promise<Tensor[]> => {
      pending++;
      return new Promise(() => undefined);
    };
    const p = integrateRk45(f, 0, 1, [x()], { signal: ac.signal });
    while (pending === 0) await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await expect(integrateRk45(f, 0, 1, [x()], { signal: {} as AbortSignal })).rejects.toThrow(ValueError);
    await expect(integrateRk45(null as never, 0, 1, [x()])).rejects.toThrow(/^f: expected a function/);
  });

  it('keeps the result of a completed run (no spurious abort listeners left behind)', async () => {
    const ac = new AbortController();
    const r: SampleResult = await heunSample(gaussianDenoiser, x(), sigmas, { signal: ac.signal });
    ac.abort();
    expect(r.nfe).toBe(9);
  });
});
