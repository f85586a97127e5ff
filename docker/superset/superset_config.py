# Superset's configuration, read by the compose stack (mounted into the image) and by LocalSuperset (the
# Java side's Superset for tests and `sluice standalone --superset`). Secrets come from the environment only.
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# The metadata database: the platform Postgres in the compose stack; LocalSuperset sets
# SUPERSET_DATABASE_URI to a SQLite file in its instance folder.
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (
    "postgresql+psycopg2://superset:" + os.environ["SUPERSET_DB_PASSWORD"] + "@postgres:5432/superset"
)
