// Process configuration from the environment, validated once at start-up.
import { z } from 'zod';

const Env = z
  .object({
    TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    /**
     * A real Temporal cluster (platform/temporal-connection.ts): TLS (`true` to use the system's CAs),
     * the server's CA, a client certificate and key for mTLS, an SNI override, or an API key
     * (Temporal Cloud; implies TLS). Read by the worker, the API and the bench; checked at start.
     */
    TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
    TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_API_KEY_FILE: z.string().min(1).optional(),
    /**
     * What the API starts new leads' workflows through (api/core-starts.ts): `core`, the Rust core's
     * connection the worker uses (less CPU per start), falling back to `grpc-js` — the API client's
     * own connection, which every other call uses — while the core one is not up.
     */
    TEMPORAL_START_CONNECTION: z.enum(['core', 'grpc-js']).default('core'),
    TASK_QUEUE: z.string().default('leads'),
    DATABASE_URL: z.string().url().optional(),
    /** Connections to PostgreSQL per process (the API's, the worker's), and how many of them stay open while idle (default: all). */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
    DATABASE_POOL_KEEP_OPEN: z.coerce.number().int().min(0).max(1000).optional(),
    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    ASSIGNMENT_SCHEME: z.enum(['round_robin', 'least_loaded', 'expertise']).default('least_loaded'),
    /** `<key>:<role>:<subject>,…` — see api/auth.ts. */
    API_KEYS: z.string().optional(),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
    /** `memory`: each API instance counts on its own; `postgres`: the instances share one count (api/rate-limit-store.ts). */
    RATE_LIMIT_STORE: z.enum(['memory', 'postgres']).default('memory'),
    /** No API request runs longer: a dependency that does not answer by then is a 503 (api/deadline.ts). */
    REQUEST_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Where the worker serves Temporal's SDK metrics for Prometheus; empty turns it off. */
    WORKER_METRICS_ADDRESS: z.string().default('127.0.0.1:9464'),
    /** Notifications (notifications/*): read where they are used, listed here so a typo is caught at start. */
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().optional(),
    NOTIFY_EMAILS: z.string().optional(),
    NOTIFY_LANGUAGES: z.string().optional(),
    NOTIFY_LANGUAGE: z.string().optional(), // ru (default) | en
    ALLOW_PRIVATE_WEBHOOKS: z.string().optional(),
    /** Payload encryption keys (platform/payload-keys.ts): read where they are used, listed here so a typo is caught at start. */
    PAYLOAD_KEYS: z.string().optional(),
    PAYLOAD_KEYS_FILE: z.string().optional(),
    /** Origins of the Temporal Web UI allowed to call the codec server (comma-separated). */
    CODEC_CORS_ORIGINS: z.string().optional(),
    /** The Temporal Web UI, linked from each lead in the console (/app). */
    TEMPORAL_UI_URL: z.string().min(1).default('http://localhost:8233'),
    /** New leads waiting for their workflow's first step beyond which intake answers 429 (api/admission.ts); 0 turns it off. */
    INTAKE_MAX_BACKLOG: z.coerce.number().int().min(0).default(100),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!!env.TEMPORAL_TLS_CERT_FILE !== !!env.TEMPORAL_TLS_KEY_FILE) {
      issue(
        env.TEMPORAL_TLS_CERT_FILE ? 'TEMPORAL_TLS_KEY_FILE' : 'TEMPORAL_TLS_CERT_FILE',
        'mTLS needs both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE',
      );
    }
    if (env.TEMPORAL_API_KEY && env.TEMPORAL_API_KEY_FILE)
      issue('TEMPORAL_API_KEY_FILE', 'set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE, not both');
    const tlsAsked =
      env.TEMPORAL_TLS_CA_FILE ||
      env.TEMPORAL_TLS_CERT_FILE ||
      env.TEMPORAL_TLS_SERVER_NAME ||
      env.TEMPORAL_API_KEY ||
      env.TEMPORAL_API_KEY_FILE;
    if (env.TEMPORAL_TLS === 'false' && tlsAsked) {
      issue(
        'TEMPORAL_TLS',
        'is false, but a CA, a client certificate, a server name or an API key is set (an API key is never sent in clear text)',
      );
    }
  });
export type Config = z.infer<typeof Env>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new Error(`bad configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function requireDatabaseUrl(cfg: Config): string {
  if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is not set (npm start sets it for the embedded PostgreSQL)');
  return cfg.DATABASE_URL;
}
