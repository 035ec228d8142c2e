// A span per API request (platform/tracing.ts): `POST /leads`, `POST /leads/:id/contact`, … — the route's
// pattern, never the path, so a trace backend groups requests by route — with the method, route, path and
// status; a 5xx marks it failed. The route's handler runs inside it, so the Temporal client's spans (the
// workflow start, the Update, the query) are its children and carry its trace to the worker. A caller's
// own `traceparent` header continues the caller's trace (a proxy or another service that traces).
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tracing } from '../platform/tracing';

export function registerRequestSpans(app: FastifyInstance, tracing: Tracing): void {
  const spans = new WeakMap<FastifyRequest, Span>();

  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    // An in-process call (the console's app.inject) is a child of the page's request span; otherwise the caller's trace, if any.
    const parent = trace.getSpan(context.active()) ? context.active() : propagation.extract(ROOT_CONTEXT, req.headers);
    spans.set(
      req,
      tracing.tracer.startSpan(
        route ? `${req.method} ${route}` : req.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': req.method,
            ...(route ? { 'http.route': route } : {}),
            'url.path': req.url.split('?')[0],
            'http.request.id': req.id,
          },
        },
        parent,
      ),
    );
  });

  // Everything after this hook (the route's own preHandlers and its handler) runs in the span's context. A callback
  // hook: `done` is called inside it, and the rest of the request continues from there (as api/deadline.ts does).
  app.addHook('preHandler', (req, _reply, done) => {
    const span = spans.get(req);
    if (!span) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });

  app.addHook('onError', async (req, _reply, err) => {
    spans.get(req)?.recordException(err);
  });

  const end = (req: FastifyRequest, status: number | undefined) => {
    const span = spans.get(req);
    if (!span) return;
    spans.delete(req);
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (status === undefined || status >= 500)
      span.setStatus({ code: SpanStatusCode.ERROR, ...(status ? {} : { message: 'request aborted' }) });
    span.end();
  };
  app.addHook('onResponse', async (req, reply) => end(req, reply.statusCode));
  app.addHook('onRequestAbort', async (req) => end(req, undefined));
}
