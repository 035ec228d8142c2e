export default async function globalTeardown(): Promise<void> {
  const stops = (globalThis as { __leadEngineStops?: Array<() => Promise<void>> }).__leadEngineStops ?? [];
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('teardown:', err));
}
