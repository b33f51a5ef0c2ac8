-- One database per service (and the console's, for its sessions), each with two roles (compose only; the postgres image runs this on
-- first start, i.e. only when its data volume is empty), as the local stack makes them
-- (dev/src/puebla_dev/devstack/postgres.py): `<db>_owner` owns the database and its schema and
-- runs the migrations (<SVC>_MIGRATION_DATABASE_URL in compose.yaml); `<db>`, what the service
-- runs as (<SVC>_DATABASE_URL), owns nothing, and the migrations grant it its table rights:
-- only INSERT and SELECT on the audit trail (security review 6). DEV-ONLY passwords.
CREATE ROLE repatriation_owner LOGIN PASSWORD 'puebla-dev-only';
CREATE ROLE repatriation LOGIN PASSWORD 'puebla-dev-only';
CREATE DATABASE repatriation OWNER repatriation_owner;
REVOKE ALL ON DATABASE repatriation FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE repatriation TO repatriation;
\connect repatriation
ALTER SCHEMA public OWNER TO repatriation_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO repatriation;
\connect postgres

CREATE ROLE child_protection_owner LOGIN PASSWORD 'puebla-dev-only';
CREATE ROLE child_protection LOGIN PASSWORD 'puebla-dev-only';
CREATE DATABASE child_protection OWNER child_protection_owner;
REVOKE ALL ON DATABASE child_protection FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE child_protection TO child_protection;
\connect child_protection
ALTER SCHEMA public OWNER TO child_protection_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO child_protection;
\connect postgres

CREATE ROLE reserve_fund_owner LOGIN PASSWORD 'puebla-dev-only';
CREATE ROLE reserve_fund LOGIN PASSWORD 'puebla-dev-only';
CREATE DATABASE reserve_fund OWNER reserve_fund_owner;
REVOKE ALL ON DATABASE reserve_fund FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE reserve_fund TO reserve_fund;
\connect reserve_fund
ALTER SCHEMA public OWNER TO reserve_fund_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO reserve_fund;
\connect postgres

CREATE ROLE consular_owner LOGIN PASSWORD 'puebla-dev-only';
CREATE ROLE consular LOGIN PASSWORD 'puebla-dev-only';
CREATE DATABASE consular OWNER consular_owner;
REVOKE ALL ON DATABASE consular FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE consular TO consular;
\connect consular
ALTER SCHEMA public OWNER TO consular_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO consular;
\connect postgres

CREATE ROLE console_owner LOGIN PASSWORD 'puebla-dev-only';
CREATE ROLE console LOGIN PASSWORD 'puebla-dev-only';
CREATE DATABASE console OWNER console_owner;
REVOKE ALL ON DATABASE console FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE console TO console;
\connect console
ALTER SCHEMA public OWNER TO console_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO console;
\connect postgres
