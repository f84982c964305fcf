# syntax=docker/dockerfile:1
# bookchat in a container: `bookchat serve` on Debian 12 slim, as a non-root user, data in a volume.
# Build stage: the Debian 12 toolchain and -dev libraries of scripts/install-deps.sh, and esbuild (the web
# assets are bundled and embedded into the binary). Runtime stage: only the shared libraries it links.
#   docker build -t bookchat .
#   docker run -p 8080:8080 -v bookchat-data:/var/lib/bookchat bookchat serve --demo
# Stop with a grace period longer than the drain: docker stop -t 40 (docs/deploy.md).

FROM debian:12.12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config nodejs npm ca-certificates \
      libmicrohttpd-dev libjansson-dev liblmdb-dev libcurl4-openssl-dev libssl-dev libsodium-dev \
      libjwt-dev libicu-dev libical-dev libcbor-dev libexpat1-dev libjemalloc-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the web build needs (esbuild and the packages web/ imports), at the lock file's versions, and
# without package.json (npm would install every devDependency with it): the test tooling stays out.
COPY package-lock.json /tmp/package-lock.json
ARG WEB_PACKAGES="esbuild lucide uplot"
RUN node -e 'const l = JSON.parse(require("fs").readFileSync("/tmp/package-lock.json", "utf8")).packages; \
      console.log(process.argv.slice(1).map((n) => n + "@" + l["node_modules/" + n].version).join(" "))' \
      ${WEB_PACKAGES} > /tmp/web-packages \
 && xargs npm install --no-save --no-package-lock --no-audit --no-fund < /tmp/web-packages
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
 && cmake --build build -j"$(nproc)" --target bookchat \
 && install -D -m 0755 build/bookchat /out/usr/bin/bookchat \
 && strip --strip-debug /out/usr/bin/bookchat

FROM debian:12.12-slim AS runtime
# The shared libraries of the binary (tests/deploy/dockerfile.test.mjs checks this list against ldd), the CA
# certificates for DynamoDB, the LLM providers and webhooks, and curl for the health check.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjansson4 liblmdb0 libcurl4 libssl3 libsodium23 libjwt0 libicu72 libical3 libcbor0.8 libexpat1 libjemalloc2 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 bookchat \
 && useradd --system --uid 10001 --gid bookchat --home-dir /var/lib/bookchat --shell /usr/sbin/nologin bookchat \
 && install -d -o bookchat -g bookchat -m 0700 /var/lib/bookchat
COPY --from=build /out/usr/bin/bookchat /usr/bin/bookchat
ENV BOOKCHAT_LISTEN=0.0.0.0:8080 \
    BOOKCHAT_DATA=/var/lib/bookchat
VOLUME ["/var/lib/bookchat"]
WORKDIR /var/lib/bookchat
EXPOSE 8080
USER 10001:10001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", "--output", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/bookchat"]
CMD ["serve"]
