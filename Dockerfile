# syntax=docker/dockerfile:1
# The Sluice image: `docker build -t sluice .`, then `docker run sluice server|worker|db migrate|...`.
# Configuration comes from the environment only (SLUICE_*, SLUICE_CONN_<NAME>); nothing secret is baked in.

# The web UI's build runs npm (Node.js 20.19 or newer); only its node and npm are taken from this image.
FROM node:22.20.0-bookworm-slim AS node

FROM eclipse-temurin:25-jdk-noble AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /src
COPY . .
# What the ./sluice launcher builds: the scheduler with its runtime class path, and the example DAGs.
RUN --mount=type=cache,target=/root/.m2 --mount=type=cache,target=/root/.npm \
    ./mvnw -B -ntp -Dmaven.test.skip=true -Dmdep.analyze.skip=true -pl scheduler,examples -am package
# The launcher's class path as a java argument file: sluice.jar, then scheduler/target/classpath's entries
# (paths in lib/) in their order, then the examples jar.
RUN mkdir -p /opt/sluice/lib \
    && cp scheduler/target/sluice.jar examples/target/sluice-examples.jar /opt/sluice/ \
    && cp scheduler/target/lib/*.jar /opt/sluice/lib/ \
    && printf -- '-cp /opt/sluice/sluice.jar:%s:/opt/sluice/sluice-examples.jar\n' \
        "$(tr ':' '\n' <scheduler/target/classpath | sed 's|^|/opt/sluice/|' | paste -sd:)" >/opt/sluice/java.args

# A JDK, not a JRE, at run time: the DAG processor compiles the .java files of the dags folder with javax.tools,
# which a JRE does not have (jars of DAGs would load on a JRE).
FROM eclipse-temurin:25-jdk-noble
# Python for dbt's virtualenv; curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 sluice \
    && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --create-home sluice \
    && mkdir -p /var/cache/sluice /opt/sluice/examples \
    && chown sluice:sluice /var/cache/sluice
ENV SLUICE_HOME=/var/lib/sluice \
    SLUICE_CACHE_DIR=/var/cache/sluice \
    SLUICE_EXAMPLES_HOME=/opt/sluice/examples \
    SLUICE_COMMAND=sluice \
    SLUICE_API_PORT=8080
USER sluice
# dbt's virtualenv where DbtEnvironment looks for it: dbt-venv-<first 16 hex digits of the SHA-256 of
# "python3\n" and the requirements>, ready once its marker exists, so no task installs dbt at run time.
COPY dbt-bridge/src/main/resources/dev/sluice/dbt/requirements.txt /tmp/dbt-requirements.txt
RUN venv="$SLUICE_CACHE_DIR/dbt-venv-$({ printf 'python3\n'; cat /tmp/dbt-requirements.txt; } | sha256sum | cut -c1-16)" \
    && python3 -m venv "$venv" \
    && cp /tmp/dbt-requirements.txt "$venv/requirements.txt" \
    && "$venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --no-input -r "$venv/requirements.txt" \
    && printf 'installed by Sluice\n' >"$venv/.sluice-installed"
COPY --from=build /opt/sluice /opt/sluice
# The example pipeline's inputs: the S&P 500 files and the dbts project, which dbt writes its target/ into.
COPY --chown=sluice:sluice examples/data/sp500 /opt/sluice/examples/examples/data/sp500
COPY --chown=sluice:sluice dbts /opt/sluice/examples/dbts
WORKDIR /var/lib/sluice
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=6 \
    CMD ["sh", "-c", "curl -fsS \"http://127.0.0.1:${SLUICE_API_PORT}/api/v1/health\" >/dev/null"]
ENTRYPOINT ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "@/opt/sluice/java.args", "dev.sluice.scheduler.cli.SluiceCli"]
CMD ["server"]
