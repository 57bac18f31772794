-- One database per service (SPEC: one server is fine; one database per service).
--
-- docker-compose.yml mounts this file into /docker-entrypoint-initdb.d, so the postgres image
-- runs it with psql once, when it initialises an empty data volume. It is idempotent (\gexec
-- only issues the CREATE DATABASE statements whose database is missing), so it can also be
-- run again by hand:
--   docker compose exec -T postgres psql -U postgres -f - < tools/docker/postgres-init.sql
-- Keep the list in step with SERVICE_DATABASES in tools/stack/services.mjs.

SELECT format('CREATE DATABASE %I', name)
FROM unnest(ARRAY[
  'kami_gateway',
  'kami_catalog',
  'kami_vault',
  'kami_ordering',
  'kami_delivery',
  'kami_settlement'
]) AS name
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = name)
\gexec
