// The sampling page (examples/web): `npm run web` serves it, `npm run web:build` writes dist/.
// Both servers send the two headers that make the page cross-origin isolated, so
// SharedArrayBuffer exists and @phys/tensor's WebAssembly backend runs threaded.
import { defineConfig } from 'vite';

const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  // These locate their WebAssembly modules and workers next to their own files
  // (new URL(..., import.meta.url)): served as they are, not pre-bundled.
  optimizeDeps: { exclude: ['onnxruntime-web', '@phys/tensor', '@phys/onnx'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
    // onnxruntime-web starts its threads' workers from its own module (import.meta.url): it keeps a
    // chunk of its own, so a worker loads onnxruntime-web and not the page.
    rolldownOptions: { output: { advancedChunks: { groups: [{ name: 'onnxruntime-web', test: /node_modules[\\/]onnxruntime-web[\\/]/ }] } } },
  },
  worker: { format: 'es' },
});
