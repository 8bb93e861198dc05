// Types of a module produced inside each build (tools/build/generated-modules.ts, tools/build/sources.ts).
import type { EmbeddedFile } from './embedded.js';

/** The keys the page code uses; tools/build/sources.ts embeds one file under each. */
export type DocsAssetKey = 'swaggerUiJs' | 'swaggerUiCss' | 'swaggerInitializer' | 'redocJs';

/** The documentation pages' scripts and stylesheet, under content-hashed names. */
export declare const DOCS_ASSETS: { readonly [K in DocsAssetKey]: { readonly name: string; readonly file: EmbeddedFile } };
