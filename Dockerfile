# The Panoptes image: one image for every target (-target=all|distributor|ingester|…), as the Helm
# chart runs it (deploy/helm/panoptes: args -target=… -config.file=…, user 10001, read-only root
# filesystem, data under /data). Build: docker build -t panoptes .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
# The runtime tree (bin/, dist/, production dependencies) is assembled by the same script the e2e
# suite runs and starts (e2e/src/image.spec.ts).
RUN npm run build && tools/image/stage /app

FROM node:20-bookworm-slim
COPY --from=build /app /app
RUN mkdir -p /data && chown 10001:10001 /data
ENV NODE_ENV=production
USER 10001
# Relative default paths (./data/objects, ./data/ingest, ./data/tsdb) land on the data volume.
WORKDIR /data
EXPOSE 8080 9095
ENTRYPOINT ["/app/bin/panoptes"]
CMD ["-target=all"]
