// Types of a module produced inside each build (lib/build/generated-modules.ts, lib/docs/build.ts).
import type { DocsAssetKey } from './build.js';
import type { EmbeddedFile } from './embedded.js';

/** The documentation pages' scripts and stylesheet, under content-hashed names. */
export declare const DOCS_ASSETS: { readonly [K in DocsAssetKey]: { readonly name: string; readonly file: EmbeddedFile } };
