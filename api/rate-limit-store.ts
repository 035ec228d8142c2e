// A store for @fastify/rate-limit that counts in PostgreSQL, so that several API instances behind
// a load balancer share one count per caller (RATE_LIMIT_STORE=postgres). Each request is one
// atomic upsert: the caller's row in its fixed window is incremented, or restarted when the
// window is over — PostgreSQL's clock decides, so the instances' clocks do not have to agree.
// The default store counts per instance, in memory (a caller gets the limit from each instance).
import type { Pool } from 'pg';

interface Counted {
  current: number;
  ttl: number;
}
type Callback = (err: Error | null, res: Counted) => void;

/** Expired rows are swept once every this many increments, by whichever instance counts it. */
const SWEEP_EVERY = 1000;

const INCREMENT = `
  INSERT INTO rate_limit_counters AS c (key, count, window_ends_at)
  VALUES ($1, 1, (now() AT TIME ZONE 'UTC') + $2 * interval '1 millisecond')
  ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN c.window_ends_at <= (now() AT TIME ZONE 'UTC') THEN 1 ELSE c.count + 1 END,
    window_ends_at = CASE WHEN c.window_ends_at <= (now() AT TIME ZONE 'UTC') THEN EXCLUDED.window_ends_at ELSE c.window_ends_at END
  RETURNING count, GREATEST(0, CEIL(EXTRACT(EPOCH FROM window_ends_at - (now() AT TIME ZONE 'UTC')) * 1000))::bigint AS ttl`;

const READ = `
  SELECT count, GREATEST(0, CEIL(EXTRACT(EPOCH FROM window_ends_at - (now() AT TIME ZONE 'UTC')) * 1000))::bigint AS ttl
  FROM rate_limit_counters WHERE key = $1 AND window_ends_at > (now() AT TIME ZONE 'UTC')`;

/** The store's class, bound to a pool (the plugin constructs it with its own options). */
export function pgRateLimitStore(pool: Pool, prefix = 'api:') {
  let increments = 0;
  const sweep = () => {
    pool
      .query(`DELETE FROM rate_limit_counters WHERE window_ends_at < (now() AT TIME ZONE 'UTC') - interval '1 hour'`)
      .catch(() => undefined);
  };
  return class PgRateLimitStore {
    incr(key: string, cb: Callback, timeWindowMs: number): void {
      if (++increments % SWEEP_EVERY === 0) sweep();
      pool.query<{ count: number; ttl: string }>(INCREMENT, [prefix + key, timeWindowMs]).then(
        (r) => cb(null, { current: r.rows[0]!.count, ttl: Number(r.rows[0]!.ttl) }),
        (err: Error) => cb(err, { current: 0, ttl: 0 }),
      );
    }

    read(key: string, cb: Callback): void {
      pool.query<{ count: number; ttl: string }>(READ, [prefix + key]).then(
        (r) => cb(null, r.rows[0] ? { current: r.rows[0].count, ttl: Number(r.rows[0].ttl) } : { current: 0, ttl: 0 }),
        (err: Error) => cb(err, { current: 0, ttl: 0 }),
      );
    }

    /** A route with a limit of its own counts apart, under its method and URL. */
    child(params: unknown): PgRateLimitStore {
      // The plugin passes the route's merged limit options, with the route under `routeInfo`.
      const info = (params as { routeInfo?: { method?: string | string[]; url?: string } } | undefined)?.routeInfo;
      const route = info?.url ? `${[info.method].flat().join(',')} ${info.url}:` : 'route:';
      const Store = pgRateLimitStore(pool, `${prefix}${route}`);
      return new Store();
    }
  };
}
