// serverless-esbuild's `plugins` option: it loads this file with require(), so the TypeScript
// plugin (tools/build/generated-modules.ts) comes in through tsx, once per process.
const { tsImport } = require('tsx/esm/api');

let loaded;
const load = () => (loaded ??= tsImport('../tools/build/generated-modules.ts', __filename));

module.exports = [
  {
    name: 'generated-modules',
    async setup(build) {
      const { generatedModulesEsbuild } = await load();
      return generatedModulesEsbuild().setup(build);
    },
  },
];
