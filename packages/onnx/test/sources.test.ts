// The model sources one adapter accepts on every host (a path, a file: URL, a Uint8Array, an
// ArrayBuffer) give the same header and the same outputs; openSession's check runs before the
// session exists; runSession fills preallocated outputs; noiseKernel follows the model's kernel.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PhiloxRng, ValueError } from '@phys/tensor';
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { loadDenoiser, noiseKernel, openSession, ortTensor, readSourceHeader, runSession } from '../src/index.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/models/fashion-pfgmpp-d128.onnx');
const bytes = new Uint8Array(readFileSync(file));

describe('model sources', () => {
  const sources = {
    path: file,
    'file: URL': pathToFileURL(file),
    Uint8Array: bytes,
    ArrayBuffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };

  it('every source gives the same header and the same denoised batch', async () => {
    const x = new PhiloxRng(3).normal([2, 1, 28, 28], 'float32');
    const sigma = Float64Array.of(0.5, 2);
    let reference: Float32Array | undefined;
    for (const [kind, source] of Object.entries(sources)) {
      expect([kind, (await readSourceHeader(source)).metadata.get('phys.kind')]).toEqual([kind, 'denoiser']);
      const model = await loadDenoiser(source);
      try {
        expect(model.info.source).toBe(source instanceof Uint8Array || source instanceof ArrayBuffer ? '<bytes>' : String(source));
        const y = (await model(x, sigma)).data as Float32Array;
        if (reference === undefined) reference = y;
        else expect([kind, Array.from(y)]).toEqual([kind, Array.from(reference)]);
      } finally {
        await model.dispose();
      }
    }
  });

  it('rejects what is not a model source, and a missing file, with a ValueError naming it', async () => {
    await expect(openSession(42 as never)).rejects.toThrow(ValueError);
    await expect(openSession('/no/such/model.onnx')).rejects.toThrow(/no\/such\/model\.onnx/);
    await expect(openSession(new URL('https://example.invalid/model.onnx'))).rejects.toThrow(ValueError);
  });

  it("openSession's check sees the header first, and its error is the call's", async () => {
    const seen: string[] = [];
    await expect(
      openSession(bytes, {}, (header) => {
        seen.push(header.metadata.get('phys.kernel') ?? '');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(seen).toEqual(['pfgmpp']);
  });

  it('runSession leaves the result in a preallocated output', async () => {
    const { session, source } = await openSession(bytes);
    try {
      const x = new PhiloxRng(1).normal([1, 1, 28, 28], 'float32');
      const out = ortTensor('float32', new Float32Array(784), [1, 1, 28, 28]);
      const got = await runSession(session, source, { x: ortTensor('float32', x.data as Float32Array, [1, 1, 28, 28]), sigma: ortTensor('float32', Float32Array.of(1), [1]) }, { denoised: out });
      expect(got.denoised!.data).toBe(out.data);
      expect((out.data as Float32Array).some((v) => v !== 0)).toBe(true);
    } finally {
      await session.release();
    }
  });
});

describe('noiseKernel', () => {
  it("is the model's kernel, PFGM++ with another D when one is given", () => {
    expect(noiseKernel({ kind: 'pfgmpp', D: 128 })).toMatchObject({ name: pfgmppKernel({ D: 128 }).name, D: 128 });
    expect(noiseKernel({ kind: 'pfgmpp', D: 128 }, 2048).D).toBe(2048);
    expect(noiseKernel({ kind: 'edm', D: Infinity }).name).toBe(edmKernel().name);
    expect(noiseKernel({ kind: 'edm', D: Infinity }, 64).D).toBe(64);
  });
});
