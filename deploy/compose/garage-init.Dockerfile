# Garage's own image has no shell; the bootstrap script needs one.
FROM dxflrs/garage:v2.5.0 AS garage
FROM debian:bookworm-slim
COPY --from=garage /garage /usr/local/bin/garage
