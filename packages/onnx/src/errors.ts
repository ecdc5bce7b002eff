import { PhysError } from '@phys/tensor';

/** The file is not a readable ONNX `ModelProto` (truncated, not protobuf, no graph). */
export class ModelFormatError extends PhysError {
  override name = 'ModelFormatError';
  constructor(
    readonly source: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${source}: not a valid ONNX model (${reason} at byte ${offset})`);
  }
}

/** One mismatch between what a loader needs from a model and what the model declares. */
export interface SignatureProblem {
  /** Whether the problem is with a model input or output. */
  readonly role: 'input' | 'output';
  /** The tensor name that was expected (or the unexpected one found). */
  readonly name: string;
  /** What was expected, e.g. `float32 [B, 1, 28, 28]`, or `absent` for an unexpected input. */
  readonly expected: string;
  /** What the model declares, e.g. `float32 [B, 3, 32, 32]`, or `missing`. */
  readonly found: string;
}

/**
 * The model's inputs or outputs do not match what was asked (names, ranks, fixed dimensions,
 * element types). Thrown when a model is loaded, before the first call. The message lists every
 * problem (expected vs found) and the model's whole signature, so a wrong name is easy to spot.
 */
export class ModelSignatureError extends PhysError {
  override name = 'ModelSignatureError';
  constructor(
    readonly source: string,
    readonly problems: readonly SignatureProblem[],
    readonly signature: string,
  ) {
    super(
      `${source}: the model's inputs/outputs do not match what was asked:\n` +
        problems.map((p) => `  - ${p.role} '${p.name}': expected ${p.expected}, found ${p.found}`).join('\n') +
        `\nThe model declares:\n${signature}\n` +
        'Set the names with options (inputX, inputSigma, output, ...) or the phys.* metadata of the model.',
    );
  }
}
