// Soft assertions for a scenario: every check runs and is printed (✓ / ✗ with its figures), and
// the scenario fails at the end listing every check that did not hold — one run tells all that
// is wrong, not only the first thing.
export class Verdict {
  private readonly failures: string[] = [];

  constructor(private readonly log: (m: string) => void) {}

  check(what: string, ok: boolean, detail?: string): boolean {
    if (!ok) this.failures.push(detail ? `${what} — ${detail}` : what);
    this.log(`  ${ok ? '✓' : '✗'} ${what}${detail ? ` (${detail})` : ''}`);
    return ok;
  }

  /** Runs `step`; if it throws, records the failure and returns undefined (later checks still run). */
  async step<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (err) {
      this.check(what, false, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }

  get failed(): string[] {
    return [...this.failures];
  }
}
