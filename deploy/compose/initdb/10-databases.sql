-- One database per service (compose only; the postgres image runs this on first start,
-- i.e. only when its data volume is empty). The names match <SVC>_DATABASE_URL in compose.yaml.
CREATE DATABASE repatriation;
CREATE DATABASE child_protection;
CREATE DATABASE reserve_fund;
CREATE DATABASE consular;
