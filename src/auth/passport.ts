// Passport wiring: the session stores only the user id; each request loads the active user once. Credentials are
// checked by AuthService.attemptLogin (under the login limits), not by a passport strategy.
import passport from "passport";
import { User } from "./user.entity";

type AppUser = User;
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends AppUser {}
  }
}

export function configurePassport(): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== "number") return done(null, false);
    // A deactivated or deleted user is simply logged out (false), not an error.
    User.findActive(id).then((u) => done(null, u ?? false), done);
  });
  return instance;
}
