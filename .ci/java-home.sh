# Sourced by the project's scripts: picks a JDK 25 (Trino needs 22+, the build targets 21).
# Keeps JAVA_HOME if it points at JDK 22 or newer; otherwise looks in the usual JVM folder.
java_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_feature "$JAVA_HOME")" -lt 22 ]; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(java_feature "$candidate")" -ge 22 ]; then
      JAVA_HOME="$candidate"
    fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "Sluice needs a JDK 22 or newer (25 recommended): set JAVA_HOME" >&2
    exit 1
  fi
fi
export JAVA_HOME
