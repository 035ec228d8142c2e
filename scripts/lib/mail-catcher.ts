// A local SMTP server that accepts every message and keeps it: `npm start` writes each to
// `.data/mail/<time>-<id>.eml` (open it in any mail program, or read it as text); tests keep them
// in memory. It is `smtp-server` from npm, the real protocol, on 127.0.0.1 only.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  from?: string;
  to: string[];
  raw: string;
  subject: string;
  file?: string;
}

export interface MailCatcher {
  port: number;
  url: string;
  messages: CaughtMail[];
  close(): Promise<void>;
}

const header = (raw: string, name: string) => {
  const m = new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '');
  return m?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() ?? '';
};

/** Decodes an RFC 2047 encoded-word subject (nodemailer encodes non-ASCII ones). */
export function decodeSubject(s: string): string {
  return s.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

export async function startMailCatcher(opts: { port?: number; dir?: string } = {}): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  const server = new SMTPServer({
    // Local and plain: no STARTTLS offered (nodemailer would otherwise try it against a self-signed
    // certificate), no login asked.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: CaughtMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeSubject(header(raw, 'Subject')),
        };
        if (opts.dir) {
          mail.file = join(opts.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`);
          writeFileSync(mail.file, raw);
        }
        messages.push(mail);
        done();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // a client's broken connection is not the catcher's end
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
