# Sourced by the project's scripts: picks a JDK 25 (Trino needs 22+, the build targets 21).
# Keeps JAVA_HOME if it points at JDK 22 or newer; otherwise looks in the usual JVM folder.
# The feature version (17, 25) of the JDK in folder $1: from its release file, which costs no JVM start.
java_feature() {
  local version
  version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  if [ -z "$version" ]; then
    version=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  echo "${version:-0}"
}
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
