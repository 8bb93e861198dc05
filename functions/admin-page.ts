/** GET /admin — the staff admin page: one self-contained HTML file under a hash-based CSP. */
import { adminPage } from '../lib/admin/page.js';
import { api } from '../lib/http/api.js';

export const handler = api().handler(async () => adminPage());
