// The codec server of the Temporal Web UI and CLI (Temporal's remote codec protocol):
// POST /codec/decode and /codec/encode take `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`
// (proto3 JSON of Payload) and answer the same shape, run through the payload codec
// (platform/payload-codec.ts). Only ops and admins may decode: whoever reads history here reads
// notes and clients' words. The browser UI calls it cross-origin, so the UI's origins get CORS.
//
// A payload that cannot be decoded (its lead's data was erased) comes back as it was sent, still
// encrypted: the UI shows ciphertext for it and decodes the rest of the page.
import type { Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LeadDataErased } from '../../platform/lead-keys';
import type { EncryptionCodec } from '../../platform/payload-codec';
import { allow, type Principal } from '../auth';
import { type CodecSessions, SESSION_HOURS } from '../codec-session';
import { problemResponses } from '../problem';

export interface CodecPluginOptions {
  codec: EncryptionCodec;
  sessions: CodecSessions;
  keyLookup: (key: string) => Principal | undefined;
  /** Origins of the Temporal Web UI allowed to call from a browser. */
  corsOrigins: string[];
}

const Base64 = z
  .string()
  .max(16 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const JsonPayload = z.object({ metadata: z.record(z.string().max(256), Base64).optional(), data: Base64.optional() });
const Payloads = z.object({ payloads: z.array(JsonPayload).max(10_000) });
type JsonPayload = z.infer<typeof JsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const page = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto"><h1>${title}</h1>${body}</body></html>`;
const LOGIN_FORM = page(
  'Decode Temporal payloads',
  `<p>Ops and admins only: sign in with your API key to let the Temporal Web UI in this
browser decode workflow payloads for ${SESSION_HOURS} hours.</p>
<form method="post" action="/codec/login"><input name="key" type="password" autocomplete="off" size="40" aria-label="API key" autofocus>
<button type="submit">Sign in</button></form>`,
);
const escape = (v: string) => v.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
// The dev server's Web UI (`npm start`) cannot be told to send credentials (no flag; its settings do
// not read TEMPORAL_CODEC_INCLUDE_CREDENTIALS), so the page says what to switch on in the UI itself.
const SIGNED_IN = (actor: string, endpoint: string) =>
  page(
    'Signed in',
    `<p>Signed in as ${escape(actor)} for ${SESSION_HOURS} hours.
In the Temporal Web UI the codec server must be called with this browser's credentials. If payloads still show encrypted, open a
workflow, click the Codec Server icon at the top, choose <em>Use my browser setting</em>, paste <code>${escape(endpoint)}</code>,
switch on <em>Include cross-origin credentials</em> and <em>Apply</em>. Use the same host name for both (127.0.0.1 or localhost).</p>`,
  );

export const codecPlugin: FastifyPluginAsyncZod<CodecPluginOptions> = async (app, { codec, corsOrigins, sessions, keyLookup }) => {
  // The sign-in form posts an ordinary HTML form (no script: the docs' CSP allows none inline).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.get('/codec/login', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(LOGIN_FORM));
  app.post(
    '/codec/login',
    {
      // A browser's form (HTML answers), like the page above: not part of the documented API.
      schema: { hide: true, body: z.object({ key: z.string().min(1).max(500) }) },
    },
    async (req, reply) => {
      const p = keyLookup(req.body.key);
      if (!p) return reply.status(401).type('text/html; charset=utf-8').send(page('Not signed in', '<p>That is not a valid API key.</p>'));
      if (p.role !== 'ops' && p.role !== 'admin')
        return reply
          .status(403)
          .type('text/html; charset=utf-8')
          .send(page('Not signed in', '<p>Only ops and admins may decode payloads.</p>'));
      req.log.info({ actor: p.actor }, 'codec session opened');
      const endpoint = `${req.protocol}://${req.host}/codec`;
      return reply.header('set-cookie', sessions.cookieFor(p)).type('text/html; charset=utf-8').send(SIGNED_IN(p.actor, endpoint));
    },
  );

  const allowed = new Set(corsOrigins);
  // CORS for the UI's origins only; credentials, so a browser session cookie may travel too.
  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
  };
  const schema = (summary: string) => ({
    tags: ['ops'],
    summary,
    body: Payloads,
    response: { 200: Payloads, ...problemResponses },
    headers: z.object({ 'x-namespace': z.string().max(256).optional() }),
  });

  for (const path of ['/codec/decode', '/codec/encode']) {
    // The preflight carries no credentials (registerAuth lets OPTIONS on /codec/ through).
    app.options(path, { schema: { hide: true } }, async (req, reply) => {
      cors(req, reply);
      return reply
        .status(204)
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization, x-api-key')
        .header('access-control-max-age', '600')
        .send();
    });
  }
  // On every answer, refusals included: the 401 of a browser without a session is sent by the
  // authentication hook before this plugin's own hooks run, and without CORS the browser would hide
  // it behind a "blocked by CORS policy" error that sends ops looking for the wrong fault.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.url.startsWith('/codec/')) cors(req, reply);
    return payload;
  });

  app.post(
    '/codec/decode',
    {
      preHandler: allow('ops'),
      bodyLimit: 64 * 1024 * 1024,
      schema: schema('Decode payloads for the Temporal Web UI and CLI (remote codec protocol); ops and admin'),
    },
    async (req) => ({
      payloads: await Promise.all(
        req.body.payloads.map(async (p) => {
          try {
            return toJson((await codec.decode([fromJson(p)]))[0]!);
          } catch (err) {
            if (!(err instanceof LeadDataErased)) req.log.warn({ err }, 'codec: a payload could not be decoded');
            return p;
          }
        }),
      ),
    }),
  );

  app.post(
    '/codec/encode',
    {
      preHandler: allow('ops'),
      bodyLimit: 64 * 1024 * 1024,
      // The UI does not say whose payload it is: encoded under the master key, not a lead's.
      schema: schema('Encode payloads for the Temporal Web UI and CLI (remote codec protocol); ops and admin'),
    },
    async (req) => ({ payloads: (await codec.encode(req.body.payloads.map(fromJson))).map(toJson) }),
  );
};
