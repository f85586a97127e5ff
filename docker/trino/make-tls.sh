#!/bin/sh
# The trino-tls job: Trino's HTTPS key pair, made once into the trino-tls volume (as root, since a new
# volume's folder is root's), then handed to the image's trino user. The key store is readable by Trino
# only; its certificate, trino.pem, by anyone: Sluice's containers trust it. keytool reads the password
# from the environment, never from its command line.
set -eu
if [ ! -f /tls/trino.p12 ]; then
  "$JAVA_HOME/bin/keytool" -genkeypair -alias trino -keyalg RSA -keysize 2048 -validity 3650 \
    -dname CN=trino -ext SAN=dns:trino,dns:localhost,ip:127.0.0.1 \
    -storetype PKCS12 -keystore /tls/trino.p12 -storepass:env TRINO_KEYSTORE_PASSWORD
  "$JAVA_HOME/bin/keytool" -exportcert -rfc -alias trino -keystore /tls/trino.p12 \
    -storepass:env TRINO_KEYSTORE_PASSWORD -file /tls/trino.pem
fi
chown "$TRINO_UID" /tls/trino.p12
chmod 600 /tls/trino.p12
chmod 644 /tls/trino.pem
