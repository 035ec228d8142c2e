// OpenTelemetry traces from an API request to the workflow it starts or updates and to the activities
// that workflow runs (README "Beyond one machine"). On only when an OTLP endpoint is configured: with
// none, `startTracing` returns undefined, nothing of the SDK is set up, no Temporal interceptor is
// installed and no workflow bundle carries the tracing module — tracing off costs nothing.
//
// One trace per request: the API's request span (api/tracing.ts) is the parent of the Temporal client's
// StartWorkflow / StartWorkflowUpdate / QueryWorkflow span, whose context travels in the Temporal header
// `_tracer-data` to the worker: RunWorkflow (and HandleUpdate, HandleSignal) inside the workflow sandbox
// (workflows/tracing-interceptors.ts), StartActivity there, RunActivity around the activity itself. Spans go over OTLP/HTTP (JSON) in batches.
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';

export type TracedService = 'leads-api' | 'leads-worker';

/** The standard OpenTelemetry variables this module reads (the exporter itself also honours OTEL_EXPORTER_OTLP_HEADERS, …). */
// Empty is unset: docker-compose passes `${OTEL_EXPORTER_OTLP_ENDPOINT:-}` through as "" when the shell has none.
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);
const TracingEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(unsetIfEmpty, z.string().url().optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(unsetIfEmpty, z.string().url().optional()),
  OTEL_SERVICE_NAME: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
  /** The specification's kill switch: `true` turns tracing off even with an endpoint. */
  OTEL_SDK_DISABLED: z.preprocess(unsetIfEmpty, z.enum(['true', 'false']).optional()),
});

/**
 * The workflow interceptor module of the tracing: it goes into the workflow bundle (only when tracing is on), where it
 * makes the RunWorkflow, StartActivity and HandleUpdate spans and hands them to the worker through the `exporter` sink.
 * Ours, not the package's `workflow-interceptors`, which changes when results reach the workflow (see the module).
 */
export const TRACING_WORKFLOW_MODULES: string[] = [require.resolve('../workflows/tracing-interceptors')];

export interface Tracing {
  readonly serviceName: string;
  /** Where spans are posted (OTLP/HTTP, JSON). */
  readonly url: string;
  readonly tracer: Tracer;
  readonly resource: Resource;
  readonly processor: SpanProcessor;
  /** Exports the spans ended so far (tests; the batch otherwise goes every 5 s). */
  flush(): Promise<void>;
  /** Exports what is left and stops: call once the process has drained. */
  shutdown(): Promise<void>;
}

/** The OTLP traces URL the environment asks for, or undefined when tracing is off. */
export function tracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const parsed = TracingEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(`bad configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const cfg = parsed.data;
  if (cfg.OTEL_SDK_DISABLED === 'true') return undefined;
  // As the OTLP specification says: the per-signal variable is used as given, the general one gets /v1/traces.
  if (cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return cfg.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (cfg.OTEL_EXPORTER_OTLP_ENDPOINT) return `${cfg.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/**
 * Tracing for this process when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, else
 * undefined. `service` is the default service name; OTEL_SERVICE_NAME overrides it.
 */
export function startTracing(service: TracedService, env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  const url = tracesUrl(env);
  if (!url) return undefined;
  const serviceName = TracingEnv.parse(env).OTEL_SERVICE_NAME ?? service;
  const resource = Resource.default()
    .merge(envDetectorSync.detect())
    .merge(new Resource({ 'service.name': serviceName }));
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  registerGlobals(provider);
  return {
    serviceName,
    url,
    resource,
    processor,
    tracer: provider.getTracer('lead-engine'),
    flush: () => processor.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The API's spans follow a request through `await`s by the async-hooks context manager, and the Temporal
 * interceptors carry a span's context in W3C `traceparent` form (OTEL_PROPAGATORS): both are process-wide.
 * The first provider of the process (its only one outside tests, where the API and a worker share one) sets
 * them, and becomes the global provider for any other instrumentation; the spans here name their tracer.
 */
function registerGlobals(provider: NodeTracerProvider): void {
  if (registered) return;
  registered = true;
  provider.register();
}
let registered = false;

/** A Temporal client's interceptors: StartWorkflow, StartWorkflowUpdate, QueryWorkflow, SignalWorkflow … spans, their context in the header. */
export function tracingClientInterceptors(tracing: Tracing | undefined): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] } : undefined;
}

/**
 * A worker's tracing: the RunActivity span around each activity (a child of the workflow's StartActivity), and the
 * sink through which the workflow sandbox hands over its spans. The workflow interceptors themselves are in the
 * bundle: TRACING_WORKFLOW_MODULES, bundled into the `traced` variant (worker/bundle.ts).
 */
export function workerTracingOptions(tracing: Tracing | undefined): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return {};
  const options = { tracer: tracing.tracer };
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, options),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}
