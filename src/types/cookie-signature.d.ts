// cookie-signature ships no typings; the one function /media uses to read express-session's signed cookie.
declare module "cookie-signature" {
  /** The value if `input` was signed with `secret`, else false. */
  export function unsign(input: string, secret: string): string | false;
}
