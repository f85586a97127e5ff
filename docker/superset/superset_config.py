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

# Trino behind Keycloak, as the compose stack runs it (HTTPS, tokens only): when SUPERSET_TRINO_TOKEN_URL
# names the realm's token endpoint, every connection to a Trino database goes over HTTPS, trusting
# SUPERSET_TRINO_CERT, with a token of the client SUPERSET_TRINO_CLIENT_ID got by the client credentials
# grant (kept until shortly before it expires). The queries run as that client's service account.
_trino_token_url = os.environ.get("SUPERSET_TRINO_TOKEN_URL")
if _trino_token_url:
    import json
    import threading
    import time
    import urllib.parse
    import urllib.request

    from trino.auth import JWTAuthentication

    _trino_token = {"value": None, "renew_at": 0.0}
    _trino_token_lock = threading.Lock()

    def _trino_access_token():
        with _trino_token_lock:
            if _trino_token["value"] is None or time.monotonic() >= _trino_token["renew_at"]:
                form = urllib.parse.urlencode(
                    {
                        "grant_type": "client_credentials",
                        "client_id": os.environ["SUPERSET_TRINO_CLIENT_ID"],
                        "client_secret": os.environ["SUPERSET_TRINO_CLIENT_SECRET"],
                    }
                ).encode()
                request = urllib.request.Request(_trino_token_url, data=form, method="POST")
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.load(response)
                _trino_token["value"] = answer["access_token"]
                # Renewed at half its lifetime, so a query never starts with a token about to expire.
                _trino_token["renew_at"] = time.monotonic() + answer.get("expires_in", 60) / 2
            return _trino_token["value"]

    def DB_CONNECTION_MUTATOR(uri, params, username, security_manager, source):
        if uri.get_backend_name() == "trino":
            connect_args = params.setdefault("connect_args", {})
            connect_args["http_scheme"] = "https"
            connect_args["verify"] = os.environ["SUPERSET_TRINO_CERT"]
            connect_args["auth"] = JWTAuthentication(_trino_access_token())
        return uri, params
