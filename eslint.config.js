import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', 'tools/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/prefer-for-of': 'off',
    },
  },
  {
    // No import cycle anywhere (type-only imports included): the layering of docs/fast-path.md.
    // Sources import siblings as './x.js' (NodeNext), which resolves to './x.ts'.
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // AssemblyScript kernels (packages/tensor/assembly): type-checked against AssemblyScript's own
    // declarations (assembly/tsconfig.json extends assemblyscript/std/assembly.json). Its function
    // decorators (`@inline`) are not TypeScript: the parser keeps them in the tree instead of
    // failing (`allowInvalidAST`), and tsc's error on them is expected (`@ts-expect-error`).
    // Casts such as `<usize>n` or `<f64>x` convert in AssemblyScript (i32, usize, f64 are all
    // `number` to TypeScript), so they are never unnecessary; a type parameter used only in the
    // body (`sizeof<T>() == 4`) selects the float32 or float64 variant at compile time.
    files: ['**/assembly/**/*.ts'],
    languageOptions: { parserOptions: { allowInvalidAST: true } },
    rules: {
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
