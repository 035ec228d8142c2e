// The workflow side of the traces (platform/tracing.ts): bundled only when tracing is on (TRACING_WORKFLOW_MODULES),
// never exported from workflows/index.ts. Spans: RunWorkflow (a child of the client's StartWorkflow, from the header
// the client interceptor wrote), StartActivity for each activity it schedules (whose context goes to the activity in
// the same header: RunActivity is its child), HandleSignal, ValidateUpdate and HandleUpdate. They leave the sandbox
// through the `exporter` sink (never during replay) and are exported by the worker's span processor.
//
// Why not @temporalio/interceptors-opentelemetry's own `workflow-interceptors` module, which makes the same spans: it
// wraps each call in `async` functions that `await` the result, so an activity's result or the workflow's end reaches
// the workflow a few microtasks later than without it. When an Update and an activity result arrive in one activation,
// that reorders the commands, and the stored histories (test/histories) fail to replay against it with
// nondeterminism errors — 12 of 38 did (test/platform/tracing.test.ts). Leads live for years, so tracing must be
// possible to turn on and off under running leads. These interceptors start and end the same spans beside the call:
// the promise returned is the one `next` returned, so the workflow sees every result at the same moment as without
// them, and a header is all they add to a command (headers are not part of what replay compares).
//
// The package's parts are reused: its sandbox runtime patch (first import), its AsyncLocalStorage context manager,
// its sink-backed span exporter, its header codec and its span names.
import '@temporalio/interceptors-opentelemetry/lib/workflow/runtime';
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { extractContextFromHeaders, headersWithContext } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { ContextManager } from '@temporalio/interceptors-opentelemetry/lib/workflow/context-manager';
import { SpanName, SPAN_DELIMITER } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { SpanExporter } from '@temporalio/interceptors-opentelemetry/lib/workflow/span-exporter';
import {
  ContinueAsNew,
  workflowInfo,
  type ActivityInput,
  type DisposeInput,
  type LocalActivityInput,
  type Next,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

// One tracer per workflow: this module is not preloaded (worker/sandbox.ts), so each workflow's sandbox has its own.
let contextManager: ContextManager | undefined;
let tracer: Tracer | undefined;

function tracerOf(): Tracer {
  if (!tracer) {
    contextManager = new ContextManager();
    const provider = new BasicTracerProvider();
    provider.addSpanProcessor(new SimpleSpanProcessor(new SpanExporter()));
    provider.register({ contextManager });
    tracer = provider.getTracer('lead-engine-workflow');
  }
  return tracer;
}

const spanName = (kind: SpanName, what: string) => `${kind}${SPAN_DELIMITER}${what}`;

/** Ends `span` when `result` settles, on a branch of its own: whoever awaits `result` is not delayed by it. */
function endWith<T>(span: Span, result: Promise<T>, benign: (err: unknown) => boolean = () => false): Promise<T> {
  result.then(
    () => {
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    },
    (err: unknown) => {
      if (benign(err)) span.setStatus({ code: SpanStatusCode.OK });
      else {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        if (err instanceof Error) span.recordException(err);
      }
      span.end();
    },
  );
  return result;
}

/** Runs `fn` inside a new span, a child of `parent`: its result is returned as `fn` gave it. */
function traced<T>(name: string, parent: Context, fn: (ctx: Context) => Promise<T>, benign?: (err: unknown) => boolean): Promise<T> {
  const span = tracerOf().startSpan(name, {}, parent);
  const ctx = trace.setSpan(parent, span);
  let result: Promise<T>;
  try {
    result = context.with(ctx, () => fn(ctx));
  } catch (err) {
    // Thrown at once, as it would have been without the span.
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    span.end();
    throw err;
  }
  return endWith(span, result, benign);
}

class Inbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const parent = extractContextFromHeaders(input.headers) ?? ROOT_CONTEXT;
    return traced(
      spanName(SpanName.WORKFLOW_EXECUTE, workflowInfo().workflowType),
      parent,
      () => next(input),
      (err) => err instanceof ContinueAsNew,
    );
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const parent = extractContextFromHeaders(input.headers) ?? context.active();
    return traced(spanName(SpanName.WORKFLOW_HANDLE_SIGNAL, input.signalName), parent, () => next(input));
  }

  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    const parent = extractContextFromHeaders(input.headers) ?? context.active();
    const span = tracerOf().startSpan(
      spanName(SpanName.WORKFLOW_VALIDATE_UPDATE, input.name),
      { attributes: { temporalUpdateId: input.updateId } },
      parent,
    );
    try {
      context.with(trace.setSpan(parent, span), () => next(input));
      span.setStatus({ code: SpanStatusCode.OK });
    } catch (err) {
      // A refusal (the lead's stage does not allow it) is an answer, not a failure of the workflow.
      span.setStatus({ code: SpanStatusCode.UNSET, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const parent = extractContextFromHeaders(input.headers) ?? context.active();
    return traced(spanName(SpanName.WORKFLOW_HANDLE_UPDATE, input.name), parent, () => next(input));
  }
}

class Outbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    return traced(spanName(SpanName.ACTIVITY_START, input.activityType), context.active(), () =>
      next({ ...input, headers: headersWithContext(input.headers) }),
    );
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    return traced(spanName(SpanName.ACTIVITY_START, input.activityType), context.active(), () =>
      next({ ...input, headers: headersWithContext(input.headers) }),
    );
  }
}

class Internals implements WorkflowInternalsInterceptor {
  dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>): void {
    contextManager?.disable();
    next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => {
  // Registers the sandbox's propagator and context manager before the first header is read.
  tracerOf();
  return { inbound: [new Inbound()], outbound: [new Outbound()], internals: [new Internals()] };
};
