// Restart presets: typed names, and each preset carries the kernel of the model it was tuned for,
// so spreading it into restartSample makes that kernel's forward jumps (thesis Alg. 9 lines 10-11).
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { edmKernel, edmSchedule, pfgmppKernel } from '@phys/kernels';
import { isRestartPresetName, restartPresets, restartSample, type RestartPresetName } from '../src/index.js';

describe('restartPresets', () => {
  it('names ImageNet-64 settings by their NFE and gives each preset its model kernel', () => {
    const names = Object.keys(restartPresets) as RestartPresetName[];
    expect(names).toHaveLength(15);
    for (const name of names) {
      const p = restartPresets[name];
      if (name.startsWith('imagenet64-edm-')) expect([name, p.kernel.name]).toEqual([`imagenet64-edm-nfe${p.nfe}`, 'edm']);
      else if (name.startsWith('cifar10-vp-')) expect([name, p.kernel.name]).toEqual([name, 'vp']);
      expect([name, p.D]).toEqual([name, Number.isFinite(p.kernel.D) ? p.kernel.D : undefined]);
    }
    expect(restartPresets['cifar10-edm'].kernel).toBe(edmKernel());
    expect(restartPresets['cifar10-pfgmpp'].kernel.D).toBe(2048);
  });

  it('checks names from outside the program', () => {
    expect(isRestartPresetName('cifar10-pfgmpp')).toBe(true);
    expect(isRestartPresetName('cifar10-edn')).toBe(false);
    expect(isRestartPresetName('toString')).toBe(false);
    // @ts-expect-error a misspelt name does not compile
    const typo: unknown = restartPresets['cifar10-edn'];
    expect(typo).toBeUndefined();
  });

  it('runs the PFGM++ preset with PFGM++ (D = 2048) forward jumps when spread as is', async () => {
    const p = restartPresets['cifar10-pfgmpp'];
    const identity: Denoiser = (x) => Promise.resolve(x.clone());
    const x0 = Tensor.from(Array.from({ length: 32 }, (_, i) => Math.sin(i)), [4, 8], 'float64');
    const sigmas = edmSchedule({ steps: p.steps });
    const run = async (kernel?: ReturnType<typeof pfgmppKernel> | ReturnType<typeof edmKernel>): Promise<number[]> => {
      const options = kernel === undefined ? { ...p, rng: new PhiloxRng(7) } : { ...p, kernel, rng: new PhiloxRng(7) };
      return Array.from((await restartSample(identity, x0, sigmas, options)).x.data);
    };
    const spread = await run();
    // Same draws, same jumps: bit-identical to naming the PFGM++ kernel, not to EDM's Gaussian jump.
    expect(spread).toEqual(await run(pfgmppKernel({ D: 2048 })));
    expect(spread).not.toEqual(await run(edmKernel()));
  });
});
