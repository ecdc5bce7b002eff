import { PhysError } from '@phys/tensor';

/** Why a native backend cannot be used on this machine. */
export type UnavailableReason =
  /** No prebuilt or locally built addon for this platform (built only where nvcc was found). */
  | 'addon-not-built'
  /** The addon file exists but the process could not load it (wrong platform, damaged file). */
  | 'addon-load-failed'
  /** The NVIDIA driver (libcuda.so.1) is missing or too old for the CUDA runtime the addon carries. */
  | 'no-driver'
  /** The driver loaded but reports no usable CUDA device (or not the requested one). */
  | 'no-device'
  /** The device is older than the oldest architecture the addon was compiled for. */
  | 'compute-capability'
  /** The device was found but setting it up (stream, memory pool) failed. */
  | 'init-failed';

/**
 * A backend cannot run here. `reason` says which step failed and `detail` what was found; the
 * caller falls back to another backend (e.g. the CPU reference), nothing has crashed.
 */
export class BackendUnavailableError extends PhysError {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    readonly reason: UnavailableReason,
    readonly detail: string,
  ) {
    super(`${backend} backend unavailable (${reason.replace(/-/g, ' ')}): ${detail}`);
  }
}
