// A tiny cookie-keeping HTTP client for seeding and setup (the measured load goes through autocannon).

export interface Page {
  status: number;
  headers: Headers;
  text: string;
}

export class Browser {
  cookies = new Map<string, string>();

  constructor(public base: string) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Page> {
    const res = await fetch(this.base + path, {
      method,
      redirect: "manual",
      headers: { ...(this.cookies.size ? { cookie: this.cookieHeader } : {}), ...opts.headers },
      body: typeof opts.body === "string" || opts.body === undefined ? opts.body : new Uint8Array(opts.body),
      // A stuck request fails the step in a minute rather than undici's five.
      signal: AbortSignal.timeout(60_000),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  postForm(path: string, form: Record<string, string>) {
    return this.request("POST", path, {
      body: new URLSearchParams(form).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }
}

export function csrfFrom(html: string): string | null {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;
}

/** Logs in through the real form (GET /login for the token, POST /login); throws unless it redirects. */
export async function logIn(b: Browser, login: string, password: string): Promise<void> {
  const page = await b.get("/login");
  const token = csrfFrom(page.text);
  if (!token) throw new Error(`GET /login: no CSRF field (status ${page.status})`);
  const res = await b.postForm("/login", { login, password, _csrf: token });
  if (res.status !== 303 && res.status !== 302) throw new Error(`login as ${login}: status ${res.status}`);
}

export interface FormInfo {
  action: string;
  method: string;
  enctype: string;
  html: string;
}

/** The forms of a page, with their raw inner HTML (enough to find field names without a DOM). */
export function formsOf(html: string): FormInfo[] {
  const out: FormInfo[] = [];
  const re = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  for (let m; (m = re.exec(html)); ) {
    const attrs = m[1];
    const attr = (n: string) => new RegExp(`\\b${n}="([^"]*)"`, "i").exec(attrs)?.[1] ?? "";
    out.push({ action: decodeEntities(attr("action")), method: attr("method").toLowerCase() || "get", enctype: attr("enctype").toLowerCase(), html: m[2] });
  }
  return out;
}

export function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, "&").replace(/&#x3D;/gi, "=").replace(/&#61;/g, "=").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}
