# The downline service (CLI, API, dashboard) for docker-compose.yml; Neo4j runs in its own container.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY graph_service ./graph_service
COPY dashboards ./dashboards
COPY cypher ./cypher
RUN pip install --no-cache-dir -c constraints.txt . && useradd --uid 10001 --no-create-home downline
USER downline
EXPOSE 8000
ENTRYPOINT ["downline"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
