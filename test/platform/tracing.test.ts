// OpenTelemetry traces (platform/tracing.ts, api/tracing.ts) on the real stack: the API over HTTP and a worker on the
// dev server and PostgreSQL of the test run, exporting over OTLP/HTTP to a receiver in this process. One trace runs
// from the API's request span through the Temporal client's StartWorkflow to RunWorkflow in the workflow sandbox,
// its StartActivity and the activity's RunActivity, each span the child of the one before. Tracing off (no endpoint):
// nothing is set up, nothing is exported, no interceptor is installed. And traced workflows replay with tracing on
// or off, so it can be turned on and off on a fleet whose leads live for years.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { propagation, trace, ProxyTracerProvider } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import type { ApiKey } from '../../api/auth';
import { leadWorkflowId } from '../../workflows/lead';
import { memoryLeadKeyStore, type StoredLeadKey } from '../../platform/lead-keys';
import { dataConverterOf, encryptionCodec } from '../../platform/payload-codec';
import { loadPayloadKeys } from '../../platform/payload-keys';
import { startTracing, tracesUrl, tracingClientInterceptors, workerTracingOptions, type Tracing } from '../../platform/tracing';
import { createWorker } from '../../worker';
import { leadBody } from '../helpers/api';
import { seedManager, testDb } from '../helpers/db';
import { runWorker, testCodec, type RunningWorker } from '../helpers/temporal';
import { otlpReceiver, tracingWorkflowBundle, type OtlpReceiver, type ReceivedSpan } from '../helpers/tracing';

jest.setTimeout(180_000);

const db = testDb();
const sales: ApiKey = { key: `tracing-sales-key-${Date.now()}`, role: 'sales', subject: 'anna' };
/** The environment without any OpenTelemetry variable a developer's shell might have. */
const bareEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));

interface Stack {
  app: FastifyInstance;
  base: string;
  worker: RunningWorker;
  temporal: Client;
  close(): Promise<void>;
}

/** The API listening on a port and a worker, as api/main.ts and worker/main.ts make them, with `tracing` or without. */
async function stack(tracing: { api?: Tracing; worker?: Tracing; workflowBundlePath?: string }): Promise<Stack> {
  const native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const codec = testCodec(db);
  const worker = await runWorker(native, db, 'default', { codec, tracing: tracing.worker, workflowBundlePath: tracing.workflowBundlePath });
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const temporal = new Client({ connection, dataConverter: dataConverterOf(codec), interceptors: tracingClientInterceptors(tracing.api) });
  const app = await buildApp({
    db,
    temporal,
    taskQueue: worker.taskQueue,
    logLevel: 'silent',
    apiKeys: [sales],
    rateLimitPerMinute: 100_000,
    tracing: tracing.api,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    base,
    worker,
    temporal,
    close: async () => {
      await app.close();
      await worker.stop();
      await Promise.all([native.close(), connection.close()]);
    },
  };
}

async function post(s: Stack, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${s.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': sales.key },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Until the lead's workflow has run its assignment (the read model has its manager). */
async function assigned(leadId: string): Promise<void> {
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if ((await db.lead.findUnique({ where: { id: leadId } }))?.managerId) return;
  }
  throw new Error(`lead ${leadId} was never assigned`);
}

beforeAll(async () => {
  await seedManager(db); // someone to assign to
});

afterAll(async () => {
  await db.$disconnect();
});

describe('without an OTLP endpoint', () => {
  let receiver: OtlpReceiver | undefined;
  let s: Stack | undefined;

  afterAll(async () => {
    await s?.close();
    await receiver?.close();
  });

  test('nothing is set up: no tracer, no interceptor, no tracing module in the bundle, and nothing is exported', async () => {
    expect(tracesUrl(bareEnv)).toBeUndefined();
    expect(startTracing('leads-api', bareEnv)).toBeUndefined();
    expect(startTracing('leads-worker', bareEnv)).toBeUndefined();
    // OTEL_SDK_DISABLED wins over an endpoint.
    expect(
      startTracing('leads-api', { ...bareEnv, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
    expect(tracingClientInterceptors(undefined)).toBeUndefined();
    expect(workerTracingOptions(undefined)).toEqual({});

    // The worker as worker/main.ts makes it with tracing off: no activity interceptor, no span sink.
    const native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const plain = await createWorker({
      connection: native,
      taskQueue: 'tracing-off',
      db,
      codec: testCodec(db),
      tracing: startTracing('leads-worker', bareEnv),
      workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    });
    expect(plain.options.interceptors.activity).toEqual([]);
    expect(plain.options.interceptors.client.workflow).toEqual([]);
    expect(Object.keys(plain.options.sinks ?? {})).not.toContain('exporter');
    const running = plain.run();
    plain.shutdown();
    await running;
    await native.close();
    // The bundle every worker of the run uses (bundled with the worker's options, tracing off) has no tracing module.
    const bundle = readFileSync(process.env.WORKFLOW_BUNDLE_PATH!, 'utf8');
    expect(bundle).toContain('./workflows/lead.ts');
    expect(bundle).not.toContain('./workflows/tracing-interceptors.ts');
    expect(bundle).not.toContain('./node_modules/@opentelemetry/');

    // A lead taken in and assigned with tracing off: no provider, no propagator in the process, and nothing posted to
    // OTLP's default port (where an exporter with no endpoint configured would send), if this machine lets us listen there.
    receiver = await otlpReceiver(4318).catch(() => undefined);
    s = await stack({ api: startTracing('leads-api', bareEnv), worker: startTracing('leads-worker', bareEnv) });
    const taken = await post(s, '/leads', leadBody());
    expect(taken.status).toBe(201);
    await assigned(taken.json.leadId as string);
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate().constructor.name).toBe('NoopTracerProvider');
    expect(propagation.fields()).toEqual([]);
    if (receiver) {
      await new Promise((r) => setTimeout(r, 5_500)); // past a batch processor's 5 s, had one been made
      expect(receiver.posts).toEqual([]);
    }
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let receiver: OtlpReceiver;
  let api: Tracing;
  let workerTracing: Tracing;
  let bundlePath: string;
  let s: Stack;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    const env = { ...bareEnv, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    api = startTracing('leads-api', env)!;
    workerTracing = startTracing('leads-worker', env)!;
    bundlePath = await tracingWorkflowBundle();
    s = await stack({ api, worker: workerTracing, workflowBundlePath: bundlePath });
  });

  afterAll(async () => {
    await s?.close();
    await Promise.all([api?.shutdown(), workerTracing?.shutdown()]);
    await receiver?.close();
  });

  const one = (spans: ReceivedSpan[], where: Partial<ReceivedSpan>) => {
    const found = spans.filter((sp) => Object.entries(where).every(([k, v]) => sp[k as keyof ReceivedSpan] === v));
    if (found.length !== 1) {
      const list = spans.map(
        (sp) => `${sp.service} ${sp.name} ${sp.traceId}/${sp.spanId} <- ${sp.parentSpanId ?? '-'} ${JSON.stringify(sp.attributes)}`,
      );
      throw new Error(`${found.length} spans match ${JSON.stringify(where)} among:\n${list.join('\n')}`);
    }
    return found[0]!;
  };

  test('one trace runs from POST /leads through StartWorkflow and RunWorkflow to the assignManager activity', async () => {
    expect(api.url).toBe(`${receiver.url}/v1/traces`);
    expect([api.serviceName, workerTracing.serviceName]).toEqual(['leads-api', 'leads-worker']);
    const taken = await post(s, '/leads', leadBody());
    expect(taken.status).toBe(201);
    const leadId = taken.json.leadId as string;
    const workflowId = leadWorkflowId(leadId);
    await assigned(leadId);
    // RunWorkflow ends with the run: the client opts out, which closes the lead.
    const out = await post(s, `/leads/${leadId}/opt-out`, { reason: 'tracing test' });
    expect(out.status).toBe(200);
    await s.temporal.workflow.getHandle(workflowId).result();
    await Promise.all([api.flush(), workerTracing.flush()]);

    const ofLead = (sp: ReceivedSpan) => sp.attributes.temporalWorkflowId === workflowId || sp.attributes['url.path'] === '/leads';
    const spans = await receiver.waitFor((all) => {
      const mine = all.filter(ofLead);
      return (
        ['StartWorkflow:leadWorkflow', 'RunWorkflow:leadWorkflow', 'RunActivity:assignManager'].every((n) =>
          all.some((sp) => sp.name === n),
        ) && mine.some((sp) => sp.name === 'RunActivity:assignManager')
      );
    });

    const request = one(spans, {
      service: 'leads-api',
      name: 'POST /leads',
      traceId: spans.find((sp) => sp.name === 'StartWorkflow:leadWorkflow' && sp.attributes.temporalWorkflowId === workflowId)!.traceId,
    });
    const traceId = request.traceId;
    const inTrace = spans.filter((sp) => sp.traceId === traceId);
    expect(request).toMatchObject({
      kind: 2,
      attributes: { 'http.route': '/leads', 'http.request.method': 'POST', 'http.response.status_code': 201 },
    });
    expect(request.parentSpanId).toBeUndefined(); // the trace starts at the API
    const start = one(inTrace, { service: 'leads-api', name: 'StartWorkflow:leadWorkflow' });
    expect(start).toMatchObject({ parentSpanId: request.spanId, attributes: { temporalWorkflowId: workflowId } });
    const run = one(inTrace, { service: 'leads-worker', name: 'RunWorkflow:leadWorkflow' });
    expect(run.parentSpanId).toBe(start.spanId);
    const scheduled = one(inTrace, { service: 'leads-worker', name: 'StartActivity:assignManager' });
    expect(scheduled.parentSpanId).toBe(run.spanId);
    const activity = one(inTrace, { service: 'leads-worker', name: 'RunActivity:assignManager' });
    expect(activity).toMatchObject({ parentSpanId: scheduled.spanId, status: 1, attributes: { temporalWorkflowId: workflowId } });
    // Every span of the trace hangs from the request: each parent is in the trace (the workflow's other activities too).
    const ids = new Set(inTrace.map((sp) => sp.spanId));
    expect(inTrace.filter((sp) => sp !== request && !ids.has(sp.parentSpanId!)).map((sp) => sp.name)).toEqual([]);
    expect(inTrace.filter((sp) => sp.name.startsWith('RunActivity:')).length).toBeGreaterThan(1);

    // The opt-out is its own trace: the request, the client's Update, the workflow handling it.
    const optOut = one(spans, { service: 'leads-api', name: 'POST /leads/:id/opt-out' });
    expect(optOut.attributes).toMatchObject({
      'http.route': '/leads/:id/opt-out',
      'url.path': `/leads/${leadId}/opt-out`,
      'http.response.status_code': 200,
    });
    const update = one(spans, { service: 'leads-api', name: 'StartWorkflowUpdate:optOut', traceId: optOut.traceId });
    expect(update.parentSpanId).toBe(optOut.spanId);
    expect(one(spans, { service: 'leads-worker', name: 'HandleUpdate:optOut', traceId: optOut.traceId }).parentSpanId).toBe(update.spanId);

    // Turning tracing off later: the traced lead's history replays on a worker without the interceptors.
    const history = await s.temporal.workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! }, dataConverter: dataConverterOf(testCodec(db)) },
      history,
      workflowId,
    );
  });

  test('a caller’s traceparent is continued; a 404 is a span that did not fail', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${s.base}/leads/${randomUUID()}`, {
      headers: { 'x-api-key': sales.key, traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    expect(res.status).toBe(404);
    await api.flush();
    const spans = await receiver.waitFor((all) => all.some((sp) => sp.traceId === traceId && sp.name === 'GET /leads/:id'));
    const request = one(spans, { traceId, name: 'GET /leads/:id' });
    expect(request).toMatchObject({
      service: 'leads-api',
      parentSpanId: 'b7ad6b7169203331',
      status: 0,
      attributes: { 'http.response.status_code': 404 },
    });
    // Its query of the workflow, which does not exist, is its child.
    expect(one(spans, { traceId, name: 'QueryWorkflow:state' })).toMatchObject({ parentSpanId: request.spanId, status: 2 });
  });

  test('turning tracing on: every stored history replays against the bundle with the tracing interceptors', async () => {
    const dir = join(__dirname, '..', 'histories');
    const keys: Record<string, StoredLeadKey> = {};
    const keyDir = join(dir, 'lead-keys');
    for (const f of existsSync(keyDir) ? readdirSync(keyDir).filter((n) => n.endsWith('.json')) : []) {
      for (const [leadId, k] of Object.entries(
        JSON.parse(readFileSync(join(keyDir, f), 'utf8')) as Record<string, { masterKeyId: string; wrapped: string }>,
      )) {
        keys[leadId] = { masterKeyId: k.masterKeyId, wrapped: Buffer.from(k.wrapped, 'base64') };
      }
    }
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const dataConverter = dataConverterOf(encryptionCodec(loadPayloadKeys(), memoryLeadKeyStore(keys)));
    const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8'))) }));
    const failed: string[] = [];
    for await (const r of Worker.runReplayHistories(
      { workflowBundle: { codePath: bundlePath }, dataConverter, sinks: workerTracingOptions(workerTracing).sinks },
      histories,
    )) {
      if (r.error) failed.push(`${r.workflowId}: ${String(r.error)}`);
    }
    expect(failed).toEqual([]);
  });
});
