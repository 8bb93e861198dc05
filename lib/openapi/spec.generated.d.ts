// Types of a module produced inside each build from openapi.yaml (tools/build/generated-modules.ts, tools/build/sources.ts).
import type { EmbeddedFile } from '../docs/embedded.js';

/** The OpenAPI document as JSON. */
export declare const OPENAPI_JSON: EmbeddedFile;
/** The OpenAPI document as YAML: the repository's openapi.yaml. */
export declare const OPENAPI_YAML: EmbeddedFile;
