// The container deployment (Dockerfile, docker-compose.yml) checked against the code it ships,
// without a Docker engine: every command names a file the build produces, every search
// attribute the workflows use is registered, every file the build runs exists.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { loadConfig } from '../../platform/config';
import { tracesUrl } from '../../platform/tracing';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../../worker/sandbox';
import { allSearchAttributes } from '../../workflows/search-attributes';
import { dockerfileStages } from './dockerfile';

const ROOT = resolve(__dirname, '..', '..');
const APP_SERVICES = ['migrate', 'worker', 'api'] as const;

type Words = string | string[];
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: Words;
  entrypoint?: Words;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | number | { target?: number | string }>;
  container_name?: string;
  profiles?: string[];
  healthcheck?: { test?: Words };
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const words = (w: Words | undefined): string[] => (w === undefined ? [] : Array.isArray(w) ? w : w.split(/\s+/).filter(Boolean));
const envOf = (s: Service): Record<string, string> => {
  const env = s.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => [kv.split('=')[0] ?? '', kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
const dependsOn = (s: Service): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, v.condition]));

/** What `tsc -p tsconfig.build.json` emits: output path (repo-relative) -> source file. */
function buildOutputs(): Map<string, string> {
  const file = join(ROOT, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(file, (p) => ts.sys.readFile(p));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
  const { outDir, rootDir } = parsed.options;
  if (!outDir || !rootDir) throw new Error('tsconfig.build.json: outDir and rootDir must be set');
  const out = new Map<string, string>();
  for (const src of parsed.fileNames) {
    if (!src.endsWith('.ts') || src.endsWith('.d.ts')) continue;
    out.set(relative(ROOT, join(outDir, relative(rootDir, src))).replace(/\.ts$/, '.js'), relative(ROOT, src));
  }
  return out;
}
const outputs = buildOutputs();

/** Every source file of the repo the build compiles, following imports (repo-relative). */
function buildSources(): string[] {
  const file = join(ROOT, 'tsconfig.build.json');
  const { config } = ts.readConfigFile(file, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  return program
    .getSourceFiles()
    .map((f) => relative(ROOT, f.fileName))
    .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));
}
const distFiles = (w: string[]) => w.filter((x) => /^dist\/.+\.js$/.test(x));

const stages = dockerfileStages();
const runtime = stages.at(-1)!;

describe('docker-compose.yml', () => {
  test('has the whole stack', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'temporal-setup', 'migrate', 'worker', 'api']) {
      expect(services).toHaveProperty([name]);
    }
  });

  test.each(APP_SERVICES)('%s runs a file the build produces, from a source in the repo', (name) => {
    const s = service(name);
    expect(s.build).toBeDefined(); // built from this repo's Dockerfile
    const files = distFiles([...words(s.entrypoint), ...words(s.command)]);
    expect(files).toHaveLength(1);
    const dist = files[0]!;
    const source = dist.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(existsSync(join(ROOT, source))).toBe(true);
    expect(outputs.get(dist)).toBe(source);
  });

  test('the worker finds its workflow code in the build (require.resolve("../workflows"))', () => {
    expect(outputs.get('dist/worker/index.js')).toBe('worker/index.ts');
    expect(outputs.get('dist/workflows/index.js')).toBe('workflows/index.ts');
  });

  test('temporal-setup registers every search attribute the workflows use, with its type', () => {
    const script = [...words(service('temporal-setup').entrypoint), ...words(service('temporal-setup').command)].join(' ');
    const registered = new Map(
      [...script.matchAll(/search-attribute create\b[^\n]*?--name\s+(\w+)\s+--type\s+(\w+)/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect([...registered.keys()].sort()).toEqual(allSearchAttributes.map((k) => k.name).sort());
    for (const key of allSearchAttributes) {
      // SDK KEYWORD / BOOL / INT / KEYWORD_LIST are the CLI's Keyword / Bool / Int / KeywordList.
      expect({ name: key.name, type: registered.get(key.name)?.toLowerCase() }).toEqual({
        name: key.name,
        type: key.type.replace(/_/g, '').toLowerCase(),
      });
    }
  });

  test('the app services configure a valid environment that points at the stack', () => {
    for (const name of APP_SERVICES) {
      const env = envOf(service(name));
      const cfg = loadConfig(env);
      expect(cfg.DATABASE_URL).toBeDefined();
      expect(services).toHaveProperty([new URL(cfg.DATABASE_URL!).hostname]);
      expect(cfg.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    expect(envOf(service('migrate')).MIGRATOR).toBe('prisma');
  });

  test('the worker takes its SMTP settings from the environment; webhook URL rules are the same in worker and API', () => {
    const worker = envOf(service('worker'));
    expect(worker.SMTP_URL).toMatch(/^\$\{SMTP_URL:-/);
    expect(worker.MAIL_FROM).toMatch(/^\$\{MAIL_FROM:-/);
    for (const name of ['worker', 'api'] as const)
      expect(envOf(service(name)).ALLOW_PRIVATE_WEBHOOKS).toBe('${ALLOW_PRIVATE_WEBHOOKS:-false}');
  });

  test('worker and API pass the OTLP endpoint through, and trace nothing when the shell has none', () => {
    for (const name of ['worker', 'api'] as const) {
      const env = envOf(service(name));
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
      expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('${OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:-}');
      // As compose hands them over when unset: empty.
      const unset = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/^\$\{\w+:-(.*)\}$/, '$1')]));
      expect(tracesUrl(unset)).toBeUndefined();
      expect(tracesUrl({ ...unset, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe('http://jaeger:4318/v1/traces');
    }
    expect(service('jaeger')).toMatchObject({ profiles: ['tracing'] });
  });

  test('the API listens on all interfaces, on the port published and health-checked', () => {
    const api = service('api');
    const cfg = loadConfig(envOf(api));
    expect(cfg.API_HOST).toBe('0.0.0.0');
    const targets = (api.ports ?? []).map((p) => (typeof p === 'object' ? String(p.target) : String(p).split(':').at(-1)));
    expect(targets).toContain(String(cfg.API_PORT));
    expect(words(api.healthcheck?.test).join(' ')).toContain(`:${cfg.API_PORT}/ready`);
    expect(envOf(api).API_KEYS).toMatch(/^\$\{API_KEYS:\?/); // the API refuses to start without keys: required, no default
  });

  test('worker and api start after migrations and search attributes, and can be scaled', () => {
    for (const name of ['worker', 'api']) {
      const s = service(name);
      expect(dependsOn(s)).toMatchObject({ migrate: 'service_completed_successfully', 'temporal-setup': 'service_completed_successfully' });
      expect(s.container_name).toBeUndefined();
    }
    expect(service('worker').ports).toBeUndefined();
  });
});

describe('tsconfig.build.json', () => {
  test('compiles exactly the shipped code: the processes, what they import, and the migration job', () => {
    const shipped = /^(api|worker|workflows|activities|domain|platform|notifications|generated)\/|^scripts\/(db-migrate|lib\/migrate)\.ts$/;
    const sources = buildSources();
    expect(sources.filter((f) => !shipped.test(f))).toEqual([]); // no tests, bench, dev launchers
    for (const entry of ['api/main.ts', 'worker/main.ts', 'workflows/index.ts', 'scripts/db-migrate.ts']) expect(sources).toContain(entry);
  });
});

describe('Dockerfile', () => {
  test('the runtime image runs the worker as npm start and the bench do: its heap limit and malloc arenas (worker/sandbox.ts)', () => {
    const env = runtime.instructions
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    const vars = Object.fromEntries([...env.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    expect(vars.NODE_OPTIONS).toBe(WORKER_NODE_ARGS.join(' '));
    for (const [key, value] of Object.entries(WORKER_ENV)) expect({ key, value: vars[key] }).toEqual({ key, value });
  });

  test('builds on node:20-bookworm-slim, in stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:20-bookworm-slim\b/);
  });

  test('the files its build steps run exist', () => {
    const run = stages.flatMap((s) => s.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).join('\n');
    expect(run).toContain('bash scripts/prisma-generate.sh');
    expect(run).toContain('tsc -p tsconfig.build.json');
    const referenced = [...run.matchAll(/\bbash\s+(\S+)|\btsc\s+-p\s+(\S+)/g)].map((m) => (m[1] ?? m[2])!);
    expect(referenced.length).toBeGreaterThanOrEqual(2);
    for (const file of referenced) expect({ file, exists: existsSync(join(ROOT, file)) }).toEqual({ file, exists: true });
  });

  test('the runtime image has what the commands need, runs the API by default, not as root', () => {
    const copied = runtime.instructions
      .filter((i) => i.op === 'COPY' && i.args.includes('--from='))
      .map((i) => i.args)
      .join(' ');
    for (const what of ['node_modules', 'dist', 'prisma', 'prisma.config.ts', 'package.json'])
      expect(copied).toMatch(new RegExp(`/${what.replace('.', '\\.')}\\b`));
    const cmd = JSON.parse(runtime.instructions.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
    expect(cmd).toEqual(['node', 'dist/api/main.js']);
    expect(outputs.has(cmd[1]!)).toBe(true);
    const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.instructions.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes('3000'))).toBe(true);
  });

  test('.dockerignore keeps host builds out and the build inputs in', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/\/$/, ''))
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', 'dist', 'generated']) expect(ignored).toContain(entry);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts/prisma-generate.sh',
      'prisma/schema.prisma',
      'prisma.config.ts',
    ]) {
      expect(ignored.filter((e) => needed === e || needed.startsWith(`${e}/`))).toEqual([]);
    }
  });
});
