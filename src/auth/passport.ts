// Passport wiring: the local strategy checks credentials under the login limits; the session stores only the user
// id; each request loads the active user once.
import type { Request } from "express";
import passport from "passport";
import { Strategy as LocalStrategy, type IVerifyOptions } from "passport-local";
import type { LoginLimits } from "../http/rate-limit";
import type { AuthService } from "./auth.service";
import type { User } from "./user.entity";

/** Why the local strategy said no: `limited` means the failure limits answered, not the password. */
export interface LoginRefusal extends IVerifyOptions {
  limited: boolean;
}

function refusal(limited: boolean): LoginRefusal {
  return { message: limited ? "limited" : "bad_credentials", limited };
}

type AppUser = User;
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends AppUser {}
  }
}

/**
 * `findActive` loads the user a session points at (User.activeLookup, with what other features ride along);
 * `readAlong`, when given, is the user the session read already brought (src/http/session.ts): null for no such
 * active user, undefined when it has to be looked up.
 */
export function configurePassport(
  auth: AuthService,
  limits: LoginLimits,
  findActive: (id: number) => Promise<User | null>,
  readAlong?: (req: Request, id: number) => User | null | undefined,
): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.use(
    new LocalStrategy({ usernameField: "login", passwordField: "password", passReqToCallback: true }, (req, login, password, done) => {
      auth
        .attemptLogin(login, password, req.ip ?? "", limits)
        .then((outcome) => (outcome.user ? done(null, outcome.user) : done(null, false, refusal(outcome.limited))), done);
    }),
  );
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((req: Request, id: unknown, done: (err: unknown, user?: User | false) => void) => {
    if (typeof id !== "number") return done(null, false);
    const known = readAlong?.(req, id);
    if (known !== undefined) return done(null, known ?? false);
    // A deactivated or deleted user is simply logged out (false), not an error.
    findActive(id).then((u) => done(null, u ?? false), done);
  });
  return instance;
}
