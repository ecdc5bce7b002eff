import type { Tensor } from '@phys/tensor';

/** What `onStep` receives after each step of a sampler. */
export interface StepInfo {
  /** 0-based index of the step just finished (main steps and Restart steps count alike). */
  readonly step: number;
  /** Noise level reached by this step. */
  readonly sigma: number;
  /** Denoiser evaluations so far. */
  readonly nfe: number;
}

/** Options every sampler accepts. */
export interface SamplerOptions<C = unknown> {
  /** Progress callback, called after every step. */
  onStep?: (info: StepInfo) => void;
  /**
   * Cancels the run: the sampler rejects at once on `abort()`, even while a denoiser call is
   * pending, with the signal's reason (a DOMException named AbortError unless `abort(reason)` gave
   * one). Validated: anything but an AbortSignal or undefined is a ValueError.
   */
  signal?: AbortSignal;
  /** Conditioning passed to every denoiser call untouched. */
  cond?: C;
  /** Record the state after every step (for plots and curvature metrics). */
  trajectory?: boolean;
}

/** What every sampler returns. */
export interface SampleResult {
  /** The final samples. */
  readonly x: Tensor;
  /** Number of denoiser evaluations (each evaluates the whole batch once). */
  readonly nfe: number;
  /** States after each step, starting with the initial state, when `trajectory` was requested. */
  readonly trajectory?: readonly Tensor[];
  /** Noise level of each trajectory entry, when `trajectory` was requested. */
  readonly trajectorySigmas?: readonly number[];
}
