# Lifeline for Cloud Run: the same steps as a local `npm ci && npm run build && npm prune --omit=dev`.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production PORT=8080 LIFELINE_DATA_DIR=/tmp/lifeline LIFELINE_TRUST_PROXY=true
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json lifeline.config.yaml ./
COPY bin ./bin
COPY migrations ./migrations
COPY views ./views
USER node
EXPOSE 8080
# A 32 MB young generation keeps old-generation GC pauses out of the page's p99 (bench:page); a
# 384 MB old generation keeps a fan-out worker near 260 MB RSS (bench:fanout) and inside Cloud
# Run's default 512 MiB instance; no allocation-site pretenuring, so a burst of slow requests does
# not leave every later visitor's request objects allocated in the old generation (README, Benchmarks).
CMD ["node", "--max-semi-space-size=32", "--max-old-space-size=384", "--no-allocation-site-pretenuring", "--no-memory-reducer", "dist/server.js"]
