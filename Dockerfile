# syntax=docker/dockerfile:1
# Strata in a container: the `strata` binary and the console's built site on a distroless base
# (glibc and libgcc, no shell), run as an unprivileged user. From the repository root:
#   docker build -t strata .
#   docker run -p 3000:3000 strata                     # SQLite and the origin under /data
# /metrics is on port 9100 only (STRATA_METRICS_ADDR), not on the address people reach.
#   docker run -p 3000:3000 -e STRATA_DATABASE_URL=postgres://… -e STRATA_ORIGIN=s3://… strata
# docs/deploy.md runs it on Kubernetes. scripts/container-check (part of scripts/test) lints
# this file and runs its final stage on the machine: the files it copies, as its user, with
# its environment, command and health check.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The build's tools as on any machine (the wasm32 target, wasm-bindgen-cli, wasm-split-cli,
# wasm-opt, brotli), then the console's bundle and the release binary.
RUN scripts/bootstrap build && scripts/build
# Only what runs: the binary, and the site (scripts, styles and their compressed copies).
RUN mkdir -p /out/data \
    && cp /root/.cache/strata/target/release/strata /out/strata \
    && cp -r target/site /out/site

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/strata /usr/local/bin/strata
COPY --from=build /out/site /srv/strata/site
COPY --from=build --chown=65532:65532 /out/data /data
ENV STRATA_ADDR=0.0.0.0:3000 \
    STRATA_METRICS_ADDR=0.0.0.0:9100 \
    LEPTOS_SITE_ROOT=/srv/strata/site \
    STRATA_DATABASE_URL=sqlite:///data/strata.db \
    STRATA_ORIGIN=file:///data/origin \
    STRATA_LOG_FORMAT=json
USER 65532:65532
WORKDIR /data
EXPOSE 3000 9100
HEALTHCHECK --interval=10s --timeout=6s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/strata", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/strata"]
CMD ["serve"]
