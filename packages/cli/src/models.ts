import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Folder of the models shipped with @phys/cli (`models/` beside `dist/`). */
export const modelsDir = fileURLToPath(new URL('../models/', import.meta.url));

/** The shipped Fashion-MNIST PFGM++ (D = 128) denoiser: `phys sample`'s default model. */
export const defaultDenoiserPath = `${modelsDir}fashion-pfgmpp-d128.onnx`;

/** The shipped Fashion-MNIST classifier whose penultimate features `phys eval` uses. */
export const defaultClassifierPath = `${modelsDir}fashion-classifier.onnx`;

/** Feature statistics (pytorch-fid .npz: mu, sigma) of the 10k Fashion-MNIST test images under the shipped classifier. */
export const defaultReferenceStatsPath = `${modelsDir}fashion-test-features.npz`;

/** Throws a one-line error when a model file is missing or is not a file (a folder, say). */
export function requireFile(file: string, what: string): string {
  if (!existsSync(file)) throw new Error(`${what} not found: ${file}`);
  if (!statSync(file).isFile()) throw new Error(`${what} is not a file: ${file}`);
  return file;
}
