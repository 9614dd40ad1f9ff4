/**
 * The layers, enforced (`npm run lint:layers`, part of `npm test`). Imports point one way:
 *
 *   shared  <-  model  <-  training, inference  <-  main  <-  cli
 *                                  convert (build-time tooling: never imported by the app)
 *   renderer -> shared's zod-free, node-free modules only (types from the contract)
 *
 * Every rule names the layer it protects; docs/architecture.md explains them.
 */
const layer = (name) => `^src/${name}/`;
const forbidUp = (from, allowed) => ({
  name: `${from}-imports-only-${allowed.join('-')}`,
  comment: `src/${from} may import only ${allowed.map((a) => `src/${a}`).join(', ')} (and packages)`,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: '^src/', pathNot: allowed.map(layer) },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle between files (and so none between folders).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      comment: 'No cycle of type-only imports either: one definition per type, owned by one layer.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    forbidUp('shared', ['shared']),
    forbidUp('model', ['shared', 'model']),
    forbidUp('training', ['shared', 'model', 'training']),
    forbidUp('inference', ['shared', 'model', 'inference']),
    forbidUp('convert', ['shared', 'model', 'inference', 'convert']),
    forbidUp('main', ['shared', 'model', 'training', 'inference', 'main']),
    forbidUp('cli', ['shared', 'model', 'training', 'inference', 'main', 'cli']),
    {
      name: 'app-never-imports-build-tooling',
      comment: 'src/convert (encoder converters, quantizer, calibration) runs at install and by maintainers, never in the app.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/convert/' },
      to: { path: '^src/convert/' },
    },
    {
      name: 'renderer-sees-only-shared',
      comment: 'The renderer talks to the core only through the contract: it may import src/shared, nothing else of src.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/', pathNot: ['^src/renderer/', '^src/shared/'] },
    },
    {
      name: 'nothing-imports-the-renderer',
      comment: 'The renderer is a leaf: the core serves its built files, it never imports them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/renderer/' },
      to: { path: '^src/renderer/' },
    },
    {
      name: 'renderer-contract-types-only',
      comment: 'The contract module carries zod: the renderer takes only its types (values come from zod-free modules).',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { path: '^src/shared/api-contract\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer runs in a sandboxed page: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a package that is not installed, a path that moved).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-packages',
      comment: 'Every package src imports is declared in package.json.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|models)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
