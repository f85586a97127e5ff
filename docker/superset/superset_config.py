# Superset in the compose stack: metadata in the platform Postgres; secrets from the environment only.
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = (
    "postgresql+psycopg2://superset:" + os.environ["SUPERSET_DB_PASSWORD"] + "@postgres:5432/superset"
)
