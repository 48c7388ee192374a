# Builds the ingestor binary with the Swift runtime linked in statically, then runs it on
# Debian bookworm with only librdkafka, libcurl and SQLite installed.
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka-dev libcurl4-openssl-dev libsqlite3-dev \
    pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --product ingestor --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 libcurl4 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/ingestor
COPY --from=build /src/.build/release/ingestor /usr/local/bin/ingestor
# 9464: ops endpoints; 9465: the webhook intake (intake.port), when configured
EXPOSE 9464 9465
ENTRYPOINT ["/usr/local/bin/ingestor"]
