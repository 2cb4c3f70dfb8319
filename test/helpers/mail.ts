// A real SMTP server in the test process (smtp-server): the app's mail goes out through nodemailer over TCP and
// arrives here, parsed by mailparser. No mocked transport.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface Inbox {
  /** SMTP_URL for startTestApp. */
  url: string;
  mails: ParsedMail[];
  /** The first mail to `to` (any letter case) matching `filter` that arrives, waiting up to 10 s for it. */
  waitFor(to: string, filter?: (m: ParsedMail) => boolean): Promise<ParsedMail>;
  /** Mails to this address received so far. */
  to(address: string): ParsedMail[];
  /** Refuse every mail (a mail server that is down for mail) until set back. */
  refuse: boolean;
  close(): Promise<void>;
}

const addressOf = (m: ParsedMail) => (m.to && !Array.isArray(m.to) ? m.to.value.map((v) => v.address?.toLowerCase()) : []);

export async function startInbox(): Promise<Inbox> {
  const mails: ParsedMail[] = [];
  const inbox: Inbox = {
    url: "",
    mails,
    refuse: false,
    to: (address) => mails.filter((m) => addressOf(m).includes(address.toLowerCase())),
    async waitFor(to, filter = () => true) {
      for (let i = 0; i < 200; i++) {
        const found = inbox.to(to).find(filter);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`no mail to ${to} arrived`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      if (inbox.refuse) {
        stream.resume();
        stream.on("end", () => callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 451 })));
        return;
      }
      simpleParser(stream).then((m) => {
        mails.push(m);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  inbox.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return inbox;
}

/** The path (and query) of the first link in a mail's text that points into the site. */
export function linkIn(mail: ParsedMail, pathStart: string): string {
  const m = new RegExp(`https?://[^\\s/]+(${pathStart.replace(/[/.]/g, "\\$&")}[^\\s<>"]*)`).exec(mail.text ?? "");
  assert.ok(m, `a ${pathStart} link in: ${mail.text}`);
  return m[1];
}
