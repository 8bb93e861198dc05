// serverless-esbuild's `plugins` option: it loads this file with require() and, as it exports a
// function, calls it with the serverless instance (whose variables are resolved by then).
// The TypeScript plugin (tools/build/generated-modules.ts) comes in through tsx, once per process.
const { tsImport } = require('tsx/esm/api');

let loaded;
const load = () => (loaded ??= tsImport('../tools/build/generated-modules.ts', __filename));

module.exports = (serverless) => [
  {
    name: 'generated-modules',
    async setup(build) {
      const { generatedModulesEsbuild } = await load();
      return generatedModulesEsbuild().setup(build);
    },
  },
  {
    // A stage on Upstash REST (UPSTASH_REDIS_REST_URL, which wins over REDIS_URL) never loads
    // ioredis, the TCP path's client: left out, it is neither bundled nor zipped (~44 KB of every
    // Redis function's zip, docs/redis-transports.md). Read from the functions' own environment,
    // so the bundle and the runtime always agree; a REDIS_URL stage (local, ElastiCache) keeps it.
    name: 'redis-transport',
    setup(build) {
      if (!serverless?.service?.provider?.environment?.UPSTASH_REDIS_REST_URL) return;
      build.onResolve({ filter: /^ioredis$/ }, (args) => ({ path: args.path, external: true }));
    },
  },
];
