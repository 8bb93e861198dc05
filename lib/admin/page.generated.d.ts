// Types of a module produced inside each build from lib/admin/admin-page.html (tools/build/generated-modules.ts, tools/build/sources.ts).
/** The admin page, byte for byte (its CSP hashes are computed from this text). */
export declare const ADMIN_PAGE_HTML: string;
