# Gives the first user of a Superset metadata database (SQLite), the administrator that LocalSuperset's
# template was made with, the user name of argv[2] and the password read from standard input, hashed as
# Flask-AppBuilder hashes it. Takes a second where "superset fab reset-password" starts the whole app.
import sqlite3
import sys

from werkzeug.security import generate_password_hash

database, username = sys.argv[1], sys.argv[2]
password = sys.stdin.readline().rstrip("\n")
with sqlite3.connect(database) as connection:
    changed = connection.execute(
        "UPDATE ab_user SET username = ?, password = ? WHERE id = (SELECT min(id) FROM ab_user)",
        (username, generate_password_hash(password)),
    ).rowcount
if changed != 1:
    sys.exit("no user in " + database)
