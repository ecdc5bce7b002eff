// The Node host of @phys/onnx: onnxruntime-node, model files read by path (onnxruntime opens the
// path itself, so external weight files next to the model resolve), os.availableParallelism.
// Chosen by the default condition of "#onnx-platform".
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ValueError } from '@phys/tensor';
import { readModelHeaderFromFile } from '../model-file.js';
import type { OnnxPlatform } from './types.js';

export const platform: OnnxPlatform = {
  name: 'node',
  ort,
  writesPreallocatedOutputs: true,
  cpuCount: () => availableParallelism(),
  async resolveModel(source) {
    let path: string;
    try {
      path = typeof source === 'string' ? source : fileURLToPath(source);
    } catch {
      throw new ValueError('model', String(source), 'a file path, a file: URL or the bytes of an ONNX model');
    }
    let modelBytes: number;
    try {
      modelBytes = (await stat(path)).size;
    } catch {
      throw new ValueError('model', path, 'an existing ONNX file (not found or not readable)');
    }
    return { model: path, header: await readModelHeaderFromFile(path), modelBytes };
  },
  yieldTurn: () => Promise.resolve(),
  sessionDefaults: (threads) => ({ intraOpNumThreads: threads }),
};
