# Superset's configuration, read by the compose stack (mounted into the image) and by LocalSuperset (the
# Java side's Superset for tests and `sluice standalone --superset`). Secrets come from the environment only.
import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# The metadata database: the platform Postgres in the compose stack; LocalSuperset sets
# SUPERSET_DATABASE_URI to a SQLite file in its instance folder.
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or (
    "postgresql+psycopg2://superset:" + os.environ["SUPERSET_DB_PASSWORD"] + "@postgres:5432/superset"
)

# Sign-in through Keycloak (realm nemo, client superset) when SUPERSET_OAUTH_ISSUER names the realm as
# browsers reach it, such as http://localhost:8081/realms/nemo; Superset itself calls the realm at
# SUPERSET_OAUTH_INTERNAL_URL (the same by default; http://keycloak:8080/realms/nemo inside the stack).
# The realm's groups (the client's "groups" claim) give the Superset roles, at every sign-in.
_issuer = os.environ.get("SUPERSET_OAUTH_ISSUER")
if _issuer:
    from flask_appbuilder.security.manager import AUTH_OAUTH

    _internal = os.environ.get("SUPERSET_OAUTH_INTERNAL_URL") or _issuer
    AUTH_TYPE = AUTH_OAUTH
    # The database users (the admin that superset-init and LocalSuperset provision with) keep the API.
    AUTH_API_LOGIN_ALLOW_MULTIPLE_PROVIDERS = True
    OAUTH_PROVIDERS = [
        {
            "name": "keycloak",
            "icon": "fa-key",
            "token_key": "access_token",
            "remote_app": {
                "client_id": os.environ.get("SUPERSET_OAUTH_CLIENT_ID", "superset"),
                "client_secret": os.environ["SUPERSET_OAUTH_CLIENT_SECRET"],
                "issuer": _issuer,
                "authorize_url": _issuer + "/protocol/openid-connect/auth",
                "access_token_url": _internal + "/protocol/openid-connect/token",
                "jwks_uri": _internal + "/protocol/openid-connect/certs",
                "api_base_url": _internal + "/protocol/",
                "client_kwargs": {"scope": "openid email profile"},
            },
        }
    ]
    AUTH_USER_REGISTRATION = True
    AUTH_USER_REGISTRATION_ROLE = "Gamma"
    AUTH_ROLES_SYNC_AT_LOGIN = True
    AUTH_ROLES_MAPPING = {
        "sluice-admins": ["Admin"],
        "sluice-operators": ["Alpha"],
        "sluice-viewers": ["Gamma"],
    }
