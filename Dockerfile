# syntax=docker/dockerfile:1
# The production image of the gateway: `docker build -t knowledge-gateway .`
# Stage 1 builds with every dependency; stage 2 runs with production dependencies only.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` devDependency brings Node 22 for npm scripts on older hosts; the base image already has it.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY reference-backends ./reference-backends
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's own unprivileged user (uid 1000); nothing in /app is writable by it.
USER node
EXPOSE 3000
# Liveness, without curl or wget in a slim image: Node's own fetch.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: SIGTERM reaches Node directly (no shell in between), which drains and exits.
# The flags are npm start's (docs/benchmark.md: V8 refuses --heap-growing-percent in NODE_OPTIONS).
CMD ["node", "--max-semi-space-size=32", "--heap-growing-percent=40", "dist/src/main.js"]
