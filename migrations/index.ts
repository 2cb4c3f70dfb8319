// Every migration, in order. Listed explicitly (not globbed) so the same list works under tsx and compiled.
import { InitialSchema1764118000000 } from "./1764118000000-initial-schema";

export const migrations: Function[] = [InitialSchema1764118000000];
