import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { INCEPTION_PRESETS, preprocessForInception, type InceptionPreset } from '../src/index.js';

const golden = loadGolden('metrics/resize.json');
const keyOf: Record<InceptionPreset, string> = {
  'pytorch-fid': 'pytorch_fid',
  'torch-fidelity': 'torch_fidelity_tf1',
  'clean-fid': 'clean_fid_pil_bicubic',
  'torchmetrics-antialias': 'torchmetrics_antialias',
};

describe('Inception preprocessing presets (golden: the tensor fed to the first Inception conv)', () => {
  for (const c of golden.cases) {
    const input = c.input_u8_chw as number[][][];
    const image = { data: flat(input), channels: input.length, height: input[0]!.length, width: input[0]![0]!.length };
    const [oh, ow] = c.out_hw as [number, number];
    for (const preset of INCEPTION_PRESETS) {
      test(`${c.name} ${preset}: values atol 1e-5${c.outputs[keyOf[preset]].sum !== undefined ? ', sum_sq rtol 1e-5' : ''}`, () => {
        const got = preprocessForInception(image, preset, { height: oh, width: ow });
        const want = c.outputs[keyOf[preset]];
        if (Array.isArray(want)) {
          expectClose(got, flat(want), 0, 1e-5, `${preset} values`);
        } else {
          const pts = want.points_c_y_x as [number, number, number][];
          expectClose(
            pts.map(([ch, y, x]) => got[ch * oh * ow + y * ow + x]!),
            want.values,
            0,
            1e-5,
            `${preset} sampled values`,
          );
          let sum = 0;
          let sumSq = 0;
          for (const v of got) {
            sum += v;
            sumSq += v * v;
          }
          expectClose([sumSq], [want.sum_sq], 1e-5, 0, `${preset} sum_sq`);
          expectClose([sum], [want.sum], 0, 1e-5 * got.length, `${preset} sum`);
        }
      });
    }
  }

  test('grey images are replicated to 3 channels; bad input names the argument', () => {
    const out = preprocessForInception({ data: [0, 255, 255, 0], channels: 1, height: 2, width: 2 }, 'pytorch-fid', { height: 2, width: 2 });
    expect(Array.from(out)).toEqual([-1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1]);
    expect(preprocessForInception({ data: new Uint8Array(3 * 8 * 8), channels: 3, height: 8, width: 8 }).length).toBe(3 * 299 * 299);
    expect(() => preprocessForInception({ data: [1, 2, 3], channels: 1, height: 2, width: 2 })).toThrow(/image.data/);
    expect(() => preprocessForInception({ data: [1], channels: 1, height: 1, width: 1 }, 'bogus' as InceptionPreset)).toThrow(/preset/);
  });
});
