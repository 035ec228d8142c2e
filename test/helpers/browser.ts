// A real browser for the console tests: Debian's Chromium (or CHROMIUM_PATH, or a chromium /
// google-chrome on PATH) driven by playwright-core, which downloads no browser of its own.
// Without a browser the console tests fail, saying where to get one: a skipped test would hide
// a broken console as well as a missing browser.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export function findChromium(): string | undefined {
  const runnable = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (process.env.CHROMIUM_PATH) return runnable(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) if (runnable(join(dir, name))) return join(dir, name);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(runnable);
}

const NO_BROWSER =
  "no Chromium found (set CHROMIUM_PATH, or put chromium / google-chrome on PATH; scripts/provision.sh installs Debian's chromium as root)";

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`${NO_BROWSER}: the console tests need one`);
  // Root cannot use Chromium's sandbox (CI runs as root); nothing but our own pages is opened.
  return chromium.launch({ executablePath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
