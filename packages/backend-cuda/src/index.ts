export { BackendUnavailableError } from './errors.js';
export type { UnavailableReason } from './errors.js';
export { CUBLAS_CANDIDATES, CudaBackend, CudaTensor, createCudaBackend, isDeviceResident } from './backend.js';
export type { CudaBackendOptions, TransferStats } from './backend.js';
export { MIN_COMPUTE_CAPABILITY, defaultAddonPath, loadAddon, selectDevice } from './loader.js';
export type { CudaAddon, CudaDeviceInfo, CudaProbe } from './loader.js';
