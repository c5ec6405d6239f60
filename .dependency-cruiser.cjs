// The layers of docs/layout.md ("Layers"), checked by `npm run lint`: a module imports only from its own layer or
// from layers below it (type-only imports too), and nothing imports in a circle.
const LAYERS = [
  // 1. Entry points, in their own order: the bench and scripts use the service, the service (demo) the starters,
  // and all of them the worker's factory.
  ['bench-and-scripts', '^(bench|scripts)/'],
  ['service', '^src/service/'],
  ['starters', '^src/starters/'],
  ['worker-entry', '^src/worker\\.ts$'],
  ['portal', '^src/portal/'],
  ['requests', '^src/requests/'],
  ['client-and-catalog', '^src/(client|catalog)/'],
  ['workflows', '^src/workflows/'],
  ['activities-fleet-secrets-codec', '^src/(activities|fleet|secrets|codec)/'],
  ['desired-state-and-policy', '^src/(desired-state|policy)/'],
  ['ops-api', '^src/ops-api/'],
  ['cloud-api', '^src/cloud-api/'],
  [
    'bottom',
    '^src/(shared/|certificates/|logger\\.ts$|config\\.ts$|shutdown-signals\\.ts$|temporal-binaries\\.ts$|telemetry\\.ts$)',
  ],
];

const upward = LAYERS.slice(1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} imports only from its own layer or below (docs/layout.md, "Layers")`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, above]) => above) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one: neither can be read, tested or moved alone',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'emulator-beside-the-stack',
      comment:
        "the emulator is a separate product: the wire contract (src/cloud-api), the bottom layer and the API's domain types only",
      severity: 'error',
      from: { path: '^src/emulator/' },
      to: {
        path: '^src/',
        pathNot: ['^src/emulator/', '^src/cloud-api/', LAYERS.at(-1)[1], '^src/ops-api/types\\.ts$'],
      },
    },
    {
      name: 'emulator-started-by-entry-points-only',
      comment:
        'only the entry points (the stack, the bench) run the emulator; the product never depends on it',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/emulator/', '^src/service/'] },
      to: { path: '^src/emulator/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    // Type-only imports are arrows too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: `${__dirname}/tsconfig.json` },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.cjs', '.json', '.d.ts'] },
  },
};
