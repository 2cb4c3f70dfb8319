# Hromada's production image: TypeScript compiled in a build stage, then only the compiled JavaScript,
# the templates, the static files and the production dependencies, run as the unprivileged `node` user.
# Build: docker build -t hromada .    Run: see docker-compose.yml and deploy/README-production.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MEDIA_ROOT=/app/media \
    DATA_DIR=/app/.data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY views ./views
COPY public ./public
# The media volume is mounted here; created and owned by `node` so a fresh named volume inherits that owner.
RUN mkdir -p /app/media /app/.data && chown node:node /app/media /app/.data
USER node
EXPOSE 3000
# Liveness only (no database check): a database outage must not get healthy processes restarted.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Runs pending migrations (under a lock, so replicas take turns), then serves; SIGTERM drains gracefully.
CMD ["node", "bin/start.js"]
