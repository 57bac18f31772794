# One image for every Kami service (gateway, catalog, vault, ordering, delivery, settlement).
#
#   docker build -t kami .                                  # default service: gateway
#   docker build --build-arg SERVICE=catalog -t kami-catalog .
#   docker run kami node dist/apps/catalog/src/main.js      # or pick it with the command
#   docker run kami node dist/apps/catalog/src/migrate.js   # a service's migrations
#
# docker-compose.yml builds this image once and chooses the service with each container's
# `command`. Configuration comes only from the environment (see docker-compose.yml).

# Node 20.19+ (package.json engines); the same 20.x as the development machines.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: all dependencies, then swc compiles apps/ and libs/ to dist/
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    NX_DAEMON=false
# Manifests first, so the install layer is reused until package*.json change.
# --ignore-scripts: nothing we need runs an install script (swc's native binary comes as an
# optional platform package), and npm 11 blocks unapproved ones anyway (package.json allowScripts).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN node tools/scripts/build.mjs \
 && test -f dist/apps/gateway/src/main.js \
 && test -f dist/apps/gateway/src/migrate.js

# ---------------------------------------------------------------------------------------------
# prod-deps: production dependencies only
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
# runtime: node_modules (production) + dist/, run as the unprivileged `node` user
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app

# Which service `docker run IMAGE` starts when no command is given.
ARG SERVICE=gateway
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    KAMI_SERVICE=${SERVICE} \
    NODE_OPTIONS=--enable-source-maps \
    KAFKAJS_NO_PARTITIONER_WARNING=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# Owned by root and only readable by `node`: the process cannot rewrite its own code.
COPY --from=prod-deps /app/package.json /app/package-lock.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

USER node

# gateway 3000, catalog 3101, vault 3102, ordering 3103, delivery 3104, settlement 3105
EXPOSE 3000 3101 3102 3103 3104 3105

# node:*-slim has no curl: probe readiness with Node's own fetch. PORT is set per service.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# exec: node becomes the shell's replacement and receives SIGTERM itself (graceful drain).
CMD ["sh", "-c", "exec node dist/apps/\"$KAMI_SERVICE\"/src/main.js"]
