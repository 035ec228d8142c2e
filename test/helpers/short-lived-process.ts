// A stand-in for the worker or the API under scripts/lib/processes.ts's supervise(): it says it is
// up, then lives until killed, or exits with EXIT_CODE after EXIT_AFTER_MS when that is set.
process.stdout.write(`up ${process.pid}\n`);
const after = process.env.EXIT_AFTER_MS;
if (after) setTimeout(() => process.exit(Number(process.env.EXIT_CODE ?? 1)), Number(after));
else setInterval(() => undefined, 60_000);
