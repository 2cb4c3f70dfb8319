// Passport wiring: the session stores only the user id; each request loads the active user once.
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import type { AuthService } from "./auth.service";
import { User } from "./user.entity";

type AppUser = User;
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends AppUser {}
  }
}

export function configurePassport(auth: AuthService): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  instance.use(
    new LocalStrategy({ usernameField: "login", passwordField: "password" }, (login, password, done) => {
      auth.verifyCredentials(login, password).then((user) => done(null, user ?? false), done);
    }),
  );
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== "number") return done(null, false);
    // A deactivated or deleted user is simply logged out (false), not an error.
    User.findActive(id).then((u) => done(null, u ?? false), done);
  });
  return instance;
}
