// The OpenAPI document is valid OpenAPI 3 and describes exactly the routes the app serves.
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { ACTION_NAMES, LEAD_ACTIONS } from '../../domain/actions';
import { apiStack, type ApiStack } from '../helpers/api';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
});
afterAll(async () => s?.close());

test('the document validates against the OpenAPI 3 schema', async () => {
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json();
  await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
});

test('every served route is documented, with its problem responses, and nothing else is', async () => {
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3.Document;
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
  // The browser console (/app) and the codec server's sign-in page and CORS preflights are for
  // browsers, not part of the API the document describes.
  const forBrowsers = (r: string) =>
    / \/(docs|openapi\.json|metrics|app(\/|$))/.test(r) || /^(GET|POST) \/codec\/login$/.test(r) || /^OPTIONS \/codec\//.test(r);
  const served = new Set(servedRoutes(s.app.printRoutes({ commonPrefix: false })).filter((r) => !forBrowsers(r)));
  expect([...served].sort()).toEqual([...documented].sort());
  for (const path of Object.keys(doc.paths).filter((p) => p.startsWith('/leads/{id}/') && doc.paths[p]?.post)) {
    const responses = doc.paths[path]!.post!.responses;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409']));
  }
});

test('every row of the action table (domain/actions.ts) is a documented action named after its Update', async () => {
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3.Document;
  for (const name of ACTION_NAMES) {
    const row = LEAD_ACTIONS[name];
    const op = doc.paths[`/leads/{id}/${row.path}`]?.post;
    expect({ name, operationId: op?.operationId, summary: op?.summary, tags: op?.tags }).toEqual({
      name,
      operationId: name,
      summary: row.summary,
      tags: ['actions'],
    });
    expect(op?.requestBody).toBeDefined();
  }
  const actions = Object.values(doc.paths).flatMap((item) => (item?.post?.tags?.includes('actions') ? [item.post.operationId] : []));
  expect(actions.sort()).toEqual([...ACTION_NAMES].sort());
});

/** Fastify's route tree ("└── /leads (GET, HEAD, POST)", nested by 4 columns) as "METHOD /path/{param}". */
function servedRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (m[3] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x && x !== 'HEAD'))
      out.push(`${method} ${path}`);
  }
  return out;
}
