# tracebox's own processes (ingest, jobs): the TypeScript sources run through tsx, no build step.
FROM node:20-bookworm-slim
WORKDIR /opt/tracebox
ENV NODE_ENV=production TRACEBOX_DATA_DIR=/var/lib/tracebox
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /var/lib/tracebox && chown node:node /var/lib/tracebox
USER node
ENTRYPOINT ["node", "bin/tracebox.mjs"]
